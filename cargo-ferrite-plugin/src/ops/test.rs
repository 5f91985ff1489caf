//! `cargo ferrite-plugin test`: build with the `#[ferrite_plugin::test]`
//! entry points, then run each one in the embedded host under the plugin's
//! production limits and permissions, with a fresh in-memory keyspace.
//!
//! The tests run in a dev server's host (the one `run` starts), so that
//! `server::call` reaches the server's commands; each test gets database 0
//! emptied, its random numbers seeded from its name (and `--seed`), and the
//! host API of `--ferrite-version` when one is given.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use ferrite_plugin_build::meta::ExportKind;
use ferrite_plugin_build::{BuildOptions, Built, build};
use ferrite_plugin_host::{CallError, CallOptions, HostConfig, Keyspace, LogRecord, SeededRandom};
use ferrite_plugin_server::{Origin, Server, ServerConfig};

use crate::shell::Shell;

/// What to test.
#[derive(Debug, Clone, Default)]
pub struct TestOptions {
    /// How to build.
    pub build: BuildOptions,
    /// Run only tests whose name contains this.
    pub filter: Option<String>,
    /// Show the logs of passing tests too.
    pub nocapture: bool,
    /// Mixed into each test's random seed (0 by default): another value
    /// gives every test other random numbers, still the same on every run.
    pub seed: u64,
}

/// The counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Tests that passed.
    pub passed: usize,
    /// Tests that failed.
    pub failed: usize,
    /// Tests the filter left out.
    pub filtered_out: usize,
}

/// One test's outcome.
struct Outcome {
    name: String,
    passed: bool,
    fuel: Option<u64>,
    logs: Vec<LogRecord>,
    /// Why it failed.
    failure: Option<String>,
}

/// The host `test` and `test --fuzz` run plugins in: fuel metered, their
/// compiled components cached beside them, random numbers seeded by `seed`,
/// the host API of `build`'s Ferrite version.
pub(crate) fn host_config(plugins: &[Built], build: &BuildOptions, seed: u64) -> HostConfig {
    let defaults = HostConfig::metering_fuel();
    HostConfig {
        cache_dir: plugins.first().map(|p| p.cache_dir.clone()),
        random_seed: Some(seed),
        ferrite_version: build
            .ferrite_version
            .clone()
            .unwrap_or(defaults.ferrite_version.clone()),
        ..defaults
    }
}

/// Builds and runs the tests, printing cargo's test output on stdout.
pub fn test(shell: &mut Shell, opts: &TestOptions) -> Result<Summary> {
    let build_opts = BuildOptions {
        tests: true,
        ..opts.build.clone()
    };
    let plugins = build(shell, &build_opts)?;
    let server = Server::new(
        HostConfig {
            pool_size: 0,
            // What runs outside a test's own call (the hooks its events
            // reach) draws seeded numbers too.
            ..host_config(&plugins, &opts.build, opts.seed)
        },
        ServerConfig::default(),
    )
    .context("failed to start the plugin host")?;
    let mut total = Summary::default();
    for plugin in &plugins {
        let s = run_plugin(shell, &server, plugin, opts)?;
        total.passed += s.passed;
        total.failed += s.failed;
        total.filtered_out += s.filtered_out;
    }
    Ok(total)
}

/// The test's name as libtest prints it: its path without the crate.
fn display_name(rust_path: &str) -> &str {
    rust_path
        .split_once("::")
        .map_or(rust_path, |(_, rest)| rest)
}

/// The name in a component's embedded plugin.toml.
fn plugin_name(component: &[u8]) -> String {
    ferrite_plugin_host::embedded_manifest(component)
        .ok()
        .flatten()
        .map(|m| m.plugin.name)
        .unwrap_or_default()
}

/// Unloads a plugin from the test server when its tests are done.
struct Unload<'a>(&'a Server, String);

impl Drop for Unload<'_> {
    fn drop(&mut self) {
        self.0.unload(&self.1);
    }
}

/// A test's random seed: its name's FNV-1a hash, mixed with `--seed`.
fn test_seed(name: &str, seed: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h ^ seed
}

fn run_plugin(
    shell: &mut Shell,
    server: &Server,
    built: &Built,
    opts: &TestOptions,
) -> Result<Summary> {
    let host = server.host();
    let manifest = &built.manifest;
    if manifest.plugin.name != plugin_name(&built.component.bytes) {
        bail!(
            "the test build of `{}` embeds another plugin.toml; rebuild it",
            manifest.plugin.name
        );
    }
    // Loaded into the server, so that its `on_event` hooks receive the
    // events its tests emit; unloaded when its tests are done.
    let plugin = server
        .load(
            &built.component.bytes,
            Origin::Loaded,
            true,
            ferrite_plugin_server::Grant::Declared,
        )
        .with_context(|| format!("the test build of `{}` does not load", manifest.plugin.name))?;
    let _unload = Unload(server, manifest.plugin.name.clone());
    let limits = plugin.limits();
    let mut tests: Vec<_> = built
        .component
        .exports
        .iter()
        .filter(|e| e.kind == ExportKind::Test)
        .collect();
    tests.sort_by(|a, b| a.rust_path.cmp(&b.rust_path));
    let total = tests.len();
    if let Some(f) = &opts.filter {
        tests.retain(|t| display_name(&t.rust_path).contains(f.as_str()));
    }
    shell.status(
        "Running",
        format!(
            "tests of {} v{} in the plugin host (fuel {}, memory {} MiB, timeout {})",
            manifest.plugin.name,
            manifest.plugin.version,
            limits
                .fuel
                .map_or("unmetered".to_string(), |f| f.to_string()),
            limits.memory >> 20,
            limits
                .timeout
                .map_or("none".to_string(), |t| format!("{t:?}")),
        ),
    );

    let started = Instant::now();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "\nrunning {} test{}",
        tests.len(),
        if tests.len() == 1 { "" } else { "s" }
    )?;
    let mut outcomes = Vec::new();
    for t in &tests {
        let name = display_name(&t.rust_path).to_string();
        let db = server.db(0).expect("database 0");
        db.clear();
        let keyspace: Arc<dyn Keyspace> = db.clone();
        let outcome = match t
            .attr("kv")
            .map(|seed| seed_keyspace(&*keyspace, &built.dir.join(seed)))
        {
            Some(Err(e)) => Outcome {
                name,
                passed: false,
                fuel: None,
                logs: Vec::new(),
                failure: Some(format!("{e:#}")),
            },
            _ => {
                let call = CallOptions {
                    random: Some(Arc::new(SeededRandom::new(test_seed(&name, opts.seed)))),
                    ..server.call_options(0, false).expect("database 0")
                };
                let report = host.call_plugin(&plugin, &t.wit_name, &[], &call);
                judge(name, t.attr("should_panic"), report)
            }
        };
        let fuel = outcome
            .fuel
            .map_or(String::new(), |f| format!(" (fuel {f})"));
        let status = if outcome.passed { "ok" } else { "FAILED" };
        writeln!(out, "test {} ... {status}{fuel}", outcome.name)?;
        outcomes.push(outcome);
    }

    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| !o.passed).collect();
    if opts.nocapture {
        for o in outcomes.iter().filter(|o| o.passed && !o.logs.is_empty()) {
            writeln!(out, "\n---- {} logs ----", o.name)?;
            for l in &o.logs {
                writeln!(out, "[{}] {}", l.level, l.message)?;
            }
        }
    }
    if !failed.is_empty() {
        writeln!(out, "\nfailures:")?;
        for o in &failed {
            writeln!(out, "\n---- {} ----", o.name)?;
            for l in &o.logs {
                writeln!(out, "[{}] {}", l.level, l.message)?;
            }
            if let Some(f) = &o.failure {
                writeln!(out, "{f}")?;
            }
        }
        writeln!(out, "\nfailures:")?;
        for o in &failed {
            writeln!(out, "    {}", o.name)?;
        }
    }
    let summary = Summary {
        passed: outcomes.len() - failed.len(),
        failed: failed.len(),
        filtered_out: total - tests.len(),
    };
    writeln!(
        out,
        "\ntest result: {}. {} passed; {} failed; 0 ignored; 0 measured; {} filtered out; finished in {:.2}s\n",
        if summary.failed == 0 { "ok" } else { "FAILED" },
        summary.passed,
        summary.failed,
        summary.filtered_out,
        started.elapsed().as_secs_f64()
    )?;
    Ok(summary)
}

/// Whether a test passed, given its report and whether it should panic.
fn judge(
    name: String,
    should_panic: Option<&str>,
    report: ferrite_plugin_host::CallReport,
) -> Outcome {
    let (passed, failure) = match (report.result, should_panic) {
        (Ok(_), None) => (true, None),
        (Ok(_), Some(_)) => (
            false,
            Some("note: test did not panic as expected".to_string()),
        ),
        (Err(CallError::Trap { message, .. }), Some(expected)) if message.contains(expected) => {
            (true, None)
        }
        (Err(CallError::Trap { message, .. }), Some(expected)) => (
            false,
            Some(format!(
                "{message}\nnote: panic did not contain expected string\n      expected substring: {expected:?}"
            )),
        ),
        (Err(CallError::Trap { message, .. }), None) => (false, Some(message)),
        (Err(e), _) => {
            let short = name.rsplit("::").next().unwrap_or(&name).to_string();
            (false, Some(e.for_function(&short).to_string()))
        }
    };
    Outcome {
        name,
        passed,
        fuel: report.fuel_used,
        logs: report.logs,
        failure,
    }
}

/// Loads a JSON seed file: `{"key": "value"}` or `{"key": {"value": "v", "ttl_ms": 1000}}`.
pub(crate) fn seed_keyspace(keyspace: &dyn Keyspace, path: &Path) -> Result<()> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the keyspace seed `{}`", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("the keyspace seed `{}` is not valid JSON", path.display()))?;
    let Some(entries) = json.as_object() else {
        bail!(
            "the keyspace seed `{}` must be a JSON object of keys to values",
            path.display()
        );
    };
    for (key, entry) in entries {
        let (value, ttl) = match entry {
            serde_json::Value::String(v) => (v.clone(), None),
            serde_json::Value::Object(o) => {
                let value = o.get("value").and_then(|v| v.as_str()).with_context(|| {
                    format!(
                        "in `{}`, key `{key}` needs a string \"value\"",
                        path.display()
                    )
                })?;
                let ttl = o.get("ttl_ms").map(|t| {
                    t.as_u64().filter(|&t| t > 0).with_context(|| {
                        format!(
                            "in `{}`, the \"ttl_ms\" of `{key}` must be a positive integer",
                            path.display()
                        )
                    })
                });
                (
                    value.to_string(),
                    ttl.transpose()?.map(Duration::from_millis),
                )
            }
            other => {
                bail!(
                    "in `{}`, the value of `{key}` must be a string or an object, not {other}",
                    path.display()
                )
            }
        };
        keyspace
            .set(key.as_bytes(), value.into_bytes(), ttl)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(())
}
