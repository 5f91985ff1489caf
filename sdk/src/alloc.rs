//! The plugin's global allocator: a bump arena in front of the standard one.
//!
//! A plugin call typically allocates a few small values (its arguments, a
//! string or two, its result) and frees them all before the call ends. The
//! standard allocator on wasm32 (dlmalloc) grows linear memory on its first
//! allocation, which on a fresh instance costs a host call, an `mprotect` and
//! page faults: most of a short call's time. This allocator serves requests
//! from a 64 KiB arena in the module's zero-initialized data (part of the
//! initial memory, so nothing grows), and rewinds the arena whenever every
//! arena allocation has been freed — in practice, after each call. Requests
//! that do not fit go to the standard allocator.
//!
//! Plugins are single-threaded (wasm32 without the `atomics` feature), so the
//! state needs no synchronization. Disable the `arena` feature of
//! `ferrite-plugin` to use another `#[global_allocator]`.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use std::alloc::System;

/// Bytes in the arena.
const SIZE: usize = 64 * 1024;

#[repr(C, align(16))]
struct Arena {
    bytes: UnsafeCell<[u8; SIZE]>,
    /// Offset of the first free byte.
    top: UnsafeCell<usize>,
    /// Arena allocations not yet freed.
    live: UnsafeCell<usize>,
}

// SAFETY: wasm32 plugins (without the `atomics` target feature) run on one
// thread; nothing reaches the arena from two threads.
unsafe impl Sync for Arena {}

/// A bump arena in front of [`System`].
pub struct ArenaAlloc {
    arena: Arena,
}

impl ArenaAlloc {
    /// An empty arena.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        ArenaAlloc {
            arena: Arena {
                bytes: UnsafeCell::new([0; SIZE]),
                top: UnsafeCell::new(0),
                live: UnsafeCell::new(0),
            },
        }
    }

    fn base(&self) -> usize {
        self.arena.bytes.get() as usize
    }

    fn owns(&self, ptr: *mut u8) -> bool {
        let p = ptr as usize;
        p >= self.base() && p < self.base() + SIZE
    }

    /// Bump-allocates `layout` from the arena, or returns null.
    ///
    /// # Safety
    ///
    /// Single-threaded use only.
    unsafe fn bump(&self, layout: Layout) -> *mut u8 {
        // SAFETY: one thread (see `Sync` above).
        let (top, live) = unsafe { (&mut *self.arena.top.get(), &mut *self.arena.live.get()) };
        let start = (self.base() + *top).next_multiple_of(layout.align()) - self.base();
        match start.checked_add(layout.size()) {
            Some(end) if end <= SIZE => {
                *top = end;
                *live += 1;
                (self.base() + start) as *mut u8
            }
            _ => core::ptr::null_mut(),
        }
    }
}

// SAFETY: arena blocks are disjoint (the bump pointer only moves past live
// blocks, and rewinds only over freed ones or when none is live), aligned as
// asked, and within the arena; everything else is the system allocator's.
unsafe impl GlobalAlloc for ArenaAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: single-threaded; `layout` is valid per `GlobalAlloc`.
        unsafe {
            let p = self.bump(layout);
            if p.is_null() { System.alloc(layout) } else { p }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`. Arena memory is reused, so zero it.
        unsafe {
            let p = self.bump(layout);
            if p.is_null() {
                System.alloc_zeroed(layout)
            } else {
                p.write_bytes(0, layout.size());
                p
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !self.owns(ptr) {
            // SAFETY: `ptr` came from `System` with this layout.
            return unsafe { System.dealloc(ptr, layout) };
        }
        // SAFETY: single-threaded.
        let (top, live) = unsafe { (&mut *self.arena.top.get(), &mut *self.arena.live.get()) };
        *live -= 1;
        let offset = ptr as usize - self.base();
        if *live == 0 {
            *top = 0;
        } else if offset + layout.size() == *top {
            // The most recent block: give its bytes back.
            *top = offset;
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !self.owns(ptr) {
            // SAFETY: `ptr` came from `System` with this layout.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        let offset = ptr as usize - self.base();
        // SAFETY: single-threaded.
        let top = unsafe { &mut *self.arena.top.get() };
        if offset + layout.size() == *top && offset + new_size <= SIZE {
            // The most recent block grows or shrinks in place.
            *top = offset + new_size;
            return ptr;
        }
        // SAFETY: `new_size` with the old alignment is a valid layout (the
        // caller guarantees it); the blocks do not overlap.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let new = self.alloc(new_layout);
            if !new.is_null() {
                core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new
        }
    }
}

#[cfg(all(
    feature = "arena",
    target_arch = "wasm32",
    not(target_feature = "atomics")
))]
#[global_allocator]
static ALLOCATOR: ArenaAlloc = ArenaAlloc::new();

#[cfg(test)]
mod tests {
    use super::*;

    // The arena's logic, exercised natively on one thread.
    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn it_bumps_rewinds_and_falls_back() {
        let a = Box::leak(Box::new(ArenaAlloc::new()));
        unsafe {
            let x = a.alloc(layout(10, 1));
            let y = a.alloc(layout(8, 8));
            assert!(a.owns(x) && a.owns(y));
            assert_eq!(y as usize % 8, 0);
            assert!(y as usize >= x as usize + 10);
            // Growing the last block happens in place.
            let y2 = a.realloc(y, layout(8, 8), 100);
            assert_eq!(y2, y);
            // Freeing everything rewinds.
            a.dealloc(x, layout(10, 1));
            a.dealloc(y2, layout(100, 8));
            assert_eq!(*a.arena.top.get(), 0);
            // Too big for the arena: the system allocator.
            let big = a.alloc(layout(SIZE + 1, 1));
            assert!(!a.owns(big));
            a.dealloc(big, layout(SIZE + 1, 1));
            // Growing a block that is not the last one moves it, keeping its bytes.
            let p = a.alloc(layout(4, 1));
            p.copy_from(b"abcd".as_ptr(), 4);
            let q = a.alloc(layout(4, 1));
            let p2 = a.realloc(p, layout(4, 1), 8);
            assert_ne!(p2, p);
            assert_eq!(core::slice::from_raw_parts(p2, 4), b"abcd");
            a.dealloc(q, layout(4, 1));
            a.dealloc(p2, layout(8, 1));
            assert_eq!(*a.arena.live.get(), 0);
            // Zeroed allocations are zero even where the arena was used before.
            let z = a.alloc_zeroed(layout(16, 1));
            assert!(core::slice::from_raw_parts(z, 16).iter().all(|&b| b == 0));
            a.dealloc(z, layout(16, 1));
            // An arena block can grow past the arena into the system allocator.
            let s = a.alloc(layout(16, 1));
            let s2 = a.realloc(s, layout(16, 1), SIZE * 2);
            assert!(!a.owns(s2));
            a.dealloc(s2, layout(SIZE * 2, 1));
        }
    }
}
