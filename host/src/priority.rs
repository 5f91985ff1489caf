//! A long call's thread at the lowest CPU priority while it runs.
//!
//! A call that outlasts a slice has its calling thread's nice value raised
//! to 19 until it ends ([`HostConfig::lower_long_calls`]): on a machine
//! whose cores are all busy, the threads serving other clients (a server's
//! event loop, the epoch ticker) then run first whenever they wake, and the
//! long call takes what is left. On Linux the nice value is a thread's own.
//!
//! Lowering is only done where the process may raise the priority back
//! afterwards (root, `CAP_SYS_NICE`, or an `RLIMIT_NICE` that reaches the
//! thread's nice value): otherwise the thread, which may serve other work
//! once the call is over (a tokio blocking-pool thread, say), would stay
//! slow for good. [`Support::probe`] finds out once, on a scratch thread.
//!
//! [`HostConfig::lower_long_calls`]: crate::HostConfig::lower_long_calls

/// Whether this process can lower a thread's priority and restore it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Support(bool);

/// A thread's priority before it was lowered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lowered(i32);

/// The nice value a long call runs at.
#[cfg(target_os = "linux")]
const LOWEST: i32 = 19;

impl Support {
    /// Nothing is ever lowered.
    pub(crate) const NONE: Support = Support(false);

    /// Whether threads are lowered.
    pub(crate) fn is_supported(self) -> bool {
        self.0
    }

    /// Tries lowering and restoring a scratch thread's priority, once per
    /// process.
    pub(crate) fn probe() -> Support {
        static PROBED: std::sync::OnceLock<Support> = std::sync::OnceLock::new();
        *PROBED.get_or_init(Support::try_it)
    }

    fn try_it() -> Support {
        #[cfg(target_os = "linux")]
        {
            let works = std::thread::Builder::new()
                .name("ferrite-plugin-nice-probe".into())
                .spawn(|| match nice() {
                    Some(before) if before < LOWEST => {
                        set_nice(before + 1) && set_nice(before) && nice() == Some(before)
                    }
                    _ => false,
                })
                .ok()
                .and_then(|t| t.join().ok())
                .unwrap_or(false);
            Support(works)
        }
        #[cfg(not(target_os = "linux"))]
        Support(false)
    }

    /// Lowers the calling thread's priority, if supported and not already
    /// the lowest.
    pub(crate) fn lower(self) -> Option<Lowered> {
        if !self.0 {
            return None;
        }
        #[cfg(target_os = "linux")]
        {
            let before = nice()?;
            (before < LOWEST && set_nice(LOWEST)).then_some(Lowered(before))
        }
        #[cfg(not(target_os = "linux"))]
        None
    }
}

impl Lowered {
    /// Gives the calling thread (the one [`Support::lower`] lowered) its
    /// priority back.
    pub(crate) fn restore(self) {
        #[cfg(target_os = "linux")]
        if !set_nice(self.0) {
            tracing::warn!(
                nice = self.0,
                "could not restore the priority of a thread that ran a long plugin call: {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

/// The calling thread's nice value.
#[cfg(target_os = "linux")]
fn nice() -> Option<i32> {
    // SAFETY: `gettid` and `getpriority` only read the calling thread's state;
    // `getpriority` may return -1 as a value, so errno tells failure apart.
    unsafe {
        *libc::__errno_location() = 0;
        let n = libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t);
        (n != -1 || *libc::__errno_location() == 0).then_some(n)
    }
}

/// Sets the calling thread's nice value.
#[cfg(target_os = "linux")]
fn set_nice(n: i32) -> bool {
    // SAFETY: changes only the calling thread's scheduling priority.
    unsafe { libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, n) == 0 }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_lowered_thread_gets_its_priority_back() {
        let support = Support::probe();
        std::thread::spawn(move || {
            let before = nice();
            match support.lower() {
                Some(lowered) => {
                    assert_eq!(nice(), Some(LOWEST));
                    lowered.restore();
                    assert_eq!(nice(), before);
                }
                // Not allowed here (no privilege to restore it): nothing changed.
                None => assert_eq!(nice(), before),
            }
        })
        .join()
        .unwrap();
        assert_eq!(Support::NONE.lower(), None);
    }
}
