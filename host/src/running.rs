//! Calls that run long, and stopping them (`FUNCTION KILL`).
//!
//! Every call runs in slices of [`SLICE_TICKS`] epoch ticks: when a slice
//! ends, the store's epoch callback counts it against the call's timeout
//! and, the first time, records the call here, so that another thread can
//! list it ([`Host::running_calls`](crate::Host::running_calls)) and kill it
//! ([`Host::kill`](crate::Host::kill)). A call shorter than a slice never
//! reaches the callback: the fast path pays nothing for this.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many epoch ticks a call runs before the host looks at it again.
pub const SLICE_TICKS: u64 = 2;

/// A call that has run for at least a slice and is still running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningCall {
    /// Unique among this host's calls.
    pub id: u64,
    /// The plugin.
    pub plugin: String,
    /// The function, command or hook export.
    pub function: String,
    /// How long it has run, about.
    pub elapsed: Duration,
}

/// One long call's entry: what it is, and whether it was asked to stop.
#[derive(Debug)]
pub(crate) struct Entry {
    id: u64,
    plugin: String,
    function: String,
    started: Instant,
    killed: AtomicBool,
}

impl Entry {
    /// Whether the call was killed.
    pub(crate) fn killed(&self) -> bool {
        self.killed.load(Ordering::Relaxed)
    }
}

/// The host's long calls.
#[derive(Debug)]
pub(crate) struct Registry {
    next: AtomicU64,
    calls: Mutex<Vec<Arc<Entry>>>,
    /// Whether a long call's thread is lowered to the lowest priority.
    pub(crate) priority: crate::priority::Support,
}

fn lock(m: &Mutex<Vec<Arc<Entry>>>) -> std::sync::MutexGuard<'_, Vec<Arc<Entry>>> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Registry {
    pub(crate) fn new(priority: crate::priority::Support) -> Registry {
        Registry {
            next: AtomicU64::new(0),
            calls: Mutex::default(),
            priority,
        }
    }

    /// Records a call that started `ran` ago.
    pub(crate) fn add(&self, plugin: &str, function: &str, ran: Duration) -> Arc<Entry> {
        let entry = Arc::new(Entry {
            id: self.next.fetch_add(1, Ordering::Relaxed) + 1,
            plugin: plugin.to_string(),
            function: function.to_string(),
            started: Instant::now().checked_sub(ran).unwrap_or_else(Instant::now),
            killed: AtomicBool::new(false),
        });
        lock(&self.calls).push(entry.clone());
        entry
    }

    /// Forgets a call that ended.
    pub(crate) fn remove(&self, entry: &Arc<Entry>) {
        lock(&self.calls).retain(|e| !Arc::ptr_eq(e, entry));
    }

    /// Whether any call is long now.
    pub(crate) fn any(&self) -> bool {
        !lock(&self.calls).is_empty()
    }

    /// The calls running now, oldest first.
    pub(crate) fn list(&self) -> Vec<RunningCall> {
        lock(&self.calls)
            .iter()
            .map(|e| RunningCall {
                id: e.id,
                plugin: e.plugin.clone(),
                function: e.function.clone(),
                elapsed: e.started.elapsed(),
            })
            .collect()
    }

    /// Asks the calls `which` selects to stop; how many it asked.
    pub(crate) fn kill(&self, which: impl Fn(&RunningCall) -> bool) -> usize {
        let calls = lock(&self.calls);
        let mut n = 0;
        for e in calls.iter() {
            let info = RunningCall {
                id: e.id,
                plugin: e.plugin.clone(),
                function: e.function.clone(),
                elapsed: e.started.elapsed(),
            };
            if which(&info) && !e.killed.swap(true, Ordering::Relaxed) {
                n += 1;
            }
        }
        n
    }
}

/// The error a killed call traps with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the call was killed")]
pub(crate) struct Killed;
