//! What every plugin module needs at run time: the canonical ABI's allocator
//! export and a panic hook that tells the host why the plugin trapped.

/// The canonical ABI's allocator: the host calls it to place arguments (strings,
/// lists, spilled parameters) in the plugin's memory, which the plugin then owns.
///
/// # Safety
///
/// Called by the host per the canonical ABI: `old_ptr`/`old_len`/`align` describe
/// an allocation made by this function, or `old_len` is 0.
#[cfg(target_arch = "wasm32")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cabi_realloc(
    old_ptr: *mut u8,
    old_len: usize,
    align: usize,
    new_len: usize,
) -> *mut u8 {
    use std::alloc::{Layout, alloc, handle_alloc_error, realloc};
    if new_len == 0 {
        return align as *mut u8;
    }
    // SAFETY: the canonical ABI passes a power-of-two alignment and sizes that fit.
    let layout = unsafe { Layout::from_size_align_unchecked(new_len, align) };
    let ptr = if old_len == 0 {
        // SAFETY: `new_len` is non-zero.
        unsafe { alloc(layout) }
    } else {
        // SAFETY: the caller passes an allocation of `old_len` bytes at `align`.
        unsafe {
            realloc(
                old_ptr,
                Layout::from_size_align_unchecked(old_len, align),
                new_len,
            )
        }
    };
    if ptr.is_null() {
        handle_alloc_error(layout);
    }
    ptr
}

/// Runs before every export: installs the panic hook on first use. A
/// plugin built for another host's world (`--cfg ferrite_plugin_world`)
/// imports nothing of Ferrite's, so it has no hook: a panic traps.
#[inline(always)]
pub fn prologue() {
    #[cfg(all(target_arch = "wasm32", not(ferrite_plugin_world)))]
    {
        use core::sync::atomic::{AtomicBool, Ordering};
        static INSTALLED: AtomicBool = AtomicBool::new(false);
        if !INSTALLED.load(Ordering::Relaxed) {
            INSTALLED.store(true, Ordering::Relaxed);
            install_panic_hook();
        }
    }
}

#[cfg(all(target_arch = "wasm32", not(ferrite_plugin_world)))]
#[cold]
#[inline(never)]
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.payload_as_str().unwrap_or("Box<dyn Any>");
        let (file, line, column) = info
            .location()
            .map_or(("<unknown>", 0, 0), |l| (l.file(), l.line(), l.column()));
        crate::bindings::runtime::report_panic(message, file, line, column);
    }));
}

/// What a `#[ferrite_plugin::test]` function may return.
#[diagnostic::on_unimplemented(
    message = "a `#[ferrite_plugin::test]` returns `()` or `Result<(), E>`, not `{Self}`",
    label = "not a test result"
)]
pub trait TestOutcome {
    /// Panics (failing the test) if the outcome is a failure.
    #[track_caller]
    fn check(self);
}

impl TestOutcome for () {
    fn check(self) {}
}

impl<E: core::fmt::Debug> TestOutcome for Result<(), E> {
    #[track_caller]
    fn check(self) {
        if let Err(e) = self {
            panic!("the test returned Err({e:?})")
        }
    }
}

/// Runs a test body: the panic hook first, then the test, then its outcome.
#[track_caller]
pub fn run_test<R: TestOutcome>(test: fn() -> R) {
    prologue();
    test().check();
}
