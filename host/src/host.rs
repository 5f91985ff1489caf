//! [`Host`]: one engine, the loaded plugins, and calls into them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::{
    Component, ComponentExportIndex, HasSelf, Instance, InstancePre, Linker, Type, Val,
};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap};

use crate::cache::{self, CacheOutcome};
use crate::check::{self, Surface};
use crate::config::{EffectiveLimits, HostConfig};
use crate::error::{CallError, LoadError};
use crate::keyspace::{Keyspace, MemoryKeyspace};
use crate::manifest::{self, Manifest};
use crate::state::{
    CallState, Clock, Grants, LogRecord, MemoryLimitExceeded, PluginWorld, SystemClock,
};
use crate::wit_text;

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

/// Per-call options.
#[derive(Clone, Default)]
pub struct CallOptions {
    /// Refuse keyspace writes (`FCALL_RO`).
    pub read_only: bool,
    /// Use this keyspace instead of the host's (e.g. a fresh one per test).
    pub keyspace: Option<Arc<dyn Keyspace>>,
}

/// What a call returned, with what it consumed and logged.
#[derive(Debug)]
pub struct CallReport {
    /// The result value (`None` for a function without one), or why it failed.
    pub result: Result<Option<Val>, CallError>,
    /// Fuel used, when metered.
    pub fuel_used: Option<u64>,
    /// What the plugin logged, in order.
    pub logs: Vec<LogRecord>,
    /// Log records beyond the per-call cap that were dropped.
    pub dropped_logs: usize,
}

/// An exported function: its names and signature.
#[derive(Debug, Clone)]
pub struct FunctionInfo {
    /// The name users call it by (`validate_email`).
    pub name: String,
    /// Its WIT name (`validate-email`).
    pub wit_name: String,
    /// Parameters: name, type, and type as WIT text.
    pub params: Vec<(String, Type, String)>,
    /// The result type, if any, and as WIT text.
    pub result: Option<(Type, String)>,
    index: ComponentExportIndex,
}

impl FunctionInfo {
    pub(crate) fn index(&self) -> ComponentExportIndex {
        self.index
    }

    /// `name: type` for each parameter.
    pub fn param_list(&self) -> Vec<String> {
        self.params
            .iter()
            .map(|(n, _, t)| format!("{n}: {t}"))
            .collect()
    }

    /// Whether this is a `#[ferrite_plugin::test]` entry point.
    pub fn is_test(&self) -> bool {
        check::is_test_export(&self.wit_name)
    }
}

/// An instance kept between calls in warm mode.
struct WarmInstance {
    store: Store<CallState>,
    instance: Instance,
}

/// A loaded plugin. Cheap to clone through `Arc`; a reload replaces the
/// `Arc` in the host while calls in flight keep the old one.
pub struct Plugin {
    manifest: Manifest,
    sha256: String,
    component: Component,
    pre: InstancePre<CallState>,
    limits: EffectiveLimits,
    functions: Vec<FunctionInfo>,
    grants: Arc<Grants>,
    wit: Surface,
    warm: Option<(usize, Mutex<Vec<WarmInstance>>)>,
    cache: Option<CacheOutcome>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.manifest.plugin.name)
            .field("version", &self.manifest.plugin.version.to_string())
            .field("sha256", &self.sha256)
            .finish_non_exhaustive()
    }
}

impl Plugin {
    /// Its name.
    pub fn name(&self) -> &str {
        &self.manifest.plugin.name
    }
    /// Its compiled component (e.g. to serialize it).
    pub fn component(&self) -> &Component {
        &self.component
    }
    /// Its checked manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }
    /// The SHA-256 of its component, in hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
    /// The limits its calls run under.
    pub fn limits(&self) -> EffectiveLimits {
        self.limits
    }
    /// Its exported functions (tests included), by user name.
    pub fn functions(&self) -> &[FunctionInfo] {
        &self.functions
    }
    /// Its imports and exports as decoded from the component.
    pub fn surface(&self) -> &Surface {
        &self.wit
    }
    /// Whether it reuses instances across calls. A warm plugin keeps its
    /// linear memory (globals, heap) from one call to the next; an instance is
    /// discarded after any trap or limit breach.
    pub fn is_warm(&self) -> bool {
        self.warm.is_some()
    }
    /// Whether its compiled code came from the cache.
    pub fn cache_outcome(&self) -> Option<CacheOutcome> {
        self.cache
    }
    /// The function called `name` (either spelling).
    pub fn function(&self, name: &str) -> Option<&FunctionInfo> {
        let wit = manifest::wit_name(name);
        self.functions.iter().find(|f| f.wit_name == wit)
    }
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
    engine: Engine,
    linker: Linker<CallState>,
    config: HostConfig,
    keyspace: Arc<dyn Keyspace>,
    clock: Arc<dyn Clock>,
    plugins: RwLock<HashMap<String, Arc<Plugin>>>,
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
        PluginWorld::add_to_linker::<_, HasSelf<CallState>>(&mut linker, |s| s)
            .map_err(compile_error)?;
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
        Ok(Host {
            inner: Arc::new(Inner {
                engine,
                linker,
                config,
                keyspace,
                clock,
                plugins: RwLock::new(HashMap::new()),
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
        let functions = functions(&inner.engine, &compiled, &surface)?;
        let limits = EffectiveLimits::new(&manifest.limits, &inner.config);
        let grants = Arc::new(Grants {
            plugin: manifest.plugin.name.clone(),
            keys: manifest.permissions.keys,
            config: opts.config,
        });
        Ok(Arc::new(Plugin {
            sha256: Sha256::digest(component)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            manifest,
            component: compiled,
            pre,
            limits,
            functions,
            grants,
            wit: surface,
            warm: opts.warm.map(|n| (n.max(1), Mutex::new(Vec::new()))),
            cache,
        }))
    }

    /// Loads a plugin under its manifest's name. Fails if that name is taken.
    pub fn load(&self, component: &[u8], opts: LoadOptions) -> Result<Arc<Plugin>, LoadError> {
        let plugin = self.prepare(component, opts)?;
        let mut plugins = self
            .inner
            .plugins
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if plugins.contains_key(plugin.name()) {
            return Err(LoadError::AlreadyLoaded(plugin.name().to_string()));
        }
        plugins.insert(plugin.name().to_string(), plugin.clone());
        Ok(plugin)
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
        let mut plugins = self
            .inner
            .plugins
            .write()
            .unwrap_or_else(|e| e.into_inner());
        plugins.insert(name.to_string(), plugin.clone());
        Ok(plugin)
    }

    /// Loads a plugin, or replaces it if one of that name is loaded.
    pub fn install(&self, component: &[u8], opts: LoadOptions) -> Result<Arc<Plugin>, LoadError> {
        let plugin = self.prepare(component, opts)?;
        let mut plugins = self
            .inner
            .plugins
            .write()
            .unwrap_or_else(|e| e.into_inner());
        plugins.insert(plugin.name().to_string(), plugin.clone());
        Ok(plugin)
    }

    /// Unloads `name`; whether it was loaded. Calls in flight finish.
    pub fn unload(&self, name: &str) -> bool {
        self.inner
            .plugins
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(name)
            .is_some()
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

    fn lookup(&self, plugin: &str, function: &str) -> Result<(Arc<Plugin>, usize), CallError> {
        let p = self
            .plugin(plugin)
            .ok_or_else(|| CallError::NoSuchPlugin(plugin.to_string()))?;
        let wit = manifest::wit_name(function);
        let index = p
            .functions
            .iter()
            .position(|f| f.wit_name == wit)
            .ok_or_else(|| CallError::NoSuchFunction {
                plugin: plugin.to_string(),
                function: function.to_string(),
                available: p
                    .functions
                    .iter()
                    .filter(|f| !f.is_test())
                    .map(|f| f.name.clone())
                    .collect(),
            })?;
        Ok((p, index))
    }

    /// Calls `plugin.function` with arguments in WAVE text, e.g. `"a@b.co"`,
    /// `{lat: 1.5, lon: 2}`, `[1, 2]`, `some("x")`, `ok(3)`.
    pub fn call_wave(&self, plugin: &str, function: &str, args: &[&str]) -> CallReport {
        self.call_wave_with(plugin, function, args, &CallOptions::default())
    }

    /// [`Host::call_wave`] with options.
    pub fn call_wave_with(
        &self,
        plugin: &str,
        function: &str,
        args: &[&str],
        opts: &CallOptions,
    ) -> CallReport {
        match self.lookup(plugin, function) {
            Ok((p, i)) => match crate::args::from_wave(&p.functions[i], args) {
                Ok(vals) => self.invoke(&p, i, &vals, opts),
                Err(e) => CallReport::failed(e),
            },
            Err(e) => CallReport::failed(e),
        }
    }

    /// Calls `plugin.function` with raw byte-string arguments, each parsed by
    /// its parameter's type: a `string` takes the bytes as they are (UTF-8
    /// checked), `list<u8>` the raw bytes, numbers and `bool` their decimal
    /// text, anything else WAVE text. What a RESP server needs.
    pub fn call_bytes(
        &self,
        plugin: &str,
        function: &str,
        args: &[&[u8]],
        opts: &CallOptions,
    ) -> CallReport {
        match self.lookup(plugin, function) {
            Ok((p, i)) => match crate::args::from_bytes(&p.functions[i], args) {
                Ok(vals) => self.invoke(&p, i, &vals, opts),
                Err(e) => CallReport::failed(e),
            },
            Err(e) => CallReport::failed(e),
        }
    }

    /// Calls `plugin.function` with component values.
    pub fn call_vals(
        &self,
        plugin: &str,
        function: &str,
        args: &[Val],
        opts: &CallOptions,
    ) -> CallReport {
        match self.lookup(plugin, function) {
            Ok((p, i)) => {
                let f = &p.functions[i];
                if args.len() != f.params.len() {
                    return CallReport::failed(CallError::Arity {
                        function: f.name.clone(),
                        expected: f.param_list(),
                        given: args.len(),
                    });
                }
                self.invoke(&p, i, args, opts)
            }
            Err(e) => CallReport::failed(e),
        }
    }

    /// Calls `function` of a plugin that need not be loaded under its name
    /// (e.g. one from [`Host::prepare`]), with component values.
    pub fn call_plugin(
        &self,
        plugin: &Arc<Plugin>,
        function: &str,
        args: &[Val],
        opts: &CallOptions,
    ) -> CallReport {
        let wit = manifest::wit_name(function);
        match plugin.functions.iter().position(|f| f.wit_name == wit) {
            Some(i) if plugin.functions[i].params.len() == args.len() => {
                self.invoke(plugin, i, args, opts)
            }
            Some(i) => CallReport::failed(CallError::Arity {
                function: plugin.functions[i].name.clone(),
                expected: plugin.functions[i].param_list(),
                given: args.len(),
            }),
            None => CallReport::failed(CallError::NoSuchFunction {
                plugin: plugin.name().to_string(),
                function: function.to_string(),
                available: plugin
                    .functions
                    .iter()
                    .filter(|f| !f.is_test())
                    .map(|f| f.name.clone())
                    .collect(),
            }),
        }
    }

    /// A typed handle to `plugin.function`, for Rust embedders: `P` and `R`
    /// are the parameter and result tuples, checked against the export now.
    pub fn typed<P, R>(
        &self,
        plugin: &str,
        function: &str,
    ) -> Result<crate::TypedFunction<P, R>, CallError>
    where
        P: wasmtime::component::ComponentNamedList + wasmtime::component::Lower + Send + Sync,
        R: wasmtime::component::ComponentNamedList + wasmtime::component::Lift + Send + Sync,
    {
        let (p, i) = self.lookup(plugin, function)?;
        crate::TypedFunction::new(self.clone(), p, i)
    }

    /// Runs one call of function `index` of `plugin`.
    pub(crate) fn invoke(
        &self,
        plugin: &Arc<Plugin>,
        index: usize,
        args: &[Val],
        opts: &CallOptions,
    ) -> CallReport {
        let func = &plugin.functions[index];
        let n_results = usize::from(func.result.is_some());
        let mut out = [Val::Bool(false)];
        let run = |store: &mut Store<CallState>, instance: &Instance| {
            let f = instance
                .get_func(&mut *store, func.index)
                .ok_or_else(|| CallError::Host(format!("export `{}` vanished", func.wit_name)))?;
            f.call(&mut *store, args, &mut out[..n_results])
                .map_err(|e| classify(e, &func.name, plugin, store.data()))
        };
        let (result, fuel_used, logs, dropped) = self.with_instance(plugin, opts, run);
        CallReport {
            result: result.map(|()| {
                if n_results == 1 {
                    Some(out[0].clone())
                } else {
                    None
                }
            }),
            fuel_used,
            logs,
            dropped_logs: dropped,
        }
    }

    /// Runs `run` on an instance of `plugin` (warm or fresh) under its limits.
    pub(crate) fn with_instance<T>(
        &self,
        plugin: &Arc<Plugin>,
        opts: &CallOptions,
        run: impl FnOnce(&mut Store<CallState>, &Instance) -> Result<T, CallError>,
    ) -> (Result<T, CallError>, Option<u64>, Vec<LogRecord>, usize) {
        let warm = plugin
            .warm
            .as_ref()
            .and_then(|(_, pool)| pool.lock().unwrap_or_else(|e| e.into_inner()).pop());
        let (mut store, instance) = match warm {
            Some(w) => (w.store, w.instance),
            None => match self.instantiate(plugin) {
                Ok(pair) => pair,
                Err(e) => return (Err(e), None, Vec::new(), 0),
            },
        };
        let limits = plugin.limits;
        {
            let data = store.data_mut();
            data.reset();
            data.read_only = opts.read_only;
            data.keyspace = opts
                .keyspace
                .clone()
                .unwrap_or_else(|| self.inner.keyspace.clone());
        }
        if let Some(fuel) = limits.fuel {
            let _ = store.set_fuel(fuel);
        }
        if let Some(timeout) = limits.timeout {
            let tick = self.inner.config.epoch_tick.as_nanos().max(1);
            store.set_epoch_deadline((timeout.as_nanos().div_ceil(tick) as u64).max(1));
        }
        let result = run(&mut store, &instance);
        let fuel_used = limits
            .fuel
            .map(|f| f.saturating_sub(store.get_fuel().unwrap_or(0)));
        let data = store.data_mut();
        let logs = std::mem::take(&mut data.logs);
        let dropped = data.dropped_logs;
        if let Some((max, pool)) = &plugin.warm {
            let faulted = matches!(&result, Err(e) if e.is_fault());
            let mut pool = pool.lock().unwrap_or_else(|e| e.into_inner());
            if !faulted && pool.len() < *max {
                pool.push(WarmInstance { store, instance });
            }
        }
        (result, fuel_used, logs, dropped)
    }

    fn instantiate(&self, plugin: &Arc<Plugin>) -> Result<(Store<CallState>, Instance), CallError> {
        let state = CallState::new(
            plugin.grants.clone(),
            self.inner.keyspace.clone(),
            self.inner.clock.clone(),
            plugin.limits.memory,
        );
        let mut store = Store::new(&self.inner.engine, state);
        store.limiter(|s| &mut s.limiter);
        if self.inner.config.max_timeout.is_some() {
            store.epoch_deadline_trap();
            store.set_epoch_deadline(u64::MAX / 2);
        }
        if let Some(fuel) = plugin.limits.fuel {
            let _ = store.set_fuel(fuel);
        }
        let instance = plugin.pre.instantiate(&mut store).map_err(|e| {
            let text = format!("{e:#}");
            if text.contains("maximum concurrent") || text.contains("pooling") {
                CallError::Busy(text)
            } else {
                classify(e, "instantiation", plugin, store.data())
            }
        })?;
        Ok((store, instance))
    }
}

impl CallReport {
    fn failed(error: CallError) -> CallReport {
        CallReport {
            result: Err(error),
            fuel_used: None,
            logs: Vec::new(),
            dropped_logs: 0,
        }
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
            .max_memory_size(config.max_memory);
        c.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    c
}

fn compile_error(e: wasmtime::Error) -> LoadError {
    LoadError::Compile(format!("{e:#}"))
}

fn functions(
    engine: &Engine,
    component: &Component,
    surface: &Surface,
) -> Result<Vec<FunctionInfo>, LoadError> {
    let mut out = Vec::new();
    for (name, item) in component.component_type().exports(engine) {
        let wasmtime::component::types::ComponentItem::ComponentFunc(f) = item.ty else {
            continue;
        };
        let index = component
            .get_export_index(None, name)
            .ok_or_else(|| LoadError::Compile(format!("export `{name}` has no index")))?;
        let wit = wit_text::function(&surface.resolve, surface.world, name);
        let params = f
            .params()
            .enumerate()
            .map(|(i, (n, t))| {
                let text = wit
                    .as_ref()
                    .and_then(|w| w.0.get(i).cloned())
                    .unwrap_or_else(|| wit_text::of_type(&t));
                (n.to_string(), t, text)
            })
            .collect();
        let result = f.results().next().map(|t| {
            let text = wit
                .as_ref()
                .and_then(|w| w.1.clone())
                .unwrap_or_else(|| wit_text::of_type(&t));
            (t, text)
        });
        out.push(FunctionInfo {
            name: manifest::user_name(name),
            wit_name: name.to_string(),
            params,
            result,
            index,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// [`classify`] for a call of `info`.
pub(crate) fn classify_for(
    e: wasmtime::Error,
    info: &FunctionInfo,
    plugin: &Plugin,
    state: &CallState,
) -> CallError {
    classify(e, &info.name, plugin, state)
}

/// Turns a failed call into its typed error.
fn classify(e: wasmtime::Error, function: &str, plugin: &Plugin, state: &CallState) -> CallError {
    let function = function.to_string();
    if state.limiter.exceeded || e.downcast_ref::<MemoryLimitExceeded>().is_some() {
        return CallError::MemoryLimit {
            function,
            limit: plugin.limits.memory,
        };
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => CallError::OutOfFuel {
            function,
            limit: plugin.limits.fuel.unwrap_or(0),
        },
        Some(Trap::Interrupt) => CallError::Timeout {
            function,
            limit: plugin.limits.timeout.unwrap_or(Duration::ZERO),
        },
        Some(Trap::StackOverflow) => CallError::StackOverflow { function },
        Some(trap) => {
            let message = match &state.panic {
                Some(panic) => panic.clone(),
                None => {
                    let at = e
                        .downcast_ref::<wasmtime::WasmBacktrace>()
                        .and_then(|bt| {
                            let names: Vec<String> = bt
                                .frames()
                                .iter()
                                .filter_map(|f| f.func_name().map(demangle))
                                .collect();
                            // The innermost frame of the plugin's own code, past
                            // the standard library's and the SDK's.
                            names
                                .iter()
                                .find(|n| !is_runtime_frame(n))
                                .or(names.first())
                                .cloned()
                        })
                        .map(|f| format!(" in `{f}`"))
                        .unwrap_or_default();
                    format!("{trap}{at}")
                }
            };
            CallError::Trap { function, message }
        }
        None => match &state.panic {
            Some(panic) => CallError::Trap {
                function,
                message: panic.clone(),
            },
            None => CallError::Host(format!("{e:#}")),
        },
    }
}

/// Whether a frame belongs to the standard library, the allocator or the SDK.
fn is_runtime_frame(name: &str) -> bool {
    [
        "core::",
        "std::",
        "alloc::",
        "dlmalloc::",
        "__rust",
        "__rdl",
        "ferrite_plugin::",
        "rust_begin_unwind",
    ]
    .iter()
    .any(|p| name.starts_with(p))
}

/// A readable form of a Rust symbol from the name section.
fn demangle(name: &str) -> String {
    // Legacy mangling: `_ZN<len><part>...17h<hash>E`.
    let Some(mut rest) = name.strip_prefix("_ZN") else {
        return name.to_string();
    };
    let mut parts = Vec::new();
    while let Some(len_end) = rest.find(|c: char| !c.is_ascii_digit()) {
        let Ok(len) = rest[..len_end].parse::<usize>() else {
            break;
        };
        let part = rest.get(len_end..len_end + len).unwrap_or("");
        rest = &rest[(len_end + len).min(rest.len())..];
        if part.starts_with('h') && part.len() == 17 {
            break;
        }
        parts.push(part.to_string());
    }
    if parts.is_empty() {
        name.to_string()
    } else {
        parts.join("::")
    }
}
