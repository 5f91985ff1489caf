//! Rate limiting as a Ferrite plugin, with counters in the server's keyspace.
//!
//! Each window of each key is a counter, `ratelimit:<key>:<window>`,
//! incremented with `kv::incr_by` and given an expiry when the increment
//! created it (`kv::expire`), so concurrent calls lose no counts and old windows
//! clean themselves up. The sliding mode weighs the previous window's count by
//! how much of it still overlaps the last `window_ms`, a close and cheap
//! approximation of a true sliding log.
//!
//! The sliding-log mode is exact: each allowed request is a member of a
//! sorted set, `ratelimit:<key>:log`, scored by its time; a request first
//! drops the members older than `window_ms`, then counts the rest
//! (`ZREMRANGEBYSCORE`, `ZCARD`, `ZADD`, as a Redis user would write it).

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
    /// Keep every allowed request's time in a sorted set and count those
    /// within the last `window_ms`: exact, one member per allowed request.
    SlidingLog,
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

fn log_key(key: &str) -> String {
    format!("ratelimit:{key}:log")
}

/// The sliding log: drop what left the window, count the rest, and record
/// this request if it is allowed.
fn allow_logged(key: &str, limit: u64, window_ms: u64, now: u64) -> Result<Decision, PluginError> {
    let log = log_key(key);
    let start = now.saturating_sub(window_ms) as f64;
    // Scores are exclusive of the window's start: a request exactly
    // `window_ms` old has left it.
    kv::zrem_range_by_score(&log, f64::NEG_INFINITY, start)?;
    let before = kv::zcard(&log)?;
    let allowed = before < limit;
    if allowed {
        // Members must be unique: two requests in one millisecond are two members.
        let member = format!("{now}-{:016x}", random::next_u64());
        kv::zadd(&log, now as f64, member)?;
        kv::expire(&log, Duration::from_millis(window_ms))?;
    }
    let count = before + u64::from(allowed);
    // The window frees a slot when its oldest request leaves it.
    let oldest = kv::zrange_by_score_limit(&log, f64::NEG_INFINITY, f64::INFINITY, 1)?;
    // Saturating: a window of up to `u64::MAX` ms is valid (`test --fuzz`
    // found the overflow).
    let reset_ms = oldest.first().map_or(window_ms, |(_, t)| {
        (*t as u64).saturating_add(window_ms).saturating_sub(now)
    });
    Ok(Decision {
        allowed,
        count,
        remaining: limit.saturating_sub(count),
        reset_ms,
    })
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
    if mode == Mode::SlidingLog {
        return allow_logged(key, limit.into(), window_ms, now);
    }
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
        Mode::SlidingLog => unreachable!("counted by `allow_logged`"),
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
/// (default 60000) and `mode` (`fixed`, `sliding`, or `log` for the sliding
/// log, also spelled `sliding-log`; default `sliding`).
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
        Some("log" | "sliding-log") => Mode::SlidingLog,
        Some(other) => {
            return Err(PluginError::invalid_argument(format!(
                "the setting `mode` must be `fixed`, `sliding` or `log`, not `{other}`"
            )));
        }
    };
    allow(key, limit, window_ms, mode)
}

/// Requests counted for `key` in the current window (the fixed windows'
/// counter), without counting one.
#[ferrite_plugin::function]
pub fn count(key: String, window_ms: u64) -> Result<u64, PluginError> {
    check_args(1, window_ms)?;
    let window = clock::now_ms() / window_ms;
    Ok(kv::get_string(counter(&key, window))?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// Forgets `key`'s current and previous windows, and its sliding log.
#[ferrite_plugin::function]
pub fn reset(key: String, window_ms: u64) -> Result<(), PluginError> {
    check_args(1, window_ms)?;
    let window = clock::now_ms() / window_ms;
    kv::del(log_key(&key))?;
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
fn a_sliding_log_counts_exactly_the_last_window() {
    // Three requests at 0, 400 and 800 ms fill a limit of 3 per second.
    for t in [0, 400, 800] {
        assert!(
            allow_at("log", 3, 1000, Mode::SlidingLog, 10_000 + t)
                .unwrap()
                .allowed
        );
    }
    let d = allow_at("log", 3, 1000, Mode::SlidingLog, 10_900).unwrap();
    assert!(!d.allowed);
    assert_eq!((d.count, d.remaining), (3, 0));
    // The first request leaves the window at 11 000 ms: the reset says so.
    assert_eq!(d.reset_ms, 100);
    // A refused request is not recorded, so one slot frees exactly then.
    let d = allow_at("log", 3, 1000, Mode::SlidingLog, 11_000).unwrap();
    assert!(d.allowed, "{d:?}");
    assert!(
        !allow_at("log", 3, 1000, Mode::SlidingLog, 11_001)
            .unwrap()
            .allowed
    );
    // The log is a sorted set of the allowed requests, expiring with the window.
    assert_eq!(kv::zcard(log_key("log")).unwrap(), 3);
    assert!(kv::ttl(log_key("log")).unwrap().remaining().is_some());
}

#[ferrite_plugin::test]
fn a_sliding_log_keeps_requests_of_one_millisecond_apart() {
    for _ in 0..5 {
        allow_at("burst", 10, 1000, Mode::SlidingLog, 5_000).unwrap();
    }
    assert_eq!(kv::zcard(log_key("burst")).unwrap(), 5);
    let d = allow_at("burst", 10, 1000, Mode::SlidingLog, 5_999).unwrap();
    assert_eq!(d.count, 6);
    assert_eq!(
        allow_at("burst", 10, 1000, Mode::SlidingLog, 6_000)
            .unwrap()
            .count,
        2
    );
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
