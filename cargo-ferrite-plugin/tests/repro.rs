//! Reproducible builds and verifiable publishing: two clones of the project
//! at different paths, with different target directories and cargo homes,
//! build a plugin into byte-identical components; a version published from a
//! clean git checkout records its source and toolchain, `verify` rebuilds it
//! from another clone and passes, fails naming the difference after a
//! one-line change, and `--record` signs a verification `info` shows.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::registry::{Keys, ok};
use common::{CDYLIB, assert_error, cli, stderr, stdout, target_dir, workspace};

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.org")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.org")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
}

/// The cargo home this machine builds with.
fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"),
        PathBuf::from,
    )
}

/// A cargo home elsewhere that shares this one's downloaded crates (so no
/// network is needed), as a machine with its cargo home at another path.
fn other_cargo_home(at: &Path) -> PathBuf {
    let home = at.join("elsewhere/cargo-home");
    std::fs::create_dir_all(&home).unwrap();
    std::os::unix::fs::symlink(cargo_home().join("registry"), home.join("registry")).unwrap();
    if cargo_home().join("git").exists() {
        std::os::unix::fs::symlink(cargo_home().join("git"), home.join("git")).unwrap();
    }
    home
}

/// `cargo ferrite-plugin build --release` of the crate in `dir`.
fn build_release(dir: &Path, target: &Path, home: Option<&Path>) -> Output {
    let mut cmd = cli();
    cmd.args(["ferrite-plugin", "build", "--release"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target);
    if let Some(home) = home {
        cmd.env("CARGO_HOME", home).env("CARGO_NET_OFFLINE", "true");
    }
    cmd.output().unwrap()
}

#[test]
fn two_clones_at_different_paths_build_byte_identical_components() {
    let scratch = tempfile::tempdir().unwrap();
    let a = scratch.path().join("a/ferrite-plugin-sdk");
    let b = scratch.path().join("somewhere/much/deeper/fp");
    for clone in [&a, &b] {
        std::fs::create_dir_all(clone.parent().unwrap()).unwrap();
        git(
            scratch.path(),
            &[
                "clone",
                "-q",
                "--no-hardlinks",
                workspace().to_str().unwrap(),
                clone.to_str().unwrap(),
            ],
        );
    }
    // Each clone its own target directory; the second its own cargo home.
    let target = target_dir().join("test-repro");
    let (ta, tb) = (target.join("a"), target.join("b/other"));
    let home = other_cargo_home(scratch.path());
    let example = "examples/ak_npm_format";
    let out = build_release(&a.join(example), &ta, None);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = build_release(&b.join(example), &tb, Some(&home));
    assert!(out.status.success(), "{}", stderr(&out));

    let one = std::fs::read(ta.join("ferrite-plugin/ak_npm_format.wasm")).unwrap();
    let two = std::fs::read(tb.join("ferrite-plugin/ak_npm_format.wasm")).unwrap();
    assert!(
        one == two,
        "the clones' components differ: {}",
        ferrite_plugin_build::repro::first_difference(&one, &two)
    );
    // No path of either machine is in it.
    for path in [&a, &b, &ta, &tb, &home, &cargo_home()] {
        let path = path.to_str().unwrap().as_bytes();
        assert!(
            !one.windows(path.len()).any(|w| w == path),
            "`{}` is in the component",
            String::from_utf8_lossy(path)
        );
    }
    // And it says what built it.
    let toolchain = ferrite_plugin_build::repro::Toolchain::of(&one).expect("a toolchain section");
    assert!(
        toolchain.0["rustc"].starts_with("rustc 1."),
        "{toolchain:?}"
    );
    assert_eq!(toolchain.0["target"], "wasm32-unknown-unknown");
    assert_eq!(toolchain.0["profile"], "release");
}

const LIB: &str = r#"use ferrite_plugin::prelude::*;

/// Greets `name`.
#[ferrite_plugin::function]
pub fn hello(name: String) -> String {
    format!("hello, {name}")
}
"#;

#[test]
fn verify_rebuilds_a_published_version_and_names_a_difference() {
    let scratch = tempfile::tempdir().unwrap();
    // The plugin's repository: a crate in a folder of it, committed.
    let repo = scratch.path().join("origin");
    let krate = repo.join("plugins/greeter");
    std::fs::create_dir_all(krate.join("src")).unwrap();
    let sdk = workspace().join("sdk");
    std::fs::write(
        krate.join("Cargo.toml"),
        format!(
            "[package]\nname = \"repro_greeter\"\nversion = \"1.0.0\"\nedition = \"2024\"\n\n{CDYLIB}\n\
             [dependencies]\nferrite-plugin = {{ path = {sdk:?} }}\n\n[workspace]\n"
        ),
    )
    .unwrap();
    std::fs::write(
        krate.join("plugin.toml"),
        "[plugin]\nname = \"repro_greeter\"\nversion = \"1.0.0\"\ndescription = \"Greets\"\n\n[exports]\nfunctions = [\"hello\"]\n",
    )
    .unwrap();
    std::fs::write(krate.join("src/lib.rs"), LIB).unwrap();
    std::fs::copy(workspace().join("Cargo.lock"), krate.join("Cargo.lock")).unwrap();
    std::fs::write(repo.join(".gitignore"), "target/\n").unwrap();
    git(&repo, &["init", "-q"]);
    // The lock file as a build leaves it, then the commit.
    let target = target_dir().join("test-repro/verify");
    let out = build_release(&krate, &target, None);
    assert!(out.status.success(), "{}", stderr(&out));
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "greeter"]);

    let keys = Keys::new();
    let registry = scratch.path().join("registry");
    std::fs::create_dir(&registry).unwrap();
    let run = |dir: &Path, args: &[&str], target: &Path| {
        cli()
            .arg("ferrite-plugin")
            .args(args)
            .current_dir(dir)
            .env_remove("FERRITE_PLUGIN_REGISTRY")
            .env("CARGO_TARGET_DIR", target)
            .output()
            .unwrap()
    };
    let reg = registry.to_str().unwrap();
    let out = run(
        &krate,
        &[
            "publish",
            "--registry",
            reg,
            "--key",
            keys.secret().to_str().unwrap(),
        ],
        &target,
    );
    let text = ok(out);
    assert!(text.contains("Published repro_greeter v1.0.0"), "{text}");

    // The signed metadata says where it came from.
    let meta: serde_json::Value = serde_json::from_slice(
        &std::fs::read(registry.join("plugins/repro_greeter/metadata.json")).unwrap(),
    )
    .unwrap();
    let provenance = &meta["signed"]["versions"]["1.0.0"]["provenance"];
    assert_eq!(provenance["package"], "repro_greeter");
    assert_eq!(provenance["path"], "plugins/greeter");
    assert_eq!(provenance["git_commit"].as_str().unwrap().len(), 40);
    assert_eq!(provenance["cargo_lock_sha256"].as_str().unwrap().len(), 64);
    assert!(
        provenance["toolchain"]["rustc"]
            .as_str()
            .unwrap()
            .starts_with("rustc 1."),
        "{provenance}"
    );

    // A reviewer's clone, elsewhere, with its own target directory.
    let review = scratch.path().join("reviewer/checkout");
    std::fs::create_dir_all(review.parent().unwrap()).unwrap();
    git(
        scratch.path(),
        &[
            "clone",
            "-q",
            repo.to_str().unwrap(),
            review.to_str().unwrap(),
        ],
    );
    let theirs = target_dir().join("test-repro/reviewer");
    let public = keys.public();
    let trust = ["--trust", public.to_str().unwrap()];
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "verify",
            "repro_greeter@1.0.0",
            "--source",
            review.to_str().unwrap(),
            "--registry",
            reg,
        ];
        args.extend_from_slice(&trust);
        args.extend_from_slice(extra);
        run(scratch.path(), &args, &theirs)
    };

    // Nothing recorded yet.
    let info = |dir: &Path| {
        let out = run(
            dir,
            &[
                "info",
                "repro_greeter",
                "--registry",
                reg,
                "--trust",
                trust[1],
            ],
            &theirs,
        );
        ok(out)
    };
    let before = info(scratch.path());
    assert!(before.contains("verified:  not yet"), "{before}");
    assert!(before.contains("plugins/greeter"), "{before}");

    // The untouched source verifies, and a verification is recorded.
    let verifier = Keys::new();
    let out = verify(&["--record", "--key", verifier.secret().to_str().unwrap()]);
    let text = ok(out);
    assert!(
        text.contains("Verified repro_greeter v1.0.0: the rebuild from"),
        "{text}"
    );
    assert!(
        text.contains("byte for byte the published component"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "Recorded the verification by key `{}`",
            verifier.id()
        )),
        "{text}"
    );
    let after = info(scratch.path());
    assert!(
        after.contains(&format!("verified:  by key `{}`", verifier.id())),
        "{after}"
    );

    // One line changed: the rebuild differs, and verify says where.
    let lib = review.join("plugins/greeter/src/lib.rs");
    std::fs::write(
        &lib,
        LIB.replace("format!(\"hello, {name}\")", "format!(\"hi, {name}\")"),
    )
    .unwrap();
    let out = verify(&[]);
    assert_error(
        &out,
        &[
            "not a clean git checkout",
            "the rebuild of `repro_greeter` 1.0.0",
            "is not the published component",
            "they first differ at byte",
        ],
    );
    // A committed change is another commit: refused before any rebuild.
    git(&review, &["commit", "-qam", "hi"]);
    let out = verify(&[]);
    assert_error(&out, &["was built from commit", "check that commit out"]);
    assert!(!stderr(&out).contains("Compiling"), "{}", stderr(&out));
    let _ = stdout(&out);
}
