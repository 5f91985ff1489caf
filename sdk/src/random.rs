//! Random numbers from the host.
//!
//! Always permitted. Inside a server they come from the operating system;
//! under `cargo ferrite-plugin test` each test's numbers are seeded, so a test
//! sees the same numbers on every run (`--seed N` picks another sequence).
//! Outside a host (a native `cargo test`) they come from the standard
//! library's randomly keyed hasher.
//!
//! ```no_run
//! use ferrite_plugin::random;
//!
//! let token = random::bytes(16);
//! assert_eq!(token.len(), 16);
//! let die = 1 + random::below(6);
//! assert!((1..=6).contains(&die));
//! ```
//!
//! Needs host API 0.2.0 (Ferrite 0.3).
#![cfg(not(feature = "host-api-0-1"))]

/// A random 64-bit number.
pub fn next_u64() -> u64 {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::random::next_u64();
    #[cfg(not(target_arch = "wasm32"))]
    {
        use std::hash::{BuildHasher, Hasher};
        crate::dynamic::reached_host_api("random");
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64),
        );
        h.finish()
    }
}

/// `len` random bytes. The host gives at most 65536 per call; longer runs
/// are made of several calls.
pub fn bytes(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let want = (len - out.len()).min(65536);
        #[cfg(target_arch = "wasm32")]
        out.extend(crate::bindings::random::bytes(want as u32));
        #[cfg(not(target_arch = "wasm32"))]
        for _ in 0..want {
            out.push(next_u64() as u8);
        }
    }
    out
}

/// A random number in `0..bound`, without modulo bias. `bound` 0 gives 0.
pub fn below(bound: u64) -> u64 {
    if bound == 0 {
        return 0;
    }
    // Lemire's method: the high half of a 128-bit product, rejecting the
    // few low halves that would bias it.
    loop {
        let m = u128::from(next_u64()) * u128::from(bound);
        let low = m as u64;
        if low >= bound.wrapping_neg() % bound {
            return (m >> 64) as u64;
        }
    }
}

/// A random number in `[0, 1)`.
pub fn unit() -> f64 {
    (next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_stays_below() {
        for bound in [1, 2, 3, 6, 1000, u64::MAX] {
            for _ in 0..100 {
                assert!(below(bound) < bound);
            }
        }
        assert_eq!(below(0), 0);
    }

    #[test]
    fn unit_is_in_range_and_bytes_has_the_length() {
        for _ in 0..100 {
            let u = unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert_eq!(bytes(70_000).len(), 70_000);
    }
}
