//! [`Host`]: one engine, the loaded plugins, and loading and reloading them.
//! Calls are in [`crate::call`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::cache;
use crate::check::{self, Surface};
use crate::config::{EffectiveLimits, HostConfig};
use crate::error::LoadError;
use crate::fxhash::FxHashMap;
use crate::keyspace::{Keyspace, MemoryKeyspace};
use crate::manifest::{self, Manifest};
use crate::plugin::{self, Plugin};
use crate::state::{CallState, Clock, Grants, Random, SeededRandom, SystemClock, SystemRandom};

/// The custom section in which `cargo ferrite-plugin build` embeds the checked
/// `plugin.toml`.
pub const MANIFEST_SECTION: &str = "ferrite-plugin-manifest";

/// How to load a plugin.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// The manifest to use. `None` takes the one embedded in the component.
    pub manifest: Option<Manifest>,
    /// The operator's configuration, read by the plugin through `config::get`.
    pub config: HashMap<String, String>,
    /// Keep up to this many instances warm and reuse them across calls (see
    /// [`Plugin::is_warm`]). `None` gives every call a fresh instance.
    pub warm: Option<usize>,
}

/// Advances the engine's epoch until dropped.
struct Ticker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Inner {
    /// Unique among hosts in this process (for per-thread lookup caches).
    id: u64,
    /// Bumped whenever the set of plugins changes.
    generation: AtomicU64,
    engine: Engine,
    linker: Linker<CallState>,
    config: HostConfig,
    keyspace: Arc<dyn Keyspace>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    running: Arc<crate::running::Registry>,
    plugins: RwLock<FxHashMap<String, Arc<Plugin>>>,
    _ticker: Option<Ticker>,
}

/// The embedded plugin host: one wasmtime engine, the plugins loaded into it,
/// and calls under each plugin's limits and permissions.
///
/// ```no_run
/// use ferrite_plugin_host::{Host, HostConfig, LoadOptions};
///
/// let host = Host::new(HostConfig::default())?;
/// let component = std::fs::read("target/ferrite-plugin/validate_email.wasm")?;
/// host.load(&component, LoadOptions::default())?;
/// let report = host.call_wave("validate_email", "validate_email", &["\"a@b.co\""]);
/// assert_eq!(report.result?.map(|v| wasmtime::component::wasm_wave::to_string(&v).unwrap()), Some("true".into()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Host {
    inner: Arc<Inner>,
}

impl Host {
    /// A host with its own in-memory keyspace and the system clock.
    pub fn new(config: HostConfig) -> Result<Host, LoadError> {
        Self::with_keyspace(
            config,
            Arc::new(MemoryKeyspace::new()),
            Arc::new(SystemClock),
        )
    }

    /// A host over the server's keyspace and clock.
    pub fn with_keyspace(
        config: HostConfig,
        keyspace: Arc<dyn Keyspace>,
        clock: Arc<dyn Clock>,
    ) -> Result<Host, LoadError> {
        let engine = Engine::new(&engine_config(&config)).map_err(compile_error)?;
        let mut linker = Linker::new(&engine);
        crate::state::add_to_linker(
            &mut linker,
            &crate::ApiVersion::served_by(&config.ferrite_version),
        )
        .map_err(compile_error)?;
        // Only a plugin for another host's world may import WASI (`check`).
        #[cfg(feature = "wasi")]
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(compile_error)?;
        let ticker = config.max_timeout.map(|_| {
            let stop = Arc::new(AtomicBool::new(false));
            let (engine, tick, flag) = (engine.clone(), config.epoch_tick, stop.clone());
            let thread = std::thread::Builder::new()
                .name("ferrite-plugin-epoch".into())
                .spawn(move || {
                    while !flag.load(Ordering::Relaxed) {
                        std::thread::sleep(tick);
                        engine.increment_epoch();
                    }
                })
                .expect("spawn the epoch thread");
            Ticker {
                stop,
                thread: Some(thread),
            }
        });
        let random: Arc<dyn Random> = match config.random_seed {
            Some(seed) => Arc::new(SeededRandom::new(seed)),
            None => Arc::new(SystemRandom),
        };
        let running = Arc::new(crate::running::Registry::new(if config.lower_long_calls {
            crate::priority::Support::probe()
        } else {
            crate::priority::Support::NONE
        }));
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        Ok(Host {
            inner: Arc::new(Inner {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                generation: AtomicU64::new(0),
                engine,
                linker,
                config,
                keyspace,
                clock,
                random,
                running,
                plugins: RwLock::new(FxHashMap::default()),
                _ticker: ticker,
            }),
        })
    }

    /// The host's configuration.
    pub fn config(&self) -> &HostConfig {
        &self.inner.config
    }

    /// The wasmtime engine.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The host's keyspace.
    pub fn keyspace(&self) -> &Arc<dyn Keyspace> {
        &self.inner.keyspace
    }

    /// The host's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// The calls that have run for at least a slice
    /// ([`SLICE_TICKS`](crate::SLICE_TICKS) epoch ticks) and are running now,
    /// oldest first. Only a host with a timeout (`max_timeout`) sees them.
    pub fn running_calls(&self) -> Vec<crate::RunningCall> {
        self.inner.running.list()
    }

    /// Whether any call has outlasted a slice and is running now: what
    /// [`Host::running_calls`] would list, without listing it.
    pub fn has_running_calls(&self) -> bool {
        self.inner.running.any()
    }

    /// Whether a call that outlasts a slice runs at the lowest CPU priority
    /// until it ends: [`HostConfig::lower_long_calls`], where this process
    /// may restore a thread's priority.
    pub fn lowers_long_calls(&self) -> bool {
        self.inner.running.priority.is_supported()
    }

    /// Stops the running calls `which` selects (of [`Host::running_calls`]):
    /// each fails with [`CallError::Killed`](crate::CallError::Killed) within
    /// a slice. Returns how many it stopped.
    pub fn kill(&self, which: impl Fn(&crate::RunningCall) -> bool) -> usize {
        self.inner.running.kill(which)
    }

    pub(crate) fn registry(&self) -> &Arc<crate::running::Registry> {
        &self.inner.running
    }

    /// The host's random numbers.
    pub fn random(&self) -> &Arc<dyn Random> {
        &self.inner.random
    }

    /// Compiles and checks a component without loading it under a name.
    pub fn prepare(&self, component: &[u8], opts: LoadOptions) -> Result<Arc<Plugin>, LoadError> {
        let inner = &self.inner;
        let manifest = match opts.manifest {
            Some(m) => m,
            None => embedded_manifest(component)?.ok_or(LoadError::NoManifest)?,
        };
        if let Some(required) = &manifest.plugin.min_ferrite_version
            && *required > inner.config.ferrite_version
        {
            return Err(LoadError::TooNew {
                plugin: manifest.plugin.name.clone(),
                required: required.clone(),
                host: inner.config.ferrite_version.clone(),
            });
        }
        let surface = Surface::of(component)?;
        surface.check(&manifest)?;
        surface.check_api(&inner.config.ferrite_version)?;

        let (compiled, cache) = match &inner.config.cache_dir {
            Some(dir) => cache::load(dir, &inner.engine, component)
                .map(|(c, o)| (c, Some(o)))
                .map_err(compile_error)?,
            None => (
                Component::new(&inner.engine, component).map_err(compile_error)?,
                None,
            ),
        };
        let pre = inner
            .linker
            .instantiate_pre(&compiled)
            .map_err(compile_error)?;
        let functions = plugin::functions(&inner.engine, &compiled, &surface)?;
        crate::dispatch::check_signatures(&functions, &surface.entries)?;
        let limits = EffectiveLimits::new(&manifest.limits, &inner.config);
        let tick = inner.config.epoch_tick.as_nanos().max(1);
        let deadline_ticks = limits
            .timeout
            .map(|t| (t.as_nanos().div_ceil(tick) as u64).max(1));
        let grants = Arc::new(Grants {
            plugin: manifest.plugin.name.clone(),
            keys: manifest.permissions.keys.clone(),
            all_keys: manifest.permissions.keys.is_all(),
            config: opts.config,
            functions: functions.iter().map(|f| f.name.clone()).collect(),
            went_long: functions.iter().map(|_| AtomicBool::new(false)).collect(),
        });
        Ok(Arc::new(Plugin {
            by_name: plugin::by_name(&functions),
            sha256: Sha256::digest(component)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            manifest,
            component: compiled,
            pre,
            limits,
            deadline_ticks,
            entry_abi: functions.iter().map(crate::dispatch::entry_abi).collect(),
            functions,
            grants,
            surface,
            warm: opts.warm.map(plugin::Idle::new),
            cache,
        }))
    }

    /// Puts a prepared plugin in the registry under its name: only if the name
    /// is free (`Some(false)`), only if it is taken (`Some(true)`), or either
    /// way (`None`). The check and the swap happen under one write lock.
    fn register(&self, plugin: Arc<Plugin>, taken: Option<bool>) -> Result<Arc<Plugin>, LoadError> {
        let name = plugin.name().to_string();
        let mut plugins = self
            .inner
            .plugins
            .write()
            .unwrap_or_else(|e| e.into_inner());
        match (taken, plugins.contains_key(&name)) {
            (Some(false), true) => return Err(LoadError::AlreadyLoaded(name)),
            (Some(true), false) => return Err(LoadError::NotLoaded(name)),
            _ => {}
        }
        plugins.insert(name, plugin.clone());
        self.changed();
        Ok(plugin)
    }

    /// Loads a plugin under its manifest's name. Fails if that name is taken.
    pub fn load(&self, component: &[u8], opts: LoadOptions) -> Result<Arc<Plugin>, LoadError> {
        self.register(self.prepare(component, opts)?, Some(false))
    }

    /// Loads the component at `path` (which carries its `plugin.toml` unless
    /// `opts.manifest` gives one).
    pub fn load_file(
        &self,
        path: &std::path::Path,
        opts: LoadOptions,
    ) -> Result<Arc<Plugin>, LoadError> {
        let bytes = std::fs::read(path).map_err(|e| LoadError::Read {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        self.load(&bytes, opts)
    }

    /// Replaces the plugin `name` with a new component, atomically: calls that
    /// started before finish on the old version, calls after see the new one.
    /// The new component is compiled and checked before anything changes.
    pub fn reload(
        &self,
        name: &str,
        component: &[u8],
        opts: LoadOptions,
    ) -> Result<Arc<Plugin>, LoadError> {
        if self.plugin(name).is_none() {
            return Err(LoadError::NotLoaded(name.to_string()));
        }
        let plugin = self.prepare(component, opts)?;
        if plugin.name() != name {
            return Err(LoadError::Check(check::CheckError::Invalid(format!(
                "the new component is plugin `{}`, not `{name}`",
                plugin.name()
            ))));
        }
        self.register(plugin, Some(true))
    }

    /// Loads a plugin, or replaces it if one of that name is loaded.
    pub fn install(&self, component: &[u8], opts: LoadOptions) -> Result<Arc<Plugin>, LoadError> {
        self.register(self.prepare(component, opts)?, None)
    }

    /// Unloads `name`; whether it was loaded. Calls in flight finish.
    pub fn unload(&self, name: &str) -> bool {
        let removed = self
            .inner
            .plugins
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(name)
            .is_some();
        self.changed();
        removed
    }

    /// Invalidates the threads' cached lookups.
    fn changed(&self) {
        self.inner.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The host's unique id and the registry's generation.
    pub(crate) fn identity(&self) -> (u64, u64) {
        (self.inner.id, self.inner.generation.load(Ordering::SeqCst))
    }

    /// The plugin called `name`.
    pub fn plugin(&self, name: &str) -> Option<Arc<Plugin>> {
        self.inner
            .plugins
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    /// Every loaded plugin, by name.
    pub fn plugins(&self) -> Vec<Arc<Plugin>> {
        let mut all: Vec<_> = self
            .inner
            .plugins
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        all.sort_by(|a, b| a.name().cmp(b.name()));
        all
    }
}

/// The `plugin.toml` a component carries, if any.
pub fn embedded_manifest(component: &[u8]) -> Result<Option<Manifest>, LoadError> {
    for payload in wasmparser::Parser::new(0).parse_all(component) {
        let Ok(payload) = payload else { break };
        if let wasmparser::Payload::CustomSection(s) = payload
            && s.name() == MANIFEST_SECTION
        {
            let text = std::str::from_utf8(s.data()).map_err(|_| {
                LoadError::Manifest(manifest::ManifestError {
                    file: format!("the component's `{MANIFEST_SECTION}` section"),
                    line: None,
                    message: "it is not UTF-8".into(),
                })
            })?;
            return Ok(Some(Manifest::parse(
                &format!("embedded {MANIFEST_SECTION}"),
                text,
            )?));
        }
    }
    Ok(None)
}

fn engine_config(config: &HostConfig) -> Config {
    let mut c = Config::new();
    c.wasm_component_model(true);
    c.consume_fuel(config.max_fuel.is_some());
    c.epoch_interruption(config.max_timeout.is_some());
    c.max_wasm_stack(config.max_stack);
    if config.pool_size > 0 {
        let n = config.pool_size;
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(n)
            // A plugin component is its module plus small shims for imports.
            .total_core_instances(n.saturating_mul(4))
            .max_core_instances_per_component(8)
            .total_memories(n)
            .max_memories_per_component(1)
            .total_tables(n.saturating_mul(2))
            .max_tables_per_component(4)
            .max_memory_size(config.max_memory)
            .table_keep_resident(64 << 10);
        if pagemap_scan_supported() {
            // Reset a reused slot by finding its dirty pages and zeroing just
            // those, keeping them mapped: no `madvise`, no page faults when
            // the next instance touches them. Without the ioctl, keeping
            // memory resident would `memset` the whole window instead.
            pool.pagemap_scan(Enabled::Yes)
                .linear_memory_keep_resident(config.max_memory);
        }
        c.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    c
}

/// Whether the kernel has the `PAGEMAP_SCAN` ioctl (Linux 6.7 and newer).
fn pagemap_scan_supported() -> bool {
    if !cfg!(target_os = "linux") {
        return false;
    }
    let Ok(release) = std::fs::read_to_string("/proc/sys/kernel/osrelease") else {
        return false;
    };
    let mut parts = release.trim().split(|c: char| !c.is_ascii_digit());
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major, minor) >= (6, 7)
}

fn compile_error(e: wasmtime::Error) -> LoadError {
    LoadError::Compile(format!("{e:#}"))
}
