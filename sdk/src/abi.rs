//! The canonical ABI, as trait impls: how each Rust type crosses the component boundary.
//!
//! Every type a plugin function takes or returns implements [`Abi`]. Its
//! associated consts describe the type's canonical-ABI shape (its flattened core
//! types, its size and alignment in linear memory), and its methods move a value
//! in and out of flat core values and linear memory. The `#[function]` macro only
//! ever names `<T as Abi>::...`, so rustc resolves `T` wherever it is declared:
//! this is how one attribute knows the layout of a record it cannot see.
//!
//! Flat values travel as `u64` bit containers: an `i32` as its zero-extended
//! bits, an `f32` as its bit pattern, and so on. The canonical ABI's coercions
//! between joined variant slots (`f32` in an `i32` slot, `i32` or `f32` in an `i64`
//! slot, `f64` in an `i64` slot) then reduce to "read the low bits", which is what
//! every `lift` does.

use core::mem::MaybeUninit;
use std::alloc::Layout;

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

/// How a type crosses the component boundary under the canonical ABI.
///
/// # Safety
///
/// `FLAT`, `SIZE` and `ALIGN` must describe the canonical-ABI shape of the WIT
/// type the implementor maps to, and the methods must read and write exactly
/// that shape: the host trusts it, and wit-component checks only the flattened
/// signatures. `lift` and `load` take ownership of any memory the value points
/// to; `lower` and `store` hand ownership of the value's memory to the reader.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross the plugin boundary",
    label = "`{Self}` has no WIT type",
    note = "derive one: `#[derive(ferrite_plugin::Record)]` on a struct with named fields, `#[derive(ferrite_plugin::Enum)]` on an enum"
)]
pub unsafe trait Abi: Sized {
    /// Flattened core types.
    const FLAT: Flat;
    /// Size in linear memory, in bytes.
    const SIZE: usize;
    /// Alignment in linear memory, in bytes.
    const ALIGN: usize;
    /// Whether a list of this type has the same memory layout as a Rust slice of
    /// it, with every bit pattern valid, so lists move without copying.
    const DIRECT: bool = false;

    /// Writes the value's flat values.
    fn lower(self, out: &mut Lower);
    /// Reads a value from flat values.
    ///
    /// # Safety
    ///
    /// The values must be a lowering of this type; any pointers among them must
    /// be owned allocations of the global allocator.
    unsafe fn lift(src: &mut Lift<'_>) -> Self;
    /// Writes the value at `ptr` in its memory layout.
    ///
    /// # Safety
    ///
    /// `ptr` must be valid for `SIZE` bytes and aligned to `ALIGN`.
    unsafe fn store(self, ptr: *mut u8);
    /// Reads a value stored at `ptr`, taking ownership of what it points to.
    ///
    /// # Safety
    ///
    /// `ptr` must hold a value of this type in its memory layout whose pointers
    /// are owned allocations of the global allocator.
    unsafe fn load(ptr: *const u8) -> Self;
}

// `()` has no flat values and no bytes: it is the empty payload of a result
// (`result<_, E>`) and a function that returns nothing.
unsafe impl Abi for () {
    const FLAT: Flat = Flat::EMPTY;
    const SIZE: usize = 0;
    const ALIGN: usize = 1;
    #[inline(always)]
    fn lower(self, _: &mut Lower) {}
    #[inline(always)]
    unsafe fn lift(_: &mut Lift<'_>) -> Self {}
    #[inline(always)]
    unsafe fn store(self, _: *mut u8) {}
    #[inline(always)]
    unsafe fn load(_: *const u8) -> Self {}
}

macro_rules! primitive {
    ($($t:ty => $flat:ident, $direct:expr, |$v:ident| $to:expr, |$b:ident| $from:expr;)*) => {$(
        unsafe impl Abi for $t {
            const FLAT: Flat = Flat::one($flat);
            const SIZE: usize = core::mem::size_of::<$t>();
            const ALIGN: usize = core::mem::align_of::<$t>();
            const DIRECT: bool = $direct;
            #[inline(always)]
            fn lower(self, out: &mut Lower) {
                let $v = self;
                out.push($to);
            }
            #[inline(always)]
            unsafe fn lift(src: &mut Lift<'_>) -> Self {
                let $b = src.pop();
                $from
            }
            #[inline(always)]
            unsafe fn store(self, ptr: *mut u8) {
                // SAFETY: the caller gives a pointer valid and aligned for `SIZE` bytes.
                unsafe { ptr.cast::<$t>().write(self) }
            }
            #[inline(always)]
            unsafe fn load(ptr: *const u8) -> Self {
                // SAFETY: as for `store`; every bit pattern is a valid `$t`.
                unsafe { ptr.cast::<$t>().read() }
            }
        }
    )*};
}

primitive! {
    u8 => I32, true, |v| v as u64, |b| b as u8;
    i8 => I32, true, |v| v as i32 as u32 as u64, |b| b as u8 as i8;
    u16 => I32, true, |v| v as u64, |b| b as u16;
    i16 => I32, true, |v| v as i32 as u32 as u64, |b| b as u16 as i16;
    u32 => I32, true, |v| v as u64, |b| b as u32;
    i32 => I32, true, |v| v as u32 as u64, |b| b as u32 as i32;
    u64 => I64, true, |v| v, |b| b;
    i64 => I64, true, |v| v as u64, |b| b as i64;
    f32 => F32, true, |v| v.to_bits() as u64, |b| f32::from_bits(b as u32);
    f64 => F64, true, |v| v.to_bits(), |b| f64::from_bits(b);
}

unsafe impl Abi for bool {
    const FLAT: Flat = Flat::one(I32);
    const SIZE: usize = 1;
    const ALIGN: usize = 1;
    #[inline(always)]
    fn lower(self, out: &mut Lower) {
        out.push(self as u64);
    }
    #[inline(always)]
    unsafe fn lift(src: &mut Lift<'_>) -> Self {
        src.pop() as u32 != 0
    }
    #[inline(always)]
    unsafe fn store(self, ptr: *mut u8) {
        // SAFETY: the caller gives a pointer valid for one byte.
        unsafe { ptr.write(self as u8) }
    }
    #[inline(always)]
    unsafe fn load(ptr: *const u8) -> Self {
        // SAFETY: as for `store`. Any non-zero byte is `true`, as the canonical ABI says.
        unsafe { ptr.read() != 0 }
    }
}

unsafe impl Abi for char {
    const FLAT: Flat = Flat::one(I32);
    const SIZE: usize = 4;
    const ALIGN: usize = 4;
    #[inline(always)]
    fn lower(self, out: &mut Lower) {
        out.push(self as u64);
    }
    #[inline(always)]
    unsafe fn lift(src: &mut Lift<'_>) -> Self {
        to_char(src.pop() as u32)
    }
    #[inline(always)]
    unsafe fn store(self, ptr: *mut u8) {
        // SAFETY: the caller gives a pointer valid and aligned for 4 bytes.
        unsafe { ptr.cast::<u32>().write(self as u32) }
    }
    #[inline(always)]
    unsafe fn load(ptr: *const u8) -> Self {
        // SAFETY: as for `store`.
        to_char(unsafe { ptr.cast::<u32>().read() })
    }
}

fn to_char(code: u32) -> char {
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
pub fn list_into_raw<T: Abi>(list: Vec<T>) -> (u32, u32) {
    let len = list.len();
    if T::DIRECT {
        let ptr = Box::into_raw(list.into_boxed_slice()).cast::<u8>();
        return (ptr as usize as u32, len as u32);
    }
    if len == 0 {
        return (T::ALIGN as u32, 0);
    }
    let layout = list_layout::<T>(len);
    // SAFETY: `layout` has a non-zero size (every WIT type takes at least one byte).
    let base = unsafe { std::alloc::alloc(layout) };
    if base.is_null() {
        std::alloc::handle_alloc_error(layout);
    }
    for (i, item) in list.into_iter().enumerate() {
        // SAFETY: `base` holds `len` elements of `SIZE` bytes at `ALIGN`.
        unsafe { item.store(base.add(i * T::SIZE)) };
    }
    (base as usize as u32, len as u32)
}

/// Takes ownership of a canonical list at `ptr` with `len` elements.
///
/// # Safety
///
/// `ptr` must be an allocation of `len * T::SIZE` bytes at `T::ALIGN` from the
/// global allocator (or dangling when that is zero), holding `len` stored values.
#[inline]
pub unsafe fn list_from_raw<T: Abi>(ptr: u32, len: u32) -> Vec<T> {
    let ptr = ptr as usize as *mut u8;
    let len = len as usize;
    if T::DIRECT {
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
        out.push(unsafe { T::load(ptr.add(i * T::SIZE)) });
    }
    // SAFETY: the allocation was made with this layout.
    unsafe { std::alloc::dealloc(ptr, list_layout::<T>(len)) };
    out
}

fn list_layout<T: Abi>(len: usize) -> Layout {
    match Layout::from_size_align(len * T::SIZE, T::ALIGN) {
        Ok(layout) => layout,
        Err(_) => invalid("a list too large for memory"),
    }
}

unsafe impl<T: Abi> Abi for Vec<T> {
    const FLAT: Flat = Flat::two(I32, I32);
    const SIZE: usize = 8;
    const ALIGN: usize = 4;
    #[inline]
    fn lower(self, out: &mut Lower) {
        let (ptr, len) = list_into_raw(self);
        out.push(ptr as u64);
        out.push(len as u64);
    }
    #[inline]
    unsafe fn lift(src: &mut Lift<'_>) -> Self {
        let ptr = src.pop() as u32;
        let len = src.pop() as u32;
        // SAFETY: guaranteed by the caller of `lift`.
        unsafe { list_from_raw(ptr, len) }
    }
    #[inline]
    unsafe fn store(self, ptr: *mut u8) {
        let (p, len) = list_into_raw(self);
        // SAFETY: the caller gives 8 bytes at 4-alignment.
        unsafe {
            write_u32(ptr, 0, p);
            write_u32(ptr, 4, len);
        }
    }
    #[inline]
    unsafe fn load(ptr: *const u8) -> Self {
        // SAFETY: guaranteed by the caller of `load`.
        unsafe { list_from_raw(read_u32(ptr, 0), read_u32(ptr, 4)) }
    }
}

unsafe impl Abi for String {
    const FLAT: Flat = Flat::two(I32, I32);
    const SIZE: usize = 8;
    const ALIGN: usize = 4;
    #[inline]
    fn lower(self, out: &mut Lower) {
        self.into_bytes().lower(out)
    }
    #[inline]
    unsafe fn lift(src: &mut Lift<'_>) -> Self {
        // SAFETY: the host lowers strings as UTF-8 (the component's string
        // encoding), so the bytes are valid UTF-8.
        unsafe { String::from_utf8_unchecked(Vec::<u8>::lift(src)) }
    }
    #[inline]
    unsafe fn store(self, ptr: *mut u8) {
        // SAFETY: as for `Vec<u8>`.
        unsafe { self.into_bytes().store(ptr) }
    }
    #[inline]
    unsafe fn load(ptr: *const u8) -> Self {
        // SAFETY: as for `lift`.
        unsafe { String::from_utf8_unchecked(Vec::<u8>::load(ptr)) }
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
pub fn lower_case<V: Abi, P: Abi>(out: &mut Lower, discriminant: u32, payload: P) {
    out.push(discriminant as u64);
    let start = out.pos();
    payload.lower(out);
    out.seek(start + V::FLAT.len() - 1);
}

/// Lifts one case's payload of a variant whose discriminant was just read,
/// and moves past the variant's joined width.
///
/// # Safety
///
/// As for [`Abi::lift`].
#[inline(always)]
pub unsafe fn lift_case<V: Abi, P: Abi>(src: &mut Lift<'_>) -> P {
    let start = src.pos();
    // SAFETY: guaranteed by the caller.
    let payload = unsafe { P::lift(src) };
    src.seek(start + V::FLAT.len() - 1);
    payload
}

unsafe impl<T: Abi> Abi for Option<T> {
    const FLAT: Flat = Flat::variant(&[Flat::EMPTY, T::FLAT]);
    const SIZE: usize = variant_layout(&[(0, 1), (T::SIZE, T::ALIGN)]).0;
    const ALIGN: usize = variant_layout(&[(0, 1), (T::SIZE, T::ALIGN)]).1;
    #[inline]
    fn lower(self, out: &mut Lower) {
        match self {
            None => lower_case::<Self, ()>(out, 0, ()),
            Some(v) => lower_case::<Self, T>(out, 1, v),
        }
    }
    #[inline]
    unsafe fn lift(src: &mut Lift<'_>) -> Self {
        // SAFETY: guaranteed by the caller.
        unsafe {
            match src.pop() as u32 {
                0 => {
                    lift_case::<Self, ()>(src);
                    None
                }
                1 => Some(lift_case::<Self, T>(src)),
                _ => invalid("an `option` discriminant out of range"),
            }
        }
    }
    #[inline]
    unsafe fn store(self, ptr: *mut u8) {
        let offset = variant_layout(&[(0, 1), (T::SIZE, T::ALIGN)]).2;
        // SAFETY: the caller gives `SIZE` bytes at `ALIGN`.
        unsafe {
            match self {
                None => store_discriminant(ptr, 2, 0),
                Some(v) => {
                    store_discriminant(ptr, 2, 1);
                    v.store(ptr.add(offset));
                }
            }
        }
    }
    #[inline]
    unsafe fn load(ptr: *const u8) -> Self {
        let offset = variant_layout(&[(0, 1), (T::SIZE, T::ALIGN)]).2;
        // SAFETY: guaranteed by the caller.
        unsafe {
            match load_discriminant(ptr, 2) {
                0 => None,
                1 => Some(T::load(ptr.add(offset))),
                _ => invalid("an `option` discriminant out of range"),
            }
        }
    }
}

unsafe impl<T: Abi, E: Abi> Abi for Result<T, E> {
    const FLAT: Flat = Flat::variant(&[T::FLAT, E::FLAT]);
    const SIZE: usize = variant_layout(&[(T::SIZE, T::ALIGN), (E::SIZE, E::ALIGN)]).0;
    const ALIGN: usize = variant_layout(&[(T::SIZE, T::ALIGN), (E::SIZE, E::ALIGN)]).1;
    #[inline]
    fn lower(self, out: &mut Lower) {
        match self {
            Ok(v) => lower_case::<Self, T>(out, 0, v),
            Err(e) => lower_case::<Self, E>(out, 1, e),
        }
    }
    #[inline]
    unsafe fn lift(src: &mut Lift<'_>) -> Self {
        // SAFETY: guaranteed by the caller.
        unsafe {
            match src.pop() as u32 {
                0 => Ok(lift_case::<Self, T>(src)),
                1 => Err(lift_case::<Self, E>(src)),
                _ => invalid("a `result` discriminant out of range"),
            }
        }
    }
    #[inline]
    unsafe fn store(self, ptr: *mut u8) {
        let offset = variant_layout(&[(T::SIZE, T::ALIGN), (E::SIZE, E::ALIGN)]).2;
        // SAFETY: the caller gives `SIZE` bytes at `ALIGN`.
        unsafe {
            match self {
                Ok(v) => {
                    store_discriminant(ptr, 2, 0);
                    v.store(ptr.add(offset));
                }
                Err(e) => {
                    store_discriminant(ptr, 2, 1);
                    e.store(ptr.add(offset));
                }
            }
        }
    }
    #[inline]
    unsafe fn load(ptr: *const u8) -> Self {
        let offset = variant_layout(&[(T::SIZE, T::ALIGN), (E::SIZE, E::ALIGN)]).2;
        // SAFETY: guaranteed by the caller.
        unsafe {
            match load_discriminant(ptr, 2) {
                0 => Ok(T::load(ptr.add(offset))),
                1 => Err(E::load(ptr.add(offset))),
                _ => invalid("a `result` discriminant out of range"),
            }
        }
    }
}

macro_rules! tuple {
    ($(($($t:ident $v:ident $i:tt),+))*) => {$(
        unsafe impl<$($t: Abi),+> Abi for ($($t,)+) {
            const FLAT: Flat = Flat::all(&[$($t::FLAT),+]);
            const SIZE: usize = record_layout(&[$(($t::SIZE, $t::ALIGN)),+]).0;
            const ALIGN: usize = record_layout(&[$(($t::SIZE, $t::ALIGN)),+]).1;
            #[inline]
            fn lower(self, out: &mut Lower) {
                let ($($v,)+) = self;
                $($v.lower(out);)+
            }
            #[inline]
            unsafe fn lift(src: &mut Lift<'_>) -> Self {
                // SAFETY: guaranteed by the caller; fields lift in order.
                unsafe { ($($t::lift(src),)+) }
            }
            #[inline]
            unsafe fn store(self, ptr: *mut u8) {
                let fields = [$(($t::SIZE, $t::ALIGN)),+];
                let ($($v,)+) = self;
                // SAFETY: the caller gives `SIZE` bytes at `ALIGN`.
                unsafe { $($v.store(ptr.add(field_offset(&fields, $i)));)+ }
            }
            #[inline]
            unsafe fn load(ptr: *const u8) -> Self {
                let fields = [$(($t::SIZE, $t::ALIGN)),+];
                // SAFETY: guaranteed by the caller.
                unsafe { ($($t::load(ptr.add(field_offset(&fields, $i))),)+) }
            }
        }
    )*};
}

tuple! {
    (A a 0)
    (A a 0, B b 1)
    (A a 0, B b 1, C c 2)
    (A a 0, B b 1, C c 2, D d 3)
    (A a 0, B b 1, C c 2, D d 3, E e 4)
    (A a 0, B b 1, C c 2, D d 3, E e 4, F f 5)
    (A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6)
    (A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7)
    (A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8)
    (A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8, J j 9)
    (A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8, J j 9, K k 10)
    (A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8, J j 9, K k 10, L l 11)
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
pub unsafe fn lower_result<R: Abi, S: Slot>(value: R, area: *mut u8) -> S {
    match R::FLAT.len() {
        0 => {
            drop(value);
            S::from_bits(0)
        }
        1 => {
            let mut out = Lower::new();
            value.lower(&mut out);
            S::from_bits(out.get(0))
        }
        _ => {
            // SAFETY: guaranteed by the caller.
            unsafe { value.store(area) };
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
pub unsafe fn post_return<R: Abi>(bits: u64) {
    if R::FLAT.len() > 1 && core::mem::needs_drop::<R>() {
        // SAFETY: the return area holds the stored result, whose memory the
        // plugin still owns; loading it back and dropping it frees that memory.
        drop(unsafe { R::load(bits as u32 as usize as *const u8) });
    }
}
