//! The host's clock.
//!
//! Always permitted. A plugin has no other source of time: it sees the clock
//! the host gives it, which `cargo ferrite-plugin test` can hold still.

/// Milliseconds since the Unix epoch, as the host sees it.
pub fn now_ms() -> u64 {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::clock::now_ms();
    #[cfg(not(target_arch = "wasm32"))]
    {
        crate::dynamic::reached_host_api("clock");
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    }
}
