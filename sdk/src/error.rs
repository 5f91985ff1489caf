//! [`PluginError`], the error of the host API and of plugin functions.

use crate::abi::{self, Flat, Lift, Lower};
use crate::meta::Ty;
use crate::types::WitType;

/// Why a host call failed, or why a plugin function refused its input.
///
/// This is the WIT type `ferrite:plugin/types.error`. A plugin function that
/// returns `Result<T, PluginError>` exports `result<T, error>`, and the host
/// reports the `Err` case as a typed error.
///
/// ```
/// use ferrite_plugin::PluginError;
///
/// fn parse_port(text: &str) -> Result<u16, PluginError> {
///     text.parse().map_err(|_| PluginError::invalid_argument(format!("`{text}` is not a port")))
/// }
/// assert_eq!(parse_port("x").unwrap_err().to_string(), "invalid argument: `x` is not a port");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
pub enum PluginError {
    /// The plugin's manifest does not grant the permission the call needs,
    /// e.g. a `kv` call without `keys = true`. The payload names the permission.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// The thing asked for does not exist. The payload names it.
    #[error("not found: {0}")]
    NotFound(String),
    /// An argument was malformed or out of range. The payload says which and why.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The host failed for a reason of its own. The payload describes it.
    #[error("host error: {0}")]
    Host(String),
}

impl PluginError {
    /// A [`PluginError::PermissionDenied`].
    pub fn permission_denied(message: impl Into<String>) -> Self {
        PluginError::PermissionDenied(message.into())
    }
    /// A [`PluginError::NotFound`].
    pub fn not_found(message: impl Into<String>) -> Self {
        PluginError::NotFound(message.into())
    }
    /// A [`PluginError::InvalidArgument`].
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        PluginError::InvalidArgument(message.into())
    }
    /// A [`PluginError::Host`].
    pub fn host(message: impl Into<String>) -> Self {
        PluginError::Host(message.into())
    }
}

const CASES: [(usize, usize); 4] = [(8, 4); 4];

// SAFETY: `error` is a variant of four `string` cases: an `i32` discriminant and
// a string's two `i32`s flat; a one-byte discriminant and a string at offset 4 in memory.
unsafe impl WitType for PluginError {
    const TY: &'static Ty = &Ty::Use {
        interface: "types",
        name: "error",
    };
    const FLAT: Flat = Flat::variant(&[<String as WitType>::FLAT; 4]);
    const SIZE: usize = abi::variant_layout(&CASES).0;
    const ALIGN: usize = abi::variant_layout(&CASES).1;

    fn lower(self, out: &mut Lower) {
        let (d, s) = self.into_parts();
        abi::lower_case::<Self, String>(out, d, s);
    }

    unsafe fn lift(src: &mut Lift<'_>) -> Self {
        let d = src.pop() as u32;
        // SAFETY: guaranteed by the caller.
        Self::from_parts(d, unsafe { abi::lift_case::<Self, String>(src) })
    }

    unsafe fn store(self, ptr: *mut u8) {
        let (d, s) = self.into_parts();
        // SAFETY: the caller gives `SIZE` bytes at `ALIGN`.
        unsafe {
            abi::store_discriminant(ptr, 4, d);
            <String as WitType>::store(s, ptr.add(abi::variant_layout(&CASES).2));
        }
    }

    unsafe fn load(ptr: *const u8) -> Self {
        // SAFETY: guaranteed by the caller.
        unsafe {
            let d = abi::load_discriminant(ptr, 4);
            Self::from_parts(
                d,
                <String as WitType>::load(ptr.add(abi::variant_layout(&CASES).2)),
            )
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn to_value(self) -> crate::dynamic::Value {
        let (d, s) = self.into_parts();
        crate::dynamic::Value::Variant(
            NAMES[d as usize].into(),
            Some(Box::new(crate::dynamic::Value::String(s))),
        )
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn from_value(value: crate::dynamic::Value) -> Result<Self, crate::dynamic::Error> {
        use crate::dynamic;
        let (case, payload) = dynamic::variant_case(value, "error")?;
        let d = NAMES
            .iter()
            .position(|n| *n == case)
            .ok_or_else(|| dynamic::unknown_case(&case, "error"))?;
        let message = <String as WitType>::from_value(dynamic::payload(payload, &case)?)?;
        Ok(Self::from_parts(d as u32, message))
    }
}

/// The WIT names of the cases, by discriminant.
#[cfg(not(target_arch = "wasm32"))]
const NAMES: [&str; 4] = ["permission-denied", "not-found", "invalid-argument", "host"];

impl PluginError {
    fn into_parts(self) -> (u32, String) {
        match self {
            PluginError::PermissionDenied(s) => (0, s),
            PluginError::NotFound(s) => (1, s),
            PluginError::InvalidArgument(s) => (2, s),
            PluginError::Host(s) => (3, s),
        }
    }

    fn from_parts(d: u32, s: String) -> Self {
        match d {
            0 => PluginError::PermissionDenied(s),
            1 => PluginError::NotFound(s),
            2 => PluginError::InvalidArgument(s),
            3 => PluginError::Host(s),
            _ => abi::invalid("an `error` discriminant out of range"),
        }
    }
}
