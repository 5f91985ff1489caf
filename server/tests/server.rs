//! The server over TCP, driven by the `redis` crate as a client: keyspace
//! commands, FCALL with every argument and result mapping, FUNCTION,
//! PLUGIN and WASM.* commands, RESP2 and RESP3, hostile plugins among
//! concurrent clients, and bad input on the wire.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use ferrite_plugin_build::{BuildOptions, Quiet, build};
use ferrite_plugin_host::manifest::KeyScope;
use ferrite_plugin_host::{HostConfig, Keyspace, LoadOptions};
use ferrite_plugin_server::{Grant, Origin, Server, ServerConfig};
use redis::{RedisResult, Value};

/// The test plugins, built once per test binary.
fn component(package: &str) -> Vec<u8> {
    static BUILT: OnceLock<HashMap<String, Vec<u8>>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            let opts = BuildOptions {
                release: false,
                manifest_path: Some(root.join("Cargo.toml")),
                packages: vec![
                    "testbed".into(),
                    "validate_email".into(),
                    "geo_fence".into(),
                    "key_guard".into(),
                    "host_api".into(),
                ],
                tests: false,
                ferrite_version: None,
            };
            build(&mut Quiet, &opts)
                .expect("the test plugins build")
                .into_iter()
                .map(|b| (b.package, b.component.bytes))
                .collect()
        })
        .get(package)
        .unwrap_or_else(|| panic!("no test plugin `{package}`"))
        .clone()
}

fn host_config() -> HostConfig {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        Into::into,
    );
    HostConfig {
        pool_size: 64,
        cache_dir: Some(target.join("host-test-cache")),
        ..HostConfig::default()
    }
}

/// A server on an ephemeral port, serving on its own runtime thread.
fn start(config: ServerConfig, plugins: &[&str]) -> (Server, SocketAddr) {
    start_with_workers(config, plugins, 2)
}

/// [`start`] with this many tokio worker threads.
fn start_with_workers(
    config: ServerConfig,
    plugins: &[&str],
    workers: usize,
) -> (Server, SocketAddr) {
    let server = Server::new(host_config(), config).unwrap();
    for p in plugins {
        server
            .load(&component(p), Origin::Loaded, false, Grant::Declared)
            .unwrap();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let s = server.clone();
    std::thread::spawn(move || {
        let _ = runtime.block_on(s.serve(listener));
    });
    (server, addr)
}

fn connect(addr: SocketAddr) -> redis::Connection {
    redis::Client::open(format!("redis://{addr}/"))
        .unwrap()
        .get_connection()
        .unwrap()
}

fn connect3(addr: SocketAddr) -> redis::Connection {
    redis::Client::open(format!("redis://{addr}/?protocol=resp3"))
        .unwrap()
        .get_connection()
        .unwrap()
}

fn fcall<T: redis::FromRedisValue>(
    con: &mut redis::Connection,
    function: &str,
    keys: &[&[u8]],
    args: &[&[u8]],
) -> RedisResult<T> {
    let mut cmd = redis::cmd("FCALL");
    cmd.arg(function).arg(keys.len());
    for k in keys {
        cmd.arg(*k);
    }
    for a in args {
        cmd.arg(*a);
    }
    cmd.query(con)
}

fn error_text<T: std::fmt::Debug>(r: RedisResult<T>) -> String {
    let e = r.expect_err("expected an error reply");
    format!("{} {}", e.code().unwrap_or(""), e.detail().unwrap_or(""))
}

#[test]
fn keyspace_commands_share_data_with_plugins() {
    let (_server, addr) = start(ServerConfig::default(), &["testbed"]);
    let mut con = connect(addr);
    let _: () = redis::cmd("SET")
        .arg("visits")
        .arg("41")
        .query(&mut con)
        .unwrap();
    // The plugin's kv API sees what a client wrote, and the client what it writes.
    let n: i64 = fcall(&mut con, "incr", &[b"visits"], &[]).unwrap();
    assert_eq!(n, 42);
    let v: String = redis::cmd("GET").arg("visits").query(&mut con).unwrap();
    assert_eq!(v, "42");
    let _: () = fcall(&mut con, "set_for", &[b"session"], &[b"abc", b"60000"]).unwrap();
    let ttl: i64 = redis::cmd("TTL").arg("session").query(&mut con).unwrap();
    assert!((59..=60).contains(&ttl), "{ttl}");
    let got: Option<String> = fcall(&mut con, "get", &[b"session"], &[]).unwrap();
    assert_eq!(got.as_deref(), Some("abc"));
    let missing: Option<String> = fcall(&mut con, "get", &[b"nope"], &[]).unwrap();
    assert_eq!(missing, None);
    let _: () = redis::cmd("MSET")
        .arg("user:1")
        .arg("a")
        .arg("user:2")
        .arg("b")
        .query(&mut con)
        .unwrap();
    let users: Vec<String> = fcall(&mut con, "scan", &[b"user:"], &[b"10"]).unwrap();
    assert_eq!(users, ["user:1", "user:2"]);
    let size: i64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(size, 4);
    let _: () = redis::cmd("FLUSHDB").query(&mut con).unwrap();
    let size: i64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(size, 0);
}

#[test]
fn fcall_maps_arguments_and_results() {
    let (_server, addr) = start(
        ServerConfig::default(),
        &["testbed", "validate_email", "geo_fence"],
    );
    let mut con = connect(addr);
    // string → bool → integer 1/0; both spellings of the name.
    let ok: i64 = fcall(&mut con, "validate_email", &[], &[b"a@b.co"]).unwrap();
    assert_eq!(ok, 1);
    let bad: i64 = fcall(&mut con, "validate-email", &[], &[b"nope"]).unwrap();
    assert_eq!(bad, 0);
    // Keys then args fill the parameters in order; integers parse from text.
    let sum: i64 = fcall(&mut con, "add", &[b"2"], &[b"3"]).unwrap();
    assert_eq!(sum, 5);
    // A string result → bulk; `()` → +OK.
    let s: String = fcall(&mut con, "shout", &[], &[b"hi"]).unwrap();
    assert_eq!(s, "HI");
    let unit: Value = fcall(&mut con, "set_for", &[b"k2"], &[b"v", b"1000"]).unwrap();
    assert_eq!(unit, Value::Okay);
    // Records as WAVE in, a float out as a bulk string in RESP2.
    let d: String = fcall(
        &mut con,
        "distance",
        &[],
        &[
            b"{lat: 0.0, lon: 0.0}",
            b"{lat: 0.0, lon: 1.0}",
            b"kilometers",
        ],
    )
    .unwrap();
    let km: f64 = d.parse().unwrap();
    assert!((km - 111.19).abs() < 0.1, "{km}");
    // option<tuple> → array, none → null.
    let near: Value = fcall(
        &mut con,
        "nearest",
        &[],
        &[
            b"{lat: 0.0, lon: 0.0}",
            b"[{lat: 0.0, lon: 2.0}, {lat: 0.0, lon: 1.0}]",
            b"kilometers",
        ],
    )
    .unwrap();
    let Value::Array(items) = near else {
        panic!("{near:?}")
    };
    assert_eq!(items[0], Value::Int(1));
    let none: Value = fcall(
        &mut con,
        "nearest",
        &[],
        &[b"{lat: 0.0, lon: 0.0}", b"[]", b"kilometers"],
    )
    .unwrap();
    assert_eq!(none, Value::Nil);
    // err(e) → an error reply with e's text.
    let e = error_text(fcall::<Value>(
        &mut con,
        "geo_fence",
        &[],
        &[b"{lat: 0.0, lon: 0.0}", b"[]"],
    ));
    assert!(e.starts_with("ERR"), "{e}");

    // A wrong count names the function and each parameter with its WIT type.
    let e = error_text(fcall::<i64>(&mut con, "add", &[], &[b"1"]));
    assert!(
        e.contains("`add` takes 2 arguments (a: u32, b: u32), but 1 were given"),
        "{e}"
    );
    // Non-UTF-8 for a string parameter.
    let e = error_text(fcall::<i64>(
        &mut con,
        "validate_email",
        &[],
        &[b"\xff\xfe"],
    ));
    assert!(e.contains("not UTF-8"), "{e}");
    let e = error_text(fcall::<i64>(&mut con, "add", &[], &[b"x", b"1"]));
    assert!(e.contains("argument `a` of `add` must be `u32`"), "{e}");
    let e = error_text(fcall::<i64>(&mut con, "no_such", &[], &[]));
    assert!(e.contains("Function not found"), "{e}");
    let e = error_text(
        redis::cmd("FCALL")
            .arg("add")
            .arg(5)
            .arg(1)
            .query::<i64>(&mut con),
    );
    assert!(
        e.contains("Number of keys can't be greater than number of args"),
        "{e}"
    );
    // FCALL_RO: the host API's writes fail.
    let e = error_text(
        redis::cmd("FCALL_RO")
            .arg("incr")
            .arg(1)
            .arg("k")
            .query::<i64>(&mut con),
    );
    assert!(e.contains("read-only"), "{e}");
    let exists: i64 = redis::cmd("EXISTS").arg("k").query(&mut con).unwrap();
    assert_eq!(exists, 0);
    let reads: Option<String> = redis::cmd("FCALL_RO")
        .arg("get")
        .arg(1)
        .arg("k")
        .query(&mut con)
        .unwrap();
    assert_eq!(reads, None);
}

#[test]
fn resp3_returns_maps_doubles_and_nulls() {
    let (_server, addr) = start(ServerConfig::default(), &["geo_fence"]);
    let mut con = connect3(addr);
    let d: Value = fcall(
        &mut con,
        "distance",
        &[],
        &[
            b"{lat: 0.0, lon: 0.0}",
            b"{lat: 0.0, lon: 1.0}",
            b"kilometers",
        ],
    )
    .unwrap();
    assert!(
        matches!(d, Value::Double(km) if (km - 111.19).abs() < 0.1),
        "{d:?}"
    );
    let none: Value = fcall(
        &mut con,
        "nearest",
        &[],
        &[b"{lat: 0.0, lon: 0.0}", b"[]", b"kilometers"],
    )
    .unwrap();
    assert_eq!(none, Value::Nil);
    let info: Value = redis::cmd("PLUGIN")
        .arg("INFO")
        .arg("geo_fence")
        .query(&mut con)
        .unwrap();
    let Value::Map(fields) = info else {
        panic!("PLUGIN INFO in RESP3 is a map: {info:?}")
    };
    assert!(
        fields
            .iter()
            .any(|(k, v)| *k == Value::BulkString(b"version".to_vec())
                && *v == Value::BulkString(b"1.0.0".to_vec()))
    );
}

#[test]
fn function_load_list_delete() {
    let (_server, addr) = start(ServerConfig::default(), &[]);
    let mut con = connect(addr);
    let wasm = component("validate_email");
    let name: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg(&wasm)
        .query(&mut con)
        .unwrap();
    assert_eq!(name, "validate_email");
    let e = error_text(
        redis::cmd("FUNCTION")
            .arg("LOAD")
            .arg(&wasm)
            .query::<String>(&mut con),
    );
    assert!(e.contains("already exists"), "{e}");
    let _: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg("REPLACE")
        .arg(&wasm)
        .query(&mut con)
        .unwrap();
    let list: Value = redis::cmd("FUNCTION").arg("LIST").query(&mut con).unwrap();
    assert!(format!("{list:?}").contains("validate_email"), "{list:?}");
    let ok: i64 = fcall(&mut con, "validate_email", &[], &[b"x@y.org"]).unwrap();
    assert_eq!(ok, 1);
    let e = error_text(
        redis::cmd("FUNCTION")
            .arg("LOAD")
            .arg(b"\0asm garbage".as_slice())
            .query::<String>(&mut con),
    );
    assert!(e.starts_with("ERR"), "{e}");
    let _: () = redis::cmd("FUNCTION")
        .arg("DELETE")
        .arg("validate_email")
        .query(&mut con)
        .unwrap();
    let e = error_text(fcall::<i64>(&mut con, "validate_email", &[], &[b"x@y.org"]));
    assert!(e.contains("Function not found"), "{e}");
    let e = error_text(
        redis::cmd("FUNCTION")
            .arg("DELETE")
            .arg("validate_email")
            .query::<()>(&mut con),
    );
    assert!(e.contains("Library not found"), "{e}");
}

#[test]
fn plugin_commands_in_both_spellings() {
    let (_server, addr) = start(ServerConfig::default(), &["validate_email"]);
    let mut con = connect(addr);
    for list in ["PLUGIN LIST", "PLUGIN.LIST"] {
        let mut cmd = redis::Cmd::new();
        for word in list.split(' ') {
            cmd.arg(word);
        }
        let v: Value = cmd.query(&mut con).unwrap();
        assert!(format!("{v:?}").contains("validate_email"), "{v:?}");
    }
    let info: Value = redis::cmd("PLUGIN.INFO")
        .arg("validate_email")
        .query(&mut con)
        .unwrap();
    let text = format!("{info:?}");
    assert!(
        text.contains("sha256") && text.contains("validate_email(email: string) -> bool"),
        "{text}"
    );
    let e = error_text(
        redis::cmd("PLUGIN")
            .arg("RELOAD")
            .arg("validate_email")
            .query::<()>(&mut con),
    );
    assert!(e.contains("FUNCTION LOAD REPLACE"), "{e}");
    let e = error_text(
        redis::cmd("PLUGIN")
            .arg("INSTALL")
            .arg("x")
            .query::<()>(&mut con),
    );
    assert!(e.contains("--registry"), "{e}");
    let _: () = redis::cmd("PLUGIN")
        .arg("REMOVE")
        .arg("validate_email")
        .query(&mut con)
        .unwrap();
    let e = error_text(
        redis::cmd("PLUGIN.INFO")
            .arg("validate_email")
            .query::<Value>(&mut con),
    );
    assert!(e.contains("no plugin named"), "{e}");
}

#[test]
fn plugin_install_verifies_like_the_cli() {
    use ferrite_plugin_registry::KeyPair;
    use ferrite_plugin_registry::publish::{Artifact, Options, publish};

    let registry = tempfile::tempdir().unwrap();
    let key = KeyPair::generate().unwrap();
    let artifact = Artifact::new(component("validate_email"), String::new()).unwrap();
    publish(registry.path(), &artifact, &key, &Options::default()).unwrap();
    let install_dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        registry: Some(ferrite_plugin_registry::Source::parse(
            registry.path().to_str().unwrap(),
        )),
        install_dir: Some(install_dir.path().to_path_buf()),
        ..ServerConfig::default()
    };
    let (_server, addr) = start(config, &[]);
    let mut con = connect(addr);

    // Tampered: refused, nothing installed.
    let wasm = registry
        .path()
        .join("plugins/validate_email/1.0.0/validate_email.wasm");
    let good = std::fs::read(&wasm).unwrap();
    let mut bad = good.clone();
    let n = bad.len() / 2;
    bad[n] ^= 1;
    std::fs::write(&wasm, &bad).unwrap();
    let e = error_text(
        redis::cmd("PLUGIN")
            .arg("INSTALL")
            .arg("validate_email")
            .query::<String>(&mut con),
    );
    assert!(e.contains("tampered"), "{e}");
    assert_eq!(std::fs::read_dir(install_dir.path()).unwrap().count(), 0);
    let e = error_text(fcall::<i64>(&mut con, "validate_email", &[], &[b"a@b.co"]));
    assert!(e.contains("Function not found"), "{e}");

    std::fs::write(&wasm, &good).unwrap();
    let done: String = redis::cmd("PLUGIN")
        .arg("INSTALL")
        .arg("validate_email@^1")
        .query(&mut con)
        .unwrap();
    assert_eq!(done, "installed validate_email 1.0.0");
    let ok: i64 = fcall(&mut con, "validate_email", &[], &[b"a@b.co"]).unwrap();
    assert_eq!(ok, 1);
    let reloaded: String = redis::cmd("PLUGIN")
        .arg("RELOAD")
        .arg("validate_email")
        .query(&mut con)
        .unwrap();
    assert_eq!(reloaded, "reloaded validate_email 1.0.0");
    let _: () = redis::cmd("PLUGIN")
        .arg("REMOVE")
        .arg("validate_email")
        .query(&mut con)
        .unwrap();
    assert!(!install_dir.path().join("validate_email.wasm").exists());
}

#[test]
fn hostile_calls_among_concurrent_clients_do_not_stop_the_server() {
    let (_server, addr) = start(
        ServerConfig {
            warm: Some(8),
            ..ServerConfig::default()
        },
        &["testbed", "validate_email"],
    );
    const CLIENTS: usize = 50;
    const CALLS: usize = 1000;
    let threads: Vec<_> = (0..CLIENTS)
        .map(|c| {
            std::thread::spawn(move || {
                let mut con = connect(addr);
                let mut failures = Vec::new();
                for i in 0..CALLS {
                    let n = (c * CALLS + i) as u32;
                    match i % 5 {
                        0 => {
                            let r: i64 =
                                fcall(&mut con, "add", &[n.to_string().as_bytes()], &[b"1"])
                                    .unwrap();
                            assert_eq!(r, i64::from(n) + 1);
                        }
                        1 => {
                            let r: i64 =
                                fcall(&mut con, "validate_email", &[], &[b"a@b.co"]).unwrap();
                            assert_eq!(r, 1);
                        }
                        2 => {
                            let key = format!("k{c}");
                            let r: i64 = redis::cmd("INCR").arg(&key).query(&mut con).unwrap();
                            assert_eq!(r, (i / 5 + 1) as i64);
                        }
                        3 => {
                            let r: String = redis::cmd("ECHO").arg(n).query(&mut con).unwrap();
                            assert_eq!(r, n.to_string());
                        }
                        _ => {
                            // Now and then, something hostile.
                            let hostile: &[(&str, &[&[u8]])] = &[
                                ("trap", &[]),
                                ("boom", &[b"no"]),
                                ("recurse", &[b"100000000"]),
                                ("hog", &[b"1000"]),
                            ];
                            if i % 50 == 4 {
                                let (f, args) = hostile[(i / 50) % hostile.len()];
                                let e = error_text(fcall::<Value>(&mut con, f, &[], args));
                                failures.push(e);
                            }
                        }
                    }
                }
                failures
            })
        })
        .collect();
    let mut hostile = Vec::new();
    for t in threads {
        hostile.extend(t.join().expect("a client saw a wrong answer"));
    }
    assert_eq!(hostile.len(), CLIENTS * CALLS / 50);
    assert!(
        hostile
            .iter()
            .any(|e| e.contains("trap") || e.contains("unreachable")),
        "{:?}",
        &hostile[..4]
    );
    assert!(
        hostile.iter().any(|e| e.contains("memory limit")),
        "{:?}",
        &hostile[..4]
    );
    assert!(
        hostile.iter().any(|e| e.contains("stack")),
        "{:?}",
        &hostile[..4]
    );
    // And an endless loop hits its limit while the server answers others.
    let mut con = connect(addr);
    let e = error_text(fcall::<Value>(&mut con, "spin", &[], &[b"0"]));
    assert!(e.contains("fuel") || e.contains("timed out"), "{e}");
    let r: i64 = fcall(&mut con, "add", &[b"1"], &[b"1"]).unwrap();
    assert_eq!(r, 2);
}

/// Sends raw bytes and reads what comes back until the server closes or
/// stops talking.
fn raw(addr: SocketAddr, bytes: &[u8]) -> (String, bool) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    s.write_all(bytes).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = loop {
        match s.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => break false,
        }
    };
    (String::from_utf8_lossy(&out).into_owned(), closed)
}

#[test]
fn bad_input_on_the_wire_gets_clear_errors() {
    let (_server, addr) = start(
        ServerConfig {
            max_bulk: 1024,
            ..ServerConfig::default()
        },
        &[],
    );
    // Inline commands, as telnet sends them.
    let (out, closed) = raw(addr, b"PING\r\nECHO \"a b\"\r\n");
    assert_eq!(out, "+PONG\r\n$3\r\na b\r\n");
    assert!(!closed);
    // Unknown command and wrong arity: an error, and the connection stays.
    let (out, closed) = raw(
        addr,
        b"*1\r\n$4\r\nNOPE\r\n*1\r\n$3\r\nGET\r\n*1\r\n$4\r\nPING\r\n",
    );
    assert_eq!(
        out,
        "-ERR unknown command 'NOPE', with args beginning with: \r\n-ERR wrong number of arguments for 'get' command\r\n+PONG\r\n"
    );
    assert!(!closed);
    // A bulk string over the cap is refused from its header alone.
    let (out, closed) = raw(addr, b"*2\r\n$3\r\nGET\r\n$4294967296\r\n");
    assert!(
        out.starts_with("-ERR Protocol error: invalid bulk length"),
        "{out}"
    );
    assert!(closed);
    let (out, closed) = raw(addr, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000\r\nabc");
    assert!(
        out.starts_with("-ERR Protocol error: invalid bulk length"),
        "{out}"
    );
    assert!(closed);
    // Malformed frames.
    let (out, closed) = raw(addr, b"*1\r\n:12\r\n");
    assert!(out.starts_with("-ERR Protocol error"), "{out}");
    assert!(closed);
    let (out, closed) = raw(addr, b"*x\r\n");
    assert!(out.starts_with("-ERR Protocol error"), "{out}");
    assert!(closed);
    // QUIT answers and closes.
    let (out, closed) = raw(addr, b"QUIT\r\n");
    assert_eq!(out, "+OK\r\n");
    assert!(closed);
    // HELLO 3 switches to RESP3.
    let (out, _) = raw(addr, b"HELLO 3\r\n*2\r\n$3\r\nGET\r\n$1\r\nx\r\n");
    assert!(out.starts_with("%7\r\n"), "{out}");
    assert!(out.ends_with("_\r\n"), "{out}");
}

fn hook_calls(con: &mut redis::Connection) -> u64 {
    let info: String = redis::cmd("INFO").query(con).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("hook_calls:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn commands_and_hooks_behave_as_written() {
    let (_server, addr) = start(ServerConfig::default(), &["key_guard"]);
    let mut con = connect(addr);
    // before_command refuses, and nothing is written.
    let e = error_text(
        redis::cmd("SET")
            .arg("locked:x")
            .arg(1)
            .query::<()>(&mut con),
    );
    assert!(e.starts_with("DENIED the key is locked"), "{e}");
    let e = error_text(
        redis::cmd("MSET")
            .arg("b")
            .arg(1)
            .arg("locked:c")
            .arg(2)
            .query::<()>(&mut con),
    );
    assert!(e.starts_with("DENIED"), "{e}");
    let n: i64 = redis::cmd("EXISTS")
        .arg("locked:x")
        .arg("b")
        .arg("locked:c")
        .query(&mut con)
        .unwrap();
    assert_eq!(n, 0);
    // on_key_write and after_command count; the custom command reads them.
    for v in [1, 2] {
        let _: () = redis::cmd("SET").arg("a").arg(v).query(&mut con).unwrap();
    }
    let _: () = redis::cmd("MSET")
        .arg("a")
        .arg(3)
        .arg("z")
        .arg(1)
        .query(&mut con)
        .unwrap();
    for _ in 0..4 {
        let _: String = redis::cmd("GET").arg("a").query(&mut con).unwrap();
    }
    let stats: (i64, i64) = redis::cmd("GK.STATS").arg("a").query(&mut con).unwrap();
    assert_eq!(stats, (3, 4));
    let stats: (i64, i64) = redis::cmd("gk.stats").arg("z").query(&mut con).unwrap();
    assert_eq!(stats, (1, 0));
    let writes: i64 = fcall(&mut con, "writes", &[b"a"], &[]).unwrap();
    assert_eq!(writes, 3);
    // What hooks write through kv fires no hooks: nobody counted the counters.
    let stats: (i64, i64) = redis::cmd("GK.STATS")
        .arg("writes:a")
        .query(&mut con)
        .unwrap();
    assert_eq!(stats, (0, 0));
    // Arity is the plugin's, checked by the server.
    let e = error_text(redis::cmd("GK.STATS").query::<Value>(&mut con));
    assert!(
        e.contains("wrong number of arguments for 'gk.stats' command"),
        "{e}"
    );
    let e = error_text(
        redis::cmd("GK.STATS")
            .arg("a")
            .arg("b")
            .query::<Value>(&mut con),
    );
    assert!(e.contains("wrong number of arguments"), "{e}");
    // Commands no hook asks for cost no guest call.
    let before = hook_calls(&mut con);
    for _ in 0..10 {
        let _: String = redis::cmd("PING").query(&mut con).unwrap();
        let _: i64 = redis::cmd("EXISTS").arg("a").query(&mut con).unwrap();
    }
    assert_eq!(hook_calls(&mut con), before);
    // A write costs the guard and one on_key_write call per key.
    let _: () = redis::cmd("SET").arg("q").arg(1).query(&mut con).unwrap();
    assert_eq!(hook_calls(&mut con), before + 2);
    // The plugin's commands and hooks are listed by PLUGIN INFO? Its functions are.
    let e = error_text(fcall::<Value>(
        &mut con,
        "ferrite-command-gk-stats",
        &[],
        &[],
    ));
    assert!(e.contains("Function not found"), "{e}");
}

#[test]
fn command_replies_and_faulting_hooks_and_commands() {
    let (_server, addr) = start(ServerConfig::default(), &["testbed"]);
    for resp3 in [false, true] {
        let mut con = if resp3 { connect3(addr) } else { connect(addr) };
        let reply = |con: &mut redis::Connection, kind: &str| -> RedisResult<Value> {
            redis::cmd("TB.REPLY").arg(kind).query(con)
        };
        assert_eq!(reply(&mut con, "ok").unwrap(), Value::Okay);
        assert_eq!(
            reply(&mut con, "simple").unwrap(),
            Value::SimpleString("fine".into())
        );
        let d = reply(&mut con, "double").unwrap();
        if resp3 {
            assert_eq!(d, Value::Double(2.5));
        } else {
            assert_eq!(d, Value::BulkString(b"2.5".to_vec()));
        }
        assert_eq!(reply(&mut con, "null").unwrap(), Value::Nil);
        assert_eq!(
            reply(&mut con, "nested").unwrap(),
            Value::Array(vec![
                Value::Int(1),
                Value::Array(vec![Value::BulkString(b"a".to_vec()), Value::Nil])
            ])
        );
        let e = error_text(reply(&mut con, "error"));
        assert_eq!(e, "ERR chosen");
        let e = error_text(reply(&mut con, "fail"));
        assert!(e.contains("invalid argument: asked to fail"), "{e}");
    }
    let mut con = connect(addr);
    // A hook that panics, spins or refuses: an error reply, then business as usual.
    let e = error_text(redis::cmd("ECHO").arg("boom").query::<String>(&mut con));
    assert!(
        e.contains("hook `tripwire` of plugin `testbed` failed")
            && e.contains("the tripwire went off"),
        "{e}"
    );
    let e = error_text(redis::cmd("ECHO").arg("spin").query::<String>(&mut con));
    assert!(e.contains("fuel") || e.contains("timed out"), "{e}");
    let e = error_text(redis::cmd("ECHO").arg("no").query::<String>(&mut con));
    assert_eq!(e, "ERR refused by the tripwire");
    let ok: String = redis::cmd("ECHO").arg("fine").query(&mut con).unwrap();
    assert_eq!(ok, "fine");
    // A command that never returns hits its limit.
    let e = error_text(redis::cmd("TB.SPIN").query::<Value>(&mut con));
    assert!(e.contains("fuel") || e.contains("timed out"), "{e}");
    let sum: i64 = fcall(&mut con, "add", &[b"1"], &[b"2"]).unwrap();
    assert_eq!(sum, 3);
}

#[test]
fn loading_a_loaded_plugin_again_needs_replace() {
    let (server, _addr) = start(ServerConfig::default(), &["key_guard"]);
    // Loading it again without replace is refused; with replace it swaps.
    assert!(
        server
            .load(
                &component("key_guard"),
                Origin::Loaded,
                false,
                Grant::Declared
            )
            .is_err()
    );
    server
        .load(
            &component("key_guard"),
            Origin::Loaded,
            true,
            Grant::Declared,
        )
        .unwrap();
}

#[test]
fn data_types_over_tcp_in_both_protocols() {
    let (_server, addr) = start(ServerConfig::default(), &[]);
    let mut con = connect(addr);
    let added: i64 = redis::cmd("HSET")
        .arg("user:1")
        .arg("name")
        .arg("ada")
        .arg("age")
        .arg("36")
        .query(&mut con)
        .unwrap();
    assert_eq!(added, 2);
    let all: HashMap<String, String> = redis::cmd("HGETALL").arg("user:1").query(&mut con).unwrap();
    assert_eq!(all["name"], "ada");
    let _: () = redis::cmd("RPUSH")
        .arg("q")
        .arg("a")
        .arg("b")
        .query(&mut con)
        .unwrap();
    let items: Vec<String> = redis::cmd("LRANGE")
        .arg("q")
        .arg(0)
        .arg(-1)
        .query(&mut con)
        .unwrap();
    assert_eq!(items, ["a", "b"]);
    let _: () = redis::cmd("SADD")
        .arg("s")
        .arg("x")
        .arg("y")
        .query(&mut con)
        .unwrap();
    let members: Vec<String> = redis::cmd("SMEMBERS").arg("s").query(&mut con).unwrap();
    assert_eq!(members, ["x", "y"]);
    let _: () = redis::cmd("ZADD")
        .arg("board")
        .arg(1.5)
        .arg("ann")
        .arg(3)
        .arg("bob")
        .query(&mut con)
        .unwrap();
    let ranked: Vec<(String, f64)> = redis::cmd("ZRANGE")
        .arg("board")
        .arg(0)
        .arg(-1)
        .arg("WITHSCORES")
        .query(&mut con)
        .unwrap();
    assert_eq!(ranked, [("ann".to_string(), 1.5), ("bob".to_string(), 3.0)]);
    let t: String = redis::cmd("TYPE").arg("board").query(&mut con).unwrap();
    assert_eq!(t, "zset");
    assert_eq!(
        error_text(redis::cmd("GET").arg("board").query::<String>(&mut con)),
        "WRONGTYPE Operation against a key holding the wrong kind of value"
    );

    // COMMAND reads the table.
    let count: i64 = redis::cmd("COMMAND").arg("COUNT").query(&mut con).unwrap();
    assert!(count > 100, "{count}");
    let info: Vec<Value> = redis::cmd("COMMAND")
        .arg("INFO")
        .arg("hset")
        .arg("no.such")
        .query(&mut con)
        .unwrap();
    let Value::Array(hset) = &info[0] else {
        panic!("{info:?}");
    };
    assert_eq!(hset[1], Value::Int(-4));
    assert_eq!(
        (&hset[3], &hset[4], &hset[5]),
        (&Value::Int(1), &Value::Int(1), &Value::Int(1))
    );
    assert_eq!(info[1], Value::Nil);

    let mut con3 = connect3(addr);
    let score: Value = redis::cmd("ZSCORE")
        .arg("board")
        .arg("ann")
        .query(&mut con3)
        .unwrap();
    assert_eq!(score, Value::Double(1.5));
    let set: Value = redis::cmd("SMEMBERS").arg("s").query(&mut con3).unwrap();
    assert!(
        matches!(set, Value::Set(ref items) if items.len() == 2),
        "{set:?}"
    );
    let map: Value = redis::cmd("HGETALL")
        .arg("user:1")
        .query(&mut con3)
        .unwrap();
    assert!(
        matches!(map, Value::Map(ref pairs) if pairs.len() == 2),
        "{map:?}"
    );
}

#[test]
fn databases_are_per_connection_and_plugins_use_the_sessions() {
    let (server, addr) = start(ServerConfig::default(), &["testbed"]);
    let mut one = connect(addr);
    let mut zero = connect(addr);
    let _: () = redis::cmd("SELECT").arg(1).query(&mut one).unwrap();
    let n: i64 = fcall(&mut one, "incr", &[b"hits"], &[]).unwrap();
    assert_eq!(n, 1);
    let here: Option<String> = redis::cmd("GET").arg("hits").query(&mut one).unwrap();
    assert_eq!(here.as_deref(), Some("1"));
    let there: Option<String> = redis::cmd("GET").arg("hits").query(&mut zero).unwrap();
    assert_eq!(there, None);
    assert_eq!(server.db(1).unwrap().len(), 1);
    assert!(server.keyspace().is_empty());
    assert_eq!(
        error_text(redis::cmd("SELECT").arg(16).query::<()>(&mut one)),
        "ERR DB index is out of range"
    );
    let info: String = redis::cmd("INFO").query(&mut zero).unwrap();
    assert!(info.contains("db1:keys=1,expires=0"), "{info}");
    let _: () = redis::cmd("FLUSHDB").query(&mut zero).unwrap();
    assert_eq!(
        server.db(1).unwrap().len(),
        1,
        "FLUSHDB is the session's database"
    );
    let _: () = redis::cmd("FLUSHALL").query(&mut zero).unwrap();
    assert!(server.db(1).unwrap().is_empty());
}

#[test]
fn transactions_queue_run_in_order_and_respect_watch() {
    let (_server, addr) = start(ServerConfig::default(), &["testbed"]);
    let mut con = connect(addr);
    let mut other = connect(addr);
    let (a, b, c): (i64, i64, Option<String>) = redis::pipe()
        .atomic()
        .cmd("INCR")
        .arg("n")
        .cmd("INCRBY")
        .arg("n")
        .arg(10)
        .cmd("GET")
        .arg("missing")
        .query(&mut con)
        .unwrap();
    assert_eq!((a, b, c), (1, 11, None));
    // FCALL runs inside EXEC.
    let (n,): (i64,) = redis::pipe()
        .atomic()
        .cmd("FCALL")
        .arg("incr")
        .arg(1)
        .arg("n")
        .query(&mut con)
        .unwrap();
    assert_eq!(n, 12);

    // A queueing error discards the whole transaction.
    let _: () = redis::cmd("MULTI").query(&mut con).unwrap();
    let queued: String = redis::cmd("INCR").arg("n").query(&mut con).unwrap();
    assert_eq!(queued, "QUEUED");
    assert!(redis::cmd("NO.SUCH").query::<()>(&mut con).is_err());
    assert_eq!(
        error_text(redis::cmd("EXEC").query::<()>(&mut con)),
        "EXECABORT Transaction discarded because of previous errors."
    );
    let n: i64 = redis::cmd("GET").arg("n").query(&mut con).unwrap();
    assert_eq!(n, 12);

    // A watched key written by another client: EXEC answers null.
    let _: () = redis::cmd("WATCH").arg("n").query(&mut con).unwrap();
    let _: () = redis::cmd("SET")
        .arg("n")
        .arg(100)
        .query(&mut other)
        .unwrap();
    let _: () = redis::cmd("MULTI").query(&mut con).unwrap();
    let _: String = redis::cmd("INCR").arg("n").query(&mut con).unwrap();
    let result: Value = redis::cmd("EXEC").query(&mut con).unwrap();
    assert_eq!(result, Value::Nil);
    let n: i64 = redis::cmd("GET").arg("n").query(&mut con).unwrap();
    assert_eq!(n, 100);
    // Unchanged, it runs.
    let _: () = redis::cmd("WATCH").arg("n").query(&mut con).unwrap();
    let (n,): (i64,) = redis::pipe()
        .atomic()
        .cmd("INCR")
        .arg("n")
        .query(&mut con)
        .unwrap();
    assert_eq!(n, 101);
    assert_eq!(
        error_text(redis::cmd("EXEC").query::<()>(&mut con)),
        "ERR EXEC without MULTI"
    );
}

#[test]
fn transactions_are_isolated_from_other_clients() {
    let (_server, addr) = start(ServerConfig::default(), &[]);
    let writers: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let mut con = connect(addr);
                for _ in 0..200 {
                    // Two INCRs in one transaction: nobody sees an odd count.
                    let (a, b): (i64, i64) = redis::pipe()
                        .atomic()
                        .cmd("INCR")
                        .arg("even")
                        .cmd("INCR")
                        .arg("even")
                        .query(&mut con)
                        .unwrap();
                    assert_eq!(b, a + 1);
                    assert_eq!(b % 2, 0);
                }
            })
        })
        .collect();
    let mut reader = connect(addr);
    for _ in 0..200 {
        let n: Option<i64> = redis::cmd("GET").arg("even").query(&mut reader).unwrap();
        assert_eq!(n.unwrap_or(0) % 2, 0);
    }
    for w in writers {
        w.join().unwrap();
    }
    let n: i64 = redis::cmd("GET").arg("even").query(&mut reader).unwrap();
    assert_eq!(n, 1600);
}

#[test]
fn pubsub_delivers_to_waiting_subscribers() {
    let (_server, addr) = start(ServerConfig::default(), &[]);
    let mut sub_con = connect(addr);
    let mut publisher = connect(addr);
    let mut sub = sub_con.as_pubsub();
    sub.subscribe("news").unwrap();
    sub.psubscribe("sport.*").unwrap();
    sub.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let n: i64 = redis::cmd("PUBLISH")
        .arg("news")
        .arg("hello")
        .query(&mut publisher)
        .unwrap();
    assert_eq!(n, 1);
    let msg = sub.get_message().unwrap();
    assert_eq!(msg.get_channel_name(), "news");
    assert_eq!(msg.get_payload::<String>().unwrap(), "hello");
    let n: i64 = redis::cmd("PUBLISH")
        .arg("sport.tennis")
        .arg("ace")
        .query(&mut publisher)
        .unwrap();
    assert_eq!(n, 1);
    let msg = sub.get_message().unwrap();
    assert_eq!(msg.get_channel_name(), "sport.tennis");
    assert_eq!(msg.get_pattern::<String>().unwrap(), "sport.*");
    let numsub: Vec<Value> = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg("news")
        .query(&mut publisher)
        .unwrap();
    assert_eq!(numsub[1], Value::Int(1));
    let channels: Vec<String> = redis::cmd("PUBSUB")
        .arg("CHANNELS")
        .query(&mut publisher)
        .unwrap();
    assert_eq!(channels, ["news"]);
    drop(sub);
    drop(sub_con);
    // A closed subscriber no longer counts.
    for _ in 0..100 {
        let n: i64 = redis::cmd("PUBLISH")
            .arg("news")
            .arg("x")
            .query(&mut publisher)
            .unwrap();
        if n == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let numpat: i64 = redis::cmd("PUBSUB")
        .arg("NUMPAT")
        .query(&mut publisher)
        .unwrap();
    assert_eq!(numpat, 0);

    // RESP2's subscribed mode refuses other commands; RESP3 pushes.
    let (reply, _) = raw(addr, b"SUBSCRIBE c\r\nGET k\r\nPING\r\n");
    assert!(reply.contains("Can't execute 'get'"), "{reply}");
    assert!(reply.ends_with("*2\r\n$4\r\npong\r\n$0\r\n\r\n"), "{reply}");
    let (reply, _) = raw(addr, b"HELLO 3\r\nSUBSCRIBE c\r\nGET k\r\n");
    assert!(
        reply.contains(">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n"),
        "{reply}"
    );
    assert!(reply.ends_with("_\r\n"), "{reply}");
}

/// Whether python3 with the `redis` package is here; CI must have it.
fn redis_py_available() -> bool {
    available(
        "python3",
        &["-c", "import redis"],
        "python3 with redis-py",
        "pip install redis",
    )
}

/// Whether `program args` runs; CI must have it (`.ci/run` installs it with
/// `install`), elsewhere a test without it is skipped with a message.
fn available(program: &str, args: &[&str], what: &str, install: &str) -> bool {
    let found = std::process::Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    if !found && std::env::var_os("CI").is_some() {
        panic!("{what} is not installed: .ci/run installs it ({install})");
    }
    if !found {
        eprintln!("skipped: {what} is not installed ({install})");
    }
    found
}

#[test]
fn redis_py_pipelines_and_pubsub_work() {
    if !redis_py_available() {
        return;
    }
    let (_server, addr) = start(ServerConfig::default(), &[]);
    let script = r#"
import sys, redis
r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]), decode_responses=True)
p = r.pipeline()  # a MULTI/EXEC transaction
p.hset("h", mapping={"a": "1", "b": "2"}).hincrby("h", "a", 5).lpush("l", "x", "y").zadd("z", {"m": 2.5})
p.setnx("k", "v").rename("k", "k2").type("k2").hgetall("h").zrange("z", 0, -1, withscores=True)
assert p.execute() == [2, 6, 2, 1, True, True, "string", {"a": "6", "b": "2"}, [("m", 2.5)]], "pipeline"
with r.pipeline() as p:
    p.watch("k2")
    r.set("k2", "changed")
    p.multi()
    p.get("k2")
    try:
        p.execute()
        raise SystemExit("EXEC ran although a watched key changed")
    except redis.WatchError:
        pass
ps = r.pubsub()
ps.subscribe("ch")
assert ps.get_message(timeout=5)["type"] == "subscribe"
assert r.publish("ch", "hi") == 1
m = ps.get_message(timeout=5)
assert m["type"] == "message" and m["data"] == "hi", m
r3 = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]), decode_responses=True, protocol=3)
assert r3.zscore("z", "m") == 2.5
print("ok")
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, &addr.port().to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("ok"),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether `redis-cli` is here; CI must have it.
fn redis_cli_available() -> bool {
    available(
        "redis-cli",
        &["--version"],
        "redis-cli",
        "apt-get install redis-tools",
    )
}

#[test]
fn redis_cli_drives_the_data_types() {
    if !redis_cli_available() {
        return;
    }
    let (_server, addr) = start(ServerConfig::default(), &[]);
    let cli = |args: &[&str]| -> String {
        let out = std::process::Command::new("redis-cli")
            .args(["-p", &addr.port().to_string()])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(cli(&["HSET", "h", "f", "v"]), "1");
    assert_eq!(cli(&["HGET", "h", "f"]), "v");
    assert_eq!(cli(&["LPUSH", "l", "a", "b"]), "2");
    assert_eq!(cli(&["LRANGE", "l", "0", "-1"]), "b\na");
    assert_eq!(cli(&["SADD", "s", "m"]), "1");
    assert_eq!(cli(&["ZADD", "z", "1", "m"]), "1");
    assert_eq!(cli(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]), "m\n1");
    assert_eq!(cli(&["TYPE", "s"]), "set");
    assert_eq!(cli(&["-n", "2", "SET", "k", "v"]), "OK");
    assert_eq!(cli(&["-n", "2", "DBSIZE"]), "1");
    assert_eq!(cli(&["DBSIZE"]), "4");
}

#[test]
fn hooks_and_custom_commands_run_inside_exec_on_the_sessions_database() {
    let (_server, addr) = start(ServerConfig::default(), &["key_guard"]);
    // before_command refuses inside the transaction; the rest runs; the
    // hooks counted two writes of `a`, in database 5.
    let (reply, _) = raw(
        addr,
        b"SELECT 5\r\nMULTI\r\nSET a 1\r\nSET locked:x 2\r\nSET a 3\r\nGK.STATS a\r\nEXEC\r\n",
    );
    let exec = reply.split("+QUEUED\r\n").last().unwrap();
    assert!(exec.starts_with("*4\r\n+OK\r\n-DENIED"), "{reply}");
    assert!(exec.ends_with("+OK\r\n*2\r\n:2\r\n:0\r\n"), "{reply}");
    let mut con = connect(addr);
    let _: () = redis::cmd("SELECT").arg(5).query(&mut con).unwrap();
    let writes: i64 = fcall(&mut con, "writes", &[b"a"], &[]).unwrap();
    assert_eq!(writes, 2);
    let mut zero = connect(addr);
    let writes: i64 = fcall(&mut zero, "writes", &[b"a"], &[]).unwrap();
    assert_eq!(writes, 0, "database 0 saw none of it");
}

#[test]
fn plugin_disable_and_enable_stop_and_resume_its_functions_and_hooks() {
    let (_server, addr) = start(ServerConfig::default(), &["validate_email", "key_guard"]);
    let mut con = connect(addr);
    let fcall = |con: &mut redis::Connection| {
        redis::cmd("FCALL")
            .arg("validate_email")
            .arg(0)
            .arg("a@b.co")
            .query::<i64>(con)
    };
    assert_eq!(fcall(&mut con).unwrap(), 1);
    for (cmd, name) in [
        ("PLUGIN DISABLE", "validate_email"),
        ("PLUGIN.DISABLE", "key_guard"),
    ] {
        let mut c = redis::Cmd::new();
        for word in cmd.split(' ') {
            c.arg(word);
        }
        let _: () = c.arg(name).query(&mut con).unwrap();
    }
    let e = error_text(fcall(&mut con));
    assert!(
        e.contains("plugin `validate_email` is disabled")
            && e.contains("PLUGIN ENABLE validate_email"),
        "{e}"
    );
    // key_guard's hook no longer refuses a locked key.
    let _: () = redis::cmd("SET")
        .arg("locked:x")
        .arg(1)
        .query(&mut con)
        .unwrap();
    let list: Value = redis::cmd("PLUGIN").arg("LIST").query(&mut con).unwrap();
    let text = format!("{list:?}");
    assert!(
        text.contains("enabled") && text.contains("validate_email"),
        "{text}"
    );
    let e = error_text(
        redis::cmd("PLUGIN")
            .arg("ENABLE")
            .arg("nothing")
            .query::<()>(&mut con),
    );
    assert!(e.contains("no plugin named `nothing`"), "{e}");
    for name in ["validate_email", "key_guard"] {
        let _: () = redis::cmd("PLUGIN")
            .arg("ENABLE")
            .arg(name)
            .query(&mut con)
            .unwrap();
    }
    assert_eq!(fcall(&mut con).unwrap(), 1);
    let e = error_text(
        redis::cmd("SET")
            .arg("locked:y")
            .arg(1)
            .query::<()>(&mut con),
    );
    assert!(e.starts_with("DENIED"), "{e}");
}

#[test]
fn a_disabled_plugin_stays_disabled_across_a_reload() {
    let (server, _addr) = start(ServerConfig::default(), &["validate_email"]);
    assert!(server.set_enabled("validate_email", false));
    assert!(!server.is_enabled("validate_email"));
    // Loading it again (a reload) keeps it disabled.
    server
        .load(
            &component("validate_email"),
            Origin::Loaded,
            true,
            Grant::Declared,
        )
        .unwrap();
    assert!(!server.is_enabled("validate_email"));
    assert!(server.set_enabled("validate_email", true));
    assert!(server.is_enabled("validate_email"));
    assert!(!server.set_enabled("absent", true));
}

/// An integer field of a map reply (a RESP2 flat array or a RESP3 map).
fn field(map: &Value, name: &str) -> i64 {
    let pairs: Vec<(Value, Value)> = match map {
        Value::Map(pairs) => pairs.clone(),
        Value::Array(items) => items
            .chunks(2)
            .map(|kv| (kv[0].clone(), kv[1].clone()))
            .collect(),
        other => panic!("not a map: {other:?}"),
    };
    pairs
        .into_iter()
        .find_map(|(k, v)| match (k, v) {
            (Value::BulkString(k), Value::Int(n)) if k == name.as_bytes() => Some(n),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no integer `{name}` in {map:?}"))
}

/// `WASM.STATS name`.
fn wasm_stats(con: &mut redis::Connection, name: &str) -> Value {
    redis::cmd("WASM.STATS").arg(name).query(con).unwrap()
}

/// A command from words separated by spaces.
fn words(line: &str) -> redis::Cmd {
    let mut cmd = redis::Cmd::new();
    for word in line.split(' ') {
        cmd.arg(word);
    }
    cmd
}

#[test]
fn key_access_is_granted_only_when_the_operator_approves_it() {
    let (server, addr) = start(ServerConfig::default(), &[]);
    let mut con = connect(addr);
    let testbed = component("testbed");
    // FUNCTION LOAD of a plugin that asks for keys: refused, naming the
    // access and the approval; nothing is loaded.
    let e = error_text(
        redis::cmd("FUNCTION")
            .arg("LOAD")
            .arg(&testbed)
            .query::<String>(&mut con),
    );
    assert!(
        e.contains("plugin 'testbed' asks for key access (all keys)")
            && e.contains("approve it with FUNCTION LOAD ALLOW-KEYS"),
        "{e}"
    );
    assert!(server.host().plugin("testbed").is_none());
    let name: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg("ALLOW-KEYS")
        .arg(&testbed)
        .query(&mut con)
        .unwrap();
    assert_eq!(name, "testbed");
    // Both spellings, with REPLACE in either order.
    let name: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg("--allow-keys")
        .arg("REPLACE")
        .arg(&testbed)
        .query(&mut con)
        .unwrap();
    assert_eq!(name, "testbed");
    let e = error_text(
        redis::cmd("FUNCTION")
            .arg("LOAD")
            .arg("ALLOW-ALL")
            .arg(&testbed)
            .query::<String>(&mut con),
    );
    assert!(e.contains("unknown option 'ALLOW-ALL'"), "{e}");
    // A plugin that asks for nothing needs no approval.
    let email = component("validate_email");
    let _: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg(&email)
        .query(&mut con)
        .unwrap();

    // A file loaded without key access that later asks for it is not
    // reloaded: the approval was for what it asked then.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("validate_email.wasm");
    std::fs::write(&path, &email).unwrap();
    let _: String = redis::cmd("WASM.LOAD")
        .arg("validate_email")
        .arg(path.to_str().unwrap())
        .arg("REPLACE")
        .query(&mut con)
        .unwrap();
    let mut asking = email.clone();
    let at = asking
        .windows(12)
        .rposition(|w| w == b"keys = false")
        .expect("the embedded manifest says keys = false");
    asking[at..at + 12].copy_from_slice(b"keys = true ");
    std::fs::write(&path, &asking).unwrap();
    let e = error_text(words("PLUGIN RELOAD validate_email").query::<String>(&mut con));
    assert!(
        e.contains("asks for key access (all keys)") && e.contains("approval"),
        "{e}"
    );
    let v: bool = redis::cmd("FCALL")
        .arg("validate_email")
        .arg(0)
        .arg("a@b.co")
        .query(&mut con)
        .unwrap();
    assert!(v, "the loaded version keeps serving");
    // PLUGIN INFO shows what it was granted.
    let info: Value = words("PLUGIN INFO testbed").query(&mut con).unwrap();
    assert!(format!("{info:?}").contains("all keys"), "{info:?}");
}

#[test]
fn wasm_load_checks_name_replace_and_permissions() {
    let (_server, addr) = start(ServerConfig::default(), &[]);
    let mut con = connect(addr);
    let email = component("validate_email");
    let name: String = redis::cmd("WASM.LOAD")
        .arg("validate_email")
        .arg(&email)
        .query(&mut con)
        .unwrap();
    assert_eq!(name, "validate_email");
    let e = error_text(
        redis::cmd("WASM.LOAD")
            .arg("validate_email")
            .arg(&email)
            .query::<String>(&mut con),
    );
    assert!(
        e.starts_with("ERR") && e.contains("already loaded") && e.contains("REPLACE"),
        "{e}"
    );
    let name: String = redis::cmd("WASM.LOAD")
        .arg("validate_email")
        .arg(&email)
        .arg("replace")
        .query(&mut con)
        .unwrap();
    assert_eq!(name, "validate_email");
    let e = error_text(
        redis::cmd("WASM.LOAD")
            .arg("email")
            .arg(&email)
            .arg("REPLACE")
            .query::<String>(&mut con),
    );
    assert!(
        e.contains("'validate_email'") && e.contains("'email'"),
        "{e}"
    );

    // From a path; testbed asks for `keys`.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("testbed.wasm");
    std::fs::write(&path, component("testbed")).unwrap();
    let path = path.to_str().unwrap();
    let e = error_text(
        redis::cmd("WASM.LOAD")
            .arg("testbed")
            .arg(path)
            .arg("PERMISSIONS")
            .arg("network")
            .query::<String>(&mut con),
    );
    assert!(
        e.contains("needs the permission keys") && e.contains("PERMISSIONS network keys"),
        "{e}"
    );
    let e = error_text(
        redis::cmd("WASM.LOAD")
            .arg("testbed")
            .arg(path)
            .arg("PERMISSIONS")
            .arg("disk")
            .query::<String>(&mut con),
    );
    assert!(
        e.contains("unknown permission 'disk'") && e.contains("keys (or write), network"),
        "{e}"
    );
    let e = error_text(
        redis::cmd("WASM.LOAD")
            .arg("testbed")
            .arg(path)
            .arg("FORCE")
            .query::<String>(&mut con),
    );
    assert!(e.contains("unknown option 'FORCE'"), "{e}");
    let e = error_text(
        redis::cmd("FCALL")
            .arg("add")
            .arg(0)
            .arg(1)
            .arg(2)
            .query::<i64>(&mut con),
    );
    assert!(
        e.contains("Function not found"),
        "refused loads load nothing: {e}"
    );
    let name: String = redis::cmd("WASM.LOAD")
        .arg("testbed")
        .arg(path)
        .arg("PERMISSIONS")
        .arg("keys")
        .query(&mut con)
        .unwrap();
    assert_eq!(name, "testbed");
    let info: Value = redis::cmd("WASM.INFO")
        .arg("testbed")
        .query(&mut con)
        .unwrap();
    assert!(format!("{info:?}").contains("file "), "{info:?}");
    // A file plugin reloads from its file.
    let reloaded: String = words("PLUGIN RELOAD testbed").query(&mut con).unwrap();
    assert_eq!(reloaded, "reloaded testbed 1.0.0");
    // Without PERMISSIONS, nothing is granted: a plugin asking for keys is
    // refused, naming the permission and how to grant it (ADR-013).
    let e = error_text(
        redis::cmd("WASM.LOAD")
            .arg("testbed")
            .arg(path)
            .arg("REPLACE")
            .query::<String>(&mut con),
    );
    assert!(
        e.contains("needs the permission keys") && e.contains("PERMISSIONS keys"),
        "{e}"
    );
    // Ferrite's spelling of it, WRITE, grants it too.
    let _: String = redis::cmd("WASM.LOAD")
        .arg("testbed")
        .arg(path)
        .arg("REPLACE")
        .arg("PERMISSIONS")
        .arg("WRITE")
        .arg("ADMIN")
        .query(&mut con)
        .unwrap();
    let e = error_text(
        redis::cmd("WASM.LOAD")
            .arg("testbed")
            .arg(dir.path().join("none.wasm").to_str().unwrap())
            .query::<String>(&mut con),
    );
    assert!(e.contains("cannot read") && e.contains("none.wasm"), "{e}");
    let e = error_text(
        redis::cmd("WASM.LOAD")
            .arg("testbed")
            .query::<String>(&mut con),
    );
    assert!(
        e.contains("wrong number of arguments for 'wasm.load'"),
        "{e}"
    );
}

#[test]
fn wasm_call_list_info_stats_and_unload() {
    let (_server, addr) = start(ServerConfig::default(), &["testbed", "validate_email"]);
    let mut con = connect(addr);
    let calls = field(&wasm_stats(&mut con, "testbed"), "calls");
    let errors = field(&wasm_stats(&mut con, "testbed"), "errors");
    assert_eq!((calls, errors), (0, 0));
    // Both forms; KEYS / ARGS in any case.
    let sum: i64 = words("WASM.CALL add KEYS 2 ARGS 3")
        .query(&mut con)
        .unwrap();
    assert_eq!(sum, 5);
    let sum: i64 = words("wasm.call add keys 4 args 5")
        .query(&mut con)
        .unwrap();
    assert_eq!(sum, 9);
    let sum: i64 = words("WASM.CALL add 1 2 3").query(&mut con).unwrap();
    assert_eq!(sum, 5);
    let sum: i64 = words("WASM.CALL add 0 2 3").query(&mut con).unwrap();
    assert_eq!(sum, 5);
    let s: String = words("WASM.CALL shout ARGS hi").query(&mut con).unwrap();
    assert_eq!(s, "HI");
    let n: i64 = words("WASM.CALL incr KEYS visits").query(&mut con).unwrap();
    assert_eq!(n, 1);
    let v: String = words("GET visits").query(&mut con).unwrap();
    assert_eq!(v, "1");
    // CALL_RO: the function's write is refused, its read is not.
    let e = error_text(words("WASM.CALL_RO incr KEYS visits").query::<i64>(&mut con));
    assert!(e.contains("read-only"), "{e}");
    let e = error_text(words("WASM.CALL_RO incr 1 visits").query::<i64>(&mut con));
    assert!(e.contains("read-only"), "{e}");
    let v: String = words("WASM.CALL_RO get KEYS visits")
        .query(&mut con)
        .unwrap();
    assert_eq!(v, "1");
    let ok: i64 = words("WASM.CALL validate_email ARGS a@b.co")
        .query(&mut con)
        .unwrap();
    assert_eq!(ok, 1);
    // The FCALL form's own errors, and the word form's.
    let e = error_text(words("WASM.CALL add 3 1 2").query::<i64>(&mut con));
    assert!(e.contains("greater than number of args"), "{e}");
    let e = error_text(words("WASM.CALL add KEYS").query::<i64>(&mut con));
    assert!(e.starts_with("ERR KEYS needs at least one key"), "{e}");
    let e = error_text(words("WASM.CALL add KEYS 1 ARGS").query::<i64>(&mut con));
    assert!(e.starts_with("ERR ARGS needs at least one argument"), "{e}");
    let e = error_text(words("WASM.CALL add WITH 1").query::<i64>(&mut con));
    assert!(e.starts_with("ERR unknown option 'WITH'"), "{e}");
    let e = error_text(redis::cmd("WASM.CALL").query::<i64>(&mut con));
    assert!(
        e.contains("wrong number of arguments for 'wasm.call'"),
        "{e}"
    );

    // testbed ran add ×4, shout, incr, incr (refused, in RO) ×2, get: 9
    // calls, 2 of them failed. Argument errors never reached it.
    let stats = wasm_stats(&mut con, "testbed");
    assert_eq!(field(&stats, "calls"), calls + 9, "{stats:?}");
    assert_eq!(field(&stats, "errors"), errors + 2, "{stats:?}");
    assert!(field(&stats, "total_us") >= field(&stats, "avg_us") * 9);
    assert_eq!(field(&wasm_stats(&mut con, "validate_email"), "calls"), 1);
    let all: Value = redis::cmd("WASM.STATS").query(&mut con).unwrap();
    let Value::Array(all) = all else {
        panic!("{all:?}")
    };
    assert_eq!(all.len(), 2);
    let e = error_text(
        redis::cmd("WASM.STATS")
            .arg("nope")
            .query::<Value>(&mut con),
    );
    assert!(e.contains("no plugin named `nope`"), "{e}");

    let list: Value = redis::cmd("WASM.LIST").query(&mut con).unwrap();
    let text = format!("{list:?}");
    assert!(
        text.contains("testbed") && text.contains("validate_email") && text.contains("enabled"),
        "{text}"
    );
    let info: Value = redis::cmd("WASM.INFO")
        .arg("validate_email")
        .query(&mut con)
        .unwrap();
    let text = format!("{info:?}");
    assert!(
        text.contains("sha256") && text.contains("validate_email(email: string) -> bool"),
        "{text}"
    );
    let e = error_text(redis::cmd("WASM.INFO").arg("nope").query::<Value>(&mut con));
    assert!(e.contains("no plugin named `nope`"), "{e}");

    // A disabled plugin's functions are refused through WASM.CALL too.
    let _: () = words("PLUGIN DISABLE validate_email")
        .query(&mut con)
        .unwrap();
    let e = error_text(words("WASM.CALL validate_email ARGS a@b.co").query::<i64>(&mut con));
    assert!(e.contains("is disabled"), "{e}");
    let _: () = words("PLUGIN ENABLE validate_email")
        .query(&mut con)
        .unwrap();

    let _: () = words("WASM.UNLOAD validate_email").query(&mut con).unwrap();
    let e = error_text(words("WASM.CALL validate_email ARGS a@b.co").query::<i64>(&mut con));
    assert!(e.contains("Function not found"), "{e}");
    let e = error_text(words("WASM.UNLOAD validate_email").query::<()>(&mut con));
    assert!(e.contains("no plugin named `validate_email`"), "{e}");
    let e = error_text(
        redis::cmd("WASM.STATS")
            .arg("validate_email")
            .query::<Value>(&mut con),
    );
    assert!(e.contains("no plugin named"), "{e}");

    // COMMAND knows them.
    let info: Value = words("COMMAND INFO WASM.CALL WASM.LOAD PLUGIN.SEARCH")
        .query(&mut con)
        .unwrap();
    let Value::Array(info) = info else {
        panic!("{info:?}")
    };
    assert!(info.iter().all(|c| *c != Value::Nil), "{info:?}");
    assert!(format!("{:?}", info[0]).contains("movablekeys"), "{info:?}");
}

#[test]
fn wasm_stats_count_commands_and_hooks() {
    let (_server, addr) = start(ServerConfig::default(), &["key_guard"]);
    let mut con = connect(addr);
    let _: () = words("SET a 1").query(&mut con).unwrap();
    let e = error_text(words("SET locked:a 1").query::<()>(&mut con));
    assert!(e.starts_with("DENIED"), "{e}");
    let _: Value = words("GK.STATS a").query(&mut con).unwrap();
    let stats = wasm_stats(&mut con, "key_guard");
    // SET a: guard and track_write; SET locked:a: guard (which aborts, not
    // an error).
    assert_eq!(field(&stats, "hook_calls"), 3, "{stats:?}");
    assert_eq!(field(&stats, "hook_errors"), 0, "{stats:?}");
    assert_eq!(field(&stats, "command_calls"), 1, "{stats:?}");
    assert_eq!(field(&stats, "calls"), 0, "{stats:?}");
}

#[test]
fn plugin_search_and_help() {
    use ferrite_plugin_registry::KeyPair;
    use ferrite_plugin_registry::publish::{Artifact, Options, publish};

    let (_server, addr) = start(ServerConfig::default(), &[]);
    let mut con = connect(addr);
    for search in ["PLUGIN SEARCH", "PLUGIN.SEARCH email"] {
        let e = error_text(words(search).query::<Value>(&mut con));
        assert!(
            e.contains("no registry is configured") && e.contains("--registry"),
            "{e}"
        );
    }
    for help in ["PLUGIN HELP", "PLUGIN.HELP"] {
        let lines: Vec<String> = words(help).query(&mut con).unwrap();
        assert!(lines.iter().any(|l| l.starts_with("LIST")), "{lines:?}");
        assert!(lines.iter().any(|l| l.starts_with("SEARCH")), "{lines:?}");
    }
    let lines: Vec<String> = redis::cmd("WASM.HELP").query(&mut con).unwrap();
    assert!(lines.iter().any(|l| l.starts_with("STATS")), "{lines:?}");

    let registry = tempfile::tempdir().unwrap();
    let key = KeyPair::generate().unwrap();
    for package in ["validate_email", "geo_fence"] {
        let artifact = Artifact::new(component(package), String::new()).unwrap();
        publish(registry.path(), &artifact, &key, &Options::default()).unwrap();
    }
    let config = ServerConfig {
        registry: Some(ferrite_plugin_registry::Source::parse(
            registry.path().to_str().unwrap(),
        )),
        ..ServerConfig::default()
    };
    let (_server, addr) = start(config, &[]);
    let mut con = connect(addr);
    let all: Vec<Value> = words("PLUGIN SEARCH").query(&mut con).unwrap();
    assert_eq!(all.len(), 2, "{all:?}");
    let found: Vec<Value> = words("PLUGIN.SEARCH RFC").query(&mut con).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    let text = format!("{found:?}");
    assert!(
        text.contains("validate_email") && text.contains("1.0.0") && text.contains("RFC 5322"),
        "{text}"
    );
    let found: Vec<Value> = words("PLUGIN SEARCH GEO_").query(&mut con).unwrap();
    assert!(format!("{found:?}").contains("geo_fence"), "{found:?}");
    let none: Vec<Value> = words("PLUGIN SEARCH nothing-like-it")
        .query(&mut con)
        .unwrap();
    assert!(none.is_empty());
}

#[test]
fn redis_cli_loads_and_calls_with_wasm_commands() {
    if !redis_cli_available() {
        return;
    }
    let (_server, addr) = start(ServerConfig::default(), &[]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("validate_email.wasm");
    std::fs::write(&path, component("validate_email")).unwrap();
    let port = addr.port().to_string();
    let out = std::process::Command::new("redis-cli")
        .args(["-p", &port, "-x", "WASM.LOAD", "validate_email"])
        .stdin(std::fs::File::open(&path).unwrap())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "validate_email",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli = |args: &[&str]| -> String {
        let out = std::process::Command::new("redis-cli")
            .args(["-p", &port])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(cli(&["WASM.CALL", "validate_email", "ARGS", "a@b.co"]), "1");
    assert_eq!(cli(&["WASM.CALL", "validate_email", "0", "nope"]), "0");
    assert!(cli(&["WASM.LIST"]).contains("validate_email"));
    assert!(cli(&["WASM.STATS", "validate_email"]).contains("calls\n2"));
    // PLUGIN DISABLE keeps it loaded and stops its calls; ENABLE resumes them.
    assert_eq!(cli(&["PLUGIN", "DISABLE", "validate_email"]), "OK");
    let off = cli(&["WASM.CALL", "validate_email", "ARGS", "a@b.co"]);
    assert!(off.contains("plugin `validate_email` is disabled"), "{off}");
    assert!(cli(&["PLUGIN", "LIST"]).contains("enabled\n0"));
    assert_eq!(cli(&["PLUGIN", "ENABLE", "validate_email"]), "OK");
    assert_eq!(cli(&["FCALL", "validate_email", "0", "a@b.co"]), "1");
    let e = cli(&["PLUGIN", "ENABLE", "nobody"]);
    assert!(e.contains("no plugin named `nobody` is loaded"), "{e}");
}

#[test]
fn a_plugin_reaches_every_data_type_and_redis_cli_sees_it() {
    if !redis_cli_available() {
        return;
    }
    let (_server, addr) = start(ServerConfig::default(), &["testbed"]);
    let cli = |args: &[&str]| -> String {
        let out = std::process::Command::new("redis-cli")
            .args(["-p", &addr.port().to_string()])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    // `visit` writes a hash, a list, a set, a sorted set, and a string
    // through `server::call`, and reads the string's TTL.
    let ttl: u64 = cli(&["FCALL", "visit", "0", "ada", "red", "4.5"])
        .parse()
        .expect("visit returns the TTL in ms");
    assert!((59_000..=60_000).contains(&ttl), "{ttl}");
    cli(&["FCALL", "visit", "0", "ada", "blue", "7"]);
    assert_eq!(cli(&["HGET", "visit:ada", "tag"]), "blue");
    assert_eq!(cli(&["HGET", "visit:ada", "count"]), "2");
    assert_eq!(cli(&["LRANGE", "tags:ada", "0", "-1"]), "red\nblue");
    assert_eq!(cli(&["SMEMBERS", "users"]), "ada");
    assert_eq!(cli(&["ZSCORE", "scores", "ada"]), "7");
    assert_eq!(cli(&["GET", "seen:ada"]), "blue");
    let left: u64 = cli(&["TTL", "seen:ada"]).parse().unwrap();
    assert!((59..=60).contains(&left), "{left}");

    // Any command through `server::call`, reads in a read-only call too...
    assert_eq!(
        cli(&["FCALL_RO", "run", "0", r#"["HGET", "visit:ada", "tag"]"#]),
        r#"Bulk([98, 108, 117, 101])"#
    );
    // ...but a write through `server::call` in FCALL_RO is refused, and
    // nothing is written.
    let refused = cli(&["FCALL_RO", "run", "0", r#"["SET", "k", "v"]"#]);
    assert!(
        refused.contains("SET writes, and this call of plugin `testbed` is read-only"),
        "{refused}"
    );
    assert_eq!(cli(&["EXISTS", "k"]), "0");
    let refused = cli(&["FCALL_RO", "visit", "0", "bob", "red", "1"]);
    assert!(refused.contains("read-only"), "{refused}");
    assert_eq!(cli(&["SISMEMBER", "users", "bob"]), "0");
    // Commands a plugin may never run are refused in any call.
    let refused = cli(&["FCALL", "run", "0", r#"["FLUSHALL"]"#]);
    assert!(
        refused.contains("FLUSHALL may not be run by a plugin"),
        "{refused}"
    );
    assert_eq!(cli(&["DBSIZE"]), "5");
    // A command's own error comes back as the server's text.
    let wrong = cli(&["FCALL", "run", "0", r#"["LPUSH", "visit:ada", "x"]"#]);
    assert!(wrong.contains("WRONGTYPE"), "{wrong}");
}

#[test]
fn custom_events_reach_subscribed_hooks_without_loops() {
    let (_server, addr) = start(ServerConfig::default(), &["testbed"]);
    let mut con = connect(addr);
    let n: i64 = fcall(&mut con, "announce", &[], &[b"tb.ping", b"hello"]).unwrap();
    assert_eq!(n, 1);
    let n: i64 = fcall(&mut con, "announce", &[], &[b"nobody.listens", b"x"]).unwrap();
    assert_eq!(n, 0);
    let pongs: i64 = redis::cmd("GET").arg("pongs").query(&mut con).unwrap();
    assert_eq!(pongs, 1);
    // A subscriber's refusal is the emitter's error.
    let refused = error_text(fcall::<i64>(
        &mut con,
        "announce",
        &[],
        &[b"tb.ping", b"refuse"],
    ));
    assert!(
        refused.contains("hook `pong` of plugin `testbed` refused event `tb.ping`: pong refuses"),
        "{refused}"
    );
    // A hook that emits its own event again ends at the depth limit.
    let looped = error_text(fcall::<i64>(
        &mut con,
        "announce",
        &[],
        &[b"tb.ping", b"loop"],
    ));
    assert!(looped.contains("events nest at most 8 deep"), "{looped}");
    let pongs: i64 = redis::cmd("GET").arg("pongs").query(&mut con).unwrap();
    assert_eq!(pongs, 1 + 1 + 8);
    // Bad names are refused before anything runs, and the server goes on.
    let bad = error_text(fcall::<i64>(
        &mut con,
        "announce",
        &[],
        &[b"no spaces", b"x"],
    ));
    assert!(bad.contains("is not an event name"), "{bad}");
    let n: i64 = fcall(&mut con, "announce", &[], &[b"tb.ping", b"again"]).unwrap();
    assert_eq!(n, 1);
    // A read-only call's subscribers are read-only too.
    let ro = redis::cmd("FCALL_RO")
        .arg("announce")
        .arg(0)
        .arg("tb.ping")
        .arg("ro")
        .query::<i64>(&mut con);
    assert!(error_text(ro).contains("read-only"));
}

#[test]
fn every_host_function_through_fcall_and_redis_cli_reads_what_it_left() {
    if !redis_cli_available() {
        return;
    }
    let (_server, addr) = start(ServerConfig::default(), &["host_api"]);
    let cli = |args: &[&str]| -> String {
        let out = std::process::Command::new("redis-cli")
            .args(["-p", &addr.port().to_string()])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    // Each function checks every result inside the plugin and fails on the
    // first wrong one; what it returns and leaves behind is checked here.
    assert_eq!(cli(&["FCALL", "hashes", "1", "h"]), "a\nc");
    assert_eq!(cli(&["HGETALL", "h"]), "a\n1\nc\n3");
    assert_eq!(cli(&["FCALL", "lists", "1", "l"]), "b\nc\nd");
    assert_eq!(cli(&["LRANGE", "l", "0", "-1"]), "b\nc\nd");
    assert_eq!(cli(&["FCALL", "sets", "1", "s"]), "x\nz");
    assert_eq!(cli(&["SMEMBERS", "s"]), "x\nz");
    assert_eq!(cli(&["FCALL", "zsets", "1", "z"]), "b\nc");
    assert_eq!(
        cli(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
        "b\n2.5\nc\n10"
    );
    let ttl: u64 = cli(&["FCALL", "ttls", "1", "t"]).parse().unwrap();
    assert!((50_000..=60_000).contains(&ttl), "{ttl}");
    let left: i64 = cli(&["TTL", "t"]).parse().unwrap();
    assert!((50..=60).contains(&left), "{left}");
    // server::call and pcall, and what they refuse.
    assert_eq!(
        cli(&["FCALL", "call", "0", r#"["HLEN", "h"]"#]),
        "Integer(2)"
    );
    let e = cli(&["FCALL", "call", "0", r#"["LPUSH", "h", "x"]"#]);
    assert!(e.contains("WRONGTYPE"), "{e}");
    let e = cli(&["FCALL", "pcall", "0", r#"["LPUSH", "h", "x"]"#]);
    assert!(e.starts_with("Error(\"WRONGTYPE"), "{e}");
    let e = cli(&["FCALL_RO", "call", "0", r#"["DEL", "h"]"#]);
    assert!(e.contains("read-only"), "{e}");
    assert_eq!(cli(&["EXISTS", "h"]), "1");
    // Events reach the plugin's own hook.
    assert_eq!(cli(&["FCALL", "emit", "0", "hi"]), "1");
    assert_eq!(cli(&["LRANGE", "heard", "0", "-1"]), "hi");
    // Random numbers from the operating system: two draws differ.
    assert_ne!(
        cli(&["FCALL", "draw", "0", "8"]),
        cli(&["FCALL", "draw", "0", "8"])
    );
}

#[test]
fn server_call_checks_every_key_against_the_plugins_patterns() {
    let server = Server::new(host_config(), ServerConfig::default()).unwrap();
    let testbed = component("testbed");
    let mut manifest = ferrite_plugin_host::embedded_manifest(&testbed)
        .unwrap()
        .unwrap();
    manifest.permissions.keys = KeyScope::read_write(["mine:*"]);
    server
        .host()
        .load(
            &testbed,
            LoadOptions {
                manifest: Some(manifest),
                ..LoadOptions::default()
            },
        )
        .unwrap();
    server
        .keyspace()
        .set(b"other:a", b"secret".to_vec(), None)
        .unwrap();
    let opts = server.call_options(0, false).unwrap();
    let run = |words: &str| {
        let report = server
            .host()
            .call_wave_with("testbed", "run", &[words], &opts);
        let value = report.result.unwrap().unwrap();
        ferrite_plugin_host::wasm_wave::to_string(&value).unwrap()
    };
    assert_eq!(run(r#"["SET", "mine:a", "v"]"#), r#"ok("Ok")"#);
    assert_eq!(run(r#"["GET", "mine:a"]"#), r#"ok("Bulk([118])")"#);
    assert_eq!(
        run(r#"["GET", "other:a"]"#),
        "err(permission-denied(\"plugin `testbed` may not read key `other:a` with GET: its [permissions] keys are `mine:*` (add a pattern that matches it in plugin.toml)\"))"
    );
    let e = run(r#"["SET", "other:a", "x"]"#);
    assert!(e.contains("may not write key `other:a` with SET"), "{e}");
    let e = run(r#"["DEL", "mine:a", "other:a"]"#);
    assert!(e.contains("may not write key `other:a` with DEL"), "{e}");
    for every in [r#"["KEYS", "*"]"#, r#"["SCAN", "0"]"#, r#"["DBSIZE"]"#] {
        let e = run(every);
        assert!(
            e.starts_with("err(permission-denied(\"plugin `testbed` may not run ")
                && e.contains(": it reaches every key of the database"),
            "{every}: {e}"
        );
    }
    assert_eq!(
        server.keyspace().get(b"other:a").unwrap(),
        Some(b"secret".to_vec())
    );
    assert_eq!(
        server.keyspace().get(b"mine:a").unwrap(),
        Some(b"v".to_vec())
    );
}

#[test]
fn function_kill_stops_a_running_call_and_one_worker_serves_others_meanwhile() {
    if !redis_cli_available() {
        return;
    }
    // One worker thread, as `run` has on two cores: the long call must give
    // it up for anyone else to be served.
    let (_server, addr) = start_with_workers(ServerConfig::default(), &["testbed"], 1);
    let port = addr.port().to_string();
    let cli = |args: &[&str]| -> String {
        let out = std::process::Command::new("redis-cli")
            .args(["-p", &port])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(
        cli(&["FUNCTION", "KILL"]),
        "NOTBUSY No scripts in execution right now."
    );
    let mut con = connect(addr);
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut con).unwrap();
    // `spin` never returns; without FUNCTION KILL it would run to its 2 s timeout.
    let started = std::time::Instant::now();
    let spinning = std::thread::spawn(move || {
        let mut con = connect(addr);
        fcall::<i64>(&mut con, "spin", &[], &[b"1"])
    });
    let stats = loop {
        let stats = cli(&["FUNCTION", "STATS"]);
        if stats.contains("spin") {
            break stats;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "never running: {stats}"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    assert!(
        stats.contains("running_script") && stats.contains("duration_ms"),
        "{stats}"
    );
    // Other clients are served while it runs.
    let mut worst = std::time::Duration::ZERO;
    for _ in 0..200 {
        let t = std::time::Instant::now();
        let v: String = redis::cmd("GET").arg("k").query(&mut con).unwrap();
        worst = worst.max(t.elapsed());
        assert_eq!(v, "v");
    }
    eprintln!("worst GET while a call spins: {worst:?}");
    assert!(
        worst < std::time::Duration::from_millis(5),
        "worst GET {worst:?}"
    );
    assert_eq!(cli(&["FUNCTION", "KILL"]), "OK");
    let killed = error_text(spinning.join().unwrap());
    assert!(killed.contains("`spin` was killed"), "{killed}");
    assert!(
        started.elapsed() < std::time::Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        cli(&["FUNCTION", "KILL"]),
        "NOTBUSY No scripts in execution right now."
    );
    let stats = cli(&["FUNCTION", "STATS"]);
    assert!(stats.contains("running_calls\n0"), "{stats}");
    assert_eq!(cli(&["FCALL", "add", "0", "2", "40"]), "42");
}
