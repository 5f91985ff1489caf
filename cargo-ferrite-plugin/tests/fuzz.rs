//! `cargo ferrite-plugin test --fuzz`, driven through the real binary.

mod common;

use std::process::Output;

use common::*;

/// `test --fuzz` on workspace package `package`, with `extra` arguments.
fn fuzz(package: &str, extra: &[&str]) -> Output {
    cli()
        .args(["test", "--fuzz", "--manifest-path"])
        .arg(workspace().join("Cargo.toml"))
        .args(["-p", package])
        .args(extra)
        .output()
        .unwrap()
}

/// The section of the report about `export`.
fn section<'a>(stdout: &'a str, export: &str) -> &'a str {
    let start = stdout
        .find(&format!("---- {export} ----"))
        .unwrap_or_else(|| panic!("no report on `{export}`:\n{stdout}"));
    let rest = &stdout[start..];
    let end = rest[5..].find("\n----").map_or(rest.len(), |e| e + 5);
    let end = end.min(rest.find("\nfailures:").unwrap_or(rest.len()));
    &rest[..end]
}

#[test]
fn the_planted_bugs_are_found_with_minimal_inputs_and_the_clean_functions_pass() {
    let out = fuzz("fuzz_planted", &[]);
    let (so, se) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(101), "{so}\n{se}");
    assert!(se.contains("Fuzzing fuzz_planted v0.1.0 in the plugin host (fuel 10000000, memory 16 MiB, timeout 1s) and natively; seed 0, 256 inputs per export"), "{se}");
    assert!(se.contains("error: 2 exports failed fuzzing"), "{se}");
    assert!(!se.contains("thread 'main'"), "{se}");
    assert!(so.contains("running 10 exports"), "{so}");
    for failed in ["mean", "count_bytes"] {
        assert!(so.contains(&format!("fuzz {failed} ... FAILED\n")), "{so}");
    }
    for clean in ["clamp_add", "classify", "hottest", "shout", "triangle"] {
        assert!(
            so.contains(&format!("fuzz {clean} ... ok (256 inputs)\n")),
            "{clean} should pass, compared natively:\n{so}"
        );
    }
    assert!(
        so.contains("fuzz slow ... skipped (spins for as long as asked)\n"),
        "{so}"
    );
    assert!(
        so.contains("fuzz command FP.ECHO ... ok (256 inputs)\n"),
        "{so}"
    );
    assert!(so.contains("fuzz hook audit ... ok (256 inputs)\n"), "{so}");
    assert!(
        so.contains("fuzz result: FAILED. 7 passed; 2 failed; 1 skipped; 0 filtered out;"),
        "{so}"
    );

    // The division by zero: shrunk to the empty list, with the panic.
    let mean = section(&so, "mean");
    assert!(
        mean.contains("it panicked in the host: panicked at "),
        "{mean}"
    );
    assert!(mean.contains("attempt to divide by zero"), "{mean}");
    assert!(mean.contains("mean(values: [])"), "{mean}");
    assert!(
        mean.contains("reproduce: cargo ferrite-plugin call mean '[]'"),
        "{mean}"
    );

    // The truncation: shrunk to the first value past `u32`, both results shown.
    let count = section(&so, "count_bytes");
    assert!(
        count
            .contains("the host and the native build disagree:\n  wasm:   0\n  native: 4294967296"),
        "{count}"
    );
    assert!(count.contains("count_bytes(n: 4294967296)"), "{count}");
    assert!(
        count.contains("reproduce: cargo ferrite-plugin call count_bytes 4294967296"),
        "{count}"
    );
    assert!(
        so.contains("failures:\n    mean\n    count_bytes\n")
            || so.contains("failures:\n    count_bytes\n    mean\n"),
        "{so}"
    );

    // The reproduce line does reproduce it.
    let call = cli()
        .args(["call", "--manifest-path"])
        .arg(workspace().join("Cargo.toml"))
        .args(["-p", "fuzz_planted", "mean", "[]"])
        .output()
        .unwrap();
    assert!(!call.status.success());
    assert!(
        stderr(&call).contains("attempt to divide by zero"),
        "{}",
        stderr(&call)
    );
}

/// The report without its timings.
fn untimed(out: &Output) -> String {
    stdout(out)
        .lines()
        .map(|l| match l.split_once(" inputs in ") {
            Some((head, _)) if l.starts_with("fuzz result:") => head.to_string(),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn inputs_repeat_for_a_seed_and_a_filter_selects_exports() {
    let args = ["--cases", "40", "--seed", "7", "--max-len", "4", "mean"];
    let (a, b) = (fuzz("fuzz_planted", &args), fuzz("fuzz_planted", &args));
    assert_eq!(untimed(&a), untimed(&b));
    let so = stdout(&a);
    assert!(so.contains("running 1 export\n"), "{so}");
    assert!(so.contains("9 filtered out"), "{so}");
    assert!(so.contains("mean(values: [])"), "{so}");

    let clean = fuzz("fuzz_planted", &["--cases", "40", "clamp_add"]);
    assert!(clean.status.success(), "{}", stdout(&clean));
    assert!(
        stdout(&clean).contains(
            "fuzz result: ok. 1 passed; 0 failed; 0 skipped; 9 filtered out; 40 inputs in "
        ),
        "{}",
        stdout(&clean)
    );
}

#[test]
fn the_fixture_of_every_type_and_the_examples_pass() {
    // Every mapped type through the SDK's ABI glue, compared natively.
    let out = fuzz("every_type", &[]);
    let so = stdout(&out);
    assert!(out.status.success(), "{so}\n{}", stderr(&out));
    assert!(so.contains("fuzz result: ok."), "{so}");
    assert!(so.contains("fuzz deep ... ok (256 inputs)"), "{so}");
    assert!(so.contains("fuzz echo_wide ... ok (256 inputs)"), "{so}");

    let mut cmd = cli();
    cmd.args(["test", "--fuzz", "--manifest-path"])
        .arg(workspace().join("Cargo.toml"));
    for e in [
        "validate_email",
        "geo_fence",
        "json_transform",
        "rate_limiter",
        "key_guard",
        "ak_npm_format",
        "forgepoint_issues",
    ] {
        cmd.args(["-p", e]);
    }
    let out = cmd.output().unwrap();
    let so = stdout(&out);
    assert!(out.status.success(), "{so}\n{}", stderr(&out));
    assert_eq!(so.matches("fuzz result: ok.").count(), 7, "{so}");
    // Plugins of other hosts' worlds are compared natively too.
    assert!(
        so.contains("fuzz handler.parse_metadata ... ok (256 inputs)\n"),
        "{so}"
    );
    assert!(
        so.contains("fuzz extension.resolve_field ... ok (256 inputs"),
        "{so}"
    );
    // Functions that use the keyspace run in the host alone.
    assert!(
        so.contains(
            "fuzz writes ... ok (256 inputs, not compared natively: it reaches the host API (`kv`))"
        ),
        "{so}"
    );
    assert!(so.contains("fuzz command GK.STATS ... ok"), "{so}");
    assert!(so.contains("fuzz hook guard ... ok"), "{so}");
}

const ENTRIES: &str = r#"use ferrite_plugin::prelude::*;

/// `P.FIRST word...`: its first word, which it assumes is there.
#[ferrite_plugin::command(name = "P.FIRST", arity = -1)]
fn first(ctx: &CommandContext) -> Result<PluginResponse, PluginError> {
    let words: Vec<&[u8]> = ctx.args().iter().collect();
    Ok(PluginResponse::Bulk(words[0].to_vec()))
}

/// Refuses empty keys, by panicking.
#[ferrite_plugin::hook(before_command, commands = ["SET"])]
fn strict(ctx: &HookContext) -> HookResult {
    if ctx.key() == Some(&b""[..]) {
        panic!("an empty key");
    }
    HookResult::Continue
}

/// Loops on a payload of more than one byte.
#[ferrite_plugin::fuzz(max_len = 4)]
#[ferrite_plugin::hook(on_event = "tick")]
fn ticked(ctx: &HookContext) -> HookResult {
    if ctx.payload().len() > 1 {
        let mut n = 0u64;
        loop {
            n = std::hint::black_box(n + 1);
        }
    }
    HookResult::Continue
}
"#;

#[test]
fn commands_and_hooks_are_fuzzed_in_the_host() {
    let toml = "[plugin]\nname = \"entries\"\nversion = \"1.0.0\"\nmin_ferrite_version = \"0.3.0\"\n\n\
                [exports]\ncommands = [\"P.FIRST\"]\nhooks = [\"strict\", \"ticked\"]\n\n\
                [permissions]\nkeys = false\n\n[limits]\nfuel = 1000000\n";
    let p = TempPlugin::new("entries", CDYLIB, toml, ENTRIES);
    let out = p.run(&["test", "--fuzz"]);
    let so = stdout(&out);
    assert_eq!(out.status.code(), Some(101), "{so}\n{}", stderr(&out));
    assert!(so.contains("fuzz command P.FIRST ... FAILED"), "{so}");
    assert!(so.contains("fuzz hook strict ... FAILED"), "{so}");
    assert!(so.contains("fuzz hook ticked ... FAILED"), "{so}");

    let first = section(&so, "command P.FIRST");
    assert!(first.contains("index out of bounds"), "{first}");
    assert!(first.contains("minimal input (found at "), "{first}");
    assert!(first.contains("): P.FIRST\n"), "{first}");
    assert!(
        first.contains("reproduce: `cargo ferrite-plugin run`, then in redis-cli: P.FIRST\n"),
        "{first}"
    );
    let strict = section(&so, "hook strict");
    assert!(strict.contains("an empty key"), "{strict}");
    assert!(
        strict.contains("): before_command SET \"\" (key \"\")"),
        "{strict}"
    );
    let ticked = section(&so, "hook ticked");
    assert!(
        ticked.contains("`ticked` ran out of fuel (limit 1000000)"),
        "{ticked}"
    );
    assert!(
        ticked.contains("): event tick with the payload \"aa\""),
        "{ticked}"
    );
}

#[test]
fn a_plugin_without_a_rust_library_is_told_to_add_one() {
    let toml = manifest("cdylib_only", "\"hello\"", false);
    let p = TempPlugin::new("cdylib_only", CDYLIB, &toml, HELLO);
    let out = p.run(&["test", "--fuzz"]);
    assert_error(
        &out,
        &[
            "`test --fuzz` calls the functions of `cdylib_only` natively too",
            "crate-type = [\"cdylib\", \"rlib\"]",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
}
