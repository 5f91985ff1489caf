//! Components built by earlier SDKs keep loading and running: the examples
//! as SDK 0.1.0 built them (`fixtures/sdk-0.1.0`), through every kind of call
//! they export, including commands and hooks of the older entry ABI.

use std::path::Path;

use ferrite_plugin_host::entries::HookEvent;
use ferrite_plugin_host::manifest::KeyScope;
use ferrite_plugin_host::{
    CallOptions, Frame, HookCall, HookOutcome, Host, HostConfig, LoadOptions, wasm_wave,
};

fn load(host: &Host, name: &str) -> std::sync::Arc<ferrite_plugin_host::Plugin> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/sdk-0.1.0")
        .join(format!("{name}.wasm"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    host.load(&bytes, LoadOptions::default())
        .unwrap_or_else(|e| panic!("{name} built by SDK 0.1.0 does not load: {e}"))
}

fn wave(host: &Host, plugin: &str, function: &str, args: &[&str]) -> String {
    let report = host.call_wave(plugin, function, args);
    let value = report
        .result
        .unwrap_or_else(|e| panic!("{plugin}.{function}: {e}"));
    value.map_or(String::new(), |v| wasm_wave::to_string(&v).unwrap())
}

#[test]
fn functions_of_sdk_0_1_0_components_run_unchanged() {
    let host = Host::new(HostConfig::default()).unwrap();
    for name in [
        "validate_email",
        "geo_fence",
        "json_transform",
        "rate_limiter",
    ] {
        load(&host, name);
    }
    assert_eq!(
        wave(&host, "validate_email", "validate_email", &["\"a@b.co\""]),
        "true"
    );
    assert_eq!(
        wave(&host, "validate_email", "validate_email", &["\"nobody\""]),
        "false"
    );
    let square =
        "[{lat: 0.0, lon: 0.0}, {lat: 0.0, lon: 2.0}, {lat: 2.0, lon: 2.0}, {lat: 2.0, lon: 0.0}]";
    assert_eq!(
        wave(
            &host,
            "geo_fence",
            "geo_fence",
            &["{lat: 1.0, lon: 1.0}", square]
        ),
        "ok(true)"
    );
    assert_eq!(
        wave(
            &host,
            "json_transform",
            "get",
            &[r#""{\"a\": {\"b\": 7}}""#, "\"a.b\""]
        ),
        "ok(some(\"7\"))"
    );
    let first = wave(&host, "rate_limiter", "count", &["\"k\"", "60000"]);
    assert_eq!(first, "ok(0)");
    let bytes = host.call_bytes(
        "validate_email",
        "validate_email",
        &[b"x@y.z"],
        &CallOptions::default(),
    );
    assert!(bytes.result.is_ok());
}

#[test]
fn an_sdk_0_1_0_component_is_held_to_its_key_patterns() {
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/sdk-0.1.0/rate_limiter.wasm"),
    )
    .unwrap();
    let with_keys = |patterns: &[&str]| {
        let host = Host::new(HostConfig::default()).unwrap();
        let mut manifest = ferrite_plugin_host::embedded_manifest(&bytes)
            .unwrap()
            .unwrap();
        manifest.permissions.keys = KeyScope::read_write(patterns.iter().copied());
        host.load(
            &bytes,
            LoadOptions {
                manifest: Some(manifest),
                ..LoadOptions::default()
            },
        )
        .unwrap();
        host
    };
    // Its keys are `ratelimit:*`: the host API 0.1.0 checks them as 0.2.0 does.
    let host = with_keys(&["ratelimit:*"]);
    assert_eq!(
        wave(&host, "rate_limiter", "count", &["\"k\"", "60000"]),
        "ok(0)"
    );
    let host = with_keys(&["other:*"]);
    let refused = wave(&host, "rate_limiter", "count", &["\"k\"", "60000"]);
    assert!(
        refused.starts_with(
            "err(permission-denied(\"plugin `rate_limiter` may not read key `ratelimit:k:"
        ),
        "{refused}"
    );
    assert!(refused.contains("keys are `other:*`"), "{refused}");
}

#[test]
fn commands_and_hooks_of_sdk_0_1_0_components_run_unchanged() {
    let host = Host::new(HostConfig::default()).unwrap();
    let p = load(&host, "key_guard");
    key_guard_works(&host, &p);
}

/// key_guard built today for Ferrite 0.2 (host API 0.1.0, whose
/// `hook-event` has no `on-event`) runs on a Ferrite 0.2 host and today's.
#[test]
fn commands_and_hooks_built_for_an_older_ferrite_run_on_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let opts = ferrite_plugin_build::BuildOptions {
        release: false,
        manifest_path: Some(root.join("Cargo.toml")),
        packages: vec!["key_guard".into()],
        tests: false,
        ferrite_version: Some(semver::Version::new(0, 2, 0)),
    };
    let built =
        ferrite_plugin_build::build(&mut ferrite_plugin_build::Quiet, &opts).expect("it builds");
    let bytes = &built[0].component.bytes;
    let surface = ferrite_plugin_host::check::Surface::of(bytes).unwrap();
    assert_eq!(
        surface.api_versions(),
        [ferrite_plugin_host::ApiVersion::V0_1]
    );
    for ferrite in [
        semver::Version::new(0, 2, 0),
        HostConfig::default().ferrite_version,
    ] {
        let host = Host::new(HostConfig {
            ferrite_version: ferrite,
            ..HostConfig::default()
        })
        .unwrap();
        let p = host.load(bytes, LoadOptions::default()).unwrap();
        key_guard_works(&host, &p);
    }
}

/// Calls key_guard's hooks and command, as a server would.
fn key_guard_works(host: &Host, p: &std::sync::Arc<ferrite_plugin_host::Plugin>) {
    let opts = CallOptions::default();
    let hook = |name: &str| {
        p.entries()
            .hooks
            .iter()
            .find(|h| h.function == name)
            .unwrap_or_else(|| panic!("no hook {name}"))
            .clone()
    };
    let set: [&[u8]; 2] = [b"locked:a", b"v"];
    let call = HookCall {
        event: HookEvent::BeforeCommand,
        command: "SET",
        args: &set,
        key: Some(0),
    };
    let guard = host
        .call_hook(p, &hook("guard"), &call, &opts)
        .result
        .unwrap();
    assert!(
        matches!(guard, HookOutcome::Abort(ref m) if m.starts_with("DENIED")),
        "{guard:?}"
    );
    let open: [&[u8]; 2] = [b"open", b"v"];
    let call = HookCall {
        args: &open,
        ..call
    };
    assert_eq!(
        host.call_hook(p, &hook("guard"), &call, &opts)
            .result
            .unwrap(),
        HookOutcome::Continue
    );
    // An MSET's every key, not only the first: the arguments cross intact.
    let mset: [&[u8]; 4] = [b"a", b"1", b"locked:b", b"2"];
    let call = HookCall {
        command: "MSET",
        args: &mset,
        ..call
    };
    assert!(matches!(
        host.call_hook(p, &hook("guard"), &call, &opts)
            .result
            .unwrap(),
        HookOutcome::Abort(_)
    ));

    let write = HookCall {
        event: HookEvent::OnKeyWrite,
        command: "SET",
        args: &open,
        key: Some(0),
    };
    for _ in 0..2 {
        let r = host
            .call_hook(p, &hook("track_write"), &write, &opts)
            .result
            .unwrap();
        assert_eq!(r, HookOutcome::Continue);
    }
    let stats = &p.entries().commands[0];
    let reply = host
        .call_command(p, stats, &[b"open"], &opts)
        .result
        .unwrap();
    assert_eq!(
        reply,
        vec![Frame::Array(2), Frame::Integer(2), Frame::Integer(0)]
    );
    let reply = host.call_command(p, stats, &[], &opts).result.unwrap();
    assert!(
        matches!(&reply[..], [Frame::Error(e)] if e.contains("at least 1 argument")),
        "{reply:?}"
    );
    assert_eq!(wave(host, "key_guard", "writes", &["\"open\""]), "ok(2)");
}
