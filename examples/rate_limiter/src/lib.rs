//! Rate limiting as a Ferrite plugin, with counters in the server's keyspace.
//!
//! Each window of each key is a counter, `ratelimit:<key>:<window>`,
//! incremented with `kv::incr_by` and given an expiry when the increment
//! created it (`kv::expire`), so concurrent calls lose no counts and old windows
//! clean themselves up. The sliding mode weighs the previous window's count by
//! how much of it still overlaps the last `window_ms`, a close and cheap
//! approximation of a true sliding log.

use std::time::Duration;

use ferrite_plugin::prelude::*;

/// How requests are counted.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Count per aligned window: simple, allows a burst of up to twice the
    /// limit around a window boundary.
    FixedWindow,
    /// Blend the previous window into the current one: smooth at boundaries.
    SlidingWindow,
}

/// The verdict on one request.
#[derive(Record, Clone, Copy, Debug, PartialEq)]
pub struct Decision {
    /// Whether the request may go ahead.
    pub allowed: bool,
    /// Requests counted in the current window (the estimate, when sliding).
    pub count: u64,
    /// Requests left in the current window.
    pub remaining: u64,
    /// Milliseconds until the current window ends.
    pub reset_ms: u64,
}

fn counter(key: &str, window: u64) -> String {
    format!("ratelimit:{key}:{window}")
}

fn check_args(limit: u32, window_ms: u64) -> Result<(), PluginError> {
    if limit == 0 {
        return Err(PluginError::invalid_argument("`limit` must be at least 1"));
    }
    if window_ms == 0 {
        return Err(PluginError::invalid_argument(
            "`window_ms` must be at least 1",
        ));
    }
    Ok(())
}

/// Counts a request for `key` at time `now` (ms) and decides on it.
pub fn allow_at(
    key: &str,
    limit: u32,
    window_ms: u64,
    mode: Mode,
    now: u64,
) -> Result<Decision, PluginError> {
    check_args(limit, window_ms)?;
    let window = now / window_ms;
    let name = counter(key, window);
    let current = kv::incr_by(&name, 1)?;
    if current == 1 {
        // Keep a window until the next one has ended, for the sliding estimate.
        kv::expire(&name, Duration::from_millis(window_ms.saturating_mul(2)))?;
    }
    let current = current.max(0) as u64;
    let count = match mode {
        Mode::FixedWindow => current,
        Mode::SlidingWindow => {
            let previous = previous_count(key, window)?;
            let elapsed = now % window_ms;
            // The share of the previous window still inside the last
            // `window_ms`, rounded up: a limiter errs on the side of refusing.
            let overlap = (window_ms - elapsed) as f64 / window_ms as f64;
            current + (previous as f64 * overlap).ceil() as u64
        }
    };
    let limit = limit as u64;
    Ok(Decision {
        allowed: count <= limit,
        count,
        remaining: limit.saturating_sub(count),
        reset_ms: (window + 1) * window_ms - now,
    })
}

fn previous_count(key: &str, window: u64) -> Result<u64, PluginError> {
    if window == 0 {
        return Ok(0);
    }
    Ok(kv::get_string(counter(key, window - 1))?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// Counts a request for `key` and decides on it: at most `limit` requests per
/// `window_ms` milliseconds.
#[ferrite_plugin::function]
pub fn allow(key: String, limit: u32, window_ms: u64, mode: Mode) -> Result<Decision, PluginError> {
    allow_at(&key, limit, window_ms, mode, clock::now_ms())
}

/// [`allow`] with the operator's settings: `limit` (default 100), `window_ms`
/// (default 60000) and `mode` (`fixed` or `sliding`, default `sliding`).
#[ferrite_plugin::function]
pub fn hit(key: String) -> Result<Decision, PluginError> {
    let setting = |name: &str, default: u64| -> Result<u64, PluginError> {
        match config::get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| {
                PluginError::invalid_argument(format!(
                    "the setting `{name}` must be a number, not `{v}`"
                ))
            }),
        }
    };
    let limit = u32::try_from(setting("limit", 100)?)
        .map_err(|_| PluginError::invalid_argument("the setting `limit` is too large"))?;
    let window_ms = setting("window_ms", 60_000)?;
    let mode = match config::get("mode").as_deref() {
        None | Some("sliding") => Mode::SlidingWindow,
        Some("fixed") => Mode::FixedWindow,
        Some(other) => {
            return Err(PluginError::invalid_argument(format!(
                "the setting `mode` must be `fixed` or `sliding`, not `{other}`"
            )));
        }
    };
    allow(key, limit, window_ms, mode)
}

/// Requests counted for `key` in the current window, without counting one.
#[ferrite_plugin::function]
pub fn count(key: String, window_ms: u64) -> Result<u64, PluginError> {
    check_args(1, window_ms)?;
    let window = clock::now_ms() / window_ms;
    Ok(kv::get_string(counter(&key, window))?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// Forgets `key`'s current and previous windows.
#[ferrite_plugin::function]
pub fn reset(key: String, window_ms: u64) -> Result<(), PluginError> {
    check_args(1, window_ms)?;
    let window = clock::now_ms() / window_ms;
    kv::del(counter(&key, window))?;
    if window > 0 {
        kv::del(counter(&key, window - 1))?;
    }
    Ok(())
}

#[ferrite_plugin::test]
fn a_fixed_window_allows_up_to_the_limit() {
    let now = 10_000;
    for n in 1..=3 {
        let d = allow_at("user:1", 3, 1000, Mode::FixedWindow, now + n).unwrap();
        assert!(d.allowed, "request {n}");
        assert_eq!(d.remaining, 3 - n);
    }
    let d = allow_at("user:1", 3, 1000, Mode::FixedWindow, now + 10).unwrap();
    assert!(!d.allowed);
    assert_eq!(d.reset_ms, 990);
    // The next window starts afresh, and other keys are separate.
    assert!(
        allow_at("user:1", 3, 1000, Mode::FixedWindow, now + 1000)
            .unwrap()
            .allowed
    );
    assert!(
        allow_at("user:2", 3, 1000, Mode::FixedWindow, now + 10)
            .unwrap()
            .allowed
    );
}

#[ferrite_plugin::test]
fn a_sliding_window_remembers_the_previous_window() {
    // Four requests late in one window...
    for t in 0..4 {
        assert!(
            allow_at("k", 4, 1000, Mode::SlidingWindow, 1900 + t)
                .unwrap()
                .allowed
        );
    }
    // ...still count, three-quarters weighted, a quarter into the next.
    let d = allow_at("k", 4, 1000, Mode::SlidingWindow, 2250).unwrap();
    assert_eq!(d.count, 1 + 3);
    assert!(d.allowed);
    assert!(
        !allow_at("k", 4, 1000, Mode::SlidingWindow, 2260)
            .unwrap()
            .allowed
    );
    // Fixed counting would have allowed it.
    assert!(
        allow_at("other", 4, 1000, Mode::FixedWindow, 2260)
            .unwrap()
            .allowed
    );
}

#[ferrite_plugin::test]
fn each_window_has_its_own_counter() {
    allow_at("w", 10, 5000, Mode::FixedWindow, 0).unwrap();
    allow_at("w", 10, 5000, Mode::FixedWindow, 4999).unwrap();
    allow_at("w", 10, 5000, Mode::FixedWindow, 5000).unwrap();
    assert_eq!(
        kv::get_string(counter("w", 0)).unwrap().as_deref(),
        Some("2")
    );
    assert_eq!(
        kv::get_string(counter("w", 1)).unwrap().as_deref(),
        Some("1")
    );
    assert_eq!(kv::scan("ratelimit:w:", 10).unwrap().len(), 2);
}

#[ferrite_plugin::test]
fn bad_arguments_are_refused() {
    assert!(matches!(
        allow_at("k", 0, 1000, Mode::FixedWindow, 0),
        Err(PluginError::InvalidArgument(_))
    ));
    assert!(matches!(
        allow_at("k", 1, 0, Mode::FixedWindow, 0),
        Err(PluginError::InvalidArgument(_))
    ));
}
