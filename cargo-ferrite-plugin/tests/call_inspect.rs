//! `cargo ferrite-plugin call` and `inspect`, through the real binary.

mod common;

use std::path::PathBuf;
use std::process::Output;
use std::sync::OnceLock;

use common::*;

/// The every_type component, built once.
fn every_type() -> &'static PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = cli()
            .args([
                "build",
                "-q",
                "--message-format",
                "json",
                "-p",
                "every_type",
                "--manifest-path",
            ])
            .arg(workspace().join("Cargo.toml"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let msg: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
        PathBuf::from(msg["path"].as_str().unwrap())
    })
}

fn call(args: &[&str]) -> Output {
    cli()
        .args(["call", "--wasm"])
        .arg(every_type())
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn call_works_for_every_mapped_type() {
    let cases: &[(&str, &[&str], &str)] = &[
        ("echo-bool", &["true"], "true"),
        (
            "echo_ints",
            &[
                "255",
                "65535",
                "4294967295",
                "18446744073709551615",
                "-128",
                "-32768",
                "-2147483648",
                "-9223372036854775808",
            ],
            "(255, 65535, 4294967295, 18446744073709551615, -128, -32768, -2147483648, -9223372036854775808)",
        ),
        ("echo-floats", &["1.5", "-0.25"], "(1.5, -0.25)"),
        ("next-char", &["'a'"], "'b'"),
        ("shout", &["\"héllo\""], "\"HÉLLO\""),
        ("count-chars", &["\"🦀🦀\""], "2"),
        ("sum", &["[1, 2, -3]"], "0"),
        ("reverse-bytes", &["[1, 2, 3]"], "[3, 2, 1]"),
        ("echo-chars", &["['x', '€']"], "['x', '€']"),
        ("negate-all", &["[true, false]"], "[false, true]"),
        ("nested-lists", &["[[\"a\"], []]"], "[[], [\"a\"]]"),
        ("maybe-len", &["some(\"abc\")"], "some(3)"),
        ("maybe-len", &["none"], "none"),
        ("halve", &["some(3.0)"], "some(1.5)"),
        ("double-ok", &["ok(21)"], "ok(42)"),
        ("double-ok", &["err(\"no\")"], "err(\"no\")"),
        ("check", &["true"], "err(\"asked to fail\")"),
        ("check", &["false"], "ok"),
        ("swap", &["(1, \"two\", 3.0)"], "(3, \"two\", 1)"),
        ("nothing", &[], ""),
        (
            "midpoint",
            &["{x: 1.0, y: 2.0}", "{x: 3, y: 4}"],
            "{x: 2, y: 3}",
        ),
        (
            "area",
            &["polygon([{x: 0, y: 0}, {x: 0, y: 2}, {x: 2, y: 2}, {x: 2, y: 0}])"],
            "4",
        ),
        (
            "grow",
            &["circle({center: {x: 0, y: 0}, radius: 1.0})", "0.5"],
            "circle({center: {x: 0, y: 0}, radius: 1.5})",
        ),
        ("grow", &["empty", "1"], "empty"),
        ("next-color", &["blue"], "red"),
        ("echo-mixed", &["d(2.5)"], "d(2.5)"),
        ("echo-mixed", &["n"], "n"),
        (
            "echo-keywords",
            &["{list: 1, record: \"r\", type: true}"],
            "{list: 1, record: \"r\", type: true}",
        ),
        ("list", &["3"], "[0, 1, 2]"),
        ("renamed-fn", &["{alias: 41}"], "{alias: 42}"),
        (
            "many",
            &[
                "1", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1",
                "\"xy\"",
            ],
            "18",
        ),
        ("fail-with", &["3"], "err(invalid-argument(\"kind\"))"),
        (
            "deep",
            &["some(ok([({x: 1, y: 2}, some(green)), ({x: 0, y: 0}, none)]))"],
            "some(ok([({x: 1, y: 2}, some(green)), ({x: 0, y: 0}, none)]))",
        ),
        (
            "centroid",
            &["[{x: 0, y: 0}, {x: 2, y: 4}]"],
            "some({x: 1, y: 2})",
        ),
    ];
    for (function, args, expected) in cases {
        let mut argv = vec![*function];
        argv.extend_from_slice(args);
        let out = call(&argv);
        assert!(out.status.success(), "{function}: {}", stderr(&out));
        assert_eq!(
            stdout(&out).trim_end(),
            *expected,
            "{function}({})",
            args.join(", ")
        );
    }
    let wide = "{a: 1, b: 2, c: 3, d: 4, e: -5, f: -6, g: -7, h: -8, i: 9.5, j: 10.25, k: 'k', l: true, m: \"m\", n: [1, 2], o: some(15), p: (16, 17)}";
    let out = call(&["echo_wide", wide]);
    assert_eq!(stdout(&out).trim_end(), wide, "{}", stderr(&out));
}

#[test]
fn call_reports_failures_with_a_typed_error_and_a_non_zero_exit() {
    let out = call(&["boom", "\"sky\""]);
    assert_error(
        &out,
        &[
            "`boom` trapped: panicked at fixtures/every_type/src/lib.rs:",
            "sky",
        ],
    );
    let out = call(&["midpoint", "{x: 1}", "{x: 1, y: 1}"]);
    assert_error(
        &out,
        &[
            "argument `a` of `midpoint` must be `point`",
            "missing field",
        ],
    );
    let out = call(&["midpoint"]);
    assert_error(
        &out,
        &["`midpoint` takes 2 arguments (a: point, b: point), but 0 were given"],
    );
    let out = call(&["nope"]);
    assert_error(&out, &["has no function `nope`; it exports: area, boom"]);
}

#[test]
fn call_takes_byte_strings_config_and_a_seeded_keyspace() {
    let out = call(&["--bytes", "shout", "say \"hi\""]);
    assert_eq!(
        stdout(&out).trim_end(),
        "\"SAY \\\"HI\\\"\"",
        "{}",
        stderr(&out)
    );
    let out = call(&[
        "--bytes",
        "echo-ints",
        "1",
        "2",
        "3",
        "4",
        "-5",
        "-6",
        "-7",
        "-8",
    ]);
    assert_eq!(
        stdout(&out).trim_end(),
        "(1, 2, 3, 4, -5, -6, -7, -8)",
        "{}",
        stderr(&out)
    );

    let toml = "[plugin]\nname = \"configured\"\nversion = \"1.0.0\"\n\n[exports]\nfunctions = [\"greet\", \"visits\"]\n\n[permissions]\nkeys = true\n";
    let lib = "use ferrite_plugin::prelude::*;\n\n#[ferrite_plugin::function]\npub fn greet(name: String) -> String {\n    log::info(format!(\"greeting {name}\"));\n    format!(\"{}, {name}\", config::get(\"greeting\").unwrap_or(\"hello\".into()))\n}\n\n#[ferrite_plugin::function]\npub fn visits() -> Result<Option<String>, PluginError> {\n    kv::get_string(\"visits\")\n}\n";
    let p = TempPlugin::new("configured", CDYLIB, toml, lib);
    p.write("seed.json", "{\"visits\": \"7\"}");
    let out = p.run(&["call", "greet", "\"ann\"", "--config", "greeting=hej", "-q"]);
    assert_eq!(stdout(&out).trim_end(), "\"hej, ann\"", "{}", stderr(&out));
    assert!(
        stderr(&out).contains("[info] greeting ann"),
        "{}",
        stderr(&out)
    );
    let out = p.run(&["call", "visits", "--kv", "seed.json", "-q"]);
    assert_eq!(
        stdout(&out).trim_end(),
        "ok(some(\"7\"))",
        "{}",
        stderr(&out)
    );
}

#[test]
fn inspect_shows_manifest_permissions_limits_and_wit() {
    let out = cli()
        .args(["inspect", "--manifest-path"])
        .arg(workspace().join("examples/validate_email/Cargo.toml"))
        .output()
        .unwrap();
    // Inspect reads what `build` wrote; build first if this test ran alone.
    let out = if out.status.success() {
        out
    } else {
        let b = cli()
            .args(["build", "-q", "--manifest-path"])
            .arg(workspace().join("examples/validate_email/Cargo.toml"))
            .output()
            .unwrap();
        assert!(b.status.success(), "{}", stderr(&b));
        cli()
            .args(["inspect", "--manifest-path"])
            .arg(workspace().join("examples/validate_email/Cargo.toml"))
            .output()
            .unwrap()
    };
    let text = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    for needle in [
        "validate_email 1.0.0: RFC 5322 email address validation",
        "sha256:",
        "permissions: no keys, network: no",
        "limits:      fuel 10000000, memory 16 MiB, timeout 100 ms",
        "imports:     ferrite:plugin/runtime@0.2.0",
        "needs:       Ferrite 0.3.0 or newer",
        "validate-email: func(email: string) -> bool",
        "export validate-email: func(email: string) -> bool;",
    ] {
        assert!(text.contains(needle), "`{needle}` missing:\n{text}");
    }

    let json = cli()
        .args(["inspect", "--message-format", "json"])
        .arg(every_type())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(v["manifest"]["plugin"]["name"], "every_type");
    assert_eq!(
        v["size"].as_u64().unwrap(),
        std::fs::metadata(every_type()).unwrap().len()
    );
}

#[test]
fn inspect_refuses_what_is_not_a_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.wasm");
    std::fs::write(&garbage, b"\0asm\x01\0\0\0garbage").unwrap();
    let out = cli().arg("inspect").arg(&garbage).output().unwrap();
    assert_error(&out, &["garbage.wasm"]);
    let missing = cli()
        .arg("inspect")
        .arg(dir.path().join("nope.wasm"))
        .output()
        .unwrap();
    assert_error(&missing, &["failed to read", "nope.wasm"]);
}

#[test]
fn call_holds_a_plugin_to_its_key_patterns() {
    let p = scoped_plugin("scoped_call");
    let call = |args: &[&str]| {
        let out = p.run(&[&["call", "-q", "--kv", "fixtures/seed.json"][..], args].concat());
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out).trim_end().to_string()
    };
    assert_eq!(call(&["read", "\"mine:a\""]), "ok(some(\"7\"))");
    assert_eq!(call(&["put", "\"mine:c\"", "\"v\""]), "ok");
    assert_eq!(
        call(&["read", "\"other:a\""]),
        "err(permission-denied(\"plugin `scoped_call` may not read key `other:a`: its [permissions] keys are `mine:*` (add a pattern that matches it in plugin.toml)\"))"
    );
    assert_eq!(
        call(&["put", "\"other:a\"", "\"x\""]),
        "err(permission-denied(\"plugin `scoped_call` may not write key `other:a`: its [permissions] keys are `mine:*` (add a pattern that matches it in plugin.toml)\"))"
    );
    assert_eq!(
        call(&["list", "\"\"", "10"]),
        "ok([\"mine:a\", \"mine:b\"])"
    );
    let out = p.run(&["inspect"]);
    assert!(
        stdout(&out).contains("permissions: keys mine:*, network: no"),
        "{}",
        stdout(&out)
    );
}
