//! Which Rust types map to which WIT types, and how each crosses the boundary.
//!
//! One trait carries both the WIT description and the canonical-ABI code, so a
//! type without a mapping produces one error at the user's tokens, not one per
//! use in the generated glue. SDK code calls these items fully qualified
//! (`<T as WitType>::lower`), because every `WitType` is also a `WitPayload`.

use crate::abi::{
    self, F32, F64, Flat, I32, I64, Lift, Lower, field_offset, lift_case, list_from_raw,
    list_into_raw, load_discriminant, lower_case, read_u32, record_layout, store_discriminant,
    variant_layout, write_u32,
};
use crate::meta::Ty;

#[cfg(not(target_arch = "wasm32"))]
use crate::dynamic::{Error as ValueError, Value};

/// A Rust type that maps to a WIT type, so a plugin function can take or return it.
///
/// Implemented for `bool`, every fixed-width integer, `f32`, `f64`, `char`,
/// `String`, `Vec<T>`, `Option<T>`, `Result<T, E>`, tuples of up to 12
/// elements, [`PluginError`](crate::PluginError), and by
/// `#[derive(ferrite_plugin::Record)]` and `#[derive(ferrite_plugin::Enum)]`
/// for your own types. Do not implement it by hand: derive it.
///
/// # Safety
///
/// The consts must describe the canonical-ABI shape of the WIT type `TY`
/// (`FLAT`: its flattened core types; `SIZE` and `ALIGN`: its memory layout),
/// and the methods must read and write exactly that shape: the host trusts it.
/// `lift` and `load` take ownership of any memory the value points to; `lower`
/// and `store` hand the value's memory over to the reader.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross the plugin boundary",
    label = "`{Self}` has no WIT type",
    note = "derive one: `#[derive(ferrite_plugin::Record)]` on a struct with named fields, `#[derive(ferrite_plugin::Enum)]` on an enum",
    note = "supported: bool, u8..u64, i8..i64, f32, f64, char, String, Vec<T>, Option<T>, Result<T, E>, tuples, and derived types"
)]
pub unsafe trait WitType: Sized {
    /// The WIT type this Rust type maps to.
    const TY: &'static Ty;
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
    /// The values must be a lowering of this type whose pointers are owned
    /// allocations of the global allocator.
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

    /// The value as data, for native calls (`cargo ferrite-plugin test
    /// --fuzz`). Native builds only: components never carry it.
    #[cfg(not(target_arch = "wasm32"))]
    fn to_value(self) -> Value;
    /// The value `value` describes, or why it does not fit this type.
    /// Native builds only.
    #[cfg(not(target_arch = "wasm32"))]
    fn from_value(value: Value) -> Result<Self, ValueError>;
}

/// A WIT type or nothing: what a function returns, or either side of a `Result`.
///
/// `()` is nothing (a function without a result, or `result<_, E>`); every
/// [`WitType`] is itself.
///
/// # Safety
///
/// As for [`WitType`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross the plugin boundary",
    label = "`{Self}` has no WIT type",
    note = "derive one: `#[derive(ferrite_plugin::Record)]` on a struct with named fields, `#[derive(ferrite_plugin::Enum)]` on an enum",
    note = "supported: bool, u8..u64, i8..i64, f32, f64, char, String, Vec<T>, Option<T>, Result<T, E>, tuples, (), and derived types"
)]
pub unsafe trait WitPayload: Sized {
    /// The WIT type, or `None` for `()`.
    const TY: Option<&'static Ty>;
    /// As [`WitType::FLAT`].
    const FLAT: Flat;
    /// As [`WitType::SIZE`].
    const SIZE: usize;
    /// As [`WitType::ALIGN`].
    const ALIGN: usize;
    /// As [`WitType::lower`].
    fn lower(self, out: &mut Lower);
    /// As [`WitType::lift`].
    ///
    /// # Safety
    ///
    /// As for [`WitType::lift`].
    unsafe fn lift(src: &mut Lift<'_>) -> Self;
    /// As [`WitType::store`].
    ///
    /// # Safety
    ///
    /// As for [`WitType::store`].
    unsafe fn store(self, ptr: *mut u8);
    /// As [`WitType::load`].
    ///
    /// # Safety
    ///
    /// As for [`WitType::load`].
    unsafe fn load(ptr: *const u8) -> Self;
    /// As [`WitType::to_value`]; `None` for `()`.
    #[cfg(not(target_arch = "wasm32"))]
    fn to_payload(self) -> Option<Value>;
    /// As [`WitType::from_value`]; `None` for `()`.
    #[cfg(not(target_arch = "wasm32"))]
    fn from_payload(value: Option<Value>) -> Result<Self, ValueError>;
}

// SAFETY: `()` has no flat values and no bytes.
unsafe impl WitPayload for () {
    const TY: Option<&'static Ty> = None;
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
    #[cfg(not(target_arch = "wasm32"))]
    fn to_payload(self) -> Option<Value> {
        None
    }
    #[cfg(not(target_arch = "wasm32"))]
    fn from_payload(value: Option<Value>) -> Result<Self, ValueError> {
        match value {
            None => Ok(()),
            Some(v) => Err(ValueError::expected("no value", &v)),
        }
    }
}

// SAFETY: forwards to the `WitType` impl.
unsafe impl<T: WitType> WitPayload for T {
    const TY: Option<&'static Ty> = Some(<T as WitType>::TY);
    const FLAT: Flat = <T as WitType>::FLAT;
    const SIZE: usize = <T as WitType>::SIZE;
    const ALIGN: usize = <T as WitType>::ALIGN;
    #[inline(always)]
    fn lower(self, out: &mut Lower) {
        <T as WitType>::lower(self, out)
    }
    #[inline(always)]
    unsafe fn lift(src: &mut Lift<'_>) -> Self {
        // SAFETY: guaranteed by the caller.
        unsafe { <T as WitType>::lift(src) }
    }
    #[inline(always)]
    unsafe fn store(self, ptr: *mut u8) {
        // SAFETY: guaranteed by the caller.
        unsafe { <T as WitType>::store(self, ptr) }
    }
    #[inline(always)]
    unsafe fn load(ptr: *const u8) -> Self {
        // SAFETY: guaranteed by the caller.
        unsafe { <T as WitType>::load(ptr) }
    }
    #[cfg(not(target_arch = "wasm32"))]
    fn to_payload(self) -> Option<Value> {
        Some(<T as WitType>::to_value(self))
    }
    #[cfg(not(target_arch = "wasm32"))]
    fn from_payload(value: Option<Value>) -> Result<Self, ValueError> {
        match value {
            Some(v) => <T as WitType>::from_value(v),
            None => Err(ValueError::new(format!(
                "expected {}, found no value",
                crate::dynamic::ty_name(<T as WitType>::TY)
            ))),
        }
    }
}

macro_rules! primitive {
    ($($t:ty => $ty:ident, $flat:ident, |$v:ident| $to:expr, |$b:ident| $from:expr;)*) => {$(
        // SAFETY: a primitive is one flat value, and in memory its own bytes.
        unsafe impl WitType for $t {
            const TY: &'static Ty = &Ty::$ty;
            const FLAT: Flat = Flat::one($flat);
            const SIZE: usize = core::mem::size_of::<$t>();
            const ALIGN: usize = core::mem::align_of::<$t>();
            const DIRECT: bool = true;
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
            #[cfg(not(target_arch = "wasm32"))]
            fn to_value(self) -> Value {
                Value::$ty(self)
            }
            #[cfg(not(target_arch = "wasm32"))]
            fn from_value(value: Value) -> Result<Self, ValueError> {
                match value {
                    Value::$ty(v) => Ok(v),
                    other => Err(ValueError::expected(&crate::dynamic::ty_name(&Ty::$ty), &other)),
                }
            }
        }
    )*};
}

primitive! {
    u8 => U8, I32, |v| v as u64, |b| b as u8;
    i8 => S8, I32, |v| v as i32 as u32 as u64, |b| b as u8 as i8;
    u16 => U16, I32, |v| v as u64, |b| b as u16;
    i16 => S16, I32, |v| v as i32 as u32 as u64, |b| b as u16 as i16;
    u32 => U32, I32, |v| v as u64, |b| b as u32;
    i32 => S32, I32, |v| v as u32 as u64, |b| b as u32 as i32;
    u64 => U64, I64, |v| v, |b| b;
    i64 => S64, I64, |v| v as u64, |b| b as i64;
    f32 => F32, F32, |v| v.to_bits() as u64, |b| f32::from_bits(b as u32);
    f64 => F64, F64, |v| v.to_bits(), |b| f64::from_bits(b);
}

// SAFETY: `bool` is one `i32` flat, one byte in memory.
unsafe impl WitType for bool {
    const TY: &'static Ty = &Ty::Bool;
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
    #[cfg(not(target_arch = "wasm32"))]
    fn to_value(self) -> Value {
        Value::Bool(self)
    }
    #[cfg(not(target_arch = "wasm32"))]
    fn from_value(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::Bool(v) => Ok(v),
            other => Err(ValueError::expected("bool", &other)),
        }
    }
}

// SAFETY: `char` is one `i32` flat, a 4-byte scalar value in memory.
unsafe impl WitType for char {
    const TY: &'static Ty = &Ty::Char;
    const FLAT: Flat = Flat::one(I32);
    const SIZE: usize = 4;
    const ALIGN: usize = 4;
    #[inline(always)]
    fn lower(self, out: &mut Lower) {
        out.push(self as u64);
    }
    #[inline(always)]
    unsafe fn lift(src: &mut Lift<'_>) -> Self {
        abi::to_char(src.pop() as u32)
    }
    #[inline(always)]
    unsafe fn store(self, ptr: *mut u8) {
        // SAFETY: the caller gives a pointer valid and aligned for 4 bytes.
        unsafe { ptr.cast::<u32>().write(self as u32) }
    }
    #[inline(always)]
    unsafe fn load(ptr: *const u8) -> Self {
        // SAFETY: as for `store`.
        abi::to_char(unsafe { ptr.cast::<u32>().read() })
    }
    #[cfg(not(target_arch = "wasm32"))]
    fn to_value(self) -> Value {
        Value::Char(self)
    }
    #[cfg(not(target_arch = "wasm32"))]
    fn from_value(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::Char(v) => Ok(v),
            other => Err(ValueError::expected("char", &other)),
        }
    }
}

// SAFETY: a list is `(pointer, length)`: two `i32`s flat, 8 bytes at 4 in memory.
unsafe impl<T: WitType> WitType for Vec<T> {
    const TY: &'static Ty = &Ty::List(<T as WitType>::TY);
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
    #[cfg(not(target_arch = "wasm32"))]
    fn to_value(self) -> Value {
        Value::List(self.into_iter().map(<T as WitType>::to_value).collect())
    }
    #[cfg(not(target_arch = "wasm32"))]
    fn from_value(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::List(items) => items.into_iter().map(<T as WitType>::from_value).collect(),
            other => Err(ValueError::expected("list", &other)),
        }
    }
}

// SAFETY: a string is a list of UTF-8 bytes.
unsafe impl WitType for String {
    const TY: &'static Ty = &Ty::String;
    const FLAT: Flat = Flat::two(I32, I32);
    const SIZE: usize = 8;
    const ALIGN: usize = 4;
    #[inline]
    fn lower(self, out: &mut Lower) {
        <Vec<u8> as WitType>::lower(self.into_bytes(), out)
    }
    #[inline]
    unsafe fn lift(src: &mut Lift<'_>) -> Self {
        // SAFETY: the host lowers strings as UTF-8 (the component's string
        // encoding), so the bytes are valid UTF-8.
        unsafe { String::from_utf8_unchecked(<Vec<u8> as WitType>::lift(src)) }
    }
    #[inline]
    unsafe fn store(self, ptr: *mut u8) {
        // SAFETY: as for `Vec<u8>`.
        unsafe { <Vec<u8> as WitType>::store(self.into_bytes(), ptr) }
    }
    #[inline]
    unsafe fn load(ptr: *const u8) -> Self {
        // SAFETY: as for `lift`.
        unsafe { String::from_utf8_unchecked(<Vec<u8> as WitType>::load(ptr)) }
    }
    #[cfg(not(target_arch = "wasm32"))]
    fn to_value(self) -> Value {
        Value::String(self)
    }
    #[cfg(not(target_arch = "wasm32"))]
    fn from_value(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::String(v) => Ok(v),
            other => Err(ValueError::expected("string", &other)),
        }
    }
}

// SAFETY: an option is a variant of `none` and `some(T)`.
unsafe impl<T: WitType> WitType for Option<T> {
    const TY: &'static Ty = &Ty::Option(<T as WitType>::TY);
    const FLAT: Flat = Flat::variant(&[Flat::EMPTY, <T as WitType>::FLAT]);
    const SIZE: usize = Self::LAYOUT.0;
    const ALIGN: usize = Self::LAYOUT.1;
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
                _ => abi::invalid("an `option` discriminant out of range"),
            }
        }
    }
    #[inline]
    unsafe fn store(self, ptr: *mut u8) {
        // SAFETY: the caller gives `SIZE` bytes at `ALIGN`.
        unsafe {
            match self {
                None => store_discriminant(ptr, 2, 0),
                Some(v) => {
                    store_discriminant(ptr, 2, 1);
                    <T as WitType>::store(v, ptr.add(Self::LAYOUT.2));
                }
            }
        }
    }
    #[inline]
    unsafe fn load(ptr: *const u8) -> Self {
        // SAFETY: guaranteed by the caller.
        unsafe {
            match load_discriminant(ptr, 2) {
                0 => None,
                1 => Some(<T as WitType>::load(ptr.add(Self::LAYOUT.2))),
                _ => abi::invalid("an `option` discriminant out of range"),
            }
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    fn to_value(self) -> Value {
        Value::Option(self.map(|v| Box::new(<T as WitType>::to_value(v))))
    }
    #[cfg(not(target_arch = "wasm32"))]
    fn from_value(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::Option(v) => v.map(|v| <T as WitType>::from_value(*v)).transpose(),
            other => Err(ValueError::expected("option", &other)),
        }
    }
}

trait OptionLayout {
    const LAYOUT: (usize, usize, usize);
}

impl<T: WitType> OptionLayout for Option<T> {
    const LAYOUT: (usize, usize, usize) =
        variant_layout(&[(0, 1), (<T as WitType>::SIZE, <T as WitType>::ALIGN)]);
}

trait ResultLayout {
    const LAYOUT: (usize, usize, usize);
}

impl<T: WitPayload, E: WitPayload> ResultLayout for Result<T, E> {
    const LAYOUT: (usize, usize, usize) = variant_layout(&[
        (<T as WitPayload>::SIZE, <T as WitPayload>::ALIGN),
        (<E as WitPayload>::SIZE, <E as WitPayload>::ALIGN),
    ]);
}

// SAFETY: a result is a variant of `ok(T)` and `err(E)`, either possibly empty.
unsafe impl<T: WitPayload, E: WitPayload> WitType for Result<T, E> {
    const TY: &'static Ty = &Ty::Result(<T as WitPayload>::TY, <E as WitPayload>::TY);
    const FLAT: Flat = Flat::variant(&[<T as WitPayload>::FLAT, <E as WitPayload>::FLAT]);
    const SIZE: usize = Self::LAYOUT.0;
    const ALIGN: usize = Self::LAYOUT.1;
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
                _ => abi::invalid("a `result` discriminant out of range"),
            }
        }
    }
    #[inline]
    unsafe fn store(self, ptr: *mut u8) {
        // SAFETY: the caller gives `SIZE` bytes at `ALIGN`.
        unsafe {
            match self {
                Ok(v) => {
                    store_discriminant(ptr, 2, 0);
                    <T as WitPayload>::store(v, ptr.add(Self::LAYOUT.2));
                }
                Err(e) => {
                    store_discriminant(ptr, 2, 1);
                    <E as WitPayload>::store(e, ptr.add(Self::LAYOUT.2));
                }
            }
        }
    }
    #[inline]
    unsafe fn load(ptr: *const u8) -> Self {
        // SAFETY: guaranteed by the caller.
        unsafe {
            match load_discriminant(ptr, 2) {
                0 => Ok(<T as WitPayload>::load(ptr.add(Self::LAYOUT.2))),
                1 => Err(<E as WitPayload>::load(ptr.add(Self::LAYOUT.2))),
                _ => abi::invalid("a `result` discriminant out of range"),
            }
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    fn to_value(self) -> Value {
        Value::Result(match self {
            Ok(v) => Ok(<T as WitPayload>::to_payload(v).map(Box::new)),
            Err(e) => Err(<E as WitPayload>::to_payload(e).map(Box::new)),
        })
    }
    #[cfg(not(target_arch = "wasm32"))]
    fn from_value(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::Result(Ok(v)) => Ok(Ok(<T as WitPayload>::from_payload(v.map(|v| *v))?)),
            Value::Result(Err(e)) => Ok(Err(<E as WitPayload>::from_payload(e.map(|e| *e))?)),
            other => Err(ValueError::expected("result", &other)),
        }
    }
}

macro_rules! tuple {
    ($(($($t:ident $v:ident $i:tt),+))*) => {$(
        // SAFETY: a tuple is a record of its elements.
        unsafe impl<$($t: WitType),+> WitType for ($($t,)+) {
            const TY: &'static Ty = &Ty::Tuple(&[$(<$t as WitType>::TY),+]);
            const FLAT: Flat = Flat::all(&[$(<$t as WitType>::FLAT),+]);
            const SIZE: usize = record_layout(&[$((<$t as WitType>::SIZE, <$t as WitType>::ALIGN)),+]).0;
            const ALIGN: usize = record_layout(&[$((<$t as WitType>::SIZE, <$t as WitType>::ALIGN)),+]).1;
            #[inline]
            fn lower(self, out: &mut Lower) {
                let ($($v,)+) = self;
                $(<$t as WitType>::lower($v, out);)+
            }
            #[inline]
            unsafe fn lift(src: &mut Lift<'_>) -> Self {
                // SAFETY: guaranteed by the caller; fields lift in order.
                unsafe { ($(<$t as WitType>::lift(src),)+) }
            }
            #[inline]
            unsafe fn store(self, ptr: *mut u8) {
                let fields = [$((<$t as WitType>::SIZE, <$t as WitType>::ALIGN)),+];
                let ($($v,)+) = self;
                // SAFETY: the caller gives `SIZE` bytes at `ALIGN`.
                unsafe { $(<$t as WitType>::store($v, ptr.add(field_offset(&fields, $i)));)+ }
            }
            #[inline]
            unsafe fn load(ptr: *const u8) -> Self {
                let fields = [$((<$t as WitType>::SIZE, <$t as WitType>::ALIGN)),+];
                // SAFETY: guaranteed by the caller.
                unsafe { ($(<$t as WitType>::load(ptr.add(field_offset(&fields, $i))),)+) }
            }
            #[cfg(not(target_arch = "wasm32"))]
            fn to_value(self) -> Value {
                let ($($v,)+) = self;
                Value::Tuple(vec![$(<$t as WitType>::to_value($v)),+])
            }
            #[cfg(not(target_arch = "wasm32"))]
            fn from_value(value: Value) -> Result<Self, ValueError> {
                let items = match value {
                    Value::Tuple(items) if items.len() == [$($i),+].len() => items,
                    other => {
                        return Err(ValueError::expected(
                            &crate::dynamic::ty_name(<Self as WitType>::TY),
                            &other,
                        ))
                    }
                };
                let mut items = items.into_iter();
                Ok(($(<$t as WitType>::from_value(crate::dynamic::next(&mut items, "a tuple element")?)?,)+))
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

const _: () = {
    // The flat forms the canonical ABI specifies, checked at compile time.
    assert!(<Option<f32> as WitType>::FLAT.at(1) == F32);
    assert!(<Result<u32, f32> as WitType>::FLAT.at(1) == I32);
    assert!(<Result<f64, u32> as WitType>::FLAT.at(1) == I64);
    assert!(<Result<u64, f32> as WitType>::FLAT.at(1) == I64);
    assert!(<Result<f64, f64> as WitType>::FLAT.at(1) == F64);
    assert!(<Option<(u8, u64)> as WitType>::SIZE == 24);
    assert!(<Result<(), String> as WitType>::SIZE == 12);
};
