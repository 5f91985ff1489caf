//! Per-plugin call statistics for `WASM.STATS`: how often the server called
//! each plugin's functions, commands and hooks, how many of those calls
//! failed, and how long they took.
//!
//! The counters are relaxed atomics reached through the dispatch table: a
//! call adds to them without a lock or an allocation. Calls are timed with
//! a coarse clock ([`now`]), which costs a few nanoseconds where a precise
//! one costs tens (a tenth of a warm FCALL's time for two readings): each
//! call's time is read as a multiple of the clock's tick, which over many
//! calls sums to their true total, as calls do not keep time with the tick.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::reply::Reply;

/// Calls of one kind of entry (functions, commands or hooks).
#[derive(Debug, Default)]
pub(crate) struct Counter {
    calls: AtomicU64,
    errors: AtomicU64,
    nanos: AtomicU64,
}

/// Nanoseconds on a monotonic clock that is cheap to read: Linux's coarse
/// clock (a few milliseconds per tick); elsewhere the precise one.
pub(crate) fn now() -> u64 {
    #[cfg(target_os = "linux")]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec for the call.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
        (ts.tv_sec as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(ts.tv_nsec as u64)
    }
    #[cfg(not(target_os = "linux"))]
    {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START
            .get_or_init(std::time::Instant::now)
            .elapsed()
            .as_nanos() as u64
    }
}

impl Counter {
    /// Counts one call that started at `started`; `failed` if its reply is
    /// an error (a trap, or the plugin's own error; a hook's abort is not
    /// one).
    pub(crate) fn record(&self, started: u64, failed: bool) {
        let nanos = now().saturating_sub(started);
        self.calls.fetch_add(1, Ordering::Relaxed);
        if nanos > 0 {
            self.nanos.fetch_add(nanos, Ordering::Relaxed);
        }
        if failed {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// `calls`, `errors`, `total_us` and `avg_us` (0 before the first call),
    /// as map entries with `prefix` before each name.
    fn entries(&self, prefix: &str) -> Vec<(Reply, Reply)> {
        let calls = self.calls.load(Ordering::Relaxed);
        let errors = self.errors.load(Ordering::Relaxed);
        let nanos = self.nanos.load(Ordering::Relaxed);
        let micros = nanos / 1000;
        let avg = (nanos / 1000).checked_div(calls).unwrap_or(0);
        let int = |n: u64| Reply::Integer(i64::try_from(n).unwrap_or(i64::MAX));
        vec![
            (Reply::text(format!("{prefix}calls")), int(calls)),
            (Reply::text(format!("{prefix}errors")), int(errors)),
            (Reply::text(format!("{prefix}total_us")), int(micros)),
            (Reply::text(format!("{prefix}avg_us")), int(avg)),
        ]
    }
}

/// One plugin's statistics, kept from its first load until it is unloaded
/// (a `REPLACE` or `PLUGIN RELOAD` keeps counting).
#[derive(Debug, Default)]
pub(crate) struct PluginStats {
    /// `FCALL`, `FCALL_RO`, `WASM.CALL`, `WASM.CALL_RO` of its functions.
    pub(crate) functions: Counter,
    /// Its custom commands.
    pub(crate) commands: Counter,
    /// Its hooks, each guest call counted once.
    pub(crate) hooks: Counter,
}

impl PluginStats {
    /// `WASM.STATS`' entry for plugin `name`: function calls first, as
    /// `calls`, `errors`, `total_us`, `avg_us`, then the same for commands
    /// (`command_calls`, ...) and hooks (`hook_calls`, ...).
    pub(crate) fn reply(&self, name: &str) -> Reply {
        let mut map = vec![(Reply::text("name"), Reply::text(name))];
        map.extend(self.functions.entries(""));
        map.extend(self.commands.entries("command_"));
        map.extend(self.hooks.entries("hook_"));
        Reply::Map(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_calls_errors_and_time() {
        let stats = PluginStats::default();
        let started = now();
        stats.functions.record(started, false);
        stats.functions.record(started, true);
        stats.hooks.record(started, false);
        let Reply::Map(map) = stats.reply("p") else {
            panic!("a map");
        };
        let get = |name: &str| {
            map.iter()
                .find(|(k, _)| *k == Reply::text(name))
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(get("name"), Reply::text("p"));
        assert_eq!(get("calls"), Reply::Integer(2));
        assert_eq!(get("errors"), Reply::Integer(1));
        assert_eq!(get("command_calls"), Reply::Integer(0));
        assert_eq!(get("command_avg_us"), Reply::Integer(0));
        assert_eq!(get("hook_calls"), Reply::Integer(1));
        assert_eq!(get("hook_errors"), Reply::Integer(0));
        // Time is counted in nanoseconds and shown in microseconds: a call
        // shorter than a microsecond still adds to the total.
        let long = PluginStats::default();
        for _ in 0..3 {
            long.functions.record(now().saturating_sub(400_000), false);
        }
        let Reply::Map(map) = long.reply("q") else {
            panic!("a map");
        };
        let total = map
            .iter()
            .find(|(k, _)| *k == Reply::text("total_us"))
            .unwrap();
        assert!(
            matches!(total.1, Reply::Integer(us) if us >= 1200),
            "{total:?}"
        );
    }
}
