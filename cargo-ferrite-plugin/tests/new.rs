//! `cargo ferrite-plugin new`, through the real binary: every template builds
//! and tests green as generated, and every mistake is refused with the fix.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::*;

fn new(dir: &Path, args: &[&str]) -> Output {
    cli()
        .arg("new")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Runs `cargo ferrite-plugin <args>` in `dir` with the shared test target dir.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    cli()
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir().join("test-plugins"))
        .output()
        .unwrap()
}

#[test]
fn every_template_builds_and_tests_green_as_generated() {
    for template in [
        "function",
        "kv",
        "command",
        "hook",
        "artifact-keeper-format",
        "forgepoint-extension",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let name = format!("fresh_{}", template.replace('-', "_"));
        let out = new(tmp.path(), &[&name, "--template", template]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!(
                "Created plugin `{name}` from the `{template}` template"
            )),
            "{}",
            stderr(&out)
        );
        let dir = tmp.path().join(&name);
        for file in [
            "Cargo.toml",
            "plugin.toml",
            "src/lib.rs",
            ".gitignore",
            "README.md",
        ] {
            let text = std::fs::read_to_string(dir.join(file))
                .unwrap_or_else(|_| panic!("{template}: no {file}"));
            assert!(
                !text.contains("{{"),
                "{template}: unrendered placeholder in {file}:\n{text}"
            );
        }
        let cargo_toml = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let sdk = workspace().join("sdk").display().to_string();
        assert!(
            cargo_toml.contains(&format!("ferrite-plugin = {{ path = {sdk:?} }}")),
            "{cargo_toml}"
        );

        let build = run_in(&dir, &["build", "--release"]);
        assert!(
            build.status.success(),
            "{template}: build failed:\n{}",
            stderr(&build)
        );
        let test = run_in(&dir, &["test"]);
        let so = stdout(&test);
        assert!(
            test.status.success(),
            "{template}: test failed:\n{so}\n{}",
            stderr(&test)
        );
        assert!(so.contains("test result: ok."), "{so}");
        assert!(
            !so.contains(" 0 passed"),
            "{template}: the template has no test:\n{so}"
        );
    }
}

#[test]
fn it_names_the_plugin_after_the_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let out = new(tmp.path(), &["my-plugin"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let manifest = std::fs::read_to_string(tmp.path().join("my-plugin/plugin.toml")).unwrap();
    assert!(manifest.contains("name = \"my_plugin\""), "{manifest}");
    let out = new(tmp.path(), &["other-dir", "--name", "chosen"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let manifest = std::fs::read_to_string(tmp.path().join("other-dir/plugin.toml")).unwrap();
    assert!(manifest.contains("name = \"chosen\""), "{manifest}");
}

#[test]
fn it_refuses_a_non_empty_directory_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("taken");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let out = new(tmp.path(), &["taken"]);
    assert_error(
        &out,
        &["`", "taken` already exists and is not empty", "--force"],
    );
    assert!(
        !dir.join("Cargo.toml").exists(),
        "it wrote into the directory anyway"
    );
    let out = new(tmp.path(), &["taken", "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.join("Cargo.toml").exists());
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "mine",
        "--force kept other files"
    );
}

#[test]
fn it_refuses_invalid_names_and_rust_keywords() {
    let tmp = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (
            &["fn"][..],
            "`fn` cannot be a plugin name: it is a Rust keyword",
        ),
        (&["x", "--name", "std"][..], "`std` cannot be a plugin name"),
        (&["Bad Name"][..], "`Bad Name` is not a valid plugin name"),
        (
            &["x", "--name", "9lives"][..],
            "`9lives` is not a valid plugin name",
        ),
    ] {
        let out = new(tmp.path(), args);
        assert_error(&out, &[needle, "--name"]);
    }
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "a refused name left files behind"
    );
}

#[test]
fn without_arguments_and_without_a_terminal_it_explains_the_arguments() {
    let tmp = tempfile::tempdir().unwrap();
    let out = new(tmp.path(), &[]);
    assert_error(
        &out,
        &[
            "needs a path",
            "cargo ferrite-plugin new <PATH>",
            "--template function|kv|command|hook",
        ],
    );
}

#[test]
fn without_arguments_in_a_terminal_it_asks() {
    // `script` runs the command on a pseudo-terminal, feeding it our input.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("`script` (util-linux) is not installed; skipping the terminal test");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_cargo-ferrite-plugin");
    let mut child = Command::new("script")
        .args(["-qec", &format!("{bin} new"), "/dev/null"])
        .current_dir(tmp.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    // An invalid name first: it says why and asks again.
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(b"Not Valid\nasked\nkv\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Plugin name"), "{text}");
    assert!(text.contains("is not a valid plugin name"), "{text}");
    assert!(text.contains("Template"), "{text}");
    let manifest = std::fs::read_to_string(tmp.path().join("asked/plugin.toml")).unwrap();
    assert!(
        manifest.contains(r#"keys = ["hits:*", "#),
        "the kv template was not used:\n{manifest}"
    );
}

#[test]
fn inside_a_workspace_it_makes_its_own_workspace_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
    let out = new(tmp.path(), &["inner"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is inside the workspace at"),
        "{}",
        stderr(&out)
    );
    let toml = std::fs::read_to_string(tmp.path().join("inner/Cargo.toml")).unwrap();
    assert!(toml.trim_end().ends_with("[workspace]"), "{toml}");
}

#[test]
fn rust_analyzer_resolves_the_sdk_in_a_generated_crate() {
    // `.ci/run` installs rustup's `rust-analyzer` component.
    let Ok(version) = Command::new("rust-analyzer").arg("--version").output() else {
        panic!("rust-analyzer is not installed: run `rustup component add rust-analyzer`");
    };
    assert!(version.status.success());
    let tmp = tempfile::tempdir().unwrap();
    let out = new(tmp.path(), &["ide_probe", "--template", "kv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = tmp.path().join("ide_probe");
    // Name every part of the SDK by path: an unresolved import is an error.
    let mut lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
    lib.push_str(
        "\n#[allow(unused_imports)]\nmod probe {\n    use ferrite_plugin::prelude::{Enum, PluginError, Record, clock, config, kv, log};\n    \
         use ferrite_plugin::{function, test};\n    use ferrite_plugin::kv::{del, exists, expire, get, get_string, incr_by, scan, set, set_with_ttl};\n    \
         use ferrite_plugin::log::{Level, debug, error, info, trace, warn};\n    use ferrite_plugin::config::get as config_get;\n    \
         use ferrite_plugin::clock::now_ms;\n\n    #[derive(Record)]\n    pub struct Point { pub x: f64 }\n\n    #[derive(Enum)]\n    pub enum Unit { Meters }\n\n    \
         #[function]\n    pub fn probe(p: Point, u: Unit) -> Result<u64, PluginError> {\n        let _ = (p.x, u);\n        Ok(now_ms())\n    }\n}\n",
    );
    std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
    let out = Command::new("rust-analyzer")
        .args(["diagnostics", "."])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", target_dir().join("test-plugins"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr).replace('\r', "\n")
        + &String::from_utf8_lossy(&out.stdout);
    let errors: Vec<&str> = text.lines().filter(|l| l.contains(": Error ")).collect();
    assert!(
        errors.is_empty() && out.status.success(),
        "rust-analyzer reports errors:\n{}",
        errors.join("\n")
    );
}
