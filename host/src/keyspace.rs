//! The data behind the `kv` host API.
//!
//! A server embeds the host with its own keyspace by implementing
//! [`Keyspace`]; [`MemoryKeyspace`] is the in-memory one that `cargo
//! ferrite-plugin test`, `call` and `run` use: an ordered map of typed
//! values (strings, hashes, lists, sets, sorted sets) with expiries.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
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
    /// The key holds another type of value than the operation needs (a
    /// list operation on a string, `get` on a hash).
    #[error("WRONGTYPE Operation against a key holding the wrong kind of value")]
    WrongType,
    /// The caller may not do this (a write in a read-only call, a command a
    /// plugin may never run); the text names what and why.
    #[error("{0}")]
    PermissionDenied(String),
    /// A server command answered with an error reply (`server.call`): the
    /// Redis error text, code first, e.g. `ERR syntax error`.
    #[error("{0}")]
    Command(String),
}

fn unsupported<T>(what: &str) -> Result<T, KvError> {
    Err(KvError::Failed(format!(
        "this server's keyspace has no {what}"
    )))
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

    /// Up to `limit` live keys starting with `prefix` for which `keep` is
    /// true, in ascending order: what a plugin whose `keys` are patterns
    /// scans. Keys `keep` refuses do not count against `limit`.
    ///
    /// The default asks [`scan`](Keyspace::scan) for more and more keys
    /// until `limit` are kept or none are left; a keyspace that can filter
    /// as it walks should override it.
    fn scan_filtered(
        &self,
        prefix: &[u8],
        limit: usize,
        keep: &dyn Fn(&[u8]) -> bool,
    ) -> Result<Vec<Vec<u8>>, KvError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut asked = limit.max(64);
        loop {
            let keys = self.scan(prefix, asked)?;
            let exhausted = keys.len() < asked;
            let kept: Vec<Vec<u8>> = keys.into_iter().filter(|k| keep(k)).take(limit).collect();
            if kept.len() == limit || exhausted {
                return Ok(kept);
            }
            asked = asked.saturating_mul(4);
        }
    }

    // The methods below have defaults that fail with `KvError::Failed`
    // ("this server's keyspace has no ..."), so a keyspace of strings only
    // keeps compiling; `MemoryKeyspace` implements them all. Each follows
    // the Redis command of the same name: an operation on a key of another
    // type is `KvError::WrongType`, an emptied hash, list, set or sorted set
    // is deleted, and the key's expiry is kept.

    /// The remaining time to live of `key` (`TTL`): `None` if the key does
    /// not exist, `Some(None)` if it never expires.
    fn ttl(&self, key: &[u8]) -> Result<Option<Option<Duration>>, KvError> {
        let _ = key;
        unsupported("expiry times")
    }

    /// `HSET`: sets `fields` of the hash at `key`; how many were new.
    fn hset(&self, key: &[u8], fields: &[(&[u8], &[u8])]) -> Result<u64, KvError> {
        let _ = (key, fields);
        unsupported("hashes")
    }
    /// `HGET`: the value of `field` in the hash at `key`.
    fn hget(&self, key: &[u8], field: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        let _ = (key, field);
        unsupported("hashes")
    }
    /// `HDEL`: removes `fields`; how many existed.
    fn hdel(&self, key: &[u8], fields: &[&[u8]]) -> Result<u64, KvError> {
        let _ = (key, fields);
        unsupported("hashes")
    }
    /// `HGETALL`: every field and value, fields in ascending byte order.
    #[allow(clippy::type_complexity)]
    fn hgetall(&self, key: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, KvError> {
        let _ = key;
        unsupported("hashes")
    }
    /// `HINCRBY`: adds `delta` to the decimal integer in `field` (0 if
    /// missing); the new value.
    fn hincr_by(&self, key: &[u8], field: &[u8], delta: i64) -> Result<i64, KvError> {
        let _ = (key, field, delta);
        unsupported("hashes")
    }

    /// `LPUSH`: inserts `values` at the head, one after another (so the last
    /// ends up first); the list's new length.
    fn lpush(&self, key: &[u8], values: &[&[u8]]) -> Result<u64, KvError> {
        let _ = (key, values);
        unsupported("lists")
    }
    /// `RPUSH`: appends `values` at the tail; the list's new length.
    fn rpush(&self, key: &[u8], values: &[&[u8]]) -> Result<u64, KvError> {
        let _ = (key, values);
        unsupported("lists")
    }
    /// `LPOP key count`: removes and returns up to `count` values from the head.
    fn lpop(&self, key: &[u8], count: usize) -> Result<Vec<Vec<u8>>, KvError> {
        let _ = (key, count);
        unsupported("lists")
    }
    /// `RPOP key count`: removes and returns up to `count` values from the
    /// tail, last first.
    fn rpop(&self, key: &[u8], count: usize) -> Result<Vec<Vec<u8>>, KvError> {
        let _ = (key, count);
        unsupported("lists")
    }
    /// `LRANGE`: the values from `start` to `stop` inclusive; negative
    /// indexes count from the end (-1 is the last).
    fn lrange(&self, key: &[u8], start: i64, stop: i64) -> Result<Vec<Vec<u8>>, KvError> {
        let _ = (key, start, stop);
        unsupported("lists")
    }
    /// `LLEN`: the list's length (0 if the key does not exist).
    fn llen(&self, key: &[u8]) -> Result<u64, KvError> {
        let _ = key;
        unsupported("lists")
    }

    /// `SADD`: adds `members`; how many were new.
    fn sadd(&self, key: &[u8], members: &[&[u8]]) -> Result<u64, KvError> {
        let _ = (key, members);
        unsupported("sets")
    }
    /// `SREM`: removes `members`; how many existed.
    fn srem(&self, key: &[u8], members: &[&[u8]]) -> Result<u64, KvError> {
        let _ = (key, members);
        unsupported("sets")
    }
    /// `SMEMBERS`: every member, in ascending byte order.
    fn smembers(&self, key: &[u8]) -> Result<Vec<Vec<u8>>, KvError> {
        let _ = key;
        unsupported("sets")
    }
    /// `SISMEMBER`.
    fn sismember(&self, key: &[u8], member: &[u8]) -> Result<bool, KvError> {
        let _ = (key, member);
        unsupported("sets")
    }
    /// `SCARD`: the number of members.
    fn scard(&self, key: &[u8]) -> Result<u64, KvError> {
        let _ = key;
        unsupported("sets")
    }

    /// `ZADD key score member`: whether `member` is new (else its score is
    /// updated). A NaN score is `KvError::InvalidArgument`.
    fn zadd(&self, key: &[u8], score: f64, member: &[u8]) -> Result<bool, KvError> {
        let _ = (key, score, member);
        unsupported("sorted sets")
    }
    /// `ZREM`: removes `members`; how many existed.
    fn zrem(&self, key: &[u8], members: &[&[u8]]) -> Result<u64, KvError> {
        let _ = (key, members);
        unsupported("sorted sets")
    }
    /// `ZSCORE`.
    fn zscore(&self, key: &[u8], member: &[u8]) -> Result<Option<f64>, KvError> {
        let _ = (key, member);
        unsupported("sorted sets")
    }
    /// `ZINCRBY`: adds `delta` to `member`'s score (0 if absent); the new
    /// score. A result that is NaN is `KvError::InvalidArgument`.
    fn zincr_by(&self, key: &[u8], delta: f64, member: &[u8]) -> Result<f64, KvError> {
        let _ = (key, delta, member);
        unsupported("sorted sets")
    }
    /// `ZRANGEBYSCORE key min max WITHSCORES [LIMIT 0 limit]`: the members
    /// with `min <= score <= max`, by ascending score then member, at most
    /// `limit` of them.
    fn zrange_by_score(
        &self,
        key: &[u8],
        min: f64,
        max: f64,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, f64)>, KvError> {
        let _ = (key, min, max, limit);
        unsupported("sorted sets")
    }
    /// `ZREMRANGEBYSCORE`: removes the members with `min <= score <= max`;
    /// how many.
    fn zrem_range_by_score(&self, key: &[u8], min: f64, max: f64) -> Result<u64, KvError> {
        let _ = (key, min, max);
        unsupported("sorted sets")
    }
    /// `ZCARD`: the number of members.
    fn zcard(&self, key: &[u8]) -> Result<u64, KvError> {
        let _ = key;
        unsupported("sorted sets")
    }
}

/// A sorted set's score, ordered as Redis orders them (`-0` equals `0`).
/// Never NaN: every constructor refuses it.
#[derive(Debug, Clone, Copy)]
pub struct Score(f64);

impl Score {
    /// `score`, unless it is NaN.
    pub fn new(score: f64) -> Option<Score> {
        (!score.is_nan()).then_some(Score(score))
    }

    /// The score.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl PartialEq for Score {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Neither is NaN, so the partial order is total.
        self.0
            .partial_cmp(&other.0)
            .unwrap_or(std::cmp::Ordering::Equal)
    }
}

/// A sorted set: each member's score, and the members in (score, member)
/// order. The two indexes always hold the same pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZSet {
    scores: HashMap<Vec<u8>, Score>,
    order: BTreeSet<(Score, Vec<u8>)>,
}

impl ZSet {
    /// An empty sorted set.
    pub fn new() -> ZSet {
        ZSet::default()
    }

    /// The number of members.
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// Whether it has no members.
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    /// `member`'s score.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).map(|s| s.0)
    }

    /// Sets `member`'s score; its previous score, if it had one.
    pub fn insert(&mut self, member: &[u8], score: Score) -> Option<f64> {
        match self.scores.get_mut(member) {
            Some(old) => {
                let previous = *old;
                if previous.0.to_bits() != score.0.to_bits() {
                    let mut key = (previous, member.to_vec());
                    self.order.remove(&key);
                    key.0 = score;
                    self.order.insert(key);
                    *old = score;
                }
                Some(previous.0)
            }
            None => {
                self.scores.insert(member.to_vec(), score);
                self.order.insert((score, member.to_vec()));
                None
            }
        }
    }

    /// Removes `member`; its score, if it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (member, score) = self.scores.remove_entry(member)?;
        self.order.remove(&(score, member));
        Some(score.0)
    }

    /// The members in ascending (score, member) order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&[u8], f64)> + ExactSizeIterator {
        self.order.iter().map(|(s, m)| (m.as_slice(), s.0))
    }

    /// The members whose score is within `min..max`, ascending.
    pub fn range_by_score(
        &self,
        min: Bound<f64>,
        max: Bound<f64>,
    ) -> impl Iterator<Item = (&[u8], f64)> {
        let start = match min {
            Bound::Included(m) | Bound::Excluded(m) if !m.is_nan() => {
                Bound::Included((Score(m), Vec::new()))
            }
            _ => Bound::Unbounded,
        };
        self.order
            .range((start, Bound::Unbounded))
            .skip_while(move |(s, _)| matches!(min, Bound::Excluded(m) if s.0 <= m))
            .take_while(move |(s, _)| match max {
                Bound::Included(m) => s.0 <= m,
                Bound::Excluded(m) => s.0 < m,
                Bound::Unbounded => true,
            })
            .map(|(s, m)| (m.as_slice(), s.0))
    }

    /// `member`'s 0-based rank in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = *self.scores.get(member)?;
        Some(self.order.range(..(score, member.to_vec())).count())
    }

    /// Whether the two indexes agree (for tests).
    pub fn is_consistent(&self) -> bool {
        self.scores.len() == self.order.len()
            && self.order.iter().all(|(s, m)| {
                self.scores
                    .get(m)
                    .is_some_and(|t| t.0.to_bits() == s.0.to_bits())
            })
    }
}

/// A hash: fields and values in ascending field order.
pub type Hash = BTreeMap<Vec<u8>, Vec<u8>>;
/// A list.
pub type List = VecDeque<Vec<u8>>;
/// A set, in ascending member order.
pub type Set = BTreeSet<Vec<u8>>;

/// What a key holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A string (also what integers and floats are stored as).
    String(Vec<u8>),
    /// A hash.
    Hash(Hash),
    /// A list.
    List(List),
    /// A set.
    Set(Set),
    /// A sorted set.
    ZSet(ZSet),
}

impl Default for Value {
    fn default() -> Self {
        Value::String(Vec::new())
    }
}

impl Value {
    /// Its type as `TYPE` names it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "string",
            Value::Hash(_) => "hash",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    /// The string, if it is one.
    pub fn as_string(&self) -> Option<&[u8]> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Whether it is a container with nothing in it (which is never stored).
    fn is_empty_container(&self) -> bool {
        match self {
            Value::String(_) => false,
            Value::Hash(h) => h.is_empty(),
            Value::List(l) => l.is_empty(),
            Value::Set(s) => s.is_empty(),
            Value::ZSet(z) => z.is_empty(),
        }
    }
}

/// A type of value a key can hold, for [`Db::modify`] and [`Db::view`].
pub trait Kind: Sized {
    /// This kind inside `value`, if it is of this kind.
    fn of(value: &Value) -> Option<&Self>;
    /// This kind inside `value`, mutably.
    fn of_mut(value: &mut Value) -> Option<&mut Self>;
    /// An empty value of this kind.
    fn empty() -> Value;
}

macro_rules! kind {
    ($t:ty, $case:ident, $empty:expr) => {
        impl Kind for $t {
            fn of(value: &Value) -> Option<&Self> {
                match value {
                    Value::$case(v) => Some(v),
                    _ => None,
                }
            }
            fn of_mut(value: &mut Value) -> Option<&mut Self> {
                match value {
                    Value::$case(v) => Some(v),
                    _ => None,
                }
            }
            fn empty() -> Value {
                Value::$case($empty)
            }
        }
    };
}

kind!(Vec<u8>, String, Vec::new());
kind!(Hash, Hash, BTreeMap::new());
kind!(List, List, VecDeque::new());
kind!(Set, Set, BTreeSet::new());
kind!(ZSet, ZSet, ZSet::new());

/// A live key's value and expiry, as [`MemoryKeyspace::update`] sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// The value.
    pub value: Value,
    /// When it expires, if ever.
    pub expires: Option<Instant>,
}

#[derive(Debug, Clone)]
struct Entry {
    value: Value,
    expires: Option<Instant>,
    /// Changes on every write of the key ([`MemoryKeyspace::version`]).
    version: u64,
}

impl Entry {
    fn new(value: Value, expires: Option<Instant>) -> Entry {
        Entry {
            value,
            expires,
            version: next_version(),
        }
    }

    fn live(&self, now: Instant) -> bool {
        self.expires.is_none_or(|t| t > now)
    }

    /// Whether it has not expired; reads the clock only if it can expire.
    fn live_now(&self) -> bool {
        self.expires.is_none_or(|t| t > Instant::now())
    }
}

/// Versions are unique across keyspaces, so that swapping two keyspaces'
/// contents still shows as a change to a watcher of either.
static VERSIONS: AtomicU64 = AtomicU64::new(1);

fn next_version() -> u64 {
    VERSIONS.fetch_add(1, Ordering::Relaxed)
}

type Map = BTreeMap<Vec<u8>, Entry>;

/// An in-memory keyspace: a `BTreeMap` of typed values behind a mutex, with
/// lazy expiry.
#[derive(Debug, Default)]
pub struct MemoryKeyspace {
    map: Mutex<Map>,
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

/// The locked keyspace ([`MemoryKeyspace::lock_db`]): several operations
/// under one lock, so a command that reads and writes several keys is atomic.
/// Expired keys are removed as they are met. Every method that can write
/// counts as a write of the key for [`MemoryKeyspace::version`].
pub struct Db<'a> {
    map: MutexGuard<'a, Map>,
}

impl Db<'_> {
    /// Removes `key` if it has expired.
    fn expire_lazily(&mut self, key: &[u8]) {
        if self.map.get(key).is_some_and(|e| !e.live_now()) {
            self.map.remove(key);
        }
    }

    /// The live value at `key`.
    pub fn get(&mut self, key: &[u8]) -> Option<&Value> {
        self.expire_lazily(key);
        self.map.get(key).map(|e| &e.value)
    }

    /// Whether `key` exists.
    pub fn contains(&mut self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// The live value at `key` as a `K`: `Ok(None)` if there is none,
    /// `WrongType` if it holds another type.
    pub fn view<K: Kind>(&mut self, key: &[u8]) -> Result<Option<&K>, KvError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => K::of(v).map(Some).ok_or(KvError::WrongType),
        }
    }

    /// Runs `f` on the `K` at `key` (with `create`, a new empty one if the
    /// key does not exist; without, `Ok(None)`), keeping its expiry; a
    /// container `f` leaves empty is deleted. `WrongType` if the key holds
    /// another type.
    pub fn modify<K: Kind, R>(
        &mut self,
        key: &[u8],
        create: bool,
        f: impl FnOnce(&mut K) -> R,
    ) -> Result<Option<R>, KvError> {
        self.expire_lazily(key);
        match self.map.get_mut(key) {
            Some(e) => {
                let value = K::of_mut(&mut e.value).ok_or(KvError::WrongType)?;
                let result = f(value);
                e.version = next_version();
                if e.value.is_empty_container() {
                    self.map.remove(key);
                }
                Ok(Some(result))
            }
            None if create => {
                let mut value = K::empty();
                let result = f(K::of_mut(&mut value).expect("an empty value of its kind"));
                if !value.is_empty_container() {
                    self.map.insert(key.to_vec(), Entry::new(value, None));
                }
                Ok(Some(result))
            }
            None => Ok(None),
        }
    }

    /// Stores `value` at `key` with `expires`, replacing what was there. An
    /// empty container deletes the key instead.
    pub fn insert(&mut self, key: &[u8], value: Value, expires: Option<Instant>) {
        if value.is_empty_container() {
            self.map.remove(key);
            return;
        }
        match self.map.get_mut(key) {
            Some(e) => *e = Entry::new(value, expires),
            None => {
                self.map.insert(key.to_vec(), Entry::new(value, expires));
            }
        }
    }

    /// Stores `value` at `key`, keeping the key's expiry if it exists (an
    /// empty container deletes the key).
    pub fn replace(&mut self, key: &[u8], value: Value) {
        let expires = self.expires(key).flatten();
        self.insert(key, value, expires);
    }

    /// Removes `key`; its live value and expiry.
    pub fn remove(&mut self, key: &[u8]) -> Option<(Value, Option<Instant>)> {
        let e = self.map.remove(key)?;
        e.live_now().then_some((e.value, e.expires))
    }

    /// The expiry of `key`: `None` if it does not exist, `Some(None)` if it
    /// never expires.
    pub fn expires(&mut self, key: &[u8]) -> Option<Option<Instant>> {
        self.expire_lazily(key);
        self.map.get(key).map(|e| e.expires)
    }

    /// Sets the expiry of `key`; whether it exists.
    pub fn set_expires(&mut self, key: &[u8], expires: Option<Instant>) -> bool {
        self.expire_lazily(key);
        match self.map.get_mut(key) {
            Some(e) => {
                e.expires = expires;
                e.version = next_version();
                true
            }
            None => false,
        }
    }

    /// The number of live keys.
    pub fn len(&self) -> usize {
        let now = Instant::now();
        self.map.values().filter(|e| e.live(now)).count()
    }

    /// Whether there are no live keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The live key at `index` in ascending order (for `RANDOMKEY`).
    pub fn nth_key(&self, index: usize) -> Option<Vec<u8>> {
        let now = Instant::now();
        self.map
            .iter()
            .filter(|(_, e)| e.live(now))
            .nth(index)
            .map(|(k, _)| k.clone())
    }
}

impl MemoryKeyspace {
    /// An empty keyspace.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Map> {
        // A panic while holding the lock cannot leave the map inconsistent
        // (a value is changed in place or replaced whole), so a poisoned lock
        // is usable.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The keyspace, locked: for commands that touch several keys at once.
    pub fn lock_db(&self) -> Db<'_> {
        Db { map: self.lock() }
    }

    /// The live entry at `key`, removing it if it expired.
    fn live_mut<'m>(map: &'m mut Map, key: &[u8]) -> Option<&'m mut Entry> {
        if map.get(key).is_some_and(|e| !e.live_now()) {
            map.remove(key);
        }
        map.get_mut(key)
    }

    /// Runs `f` on the live value at `key` (`None` if there is none) without
    /// copying it: what a server needs to write `GET`'s reply straight from
    /// the map.
    pub fn read<R>(&self, key: &[u8], f: impl FnOnce(Option<&Value>) -> R) -> R {
        let map = self.lock();
        match map.get(key) {
            Some(e) if e.live_now() => f(Some(&e.value)),
            _ => f(None),
        }
    }

    /// A number that changes whenever `key` is written (`None` while it does
    /// not exist): what `WATCH` compares.
    pub fn version(&self, key: &[u8]) -> Option<u64> {
        let map = self.lock();
        map.get(key).filter(|e| e.live_now()).map(|e| e.version)
    }

    /// The number of live keys.
    pub fn len(&self) -> usize {
        self.lock_db().len()
    }

    /// Whether there are no live keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of live keys and how many of them have an expiry.
    pub fn counts(&self) -> (usize, usize) {
        let now = Instant::now();
        let map = self.lock();
        let live = map.values().filter(|e| e.live(now));
        live.fold((0, 0), |(n, x), e| {
            (n + 1, x + usize::from(e.expires.is_some()))
        })
    }

    /// Removes every key.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Exchanges the contents of two keyspaces (`SWAPDB`).
    pub fn swap(&self, other: &MemoryKeyspace) {
        if std::ptr::eq(self, other) {
            return;
        }
        let (mut a, mut b) = self.lock_both(other);
        std::mem::swap(&mut *a, &mut *b);
    }

    /// Moves `key` to `other` (`MOVE`) unless it exists there; whether it moved.
    pub fn move_to(&self, key: &[u8], other: &MemoryKeyspace) -> bool {
        if std::ptr::eq(self, other) {
            return false;
        }
        let (mut from, mut to) = self.lock_both(other);
        if Self::live_mut(&mut to, key).is_some() || Self::live_mut(&mut from, key).is_none() {
            return false;
        }
        let Some(e) = from.remove(key) else {
            return false;
        };
        to.insert(key.to_vec(), Entry::new(e.value, e.expires));
        true
    }

    /// Both maps locked, always in the same order, so two threads locking
    /// the same pair cannot deadlock.
    fn lock_both<'a>(
        &'a self,
        other: &'a MemoryKeyspace,
    ) -> (MutexGuard<'a, Map>, MutexGuard<'a, Map>) {
        if (self as *const Self) < (other as *const Self) {
            let a = self.lock();
            let b = other.lock();
            (a, b)
        } else {
            let b = other.lock();
            let a = self.lock();
            (a, b)
        }
    }

    /// Runs `f` on the live value and expiry at `key` (`None` if there is
    /// none), atomically: what `f` leaves in the slot is stored, and `None`
    /// (or an empty container) deletes the key. What a server needs for
    /// `SET NX`, `APPEND`, `PERSIST`. It counts as a write of the key.
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
            Some(Slot { value, expires }) if !value.is_empty_container() => {
                match map.get_mut(key) {
                    Some(e) => *e = Entry::new(value, expires),
                    None => {
                        map.insert(key.to_vec(), Entry::new(value, expires));
                    }
                }
            }
            _ => {
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

    /// Every live key holding a string, with its value, in order (for tests
    /// and dumps); [`MemoryKeyspace::values`] has every type.
    pub fn snapshot(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let now = Instant::now();
        self.lock()
            .iter()
            .filter(|(_, e)| e.live(now))
            .filter_map(|(k, e)| Some((k.clone(), e.value.as_string()?.to_vec())))
            .collect()
    }

    /// Every live key and value, in order.
    pub fn values(&self) -> Vec<(Vec<u8>, Value)> {
        let now = Instant::now();
        self.lock()
            .iter()
            .filter(|(_, e)| e.live(now))
            .map(|(k, e)| (k.clone(), e.value.clone()))
            .collect()
    }
}

fn not_integer() -> KvError {
    KvError::InvalidArgument("hash value is not an integer".into())
}

fn nan_score() -> KvError {
    KvError::InvalidArgument("resulting score is not a number (NaN)".into())
}

/// `count` values off one end of a list.
fn pop(list: &mut List, count: usize, front: bool) -> Vec<Vec<u8>> {
    let n = count.min(list.len());
    if front {
        list.drain(..n).collect()
    } else {
        (0..n).filter_map(|_| list.pop_back()).collect()
    }
}

/// The indexes `start..=stop` of a list of `len` items, as Redis clamps
/// them (negative ones count from the end); `None` if the range is empty.
pub fn clamp_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let stop = if stop < 0 {
        len + stop
    } else {
        stop.min(len - 1)
    };
    if start > stop || start >= len {
        return None;
    }
    Some((start as usize, stop as usize))
}

impl Keyspace for MemoryKeyspace {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        self.read(key, |v| match v {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(KvError::WrongType),
        })
    }

    fn set(&self, key: &[u8], value: Vec<u8>, ttl: Option<Duration>) -> Result<(), KvError> {
        let expires = ttl.map(|d| Instant::now() + d);
        self.lock()
            .insert(key.to_vec(), Entry::new(Value::String(value), expires));
        Ok(())
    }

    fn del(&self, key: &[u8]) -> Result<bool, KvError> {
        Ok(self.lock().remove(key).is_some_and(|e| e.live_now()))
    }

    fn exists(&self, key: &[u8]) -> Result<bool, KvError> {
        Ok(self.read(key, |v| v.is_some()))
    }

    fn incr_by(&self, key: &[u8], delta: i64) -> Result<i64, KvError> {
        let mut map = self.lock();
        let entry = Self::live_mut(&mut map, key);
        let current = match &entry {
            None => 0,
            Some(e) => {
                let Value::String(s) = &e.value else {
                    return Err(KvError::WrongType);
                };
                parse_integer(s).ok_or_else(|| {
                    KvError::InvalidArgument(format!(
                        "the value of `{}` is not an integer",
                        String::from_utf8_lossy(key)
                    ))
                })?
            }
        };
        let next = current.checked_add(delta).ok_or_else(|| {
            KvError::InvalidArgument(format!(
                "incrementing `{}` by {delta} would overflow",
                String::from_utf8_lossy(key)
            ))
        })?;
        let value = Value::String(next.to_string().into_bytes());
        match entry {
            Some(e) => {
                e.value = value;
                e.version = next_version();
            }
            None => {
                map.insert(key.to_vec(), Entry::new(value, None));
            }
        }
        Ok(next)
    }

    fn expire(&self, key: &[u8], ttl: Option<Duration>) -> Result<bool, KvError> {
        Ok(self
            .lock_db()
            .set_expires(key, ttl.map(|d| Instant::now() + d)))
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

    fn scan_filtered(
        &self,
        prefix: &[u8],
        limit: usize,
        keep: &dyn Fn(&[u8]) -> bool,
    ) -> Result<Vec<Vec<u8>>, KvError> {
        let now = Instant::now();
        let map = self.lock();
        Ok(map
            .range::<[u8], _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .filter(|(k, e)| e.live(now) && keep(k))
            .take(limit)
            .map(|(k, _)| k.clone())
            .collect())
    }

    fn ttl(&self, key: &[u8]) -> Result<Option<Option<Duration>>, KvError> {
        let expires = self.lock_db().expires(key);
        Ok(expires.map(|e| e.map(|t| t.saturating_duration_since(Instant::now()))))
    }

    fn hset(&self, key: &[u8], fields: &[(&[u8], &[u8])]) -> Result<u64, KvError> {
        let added = self.lock_db().modify(key, true, |h: &mut Hash| {
            let mut added = 0;
            for (f, v) in fields {
                if h.insert(f.to_vec(), v.to_vec()).is_none() {
                    added += 1;
                }
            }
            added
        })?;
        Ok(added.unwrap_or(0))
    }

    fn hget(&self, key: &[u8], field: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        Ok(self
            .lock_db()
            .view::<Hash>(key)?
            .and_then(|h| h.get(field).cloned()))
    }

    fn hdel(&self, key: &[u8], fields: &[&[u8]]) -> Result<u64, KvError> {
        let removed = self.lock_db().modify(key, false, |h: &mut Hash| {
            fields.iter().filter(|f| h.remove(**f).is_some()).count() as u64
        })?;
        Ok(removed.unwrap_or(0))
    }

    fn hgetall(&self, key: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, KvError> {
        Ok(self
            .lock_db()
            .view::<Hash>(key)?
            .map_or_else(Vec::new, |h| {
                h.iter().map(|(f, v)| (f.clone(), v.clone())).collect()
            }))
    }

    fn hincr_by(&self, key: &[u8], field: &[u8], delta: i64) -> Result<i64, KvError> {
        let result = self.lock_db().modify(key, true, |h: &mut Hash| {
            let current = match h.get(field) {
                None => 0,
                Some(v) => parse_integer(v).ok_or_else(not_integer)?,
            };
            let next = current.checked_add(delta).ok_or_else(|| {
                KvError::InvalidArgument("increment or decrement would overflow".into())
            })?;
            h.insert(field.to_vec(), next.to_string().into_bytes());
            Ok(next)
        })?;
        result.unwrap_or(Ok(0))
    }

    fn lpush(&self, key: &[u8], values: &[&[u8]]) -> Result<u64, KvError> {
        let len = self.lock_db().modify(key, true, |l: &mut List| {
            for v in values {
                l.push_front(v.to_vec());
            }
            l.len() as u64
        })?;
        Ok(len.unwrap_or(0))
    }

    fn rpush(&self, key: &[u8], values: &[&[u8]]) -> Result<u64, KvError> {
        let len = self.lock_db().modify(key, true, |l: &mut List| {
            l.extend(values.iter().map(|v| v.to_vec()));
            l.len() as u64
        })?;
        Ok(len.unwrap_or(0))
    }

    fn lpop(&self, key: &[u8], count: usize) -> Result<Vec<Vec<u8>>, KvError> {
        let popped = self
            .lock_db()
            .modify(key, false, |l: &mut List| pop(l, count, true))?;
        Ok(popped.unwrap_or_default())
    }

    fn rpop(&self, key: &[u8], count: usize) -> Result<Vec<Vec<u8>>, KvError> {
        let popped = self
            .lock_db()
            .modify(key, false, |l: &mut List| pop(l, count, false))?;
        Ok(popped.unwrap_or_default())
    }

    fn lrange(&self, key: &[u8], start: i64, stop: i64) -> Result<Vec<Vec<u8>>, KvError> {
        let mut db = self.lock_db();
        let Some(list) = db.view::<List>(key)? else {
            return Ok(Vec::new());
        };
        Ok(match clamp_range(start, stop, list.len()) {
            Some((a, b)) => list.range(a..=b).cloned().collect(),
            None => Vec::new(),
        })
    }

    fn llen(&self, key: &[u8]) -> Result<u64, KvError> {
        Ok(self
            .lock_db()
            .view::<List>(key)?
            .map_or(0, |l| l.len() as u64))
    }

    fn sadd(&self, key: &[u8], members: &[&[u8]]) -> Result<u64, KvError> {
        let added = self.lock_db().modify(key, true, |s: &mut Set| {
            members.iter().filter(|m| s.insert(m.to_vec())).count() as u64
        })?;
        Ok(added.unwrap_or(0))
    }

    fn srem(&self, key: &[u8], members: &[&[u8]]) -> Result<u64, KvError> {
        let removed = self.lock_db().modify(key, false, |s: &mut Set| {
            members.iter().filter(|m| s.remove(**m)).count() as u64
        })?;
        Ok(removed.unwrap_or(0))
    }

    fn smembers(&self, key: &[u8]) -> Result<Vec<Vec<u8>>, KvError> {
        Ok(self
            .lock_db()
            .view::<Set>(key)?
            .map_or_else(Vec::new, |s| s.iter().cloned().collect()))
    }

    fn sismember(&self, key: &[u8], member: &[u8]) -> Result<bool, KvError> {
        Ok(self
            .lock_db()
            .view::<Set>(key)?
            .is_some_and(|s| s.contains(member)))
    }

    fn scard(&self, key: &[u8]) -> Result<u64, KvError> {
        Ok(self
            .lock_db()
            .view::<Set>(key)?
            .map_or(0, |s| s.len() as u64))
    }

    fn zadd(&self, key: &[u8], score: f64, member: &[u8]) -> Result<bool, KvError> {
        let score = Score::new(score)
            .ok_or_else(|| KvError::InvalidArgument("the score is not a number (NaN)".into()))?;
        let added = self
            .lock_db()
            .modify(key, true, |z: &mut ZSet| z.insert(member, score).is_none())?;
        Ok(added.unwrap_or(false))
    }

    fn zrem(&self, key: &[u8], members: &[&[u8]]) -> Result<u64, KvError> {
        let removed = self.lock_db().modify(key, false, |z: &mut ZSet| {
            members.iter().filter(|m| z.remove(m).is_some()).count() as u64
        })?;
        Ok(removed.unwrap_or(0))
    }

    fn zscore(&self, key: &[u8], member: &[u8]) -> Result<Option<f64>, KvError> {
        Ok(self
            .lock_db()
            .view::<ZSet>(key)?
            .and_then(|z| z.score(member)))
    }

    fn zincr_by(&self, key: &[u8], delta: f64, member: &[u8]) -> Result<f64, KvError> {
        let result = self.lock_db().modify(key, true, |z: &mut ZSet| {
            let next = z.score(member).unwrap_or(0.0) + delta;
            let score = Score::new(next).ok_or_else(nan_score)?;
            z.insert(member, score);
            Ok(next)
        })?;
        result.unwrap_or(Ok(0.0))
    }

    fn zrange_by_score(
        &self,
        key: &[u8],
        min: f64,
        max: f64,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, f64)>, KvError> {
        let mut db = self.lock_db();
        Ok(db.view::<ZSet>(key)?.map_or_else(Vec::new, |z| {
            z.range_by_score(Bound::Included(min), Bound::Included(max))
                .take(limit)
                .map(|(m, s)| (m.to_vec(), s))
                .collect()
        }))
    }

    fn zrem_range_by_score(&self, key: &[u8], min: f64, max: f64) -> Result<u64, KvError> {
        let removed = self.lock_db().modify(key, false, |z: &mut ZSet| {
            let doomed: Vec<Vec<u8>> = z
                .range_by_score(Bound::Included(min), Bound::Included(max))
                .map(|(m, _)| m.to_vec())
                .collect();
            for m in &doomed {
                z.remove(m);
            }
            doomed.len() as u64
        })?;
        Ok(removed.unwrap_or(0))
    }

    fn zcard(&self, key: &[u8]) -> Result<u64, KvError> {
        Ok(self
            .lock_db()
            .view::<ZSet>(key)?
            .map_or(0, |z| z.len() as u64))
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
        assert_eq!(kv.ttl(b"u").unwrap(), Some(None));
        assert!(kv.expire(b"u", Some(Duration::from_secs(10))).unwrap());
        assert!(!kv.expire(b"absent", Some(Duration::from_secs(10))).unwrap());
        assert!(kv.ttl(b"u").unwrap().unwrap().unwrap() > Duration::from_secs(9));
        assert_eq!(kv.ttl(b"absent").unwrap(), None);
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

    /// A keyspace with only the required methods, so that `scan_filtered`
    /// is the trait's default.
    struct Plain(MemoryKeyspace);

    impl Keyspace for Plain {
        fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
            self.0.get(key)
        }
        fn set(&self, key: &[u8], value: Vec<u8>, ttl: Option<Duration>) -> Result<(), KvError> {
            self.0.set(key, value, ttl)
        }
        fn del(&self, key: &[u8]) -> Result<bool, KvError> {
            self.0.del(key)
        }
        fn incr_by(&self, key: &[u8], delta: i64) -> Result<i64, KvError> {
            self.0.incr_by(key, delta)
        }
        fn expire(&self, key: &[u8], ttl: Option<Duration>) -> Result<bool, KvError> {
            self.0.expire(key, ttl)
        }
        fn scan(&self, prefix: &[u8], limit: usize) -> Result<Vec<Vec<u8>>, KvError> {
            self.0.scan(prefix, limit)
        }
    }

    #[test]
    fn a_filtered_scan_fills_its_limit_with_kept_keys() {
        let memory = MemoryKeyspace::new();
        // 500 refused keys sort before the first kept one.
        for i in 0..500 {
            memory
                .set(format!("k:a{i:03}").as_bytes(), vec![], None)
                .unwrap();
        }
        for i in 0..5 {
            memory
                .set(format!("k:z{i}").as_bytes(), vec![], None)
                .unwrap();
        }
        let keep = |k: &[u8]| k.starts_with(b"k:z");
        let plain = Plain(MemoryKeyspace::new());
        for (k, _) in memory.values() {
            plain.set(&k, vec![], None).unwrap();
        }
        for kv in [&memory as &dyn Keyspace, &plain] {
            let keys = kv.scan_filtered(b"k:", 3, &keep).unwrap();
            assert_eq!(keys, [b"k:z0".to_vec(), b"k:z1".to_vec(), b"k:z2".to_vec()]);
            assert_eq!(kv.scan_filtered(b"k:", 100, &keep).unwrap().len(), 5);
            assert!(kv.scan_filtered(b"k:", 0, &keep).unwrap().is_empty());
            assert!(kv.scan_filtered(b"x", 10, &keep).unwrap().is_empty());
        }
    }

    #[test]
    fn hashes_follow_redis() {
        let kv = MemoryKeyspace::new();
        assert_eq!(kv.hset(b"h", &[(b"a", b"1"), (b"b", b"2")]).unwrap(), 2);
        assert_eq!(kv.hset(b"h", &[(b"a", b"3"), (b"c", b"4")]).unwrap(), 1);
        assert_eq!(kv.hget(b"h", b"a").unwrap(), Some(b"3".to_vec()));
        assert_eq!(kv.hget(b"h", b"z").unwrap(), None);
        assert_eq!(kv.hget(b"none", b"a").unwrap(), None);
        assert_eq!(kv.hincr_by(b"h", b"n", 5).unwrap(), 5);
        assert_eq!(kv.hincr_by(b"h", b"n", -6).unwrap(), -1);
        assert!(kv.hincr_by(b"h", b"a", i64::MAX).is_err());
        kv.hset(b"h", &[(b"t", b"x")]).unwrap();
        assert!(matches!(
            kv.hincr_by(b"h", b"t", 1),
            Err(KvError::InvalidArgument(_))
        ));
        let all: Vec<Vec<u8>> = kv.hgetall(b"h").unwrap().into_iter().map(|p| p.0).collect();
        assert_eq!(all, [&b"a"[..], b"b", b"c", b"n", b"t"]);
        assert_eq!(kv.hdel(b"h", &[b"a", b"b", b"c", b"n", b"zz"]).unwrap(), 4);
        kv.expire(b"h", Some(Duration::from_secs(100))).unwrap();
        kv.hset(b"h", &[(b"u", b"1")]).unwrap();
        assert!(
            kv.ttl(b"h").unwrap().unwrap().is_some(),
            "the expiry is kept"
        );
        assert_eq!(kv.hdel(b"h", &[b"t", b"u"]).unwrap(), 2);
        assert!(!kv.exists(b"h").unwrap(), "an emptied hash is deleted");
        assert_eq!(kv.hgetall(b"h").unwrap(), vec![]);
    }

    #[test]
    fn every_type_refuses_the_others() {
        let kv = MemoryKeyspace::new();
        kv.set(b"s", b"x".to_vec(), None).unwrap();
        kv.hset(b"h", &[(b"f", b"v")]).unwrap();
        kv.rpush(b"l", &[b"a"]).unwrap();
        kv.sadd(b"set", &[b"a"]).unwrap();
        kv.zadd(b"z", 1.0, b"a").unwrap();
        let wrong = Err::<(), _>(KvError::WrongType);
        for key in [&b"h"[..], b"l", b"set", b"z"] {
            assert_eq!(kv.get(key).map(|_| ()), wrong);
            assert_eq!(kv.incr_by(key, 1).map(|_| ()), wrong);
            assert!(kv.exists(key).unwrap());
        }
        for key in [&b"s"[..], b"l", b"set", b"z"] {
            assert_eq!(kv.hget(key, b"f").map(|_| ()), wrong);
            assert_eq!(kv.hset(key, &[(b"f", b"v")]).map(|_| ()), wrong);
        }
        for key in [&b"s"[..], b"h", b"set", b"z"] {
            assert_eq!(kv.lpush(key, &[b"v"]).map(|_| ()), wrong);
            assert_eq!(kv.llen(key).map(|_| ()), wrong);
        }
        for key in [&b"s"[..], b"h", b"l", b"z"] {
            assert_eq!(kv.sadd(key, &[b"v"]).map(|_| ()), wrong);
            assert_eq!(kv.smembers(key).map(|_| ()), wrong);
        }
        for key in [&b"s"[..], b"h", b"l", b"set"] {
            assert_eq!(kv.zadd(key, 1.0, b"v").map(|_| ()), wrong);
            assert_eq!(kv.zcard(key).map(|_| ()), wrong);
        }
        let types: Vec<&str> = kv.values().iter().map(|(_, v)| v.type_name()).collect();
        assert_eq!(types, ["hash", "list", "string", "set", "zset"]);
        assert_eq!(kv.snapshot(), vec![(b"s".to_vec(), b"x".to_vec())]);
        kv.set(b"h", b"now a string".to_vec(), None).unwrap();
        assert_eq!(kv.get(b"h").unwrap(), Some(b"now a string".to_vec()));
    }

    #[test]
    fn lists_follow_redis() {
        let kv = MemoryKeyspace::new();
        assert_eq!(kv.lpush(b"l", &[b"a", b"b"]).unwrap(), 2);
        assert_eq!(kv.rpush(b"l", &[b"c", b"d"]).unwrap(), 4);
        assert_eq!(kv.lrange(b"l", 0, -1).unwrap(), [b"b", b"a", b"c", b"d"]);
        assert_eq!(kv.lrange(b"l", -2, 100).unwrap(), [b"c", b"d"]);
        assert_eq!(kv.lrange(b"l", 3, 1).unwrap(), Vec::<Vec<u8>>::new());
        assert_eq!(kv.lrange(b"l", -100, 0).unwrap(), [b"b"]);
        assert_eq!(kv.lrange(b"l", 4, 10).unwrap(), Vec::<Vec<u8>>::new());
        assert_eq!(kv.llen(b"l").unwrap(), 4);
        assert_eq!(kv.lpop(b"l", 1).unwrap(), [b"b"]);
        assert_eq!(kv.rpop(b"l", 2).unwrap(), [b"d", b"c"]);
        assert_eq!(kv.rpop(b"l", 10).unwrap(), [b"a"]);
        assert!(!kv.exists(b"l").unwrap());
        assert_eq!(kv.lpop(b"l", 1).unwrap(), Vec::<Vec<u8>>::new());
        assert_eq!(kv.llen(b"l").unwrap(), 0);
    }

    #[test]
    fn sets_follow_redis() {
        let kv = MemoryKeyspace::new();
        assert_eq!(kv.sadd(b"s", &[b"b", b"a", b"b"]).unwrap(), 2);
        assert_eq!(kv.smembers(b"s").unwrap(), [b"a", b"b"]);
        assert!(kv.sismember(b"s", b"a").unwrap());
        assert!(!kv.sismember(b"s", b"z").unwrap());
        assert!(!kv.sismember(b"none", b"z").unwrap());
        assert_eq!(kv.scard(b"s").unwrap(), 2);
        assert_eq!(kv.srem(b"s", &[b"a", b"b", b"c"]).unwrap(), 2);
        assert!(!kv.exists(b"s").unwrap());
    }

    #[test]
    fn sorted_sets_follow_redis() {
        let kv = MemoryKeyspace::new();
        assert!(kv.zadd(b"z", 2.0, b"b").unwrap());
        assert!(kv.zadd(b"z", 1.0, b"a").unwrap());
        assert!(kv.zadd(b"z", 2.0, b"c").unwrap());
        assert!(!kv.zadd(b"z", 3.0, b"a").unwrap());
        assert!(kv.zadd(b"z", f64::NAN, b"x").is_err());
        assert_eq!(kv.zscore(b"z", b"a").unwrap(), Some(3.0));
        assert_eq!(kv.zincr_by(b"z", 1.5, b"a").unwrap(), 4.5);
        assert_eq!(kv.zincr_by(b"z", 1.0, b"new").unwrap(), 1.0);
        kv.zadd(b"inf", f64::INFINITY, b"i").unwrap();
        assert!(kv.zincr_by(b"inf", f64::NEG_INFINITY, b"i").is_err());
        let range = kv.zrange_by_score(b"z", 1.0, 4.5, 10).unwrap();
        let members: Vec<&[u8]> = range.iter().map(|(m, _)| m.as_slice()).collect();
        assert_eq!(members, [&b"new"[..], b"b", b"c", b"a"]);
        assert_eq!(kv.zrange_by_score(b"z", 2.0, 2.0, 1).unwrap().len(), 1);
        assert_eq!(kv.zrem_range_by_score(b"z", 2.0, 2.0).unwrap(), 2);
        assert_eq!(kv.zcard(b"z").unwrap(), 2);
        assert_eq!(kv.zrem(b"z", &[b"a", b"new", b"zz"]).unwrap(), 2);
        assert!(!kv.exists(b"z").unwrap());
    }

    #[test]
    fn versions_change_on_every_write_and_across_swaps() {
        let a = MemoryKeyspace::new();
        let b = MemoryKeyspace::new();
        assert_eq!(a.version(b"k"), None);
        a.set(b"k", b"1".to_vec(), None).unwrap();
        let v1 = a.version(b"k").unwrap();
        a.incr_by(b"k", 1).unwrap();
        let v2 = a.version(b"k").unwrap();
        assert_ne!(v1, v2);
        assert_eq!(a.get(b"k").unwrap(), Some(b"2".to_vec()));
        assert_eq!(a.version(b"k"), Some(v2), "reads do not count");
        b.set(b"k", b"other".to_vec(), None).unwrap();
        a.swap(&b);
        assert_eq!(a.get(b"k").unwrap(), Some(b"other".to_vec()));
        assert_ne!(a.version(b"k"), Some(v2));
        assert!(!a.move_to(b"k", &b), "the key exists in the target");
        b.del(b"k").unwrap();
        assert!(a.move_to(b"k", &b));
        assert!(!a.exists(b"k").unwrap());
        assert_eq!(b.get(b"k").unwrap(), Some(b"other".to_vec()));
    }

    #[test]
    fn zsets_keep_negative_zero_and_order() {
        let mut z = ZSet::new();
        z.insert(b"b", Score::new(0.0).unwrap());
        z.insert(b"a", Score::new(-0.0).unwrap());
        assert!(z.is_consistent());
        let order: Vec<&[u8]> = z.iter().map(|(m, _)| m).collect();
        assert_eq!(order, [&b"a"[..], b"b"]);
        z.insert(b"a", Score::new(0.0).unwrap());
        assert!(z.is_consistent());
        assert_eq!(z.rank(b"b"), Some(1));
        let open: Vec<&[u8]> = z
            .range_by_score(Bound::Excluded(0.0), Bound::Unbounded)
            .map(|(m, _)| m)
            .collect();
        assert!(open.is_empty());
    }

    #[test]
    fn ranges_clamp_as_redis() {
        assert_eq!(clamp_range(0, -1, 3), Some((0, 2)));
        assert_eq!(clamp_range(-5, 1, 3), Some((0, 1)));
        assert_eq!(clamp_range(2, 100, 3), Some((2, 2)));
        assert_eq!(clamp_range(3, 5, 3), None);
        assert_eq!(clamp_range(0, -1, 0), None);
        assert_eq!(clamp_range(i64::MIN, i64::MAX, 2), Some((0, 1)));
        assert_eq!(clamp_range(-1, -2, 3), None);
    }
}
