//! The host as a server embeds it: loading, dynamic and typed calls, the host
//! API, isolation between calls, warm instances, hot reload under load, and
//! the compilation cache.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use ferrite_plugin_host::{
    CacheOutcome, CallError, CallOptions, Host, HostConfig, Keyspace, Level, LoadError,
    LoadOptions, ManualClock, MemoryKeyspace, wasm_wave,
};

fn testbed(host: &Host, opts: LoadOptions) {
    host.load(&common::component("testbed"), opts).unwrap();
}

fn wave(host: &Host, function: &str, args: &[&str]) -> Result<String, CallError> {
    host.call_wave("testbed", function, args)
        .result
        .map(|v| v.map_or(String::new(), |v| wasm_wave::to_string(&v).unwrap()))
}

#[test]
fn it_loads_with_the_embedded_manifest_and_caps_its_limits() {
    let host = Host::new(HostConfig {
        max_memory: 16 << 20,
        ..common::config()
    })
    .unwrap();
    testbed(&host, LoadOptions::default());
    let p = host.plugin("testbed").unwrap();
    assert_eq!(p.manifest().plugin.version, semver::Version::new(1, 0, 0));
    assert!(p.manifest().permissions.keys.is_all());
    // plugin.toml asks for 32 MiB; the host allows 16.
    assert_eq!(p.limits().memory, 16 << 20);
    assert_eq!(p.limits().fuel, Some(100_000_000));
    assert_eq!(p.limits().timeout, Some(Duration::from_secs(2)));
    let names: Vec<&str> = p.functions().iter().map(|f| f.name.as_str()).collect();
    assert!(
        names.contains(&"set_for") && names.contains(&"add"),
        "{names:?}"
    );
    assert_eq!(
        p.function("set-for").unwrap().param_list(),
        ["key: string", "value: string", "ttl-ms: u64"]
    );
    assert_eq!(p.sha256().len(), 64);

    let again = host
        .load(&common::component("testbed"), LoadOptions::default())
        .unwrap_err();
    assert!(
        matches!(again, LoadError::AlreadyLoaded(ref n) if n == "testbed"),
        "{again:?}"
    );
    assert!(host.unload("testbed"));
    assert!(!host.unload("testbed"));
    assert!(matches!(
        host.call_wave("testbed", "add", &["1", "2"]).result,
        Err(CallError::NoSuchPlugin(_))
    ));
}

#[test]
fn it_refuses_a_component_without_a_manifest_or_for_a_newer_server() {
    let host = common::host();
    let bare = wat::parse_str("(component)").unwrap();
    assert!(matches!(
        host.load(&bare, LoadOptions::default()),
        Err(LoadError::NoManifest)
    ));
    let mut manifest = common::testbed_manifest();
    manifest.plugin.min_ferrite_version = Some(semver::Version::new(9, 0, 0));
    let err = host
        .load(
            &common::component("testbed"),
            LoadOptions {
                manifest: Some(manifest),
                ..LoadOptions::default()
            },
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("needs Ferrite 9.0.0 or newer"),
        "{err}"
    );
    let garbage = host
        .load(b"not wasm at all", LoadOptions::default())
        .unwrap_err();
    assert!(!garbage.to_string().is_empty());
}

#[test]
fn wrong_arguments_name_the_parameter_its_type_and_the_value() {
    let host = common::host();
    testbed(&host, LoadOptions::default());
    let err = wave(&host, "add", &["1"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`add` takes 2 arguments (a: u32, b: u32), but 1 were given"
    );
    let err = wave(&host, "add", &["1", "-3"]).unwrap_err();
    let CallError::BadArgument {
        param, ty, given, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (param.as_str(), ty.as_str(), given.as_str()),
        ("b", "u32", "-3")
    );
    let err = host
        .call_bytes("testbed", "shout", &[b"\xff\xfe"], &CallOptions::default())
        .result
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("argument `s` of `shout` must be `string`"),
        "{err}"
    );
    assert!(err.to_string().contains("not UTF-8"), "{err}");
    let err = wave(&host, "nope", &[]).unwrap_err();
    assert!(
        err.to_string()
            .contains("has no function `nope`; it exports: add, announce, boom"),
        "{err}"
    );
}

#[test]
fn byte_string_arguments_parse_by_parameter_type() {
    let host = common::host();
    testbed(&host, LoadOptions::default());
    let opts = CallOptions::default();
    let r = host
        .call_bytes("testbed", "add", &[b"40", b"2"], &opts)
        .result
        .unwrap()
        .unwrap();
    assert_eq!(wasm_wave::to_string(&r).unwrap(), "42");
    // A string parameter takes the bytes verbatim: no quoting, no escapes.
    let r = host
        .call_bytes("testbed", "shout", &[b"say \"hi\"\n"], &opts)
        .result
        .unwrap()
        .unwrap();
    assert_eq!(r, wasmtime::component::Val::String("SAY \"HI\"\n".into()));
    let r = host
        .call_bytes("testbed", "set_for", &[b"k", b"v", b"60000"], &opts)
        .result
        .unwrap()
        .unwrap();
    assert_eq!(wasm_wave::to_string(&r).unwrap(), "ok");
    let r = host
        .call_bytes("testbed", "get", &[b"k"], &opts)
        .result
        .unwrap()
        .unwrap();
    assert_eq!(wasm_wave::to_string(&r).unwrap(), "ok(some(\"v\"))");
}

#[test]
fn the_host_api_reaches_keyspace_config_clock_and_logs() {
    let keyspace = Arc::new(MemoryKeyspace::new());
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let host = Host::with_keyspace(common::config(), keyspace.clone(), clock.clone()).unwrap();
    let config = HashMap::from([("greeting".to_string(), "hej".to_string())]);
    testbed(
        &host,
        LoadOptions {
            config,
            ..LoadOptions::default()
        },
    );

    assert_eq!(wave(&host, "incr", &["\"hits\""]).unwrap(), "ok(1)");
    assert_eq!(wave(&host, "incr", &["\"hits\""]).unwrap(), "ok(2)");
    assert_eq!(keyspace.get(b"hits").unwrap(), Some(b"2".to_vec()));
    keyspace.set(b"text", b"abc".to_vec(), None).unwrap();
    let err = wave(&host, "incr", &["\"text\""]).unwrap();
    assert!(err.starts_with("err(invalid-argument("), "{err}");
    for k in ["user:1", "user:2", "order:9"] {
        keyspace.set(k.as_bytes(), vec![], None).unwrap();
    }
    assert_eq!(
        wave(&host, "scan", &["\"user:\"", "10"]).unwrap(),
        "ok([\"user:1\", \"user:2\"])"
    );
    assert_eq!(
        wave(&host, "set_for", &["\"brief\"", "\"x\"", "1"]).unwrap(),
        "ok"
    );
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(wave(&host, "get", &["\"brief\""]).unwrap(), "ok(none)");

    assert_eq!(
        wave(&host, "setting", &["\"greeting\""]).unwrap(),
        "some(\"hej\")"
    );
    assert_eq!(wave(&host, "setting", &["\"missing\""]).unwrap(), "none");
    assert_eq!(wave(&host, "now", &[]).unwrap(), "1700000000000");
    clock.advance(Duration::from_secs(1));
    assert_eq!(wave(&host, "now", &[]).unwrap(), "1700000001000");

    let report = host.call_wave("testbed", "chatty", &["2"]);
    assert_eq!(
        report
            .result
            .unwrap()
            .map(|v| wasm_wave::to_string(&v).unwrap()),
        Some("2".into())
    );
    let logs: Vec<(Level, &str)> = report
        .logs
        .iter()
        .map(|l| (l.level, l.message.as_str()))
        .collect();
    assert_eq!(
        logs,
        [
            (Level::Debug, "debug 0"),
            (Level::Info, "info 0"),
            (Level::Warn, "warn 0"),
            (Level::Debug, "debug 1"),
            (Level::Info, "info 1"),
            (Level::Warn, "warn 1"),
        ]
    );
    assert!(report.fuel_used.unwrap() > 0);
    // Logs are capped per call; the rest are counted.
    let report = host.call_wave("testbed", "chatty", &["400"]);
    assert_eq!(report.logs.len(), 1000);
    assert_eq!(report.dropped_logs, 200);
}

#[test]
fn a_per_call_keyspace_isolates_calls() {
    let host = common::host();
    testbed(&host, LoadOptions::default());
    let mine: Arc<dyn Keyspace> = Arc::new(MemoryKeyspace::new());
    let opts = CallOptions {
        keyspace: Some(mine.clone()),
        ..CallOptions::default()
    };
    let r = host
        .call_wave_with("testbed", "incr", &["\"n\""], &opts)
        .result
        .unwrap()
        .unwrap();
    assert_eq!(wasm_wave::to_string(&r).unwrap(), "ok(1)");
    assert_eq!(mine.get(b"n").unwrap(), Some(b"1".to_vec()));
    assert_eq!(host.keyspace().get(b"n").unwrap(), None);
}

#[test]
fn fresh_instances_share_no_state_and_warm_ones_do_until_a_fault() {
    let host = common::host();
    testbed(&host, LoadOptions::default());
    for _ in 0..3 {
        assert_eq!(wave(&host, "counter", &[]).unwrap(), "1");
    }

    let warm = common::host();
    testbed(
        &warm,
        LoadOptions {
            warm: Some(1),
            ..LoadOptions::default()
        },
    );
    assert!(warm.plugin("testbed").unwrap().is_warm());
    assert_eq!(wave(&warm, "counter", &[]).unwrap(), "1");
    assert_eq!(wave(&warm, "counter", &[]).unwrap(), "2");
    assert_eq!(wave(&warm, "counter", &[]).unwrap(), "3");
    // A trap discards the instance; the next call starts afresh.
    assert!(matches!(
        wave(&warm, "boom", &["\"x\""]),
        Err(CallError::Trap { .. })
    ));
    assert_eq!(wave(&warm, "counter", &[]).unwrap(), "1");
    // So does running out of fuel.
    assert!(matches!(
        wave(&warm, "spin", &["1"]),
        Err(CallError::OutOfFuel { .. })
    ));
    assert_eq!(wave(&warm, "counter", &[]).unwrap(), "1");
    // A bad argument never reaches the instance, so it survives.
    assert!(matches!(
        wave(&warm, "add", &["x", "1"]),
        Err(CallError::BadArgument { .. })
    ));
    assert_eq!(wave(&warm, "counter", &[]).unwrap(), "2");
}

#[test]
fn typed_calls_check_the_signature_once() {
    let host = common::host();
    testbed(&host, LoadOptions::default());
    let add = host.typed::<(u32, u32), (u32,)>("testbed", "add").unwrap();
    assert_eq!(add.call((40, 2)).unwrap(), (42,));
    let shout = host
        .typed::<(&str,), (String,)>("testbed", "shout")
        .unwrap();
    assert_eq!(shout.call(("hi",)).unwrap(), ("HI".to_string(),));
    let err = host
        .typed::<(String,), (u32,)>("testbed", "add")
        .err()
        .expect("a type mismatch");
    assert!(
        err.to_string().contains("does not have that signature"),
        "{err}"
    );
    let boom = host.typed::<(&str,), (u32,)>("testbed", "boom").unwrap();
    assert!(matches!(boom.call(("typed",)), Err(CallError::Trap { .. })));
}

#[test]
fn reload_swaps_atomically_while_other_threads_call() {
    let host = common::host();
    let version = |v: u32| LoadOptions {
        config: HashMap::from([("version".to_string(), v.to_string())]),
        ..LoadOptions::default()
    };
    testbed(&host, version(0));
    let component = common::component("testbed");
    let stop = AtomicBool::new(false);
    let calls = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let mut last = 0;
                while !stop.load(Ordering::Relaxed) {
                    let got = wave(&host, "setting", &["\"version\""])
                        .expect("no call fails during a reload");
                    let v: u32 = got
                        .trim_start_matches("some(\"")
                        .trim_end_matches("\")")
                        .parse()
                        .unwrap();
                    assert!(v >= last, "went back from version {last} to {v}");
                    last = v;
                    calls.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        for v in 1..=10 {
            std::thread::sleep(Duration::from_millis(20));
            host.reload("testbed", &component, version(v)).unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
        stop.store(true, Ordering::Relaxed);
    });
    assert!(
        calls.load(Ordering::Relaxed) > 20,
        "too few calls ran during the reloads"
    );
    assert_eq!(
        wave(&host, "setting", &["\"version\""]).unwrap(),
        "some(\"10\")"
    );
    let err = host
        .reload("nope", &component, LoadOptions::default())
        .unwrap_err();
    assert!(matches!(err, LoadError::NotLoaded(_)), "{err:?}");
}

#[test]
fn the_cache_is_used_and_a_bad_entry_is_recompiled_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let config = || HostConfig {
        cache_dir: Some(dir.path().to_path_buf()),
        ..common::config()
    };
    let component = common::component("validate_email");
    let load = |config: HostConfig| {
        let host = Host::new(config).unwrap();
        let p = host.load(&component, LoadOptions::default()).unwrap();
        let ok = host
            .call_wave("validate_email", "validate_email", &["\"a@b.co\""])
            .result
            .unwrap()
            .unwrap();
        assert_eq!(wasm_wave::to_string(&ok).unwrap(), "true");
        p.cache_outcome().unwrap()
    };
    assert_eq!(load(config()), CacheOutcome::Miss);
    assert_eq!(load(config()), CacheOutcome::Hit);

    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];

    // A flipped byte in the compiled code: recompiled, never loaded.
    let mut bytes = std::fs::read(entry).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(entry, &bytes).unwrap();
    assert_eq!(load(config()), CacheOutcome::Replaced);
    assert_eq!(load(config()), CacheOutcome::Hit);

    // A truncated entry, and garbage.
    let good = std::fs::read(entry).unwrap();
    std::fs::write(entry, &good[..good.len() / 3]).unwrap();
    assert_eq!(load(config()), CacheOutcome::Replaced);
    std::fs::write(entry, b"garbage").unwrap();
    assert_eq!(load(config()), CacheOutcome::Replaced);

    // An intact entry compiled by an engine with other settings, planted under
    // this engine's key: wasmtime refuses it, and it is recompiled.
    let other = tempfile::tempdir().unwrap();
    let no_fuel = HostConfig {
        cache_dir: Some(other.path().to_path_buf()),
        max_fuel: None,
        ..common::config()
    };
    assert_eq!(load(no_fuel), CacheOutcome::Miss);
    let foreign = std::fs::read_dir(other.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::copy(foreign, entry).unwrap();
    assert_eq!(load(config()), CacheOutcome::Replaced);
    assert_eq!(load(config()), CacheOutcome::Hit);
}

#[test]
fn the_typed_fast_path_and_the_val_path_agree() {
    use wasmtime::component::Val;
    let host = common::host();
    testbed(&host, LoadOptions::default());
    let opts = CallOptions::default();
    // Functions whose signatures take the typed fast path, with WAVE arguments
    // and the same arguments as component values.
    let cases: &[(&str, &[&str], Vec<Val>)] = &[
        ("shout", &["\"héllo\""], vec![Val::String("héllo".into())]),
        (
            "shout",
            &["\"tab\\there\""],
            vec![Val::String("tab\there".into())],
        ),
        ("counter", &[], vec![]),
        ("crunch", &["2"], vec![Val::U32(2)]),
        ("recurse", &["30"], vec![Val::U64(30)]),
        ("huge", &["0"], vec![Val::U32(0)]),
        ("now", &[], vec![]),
    ];
    for (f, wave_args, vals) in cases {
        let fast = host.call_wave("testbed", f, wave_args).result.unwrap();
        let slow = host.call_vals("testbed", f, vals, &opts).result.unwrap();
        if *f == "now" {
            continue;
        }
        assert_eq!(fast, slow, "{f}({})", wave_args.join(", "));
    }
    // Errors read the same on both paths.
    let fast = host
        .call_wave("testbed", "crunch", &["x"])
        .result
        .unwrap_err();
    assert!(
        matches!(fast, CallError::BadArgument { ref param, ref ty, .. } if param == "rounds" && ty == "u32"),
        "{fast:?}"
    );
    let bytes = host
        .call_bytes("testbed", "shout", &[b"\xc3"], &opts)
        .result
        .unwrap_err();
    assert!(bytes.to_string().contains("not UTF-8"), "{bytes}");
    let fuel = host
        .call_wave("testbed", "spin", &["1"])
        .result
        .unwrap_err();
    assert!(matches!(fuel, CallError::OutOfFuel { .. }), "{fuel:?}");
}

#[test]
fn a_remembered_lookup_never_outlives_an_unload_a_reload_or_its_host() {
    let host = common::host();
    testbed(&host, LoadOptions::default());
    assert_eq!(wave(&host, "add", &["1", "2"]).unwrap(), "3");
    assert!(host.unload("testbed"));
    assert!(matches!(
        host.call_wave("testbed", "add", &["1", "2"]).result,
        Err(CallError::NoSuchPlugin(_))
    ));
    let config = |v: &str| LoadOptions {
        config: HashMap::from([("v".to_string(), v.to_string())]),
        ..LoadOptions::default()
    };
    testbed(&host, config("a"));
    assert_eq!(wave(&host, "setting", &["\"v\""]).unwrap(), "some(\"a\")");
    host.reload("testbed", &common::component("testbed"), config("b"))
        .unwrap();
    assert_eq!(wave(&host, "setting", &["\"v\""]).unwrap(), "some(\"b\")");
    // Another host on this thread, with a plugin of the same name, is its own.
    let other = common::host();
    testbed(&other, config("c"));
    assert_eq!(wave(&other, "setting", &["\"v\""]).unwrap(), "some(\"c\")");
    assert_eq!(wave(&host, "setting", &["\"v\""]).unwrap(), "some(\"b\")");
    drop(host);
    assert_eq!(wave(&other, "setting", &["\"v\""]).unwrap(), "some(\"c\")");
}

#[test]
fn it_loads_a_component_file_and_names_an_unreadable_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("testbed.wasm");
    std::fs::write(&path, common::component("testbed")).unwrap();
    let host = common::host();
    host.load_file(&path, LoadOptions::default()).unwrap();
    assert_eq!(wave(&host, "add", &["1", "2"]).unwrap(), "3");
    let err = host
        .load_file(&dir.path().join("nope.wasm"), LoadOptions::default())
        .unwrap_err();
    assert!(err.to_string().starts_with("cannot read `"), "{err}");
    assert!(err.to_string().contains("nope.wasm"), "{err}");
}

#[test]
fn concurrent_rate_limited_calls_lose_no_counts() {
    // rate_limiter counts with `incr_by` and sets the window's expiry with
    // `expire` when the increment created the key: no read-modify-write.
    let host = common::host();
    host.load(
        &common::component("rate_limiter"),
        LoadOptions {
            warm: Some(4),
            ..LoadOptions::default()
        },
    )
    .unwrap();
    let (threads, calls) = (4, 100);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..calls {
                    let r = host.call_wave(
                        "rate_limiter",
                        "allow",
                        &["\"k\"", "1000000", "3600000", "fixed-window"],
                    );
                    let v = wasm_wave::to_string(&r.result.unwrap().unwrap()).unwrap();
                    assert!(v.starts_with("ok({allowed: true"), "{v}");
                }
            });
        }
    });
    // Sum every window's counter (the test may straddle a window boundary).
    let keys = host.keyspace().scan(b"ratelimit:k:", 10).unwrap();
    let total: u64 = keys
        .iter()
        .map(|k| {
            String::from_utf8(host.keyspace().get(k).unwrap().unwrap())
                .unwrap()
                .parse::<u64>()
                .unwrap()
        })
        .sum();
    assert_eq!(total, threads * calls);
}
