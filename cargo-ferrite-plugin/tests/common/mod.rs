//! Helpers shared by the CLI's integration tests: the real binary, and plugin
//! crates in temporary directories built into one shared target directory.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod registry;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace().join("target"), PathBuf::from)
}

pub fn cli() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-ferrite-plugin"));
    cmd.env("CARGO_TERM_COLOR", "never");
    cmd
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts a failed run with one `error:` line containing each of `needles`.
pub fn assert_error(out: &Output, needles: &[&str]) {
    let err = stderr(out);
    assert!(
        !out.status.success(),
        "expected failure, got success:\n{err}"
    );
    assert!(!err.contains("thread 'main'"), "the CLI panicked:\n{err}");
    assert!(
        !err.contains("RUST_BACKTRACE"),
        "a backtrace hint leaked:\n{err}"
    );
    let error = err
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_else(|| panic!("no `error:` line in:\n{err}"));
    for needle in needles {
        assert!(err.contains(needle), "`{needle}` not in the error:\n{err}");
    }
    assert!(error.len() > "error: ".len(), "empty error line");
}

/// A plugin crate in a temporary directory, built into a shared target dir.
pub struct TempPlugin {
    pub dir: tempfile::TempDir,
}

impl TempPlugin {
    pub fn new(package: &str, cargo_extra: &str, plugin_toml: &str, lib_rs: &str) -> TempPlugin {
        let dir = tempfile::tempdir().unwrap();
        let sdk = workspace().join("sdk");
        std::fs::write(
            dir.path().join("Cargo.toml"),
            format!(
                "[package]\nname = \"{package}\"\nversion = \"1.0.0\"\nedition = \"2024\"\n\n{cargo_extra}\n\
                 [dependencies]\nferrite-plugin = {{ path = {sdk:?} }}\n\n[workspace]\n"
            ),
        )
        .unwrap();
        std::fs::write(dir.path().join("plugin.toml"), plugin_toml).unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/lib.rs"), lib_rs).unwrap();
        // Start from the workspace's lock file: same dependency versions, no downloads.
        std::fs::copy(
            workspace().join("Cargo.lock"),
            dir.path().join("Cargo.lock"),
        )
        .unwrap();
        TempPlugin { dir }
    }

    pub fn build(&self, extra: &[&str]) -> Output {
        cli()
            .arg("ferrite-plugin")
            .arg("build")
            .args(extra)
            .current_dir(self.dir.path())
            .env("CARGO_TARGET_DIR", target_dir().join("test-plugins"))
            .output()
            .unwrap()
    }

    /// The component a debug `build` writes for plugin `name`.
    pub fn artifact(&self, name: &str) -> PathBuf {
        target_dir()
            .join("test-plugins/ferrite-plugin/debug")
            .join(format!("{name}.wasm"))
    }

    /// The component a `build --release` writes for plugin `name`.
    pub fn release_artifact(&self, name: &str) -> PathBuf {
        target_dir()
            .join("test-plugins/ferrite-plugin")
            .join(format!("{name}.wasm"))
    }
}

pub const CDYLIB: &str = "[lib]\ncrate-type = [\"cdylib\"]\n";

pub fn manifest(name: &str, functions: &str, keys: bool) -> String {
    format!(
        "[plugin]\nname = \"{name}\"\nversion = \"1.0.0\"\n\n[exports]\nfunctions = [{functions}]\n\n[permissions]\nkeys = {keys}\n"
    )
}

pub const HELLO: &str = "#[ferrite_plugin::function]\npub fn hello(name: String) -> String {\n    format!(\"hello, {name}\")\n}\n";

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl TempPlugin {
    /// Runs `cargo ferrite-plugin <args>` in the crate.
    pub fn run(&self, args: &[&str]) -> Output {
        cli()
            .arg("ferrite-plugin")
            .args(args)
            .current_dir(self.dir.path())
            .env("CARGO_TARGET_DIR", target_dir().join("test-plugins"))
            .output()
            .unwrap()
    }

    /// Removes the artifact a previous run may have left for `name`, so that a
    /// test can assert that nothing was written.
    pub fn clear_artifact(&self, name: &str) {
        let _ = std::fs::remove_file(self.artifact(name));
    }

    /// Writes a file in the crate.
    pub fn write(&self, path: &str, contents: &str) {
        let path = self.dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
}

/// `plugin.toml` of a plugin that may read and write only the keys
/// `mine:*`, exporting [`SCOPED`]'s functions.
pub fn scoped_manifest(name: &str) -> String {
    format!(
        "[plugin]\nname = \"{name}\"\nversion = \"1.0.0\"\n\n[exports]\nfunctions = [\"put\", \"read\", \"list\", \"run\"]\n\n[permissions]\nkeys = [\"mine:*\"]\n"
    )
}

/// A plugin to load with [`scoped_manifest`]: `put` and `read` a key, `list`
/// keys (`kv::scan`), `run` a command (`server::call`), and tests that its
/// own keys are reachable and others refused.
pub const SCOPED: &str = r#"use ferrite_plugin::prelude::*;

/// Stores `value` at `key`.
#[ferrite_plugin::function]
pub fn put(key: String, value: String) -> Result<(), PluginError> {
    kv::set(&key, value)
}

/// The value at `key`.
#[ferrite_plugin::function]
pub fn read(key: String) -> Result<Option<String>, PluginError> {
    kv::get_string(&key)
}

/// Up to `limit` keys starting with `prefix`.
#[ferrite_plugin::function]
pub fn list(prefix: String, limit: u32) -> Result<Vec<String>, PluginError> {
    Ok(kv::scan(&prefix, limit)?
        .into_iter()
        .map(|k| String::from_utf8_lossy(&k).into_owned())
        .collect())
}

/// Runs `words` through `server::call`; the reply as text.
#[ferrite_plugin::function]
pub fn run(words: Vec<String>) -> Result<String, PluginError> {
    Ok(format!("{:?}", server::call(&words)?))
}

fn words(line: &str) -> Vec<String> {
    line.split(' ').map(String::from).collect()
}

#[ferrite_plugin::test]
fn reads_and_writes_its_own_keys() {
    assert_eq!(put("mine:a".into(), "1".into()), Ok(()));
    assert_eq!(read("mine:a".into()), Ok(Some("1".into())));
    assert_eq!(run(words("INCR mine:n")), Ok("Integer(1)".into()));
    assert_eq!(run(words("GET mine:a")), Ok("Bulk([49])".into()));
}

#[ferrite_plugin::test]
fn other_keys_are_refused_naming_the_patterns() {
    let Err(PluginError::PermissionDenied(why)) = read("other:a".into()) else {
        panic!("`other:a` was read");
    };
    assert!(why.contains("may not read key `other:a`: its [permissions] keys are `mine:*`"), "{why}");
    let Err(PluginError::PermissionDenied(why)) = put("other:a".into(), "x".into()) else {
        panic!("`other:a` was written");
    };
    assert!(why.contains("may not write key `other:a`"), "{why}");
    let Err(PluginError::PermissionDenied(why)) = run(words("SET other:a x")) else {
        panic!("SET other:a ran");
    };
    assert!(why.contains("may not write key `other:a` with SET"), "{why}");
    let Err(PluginError::PermissionDenied(why)) = run(words("KEYS *")) else {
        panic!("KEYS ran");
    };
    assert!(why.contains("may not run KEYS: it reaches every key"), "{why}");
}

#[ferrite_plugin::test(kv = "fixtures/seed.json")]
fn scan_lists_only_its_own_keys() {
    assert_eq!(list("".into(), 10), Ok(vec!["mine:a".into(), "mine:b".into()]));
    assert_eq!(list("".into(), 1), Ok(vec!["mine:a".into()]));
}
"#;

/// The keyspace seed of [`SCOPED`]'s tests: its own keys among others.
pub const SCOPED_SEED: &str =
    r#"{"a:1": "x", "mine:a": "7", "mine:b": "8", "other:a": "secret", "z:1": "y"}"#;

/// A [`SCOPED`] plugin crate called `name`, with its seed.
pub fn scoped_plugin(name: &str) -> TempPlugin {
    let p = TempPlugin::new(name, CDYLIB, &scoped_manifest(name), SCOPED);
    p.write("fixtures/seed.json", SCOPED_SEED);
    p
}
