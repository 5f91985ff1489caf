//! `cargo ferrite-plugin build`, driven through the real binary: the examples'
//! WIT against snapshots (`BLESS=1` rewrites them), the artifacts' JSON
//! messages, and every mistake a user can make, each a clear error.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use ferrite_plugin_host::check::Surface;
use sha2::{Digest, Sha256};

#[test]
fn it_builds_the_examples_and_their_wit_matches_the_snapshots() {
    let out = cli()
        .args([
            "build",
            "--release",
            "--message-format",
            "json",
            "--manifest-path",
        ])
        .arg(workspace().join("Cargo.toml"))
        .args([
            "-p",
            "validate_email",
            "-p",
            "geo_fence",
            "-p",
            "json_transform",
            "-p",
            "rate_limiter",
            "-p",
            "every_type",
            "-p",
            "key_guard",
            "-p",
            "ak_npm_format",
            "-p",
            "forgepoint_issues",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Created component"),
        "{}",
        stderr(&out)
    );
    let messages: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(messages.len(), 8);
    let snapshots = workspace().join("cargo-ferrite-plugin/tests/snapshots");
    for m in &messages {
        assert_eq!(m["reason"], "ferrite-plugin-artifact");
        let name = m["name"].as_str().unwrap();
        let wasm = std::fs::read(m["path"].as_str().unwrap()).unwrap();
        assert_eq!(m["size"].as_u64().unwrap(), wasm.len() as u64);
        let sha: String = Sha256::digest(&wasm)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(m["sha256"].as_str().unwrap(), sha);

        // The component imports only the host API, and exports what the JSON says.
        let surface = Surface::of(&wasm).unwrap();
        for import in &surface.imports {
            assert!(
                import.starts_with("ferrite:plugin/"),
                "{name} imports {import}"
            );
        }
        let exports: Vec<&str> = m["exports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        // (A plugin of another host's world exports its functions in the
        // world's interfaces.)
        let mut exported: Vec<&str> = surface
            .functions
            .iter()
            .filter(|f| !ferrite_plugin_host::entries::is_entry_export(f))
            .chain(surface.interfaces.iter().flat_map(|(_, fs)| fs))
            .map(String::as_str)
            .collect();
        exported.sort();
        assert_eq!(exports, exported);

        let wit = std::fs::read_to_string(m["wit"].as_str().unwrap()).unwrap();
        let snapshot = snapshots.join(format!("{name}.wit"));
        if std::env::var_os("BLESS").is_some() {
            std::fs::create_dir_all(&snapshots).unwrap();
            std::fs::write(&snapshot, &wit).unwrap();
        } else {
            let expected = std::fs::read_to_string(&snapshot)
                .unwrap_or_else(|_| panic!("no snapshot {}; run with BLESS=1", snapshot.display()));
            assert_eq!(
                wit, expected,
                "the WIT of `{name}` changed; if that is intended, rerun with BLESS=1"
            );
        }
    }
}

#[test]
fn it_runs_as_a_cargo_subcommand_and_as_its_own_binary() {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_cargo-ferrite-plugin"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let via_cargo = Command::new(cargo)
        .args(["ferrite-plugin", "build", "--help"])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(via_cargo.status.success(), "{}", stderr(&via_cargo));
    let help = String::from_utf8_lossy(&via_cargo.stdout);
    assert!(help.contains("Usage: cargo ferrite-plugin build"), "{help}");
    assert!(help.contains("--message-format"), "{help}");

    let direct = cli().args(["build", "--help"]).output().unwrap();
    assert!(direct.status.success());
    assert_eq!(String::from_utf8_lossy(&direct.stdout), help);
}

#[test]
fn it_says_how_to_install_a_missing_wasm_target() {
    let p = TempPlugin::new(
        "no_target",
        CDYLIB,
        &manifest("no_target", "\"hello\"", false),
        HELLO,
    );
    let fake = p.dir.path().join("fake-rustc");
    std::fs::write(&fake, "#!/bin/sh\necho /nonexistent/sysroot\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = cli()
        .args(["build"])
        .current_dir(p.dir.path())
        .env("RUSTC", &fake)
        .output()
        .unwrap();
    assert_error(
        &out,
        &[
            "the `wasm32-unknown-unknown` target is not installed",
            "rustup target add wasm32-unknown-unknown",
        ],
    );
}

#[test]
fn it_names_the_line_of_a_bad_plugin_toml() {
    let toml = "[plugin]\nname = \"Bad-Name\"\nversion = \"1.0.0\"\n";
    let p = TempPlugin::new("bad_manifest", CDYLIB, toml, HELLO);
    let out = p.build(&[]);
    assert_error(
        &out,
        &[
            "plugin.toml` line 2",
            "`Bad-Name` is not a valid plugin name",
        ],
    );

    let toml = "[plugin]\nname = \"bad_manifest\"\nversion = \"1.0.0\"\nauthr = \"me\"\n";
    std::fs::write(p.dir.path().join("plugin.toml"), toml).unwrap();
    assert_error(
        &p.build(&[]),
        &["plugin.toml` line 4", "unknown field `authr`"],
    );
}

#[test]
fn it_names_the_line_and_the_fault_of_a_bad_key_pattern() {
    let toml = |keys: &str| {
        format!(
            "[plugin]\nname = \"bad_pattern\"\nversion = \"1.0.0\"\n\n[exports]\nfunctions = [\"hello\"]\n\n[permissions]\nkeys = {keys}\n"
        )
    };
    let p = TempPlugin::new("bad_pattern", CDYLIB, &toml(r#"["ok:*", "a[bc"]"#), HELLO);
    p.clear_artifact("bad_pattern");
    assert_error(
        &p.build(&[]),
        &[
            "plugin.toml` line 9",
            "the key pattern `a[bc` has a `[` without its `]`: close the set, or write `\\[` for a bracket",
        ],
    );
    p.write("plugin.toml", &toml(r#"["mine:*", ""]"#));
    assert_error(
        &p.build(&[]),
        &[
            "plugin.toml` line 9",
            "the key pattern `` is empty: write `*` for every key, or a prefix such as `cache:*`",
        ],
    );
    p.write(
        "plugin.toml",
        &toml(r#"{ read = ["cfg:\\"], write = ["mine:*"] }"#),
    );
    assert_error(
        &p.build(&[]),
        &[
            "plugin.toml` line 9",
            "the key pattern `cfg:\\` ends with `\\`",
        ],
    );
    assert!(
        !p.artifact("bad_pattern").exists(),
        "a plugin with a bad pattern was built"
    );
    p.write("plugin.toml", &toml(r#"["mine:*"]"#));
    let out = p.build(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn it_names_an_export_missing_from_plugin_toml() {
    let p = TempPlugin::new("unlisted", CDYLIB, &manifest("unlisted", "", false), HELLO);
    p.clear_artifact("unlisted");
    let out = p.build(&[]);
    assert_error(
        &out,
        &[
            "exports `hello`, which plugin.toml does not list",
            "add \"hello\"",
        ],
    );
    assert!(
        !p.artifact("unlisted").exists(),
        "a rejected component was written"
    );
}

#[test]
fn it_names_a_listed_function_the_component_lacks() {
    let p = TempPlugin::new(
        "missing",
        CDYLIB,
        &manifest("missing", "\"hello\", \"goodbye\"", false),
        HELLO,
    );
    assert_error(&p.build(&[]), &["lists `goodbye`", "does not export it"]);
}

#[test]
fn it_refuses_kv_without_the_keys_permission() {
    let lib = "use ferrite_plugin::prelude::*;\n\n#[ferrite_plugin::function]\npub fn seen(key: String) -> Result<i64, PluginError> {\n    kv::incr_by(&key, 1)\n}\n";
    let p = TempPlugin::new(
        "counter",
        CDYLIB,
        &manifest("counter", "\"seen\"", false),
        lib,
    );
    p.clear_artifact("counter");
    let out = p.build(&[]);
    assert_error(
        &out,
        &["imports `ferrite:plugin/kv@0.2.0`", "set `keys = true`"],
    );
    assert!(
        !p.artifact("counter").exists(),
        "a rejected component was written"
    );

    std::fs::write(
        p.dir.path().join("plugin.toml"),
        manifest("counter", "\"seen\"", true),
    )
    .unwrap();
    let out = p.build(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let surface = Surface::of(&std::fs::read(p.artifact("counter")).unwrap()).unwrap();
    assert!(
        surface
            .imports
            .iter()
            .any(|i| i == "ferrite:plugin/kv@0.2.0"),
        "{:?}",
        surface.imports
    );
}

#[test]
fn it_refuses_a_crate_that_is_not_a_cdylib() {
    let p = TempPlugin::new(
        "rlib_only",
        "",
        &manifest("rlib_only", "\"hello\"", false),
        HELLO,
    );
    assert_error(
        &p.build(&[]),
        &[
            "does not build a WebAssembly library",
            "crate-type = [\"cdylib\"]",
        ],
    );
}

#[test]
fn it_explains_a_missing_plugin_toml_and_a_missing_cargo_toml() {
    let p = TempPlugin::new("no_manifest", CDYLIB, "", HELLO);
    std::fs::remove_file(p.dir.path().join("plugin.toml")).unwrap();
    assert_error(&p.build(&[]), &["has no `plugin.toml`"]);

    let empty = tempfile::tempdir().unwrap();
    let out = cli()
        .args(["build"])
        .current_dir(empty.path())
        .output()
        .unwrap();
    assert_error(
        &out,
        &["could not find `Cargo.toml`", "cargo ferrite-plugin new"],
    );
}

#[test]
fn a_compile_error_is_reported_by_cargo_once() {
    let p = TempPlugin::new(
        "broken",
        CDYLIB,
        &manifest("broken", "\"hello\"", false),
        "#[ferrite_plugin::function]\npub fn hello() -> u32 { \"nope\" }\n",
    );
    let out = p.build(&[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(101), "{err}");
    assert!(err.contains("could not compile `broken`"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn quiet_prints_nothing_on_success() {
    let p = TempPlugin::new(
        "quiet_one",
        CDYLIB,
        &manifest("quiet_one", "\"hello\"", false),
        HELLO,
    );
    let out = p.build(&["--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    assert!(p.artifact("quiet_one").exists());
}

#[test]
fn it_checks_commands_and_hooks_against_plugin_toml() {
    let lib = "use ferrite_plugin::prelude::*;\n\
        #[ferrite_plugin::command(name = \"gk.count\", arity = -1)]\n\
        fn count(ctx: &CommandContext) -> Result<PluginResponse, PluginError> { Ok(ctx.args().len().into()) }\n\
        #[ferrite_plugin::hook(before_command, commands = [\"set\"])]\n\
        fn guard(_ctx: &HookContext) -> HookResult { HookResult::Continue }\n";
    let toml = |exports: &str| {
        format!("[plugin]\nname = \"entries\"\nversion = \"1.0.0\"\n\n[exports]\n{exports}\n")
    };
    let p = TempPlugin::new("entries", CDYLIB, &toml("commands = [\"GK.COUNT\"]"), lib);
    let out = p.build(&[]);
    assert_error(
        &out,
        &[
            "has the hook `guard`, which plugin.toml does not list",
            "add \"guard\" to `hooks`",
        ],
    );
    p.write("plugin.toml", &toml("hooks = [\"guard\"]"));
    let out = p.build(&[]);
    assert_error(
        &out,
        &[
            "has the command `GK.COUNT`",
            "add \"GK.COUNT\" to `commands`",
        ],
    );
    p.write(
        "plugin.toml",
        &toml("commands = [\"GK.COUNT\", \"GK.MORE\"]\nhooks = [\"guard\"]"),
    );
    let out = p.build(&[]);
    assert_error(
        &out,
        &[
            "lists the command `GK.MORE` under `[exports] commands`",
            "#[ferrite_plugin::command",
        ],
    );
    // Command names are case-insensitive, filters upper-cased.
    p.write(
        "plugin.toml",
        &toml("commands = [\"gk.count\"]\nhooks = [\"guard\"]"),
    );
    let out = p.build(&["--message-format", "json", "-q"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let msg: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(msg["commands"], serde_json::json!(["GK.COUNT"]));
    assert_eq!(msg["hooks"], serde_json::json!(["guard"]));
    let entries =
        ferrite_plugin_host::entries::Entries::of(&std::fs::read(p.artifact("entries")).unwrap())
            .unwrap();
    assert_eq!(entries.commands[0].name, "GK.COUNT");
    assert_eq!(entries.commands[0].arity, -1);
    assert_eq!(entries.hooks[0].commands, ["SET"]);
    assert_eq!(
        entries.hooks[0].event,
        ferrite_plugin_host::entries::HookEvent::BeforeCommand
    );
}
