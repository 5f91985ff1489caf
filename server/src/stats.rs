//! Per-plugin call statistics for `WASM.STATS`: how often the server called
//! each plugin's functions, commands and hooks, how many of those calls
//! failed, and how long they took.
//!
//! The counters are relaxed atomics reached through the dispatch table: a
//! call adds to them without a lock or an allocation.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::reply::Reply;

/// Calls of one kind of entry (functions, commands or hooks).
#[derive(Debug, Default)]
pub(crate) struct Counter {
    calls: AtomicU64,
    errors: AtomicU64,
    micros: AtomicU64,
}

impl Counter {
    /// Counts one call that started at `started`; `failed` if its reply is
    /// an error (a trap, or the plugin's own error; a hook's abort is not
    /// one).
    pub(crate) fn record(&self, started: Instant, failed: bool) {
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.micros.fetch_add(micros, Ordering::Relaxed);
        if failed {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// `calls`, `errors`, `total_us` and `avg_us` (0 before the first call),
    /// as map entries with `prefix` before each name.
    fn entries(&self, prefix: &str) -> Vec<(Reply, Reply)> {
        let calls = self.calls.load(Ordering::Relaxed);
        let errors = self.errors.load(Ordering::Relaxed);
        let micros = self.micros.load(Ordering::Relaxed);
        let avg = micros.checked_div(calls).unwrap_or(0);
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
        let started = Instant::now();
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
    }
}
