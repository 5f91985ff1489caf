//! The canonical ABI, as trait impls: how each Rust type crosses the component boundary.
//!
//! Every type a plugin function takes or returns implements
//! [`WitType`](crate::WitType), whose associated consts describe the type's
//! canonical-ABI shape (its flattened core types, its size and alignment in
//! linear memory) and whose methods move a value in and out of flat core values
//! and linear memory. This module holds the machinery those impls and the
//! generated glue share. The `#[function]` macro only ever names
//! `<T as WitType>::...`, so rustc resolves `T` wherever it is declared: this is
//! how one attribute knows the layout of a record it cannot see.
//!
//! Flat values travel as `u64` bit containers: an `i32` as its zero-extended
//! bits, an `f32` as its bit pattern, and so on. The canonical ABI's coercions
//! between joined variant slots (`f32` in an `i32` slot, `i32` or `f32` in an `i64`
//! slot, `f64` in an `i64` slot) then reduce to "read the low bits", which is what
//! every `lift` does.

use core::mem::MaybeUninit;
use std::alloc::Layout;

use crate::types::{WitPayload, WitType};

/// No core value: an unused slot.
pub const NONE: u8 = 0;
/// The core type `i32`.
pub const I32: u8 = 1;
/// The core type `i64`.
pub const I64: u8 = 2;
/// The core type `f32`.
pub const F32: u8 = 3;
/// The core type `f64`.
pub const F64: u8 = 4;

/// At most this many flat values are passed as parameters; more go through memory.
pub const MAX_FLAT_PARAMS: usize = 16;
/// At most this many flat values are returned directly; more go through a return area.
pub const MAX_FLAT_RESULTS: usize = 1;

/// One more than [`MAX_FLAT_PARAMS`]: a [`Flat`] this long is known to overflow.
const CAP: usize = MAX_FLAT_PARAMS + 1;

/// A type's flattened core types, saturating at 17 entries.
///
/// Beyond 16 values the canonical ABI passes everything through memory, so the
/// exact list past that point never matters; [`Flat::overflows`] says whether
/// it was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flat {
    len: usize,
    tys: [u8; CAP],
}

impl Flat {
    /// No flat values, as for `()`.
    pub const EMPTY: Flat = Flat {
        len: 0,
        tys: [NONE; CAP],
    };

    /// A single core type.
    pub const fn one(ty: u8) -> Flat {
        let mut f = Flat::EMPTY;
        f.tys[0] = ty;
        f.len = 1;
        f
    }

    /// Two core types.
    pub const fn two(a: u8, b: u8) -> Flat {
        Flat::one(a).concat(Flat::one(b))
    }

    /// `self` followed by `other`, as for consecutive record fields or parameters.
    pub const fn concat(self, other: Flat) -> Flat {
        let mut out = self;
        let mut i = 0;
        while i < other.len && out.len < CAP {
            out.tys[out.len] = other.tys[i];
            out.len += 1;
            i += 1;
        }
        out
    }

    /// The slot-wise join of two variant cases' payloads (canonical ABI `join`).
    pub const fn join(self, other: Flat) -> Flat {
        let len = if self.len > other.len {
            self.len
        } else {
            other.len
        };
        let mut out = Flat::EMPTY;
        let mut i = 0;
        while i < len {
            let a = self.tys[i];
            let b = other.tys[i];
            out.tys[i] = if a == NONE {
                b
            } else if b == NONE || a == b {
                a
            } else if (a == I32 && b == F32) || (a == F32 && b == I32) {
                I32
            } else {
                I64
            };
            i += 1;
        }
        out.len = len;
        out
    }

    /// The flat form of a variant: an `i32` discriminant, then the join of every case.
    pub const fn variant(cases: &[Flat]) -> Flat {
        let mut payload = Flat::EMPTY;
        let mut i = 0;
        while i < cases.len() {
            payload = payload.join(cases[i]);
            i += 1;
        }
        Flat::one(I32).concat(payload)
    }

    /// The concatenation of several flat lists, as for a record or a tuple.
    pub const fn all(parts: &[Flat]) -> Flat {
        let mut out = Flat::EMPTY;
        let mut i = 0;
        while i < parts.len() {
            out = out.concat(parts[i]);
            i += 1;
        }
        out
    }

    /// How many flat values; 17 means "more than 16".
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no flat values.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the list is longer than [`MAX_FLAT_PARAMS`].
    pub const fn overflows(&self) -> bool {
        self.len > MAX_FLAT_PARAMS
    }

    /// The core type in slot `i`, or [`NONE`] past the end.
    pub const fn at(&self, i: usize) -> u8 {
        if i < self.len { self.tys[i] } else { NONE }
    }

    /// The core parameters of an export taking these flat values: the values
    /// themselves, or a single `i32` pointer when there are more than 16.
    pub const fn params(self) -> Flat {
        if self.overflows() {
            Flat::one(I32)
        } else {
            self
        }
    }

    /// The core result of an export returning these flat values: nothing, the
    /// single value, or an `i32` pointer to a return area.
    pub const fn result(self) -> u8 {
        match self.len {
            0 => NONE,
            1 => self.tys[0],
            _ => I32,
        }
    }
}

/// Rounds `offset` up to a multiple of `align`.
pub const fn align_to(offset: usize, align: usize) -> usize {
    offset.div_ceil(align) * align
}

/// The largest of several alignments (at least 1).
pub const fn max_align(aligns: &[usize]) -> usize {
    let mut out = 1;
    let mut i = 0;
    while i < aligns.len() {
        if aligns[i] > out {
            out = aligns[i];
        }
        i += 1;
    }
    out
}

/// Size and alignment of a record (or tuple) with these `(size, align)` fields.
pub const fn record_layout(fields: &[(usize, usize)]) -> (usize, usize) {
    let mut size = 0;
    let mut align = 1;
    let mut i = 0;
    while i < fields.len() {
        let (s, a) = fields[i];
        size = align_to(size, a) + s;
        if a > align {
            align = a;
        }
        i += 1;
    }
    (align_to(size, align), align)
}

/// Byte offsets of each field of a record laid out by [`record_layout`].
pub const fn field_offset(fields: &[(usize, usize)], index: usize) -> usize {
    let mut offset = 0;
    let mut i = 0;
    while i < index {
        let (s, a) = fields[i];
        offset = align_to(offset, a) + s;
        i += 1;
    }
    align_to(offset, fields[index].1)
}

/// Bytes the discriminant of a variant with `cases` cases takes in memory.
pub const fn discriminant_size(cases: usize) -> usize {
    if cases <= 1 << 8 {
        1
    } else if cases <= 1 << 16 {
        2
    } else {
        4
    }
}

/// `(size, align, payload offset)` of a variant whose cases' payloads have
/// these `(size, align)` (use `(0, 1)` for a case without payload).
pub const fn variant_layout(cases: &[(usize, usize)]) -> (usize, usize, usize) {
    let disc = discriminant_size(cases.len());
    let mut payload_size = 0;
    let mut align = disc;
    let mut i = 0;
    while i < cases.len() {
        let (s, a) = cases[i];
        if s > payload_size {
            payload_size = s;
        }
        if a > align {
            align = a;
        }
        i += 1;
    }
    let offset = align_to(disc, align);
    (align_to(offset + payload_size, align), align, offset)
}

/// A core value as it appears in an `extern "C"` signature: `()` (an unused
/// slot, which vanishes from the wasm signature), `i32`, `i64`, `f32` or `f64`.
pub trait Slot: Copy {
    /// The value's bits in a `u64` container.
    fn to_bits(self) -> u64;
    /// The value from the low bits of a container.
    fn from_bits(bits: u64) -> Self;
}

impl Slot for () {
    #[inline(always)]
    fn to_bits(self) -> u64 {
        0
    }
    #[inline(always)]
    fn from_bits(_: u64) -> Self {}
}

impl Slot for i32 {
    #[inline(always)]
    fn to_bits(self) -> u64 {
        self as u32 as u64
    }
    #[inline(always)]
    fn from_bits(bits: u64) -> Self {
        bits as u32 as i32
    }
}

impl Slot for i64 {
    #[inline(always)]
    fn to_bits(self) -> u64 {
        self as u64
    }
    #[inline(always)]
    fn from_bits(bits: u64) -> Self {
        bits as i64
    }
}

impl Slot for f32 {
    #[inline(always)]
    fn to_bits(self) -> u64 {
        f32::to_bits(self) as u64
    }
    #[inline(always)]
    fn from_bits(bits: u64) -> Self {
        f32::from_bits(bits as u32)
    }
}

impl Slot for f64 {
    #[inline(always)]
    fn to_bits(self) -> u64 {
        f64::to_bits(self)
    }
    #[inline(always)]
    fn from_bits(bits: u64) -> Self {
        f64::from_bits(bits)
    }
}

/// Selects a [`Slot`] type from a core-type code: `Pick<{ I32 }>` is `i32`.
pub struct Sel<const CODE: u8>;

/// Maps a [`Sel`] to its slot type.
pub trait SelectSlot {
    /// The selected type.
    type Slot: Slot;
}

impl SelectSlot for Sel<NONE> {
    type Slot = ();
}
impl SelectSlot for Sel<I32> {
    type Slot = i32;
}
impl SelectSlot for Sel<I64> {
    type Slot = i64;
}
impl SelectSlot for Sel<F32> {
    type Slot = f32;
}
impl SelectSlot for Sel<F64> {
    type Slot = f64;
}

/// The `extern "C"` type of a core-type code, chosen at compile time.
pub type Pick<const CODE: u8> = <Sel<CODE> as SelectSlot>::Slot;

/// Writes flat values, in order.
pub struct Lower {
    buf: [u64; MAX_FLAT_PARAMS],
    pos: usize,
}

impl Default for Lower {
    fn default() -> Self {
        Self::new()
    }
}

impl Lower {
    /// An empty writer; unused slots read as zero.
    #[inline(always)]
    pub fn new() -> Self {
        Lower {
            buf: [0; MAX_FLAT_PARAMS],
            pos: 0,
        }
    }
    /// Appends one flat value.
    #[inline(always)]
    pub fn push(&mut self, bits: u64) {
        self.buf[self.pos] = bits;
        self.pos += 1;
    }
    /// The position of the next value.
    #[inline(always)]
    pub fn pos(&self) -> usize {
        self.pos
    }
    /// Moves to `pos`, leaving skipped slots zero (the padding of a variant case).
    #[inline(always)]
    pub fn seek(&mut self, pos: usize) {
        self.pos = pos;
    }
    /// The flat value in slot `i`.
    #[inline(always)]
    pub fn get(&self, i: usize) -> u64 {
        self.buf[i]
    }
}

/// Reads flat values, in order.
pub struct Lift<'a> {
    buf: &'a [u64],
    pos: usize,
}

impl<'a> Lift<'a> {
    /// A reader over `buf`.
    #[inline(always)]
    pub fn new(buf: &'a [u64]) -> Self {
        Lift { buf, pos: 0 }
    }
    /// Takes the next flat value.
    #[inline(always)]
    pub fn pop(&mut self) -> u64 {
        let bits = self.buf[self.pos];
        self.pos += 1;
        bits
    }
    /// The position of the next value.
    #[inline(always)]
    pub fn pos(&self) -> usize {
        self.pos
    }
    /// Moves to `pos`, past the padding of a variant case.
    #[inline(always)]
    pub fn seek(&mut self, pos: usize) {
        self.pos = pos;
    }
}

pub(crate) fn to_char(code: u32) -> char {
    match char::from_u32(code) {
        Some(c) => c,
        None => invalid("a `char` that is not a Unicode scalar value"),
    }
}

/// Traps on a value the canonical ABI forbids (an out-of-range discriminant, a
/// surrogate `char`): the host broke the ABI, and the call must not go on.
#[cold]
#[inline(never)]
pub fn invalid(what: &str) -> ! {
    panic!("the host passed {what}")
}

/// Writes a `u32` at `ptr + offset`.
///
/// # Safety
///
/// The address must be valid and 4-aligned.
#[inline(always)]
pub unsafe fn write_u32(ptr: *mut u8, offset: usize, value: u32) {
    // SAFETY: guaranteed by the caller.
    unsafe { ptr.add(offset).cast::<u32>().write(value) }
}

/// Reads a `u32` at `ptr + offset`.
///
/// # Safety
///
/// The address must be valid and 4-aligned.
#[inline(always)]
pub unsafe fn read_u32(ptr: *const u8, offset: usize) -> u32 {
    // SAFETY: guaranteed by the caller.
    unsafe { ptr.add(offset).cast::<u32>().read() }
}

/// Gives up a vector's memory as the canonical `(pointer, length)` of a list.
#[inline]
pub fn list_into_raw<T: WitType>(list: Vec<T>) -> (u32, u32) {
    let len = list.len();
    if <T as WitType>::DIRECT {
        let ptr = Box::into_raw(list.into_boxed_slice()).cast::<u8>();
        return (ptr as usize as u32, len as u32);
    }
    if len == 0 {
        return (<T as WitType>::ALIGN as u32, 0);
    }
    let layout = list_layout::<T>(len);
    // SAFETY: `layout` has a non-zero size (every WIT type takes at least one byte).
    let base = unsafe { std::alloc::alloc(layout) };
    if base.is_null() {
        std::alloc::handle_alloc_error(layout);
    }
    for (i, item) in list.into_iter().enumerate() {
        // SAFETY: `base` holds `len` elements of `SIZE` bytes at `ALIGN`.
        unsafe { <T as WitType>::store(item, base.add(i * <T as WitType>::SIZE)) };
    }
    (base as usize as u32, len as u32)
}

/// Takes ownership of a canonical list at `ptr` with `len` elements.
///
/// # Safety
///
/// `ptr` must be an allocation of `len * <T as WitType>::SIZE` bytes at `<T as WitType>::ALIGN` from the
/// global allocator (or dangling when that is zero), holding `len` stored values.
#[inline]
pub unsafe fn list_from_raw<T: WitType>(ptr: u32, len: u32) -> Vec<T> {
    let ptr = ptr as usize as *mut u8;
    let len = len as usize;
    if <T as WitType>::DIRECT {
        // SAFETY: the layout of `T` in memory is its canonical layout, and the
        // allocation was made for exactly `len` of them.
        return unsafe { Vec::from_raw_parts(ptr.cast::<T>(), len, len) };
    }
    if len == 0 {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(len);
    for i in 0..len {
        // SAFETY: guaranteed by the caller.
        out.push(unsafe { <T as WitType>::load(ptr.add(i * <T as WitType>::SIZE)) });
    }
    // SAFETY: the allocation was made with this layout.
    unsafe { std::alloc::dealloc(ptr, list_layout::<T>(len)) };
    out
}

fn list_layout<T: WitType>(len: usize) -> Layout {
    match Layout::from_size_align(len * <T as WitType>::SIZE, <T as WitType>::ALIGN) {
        Ok(layout) => layout,
        Err(_) => invalid("a list too large for memory"),
    }
}

/// Writes a variant's discriminant at `ptr`, in the width its case count needs.
///
/// # Safety
///
/// `ptr` must be valid for the discriminant's size and aligned to it.
#[inline(always)]
pub unsafe fn store_discriminant(ptr: *mut u8, cases: usize, value: u32) {
    // SAFETY: guaranteed by the caller.
    unsafe {
        match discriminant_size(cases) {
            1 => ptr.write(value as u8),
            2 => ptr.cast::<u16>().write(value as u16),
            _ => ptr.cast::<u32>().write(value),
        }
    }
}

/// Reads a variant's discriminant at `ptr`.
///
/// # Safety
///
/// As for [`store_discriminant`].
#[inline(always)]
pub unsafe fn load_discriminant(ptr: *const u8, cases: usize) -> u32 {
    // SAFETY: guaranteed by the caller.
    unsafe {
        match discriminant_size(cases) {
            1 => ptr.read() as u32,
            2 => ptr.cast::<u16>().read() as u32,
            _ => ptr.cast::<u32>().read(),
        }
    }
}

/// Lowers one case of a variant: its discriminant, its payload, and the zero
/// padding up to the variant's joined width.
#[inline(always)]
pub fn lower_case<V: WitType, P: WitPayload>(out: &mut Lower, discriminant: u32, payload: P) {
    out.push(discriminant as u64);
    let start = out.pos();
    <P as WitPayload>::lower(payload, out);
    out.seek(start + <V as WitType>::FLAT.len() - 1);
}

/// Lifts one case's payload of a variant whose discriminant was just read,
/// and moves past the variant's joined width.
///
/// # Safety
///
/// As for [`WitType::lift`].
#[inline(always)]
pub unsafe fn lift_case<V: WitType, P: WitPayload>(src: &mut Lift<'_>) -> P {
    let start = src.pos();
    // SAFETY: guaranteed by the caller.
    let payload = unsafe { <P as WitPayload>::lift(src) };
    src.seek(start + <V as WitType>::FLAT.len() - 1);
    payload
}

/// A return area: static, aligned memory for a result of more than one flat value.
///
/// Plugins are single-threaded, and the host reads the area (and calls the
/// export's post-return function) before it calls into the plugin again.
#[repr(C, align(8))]
pub struct RetArea<const SIZE: usize>(core::cell::UnsafeCell<MaybeUninit<[u8; SIZE]>>);

// SAFETY: wasm32 plugins have one thread; the area is never shared across threads.
unsafe impl<const SIZE: usize> Sync for RetArea<SIZE> {}

impl<const SIZE: usize> RetArea<SIZE> {
    /// An uninitialized area.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        RetArea(core::cell::UnsafeCell::new(MaybeUninit::uninit()))
    }
    /// Its address.
    pub fn ptr(&self) -> *mut u8 {
        self.0.get().cast()
    }
}

/// Frees the memory the host allocated for spilled parameters (a tuple laid out
/// by `fields`), once they have been loaded.
///
/// # Safety
///
/// `ptr` must be that allocation, and nothing may use it afterwards.
#[inline]
pub unsafe fn free_params(ptr: *mut u8, fields: &[(usize, usize)]) {
    let (size, align) = record_layout(fields);
    if size != 0 {
        // SAFETY: the host allocated `size` bytes at `align` through `cabi_realloc`.
        unsafe { std::alloc::dealloc(ptr, Layout::from_size_align_unchecked(size, align)) }
    }
}

/// Returns an export's result: nothing, its single flat value, or a pointer to
/// `area` after storing it there.
///
/// # Safety
///
/// `area` must be valid for `R::SIZE` bytes at `R::ALIGN`, and not in use.
#[inline(always)]
pub unsafe fn lower_result<R: WitPayload, S: Slot>(value: R, area: *mut u8) -> S {
    match <R as WitPayload>::FLAT.len() {
        0 => {
            drop(value);
            S::from_bits(0)
        }
        1 => {
            let mut out = Lower::new();
            <R as WitPayload>::lower(value, &mut out);
            S::from_bits(out.get(0))
        }
        _ => {
            // SAFETY: guaranteed by the caller.
            unsafe { <R as WitPayload>::store(value, area) };
            S::from_bits(area as usize as u64)
        }
    }
}

/// Frees what an export's stored result owns, after the host has read it.
///
/// # Safety
///
/// `bits` must be what the export returned, and the host must be done with it.
#[inline]
pub unsafe fn post_return<R: WitPayload>(bits: u64) {
    if <R as WitPayload>::FLAT.len() > 1 && core::mem::needs_drop::<R>() {
        // SAFETY: the return area holds the stored result, whose memory the
        // plugin still owns; loading it back and dropping it frees that memory.
        drop(unsafe { <R as WitPayload>::load(bits as u32 as usize as *const u8) });
    }
}

/// A result an export frees when it is next called, instead of in a
/// post-return function the host would have to call.
pub struct Pending(core::sync::atomic::AtomicU64);

impl Pending {
    const NONE: u64 = u64::MAX;

    /// Nothing pending.
    pub const fn new() -> Pending {
        Pending(core::sync::atomic::AtomicU64::new(Self::NONE))
    }

    /// Remembers the result just returned.
    #[inline]
    pub fn keep(&self, bits: u64) {
        self.0.store(bits, core::sync::atomic::Ordering::Relaxed);
    }

    /// Frees the result kept, if any.
    ///
    /// # Safety
    ///
    /// The host must be done with it: it is, once it calls the export again.
    #[inline]
    pub unsafe fn release<R: WitPayload>(&self) {
        let bits = self
            .0
            .swap(Self::NONE, core::sync::atomic::Ordering::Relaxed);
        if bits != Self::NONE {
            // SAFETY: `bits` is what the export returned; guaranteed by the caller.
            unsafe { post_return::<R>(bits) }
        }
    }
}

impl Default for Pending {
    fn default() -> Self {
        Self::new()
    }
}
