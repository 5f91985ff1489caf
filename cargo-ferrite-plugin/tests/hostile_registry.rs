//! A hostile registry: whoever can write its files — but does not hold a
//! plugin's key — tries each attack of TUF's list that fits a static
//! registry, against the real binary's `install` and against `PLUGIN
//! INSTALL` on `cargo ferrite-plugin run`, the registry served over HTTP on
//! 127.0.0.1. Each attack must be refused with an error that says what it
//! looks like, write nothing, and leave the installed plugin as it was.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Mutex, OnceLock};

use common::registry::{Keys, Server, copy_dir, ok, read_json, run, snapshot, write_json};
use common::*;
use ferrite_plugin_registry::KeyPair;
use ferrite_plugin_registry::metadata::{Metadata, Signed};

const NAME: &str = "hr_greeter";

/// The plugin at `version` asking for `keys` (as plugin.toml spells it),
/// built once per variant in release mode.
fn component(version: &str, keys: &str) -> Vec<u8> {
    static CRATE: OnceLock<Mutex<TempPlugin>> = OnceLock::new();
    static BUILT: OnceLock<Mutex<std::collections::HashMap<String, Vec<u8>>>> = OnceLock::new();
    let id = format!("{version} {keys}");
    if let Some(bytes) = BUILT.get_or_init(Default::default).lock().unwrap().get(&id) {
        return bytes.clone();
    }
    let plugin = CRATE
        .get_or_init(|| Mutex::new(TempPlugin::new("hr_greeter_pkg", CDYLIB, "", HELLO)))
        .lock()
        .unwrap();
    plugin.write(
        "plugin.toml",
        &format!(
            "[plugin]\nname = \"{NAME}\"\nversion = \"{version}\"\ndescription = \"Greets\"\n\n[exports]\nfunctions = [\"hello\"]\n\n[permissions]\nkeys = {keys}\n"
        ),
    );
    let out = plugin.build(&["--release", "-q"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let bytes = std::fs::read(plugin.release_artifact(NAME)).unwrap();
    BUILT
        .get()
        .unwrap()
        .lock()
        .unwrap()
        .insert(id, bytes.clone());
    bytes
}

/// Publishes `bytes` into `registry` with `keys`, and `extra` options.
fn publish(registry: &Path, keys: &Keys, bytes: &[u8], extra: &[&str]) -> std::process::Output {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), bytes).unwrap();
    let secret = keys.secret();
    let mut args = vec![
        "publish",
        "--registry",
        registry.to_str().unwrap(),
        "--key",
        secret.to_str().unwrap(),
        "--wasm",
        file.path().to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args, &[])
}

/// `install` of `request` from `url` into `into`, with `extra` options.
fn install(url: &str, request: &str, into: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["install", request, "--registry", url];
    args.extend_from_slice(extra);
    args.push("--into");
    run(&args, &[into])
}

/// The plugin's metadata file in `registry`.
fn metadata_path(registry: &Path) -> std::path::PathBuf {
    registry.join(format!("plugins/{NAME}/metadata.json"))
}

/// Asserts that `install` refuses with an error containing `needles`, and
/// that the install directory is exactly as it was.
fn refused(url: &str, request: &str, into: &Path, extra: &[&str], needles: &[&str]) {
    let before = snapshot(into);
    let out = install(url, request, into, extra);
    assert_error(&out, needles);
    assert_eq!(
        snapshot(into),
        before,
        "a refused install changed the install directory"
    );
}

/// The installed plugin is still `version` and still answers.
fn untouched(into: &Path, version: &str) {
    let record = read_json(&into.join("installed.json"));
    assert_eq!(record["plugins"][NAME]["version"], version);
    let installed = into.join(format!("{NAME}.wasm"));
    assert_eq!(
        common::registry::call_hello(&installed),
        "\"hello, bob\"",
        "the installed plugin no longer answers"
    );
}

/// A registry with the plugin at 1.0.0 and 1.0.1 (no key access), published
/// by `keys`, served over HTTP; and an install directory holding 1.0.0.
struct Setup {
    keys: Keys,
    registry: tempfile::TempDir,
    server: Server,
    into: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let keys = Keys::new();
        let registry = tempfile::tempdir().unwrap();
        for v in ["1.0.0", "1.0.1"] {
            ok(publish(registry.path(), &keys, &component(v, "false"), &[]));
        }
        let server = Server::start(registry.path());
        let into = tempfile::tempdir().unwrap();
        ok(install(
            &server.url(),
            &format!("{NAME}@1.0.0"),
            into.path(),
            &[],
        ));
        Setup {
            keys,
            registry,
            server,
            into,
        }
    }

    fn url(&self) -> String {
        self.server.url()
    }

    fn dir(&self) -> &Path {
        self.registry.path()
    }
}

/// The attacker's metadata: the current one's content, edited, signed by
/// `key` (not the plugin's), with a higher version.
fn forge(registry: &Path, key: &KeyPair, edit: impl FnOnce(&mut Metadata)) {
    let path = metadata_path(registry);
    let mut md = Signed::parse("r", NAME, &std::fs::read(&path).unwrap())
        .unwrap()
        .signed;
    let public = key.public();
    md.key_id = public.id;
    md.public_key = public.public_key;
    md.version += 10;
    edit(&mut md);
    std::fs::write(&path, Signed::sign(md, key).to_bytes()).unwrap();
}

/// Adds `keys`' public key to the registry's keys.json, as an attacker who
/// can write the registry would.
fn list_key(registry: &Path, keys: &Keys) {
    let path = registry.join("keys.json");
    let mut k = read_json(&path);
    let public = read_json(&keys.public());
    k["keys"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"id": public["id"], "public_key": public["public_key"], "added_at": "2026-12-06T00:00:00Z"}));
    write_json(&path, &k);
}

#[test]
fn a_key_swap_is_refused_unless_the_old_key_signed_a_rotation() {
    let s = Setup::new();
    let attacker = Keys::new();
    // A server that installed the plugin before the attack.
    let server = RunningServer::start(&s.url(), s.into.path());
    assert_eq!(
        server.command(&["PLUGIN", "INSTALL", &format!("{NAME}@1.0.0")]),
        format!("+installed {NAME} 1.0.0")
    );
    // The operator's own list of keys: only it is trusted.
    let trusted = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        trusted.path(),
        format!("[{}]", std::fs::read_to_string(s.keys.public()).unwrap()),
    )
    .unwrap();
    let listed = tempfile::tempdir().unwrap();
    ok(install(
        &s.url(),
        &format!("{NAME}@1.0.0"),
        listed.path(),
        &["--trusted-keys", trusted.path().to_str().unwrap()],
    ));
    // The registry's own tool refuses a publish by another key.
    let before = snapshot(s.dir());
    let out = publish(s.dir(), &attacker, &component("1.0.2", "false"), &[]);
    assert_error(&out, &["belongs to key", &s.keys.id(), "keygen --rotate"]);
    assert_eq!(snapshot(s.dir()), before, "a refused publish wrote");

    // So the attacker writes the files: a new version signed by their key,
    // metadata signed by their key, their key listed in keys.json.
    let evil = component("1.0.2", "false");
    let attacker_key = KeyPair::load(&attacker.secret()).unwrap();
    let dir = s.dir().join(format!("plugins/{NAME}/1.0.2"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{NAME}.wasm")), &evil).unwrap();
    let manifest = ferrite_plugin_host::embedded_manifest(&evil)
        .unwrap()
        .unwrap()
        .to_toml();
    std::fs::write(dir.join("plugin.toml"), &manifest).unwrap();
    let (sha, msha) = (
        ferrite_plugin_registry::sign::sha256(&evil),
        ferrite_plugin_registry::sign::sha256(manifest.as_bytes()),
    );
    forge(s.dir(), &attacker_key, |md| {
        let mut entry = md.versions.values().next_back().unwrap().clone();
        entry.sha256 = sha.clone();
        entry.size = evil.len() as u64;
        entry.manifest_sha256 = msha.clone();
        entry.key_id = attacker_key.id();
        let v = semver::Version::new(1, 0, 2);
        entry.signature = attacker_key.sign(&ferrite_plugin_registry::sign::message(
            NAME, &v, &sha, &msha,
        ));
        md.versions.insert(v, entry);
    });
    list_key(s.dir(), &attacker);

    // The installed plugin is pinned to the maintainer's key.
    refused(
        &s.url(),
        NAME,
        s.into.path(),
        &[],
        &[
            "refusing",
            &attacker.id(),
            &format!("pinned to key `{}`", s.keys.id()),
            "key swap",
        ],
    );
    untouched(s.into.path(), "1.0.0");
    // A first install that trusts only the operator's list refuses it too;
    // trusting keys.json, a first install cannot tell (trust on first use).
    let fresh = tempfile::tempdir().unwrap();
    refused(
        &s.url(),
        NAME,
        fresh.path(),
        &["--trusted-keys", trusted.path().to_str().unwrap()],
        &[&attacker.id(), "`--trusted-keys` does not list"],
    );

    // PLUGIN INSTALL on the server refuses it as well, and keeps serving
    // the version it has.
    let reply = server.command(&["PLUGIN", "INSTALL", NAME]);
    assert!(
        reply.starts_with("-ERR") && reply.contains("key swap"),
        "{reply}"
    );
    assert_eq!(
        server.command(&["FCALL", "hello", "0", "bob"]),
        "$10",
        "the installed version no longer answers"
    );
}

#[test]
fn a_rotation_signed_by_the_old_key_moves_the_pin() {
    let s = Setup::new();
    // The maintainer rotates: the old key signs the hand-over.
    let old = s.keys.id();
    let text = ok(run(&["keygen", "--rotate", "--out"], &[s.keys.dir.path()]));
    assert!(text.contains("Rotated"), "{text}");
    let new = read_json(&s.keys.public())["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(old, new);
    let text = ok(publish(s.dir(), &s.keys, &component("1.0.2", "false"), &[]));
    assert!(
        text.contains(&format!("from key `{old}` to `{new}`")),
        "{text}"
    );
    let text = ok(install(&s.url(), NAME, s.into.path(), &[]));
    assert!(
        text.contains("v1.0.2") && text.contains("pinned to the new key"),
        "{text}"
    );
    let record = read_json(&s.into.path().join("installed.json"));
    assert_eq!(record["plugins"][NAME]["key_id"], new.as_str());
    // Now the old key may no longer publish the plugin.
    let old_keys = tempfile::tempdir().unwrap();
    std::fs::copy(
        s.keys.dir.path().join(format!("ferrite-plugin.{old}.key")),
        old_keys.path().join("ferrite-plugin.key"),
    )
    .unwrap();
    let out = run(
        &[
            "publish",
            "--registry",
            s.dir().to_str().unwrap(),
            "--key",
            old_keys.path().join("ferrite-plugin.key").to_str().unwrap(),
            "--wasm",
        ],
        &[{
            let f = s.dir().join("evil.wasm");
            std::fs::write(&f, component("1.0.3", "false")).unwrap();
            f
        }
        .as_path()],
    );
    assert_error(&out, &["belongs to key", &new]);
}

#[test]
fn a_rollback_to_an_older_copy_is_refused() {
    let s = Setup::new();
    let old_copy = tempfile::tempdir().unwrap();
    copy_dir(s.dir(), old_copy.path());
    // 1.0.1 turns out bad: the maintainer yanks it and publishes 1.0.2.
    let secret = s.keys.secret();
    let reg = s.dir().to_str().unwrap();
    ok(run(
        &[
            "yank",
            &format!("{NAME}@1.0.1"),
            "--registry",
            reg,
            "--key",
            secret.to_str().unwrap(),
        ],
        &[],
    ));
    ok(publish(s.dir(), &s.keys, &component("1.0.2", "false"), &[]));
    ok(install(&s.url(), NAME, s.into.path(), &[]));
    untouched(s.into.path(), "1.0.2");

    // The attacker serves the old copy again, validly signed, where 1.0.1
    // is the newest and not yanked: the downgrade to a yanked version.
    std::fs::remove_dir_all(s.dir()).unwrap();
    copy_dir(old_copy.path(), s.dir());
    refused(
        &s.url(),
        NAME,
        s.into.path(),
        &[],
        &["refusing", "older than version", "rollback"],
    );
    refused(
        &s.url(),
        &format!("{NAME}@1.0.1"),
        s.into.path(),
        &[],
        &["rollback"],
    );
    untouched(s.into.path(), "1.0.2");

    // `info` remembers what it saw, too.
    let config = tempfile::tempdir().unwrap();
    let info = |url: &str| {
        cli()
            .args(["ferrite-plugin", "info", NAME, "--registry", url])
            .env("XDG_CONFIG_HOME", config.path())
            .output()
            .unwrap()
    };
    std::fs::remove_dir_all(s.dir()).unwrap();
    let newer = tempfile::tempdir().unwrap();
    // (Rebuild the newer registry: the old copy plus the yank and 1.0.2.)
    copy_dir(old_copy.path(), newer.path());
    ok(run(
        &[
            "yank",
            &format!("{NAME}@1.0.1"),
            "--registry",
            newer.path().to_str().unwrap(),
            "--key",
            secret.to_str().unwrap(),
        ],
        &[],
    ));
    copy_dir(newer.path(), s.dir());
    let shown = info(&s.url());
    assert!(shown.status.success(), "{}", stderr(&shown));
    assert!(String::from_utf8_lossy(&shown.stdout).contains("1.0.1 (yanked)"));
    std::fs::remove_dir_all(s.dir()).unwrap();
    copy_dir(old_copy.path(), s.dir());
    assert_error(&info(&s.url()), &["rollback"]);
}

#[test]
fn a_frozen_registry_is_refused_once_its_metadata_expires() {
    let keys = Keys::new();
    let registry = tempfile::tempdir().unwrap();
    // Metadata valid for no time at all: what a copy frozen long enough looks like.
    ok(publish(
        registry.path(),
        &keys,
        &component("1.0.0", "false"),
        &["--expires-in", "0"],
    ));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let server = Server::start(registry.path());
    let into = tempfile::tempdir().unwrap();
    refused(
        &server.url(),
        NAME,
        into.path(),
        &[],
        &["expired on", "freeze", "refresh"],
    );
    assert!(snapshot(into.path()).is_empty());
    // Its maintainer refreshes it; then it installs.
    let text = ok(run(
        &[
            "refresh",
            NAME,
            "--registry",
            registry.path().to_str().unwrap(),
            "--key",
            keys.secret().to_str().unwrap(),
        ],
        &[],
    ));
    assert!(
        text.contains("Refreshed") && text.contains("metadata version 2"),
        "{text}"
    );
    ok(install(&server.url(), NAME, into.path(), &[]));
}

#[test]
fn forged_yanks_and_unyanks_are_refused() {
    let s = Setup::new();
    let pristine = tempfile::tempdir().unwrap();
    copy_dir(s.dir(), pristine.path());
    for (version, yanked) in [("1.0.1", true), ("1.0.0", true)] {
        // The attacker flips `yanked` in the metadata and the catalog.
        let path = metadata_path(s.dir());
        let mut md = read_json(&path);
        md["signed"]["versions"][version]["yanked"] = yanked.into();
        write_json(&path, &md);
        let index_path = s.dir().join("registry.json");
        let mut index = read_json(&index_path);
        index["plugins"][NAME]["versions"][version]["yanked"] = yanked.into();
        write_json(&index_path, &index);
        refused(
            &s.url(),
            NAME,
            s.into.path(),
            &[],
            &["signature on its metadata", "does not verify"],
        );
        untouched(s.into.path(), "1.0.0");
        std::fs::remove_dir_all(s.dir()).unwrap();
        copy_dir(pristine.path(), s.dir());
    }
    // A real yank by the plugin's key, then a forged unyank.
    ok(run(
        &[
            "yank",
            &format!("{NAME}@1.0.1"),
            "--registry",
            s.dir().to_str().unwrap(),
            "--key",
            s.keys.secret().to_str().unwrap(),
        ],
        &[],
    ));
    let path = metadata_path(s.dir());
    let mut md = read_json(&path);
    md["signed"]["versions"]["1.0.1"]["yanked"] = false.into();
    write_json(&path, &md);
    refused(&s.url(), NAME, s.into.path(), &[], &["does not verify"]);
    untouched(s.into.path(), "1.0.0");
}

#[test]
fn mixed_and_matched_artifacts_are_refused() {
    let s = Setup::new();
    let v100 = s.dir().join(format!("plugins/{NAME}/1.0.0"));
    let v101 = s.dir().join(format!("plugins/{NAME}/1.0.1"));
    // 1.0.1's files replaced by 1.0.0's: valid, signed artifacts of
    // another version.
    for file in [format!("{NAME}.wasm"), "plugin.toml".to_string()] {
        std::fs::copy(v100.join(&file), v101.join(&file)).unwrap();
    }
    refused(
        &s.url(),
        NAME,
        s.into.path(),
        &[],
        &["refusing", "1.0.1", "another plugin's or version's"],
    );
    // Another plugin's component, signed by the same maintainer, in its place.
    let other = TempPlugin::new(
        "hr_other_pkg",
        CDYLIB,
        "[plugin]\nname = \"hr_other\"\nversion = \"1.0.1\"\n\n[exports]\nfunctions = [\"hello\"]\n",
        HELLO,
    );
    let built = other.build(&["--release", "-q"]);
    assert!(built.status.success(), "{}", stderr(&built));
    let other_bytes = std::fs::read(other.release_artifact("hr_other")).unwrap();
    ok(publish(s.dir(), &s.keys, &other_bytes, &[]));
    std::fs::copy(
        s.dir().join("plugins/hr_other/1.0.1/hr_other.wasm"),
        v101.join(format!("{NAME}.wasm")),
    )
    .unwrap();
    refused(&s.url(), NAME, s.into.path(), &[], &["refusing", "1.0.1"]);
    untouched(s.into.path(), "1.0.0");
}

#[test]
fn an_update_asking_for_keys_needs_a_new_approval() {
    let s = Setup::new();
    // 1.1.0 asks for key access: a permission escalation.
    let out = publish(s.dir(), &s.keys, &component("1.1.0", "[\"greet:*\"]"), &[]);
    assert_error(
        &out,
        &[
            "asks for key access (keys greet:*)",
            "--allow-wider-permissions",
        ],
    );
    ok(publish(
        s.dir(),
        &s.keys,
        &component("1.1.0", "[\"greet:*\"]"),
        &["--allow-wider-permissions"],
    ));
    refused(
        &s.url(),
        NAME,
        s.into.path(),
        &[],
        &[
            "refusing",
            "1.1.0",
            "key access (keys greet:*)",
            "not approved",
            &format!("cargo ferrite-plugin install {NAME} --allow-keys"),
        ],
    );
    untouched(s.into.path(), "1.0.0");
    // The same through PLUGIN INSTALL, in both spellings of the approval.
    let server = RunningServer::start(&s.url(), s.into.path());
    let reply = server.command(&["PLUGIN", "INSTALL", NAME]);
    assert!(
        reply.starts_with("-ERR")
            && reply.contains("not approved")
            && reply.contains(&format!("PLUGIN INSTALL {NAME} ALLOW-KEYS")),
        "{reply}"
    );
    assert_eq!(
        server.command(&["PLUGIN.INSTALL", NAME, "--allow-keys"]),
        format!("+installed {NAME} 1.1.0")
    );

    // Approved, it installs, recording what was approved.
    let text = ok(install(&s.url(), NAME, s.into.path(), &["--allow-keys"]));
    assert!(text.contains("approved key access: keys greet:*"), "{text}");
    let record = read_json(&s.into.path().join("installed.json"));
    assert_eq!(
        record["plugins"][NAME]["keys"],
        serde_json::json!(["greet:*"])
    );

    // A widened scope in the next update is refused again...
    ok(publish(
        s.dir(),
        &s.keys,
        &component("1.2.0", "[\"greet:*\", \"admin:*\"]"),
        &["--allow-wider-permissions"],
    ));
    refused(
        &s.url(),
        NAME,
        s.into.path(),
        &[],
        &[
            "keys greet:*, admin:*, wider than the keys greet:* granted before",
            "--allow-keys",
        ],
    );
    untouched(s.into.path(), "1.1.0");
    // ...while one that asks for no more needs no new approval.
    ok(publish(
        s.dir(),
        &s.keys,
        &component("1.1.1", "[\"greet:*\"]"),
        &[],
    ));
    let text = ok(install(
        &s.url(),
        &format!("{NAME}@~1.1"),
        s.into.path(),
        &[],
    ));
    assert!(text.contains("v1.1.1"), "{text}");
    // A first install needs the approval too.
    let fresh = tempfile::tempdir().unwrap();
    refused(
        &s.url(),
        &format!("{NAME}@1.1.1"),
        fresh.path(),
        &[],
        &["key access (keys greet:*)", "--allow-keys"],
    );
}

/// `cargo ferrite-plugin run --registry URL` on an ephemeral port, killed
/// on drop.
struct RunningServer {
    child: Child,
    port: u16,
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl RunningServer {
    fn start(registry: &str, cwd: &Path) -> RunningServer {
        let mut child = cli()
            .args([
                "ferrite-plugin",
                "run",
                "--port",
                "0",
                "--registry",
                registry,
            ])
            .current_dir(cwd)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let port = loop {
            let Some(Ok(line)) = lines.next() else {
                let _ = child.kill();
                panic!("`run` exited before listening");
            };
            if let Some(rest) = line.trim().strip_prefix("Listening on ") {
                let addr = rest.split_whitespace().next().unwrap();
                break addr.rsplit(':').next().unwrap().parse().unwrap();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        RunningServer { child, port }
    }

    /// Sends one command; its reply's first line (a simple or error reply).
    fn command(&self, words: &[&str]) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let mut request = format!("*{}\r\n", words.len());
        for w in words {
            request.push_str(&format!("${}\r\n{w}\r\n", w.len()));
        }
        stream.write_all(request.as_bytes()).unwrap();
        let mut reply = Vec::new();
        let mut byte = [0u8];
        while !reply.ends_with(b"\r\n") {
            if stream.read(&mut byte).unwrap() == 0 {
                break;
            }
            reply.push(byte[0]);
        }
        String::from_utf8_lossy(&reply).trim_end().to_string()
    }
}
