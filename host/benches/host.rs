//! The host's costs, as ratios (`cargo xtask bench-report` prints them from
//! one run of `cargo bench -p ferrite-plugin-host --bench host`):
//!
//! * `dispatch`: validate_email called by name with WAVE or byte-string
//!   arguments, through a typed handle, and natively — all on a warm instance;
//! * `bare`: the floor, a wasmtime `TypedFunc` on one instance with no host;
//! * `per_call`: a fresh instance per call, pooled or not, and warm mode;
//! * `load`: compiling a component versus loading it from the cache;
//! * `metering`: a CPU-bound plugin with fuel and epoch deadlines on or off;
//! * `entries`: the equal-work benchmark's function (`check_email`), custom
//!   command and minimal `before_command` hook, as the server calls them
//!   (warm instances).

use std::hint::black_box;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ferrite_plugin_build::{BuildOptions, Quiet, build};
use ferrite_plugin_host::{CallOptions, Host, HostConfig, LoadOptions};

/// Release builds of the plugins the benchmarks use.
fn component(package: &str) -> Vec<u8> {
    static BUILT: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let opts = BuildOptions {
            release: true,
            manifest_path: Some(root.join("Cargo.toml")),
            packages: vec![
                "validate_email".into(),
                "testbed".into(),
                "bench_check".into(),
                "bench_hook_before".into(),
            ],
            tests: false,
            ferrite_version: None,
        };
        build(&mut Quiet, &opts)
            .expect("the benchmark plugins build")
            .into_iter()
            .map(|b| (b.package, b.component.bytes))
            .collect()
    });
    built
        .iter()
        .find(|(p, _)| p == package)
        .expect("a built plugin")
        .1
        .clone()
}

fn host(config: HostConfig, warm: bool) -> Host {
    let host = Host::new(config).unwrap();
    let warm = warm.then_some(4);
    host.load(
        &component("validate_email"),
        LoadOptions {
            warm,
            ..LoadOptions::default()
        },
    )
    .unwrap();
    host.load(
        &component("testbed"),
        LoadOptions {
            warm,
            ..LoadOptions::default()
        },
    )
    .unwrap();
    host
}

const EMAIL: &str = "first.last@example.com";

fn dispatch(c: &mut Criterion) {
    let host = host(HostConfig::default(), true);
    let opts = CallOptions::default();
    let mut g = c.benchmark_group("dispatch");
    g.bench_function("native", |b| {
        b.iter(|| validate_email::validate_email(black_box(EMAIL).to_string()))
    });
    let typed = host
        .typed::<(&str,), (bool,)>("validate_email", "validate_email")
        .unwrap();
    g.bench_function("typed", |b| {
        b.iter(|| typed.call((black_box(EMAIL),)).unwrap())
    });
    // The floor of a call through the host: no arguments, a scalar result.
    let counter = host.typed::<(), (u32,)>("testbed", "counter").unwrap();
    g.bench_function("typed_noop", |b| b.iter(|| counter.call(()).unwrap()));
    let wave = format!("\"{EMAIL}\"");
    g.bench_function("wave", |b| {
        b.iter(|| {
            host.call_wave("validate_email", "validate_email", &[black_box(&wave)])
                .result
                .unwrap()
        })
    });
    g.bench_function("bytes", |b| {
        b.iter(|| {
            host.call_bytes(
                "validate_email",
                "validate_email",
                &[black_box(EMAIL.as_bytes())],
                &opts,
            )
            .result
            .unwrap()
        })
    });
    g.finish();
}

fn bare(c: &mut Criterion) {
    use wasmtime::component::{Component, Linker};
    use wasmtime::{Config, Engine, Store};
    // Metered as the host meters by default: the deadline's epoch checks.
    let mut config = Config::new();
    config.epoch_interruption(true);
    let engine = Engine::new(&config).unwrap();
    let component = Component::new(&engine, component("validate_email")).unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker
        .instance("ferrite:plugin/runtime@0.1.0")
        .unwrap()
        .func_wrap("report-panic", |_, _: (String, String, u32, u32)| Ok(()))
        .unwrap();
    let mut store = Store::new(&engine, ());
    store.set_epoch_deadline(u64::MAX / 2);
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let f = instance
        .get_typed_func::<(&str,), (bool,)>(&mut store, "validate-email")
        .unwrap();
    let mut g = c.benchmark_group("bare");
    g.bench_function("typed_func", |b| {
        b.iter(|| f.call(&mut store, (black_box(EMAIL),)).unwrap())
    });
    g.finish();
}

fn per_call(c: &mut Criterion) {
    let opts = CallOptions::default();
    let mut g = c.benchmark_group("per_call");
    for (name, pool, warm) in [
        ("fresh_pooled", 256, false),
        ("fresh_on_demand", 0, false),
        ("warm", 256, true),
    ] {
        let host = host(
            HostConfig {
                pool_size: pool,
                ..HostConfig::default()
            },
            warm,
        );
        g.bench_function(name, |b| {
            b.iter(|| {
                host.call_bytes(
                    "validate_email",
                    "validate_email",
                    &[black_box(EMAIL.as_bytes())],
                    &opts,
                )
                .result
                .unwrap()
            })
        });
    }
    g.finish();
}

fn load(c: &mut Criterion) {
    let bytes = component("validate_email");
    let dir = tempfile::tempdir().unwrap();
    let cached = Host::new(HostConfig {
        cache_dir: Some(dir.path().to_path_buf()),
        ..HostConfig::default()
    })
    .unwrap();
    cached.prepare(&bytes, LoadOptions::default()).unwrap();
    let uncached = Host::new(HostConfig::default()).unwrap();
    let mut g = c.benchmark_group("load");
    g.sample_size(20);
    g.bench_function("compile", |b| {
        b.iter(|| {
            uncached
                .prepare(black_box(&bytes), LoadOptions::default())
                .unwrap()
        })
    });
    g.bench_function("cache_hit", |b| {
        b.iter(|| {
            cached
                .prepare(black_box(&bytes), LoadOptions::default())
                .unwrap()
        })
    });
    g.finish();
}

fn metering(c: &mut Criterion) {
    let mut g = c.benchmark_group("metering");
    g.sample_size(20);
    for (name, fuel, timeout) in [
        ("fuel_and_epoch", true, true),
        ("fuel_only", true, false),
        ("epoch_only", false, true),
        ("neither", false, false),
    ] {
        let config = HostConfig {
            max_fuel: fuel.then_some(u64::MAX / 2),
            max_timeout: timeout.then_some(Duration::from_secs(60)),
            ..HostConfig::default()
        };
        let host = host(config, true);
        let mut manifest = host.plugin("testbed").unwrap().manifest().clone();
        manifest.limits = Default::default();
        host.reload(
            "testbed",
            &component("testbed"),
            LoadOptions {
                manifest: Some(manifest),
                warm: Some(2),
                ..LoadOptions::default()
            },
        )
        .unwrap();
        g.bench_function(name, |b| {
            b.iter(|| host.call_wave("testbed", "crunch", &["20"]).result.unwrap())
        });
    }
    g.finish();
}

fn entries(c: &mut Criterion) {
    use ferrite_plugin_host::HookCall;
    use ferrite_plugin_host::entries::HookEvent;
    let host = Host::new(HostConfig::default()).unwrap();
    let warm = LoadOptions {
        warm: Some(4),
        ..LoadOptions::default()
    };
    let hooks = host
        .load(&component("bench_hook_before"), warm.clone())
        .unwrap();
    let commands = host.load(&component("bench_check"), warm).unwrap();
    let check_email = commands.function_index("check_email").unwrap();
    let opts = CallOptions::default();
    let hook = &hooks.entries().hooks[0];
    let command = &commands.entries().commands[0];
    let args: [&[u8]; 2] = [b"bench:key", b"value"];
    let mut g = c.benchmark_group("entries");
    g.bench_function("hook", |b| {
        b.iter(|| {
            let call = HookCall {
                event: HookEvent::BeforeCommand,
                command: "SET",
                args: black_box(&args),
                key: Some(0),
            };
            host.call_hook(&hooks, hook, &call, &opts).result.unwrap()
        })
    });
    // The equal-work FCALL's call, as the server makes it.
    g.bench_function("function", |b| {
        b.iter(|| {
            host.call_bytes_at(&commands, check_email, black_box(&[b"a@b.com"]), &opts)
                .result
                .unwrap()
        })
    });
    g.bench_function("command", |b| {
        b.iter(|| {
            host.call_command(&commands, command, black_box(&[b"a@b.com"]), &opts)
                .result
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, dispatch, bare, per_call, load, metering, entries);
criterion_main!(benches);
