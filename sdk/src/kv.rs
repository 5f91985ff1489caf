//! The server's keyspace.
//!
//! Needs `keys = true` under `[permissions]` in `plugin.toml`: `cargo
//! ferrite-plugin build` refuses a plugin that calls these without it, and the
//! host refuses to load one. Keys and values are byte strings, as in Redis;
//! every function takes anything that is `AsRef<[u8]>` (`&str`, `String`,
//! `&[u8]`, `Vec<u8>`).
//!
//! Besides strings, the keyspace holds hashes, lists, sets and sorted sets;
//! each function is named after the Redis command it does, in snake case
//! (`HINCRBY` is [`hincr_by`]). A function of one type on a key holding
//! another is a [`PluginError::InvalidArgument`] saying `WRONGTYPE`, as Redis
//! replies; a container emptied by a removal is deleted, as in Redis. Any
//! other command is reached through [`crate::server::call`].
//!
//! Outside a plugin host (a native `cargo test` of plugin code) every call
//! returns [`PluginError::Host`]; run `cargo ferrite-plugin test` to test code
//! that uses the keyspace.
//!
//! The data types and [`ttl`] need host API 0.2.0 (Ferrite 0.3): a plugin
//! built for an older server (`--ferrite-version 0.2.0`) does not have them.
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
    crate::dynamic::reached_host_api("kv");
    Err(PluginError::Host(
        "the keyspace is only available inside a plugin host; run `cargo ferrite-plugin test`"
            .into(),
    ))
}

/// `items` as the byte slices the host API takes.
#[cfg(not(feature = "host-api-0-1"))]
fn slices<T: AsRef<[u8]>>(items: &[T]) -> Vec<&[u8]> {
    items.iter().map(AsRef::as_ref).collect()
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

/// How long a key has to live, as [`ttl`] tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg(not(feature = "host-api-0-1"))]
pub enum Ttl {
    /// The key does not exist (Redis's `TTL` replies -2).
    Missing,
    /// The key exists and never expires (`TTL` replies -1).
    Persistent,
    /// The key expires this long from now.
    Expires(Duration),
}

#[cfg(not(feature = "host-api-0-1"))]
impl Ttl {
    /// The time left, when the key expires.
    pub fn remaining(self) -> Option<Duration> {
        match self {
            Ttl::Expires(d) => Some(d),
            Ttl::Missing | Ttl::Persistent => None,
        }
    }
}

/// Returns how long `key` has to live (`TTL`, in milliseconds as `PTTL`).
///
/// ```no_run
/// use ferrite_plugin::kv::{self, Ttl};
///
/// kv::set_with_ttl("session:1", "alice", std::time::Duration::from_secs(30))?;
/// assert!(matches!(kv::ttl("session:1")?, Ttl::Expires(d) if d.as_secs() <= 30));
/// assert_eq!(kv::ttl("nothing-here")?, Ttl::Missing);
/// # Ok::<(), ferrite_plugin::PluginError>(())
/// ```
#[cfg(not(feature = "host-api-0-1"))]
pub fn ttl(key: impl AsRef<[u8]>) -> Result<Ttl, PluginError> {
    Ok(match ttl_ms(key.as_ref())? {
        None => Ttl::Missing,
        Some(None) => Ttl::Persistent,
        Some(Some(ms)) => Ttl::Expires(Duration::from_millis(ms)),
    })
}

/// The host's answer to [`ttl`].
#[cfg(not(feature = "host-api-0-1"))]
fn ttl_ms(key: &[u8]) -> Result<Option<Option<u64>>, PluginError> {
    host!(ttl(key))
}

// Hashes.

/// Sets `field` of the hash at `key` to `value` (`HSET`), creating the hash
/// if needed. Returns whether the field is new.
///
/// ```no_run
/// use ferrite_plugin::kv;
///
/// kv::hset("user:1", "name", "Ada")?;
/// assert_eq!(kv::hget("user:1", "name")?, Some(b"Ada".to_vec()));
/// assert_eq!(kv::hincr_by("user:1", "logins", 1)?, 1);
/// # Ok::<(), ferrite_plugin::PluginError>(())
/// ```
#[cfg(not(feature = "host-api-0-1"))]
pub fn hset(
    key: impl AsRef<[u8]>,
    field: impl AsRef<[u8]>,
    value: impl AsRef<[u8]>,
) -> Result<bool, PluginError> {
    let (key, field, value) = (key.as_ref(), field.as_ref(), value.as_ref());
    host!(hset(key, field, value))
}

/// Returns the value of `field` in the hash at `key` (`HGET`).
#[cfg(not(feature = "host-api-0-1"))]
pub fn hget(
    key: impl AsRef<[u8]>,
    field: impl AsRef<[u8]>,
) -> Result<Option<Vec<u8>>, PluginError> {
    let (key, field) = (key.as_ref(), field.as_ref());
    host!(hget(key, field))
}

/// Removes `fields` from the hash at `key` (`HDEL`); returns how many it held.
#[cfg(not(feature = "host-api-0-1"))]
pub fn hdel<F: AsRef<[u8]>>(key: impl AsRef<[u8]>, fields: &[F]) -> Result<u64, PluginError> {
    let (key, fields) = (key.as_ref(), slices(fields));
    host!(hdel(key, &fields))
}

/// Returns every field of the hash at `key` with its value (`HGETALL`),
/// fields in ascending byte order; empty when the key does not exist.
#[cfg(not(feature = "host-api-0-1"))]
#[allow(clippy::type_complexity)]
pub fn hgetall(key: impl AsRef<[u8]>) -> Result<Vec<(Vec<u8>, Vec<u8>)>, PluginError> {
    let key = key.as_ref();
    host!(hgetall(key))
}

/// Adds `delta` to the integer in `field` of the hash at `key` and returns
/// the new value (`HINCRBY`); a missing field counts as 0.
#[cfg(not(feature = "host-api-0-1"))]
pub fn hincr_by(
    key: impl AsRef<[u8]>,
    field: impl AsRef<[u8]>,
    delta: i64,
) -> Result<i64, PluginError> {
    let (key, field) = (key.as_ref(), field.as_ref());
    host!(hincr_by(key, field, delta))
}

// Lists.

/// Pushes `values` onto the head of the list at `key`, one after the other,
/// so the last ends up first (`LPUSH`); returns the list's length.
///
/// ```no_run
/// use ferrite_plugin::kv;
///
/// kv::rpush("jobs", &["a", "b"])?;
/// kv::lpush("jobs", &["z"])?;
/// assert_eq!(kv::lrange("jobs", 0, -1)?, [b"z".to_vec(), b"a".to_vec(), b"b".to_vec()]);
/// assert_eq!(kv::lpop("jobs", 1)?, [b"z".to_vec()]);
/// # Ok::<(), ferrite_plugin::PluginError>(())
/// ```
#[cfg(not(feature = "host-api-0-1"))]
pub fn lpush<V: AsRef<[u8]>>(key: impl AsRef<[u8]>, values: &[V]) -> Result<u64, PluginError> {
    let (key, values) = (key.as_ref(), slices(values));
    host!(lpush(key, &values))
}

/// Pushes `values` onto the tail of the list at `key` (`RPUSH`); returns its length.
#[cfg(not(feature = "host-api-0-1"))]
pub fn rpush<V: AsRef<[u8]>>(key: impl AsRef<[u8]>, values: &[V]) -> Result<u64, PluginError> {
    let (key, values) = (key.as_ref(), slices(values));
    host!(rpush(key, &values))
}

/// Removes and returns up to `count` values from the head of the list at
/// `key` (`LPOP key count`); empty when the key does not exist.
#[cfg(not(feature = "host-api-0-1"))]
pub fn lpop(key: impl AsRef<[u8]>, count: u32) -> Result<Vec<Vec<u8>>, PluginError> {
    let key = key.as_ref();
    host!(lpop(key, count))
}

/// Removes and returns up to `count` values from the tail of the list at `key` (`RPOP key count`).
#[cfg(not(feature = "host-api-0-1"))]
pub fn rpop(key: impl AsRef<[u8]>, count: u32) -> Result<Vec<Vec<u8>>, PluginError> {
    let key = key.as_ref();
    host!(rpop(key, count))
}

/// Returns the values of the list at `key` from index `start` to `stop`,
/// both included (`LRANGE`); negative indexes count from the tail, `-1`
/// being the last.
#[cfg(not(feature = "host-api-0-1"))]
pub fn lrange(key: impl AsRef<[u8]>, start: i64, stop: i64) -> Result<Vec<Vec<u8>>, PluginError> {
    let key = key.as_ref();
    host!(lrange(key, start, stop))
}

/// Returns the length of the list at `key`, 0 when it does not exist (`LLEN`).
#[cfg(not(feature = "host-api-0-1"))]
pub fn llen(key: impl AsRef<[u8]>) -> Result<u64, PluginError> {
    let key = key.as_ref();
    host!(llen(key))
}

// Sets.

/// Adds `members` to the set at `key` (`SADD`); returns how many were new.
///
/// ```no_run
/// use ferrite_plugin::kv;
///
/// kv::sadd("tags", &["red", "blue"])?;
/// assert!(kv::sismember("tags", "red")?);
/// assert_eq!(kv::scard("tags")?, 2);
/// # Ok::<(), ferrite_plugin::PluginError>(())
/// ```
#[cfg(not(feature = "host-api-0-1"))]
pub fn sadd<M: AsRef<[u8]>>(key: impl AsRef<[u8]>, members: &[M]) -> Result<u64, PluginError> {
    let (key, members) = (key.as_ref(), slices(members));
    host!(sadd(key, &members))
}

/// Removes `members` from the set at `key` (`SREM`); returns how many it held.
#[cfg(not(feature = "host-api-0-1"))]
pub fn srem<M: AsRef<[u8]>>(key: impl AsRef<[u8]>, members: &[M]) -> Result<u64, PluginError> {
    let (key, members) = (key.as_ref(), slices(members));
    host!(srem(key, &members))
}

/// Returns the members of the set at `key` in ascending byte order (`SMEMBERS`).
#[cfg(not(feature = "host-api-0-1"))]
pub fn smembers(key: impl AsRef<[u8]>) -> Result<Vec<Vec<u8>>, PluginError> {
    let key = key.as_ref();
    host!(smembers(key))
}

/// Returns whether `member` is in the set at `key` (`SISMEMBER`).
#[cfg(not(feature = "host-api-0-1"))]
pub fn sismember(key: impl AsRef<[u8]>, member: impl AsRef<[u8]>) -> Result<bool, PluginError> {
    let (key, member) = (key.as_ref(), member.as_ref());
    host!(sismember(key, member))
}

/// Returns the number of members of the set at `key` (`SCARD`).
#[cfg(not(feature = "host-api-0-1"))]
pub fn scard(key: impl AsRef<[u8]>) -> Result<u64, PluginError> {
    let key = key.as_ref();
    host!(scard(key))
}

// Sorted sets.

/// Sets the score of `member` in the sorted set at `key` (`ZADD`); returns
/// whether the member is new. A NaN score is [`PluginError::InvalidArgument`].
///
/// A sliding-window rate limit keeps one member per request, scored by its time:
///
/// ```no_run
/// use ferrite_plugin::{clock, kv};
///
/// let now = clock::now_ms() as f64;
/// kv::zrem_range_by_score("calls:alice", f64::NEG_INFINITY, now - 60_000.0)?;
/// if kv::zcard("calls:alice")? < 100 {
///     kv::zadd("calls:alice", now, now.to_string())?;
/// }
/// # Ok::<(), ferrite_plugin::PluginError>(())
/// ```
#[cfg(not(feature = "host-api-0-1"))]
pub fn zadd(
    key: impl AsRef<[u8]>,
    score: f64,
    member: impl AsRef<[u8]>,
) -> Result<bool, PluginError> {
    let (key, member) = (key.as_ref(), member.as_ref());
    host!(zadd(key, score, member))
}

/// Removes `members` from the sorted set at `key` (`ZREM`); returns how many it held.
#[cfg(not(feature = "host-api-0-1"))]
pub fn zrem<M: AsRef<[u8]>>(key: impl AsRef<[u8]>, members: &[M]) -> Result<u64, PluginError> {
    let (key, members) = (key.as_ref(), slices(members));
    host!(zrem(key, &members))
}

/// Returns the score of `member` in the sorted set at `key` (`ZSCORE`).
#[cfg(not(feature = "host-api-0-1"))]
pub fn zscore(key: impl AsRef<[u8]>, member: impl AsRef<[u8]>) -> Result<Option<f64>, PluginError> {
    let (key, member) = (key.as_ref(), member.as_ref());
    host!(zscore(key, member))
}

/// Adds `delta` to the score of `member` in the sorted set at `key` (a new
/// member starts at 0) and returns the new score (`ZINCRBY`).
///
/// ```no_run
/// use ferrite_plugin::kv;
///
/// kv::zincr_by("leaderboard", 10.0, "ada")?;
/// let top = kv::zrange_by_score("leaderboard", f64::NEG_INFINITY, f64::INFINITY)?;
/// assert_eq!(top.last().map(|(m, _)| m.as_slice()), Some(&b"ada"[..]));
/// # Ok::<(), ferrite_plugin::PluginError>(())
/// ```
#[cfg(not(feature = "host-api-0-1"))]
pub fn zincr_by(
    key: impl AsRef<[u8]>,
    delta: f64,
    member: impl AsRef<[u8]>,
) -> Result<f64, PluginError> {
    let (key, member) = (key.as_ref(), member.as_ref());
    host!(zincr_by(key, delta, member))
}

/// Returns the members of the sorted set at `key` whose score is within
/// `min` to `max` (both included; infinities allowed), with their scores,
/// lowest first (`ZRANGEBYSCORE key min max WITHSCORES`).
///
/// The host returns at most 100 000 members; use [`zrange_by_score_limit`]
/// to ask for fewer.
#[cfg(not(feature = "host-api-0-1"))]
pub fn zrange_by_score(
    key: impl AsRef<[u8]>,
    min: f64,
    max: f64,
) -> Result<Vec<(Vec<u8>, f64)>, PluginError> {
    zrange_by_score_limit(key, min, max, u32::MAX)
}

/// [`zrange_by_score`], at most `limit` members (`... LIMIT 0 limit`).
#[cfg(not(feature = "host-api-0-1"))]
pub fn zrange_by_score_limit(
    key: impl AsRef<[u8]>,
    min: f64,
    max: f64,
    limit: u32,
) -> Result<Vec<(Vec<u8>, f64)>, PluginError> {
    let key = key.as_ref();
    host!(zrange_by_score(key, min, max, limit))
}

/// Removes the members of the sorted set at `key` whose score is within
/// `min` to `max` (`ZREMRANGEBYSCORE`); returns how many.
#[cfg(not(feature = "host-api-0-1"))]
pub fn zrem_range_by_score(key: impl AsRef<[u8]>, min: f64, max: f64) -> Result<u64, PluginError> {
    let key = key.as_ref();
    host!(zrem_range_by_score(key, min, max))
}

/// Returns the number of members of the sorted set at `key` (`ZCARD`).
#[cfg(not(feature = "host-api-0-1"))]
pub fn zcard(key: impl AsRef<[u8]>) -> Result<u64, PluginError> {
    let key = key.as_ref();
    host!(zcard(key))
}
