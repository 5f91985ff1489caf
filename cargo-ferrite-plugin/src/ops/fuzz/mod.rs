//! `cargo ferrite-plugin test --fuzz`: every export called with inputs
//! generated from its WIT types, in the host under the plugin's production
//! limits and, for functions, natively too, the results compared.
//!
//! * [`generate`] — the seeded generator, the narrowing of inputs (`--max-len`,
//!   `#[ferrite_plugin::fuzz]`) and values of any WIT type, edge cases
//!   mixed in.
//! * [`native`] — the harness crate that links the plugin's rlib and calls
//!   its functions' native entry points, run once per plugin.
//! * [`shrink`] — simpler values of a failing input, tried greedily.
//! * [`value`] — the host's `Val`s and the native `Value`s as each other and
//!   as text.
//! * [`entries`] — commands and hooks, called with generated words in the
//!   host only.
//!
//! A failure is a trap or panic in the host, a limit breached, or (for a
//! function) a native result other than the host's — floats compared bit
//! for bit, any NaN equal to any other — or a native panic where the host
//! returned. Returning `err(...)` is a result like any other. The first
//! failure of each export is shrunk and printed as the input to paste into
//! `cargo ferrite-plugin call`.

mod entries;
mod generate;
mod native;
mod shrink;
mod value;

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use ferrite_plugin::dynamic::NativeOutcome;
use ferrite_plugin_host::{
    CallError, CallOptions, Clock, FunctionInfo, Host, HostConfig, Keyspace, LoadOptions,
    ManualClock, MemoryKeyspace, Plugin, SeededRandom, Val,
};
use wasmtime::component::Type;

use crate::shell::Shell;
use ferrite_plugin_build::meta::{Export, ExportKind};
use ferrite_plugin_build::{self as build, BuildOptions, Built};

pub use generate::NumRange;

/// The default number of inputs per export.
pub const DEFAULT_CASES: u32 = 256;
/// The default most items of a generated list or string.
pub const DEFAULT_MAX_LEN: usize = 16;
/// Calls a shrink may spend.
const SHRINK_BUDGET: usize = 2000;
/// How long a native call may take.
const NATIVE_TIMEOUT: Duration = Duration::from_secs(20);
/// What the host's clock says while fuzzing (2025-01-01T00:00:00Z).
const CLOCK_MS: u64 = 1_735_689_600_000;

/// What to fuzz, and how.
#[derive(Debug, Clone)]
pub struct FuzzOptions {
    /// How to build (`tests` is ignored: the production component is fuzzed).
    pub build: BuildOptions,
    /// Fuzz only the exports whose name contains this.
    pub filter: Option<String>,
    /// Inputs per export.
    pub cases: u32,
    /// The seed of every export's inputs (mixed with its name).
    pub seed: u64,
    /// The most items of a list or string (`#[ferrite_plugin::fuzz(max_len)]`
    /// overrides it).
    pub max_len: usize,
}

impl Default for FuzzOptions {
    fn default() -> Self {
        FuzzOptions {
            build: BuildOptions::default(),
            filter: None,
            cases: DEFAULT_CASES,
            seed: 0,
            max_len: DEFAULT_MAX_LEN,
        }
    }
}

/// The counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FuzzSummary {
    /// Exports that passed every input.
    pub passed: usize,
    /// Exports that failed.
    pub failed: usize,
    /// Exports skipped (`#[ferrite_plugin::fuzz(skip)]`, or inputs that
    /// cannot be generated).
    pub skipped: usize,
    /// Exports the filter left out.
    pub filtered_out: usize,
    /// Inputs run, shrinking included.
    pub inputs: u64,
}

/// An export's `#[ferrite_plugin::fuzz]` options, from its description.
#[derive(Debug, Clone, Default)]
pub struct Narrowing {
    /// Not fuzzed, and why (may be empty).
    pub skip: Option<String>,
    /// Its `max_len`.
    pub max_len: Option<usize>,
    /// Ranges by parameter (WIT name).
    pub ranges: HashMap<String, NumRange>,
    /// Not compared with the native build.
    pub wasm_only: bool,
}

impl Narrowing {
    /// The options recorded in `export`'s attributes.
    pub fn of(export: Option<&Export>) -> Result<Narrowing> {
        let mut n = Narrowing::default();
        let Some(export) = export else {
            return Ok(n);
        };
        for (key, value) in &export.attrs {
            match key.as_str() {
                "fuzz-skip" => n.skip = Some(value.clone()),
                "fuzz-max-len" => {
                    n.max_len = Some(value.parse().with_context(|| {
                        format!(
                            "`max_len = {value}` of `{}` is not a count",
                            export.rust_path
                        )
                    })?)
                }
                "fuzz-wasm-only" => n.wasm_only = true,
                _ => {
                    if let Some(param) = key.strip_prefix("fuzz-range-") {
                        n.ranges.insert(param.to_string(), NumRange::parse(value)?);
                    }
                }
            }
        }
        Ok(n)
    }
}

/// Why an input failed: what must stay the same while it shrinks.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// A panic in the host, at this location.
    Panic(String),
    /// Another trap in the host.
    Trap(String),
    /// A limit: fuel, timeout, memory, stack.
    Limit(&'static str),
    /// Native and host results differ.
    Mismatch,
    /// A native panic, at this location, where the host returned.
    NativePanic(String),
    /// The native glue refused the arguments.
    Refused,
    /// The native build died or hung.
    NativeCrash,
    /// The host refused the call.
    Host,
}

/// A failed input's kind and description.
#[derive(Debug, Clone)]
struct Failure {
    kind: Kind,
    text: String,
}

/// What one input did.
enum Verdict {
    /// It passed; the native result was compared, or the host API it
    /// reached natively is named.
    Pass {
        compared: bool,
        host_api: Option<String>,
    },
    Fail(Failure),
}

/// The first line of a panic report (`panicked at src/lib.rs:3:9:`).
fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_string()
}

/// What a failed host call means.
fn host_failure(e: &CallError) -> Failure {
    let (kind, text) = match e {
        CallError::Trap { message, .. } if message.starts_with("panicked at ") => (
            Kind::Panic(first_line(message)),
            format!("it panicked in the host: {message}"),
        ),
        CallError::Trap { message, .. } => (
            Kind::Trap(first_line(message)),
            format!("it trapped in the host: {message}"),
        ),
        CallError::OutOfFuel { .. } => (Kind::Limit("fuel"), e.to_string()),
        CallError::Timeout { .. } => (Kind::Limit("timeout"), e.to_string()),
        CallError::MemoryLimit { .. } => (Kind::Limit("memory"), e.to_string()),
        CallError::StackOverflow { .. } => (Kind::Limit("stack"), e.to_string()),
        CallError::Killed { .. } => (Kind::Limit("killed"), e.to_string()),
        other => (Kind::Host, format!("the host refused the input: {other}")),
    };
    Failure { kind, text }
}

/// Options of one call: a fresh keyspace, random numbers from `seed`.
fn call_options(seed: u64) -> CallOptions {
    let keyspace: Arc<dyn Keyspace> = Arc::new(MemoryKeyspace::new());
    CallOptions {
        keyspace: Some(keyspace),
        random: Some(Arc::new(SeededRandom::new(seed))),
        ..CallOptions::default()
    }
}

/// An export's seed: its name's FNV-1a hash mixed with `--seed`.
fn export_seed(name: &str, seed: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// How an export fared.
enum Outcome {
    Passed {
        inputs: u32,
        compared: u32,
        host_api: Option<String>,
    },
    Failed {
        /// What went wrong with the minimal input, and the input itself.
        report: String,
    },
    Skipped(String),
}

/// A function, and how to call it natively.
struct FunctionRun<'a> {
    host: &'a Host,
    plugin: &'a Arc<Plugin>,
    info: &'a FunctionInfo,
    /// The name the host calls it by.
    call_name: String,
    /// The harness and the function's index in it, unless not compared.
    native: Option<(&'a mut native::Harness, u32)>,
    seed: u64,
    inputs: u64,
}

impl FunctionRun<'_> {
    fn check(&mut self, input: &[Val]) -> Result<Verdict> {
        self.inputs += 1;
        let report = self.host.call_plugin(
            self.plugin,
            &self.call_name,
            input,
            &call_options(self.seed),
        );
        let wasm = match report.result {
            Ok(v) => v,
            Err(e) => return Ok(Verdict::Fail(host_failure(&e))),
        };
        let Some((harness, index)) = self.native.as_mut() else {
            return Ok(Verdict::Pass {
                compared: false,
                host_api: None,
            });
        };
        let Some(args) = input
            .iter()
            .map(value::to_value)
            .collect::<Option<Vec<_>>>()
        else {
            return Ok(Verdict::Pass {
                compared: false,
                host_api: None,
            });
        };
        let wasm_text = value::wave_result(wasm.as_ref());
        let failure = |kind, text| Ok(Verdict::Fail(Failure { kind, text }));
        match harness.call(*index, &args)? {
            native::Reply::Outcome(_, Some(api)) => Ok(Verdict::Pass {
                compared: false,
                host_api: Some(api),
            }),
            native::Reply::Outcome(NativeOutcome::Returned(native), None) => {
                let same = match (&wasm, &native) {
                    (None, None) => true,
                    (Some(w), Some(n)) => value::to_value(w).is_none_or(|w| w.same(n)),
                    _ => false,
                };
                if same {
                    return Ok(Verdict::Pass {
                        compared: true,
                        host_api: None,
                    });
                }
                let native_text = value::wave_result(native.as_ref().map(value::to_val).as_ref());
                failure(
                    Kind::Mismatch,
                    format!(
                        "the host and the native build disagree:\n  wasm:   {wasm_text}\n  native: {native_text}"
                    ),
                )
            }
            native::Reply::Outcome(NativeOutcome::Panicked(message), None) => failure(
                Kind::NativePanic(first_line(&message)),
                format!("it returned {wasm_text} in the host but panicked natively: {message}"),
            ),
            native::Reply::Outcome(NativeOutcome::Refused(why), None) => failure(
                Kind::Refused,
                format!(
                    "the native glue refused the input the host took (an SDK bug: please report it): {why}"
                ),
            ),
            native::Reply::Crashed(why) => failure(
                Kind::NativeCrash,
                format!("it returned {wasm_text} in the host, but {why}"),
            ),
            native::Reply::TimedOut(limit) => failure(
                Kind::NativeCrash,
                format!(
                    "it returned {wasm_text} in the host, but natively did not finish in {limit:?}"
                ),
            ),
        }
    }
}

/// Everything a plugin's run needs to know about one export.
enum Target<'a> {
    Function {
        info: &'a FunctionInfo,
        export: Option<&'a Export>,
    },
    Command(
        &'a ferrite_plugin_host::entries::CommandEntry,
        Option<&'a Export>,
    ),
    Hook(
        &'a ferrite_plugin_host::entries::HookEntry,
        Option<&'a Export>,
    ),
}

impl Target<'_> {
    fn name(&self) -> String {
        match self {
            Target::Function { info, .. } => match &info.interface {
                Some(i) => format!("{}.{}", short_interface(i), info.name),
                None => info.name.clone(),
            },
            Target::Command(c, _) => format!("command {}", c.name),
            Target::Hook(h, _) => format!("hook {}", h.function),
        }
    }

    fn export(&self) -> Option<&Export> {
        match self {
            Target::Function { export, .. }
            | Target::Command(_, export)
            | Target::Hook(_, export) => *export,
        }
    }
}

/// `handler` for `artifact-keeper:format/handler@1.0.0`.
fn short_interface(interface: &str) -> &str {
    let path = interface.split_once('@').map_or(interface, |(p, _)| p);
    path.rsplit_once('/').map_or(path, |(_, n)| n)
}

/// Builds and fuzzes the selected plugins, printing libtest-style output on
/// stdout.
pub fn fuzz(shell: &mut Shell, opts: &FuzzOptions) -> Result<FuzzSummary> {
    let build_opts = BuildOptions {
        tests: false,
        ..opts.build.clone()
    };
    let manifest = build::find_manifest(build_opts.manifest_path.as_deref())?;
    let metadata = build::metadata(&manifest)?;
    let plugins = build::build(shell, &build_opts)?;
    // A clock that stands still, so that a run repeats for a seed.
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(CLOCK_MS));
    let host = Host::with_keyspace(
        HostConfig {
            pool_size: 8,
            ..crate::ops::test::host_config(&plugins, &opts.build, opts.seed)
        },
        Arc::new(MemoryKeyspace::new()),
        clock,
    )
    .context("failed to start the plugin host")?;
    let mut total = FuzzSummary::default();
    let several = plugins.len() > 1;
    for built in &plugins {
        let package = metadata
            .workspace_packages()
            .into_iter()
            .find(|p| p.name.as_str() == built.package)
            .with_context(|| format!("package `{}` is not in the workspace", built.package))?;
        let s = run_plugin(shell, &host, built, package, &metadata, opts, several)?;
        total.passed += s.passed;
        total.failed += s.failed;
        total.skipped += s.skipped;
        total.filtered_out += s.filtered_out;
        total.inputs += s.inputs;
    }
    Ok(total)
}

/// Unloads a plugin when its run is done.
struct Unload<'a>(&'a Host, String);

impl Drop for Unload<'_> {
    fn drop(&mut self) {
        self.0.unload(&self.1);
    }
}

fn run_plugin(
    shell: &mut Shell,
    host: &Host,
    built: &Built,
    package: &ferrite_plugin_build::cargo_metadata::Package,
    metadata: &ferrite_plugin_build::cargo_metadata::Metadata,
    opts: &FuzzOptions,
    several: bool,
) -> Result<FuzzSummary> {
    let name = &built.manifest.plugin.name;
    let plugin = host
        .load(
            &built.component.bytes,
            LoadOptions {
                manifest: Some(built.manifest.clone()),
                config: HashMap::new(),
                warm: None,
            },
        )
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("`{name}` does not load"))?;
    let _unload = Unload(host, name.clone());
    let exports = &built.component.exports;
    let find = |kind: ExportKind, matches: &dyn Fn(&Export) -> bool| {
        exports.iter().find(|e| e.kind == kind && matches(e))
    };

    let mut targets: Vec<Target<'_>> = Vec::new();
    for info in plugin.functions().iter().filter(|f| f.is_function()) {
        let export = find(ExportKind::Function, &|e| {
            e.wit_name == info.wit_name
                && match (e.attr("interface"), &info.interface) {
                    (None, None) => true,
                    (Some(a), Some(b)) => short_interface(a) == short_interface(b),
                    _ => false,
                }
        })
        .or_else(|| {
            // A function of a world's interface that names none: the build
            // matched it to the world by its name alone, which is unique.
            let mut named = exports.iter().filter(|e| {
                e.kind == ExportKind::Function
                    && e.wit_name == info.wit_name
                    && e.attr("interface").is_none()
            });
            named.next().filter(|_| named.next().is_none())
        });
        targets.push(Target::Function { info, export });
    }
    let entries = plugin.entries();
    for c in &entries.commands {
        let export = find(ExportKind::Command, &|e| {
            e.attr("command") == Some(c.name.as_str())
        });
        targets.push(Target::Command(c, export));
    }
    for h in &entries.hooks {
        let export = find(ExportKind::Hook, &|e| {
            e.attr("function") == Some(h.function.as_str())
        });
        targets.push(Target::Hook(h, export));
    }
    let total = targets.len();
    if let Some(f) = &opts.filter {
        targets.retain(|t| t.name().contains(f.as_str()));
    }

    // The functions compared natively, by index in the harness.
    let mut narrowing = Vec::with_capacity(targets.len());
    for t in &targets {
        narrowing.push(Narrowing::of(t.export()).with_context(|| {
            format!(
                "`{}` has a `#[ferrite_plugin::fuzz]` this CLI does not read",
                t.name()
            )
        })?);
    }
    let mut native_paths: Vec<String> = Vec::new();
    let mut native_index: Vec<Option<u32>> = Vec::with_capacity(targets.len());
    for (t, n) in targets.iter().zip(&narrowing) {
        let index = match t {
            Target::Function {
                export: Some(e), ..
            } if n.skip.is_none() && !n.wasm_only => {
                native_paths.push(e.rust_path.clone());
                Some(native_paths.len() as u32 - 1)
            }
            _ => None,
        };
        native_index.push(index);
    }
    let mut harness = if native_paths.is_empty() {
        None
    } else {
        native::check_rlib(package)?;
        shell.status("Building", format!("{} natively, to compare", package.name));
        let exe = native::build(
            shell,
            &native::Plan {
                package,
                workspace_root: metadata.workspace_root.as_std_path(),
                target_dir: metadata.target_directory.as_std_path(),
                functions: &native_paths,
                release: opts.build.release,
            },
        )?;
        let log = exe.with_extension("log");
        Some(native::Harness::new(exe, log, NATIVE_TIMEOUT))
    };

    let limits = plugin.limits();
    shell.status(
        "Fuzzing",
        format!(
            "{} v{} in the plugin host (fuel {}, memory {} MiB, timeout {}) and natively; seed {}, {} inputs per export, lists and strings up to {}",
            name,
            built.manifest.plugin.version,
            limits
                .fuel
                .map_or("unmetered".to_string(), |f| f.to_string()),
            limits.memory >> 20,
            limits
                .timeout
                .map_or("none".to_string(), |t| format!("{t:?}")),
            opts.seed,
            opts.cases,
            opts.max_len,
        ),
    );

    let started = Instant::now();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "\nrunning {} export{}",
        targets.len(),
        if targets.len() == 1 { "" } else { "s" }
    )?;
    let reproduce = Reproduce {
        package: several.then(|| built.package.clone()),
        release: opts.build.release,
    };
    let mut summary = FuzzSummary {
        filtered_out: total - targets.len(),
        ..FuzzSummary::default()
    };
    let mut failures = Vec::new();
    for ((t, n), index) in targets.iter().zip(&narrowing).zip(native_index) {
        let label = t.name();
        let max_len = n.max_len.unwrap_or(opts.max_len);
        let seed = export_seed(&label, opts.seed);
        let (outcome, inputs) = match (&n.skip, t) {
            (Some(why), _) => (
                Outcome::Skipped(if why.is_empty() {
                    "#[ferrite_plugin::fuzz(skip)]".to_string()
                } else {
                    why.clone()
                }),
                0,
            ),
            (None, Target::Function { info, .. }) => {
                let native = match (index, harness.as_mut()) {
                    (Some(i), Some(h)) => Some((h, i)),
                    _ => None,
                };
                let mut run = FunctionRun {
                    host,
                    plugin: &plugin,
                    info,
                    call_name: match &info.interface {
                        Some(i) => format!("{i}#{}", info.wit_name),
                        None => info.name.clone(),
                    },
                    native,
                    seed,
                    inputs: 0,
                };
                let outcome = fuzz_function(&mut run, n, max_len, opts.cases, &reproduce, &label)?;
                (outcome, run.inputs)
            }
            (None, Target::Command(c, _)) => {
                entries::fuzz_command(host, &plugin, c, max_len, opts.cases, seed)
            }
            (None, Target::Hook(h, _)) => {
                entries::fuzz_hook(host, &plugin, h, max_len, opts.cases, seed)
            }
        };
        summary.inputs += inputs;
        let status = match &outcome {
            Outcome::Passed {
                inputs,
                compared,
                host_api,
            } => {
                summary.passed += 1;
                let native = match (t, host_api) {
                    (Target::Function { .. }, Some(api)) => {
                        format!(", not compared natively: it reaches the host API (`{api}`)")
                    }
                    (Target::Function { .. }, None) if *compared == 0 && !n.wasm_only => {
                        ", not compared natively".to_string()
                    }
                    (Target::Function { .. }, None) if n.wasm_only => ", wasm only".to_string(),
                    _ => String::new(),
                };
                format!("ok ({inputs} inputs{native})")
            }
            Outcome::Failed { report } => {
                summary.failed += 1;
                failures.push((label.clone(), report.clone()));
                "FAILED".to_string()
            }
            Outcome::Skipped(why) => {
                summary.skipped += 1;
                format!("skipped ({why})")
            }
        };
        writeln!(out, "fuzz {label} ... {status}")?;
    }

    if !failures.is_empty() {
        writeln!(out, "\nfailures:")?;
        for (label, report) in &failures {
            writeln!(out, "\n---- {label} ----\n{report}")?;
        }
        writeln!(out, "\nfailures:")?;
        for (label, _) in &failures {
            writeln!(out, "    {label}")?;
        }
    }
    writeln!(
        out,
        "\nfuzz result: {}. {} passed; {} failed; {} skipped; {} filtered out; {} inputs in {:.2}s\n",
        if summary.failed == 0 { "ok" } else { "FAILED" },
        summary.passed,
        summary.failed,
        summary.skipped,
        summary.filtered_out,
        summary.inputs,
        started.elapsed().as_secs_f64()
    )?;
    Ok(summary)
}

/// How to call a function again with `cargo ferrite-plugin call`.
struct Reproduce {
    /// `-p NAME`, in a workspace of several plugins.
    package: Option<String>,
    release: bool,
}

impl Reproduce {
    fn line(&self, function: &str, args: &[Val]) -> String {
        let mut line = "cargo ferrite-plugin call".to_string();
        if let Some(p) = &self.package {
            line.push_str(&format!(" -p {p}"));
        }
        if self.release {
            line.push_str(" --release");
        }
        line.push(' ');
        line.push_str(function);
        let args: Vec<String> = args.iter().map(value::wave).collect();
        if args.iter().any(|a| a.starts_with('-')) {
            line.push_str(" --");
        }
        for a in &args {
            line.push(' ');
            line.push_str(&value::shell_quote(a));
        }
        line
    }
}

fn fuzz_function(
    run: &mut FunctionRun<'_>,
    narrowing: &Narrowing,
    max_len: usize,
    cases: u32,
    reproduce: &Reproduce,
    label: &str,
) -> Result<Outcome> {
    let info = run.info;
    let types: Vec<Type> = info.params.iter().map(|(_, t, _)| t.clone()).collect();
    for param in narrowing.ranges.keys() {
        if !info.params.iter().any(|(n, _, _)| n == param) {
            bail!("`{label}` has a range for `{param}`, which is not one of its parameters");
        }
    }
    let specs: Vec<generate::Spec> = info
        .params
        .iter()
        .map(|(name, _, _)| generate::Spec {
            max_len,
            range: narrowing.ranges.get(name).cloned(),
        })
        .collect();
    for ((name, ty, _), spec) in info.params.iter().zip(&specs) {
        if let Err(why) = generate::check(ty, spec) {
            if spec.range.is_some() && !why.starts_with("it takes") {
                return Ok(Outcome::Failed {
                    report: format!("`range({name} = ...)` cannot be kept: {why}"),
                });
            }
            return Ok(Outcome::Skipped(format!("`{name}`: {why}")));
        }
    }

    let mut rng = generate::Rng::new(run.seed);
    let (mut compared, mut host_api) = (0u32, None);
    for case in 0..cases {
        let input: Vec<Val> = {
            let mut g = generate::Generator {
                rng: &mut rng,
                edge_odds: 4,
            };
            types
                .iter()
                .zip(&specs)
                .map(|(t, s)| g.value(t, s))
                .collect()
        };
        let failure = match run.check(&input)? {
            Verdict::Pass {
                compared: c,
                host_api: api,
            } => {
                compared += u32::from(c);
                if host_api.is_none() {
                    host_api = api;
                }
                continue;
            }
            Verdict::Fail(f) => f,
        };
        // Shrink while it fails the same way.
        let mut last = failure.clone();
        let mut error = None;
        let (minimal, steps) = shrink::shrink(input, &types, &specs, SHRINK_BUDGET, |trial| {
            if error.is_some() {
                return false;
            }
            match run.check(trial) {
                Ok(Verdict::Fail(f)) if f.kind == failure.kind => {
                    last = f;
                    true
                }
                Ok(_) => false,
                Err(e) => {
                    error = Some(e);
                    false
                }
            }
        });
        if let Some(e) = error {
            return Err(e);
        }
        let shown: Vec<String> = info
            .params
            .iter()
            .zip(&minimal)
            .map(|((n, _, _), v)| format!("{n}: {}", value::wave(v)))
            .collect();
        let call_name = match &info.interface {
            Some(i) => format!("{}.{}", short_interface(i), info.name),
            None => info.name.clone(),
        };
        let report = minimal_report(
            &last.text,
            case,
            steps,
            &format!("{label}({})", shown.join(", ")),
            &reproduce.line(&call_name, &minimal),
        );
        return Ok(Outcome::Failed { report });
    }
    Ok(Outcome::Passed {
        inputs: cases,
        compared,
        host_api,
    })
}

/// A failure's report: what went wrong, then the minimal input (`shown`)
/// — found at input number `case` (from 0), shrunk in `steps` — and the
/// command that reproduces it.
fn minimal_report(failure: &str, case: u32, steps: usize, shown: &str, reproduce: &str) -> String {
    let shrunk = match steps {
        0 => String::new(),
        1 => ", shrunk in 1 step".to_string(),
        n => format!(", shrunk in {n} steps"),
    };
    format!(
        "{failure}\nminimal input (found at {}{shrunk}): {shown}\nreproduce: {reproduce}",
        ordinal(case + 1)
    )
}

/// "the 3rd input".
fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("the {n}{suffix} input")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrowing_is_read_from_the_export_attributes() {
        let export = Export {
            kind: ExportKind::Function,
            wit_name: "mean".into(),
            rust_path: "p::mean".into(),
            docs: String::new(),
            attrs: vec![
                ("fuzz-max-len".into(), "64".into()),
                ("fuzz-range-values".into(), "-100..=100".into()),
                ("fuzz-wasm-only".into(), String::new()),
                ("interface".into(), "handler".into()),
            ],
            params: Vec::new(),
            result: None,
        };
        let n = Narrowing::of(Some(&export)).unwrap();
        assert_eq!(n.max_len, Some(64));
        assert!(n.wasm_only);
        assert!(n.skip.is_none());
        assert_eq!(n.ranges["values"].ints, (Some(-100), Some(100)));
        assert!(Narrowing::of(None).unwrap().ranges.is_empty());
    }

    #[test]
    fn host_failures_keep_their_kind_by_place() {
        let trap = |m: &str| CallError::Trap {
            function: "f".into(),
            message: m.into(),
        };
        let a = host_failure(&trap(
            "panicked at src/lib.rs:3:9:\nattempt to divide by zero",
        ));
        let b = host_failure(&trap("panicked at src/lib.rs:3:9:\nother text"));
        let c = host_failure(&trap(
            "panicked at src/lib.rs:4:1:\nattempt to divide by zero",
        ));
        assert_eq!(a.kind, b.kind);
        assert_ne!(a.kind, c.kind);
        assert_eq!(
            host_failure(&CallError::OutOfFuel {
                function: "f".into(),
                limit: 1
            })
            .kind,
            Kind::Limit("fuel")
        );
    }

    #[test]
    fn the_reproduce_line_quotes_and_separates_arguments() {
        let r = Reproduce {
            package: Some("p".into()),
            release: true,
        };
        assert_eq!(
            r.line("mean", &[Val::List(vec![]), Val::S32(-1)]),
            "cargo ferrite-plugin call -p p --release mean -- '[]' -1"
        );
        assert_eq!(ordinal(1), "the 1st input");
        assert_eq!(ordinal(12), "the 12th input");
        assert_eq!(ordinal(23), "the 23rd input");
    }
}
