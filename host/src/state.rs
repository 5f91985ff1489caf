//! What a store carries while a plugin runs: the host API's implementation,
//! the memory limiter, and what the call leaves behind (logs, a panic report).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::keyspace::{Keyspace, KvError};
use crate::server_call::{Emit, ServerCall, ServerCommands};

/// The host API this host serves components built against now.
mod wit {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "plugin",
    });
}

/// The host API 0.1.0, frozen: components built against it keep loading.
/// Each of its functions is the current one of the same name.
mod wit_v1 {
    wasmtime::component::bindgen!({
        path: "../wit/0.1.0",
        world: "plugin",
    });
}

/// Links every version of the host API into `linker`.
pub(crate) fn add_to_linker(
    linker: &mut wasmtime::component::Linker<CallState>,
    versions: &[crate::ApiVersion],
) -> wasmtime::Result<()> {
    use wasmtime::component::HasSelf;
    for v in versions {
        match v {
            crate::ApiVersion::V0_1 => {
                wit_v1::Plugin::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?
            }
            crate::ApiVersion::V0_2 => {
                wit::Plugin::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?
            }
        }
    }
    Ok(())
}

/// `ferrite:plugin/types.error`, as commands return it.
pub(crate) use wit::ferrite::plugin::types::Error as WitError;
use wit::ferrite::plugin::{clock, config, events, kv, log, random, runtime, server, types};

/// The host's clock, as plugins see it through `clock.now-ms`.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    }
}

/// A clock that stands still until it is moved: deterministic tests.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    /// A clock reading `ms`.
    pub fn new(ms: u64) -> Self {
        ManualClock(AtomicU64::new(ms))
    }
    /// Sets the reading.
    pub fn set(&self, ms: u64) {
        self.0.store(ms, Ordering::Relaxed);
    }
    /// Moves the reading forward.
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_millis() as u64, Ordering::Relaxed);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The host's random numbers, as plugins see them through `random`.
pub trait Random: Send + Sync {
    /// A random 64-bit number.
    fn next_u64(&self) -> u64;
    /// Fills `buf` with random bytes.
    fn fill(&self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let n = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&n[..chunk.len()]);
        }
    }
}

/// Random numbers from the operating system.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemRandom;

impl Random for SystemRandom {
    fn next_u64(&self) -> u64 {
        let mut b = [0; 8];
        self.fill(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill(&self, buf: &mut [u8]) {
        // The OS generator failing is not something a plugin can act on; fall
        // back to a seeded generator from the clock rather than fail the call.
        if getrandom::fill(buf).is_err() {
            let seed = SystemClock.now_ms() ^ (buf.as_ptr() as u64);
            SeededRandom::new(seed).fill(buf);
        }
    }
}

/// A reproducible generator (SplitMix64): the same seed gives the same
/// numbers, for tests.
#[derive(Debug, Default)]
pub struct SeededRandom(AtomicU64);

impl SeededRandom {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SeededRandom(AtomicU64::new(seed))
    }
}

impl Random for SeededRandom {
    fn next_u64(&self) -> u64 {
        let mut z = self
            .0
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The most bytes one `random.bytes` returns.
pub const MAX_RANDOM_BYTES: u32 = 65536;

/// A log level, as plugins write them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Very detailed tracing.
    Trace,
    /// Development detail.
    Debug,
    /// Normal operation.
    Info,
    /// Something unexpected, recovered from.
    Warn,
    /// A failure.
    Error,
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        })
    }
}

/// One message a plugin logged during a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// Its level.
    pub level: Level,
    /// Its text.
    pub message: String,
}

/// The most log records kept per call; later ones are counted, not kept.
pub const MAX_LOGS_PER_CALL: usize = 1000;
/// The most bytes of one log message kept.
pub const MAX_LOG_MESSAGE: usize = 64 * 1024;
/// The most keys one `kv.scan` returns.
pub const MAX_SCAN: usize = 100_000;

/// What a plugin is allowed and given, shared by all its calls.
#[derive(Debug, Clone)]
pub struct Grants {
    /// The plugin's name, for logs.
    pub plugin: String,
    /// The keys it may read and write.
    pub keys: crate::scope::KeyScope,
    /// Whether `keys` grants every key (`keys = true`), so that a call's
    /// key check is one branch.
    pub(crate) all_keys: bool,
    /// Its operator-set configuration.
    pub config: HashMap<String, String>,
    /// Its functions' names, by index (for the long calls' list).
    pub functions: Vec<String>,
    /// By function index: whether its last call outlasted a slice, so that
    /// its next one starts as a long call (`CallOptions::on_long_call` runs
    /// before it, not a slice into it).
    pub(crate) went_long: Arc<[AtomicBool]>,
}

/// The memory limiter: refuses, and traps on, growth past `limit` bytes.
#[derive(Debug)]
pub(crate) struct Limiter {
    pub limit: usize,
    pub exceeded: bool,
}

/// The error a memory growth past the limit traps with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("memory limit of {0} bytes exceeded")]
pub(crate) struct MemoryLimitExceeded(pub usize);

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.exceeded = true;
            // Trapping at once gives the plugin's author a clear error; a Rust
            // plugin would abort on the failed allocation anyway.
            return Err(wasmtime::Error::new(MemoryLimitExceeded(self.limit)));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// A store's data.
pub struct CallState {
    pub(crate) grants: Arc<Grants>,
    pub(crate) keyspace: Arc<dyn Keyspace>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) random: Arc<dyn Random>,
    pub(crate) commands: Option<Arc<dyn ServerCommands>>,
    /// The host's long calls, where this one goes once it outlasts a slice.
    pub(crate) registry: Arc<crate::running::Registry>,
    /// The call's function index, epoch ticks left before its timeout, the
    /// ticks of the current slice, and its entry once it is long.
    pub(crate) function: usize,
    pub(crate) ticks_left: u64,
    pub(crate) granted: u64,
    pub(crate) tick: Duration,
    pub(crate) long: Option<Arc<crate::running::Entry>>,
    /// What the call's options run when it becomes long.
    pub(crate) on_long_call: Option<Arc<dyn Fn() + Send + Sync>>,
    /// Whether `on_long_call` ran before the call started, because the
    /// function's last call went long.
    pub(crate) started_long: bool,
    /// The thread's priority before the call became long and lowered it
    /// (`HostConfig::lower_long_calls`).
    pub(crate) lowered: Option<crate::priority::Lowered>,
    pub(crate) limiter: Limiter,
    pub(crate) read_only: bool,
    pub(crate) logs: Vec<LogRecord>,
    pub(crate) dropped_logs: usize,
    pub(crate) panic: Option<String>,
    /// WASI's state, made at a plugin's first WASI call (only a plugin for
    /// another host's world makes one): nothing granted.
    #[cfg(feature = "wasi")]
    pub(crate) wasi: Option<Box<(wasmtime_wasi::WasiCtx, wasmtime::component::ResourceTable)>>,
}

#[cfg(feature = "wasi")]
impl wasmtime_wasi::WasiView for CallState {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        let (ctx, table) = &mut **self.wasi.get_or_insert_with(|| {
            Box::new((
                wasmtime_wasi::WasiCtx::builder().build(),
                wasmtime::component::ResourceTable::new(),
            ))
        });
        wasmtime_wasi::WasiCtxView { ctx, table }
    }
}

impl CallState {
    pub(crate) fn new(
        grants: Arc<Grants>,
        keyspace: Arc<dyn Keyspace>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        registry: Arc<crate::running::Registry>,
        tick: Duration,
        memory_limit: usize,
    ) -> CallState {
        CallState {
            grants,
            keyspace,
            clock,
            random,
            commands: None,
            registry,
            function: 0,
            ticks_left: u64::MAX,
            granted: 0,
            tick,
            long: None,
            on_long_call: None,
            started_long: false,
            lowered: None,
            limiter: Limiter {
                limit: memory_limit,
                exceeded: false,
            },
            read_only: false,
            logs: Vec::new(),
            dropped_logs: 0,
            panic: None,
            #[cfg(feature = "wasi")]
            wasi: None,
        }
    }

    /// Before the call: if the function's last call went long, runs
    /// `on_long_call` now, so that a function that computes for long every
    /// time never holds its caller's thread for a slice.
    pub(crate) fn call_starting(&mut self) {
        if let Some(hook) = &self.on_long_call
            && self.grants.went_long[self.function].load(Ordering::Relaxed)
        {
            hook();
            self.started_long = true;
            self.lowered = self.registry.priority.lower();
        }
    }

    /// At the end of a slice: counts it against the timeout, records the
    /// call as long the first time, and stops it when killed. Returns the
    /// ticks of the next slice.
    pub(crate) fn slice_ended(&mut self) -> wasmtime::Result<u64> {
        self.ticks_left = self.ticks_left.saturating_sub(self.granted);
        if self.ticks_left == 0 {
            return Err(wasmtime::Error::new(wasmtime::Trap::Interrupt));
        }
        let entry = match &self.long {
            Some(e) => e,
            None => {
                let function = self
                    .grants
                    .functions
                    .get(self.function)
                    .map_or("", String::as_str);
                let ran = self.tick * u32::try_from(self.granted).unwrap_or(u32::MAX);
                self.long = Some(self.registry.add(&self.grants.plugin, function, ran));
                self.grants.went_long[self.function].store(true, Ordering::Relaxed);
                if !self.started_long {
                    if let Some(hook) = &self.on_long_call {
                        hook();
                    }
                    self.lowered = self.registry.priority.lower();
                }
                self.long.as_ref().expect("just set")
            }
        };
        if entry.killed() {
            return Err(wasmtime::Error::new(crate::running::Killed));
        }
        self.granted = crate::running::SLICE_TICKS.min(self.ticks_left);
        Ok(self.granted)
    }

    /// Forgets the call in the long calls' list, if it got there; a call
    /// that started long but ended within its first slice lets the
    /// function's next call start as usual.
    pub(crate) fn call_ended(&mut self) {
        match self.long.take() {
            Some(e) => self.registry.remove(&e),
            None if self.started_long => {
                self.grants.went_long[self.function].store(false, Ordering::Relaxed);
            }
            None => {}
        }
        self.started_long = false;
        if let Some(lowered) = self.lowered.take() {
            lowered.restore();
        }
    }

    /// Clears what one call leaves behind, for a warm instance's next call.
    pub(crate) fn reset(&mut self) {
        self.logs.clear();
        self.dropped_logs = 0;
        self.panic = None;
        self.limiter.exceeded = false;
        self.read_only = false;
    }

    /// Whether this call may read (or, with `write`, write) `key`: the
    /// plugin's `keys` must grant it, and a read-only call writes nothing.
    /// For a plugin granted every key (`keys = true`) it is one branch.
    #[inline]
    fn kv_allowed(&self, key: &[u8], write: bool) -> Result<(), types::Error> {
        if write && self.read_only {
            return Err(types::Error::PermissionDenied(
                "this call is read-only (FCALL_RO): the keyspace cannot be written".into(),
            ));
        }
        if self.grants.all_keys {
            return Ok(());
        }
        self.kv_granted()?;
        let keys = &self.grants.keys;
        let granted = if write {
            keys.may_write(key)
        } else {
            keys.may_read(key)
        };
        if granted {
            Ok(())
        } else {
            Err(types::Error::PermissionDenied(keys.refusal(
                &self.grants.plugin,
                key,
                write,
                None,
            )))
        }
    }

    /// Whether the plugin was granted any key at all.
    fn kv_granted(&self) -> Result<(), types::Error> {
        if self.grants.keys.is_none() {
            return Err(types::Error::PermissionDenied(format!(
                "plugin `{}` lacks the `keys` permission: set `keys = true`, or the patterns of the keys it uses (`keys = [\"app:*\"]`), under [permissions] in its plugin.toml",
                self.grants.plugin
            )));
        }
        Ok(())
    }
}

fn kv_error(e: KvError) -> types::Error {
    match e {
        KvError::InvalidArgument(m) => types::Error::InvalidArgument(m),
        KvError::Failed(m) => types::Error::Host(m),
        KvError::WrongType => types::Error::InvalidArgument(KvError::WrongType.to_string()),
        KvError::PermissionDenied(m) => types::Error::PermissionDenied(m),
        KvError::Command(m) => types::Error::InvalidArgument(m),
    }
}

impl types::Host for CallState {}

impl log::Host for CallState {
    fn log(&mut self, level: log::Level, mut message: String) {
        let level = match level {
            log::Level::Trace => Level::Trace,
            log::Level::Debug => Level::Debug,
            log::Level::Info => Level::Info,
            log::Level::Warn => Level::Warn,
            log::Level::Error => Level::Error,
        };
        let plugin = &self.grants.plugin;
        match level {
            Level::Trace => tracing::trace!(target: "ferrite_plugin", plugin, "{message}"),
            Level::Debug => tracing::debug!(target: "ferrite_plugin", plugin, "{message}"),
            Level::Info => tracing::info!(target: "ferrite_plugin", plugin, "{message}"),
            Level::Warn => tracing::warn!(target: "ferrite_plugin", plugin, "{message}"),
            Level::Error => tracing::error!(target: "ferrite_plugin", plugin, "{message}"),
        }
        if self.logs.len() >= MAX_LOGS_PER_CALL {
            self.dropped_logs += 1;
            return;
        }
        if message.len() > MAX_LOG_MESSAGE {
            let mut end = MAX_LOG_MESSAGE;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
            message.push('…');
        }
        self.logs.push(LogRecord { level, message });
    }
}

impl kv::Host for CallState {
    fn get(&mut self, key: Vec<u8>) -> Result<Option<Vec<u8>>, types::Error> {
        self.kv_allowed(&key, false)?;
        self.keyspace.get(&key).map_err(kv_error)
    }

    fn set(
        &mut self,
        key: Vec<u8>,
        value: Vec<u8>,
        ttl_ms: Option<u64>,
    ) -> Result<(), types::Error> {
        self.kv_allowed(&key, true)?;
        if ttl_ms == Some(0) {
            return Err(types::Error::InvalidArgument(
                "a TTL must be at least 1 ms".into(),
            ));
        }
        self.keyspace
            .set(&key, value, ttl_ms.map(Duration::from_millis))
            .map_err(kv_error)
    }

    fn del(&mut self, key: Vec<u8>) -> Result<bool, types::Error> {
        self.kv_allowed(&key, true)?;
        self.keyspace.del(&key).map_err(kv_error)
    }

    fn exists(&mut self, key: Vec<u8>) -> Result<bool, types::Error> {
        self.kv_allowed(&key, false)?;
        self.keyspace.exists(&key).map_err(kv_error)
    }

    fn incr_by(&mut self, key: Vec<u8>, delta: i64) -> Result<i64, types::Error> {
        self.kv_allowed(&key, true)?;
        self.keyspace.incr_by(&key, delta).map_err(kv_error)
    }

    fn expire(&mut self, key: Vec<u8>, ttl_ms: u64) -> Result<bool, types::Error> {
        self.kv_allowed(&key, true)?;
        if ttl_ms == 0 {
            return Err(types::Error::InvalidArgument(
                "a TTL must be at least 1 ms".into(),
            ));
        }
        self.keyspace
            .expire(&key, Some(Duration::from_millis(ttl_ms)))
            .map_err(kv_error)
    }

    /// Only keys the plugin may read, and still up to `limit` of them: the
    /// keyspace filters as it walks, under the prefixes where the plugin's
    /// patterns can match.
    fn scan(&mut self, prefix: Vec<u8>, limit: u32) -> Result<Vec<Vec<u8>>, types::Error> {
        let limit = (limit as usize).min(MAX_SCAN);
        let keys = &self.grants.keys;
        if self.grants.all_keys || keys.reads_all() {
            return self.keyspace.scan(&prefix, limit).map_err(kv_error);
        }
        self.kv_granted()?;
        let readable = |k: &[u8]| keys.may_read(k);
        let mut found = Vec::new();
        for under in keys.scan_prefixes(&prefix) {
            if found.len() == limit {
                break;
            }
            let more = self
                .keyspace
                .scan_filtered(&under, limit - found.len(), &readable)
                .map_err(kv_error)?;
            found.extend(more);
        }
        Ok(found)
    }

    fn ttl(&mut self, key: Vec<u8>) -> Result<Option<Option<u64>>, types::Error> {
        self.kv_allowed(&key, false)?;
        let ttl = self.keyspace.ttl(&key).map_err(kv_error)?;
        Ok(ttl.map(|t| t.map(|d| d.as_millis() as u64)))
    }

    fn hset(&mut self, key: Vec<u8>, field: Vec<u8>, value: Vec<u8>) -> Result<bool, types::Error> {
        self.kv_allowed(&key, true)?;
        let added = self
            .keyspace
            .hset(&key, &[(&field, &value)])
            .map_err(kv_error)?;
        Ok(added > 0)
    }

    fn hget(&mut self, key: Vec<u8>, field: Vec<u8>) -> Result<Option<Vec<u8>>, types::Error> {
        self.kv_allowed(&key, false)?;
        self.keyspace.hget(&key, &field).map_err(kv_error)
    }

    fn hdel(&mut self, key: Vec<u8>, fields: Vec<Vec<u8>>) -> Result<u64, types::Error> {
        self.kv_allowed(&key, true)?;
        self.keyspace.hdel(&key, &slices(&fields)).map_err(kv_error)
    }

    fn hgetall(&mut self, key: Vec<u8>) -> Result<Vec<(Vec<u8>, Vec<u8>)>, types::Error> {
        self.kv_allowed(&key, false)?;
        self.keyspace.hgetall(&key).map_err(kv_error)
    }

    fn hincr_by(&mut self, key: Vec<u8>, field: Vec<u8>, delta: i64) -> Result<i64, types::Error> {
        self.kv_allowed(&key, true)?;
        self.keyspace
            .hincr_by(&key, &field, delta)
            .map_err(kv_error)
    }

    fn lpush(&mut self, key: Vec<u8>, values: Vec<Vec<u8>>) -> Result<u64, types::Error> {
        self.kv_allowed(&key, true)?;
        self.keyspace
            .lpush(&key, &slices(&values))
            .map_err(kv_error)
    }

    fn rpush(&mut self, key: Vec<u8>, values: Vec<Vec<u8>>) -> Result<u64, types::Error> {
        self.kv_allowed(&key, true)?;
        self.keyspace
            .rpush(&key, &slices(&values))
            .map_err(kv_error)
    }

    fn lpop(&mut self, key: Vec<u8>, count: u32) -> Result<Vec<Vec<u8>>, types::Error> {
        self.kv_allowed(&key, true)?;
        self.keyspace.lpop(&key, count as usize).map_err(kv_error)
    }

    fn rpop(&mut self, key: Vec<u8>, count: u32) -> Result<Vec<Vec<u8>>, types::Error> {
        self.kv_allowed(&key, true)?;
        self.keyspace.rpop(&key, count as usize).map_err(kv_error)
    }

    fn lrange(
        &mut self,
        key: Vec<u8>,
        start: i64,
        stop: i64,
    ) -> Result<Vec<Vec<u8>>, types::Error> {
        self.kv_allowed(&key, false)?;
        self.keyspace.lrange(&key, start, stop).map_err(kv_error)
    }

    fn llen(&mut self, key: Vec<u8>) -> Result<u64, types::Error> {
        self.kv_allowed(&key, false)?;
        self.keyspace.llen(&key).map_err(kv_error)
    }

    fn sadd(&mut self, key: Vec<u8>, members: Vec<Vec<u8>>) -> Result<u64, types::Error> {
        self.kv_allowed(&key, true)?;
        self.keyspace
            .sadd(&key, &slices(&members))
            .map_err(kv_error)
    }

    fn srem(&mut self, key: Vec<u8>, members: Vec<Vec<u8>>) -> Result<u64, types::Error> {
        self.kv_allowed(&key, true)?;
        self.keyspace
            .srem(&key, &slices(&members))
            .map_err(kv_error)
    }

    fn smembers(&mut self, key: Vec<u8>) -> Result<Vec<Vec<u8>>, types::Error> {
        self.kv_allowed(&key, false)?;
        self.keyspace.smembers(&key).map_err(kv_error)
    }

    fn sismember(&mut self, key: Vec<u8>, member: Vec<u8>) -> Result<bool, types::Error> {
        self.kv_allowed(&key, false)?;
        self.keyspace.sismember(&key, &member).map_err(kv_error)
    }

    fn scard(&mut self, key: Vec<u8>) -> Result<u64, types::Error> {
        self.kv_allowed(&key, false)?;
        self.keyspace.scard(&key).map_err(kv_error)
    }

    fn zadd(&mut self, key: Vec<u8>, score: f64, member: Vec<u8>) -> Result<bool, types::Error> {
        self.kv_allowed(&key, true)?;
        if score.is_nan() {
            return Err(types::Error::InvalidArgument(
                "a score must not be NaN".into(),
            ));
        }
        self.keyspace.zadd(&key, score, &member).map_err(kv_error)
    }

    fn zrem(&mut self, key: Vec<u8>, members: Vec<Vec<u8>>) -> Result<u64, types::Error> {
        self.kv_allowed(&key, true)?;
        self.keyspace
            .zrem(&key, &slices(&members))
            .map_err(kv_error)
    }

    fn zscore(&mut self, key: Vec<u8>, member: Vec<u8>) -> Result<Option<f64>, types::Error> {
        self.kv_allowed(&key, false)?;
        self.keyspace.zscore(&key, &member).map_err(kv_error)
    }

    fn zincr_by(&mut self, key: Vec<u8>, delta: f64, member: Vec<u8>) -> Result<f64, types::Error> {
        self.kv_allowed(&key, true)?;
        if delta.is_nan() {
            return Err(types::Error::InvalidArgument(
                "an increment must not be NaN".into(),
            ));
        }
        self.keyspace
            .zincr_by(&key, delta, &member)
            .map_err(kv_error)
    }

    fn zrange_by_score(
        &mut self,
        key: Vec<u8>,
        min: f64,
        max: f64,
        limit: u32,
    ) -> Result<Vec<(Vec<u8>, f64)>, types::Error> {
        self.kv_allowed(&key, false)?;
        if min.is_nan() || max.is_nan() {
            return Err(types::Error::InvalidArgument(
                "a score bound must not be NaN".into(),
            ));
        }
        self.keyspace
            .zrange_by_score(&key, min, max, (limit as usize).min(MAX_SCAN))
            .map_err(kv_error)
    }

    fn zrem_range_by_score(
        &mut self,
        key: Vec<u8>,
        min: f64,
        max: f64,
    ) -> Result<u64, types::Error> {
        self.kv_allowed(&key, true)?;
        if min.is_nan() || max.is_nan() {
            return Err(types::Error::InvalidArgument(
                "a score bound must not be NaN".into(),
            ));
        }
        self.keyspace
            .zrem_range_by_score(&key, min, max)
            .map_err(kv_error)
    }

    fn zcard(&mut self, key: Vec<u8>) -> Result<u64, types::Error> {
        self.kv_allowed(&key, false)?;
        self.keyspace.zcard(&key).map_err(kv_error)
    }
}

fn slices(v: &[Vec<u8>]) -> Vec<&[u8]> {
    v.iter().map(Vec::as_slice).collect()
}

/// The most words one `server.call` takes.
pub const MAX_SERVER_CALL_ARGS: usize = 1 << 20;

impl server::Host for CallState {
    fn call(&mut self, args: Vec<Vec<u8>>) -> Result<Vec<types::RespFrame>, types::Error> {
        self.kv_granted()?;
        if args.is_empty() {
            return Err(types::Error::InvalidArgument(
                "`server.call` needs a command: pass its name first, then its arguments".into(),
            ));
        }
        if args.len() > MAX_SERVER_CALL_ARGS {
            return Err(types::Error::InvalidArgument(format!(
                "`server.call` takes at most {MAX_SERVER_CALL_ARGS} words"
            )));
        }
        let Some(commands) = &self.commands else {
            return Err(types::Error::Host(
                "this host runs no server commands (`server.call` needs a server, e.g. `cargo ferrite-plugin run` or `test`)".into(),
            ));
        };
        let words = slices(&args);
        let call = ServerCall {
            args: &words,
            read_only: self.read_only,
            plugin: &self.grants.plugin,
            keys: &self.grants.keys,
        };
        match commands.call(&call) {
            Ok(frames) => Ok(frames.into_iter().map(resp_frame).collect()),
            Err(KvError::Command(text)) => Ok(vec![types::RespFrame::Error(text)]),
            Err(e) => Err(kv_error(e)),
        }
    }
}

fn resp_frame(f: crate::dispatch::Frame) -> types::RespFrame {
    use crate::dispatch::Frame;
    match f {
        Frame::Ok => types::RespFrame::Ok,
        Frame::Simple(s) => types::RespFrame::Simple(s),
        Frame::Bulk(b) => types::RespFrame::Bulk(b),
        Frame::Integer(n) => types::RespFrame::Integer(n),
        Frame::Double(d) => types::RespFrame::Double(d),
        Frame::Null => types::RespFrame::Null,
        Frame::Array(n) => types::RespFrame::Array(n),
        Frame::Error(e) => types::RespFrame::Error(e),
    }
}

/// The most bytes of one event's payload.
pub const MAX_EVENT_PAYLOAD: usize = 1 << 20;

impl events::Host for CallState {
    fn emit(&mut self, name: String, payload: Vec<u8>) -> Result<u32, types::Error> {
        if !crate::entries::is_event_name(&name) {
            return Err(types::Error::InvalidArgument(format!(
                "`{name}` is not an event name: use 1 to 128 letters, digits and `.:_-`"
            )));
        }
        if payload.len() > MAX_EVENT_PAYLOAD {
            return Err(types::Error::InvalidArgument(format!(
                "the payload of event `{name}` is {} bytes; at most {MAX_EVENT_PAYLOAD} are delivered",
                payload.len()
            )));
        }
        let Some(commands) = &self.commands else {
            return Err(types::Error::Host(
                "this host delivers no events (`events.emit` needs a server, e.g. `cargo ferrite-plugin run` or `test`)".into(),
            ));
        };
        let event = Emit {
            name: &name,
            payload: &payload,
            plugin: &self.grants.plugin,
            read_only: self.read_only,
        };
        commands.emit(&event).map_err(kv_error)
    }
}

impl random::Host for CallState {
    fn next_u64(&mut self) -> u64 {
        self.random.next_u64()
    }

    fn bytes(&mut self, len: u32) -> Vec<u8> {
        let mut buf = vec![0; len.min(MAX_RANDOM_BYTES) as usize];
        self.random.fill(&mut buf);
        buf
    }
}

impl config::Host for CallState {
    fn get(&mut self, key: String) -> Option<String> {
        self.grants.config.get(&key).cloned()
    }
}

impl clock::Host for CallState {
    fn now_ms(&mut self) -> u64 {
        self.clock.now_ms()
    }
}

impl runtime::Host for CallState {
    fn report_panic(&mut self, message: String, file: String, line: u32, column: u32) {
        let mut message = message;
        if message.len() > MAX_LOG_MESSAGE {
            let mut end = MAX_LOG_MESSAGE;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
        }
        self.panic = Some(format!("panicked at {file}:{line}:{column}:\n{message}"));
    }
}

/// The 0.1.0 host API: every function is the current one of the same name.
mod v1 {
    use super::wit_v1::ferrite::plugin::{clock, config, kv, log, runtime, types};
    use super::{CallState, wit};

    fn error(e: wit::ferrite::plugin::types::Error) -> types::Error {
        use wit::ferrite::plugin::types::Error as E;
        match e {
            E::PermissionDenied(m) => types::Error::PermissionDenied(m),
            E::NotFound(m) => types::Error::NotFound(m),
            E::InvalidArgument(m) => types::Error::InvalidArgument(m),
            E::Host(m) => types::Error::Host(m),
        }
    }

    use wit::ferrite::plugin::kv::Host as Current;

    impl types::Host for CallState {}

    impl log::Host for CallState {
        fn log(&mut self, level: log::Level, message: String) {
            use wit::ferrite::plugin::log::Level as L;
            let level = match level {
                log::Level::Trace => L::Trace,
                log::Level::Debug => L::Debug,
                log::Level::Info => L::Info,
                log::Level::Warn => L::Warn,
                log::Level::Error => L::Error,
            };
            wit::ferrite::plugin::log::Host::log(self, level, message)
        }
    }

    impl kv::Host for CallState {
        fn get(&mut self, key: Vec<u8>) -> Result<Option<Vec<u8>>, types::Error> {
            <Self as Current>::get(self, key).map_err(error)
        }
        fn set(
            &mut self,
            key: Vec<u8>,
            value: Vec<u8>,
            ttl_ms: Option<u64>,
        ) -> Result<(), types::Error> {
            <Self as Current>::set(self, key, value, ttl_ms).map_err(error)
        }
        fn del(&mut self, key: Vec<u8>) -> Result<bool, types::Error> {
            <Self as Current>::del(self, key).map_err(error)
        }
        fn exists(&mut self, key: Vec<u8>) -> Result<bool, types::Error> {
            <Self as Current>::exists(self, key).map_err(error)
        }
        fn incr_by(&mut self, key: Vec<u8>, delta: i64) -> Result<i64, types::Error> {
            <Self as Current>::incr_by(self, key, delta).map_err(error)
        }
        fn expire(&mut self, key: Vec<u8>, ttl_ms: u64) -> Result<bool, types::Error> {
            <Self as Current>::expire(self, key, ttl_ms).map_err(error)
        }
        fn scan(&mut self, prefix: Vec<u8>, limit: u32) -> Result<Vec<Vec<u8>>, types::Error> {
            <Self as Current>::scan(self, prefix, limit).map_err(error)
        }
    }

    impl config::Host for CallState {
        fn get(&mut self, key: String) -> Option<String> {
            wit::ferrite::plugin::config::Host::get(self, key)
        }
    }

    impl clock::Host for CallState {
        fn now_ms(&mut self) -> u64 {
            wit::ferrite::plugin::clock::Host::now_ms(self)
        }
    }

    impl runtime::Host for CallState {
        fn report_panic(&mut self, message: String, file: String, line: u32, column: u32) {
            wit::ferrite::plugin::runtime::Host::report_panic(self, message, file, line, column)
        }
    }
}
