//! Which Rust types map to which WIT types.

use crate::abi::Abi;
use crate::meta::Ty;

/// A Rust type that maps to a WIT type, so a plugin function can take or return it.
///
/// Implemented for `bool`, every fixed-width integer, `f32`, `f64`, `char`,
/// `String`, `Vec<T>`, `Option<T>`, `Result<T, E>`, tuples of up to 12
/// elements, [`PluginError`](crate::PluginError), and by
/// `#[derive(ferrite_plugin::Record)]` and `#[derive(ferrite_plugin::Enum)]`
/// for your own types. Do not implement it by hand: derive it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross the plugin boundary",
    label = "`{Self}` has no WIT type",
    note = "derive one: `#[derive(ferrite_plugin::Record)]` on a struct with named fields, `#[derive(ferrite_plugin::Enum)]` on an enum",
    note = "supported: bool, u8..u64, i8..i64, f32, f64, char, String, Vec<T>, Option<T>, Result<T, E>, tuples, and derived types"
)]
pub trait WitType: Abi {
    /// The WIT type this Rust type maps to.
    const TY: &'static Ty;
}

/// A WIT type or nothing: what a function returns, or either side of a `Result`.
///
/// `()` is nothing (a function without a result, or `result<_, E>`); every
/// [`WitType`] is itself.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross the plugin boundary",
    label = "`{Self}` has no WIT type",
    note = "derive one: `#[derive(ferrite_plugin::Record)]` on a struct with named fields, `#[derive(ferrite_plugin::Enum)]` on an enum"
)]
pub trait WitPayload: Abi {
    /// The WIT type, or `None` for `()`.
    const TY: Option<&'static Ty>;
}

impl WitPayload for () {
    const TY: Option<&'static Ty> = None;
}

impl<T: WitType> WitPayload for T {
    const TY: Option<&'static Ty> = Some(T::TY);
}

macro_rules! primitive {
    ($($t:ty => $ty:ident),* $(,)?) => {$(
        impl WitType for $t {
            const TY: &'static Ty = &Ty::$ty;
        }
    )*};
}

primitive! {
    bool => Bool, u8 => U8, u16 => U16, u32 => U32, u64 => U64,
    i8 => S8, i16 => S16, i32 => S32, i64 => S64,
    f32 => F32, f64 => F64, char => Char, String => String,
}

impl<T: WitType> WitType for Vec<T> {
    const TY: &'static Ty = &Ty::List(T::TY);
}

impl<T: WitType> WitType for Option<T> {
    const TY: &'static Ty = &Ty::Option(T::TY);
}

impl<T: WitPayload, E: WitPayload> WitType for Result<T, E> {
    const TY: &'static Ty = &Ty::Result(T::TY, E::TY);
}

macro_rules! tuple {
    ($(($($t:ident),+))*) => {$(
        impl<$($t: WitType),+> WitType for ($($t,)+) {
            const TY: &'static Ty = &Ty::Tuple(&[$($t::TY),+]);
        }
    )*};
}

tuple! {
    (A)
    (A, B)
    (A, B, C)
    (A, B, C, D)
    (A, B, C, D, E)
    (A, B, C, D, E, F)
    (A, B, C, D, E, F, G)
    (A, B, C, D, E, F, G, H)
    (A, B, C, D, E, F, G, H, I)
    (A, B, C, D, E, F, G, H, I, J)
    (A, B, C, D, E, F, G, H, I, J, K)
    (A, B, C, D, E, F, G, H, I, J, K, L)
}

/// Names `T` with a `WitType` bound at the user's tokens, so a missing mapping
/// is reported there with `WitType`'s message.
#[inline(always)]
pub fn assert_wit_type<T: WitType>() {}

/// As [`assert_wit_type`], for return types (where `()` is allowed).
#[inline(always)]
pub fn assert_wit_payload<T: WitPayload>() {}
