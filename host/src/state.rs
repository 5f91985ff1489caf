//! What a store carries while a plugin runs: the host API's implementation,
//! the memory limiter, and what the call leaves behind (logs, a panic report).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::keyspace::{Keyspace, KvError};

mod wit {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "plugin",
    });
}

pub(crate) use wit::Plugin as PluginWorld;
/// `ferrite:plugin/types.error`, as commands return it.
pub(crate) use wit::ferrite::plugin::types::Error as WitError;
use wit::ferrite::plugin::{clock, config, kv, log, runtime, types};

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
    /// Whether it may use `kv`.
    pub keys: bool,
    /// Its operator-set configuration.
    pub config: HashMap<String, String>,
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
    pub(crate) limiter: Limiter,
    pub(crate) read_only: bool,
    pub(crate) logs: Vec<LogRecord>,
    pub(crate) dropped_logs: usize,
    pub(crate) panic: Option<String>,
}

impl CallState {
    pub(crate) fn new(
        grants: Arc<Grants>,
        keyspace: Arc<dyn Keyspace>,
        clock: Arc<dyn Clock>,
        memory_limit: usize,
    ) -> CallState {
        CallState {
            grants,
            keyspace,
            clock,
            limiter: Limiter {
                limit: memory_limit,
                exceeded: false,
            },
            read_only: false,
            logs: Vec::new(),
            dropped_logs: 0,
            panic: None,
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

    fn kv_allowed(&self, write: bool) -> Result<(), types::Error> {
        if !self.grants.keys {
            return Err(types::Error::PermissionDenied(format!(
                "plugin `{}` lacks the `keys` permission: set `keys = true` under [permissions] in its plugin.toml",
                self.grants.plugin
            )));
        }
        if write && self.read_only {
            return Err(types::Error::PermissionDenied(
                "this call is read-only (FCALL_RO): the keyspace cannot be written".into(),
            ));
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
        self.kv_allowed(false)?;
        self.keyspace.get(&key).map_err(kv_error)
    }

    fn set(
        &mut self,
        key: Vec<u8>,
        value: Vec<u8>,
        ttl_ms: Option<u64>,
    ) -> Result<(), types::Error> {
        self.kv_allowed(true)?;
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
        self.kv_allowed(true)?;
        self.keyspace.del(&key).map_err(kv_error)
    }

    fn exists(&mut self, key: Vec<u8>) -> Result<bool, types::Error> {
        self.kv_allowed(false)?;
        self.keyspace.exists(&key).map_err(kv_error)
    }

    fn incr_by(&mut self, key: Vec<u8>, delta: i64) -> Result<i64, types::Error> {
        self.kv_allowed(true)?;
        self.keyspace.incr_by(&key, delta).map_err(kv_error)
    }

    fn expire(&mut self, key: Vec<u8>, ttl_ms: u64) -> Result<bool, types::Error> {
        self.kv_allowed(true)?;
        if ttl_ms == 0 {
            return Err(types::Error::InvalidArgument(
                "a TTL must be at least 1 ms".into(),
            ));
        }
        self.keyspace
            .expire(&key, Some(Duration::from_millis(ttl_ms)))
            .map_err(kv_error)
    }

    fn scan(&mut self, prefix: Vec<u8>, limit: u32) -> Result<Vec<Vec<u8>>, types::Error> {
        self.kv_allowed(false)?;
        self.keyspace
            .scan(&prefix, (limit as usize).min(MAX_SCAN))
            .map_err(kv_error)
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
