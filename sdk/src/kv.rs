//! The server's keyspace.
//!
//! Needs `keys = true` under `[permissions]` in `plugin.toml`: `cargo
//! ferrite-plugin build` refuses a plugin that calls these without it, and the
//! host refuses to load one. Keys and values are byte strings, as in Redis;
//! every function takes anything that is `AsRef<[u8]>` (`&str`, `String`,
//! `&[u8]`, `Vec<u8>`).
//!
//! Outside a plugin host (a native `cargo test` of plugin code) every call
//! returns [`PluginError::Host`]; run `cargo ferrite-plugin test` to test code
//! that uses the keyspace.
//!
//! ```no_run
//! use ferrite_plugin::{kv, PluginError};
//!
//! fn hit(user: &str) -> Result<i64, PluginError> {
//!     let key = format!("hits:{user}");
//!     let n = kv::incr_by(&key, 1)?;
//!     if n == 1 {
//!         // First hit: keep the counter for a minute.
//!         kv::expire(&key, std::time::Duration::from_secs(60))?;
//!     }
//!     Ok(n)
//! }
//! ```

use std::time::Duration;

use crate::PluginError;

#[cfg(not(target_arch = "wasm32"))]
fn outside_host<T>() -> Result<T, PluginError> {
    Err(PluginError::Host(
        "the keyspace is only available inside a plugin host; run `cargo ferrite-plugin test`"
            .into(),
    ))
}

/// Calls the import `$f` inside a host; outside one, returns the explanation.
macro_rules! host {
    ($f:ident($($arg:expr),*)) => {{
        #[cfg(target_arch = "wasm32")]
        return crate::bindings::kv::$f($($arg),*);
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = ($($arg,)*);
            outside_host()
        }
    }};
}

/// Returns the value at `key`, or `None` when the key does not exist or has expired.
pub fn get(key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>, PluginError> {
    let key = key.as_ref();
    host!(get(key))
}

/// Returns the value at `key` as UTF-8 text, or `None` when the key does not exist.
///
/// A value that is not UTF-8 is [`PluginError::InvalidArgument`].
pub fn get_string(key: impl AsRef<[u8]>) -> Result<Option<String>, PluginError> {
    let key = key.as_ref();
    match get(key)? {
        None => Ok(None),
        Some(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| {
            PluginError::InvalidArgument(format!(
                "the value of `{}` is not UTF-8 text",
                String::from_utf8_lossy(key)
            ))
        }),
    }
}

/// Stores `value` at `key` with no expiry, replacing any previous value and expiry.
pub fn set(key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Result<(), PluginError> {
    let (key, value) = (key.as_ref(), value.as_ref());
    host!(set(key, value, None::<u64>))
}

/// Stores `value` at `key`, expiring `ttl` from now (rounded down to milliseconds,
/// at least 1 ms).
pub fn set_with_ttl(
    key: impl AsRef<[u8]>,
    value: impl AsRef<[u8]>,
    ttl: Duration,
) -> Result<(), PluginError> {
    let (key, value) = (key.as_ref(), value.as_ref());
    let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
    host!(set(key, value, Some(ms)))
}

/// Deletes `key`. Returns whether it existed.
pub fn del(key: impl AsRef<[u8]>) -> Result<bool, PluginError> {
    let key = key.as_ref();
    host!(del(key))
}

/// Returns whether `key` exists (and has not expired).
pub fn exists(key: impl AsRef<[u8]>) -> Result<bool, PluginError> {
    let key = key.as_ref();
    host!(exists(key))
}

/// Adds `delta` to the decimal integer at `key` and returns the new value.
///
/// A missing key counts as 0. A value that is not a signed 64-bit decimal
/// integer, or an overflow, is [`PluginError::InvalidArgument`] and leaves the
/// value unchanged. The key's expiry, if any, is kept.
pub fn incr_by(key: impl AsRef<[u8]>, delta: i64) -> Result<i64, PluginError> {
    let key = key.as_ref();
    host!(incr_by(key, delta))
}

/// Makes `key` expire `ttl` from now (rounded down to milliseconds, at least
/// 1 ms), keeping its value. Returns whether the key exists.
///
/// With [`incr_by`] this makes a fixed-window counter that loses no increments
/// under concurrent calls:
///
/// ```no_run
/// use std::time::Duration;
/// use ferrite_plugin::kv;
///
/// let hits = kv::incr_by("hits:2026-11-22T10:15", 1)?;
/// if hits == 1 {
///     kv::expire("hits:2026-11-22T10:15", Duration::from_secs(60))?;
/// }
/// # Ok::<(), ferrite_plugin::PluginError>(())
/// ```
pub fn expire(key: impl AsRef<[u8]>, ttl: Duration) -> Result<bool, PluginError> {
    let key = key.as_ref();
    let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
    host!(expire(key, ms))
}

/// Returns up to `limit` keys starting with `prefix`, in ascending byte order.
///
/// An empty prefix matches every key. Expired keys are not returned.
pub fn scan(prefix: impl AsRef<[u8]>, limit: u32) -> Result<Vec<Vec<u8>>, PluginError> {
    let prefix = prefix.as_ref();
    host!(scan(prefix, limit))
}
