//! Calls: by name with WAVE text, byte strings or `Val`s, each on a warm or
//! fresh instance under the plugin's limits, and failures turned into
//! [`CallError`]s.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::{ComponentNamedList, Func, Lift, Lower, Val};
use wasmtime::{Store, Trap};

use crate::error::CallError;
use crate::fast::{self, Shape};
use crate::host::Host;
use crate::plugin::{Live, Plugin};
use crate::state::{CallState, LogRecord, MemoryLimitExceeded};

/// Per-call options.
#[derive(Clone, Default)]
pub struct CallOptions {
    /// Refuse keyspace writes (`FCALL_RO`).
    pub read_only: bool,
    /// Use this keyspace instead of the host's (e.g. a fresh one per test).
    pub keyspace: Option<Arc<dyn crate::Keyspace>>,
    /// What `server.call` runs; without it, `server.call` fails with a
    /// `host` error saying this host has no server commands.
    pub commands: Option<Arc<dyn crate::ServerCommands>>,
    /// Use these random numbers instead of the host's (e.g. seeded per test).
    pub random: Option<Arc<dyn crate::Random>>,
    /// Called once, on the calling thread, when the call has run for a
    /// slice ([`SLICE_TICKS`](crate::SLICE_TICKS) epoch ticks) and goes on,
    /// or before it starts when the same function's last call did: a
    /// server moves its other work off this thread here, so that a long
    /// call stalls no one else.
    pub on_long_call: Option<Arc<dyn Fn() + Send + Sync>>,
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

/// A thread's last lookup by name.
struct Resolved {
    host: u64,
    generation: u64,
    plugin: String,
    function: String,
    /// Weak, so that an unloaded plugin is not kept alive by a thread's cache.
    target: std::sync::Weak<Plugin>,
    index: usize,
}

thread_local! {
    static LAST_LOOKUP: std::cell::RefCell<Option<Resolved>> = const { std::cell::RefCell::new(None) };
}

impl CallReport {
    pub(crate) fn failed(error: CallError) -> CallReport {
        CallReport {
            result: Err(error),
            fuel_used: None,
            logs: Vec::new(),
            dropped_logs: 0,
        }
    }
}

impl Host {
    /// The plugin and function index for a call by name. A server calls the
    /// same function over and over, so each thread remembers its last
    /// lookup, valid until the host's set of plugins changes.
    fn lookup(&self, plugin: &str, function: &str) -> Result<(Arc<Plugin>, usize), CallError> {
        let (host, generation) = self.identity();
        let hit = LAST_LOOKUP.with_borrow(|last| {
            let r = last.as_ref()?;
            if r.host == host
                && r.generation == generation
                && r.plugin == plugin
                && r.function == function
            {
                Some((r.target.upgrade()?, r.index))
            } else {
                None
            }
        });
        if let Some(hit) = hit {
            return Ok(hit);
        }
        let p = self
            .plugin(plugin)
            .ok_or_else(|| CallError::NoSuchPlugin(plugin.to_string()))?;
        let index = p.index_of(function)?;
        LAST_LOOKUP.with_borrow_mut(|last| {
            *last = Some(Resolved {
                host,
                generation,
                plugin: plugin.to_string(),
                function: function.to_string(),
                target: Arc::downgrade(&p),
                index,
            })
        });
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
        let (p, i) = match self.lookup(plugin, function) {
            Ok(found) => found,
            Err(e) => return CallReport::failed(e),
        };
        let f = &p.functions[i];
        let parsed = match f.shape {
            Shape::Typed { result, .. } => {
                crate::args::fast_from_wave(f, args).map(|a| (Some((a, result)), Vec::new()))
            }
            Shape::Dynamic => crate::args::from_wave(f, args).map(|v| (None, v)),
        };
        match parsed {
            Ok((Some((fast, result)), _)) => self.invoke_fast(&p, i, fast.as_slice(), result, opts),
            Ok((None, vals)) => self.invoke(&p, i, &vals, opts),
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
            Ok((p, i)) => self.call_bytes_at(&p, i, args, opts),
            Err(e) => CallReport::failed(e),
        }
    }

    /// [`Host::call_bytes`] of function `index` of `plugin` (its position in
    /// [`Plugin::functions`], see [`Plugin::function_index`]): what a server
    /// that resolved the name once calls on its hot path.
    pub fn call_bytes_at(
        &self,
        plugin: &Arc<Plugin>,
        index: usize,
        args: &[&[u8]],
        opts: &CallOptions,
    ) -> CallReport {
        let Some(f) = plugin.functions.get(index) else {
            return CallReport::failed(CallError::Host(format!(
                "plugin `{}` has no function #{index}",
                plugin.name()
            )));
        };
        match f.shape {
            Shape::Typed { result, .. } => match crate::args::fast_from_bytes(f, args) {
                Ok(fast) => self.invoke_fast(plugin, index, fast.as_slice(), result, opts),
                Err(e) => CallReport::failed(e),
            },
            Shape::Dynamic => match crate::args::from_bytes(f, args) {
                Ok(vals) => self.invoke(plugin, index, &vals, opts),
                Err(e) => CallReport::failed(e),
            },
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
            Ok((p, i)) => self.call_index(&p, i, args, opts),
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
        match plugin.index_of(function) {
            Ok(i) => self.call_index(plugin, i, args, opts),
            Err(e) => CallReport::failed(e),
        }
    }

    fn call_index(
        &self,
        plugin: &Arc<Plugin>,
        index: usize,
        args: &[Val],
        opts: &CallOptions,
    ) -> CallReport {
        let f = &plugin.functions[index];
        if args.len() != f.params.len() {
            return CallReport::failed(CallError::Arity {
                function: f.name.clone(),
                expected: f.param_list(),
                given: args.len(),
            });
        }
        self.invoke(plugin, index, args, opts)
    }

    /// A typed handle to `plugin.function`, for Rust embedders: `P` and `R`
    /// are the parameter and result tuples, checked against the export now.
    pub fn typed<P, R>(
        &self,
        plugin: &str,
        function: &str,
    ) -> Result<crate::TypedFunction<P, R>, CallError>
    where
        P: ComponentNamedList + Lower + Send + Sync,
        R: ComponentNamedList + Lift + Send + Sync,
    {
        let (p, i) = self.lookup(plugin, function)?;
        crate::TypedFunction::new(self.clone(), p, i)
    }

    /// Runs one call of function `index` of `plugin`, with `Val`s.
    fn invoke(
        &self,
        plugin: &Arc<Plugin>,
        index: usize,
        args: &[Val],
        opts: &CallOptions,
    ) -> CallReport {
        let results = usize::from(plugin.functions[index].result.is_some());
        self.report(plugin, index, opts, |store, func| {
            let mut out = [Val::Bool(false)];
            func.call(&mut *store, args, &mut out[..results])?;
            let [value] = out;
            Ok((results == 1).then_some(value))
        })
    }

    /// Runs one call of function `index` of `plugin` on its typed fast path.
    fn invoke_fast(
        &self,
        plugin: &Arc<Plugin>,
        index: usize,
        args: &[fast::Arg<'_>],
        result: fast::R,
        opts: &CallOptions,
    ) -> CallReport {
        self.report(plugin, index, opts, |store, func| {
            fast::call(func, store, args, result)
        })
    }

    fn report(
        &self,
        plugin: &Arc<Plugin>,
        index: usize,
        opts: &CallOptions,
        run: impl FnOnce(&mut Store<CallState>, Func) -> wasmtime::Result<Option<Val>>,
    ) -> CallReport {
        let name = &plugin.functions[index].name;
        let (result, fuel_used, logs, dropped_logs) =
            self.with_instance(plugin, index, opts, |store, func| {
                run(store, func).map_err(|e| classify(e, name, plugin, store.data()))
            });
        CallReport {
            result,
            fuel_used,
            logs,
            dropped_logs,
        }
    }

    /// Runs `run` on export `index` of an instance of `plugin` (warm or fresh)
    /// under its limits. Returns the result, the fuel used, the logs and the
    /// number of dropped log records.
    pub(crate) fn with_instance<T>(
        &self,
        plugin: &Arc<Plugin>,
        index: usize,
        opts: &CallOptions,
        run: impl FnOnce(&mut Store<CallState>, Func) -> Result<T, CallError>,
    ) -> (Result<T, CallError>, Option<u64>, Vec<LogRecord>, usize) {
        let warm = plugin.warm.as_ref().and_then(|idle| idle.take());
        let mut live = match warm {
            Some(live) => live,
            None => match self.instantiate(plugin) {
                Ok(live) => Box::new(live),
                Err(e) => return (Err(e), None, Vec::new(), 0),
            },
        };
        let limits = plugin.limits;
        let data = live.store.data_mut();
        data.reset();
        data.read_only = opts.read_only;
        let keyspace = opts.keyspace.as_ref().unwrap_or(self.keyspace());
        if !Arc::ptr_eq(&data.keyspace, keyspace) {
            data.keyspace = keyspace.clone();
        }
        let random = opts.random.as_ref().unwrap_or(self.random());
        if !Arc::ptr_eq(&data.random, random) {
            data.random = random.clone();
        }
        point_at(&mut data.commands, &opts.commands);
        point_at(&mut data.on_long_call, &opts.on_long_call);
        if let Some(fuel) = limits.fuel {
            let _ = live.store.set_fuel(fuel);
        }
        if self.config().max_timeout.is_some() {
            let ticks = plugin.deadline_ticks.unwrap_or(u64::MAX);
            let data = live.store.data_mut();
            data.function = index;
            data.ticks_left = ticks;
            let first = crate::running::SLICE_TICKS.min(ticks);
            data.granted = first;
            data.call_starting();
            live.store.set_epoch_deadline(first);
        }
        let result = match live.func(plugin, index) {
            Ok(func) => run(&mut live.store, func),
            Err(e) => Err(e),
        };
        live.store.data_mut().call_ended();
        let fuel_used = limits
            .fuel
            .map(|f| f.saturating_sub(live.store.get_fuel().unwrap_or(0)));
        let data = live.store.data_mut();
        let logs = std::mem::take(&mut data.logs);
        let dropped = data.dropped_logs;
        if let Some(idle) = &plugin.warm
            && !matches!(&result, Err(e) if e.is_fault())
        {
            idle.put(live);
        }
        (result, fuel_used, logs, dropped)
    }
}

/// Points `slot` at `want`, touching no reference count when it already
/// does (a warm instance's calls from one server share their options).
fn point_at<T: ?Sized>(slot: &mut Option<Arc<T>>, want: &Option<Arc<T>>) {
    match (want, &*slot) {
        (Some(a), Some(b)) if Arc::ptr_eq(a, b) => {}
        (None, None) => {}
        _ => *slot = want.clone(),
    }
}

/// Whether an out-of-bounds access was the plugin's shadow stack (its
/// locals in linear memory, below the data) growing past address 0.
///
/// Rust's wasm32 targets put that stack first in memory, growing down from
/// its size (1 MiB) towards 0, so an overflow wraps around to an address
/// just under 4 GiB, far past any memory a plugin has (the host caps it at
/// the plugin's memory limit). wasmtime reports the faulting address as the
/// error's context: "memory fault at wasm address 0x... in linear memory of
/// size 0x...".
fn shadow_stack_overflowed(e: &wasmtime::Error) -> bool {
    e.chain().any(|cause| {
        let text = cause.to_string();
        let Some(rest) = text.strip_prefix("memory fault at wasm address 0x") else {
            return false;
        };
        let Some((addr, rest)) = rest.split_once(' ') else {
            return false;
        };
        let size = rest
            .strip_prefix("in linear memory of size 0x")
            .and_then(|s| u64::from_str_radix(s, 16).ok());
        match (u64::from_str_radix(addr, 16), size) {
            // Within the top 64 MiB of the 32-bit space, and past the memory.
            (Ok(addr), Some(size)) => addr >= (1 << 32) - (64 << 20) && addr >= size,
            _ => false,
        }
    })
}

/// Turns a failed call into its typed error.
pub(crate) fn classify(
    e: wasmtime::Error,
    function: &str,
    plugin: &Plugin,
    state: &CallState,
) -> CallError {
    let function = function.to_string();
    if state.limiter.exceeded || e.downcast_ref::<MemoryLimitExceeded>().is_some() {
        return CallError::MemoryLimit {
            function,
            limit: plugin.limits.memory,
        };
    }
    if e.downcast_ref::<crate::running::Killed>().is_some() {
        return CallError::Killed { function };
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
        Some(Trap::MemoryOutOfBounds) if shadow_stack_overflowed(&e) => {
            CallError::StackOverflow { function }
        }
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

/// Creates a fresh instance of `plugin`.
impl Host {
    pub(crate) fn instantiate(&self, plugin: &Arc<Plugin>) -> Result<Live, CallError> {
        let state = CallState::new(
            plugin.grants.clone(),
            self.keyspace().clone(),
            self.clock().clone(),
            self.random().clone(),
            self.registry().clone(),
            self.config().epoch_tick,
            plugin.limits.memory,
        );
        let mut store = Store::new(self.engine(), state);
        store.limiter(|s| &mut s.limiter);
        if self.config().max_timeout.is_some() {
            // Each call sets its first slice; instantiation runs unbounded by
            // a call's timeout, as before.
            store.epoch_deadline_callback(|mut ctx| {
                ctx.data_mut()
                    .slice_ended()
                    .map(wasmtime::UpdateDeadline::Continue)
            });
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
        Ok(Live::new(store, instance, plugin.functions.len()))
    }
}
