//! `[permissions] keys` as key patterns: the host checks every key of every
//! `kv` call against them, `kv.scan` lists only the keys they cover, and
//! `server.call` hands them to the server, through the testbed loaded with
//! a scoped manifest.

mod common;

use std::sync::{Arc, Mutex};

use ferrite_plugin_host::manifest::KeyScope;
use ferrite_plugin_host::server_call::{ServerCall, ServerCommands};
use ferrite_plugin_host::{CallOptions, Frame, Host, KvError, LoadOptions, wasm_wave};

/// A host with the testbed loaded under `keys`.
fn scoped(keys: KeyScope) -> Host {
    let host = common::host();
    let mut manifest = common::testbed_manifest();
    manifest.permissions.keys = keys;
    host.load(
        &common::component("testbed"),
        LoadOptions {
            manifest: Some(manifest),
            ..LoadOptions::default()
        },
    )
    .unwrap();
    host
}

fn wave_with(host: &Host, function: &str, args: &[&str], opts: &CallOptions) -> String {
    let report = host.call_wave_with("testbed", function, args, opts);
    let v = report
        .result
        .unwrap_or_else(|e| panic!("testbed.{function}: {e}"));
    v.map_or(String::new(), |v| wasm_wave::to_string(&v).unwrap())
}

fn wave(host: &Host, function: &str, args: &[&str]) -> String {
    wave_with(host, function, args, &CallOptions::default())
}

/// The `kv` functions that read, and those that write, in the order
/// `kv_refusals` calls them.
const READS: &[&str] = &[
    "get",
    "exists",
    "ttl",
    "hget",
    "hgetall",
    "lrange",
    "llen",
    "smembers",
    "sismember",
    "scard",
    "zscore",
    "zrange_by_score",
    "zcard",
];
const WRITES: &[&str] = &[
    "set",
    "incr_by",
    "expire",
    "del",
    "hset",
    "hincr_by",
    "hdel",
    "lpush",
    "rpush",
    "lpop",
    "rpop",
    "sadd",
    "srem",
    "zadd",
    "zincr_by",
    "zrem",
    "zrem_range_by_score",
];

/// `names` as WAVE prints a `list<string>`.
fn listed(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

#[test]
fn a_plugin_with_key_patterns_reads_and_writes_its_keys_and_no_others() {
    let host = scoped(KeyScope::read_write(["mine:*"]));
    host.keyspace()
        .set(b"other:a", b"secret".to_vec(), None)
        .unwrap();
    assert_eq!(
        wave(&host, "set_for", &["\"mine:a\"", "\"v\"", "60000"]),
        "ok"
    );
    assert_eq!(wave(&host, "get", &["\"mine:a\""]), "ok(some(\"v\"))");
    assert_eq!(wave(&host, "incr", &["\"mine:n\""]), "ok(1)");
    assert_eq!(
        wave(&host, "get", &["\"other:a\""]),
        "err(permission-denied(\"plugin `testbed` may not read key `other:a`: its [permissions] keys are `mine:*` (add a pattern that matches it in plugin.toml)\"))"
    );
    assert_eq!(
        wave(&host, "incr", &["\"other:a\""]),
        "err(permission-denied(\"plugin `testbed` may not write key `other:a`: its [permissions] keys are `mine:*` (add a pattern that matches it in plugin.toml)\"))"
    );
    let err = wave(&host, "set_for", &["\"other:b\"", "\"x\"", "60000"]);
    assert!(err.contains("may not write key `other:b`"), "{err}");
    // Patterns are globs over the whole key: a key only starting alike is outside.
    let err = wave(&host, "get", &["\"mine\""]);
    assert!(err.contains("may not read key `mine`"), "{err}");
    assert_eq!(
        host.keyspace().get(b"other:a").unwrap(),
        Some(b"secret".to_vec())
    );
    assert_eq!(host.keyspace().get(b"other:b").unwrap(), None);
}

#[test]
fn every_kv_function_checks_its_key_as_a_read_or_a_write() {
    let host = scoped(KeyScope::read_write(["mine:*"]).with_read(["cfg:*"]));
    let all: Vec<&str> = READS.iter().chain(WRITES).copied().collect();
    assert_eq!(wave(&host, "kv_refusals", &["\"mine:k\""]), "[]");
    assert_eq!(
        wave(&host, "kv_refusals", &["\"cfg:k\""]),
        listed(WRITES),
        "a read-only pattern grants reads only"
    );
    assert_eq!(wave(&host, "kv_refusals", &["\"other:k\""]), listed(&all));
    // Every key with `keys = true`; in a read-only call, no writes anywhere.
    let every = scoped(KeyScope::all());
    assert_eq!(wave(&every, "kv_refusals", &["\"any:k\""]), "[]");
    let read_only = CallOptions {
        read_only: true,
        ..CallOptions::default()
    };
    assert_eq!(
        wave_with(&every, "kv_refusals", &["\"any:k\""], &read_only),
        listed(WRITES)
    );
    assert_eq!(
        wave_with(&host, "kv_refusals", &["\"mine:k\""], &read_only),
        listed(WRITES)
    );
}

#[test]
fn a_read_only_pattern_refuses_writes_naming_the_fix() {
    let host = scoped(KeyScope::read_write(["mine:*"]).with_read(["cfg:*"]));
    host.keyspace().set(b"cfg:a", b"1".to_vec(), None).unwrap();
    assert_eq!(wave(&host, "get", &["\"cfg:a\""]), "ok(some(\"1\"))");
    assert_eq!(
        wave(&host, "incr", &["\"cfg:a\""]),
        "err(permission-denied(\"plugin `testbed` may not write key `cfg:a`: its [permissions] keys are `mine:*` and read-only `cfg:*` (it is read-only: add a pattern that matches it to `write` in plugin.toml)\"))"
    );
    assert_eq!(host.keyspace().get(b"cfg:a").unwrap(), Some(b"1".to_vec()));
}

#[test]
fn scan_returns_only_keys_in_scope_and_still_fills_its_limit() {
    let host = scoped(KeyScope::read_write(["mine:*", "m?:x"]).with_read(["cfg:*"]));
    let ks = host.keyspace();
    // Out-of-scope keys before, between and after the readable ones, and
    // keys under a readable prefix that no pattern matches.
    for i in 0..300 {
        ks.set(format!("a:{i:03}").as_bytes(), vec![], None)
            .unwrap();
        ks.set(format!("d:{i:03}").as_bytes(), vec![], None)
            .unwrap();
        ks.set(format!("mz:{i:03}").as_bytes(), vec![], None)
            .unwrap();
    }
    for k in [
        "mine:1", "mine:2", "mine:3", "cfg:1", "m1:x", "m2:x", "m1:y", "zz",
    ] {
        ks.set(k.as_bytes(), vec![], None).unwrap();
    }
    assert_eq!(
        wave(&host, "scan", &["\"\"", "4"]),
        "ok([\"cfg:1\", \"m1:x\", \"m2:x\", \"mine:1\"])"
    );
    assert_eq!(
        wave(&host, "scan", &["\"\"", "100"]),
        "ok([\"cfg:1\", \"m1:x\", \"m2:x\", \"mine:1\", \"mine:2\", \"mine:3\"])"
    );
    assert_eq!(
        wave(&host, "scan", &["\"m\"", "2"]),
        "ok([\"m1:x\", \"m2:x\"])"
    );
    assert_eq!(
        wave(&host, "scan", &["\"mine:2\"", "10"]),
        "ok([\"mine:2\"])"
    );
    assert_eq!(wave(&host, "scan", &["\"a:\"", "10"]), "ok([])");
    assert_eq!(wave(&host, "scan", &["\"\"", "0"]), "ok([])");
    // A plugin that reads every key scans as before.
    let reader = scoped(KeyScope::read_write(["mine:*"]).with_read(["*"]));
    reader.keyspace().set(b"a:1", vec![], None).unwrap();
    reader.keyspace().set(b"b:1", vec![], None).unwrap();
    assert_eq!(
        wave(&reader, "scan", &["\"\"", "10"]),
        "ok([\"a:1\", \"b:1\"])"
    );
}

/// An executor that records the key scope each `server.call` came with,
/// and refuses keys outside it as a server does.
#[derive(Default)]
struct Scopes {
    seen: Mutex<Vec<KeyScope>>,
}

impl ServerCommands for Scopes {
    fn call(&self, call: &ServerCall<'_>) -> Result<Vec<Frame>, KvError> {
        self.seen.lock().unwrap().push(call.keys.clone());
        match call.args {
            [_, key, ..] if !call.keys.may_read(key) => Err(KvError::PermissionDenied(
                call.keys.refusal(call.plugin, key, false, Some("GET")),
            )),
            _ => Ok(vec![Frame::Ok]),
        }
    }
}

#[test]
fn server_call_hands_the_plugins_key_patterns_to_the_server() {
    let keys = KeyScope::read_write(["mine:*"]).with_read(["cfg:*"]);
    let host = scoped(keys.clone());
    let scopes = Arc::new(Scopes::default());
    let opts = CallOptions {
        commands: Some(scopes.clone()),
        ..CallOptions::default()
    };
    assert_eq!(
        wave_with(&host, "run", &[r#"["GET", "mine:a"]"#], &opts),
        "ok(\"Ok\")"
    );
    assert_eq!(
        wave_with(&host, "run", &[r#"["GET", "other:a"]"#], &opts),
        "err(permission-denied(\"plugin `testbed` may not read key `other:a` with GET: its [permissions] keys are `mine:*` and read-only `cfg:*` (add a pattern that matches it in plugin.toml)\"))"
    );
    assert_eq!(*scopes.seen.lock().unwrap(), [keys.clone(), keys]);
}
