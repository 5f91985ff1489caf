//! `cargo ferrite-plugin run` through the real binary, driven by `redis-cli`
//! (Debian's redis-tools; `.ci/run` installs it).

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::*;

/// Whether `redis-cli` is here; CI must have it.
fn redis_cli_available() -> bool {
    let found = Command::new("redis-cli")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found && std::env::var_os("CI").is_some() {
        panic!("redis-cli is not installed: .ci/run installs redis-tools");
    }
    if !found {
        eprintln!("skipped: redis-cli is not installed (apt-get install redis-tools)");
    }
    found
}

/// A running `cargo ferrite-plugin run`, killed on drop.
struct Running {
    child: Child,
    port: u16,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `run` with `args` on an ephemeral port and waits for it to listen.
fn run(args: &[&str], cwd: &Path) -> Running {
    let mut child = cli()
        .args(["ferrite-plugin", "run", "--port", "0"])
        .args(args)
        .current_dir(cwd)
        .env("CARGO_TARGET_DIR", target_dir().join("test-plugins"))
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = String::new();
    let port = loop {
        let Some(Ok(line)) = lines.next() else {
            let _ = child.kill();
            panic!("`run` exited before listening:\n{seen}");
        };
        seen.push_str(&line);
        seen.push('\n');
        if let Some(rest) = line.trim().strip_prefix("Listening on ") {
            let addr = rest.split_whitespace().next().unwrap();
            break addr.rsplit(':').next().unwrap().parse().unwrap();
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Running { child, port }
}

fn redis_cli(port: u16, args: &[&str], stdin: Option<&Path>) -> String {
    let mut cmd = Command::new("redis-cli");
    cmd.args(["-p", &port.to_string()]).args(args);
    if let Some(file) = stdin {
        cmd.stdin(std::fs::File::open(file).unwrap());
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn run_serves_a_plugin_crate_to_redis_cli() {
    if !redis_cli_available() {
        return;
    }
    let plugin = TempPlugin::new(
        "run_greeter",
        CDYLIB,
        &manifest("run_greeter", "\"hello\"", false),
        HELLO,
    );
    let server = run(&[], plugin.dir.path());
    let p = server.port;
    assert_eq!(redis_cli(p, &["PING"], None), "PONG");
    assert_eq!(
        redis_cli(p, &["FCALL", "hello", "0", "redis"], None),
        "hello, redis"
    );
    assert_eq!(redis_cli(p, &["SET", "k", "v"], None), "OK");
    assert_eq!(redis_cli(p, &["GET", "k"], None), "v");
    let e = redis_cli(p, &["FCALL", "hello", "0"], None);
    assert!(e.contains("`hello` takes 1 argument (name: string)"), "{e}");
    let list = redis_cli(p, &["FUNCTION", "LIST"], None);
    assert!(
        list.contains("run_greeter") && list.contains("hello"),
        "{list}"
    );
    // RESP3 through redis-cli.
    let hello = redis_cli(p, &["-3", "HELLO", "3"], None);
    assert!(hello.contains("proto") && hello.contains('3'), "{hello}");
}

#[test]
fn function_load_from_redis_cli_stdin() {
    if !redis_cli_available() {
        return;
    }
    let plugin = TempPlugin::new(
        "run_loaded",
        CDYLIB,
        &manifest("run_loaded", "\"hello\"", false),
        HELLO,
    );
    let out = plugin.build(&["-q"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let empty = tempfile::tempdir().unwrap();
    let server = run(&[], empty.path());
    let p = server.port;
    let wasm = plugin.artifact("run_loaded");
    assert_eq!(
        redis_cli(p, &["-x", "FUNCTION", "LOAD"], Some(&wasm)),
        "run_loaded"
    );
    assert_eq!(
        redis_cli(p, &["FCALL", "hello", "0", "cli"], None),
        "hello, cli"
    );
    let info = redis_cli(p, &["PLUGIN.INFO", "run_loaded"], None);
    assert!(info.contains("FUNCTION LOAD"), "{info}");
    // And `--plugin x.wasm` loads the same component on its own.
    let wasm_arg = wasm.to_str().unwrap();
    let second = run(&["--plugin", wasm_arg], empty.path());
    assert_eq!(
        redis_cli(second.port, &["FCALL", "hello", "0", "file"], None),
        "hello, file"
    );
}

/// One `FCALL hello 0 x` on an open connection: the bulk reply, or the error.
fn fcall_hello(conn: &mut BufReader<std::net::TcpStream>) -> Result<String, String> {
    use std::io::{Read, Write};
    conn.get_mut()
        .write_all(b"*4\r\n$5\r\nFCALL\r\n$5\r\nhello\r\n$1\r\n0\r\n$1\r\nx\r\n")
        .unwrap();
    let mut line = String::new();
    conn.read_line(&mut line).unwrap();
    if let Some(len) = line.strip_prefix('$') {
        let len: usize = len.trim().parse().unwrap();
        let mut body = vec![0; len + 2];
        conn.read_exact(&mut body).unwrap();
        Ok(String::from_utf8_lossy(&body[..len]).into_owned())
    } else {
        Err(line)
    }
}

#[test]
fn watch_rebuilds_and_swaps_without_failing_a_call() {
    let plugin = TempPlugin::new(
        "run_watched",
        CDYLIB,
        &manifest("run_watched", "\"hello\"", false),
        HELLO,
    );
    let server = run(&["--watch"], plugin.dir.path());
    let connect =
        || BufReader::new(std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap());
    let mut conn = connect();
    assert_eq!(fcall_hello(&mut conn).unwrap(), "hello, x");

    // A client calls all through the rebuild and the swap.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let caller = {
        let (stop, mut conn) = (stop.clone(), connect());
        std::thread::spawn(move || {
            let mut answers = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                answers.push(fcall_hello(&mut conn));
            }
            answers
        })
    };
    plugin.write(
        "src/lib.rs",
        &HELLO.replace("hello, {name}", "hi again, {name}"),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    loop {
        let answer = fcall_hello(&mut conn).unwrap();
        if answer == "hi again, x" {
            break;
        }
        assert_eq!(answer, "hello, x");
        assert!(
            std::time::Instant::now() < deadline,
            "no reload within 300 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let answers = caller.join().unwrap();
    assert!(answers.len() > 10, "{}", answers.len());
    for a in &answers {
        let a = a.as_ref().expect("no call fails during the swap");
        assert!(a == "hello, x" || a == "hi again, x", "{a}");
    }
}

#[test]
fn commands_and_hooks_behave_as_written_through_redis_cli() {
    if !redis_cli_available() {
        return;
    }
    let example = workspace().join("examples/key_guard");
    let server = run(&["--plugin", example.to_str().unwrap()], &workspace());
    let p = server.port;
    let refused = redis_cli(p, &["SET", "locked:x", "1"], None);
    assert!(refused.contains("DENIED the key is locked"), "{refused}");
    assert_eq!(redis_cli(p, &["EXISTS", "locked:x"], None), "0");
    assert_eq!(redis_cli(p, &["SET", "a", "1"], None), "OK");
    assert_eq!(redis_cli(p, &["INCR", "a"], None), "2");
    assert_eq!(redis_cli(p, &["GET", "a"], None), "2");
    assert_eq!(redis_cli(p, &["GK.STATS", "a"], None), "2\n1");
    assert_eq!(redis_cli(p, &["FCALL", "writes", "1", "a"], None), "2");
    let arity = redis_cli(p, &["GK.STATS"], None);
    assert!(
        arity.contains("wrong number of arguments for 'gk.stats'"),
        "{arity}"
    );
}

#[test]
fn run_holds_a_plugin_to_its_key_patterns_through_redis_cli() {
    if !redis_cli_available() {
        return;
    }
    let plugin = scoped_plugin("scoped_run");
    let server = run(&[], plugin.dir.path());
    let p = server.port;
    assert_eq!(redis_cli(p, &["SET", "other:a", "secret"], None), "OK");
    assert_eq!(
        redis_cli(p, &["FCALL", "put", "1", "mine:a", "v"], None),
        "OK"
    );
    assert_eq!(redis_cli(p, &["FCALL", "read", "1", "mine:a"], None), "v");
    let e = redis_cli(p, &["FCALL", "read", "1", "other:a"], None);
    assert!(
        e.contains("ERR permission denied: plugin `scoped_run` may not read key `other:a`: its [permissions] keys are `mine:*` (add a pattern that matches it in plugin.toml)"),
        "{e}"
    );
    let e = redis_cli(p, &["FCALL", "put", "1", "other:a", "x"], None);
    assert!(e.contains("may not write key `other:a`"), "{e}");
    let e = redis_cli(p, &["FCALL", "run", "0", r#"["GET", "other:a"]"#], None);
    assert!(e.contains("may not read key `other:a` with GET"), "{e}");
    let e = redis_cli(p, &["FCALL", "run", "0", r#"["KEYS", "*"]"#], None);
    assert!(e.contains("may not run KEYS: it reaches every key"), "{e}");
    assert_eq!(
        redis_cli(p, &["FCALL", "list", "0", "", "10"], None),
        "mine:a"
    );
    // Clients are not plugins: they reach every key.
    assert_eq!(redis_cli(p, &["GET", "other:a"], None), "secret");
}

#[test]
fn a_plugin_command_cannot_replace_a_server_command() {
    let plugin = TempPlugin::new(
        "run_shadow",
        CDYLIB,
        "[plugin]\nname = \"run_shadow\"\nversion = \"1.0.0\"\n\n[exports]\ncommands = [\"GET\"]\n",
        "use ferrite_plugin::prelude::*;\n\
         #[ferrite_plugin::command(name = \"GET\", arity = 2)]\n\
         fn get(_ctx: &CommandContext) -> Result<PluginResponse, PluginError> { Ok(PluginResponse::Null) }\n",
    );
    let out = cli()
        .args(["ferrite-plugin", "run", "--port", "0"])
        .current_dir(plugin.dir.path())
        .env("CARGO_TARGET_DIR", target_dir().join("test-plugins"))
        .output()
        .unwrap();
    assert_error(
        &out,
        &[
            "cannot load",
            "the plugin's command GET would replace the server's own: rename it",
        ],
    );
}

#[test]
fn function_kill_from_redis_cli_ends_a_long_call_while_run_keeps_serving() {
    if !redis_cli_available() {
        return;
    }
    // One worker thread, the default on two cores: while `spin` computes
    // (until its 2 s deadline), everyone else must still be served.
    let testbed = workspace().join("host/tests/testbed");
    let server = run(
        &["--threads", "1", "--plugin", testbed.to_str().unwrap()],
        &workspace(),
    );
    let p = server.port;
    assert_eq!(
        redis_cli(p, &["FUNCTION", "KILL"], None),
        "NOTBUSY No scripts in execution right now."
    );
    assert_eq!(redis_cli(p, &["SET", "k", "v"], None), "OK");
    let started = std::time::Instant::now();
    let spinning = std::thread::spawn(move || {
        let out = Command::new("redis-cli")
            .args(["-p", &p.to_string(), "FCALL", "spin", "0", "1"])
            .output()
            .unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let stats = loop {
        let stats = redis_cli(p, &["FUNCTION", "STATS"], None);
        if stats.contains("spin") {
            break stats;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "never running: {stats}"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    assert!(stats.contains("testbed"), "{stats}");
    // Served meanwhile, by the one worker thread.
    for _ in 0..5 {
        assert_eq!(redis_cli(p, &["GET", "k"], None), "v");
    }
    assert_eq!(redis_cli(p, &["FUNCTION", "KILL"], None), "OK");
    let killed = spinning.join().unwrap();
    assert!(killed.contains("`spin` was killed"), "{killed}");
    assert!(
        started.elapsed() < std::time::Duration::from_millis(1500),
        "the kill came before the deadline: {:?}",
        started.elapsed()
    );
    assert_eq!(
        redis_cli(p, &["FUNCTION", "KILL"], None),
        "NOTBUSY No scripts in execution right now."
    );
    assert_eq!(redis_cli(p, &["FCALL", "add", "0", "2", "40"], None), "42");
    assert_eq!(redis_cli(p, &["PING"], None), "PONG");
}

/// What `run <args>` in `cwd` prints up to its "Listening on" line; then
/// it is stopped.
fn startup(args: &[&str], cwd: &Path) -> String {
    let mut server = cli()
        .args(["ferrite-plugin", "run", "--port", "0"])
        .args(args)
        .current_dir(cwd)
        .env("CARGO_TARGET_DIR", target_dir().join("test-plugins"))
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut seen = String::new();
    for line in BufReader::new(server.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("Listening on") {
            break;
        }
    }
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        seen.contains("Listening on"),
        "`run` did not start:\n{seen}"
    );
    seen
}

#[test]
fn run_grants_a_crate_what_it_declares_and_a_component_only_what_is_approved() {
    let plugin = TempPlugin::new(
        "run_scoped",
        CDYLIB,
        "[plugin]\nname = \"run_scoped\"\nversion = \"1.0.0\"\n\n[exports]\nfunctions = [\"hello\"]\n\n[permissions]\nkeys = [\"mine:*\"]\n",
        HELLO,
    );
    // The author's own crate: what its plugin.toml declares, and it says so.
    let seen = startup(&[], plugin.dir.path());
    assert!(
        seen.contains("Granted run_scoped keys mine:* (declared in its plugin.toml)"),
        "{seen}"
    );

    // Its built component, given as a file: refused unless approved.
    let wasm = plugin.artifact("run_scoped");
    assert!(wasm.exists(), "`run` built `{}`", wasm.display());
    let out = cli()
        .args(["ferrite-plugin", "run", "--port", "0", "--plugin"])
        .arg(&wasm)
        .output()
        .unwrap();
    assert_error(
        &out,
        &[
            "plugin 'run_scoped' asks for key access (keys mine:*)",
            "approve it with `--allow-keys`",
        ],
    );
    let seen = startup(
        &["--allow-keys", "--plugin", wasm.to_str().unwrap()],
        plugin.dir.path(),
    );
    assert!(
        seen.contains("Granted run_scoped keys mine:* (approved with --allow-keys)"),
        "{seen}"
    );
}
