//! The hostile-plugin corpus: an endless loop, a memory bomb, unbounded
//! recursion, a panic, a trap, a 100 MB result, a forbidden import and `kv`
//! without permission. Each gets its typed error, and the same host then
//! serves well-behaved calls correctly — from other threads at the same time,
//! too.

mod common;

use std::time::{Duration, Instant};

use ferrite_plugin_host::check::CheckError;
use ferrite_plugin_host::{
    CallError, CallOptions, Host, HostConfig, LoadError, LoadOptions, wasm_wave,
};

fn loaded() -> Host {
    let host = common::host();
    host.load(&common::component("testbed"), LoadOptions::default())
        .unwrap();
    host.load(&common::component("validate_email"), LoadOptions::default())
        .unwrap();
    host
}

fn wave(host: &Host, plugin: &str, function: &str, args: &[&str]) -> Result<String, CallError> {
    host.call_wave(plugin, function, args)
        .result
        .map(|v| v.map_or(String::new(), |v| wasm_wave::to_string(&v).unwrap()))
}

/// The host still answers well-behaved calls correctly.
fn still_serves(host: &Host) {
    assert_eq!(wave(host, "testbed", "add", &["2", "40"]).unwrap(), "42");
    assert_eq!(
        wave(host, "validate_email", "validate_email", &["\"a@b.co\""]).unwrap(),
        "true"
    );
    assert_eq!(
        wave(host, "validate_email", "validate_email", &["\"nope\""]).unwrap(),
        "false"
    );
}

#[test]
fn an_endless_loop_runs_out_of_fuel() {
    let host = loaded();
    let err = wave(&host, "testbed", "spin", &["1"]).unwrap_err();
    assert_eq!(
        err,
        CallError::OutOfFuel {
            function: "spin".into(),
            limit: 100_000_000
        }
    );
    still_serves(&host);
}

#[test]
fn an_endless_loop_times_out_when_fuel_is_off() {
    let host = Host::new(HostConfig {
        max_fuel: None,
        ..common::config()
    })
    .unwrap();
    let mut manifest = common::testbed_manifest();
    manifest.limits.timeout_ms = Some(50);
    host.load(
        &common::component("testbed"),
        LoadOptions {
            manifest: Some(manifest),
            ..LoadOptions::default()
        },
    )
    .unwrap();
    let started = Instant::now();
    let err = host
        .call_wave("testbed", "spin", &["1"])
        .result
        .unwrap_err();
    assert_eq!(
        err,
        CallError::Timeout {
            function: "spin".into(),
            limit: Duration::from_millis(50)
        }
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the deadline was not enforced"
    );
    assert_eq!(wave(&host, "testbed", "add", &["1", "1"]).unwrap(), "2");
}

#[test]
fn the_default_metering_stops_every_hostile_function_with_a_typed_error() {
    // `HostConfig::default()` meters no fuel: the deadline bounds CPU.
    let host = Host::new(HostConfig {
        cache_dir: common::config().cache_dir,
        ..HostConfig::default()
    })
    .unwrap();
    assert_eq!(host.config().max_fuel, None);
    let mut manifest = common::testbed_manifest();
    manifest.limits.timeout_ms = Some(50);
    host.load(
        &common::component("testbed"),
        LoadOptions {
            manifest: Some(manifest),
            ..LoadOptions::default()
        },
    )
    .unwrap();
    let spin = wave(&host, "testbed", "spin", &["1"]).unwrap_err();
    assert!(matches!(spin, CallError::Timeout { .. }), "{spin:?}");
    let hog = wave(&host, "testbed", "hog", &["1"]).unwrap_err();
    assert!(matches!(hog, CallError::MemoryLimit { .. }), "{hog:?}");
    let deep = wave(&host, "testbed", "recurse", &["18446744073709551615"]).unwrap_err();
    assert!(matches!(deep, CallError::StackOverflow { .. }), "{deep:?}");
    let trap = wave(&host, "testbed", "trap", &[]).unwrap_err();
    assert!(matches!(trap, CallError::Trap { .. }), "{trap:?}");
    assert_eq!(wave(&host, "testbed", "add", &["1", "1"]).unwrap(), "2");
    assert_eq!(
        host.call_wave("testbed", "add", &["1", "1"]).fuel_used,
        None,
        "no fuel is counted when none is metered"
    );
}

#[test]
fn a_memory_bomb_hits_the_memory_limit() {
    let host = loaded();
    let err = wave(&host, "testbed", "hog", &["1"]).unwrap_err();
    assert_eq!(
        err,
        CallError::MemoryLimit {
            function: "hog".into(),
            limit: 32 << 20
        }
    );
    still_serves(&host);
}

#[test]
fn unbounded_recursion_overflows_the_stack() {
    let host = loaded();
    assert_eq!(wave(&host, "testbed", "recurse", &["100"]).unwrap(), "100");
    let err = wave(&host, "testbed", "recurse", &["18446744073709551615"]).unwrap_err();
    assert_eq!(
        err,
        CallError::StackOverflow {
            function: "recurse".into()
        }
    );
    still_serves(&host);
}

#[test]
fn a_shadow_stack_overflow_is_a_stack_overflow() {
    let host = loaded();
    assert_eq!(wave(&host, "testbed", "deep", &["4"]).unwrap(), "1");
    let err = wave(&host, "testbed", "deep", &["100000"]).unwrap_err();
    eprintln!("{err:?}");
    assert_eq!(
        err,
        CallError::StackOverflow {
            function: "deep".into()
        }
    );
    still_serves(&host);
}

#[test]
fn a_panic_reports_its_message_and_location() {
    let host = loaded();
    let err = wave(&host, "testbed", "boom", &["\"the sky is falling\""]).unwrap_err();
    let CallError::Trap { function, message } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(function, "boom");
    assert!(
        message.starts_with("panicked at host/tests/testbed/src/lib.rs:"),
        "{message}"
    );
    assert!(message.ends_with("the sky is falling"), "{message}");
    still_serves(&host);
}

#[test]
fn a_trap_names_the_guest_function() {
    let host = loaded();
    let err = wave(&host, "testbed", "trap", &[]).unwrap_err();
    let CallError::Trap { function, message } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(function, "trap");
    assert!(message.contains("unreachable"), "{message}");
    assert!(
        message.contains("testbed::trap"),
        "the trap should name the guest function: {message}"
    );
    still_serves(&host);
}

#[test]
fn a_100_mb_result_hits_the_memory_limit() {
    let host = loaded();
    let err = wave(&host, "testbed", "huge", &["100"]).unwrap_err();
    assert_eq!(
        err,
        CallError::MemoryLimit {
            function: "huge".into(),
            limit: 32 << 20
        }
    );
    // A result that fits is delivered whole.
    let report = host.call_wave("testbed", "huge", &["4"]);
    let Some(wasmtime::component::Val::String(s)) = report.result.unwrap() else {
        panic!()
    };
    assert_eq!(s.len(), 4 << 20);
    still_serves(&host);
}

#[test]
fn a_forbidden_import_is_refused_before_it_runs() {
    let component = wat::parse_str(
        r#"(component
            (import "wasi:cli/environment@0.2.0" (instance
                (export "get-arguments" (func (result (list string))))))
            (core module $m (func (export "f") (result i32) i32.const 1))
            (core instance $i (instantiate $m))
            (func (export "f") (result u32) (canon lift (core func $i "f"))))"#,
    )
    .unwrap();
    let mut manifest = common::testbed_manifest();
    manifest.plugin.name = "sneaky".into();
    manifest.exports.functions = vec!["f".into()];
    let host = loaded();
    let err = host
        .load(
            &component,
            LoadOptions {
                manifest: Some(manifest),
                ..LoadOptions::default()
            },
        )
        .unwrap_err();
    let LoadError::Check(CheckError::Forbidden(import)) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(import, "wasi:cli/environment@0.2.0");
    assert!(
        err.to_string().contains("no Ferrite plugin may import"),
        "{err}"
    );
    assert!(host.plugin("sneaky").is_none());
    still_serves(&host);
}

#[test]
fn kv_without_the_keys_permission_is_refused_at_load() {
    let mut manifest = common::testbed_manifest();
    manifest.permissions.keys = ferrite_plugin_host::manifest::KeyScope::none();
    let host = common::host();
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
        matches!(&err, LoadError::Check(CheckError::NotGranted { import, permission: "keys" }) if import == "ferrite:plugin/kv@0.2.0"),
        "{err:?}"
    );
    assert!(err.to_string().contains("set `keys = true`"), "{err}");
}

#[test]
fn a_read_only_call_cannot_write() {
    let host = loaded();
    let ro = CallOptions {
        read_only: true,
        ..CallOptions::default()
    };
    let report = host.call_wave_with("testbed", "incr", &["\"k\""], &ro);
    let value = wasm_wave::to_string(&report.result.unwrap().unwrap()).unwrap();
    assert!(value.starts_with("err(permission-denied("), "{value}");
    assert!(value.contains("read-only"), "{value}");
    assert_eq!(
        wave(&host, "testbed", "get", &["\"k\""]).unwrap(),
        "ok(none)"
    );
}

#[test]
fn hostile_calls_on_some_threads_do_not_disturb_calls_on_others() {
    let host = loaded();
    let hostile: &[(&str, &[&str])] = &[
        ("spin", &["7"]),
        ("hog", &["2"]),
        ("recurse", &["18446744073709551615"]),
        ("boom", &["\"x\""]),
        ("trap", &[]),
        ("huge", &["100"]),
    ];
    std::thread::scope(|s| {
        for t in 0..2 {
            let host = &host;
            s.spawn(move || {
                for round in 0..3 {
                    for (f, args) in hostile {
                        let r = host.call_wave("testbed", f, args).result;
                        assert!(
                            matches!(r, Err(ref e) if e.is_fault()),
                            "thread {t} round {round} {f}: {r:?}"
                        );
                    }
                }
            });
        }
        for _ in 0..2 {
            let host = &host;
            s.spawn(move || {
                for i in 0..200u32 {
                    let got = wave(host, "testbed", "add", &[&i.to_string(), "1"]).unwrap();
                    assert_eq!(got, (i + 1).to_string());
                    still_serves(host);
                }
            });
        }
    });
}

#[test]
fn a_long_call_is_listed_and_can_be_killed_from_another_thread() {
    // No fuel: `spin` would run until its 2 s timeout.
    let host = Host::new(ferrite_plugin_host::HostConfig {
        max_fuel: None,
        ..common::config()
    })
    .unwrap();
    host.load(&common::component("testbed"), LoadOptions::default())
        .unwrap();
    host.load(&common::component("validate_email"), LoadOptions::default())
        .unwrap();
    assert!(host.running_calls().is_empty());
    let started = std::time::Instant::now();
    let spinning = {
        let host = host.clone();
        std::thread::spawn(move || wave(&host, "testbed", "spin", &["1"]))
    };
    let running = loop {
        let calls = host.running_calls();
        if !calls.is_empty() {
            break calls;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "never listed"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    };
    assert_eq!(running.len(), 1);
    assert_eq!(
        (running[0].plugin.as_str(), running[0].function.as_str()),
        ("testbed", "spin")
    );
    // Short calls meanwhile are never listed, and other calls go on.
    still_serves(&host);
    assert_eq!(host.running_calls().len(), 1);
    assert_eq!(host.kill(|c| c.function == "nothing"), 0);
    assert_eq!(host.kill(|c| c.function == "spin"), 1);
    let err = spinning.join().unwrap().unwrap_err();
    assert_eq!(
        err,
        CallError::Killed {
            function: "spin".into()
        }
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains("was killed"), "{err}");
    assert!(host.running_calls().is_empty());
    still_serves(&host);
}
