//! The data behind the `kv` host API.
//!
//! A server embeds the host with its own keyspace by implementing
//! [`Keyspace`]; [`MemoryKeyspace`] is the in-memory one that `cargo
//! ferrite-plugin test`, `call` and `run` use: an ordered map with expiries.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Why a keyspace operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    /// The value is not what the operation needs (e.g. `incr_by` on text).
    #[error("{0}")]
    InvalidArgument(String),
    /// The keyspace failed for a reason of its own.
    #[error("{0}")]
    Failed(String),
}

/// What the `kv` host API reads and writes. Implementations must be safe to
/// share between threads: plugins run concurrently.
pub trait Keyspace: Send + Sync {
    /// The value at `key`, if it exists and has not expired.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError>;
    /// Stores `value` at `key`, expiring after `ttl` (or never), replacing any
    /// previous value and expiry.
    fn set(&self, key: &[u8], value: Vec<u8>, ttl: Option<Duration>) -> Result<(), KvError>;
    /// Deletes `key`; whether it existed.
    fn del(&self, key: &[u8]) -> Result<bool, KvError>;
    /// Whether `key` exists.
    fn exists(&self, key: &[u8]) -> Result<bool, KvError> {
        Ok(self.get(key)?.is_some())
    }
    /// Adds `delta` to the decimal integer at `key` (0 if missing), keeping its expiry.
    fn incr_by(&self, key: &[u8], delta: i64) -> Result<i64, KvError>;
    /// Makes `key` expire after `ttl` (or, with `None`, never), keeping its
    /// value; whether it exists.
    fn expire(&self, key: &[u8], ttl: Option<Duration>) -> Result<bool, KvError>;
    /// Up to `limit` live keys starting with `prefix`, in ascending order.
    fn scan(&self, prefix: &[u8], limit: usize) -> Result<Vec<Vec<u8>>, KvError>;
}

/// A live key's value and expiry, as [`MemoryKeyspace::update`] sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// The value.
    pub value: Vec<u8>,
    /// When it expires, if ever.
    pub expires: Option<Instant>,
}

#[derive(Debug, Clone)]
struct Entry {
    value: Vec<u8>,
    expires: Option<Instant>,
}

impl Entry {
    fn live(&self, now: Instant) -> bool {
        self.expires.is_none_or(|t| t > now)
    }

    /// Whether it has not expired; reads the clock only if it can expire.
    fn live_now(&self) -> bool {
        self.expires.is_none_or(|t| t > Instant::now())
    }
}

/// An in-memory keyspace: a `BTreeMap` behind a mutex, with lazy expiry.
#[derive(Debug, Default)]
pub struct MemoryKeyspace {
    map: Mutex<BTreeMap<Vec<u8>, Entry>>,
}

/// Parses the signed decimal integer Redis would accept for `INCRBY`.
pub fn parse_integer(bytes: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(bytes).ok()?;
    if text.is_empty() || text.starts_with('+') || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    if text.starts_with("-0") {
        return None;
    }
    text.parse().ok()
}

impl MemoryKeyspace {
    /// An empty keyspace.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Vec<u8>, Entry>> {
        // A panic while holding the lock cannot leave the map inconsistent
        // (every operation is a single map call), so a poisoned lock is usable.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The live entry at `key`, removing it if it expired.
    fn live_mut<'m>(map: &'m mut BTreeMap<Vec<u8>, Entry>, key: &[u8]) -> Option<&'m mut Entry> {
        if map.get(key).is_some_and(|e| !e.live_now()) {
            map.remove(key);
        }
        map.get_mut(key)
    }

    /// Runs `f` on the live value at `key` (`None` if there is none) without
    /// copying it: what a server needs to write `GET`'s reply straight from
    /// the map.
    pub fn read<R>(&self, key: &[u8], f: impl FnOnce(Option<&[u8]>) -> R) -> R {
        let map = self.lock();
        match map.get(key) {
            Some(e) if e.live_now() => f(Some(&e.value)),
            _ => f(None),
        }
    }

    /// The remaining time to live of `key`: `None` if it does not exist,
    /// `Some(None)` if it never expires.
    pub fn ttl(&self, key: &[u8]) -> Option<Option<Duration>> {
        let mut map = self.lock();
        let e = Self::live_mut(&mut map, key)?;
        Some(
            e.expires
                .map(|t| t.saturating_duration_since(Instant::now())),
        )
    }

    /// The number of live keys.
    pub fn len(&self) -> usize {
        let now = Instant::now();
        self.lock().values().filter(|e| e.live(now)).count()
    }

    /// Whether there are no live keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes every key.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Runs `f` on the live value and expiry at `key` (`None` if there is
    /// none), atomically: what `f` leaves in the slot is stored, and `None`
    /// deletes the key. What a server needs for `SET NX`, `APPEND`, `PERSIST`.
    pub fn update<R>(&self, key: &[u8], f: impl FnOnce(&mut Option<Slot>) -> R) -> R {
        let mut map = self.lock();
        let mut slot = match map.get_mut(key) {
            Some(e) if e.live_now() => Some(Slot {
                value: std::mem::take(&mut e.value),
                expires: e.expires,
            }),
            _ => None,
        };
        let result = f(&mut slot);
        match slot {
            Some(Slot { value, expires }) => match map.get_mut(key) {
                Some(e) => *e = Entry { value, expires },
                None => {
                    map.insert(key.to_vec(), Entry { value, expires });
                }
            },
            None => {
                map.remove(key);
            }
        }
        result
    }

    /// Live keys in ascending order, starting at the `start`-th, at most
    /// `limit` of them; and whether more follow.
    pub fn keys_from(&self, start: usize, limit: usize) -> (Vec<Vec<u8>>, bool) {
        let now = Instant::now();
        let map = self.lock();
        let mut live = map.iter().filter(|(_, e)| e.live(now)).skip(start);
        let keys: Vec<Vec<u8>> = live.by_ref().take(limit).map(|(k, _)| k.clone()).collect();
        let more = live.next().is_some();
        (keys, more)
    }

    /// Every live key and value, in order (for tests and dumps).
    pub fn snapshot(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let now = Instant::now();
        self.lock()
            .iter()
            .filter(|(_, e)| e.live(now))
            .map(|(k, e)| (k.clone(), e.value.clone()))
            .collect()
    }
}

impl Keyspace for MemoryKeyspace {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        Ok(self.read(key, |v| v.map(<[u8]>::to_vec)))
    }

    fn set(&self, key: &[u8], value: Vec<u8>, ttl: Option<Duration>) -> Result<(), KvError> {
        let expires = ttl.map(|d| Instant::now() + d);
        self.lock().insert(key.to_vec(), Entry { value, expires });
        Ok(())
    }

    fn del(&self, key: &[u8]) -> Result<bool, KvError> {
        Ok(self.lock().remove(key).is_some_and(|e| e.live_now()))
    }

    fn incr_by(&self, key: &[u8], delta: i64) -> Result<i64, KvError> {
        let mut map = self.lock();
        let entry = Self::live_mut(&mut map, key);
        let current = match &entry {
            None => 0,
            Some(e) => parse_integer(&e.value).ok_or_else(|| {
                KvError::InvalidArgument(format!(
                    "the value of `{}` is not an integer",
                    String::from_utf8_lossy(key)
                ))
            })?,
        };
        let next = current.checked_add(delta).ok_or_else(|| {
            KvError::InvalidArgument(format!(
                "incrementing `{}` by {delta} would overflow",
                String::from_utf8_lossy(key)
            ))
        })?;
        let value = next.to_string().into_bytes();
        match entry {
            Some(e) => e.value = value,
            None => {
                map.insert(
                    key.to_vec(),
                    Entry {
                        value,
                        expires: None,
                    },
                );
            }
        }
        Ok(next)
    }

    fn expire(&self, key: &[u8], ttl: Option<Duration>) -> Result<bool, KvError> {
        let mut map = self.lock();
        Ok(match Self::live_mut(&mut map, key) {
            Some(e) => {
                e.expires = ttl.map(|d| Instant::now() + d);
                true
            }
            None => false,
        })
    }

    fn scan(&self, prefix: &[u8], limit: usize) -> Result<Vec<Vec<u8>>, KvError> {
        let now = Instant::now();
        let map = self.lock();
        Ok(map
            .range::<[u8], _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .filter(|(_, e)| e.live(now))
            .take(limit)
            .map(|(k, _)| k.clone())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_stores_reads_and_deletes() {
        let kv = MemoryKeyspace::new();
        assert_eq!(kv.get(b"a").unwrap(), None);
        kv.set(b"a", b"1".to_vec(), None).unwrap();
        assert_eq!(kv.get(b"a").unwrap(), Some(b"1".to_vec()));
        assert!(kv.exists(b"a").unwrap());
        assert!(kv.del(b"a").unwrap());
        assert!(!kv.del(b"a").unwrap());
    }

    #[test]
    fn it_expires_keys() {
        let kv = MemoryKeyspace::new();
        kv.set(b"t", b"x".to_vec(), Some(Duration::from_millis(1)))
            .unwrap();
        kv.set(b"u", b"y".to_vec(), None).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(kv.get(b"t").unwrap(), None);
        assert_eq!(kv.scan(b"", 10).unwrap(), vec![b"u".to_vec()]);
        assert_eq!(kv.len(), 1);
        assert_eq!(kv.ttl(b"u"), Some(None));
        assert!(kv.expire(b"u", Some(Duration::from_secs(10))).unwrap());
        assert!(!kv.expire(b"absent", Some(Duration::from_secs(10))).unwrap());
        assert!(kv.ttl(b"u").unwrap().unwrap() > Duration::from_secs(9));
    }

    #[test]
    fn it_increments_integers_and_refuses_text() {
        let kv = MemoryKeyspace::new();
        assert_eq!(kv.incr_by(b"n", 5).unwrap(), 5);
        assert_eq!(kv.incr_by(b"n", -7).unwrap(), -2);
        kv.set(b"s", b"abc".to_vec(), None).unwrap();
        assert!(matches!(
            kv.incr_by(b"s", 1),
            Err(KvError::InvalidArgument(_))
        ));
        kv.set(b"max", i64::MAX.to_string().into_bytes(), None)
            .unwrap();
        assert!(kv.incr_by(b"max", 1).is_err());
        assert_eq!(
            kv.get(b"max").unwrap(),
            Some(i64::MAX.to_string().into_bytes())
        );
        for bad in ["", "+1", "01", "-0", "1.5", " 1"] {
            assert_eq!(parse_integer(bad.as_bytes()), None, "{bad:?}");
        }
    }

    #[test]
    fn it_scans_by_prefix_in_order_with_a_limit() {
        let kv = MemoryKeyspace::new();
        for k in ["user:2", "user:1", "order:1", "user:3", "usex"] {
            kv.set(k.as_bytes(), vec![], None).unwrap();
        }
        let keys = kv.scan(b"user:", 2).unwrap();
        assert_eq!(keys, vec![b"user:1".to_vec(), b"user:2".to_vec()]);
        assert_eq!(kv.scan(b"user:", 100).unwrap().len(), 3);
    }
}
