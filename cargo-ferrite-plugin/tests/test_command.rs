//! `cargo ferrite-plugin test`, driven through the real binary.

mod common;

use common::*;
use ferrite_plugin_host::check::Surface;

const LIB: &str = r#"use ferrite_plugin::prelude::*;

/// Counts a hit on `page`.
#[ferrite_plugin::function]
pub fn hit(page: String) -> Result<i64, PluginError> {
    kv::incr_by(format!("hits:{page}"), 1)
}

/// Loops forever.
#[ferrite_plugin::function]
pub fn forever() -> u32 {
    let mut x = 0u32;
    loop {
        x = std::hint::black_box(x.wrapping_add(1));
    }
}

#[ferrite_plugin::test]
fn counts_from_one() {
    assert_eq!(hit("home".into()), Ok(1));
    assert_eq!(hit("home".into()), Ok(2));
}

#[ferrite_plugin::test]
fn starts_from_a_fresh_keyspace() {
    // Each test gets its own keyspace: `counts_from_one` left nothing here.
    assert_eq!(hit("home".into()), Ok(1));
}

#[ferrite_plugin::test(kv = "fixtures/seed.json")]
fn continues_from_the_seed() {
    assert_eq!(hit("home".into()), Ok(42));
    assert_eq!(kv::get_string("greeting"), Ok(Some("hej".to_string())));
}

#[ferrite_plugin::test]
fn fails_with_its_message() {
    log::info("about to compare");
    assert_eq!(hit("about".into()), Ok(5), "the about page");
}

#[ferrite_plugin::test(should_panic = "boom")]
fn expects_a_panic() {
    panic!("boom goes the test");
}

#[ferrite_plugin::test(should_panic)]
fn expected_a_panic_that_never_came() {}

#[ferrite_plugin::test]
fn returns_an_error() -> Result<(), PluginError> {
    Err(PluginError::not_found("the thing"))
}

#[ferrite_plugin::test]
fn runs_under_the_production_fuel_limit() {
    forever();
}
"#;

fn plugin(name: &str) -> TempPlugin {
    let toml = format!(
        "[plugin]\nname = \"{name}\"\nversion = \"1.0.0\"\n\n[exports]\nfunctions = [\"hit\", \"forever\"]\n\n\
         [permissions]\nkeys = true\n\n[limits]\nfuel = 5000000\n"
    );
    let p = TempPlugin::new(name, CDYLIB, &toml, LIB);
    p.write(
        "fixtures/seed.json",
        r#"{"hits:home": "41", "greeting": {"value": "hej", "ttl_ms": 60000}}"#,
    );
    p
}

#[test]
fn it_runs_every_test_in_the_host_and_reports_like_cargo() {
    let p = plugin("tested");
    let out = p.run(&["test"]);
    let (so, se) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(101), "{so}\n{se}");
    assert!(
        se.contains("Running tests of tested v1.0.0 in the plugin host (fuel 5000000"),
        "{se}"
    );
    assert!(so.contains("running 8 tests"), "{so}");
    for ok in [
        "counts_from_one",
        "starts_from_a_fresh_keyspace",
        "continues_from_the_seed",
        "expects_a_panic",
    ] {
        assert!(
            so.contains(&format!("test {ok} ... ok (fuel ")),
            "{ok} should pass:\n{so}"
        );
    }
    for failed in [
        "fails_with_its_message",
        "expected_a_panic_that_never_came",
        "returns_an_error",
        "runs_under_the_production_fuel_limit",
    ] {
        assert!(
            so.contains(&format!("test {failed} ... FAILED")),
            "{failed} should fail:\n{so}"
        );
        assert!(so.contains(&format!("---- {failed} ----")), "{so}");
    }
    // The failure shows the guest's logs, then the panic message and location.
    let section = so.split("---- fails_with_its_message ----").nth(1).unwrap();
    assert!(
        section.starts_with("\n[info] about to compare\npanicked at src/lib.rs:"),
        "{section}"
    );
    assert!(section.contains("the about page"), "{section}");
    assert!(so.contains("note: test did not panic as expected"), "{so}");
    assert!(
        so.contains("the test returned Err(NotFound(\"the thing\"))"),
        "{so}"
    );
    let err_section = so.split("---- returns_an_error ----").nth(1).unwrap();
    assert!(
        err_section.starts_with("\npanicked at src/lib.rs:"),
        "the location is the test, not the SDK: {err_section}"
    );
    assert!(
        so.contains("`runs_under_the_production_fuel_limit` ran out of fuel (limit 5000000)"),
        "{so}"
    );
    assert!(
        so.contains(
            "test result: FAILED. 4 passed; 4 failed; 0 ignored; 0 measured; 0 filtered out;"
        ),
        "{so}"
    );
    assert!(se.contains("error: 4 tests failed"), "{se}");
}

#[test]
fn a_filter_selects_tests_by_substring() {
    let p = plugin("filtered");
    let out = p.run(&["test", "count"]);
    let so = stdout(&out);
    assert!(out.status.success(), "{so}\n{}", stderr(&out));
    assert!(so.contains("running 1 test\n"), "{so}");
    assert!(
        so.contains("test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 7 filtered out;"),
        "{so}"
    );
}

#[test]
fn a_bad_seed_file_fails_only_its_test() {
    let p = plugin("badseed");
    p.write("fixtures/seed.json", "{\"hits:home\": 41}");
    let out = p.run(&["test", "seed"]);
    let so = stdout(&out);
    assert!(
        so.contains("test continues_from_the_seed ... FAILED"),
        "{so}"
    );
    assert!(
        so.contains("the value of `hits:home` must be a string or an object, not 41"),
        "{so}"
    );
}

#[test]
fn tests_run_under_the_plugins_key_patterns() {
    let p = scoped_plugin("scoped_test");
    let out = p.run(&["test"]);
    let so = stdout(&out);
    assert!(out.status.success(), "{so}\n{}", stderr(&out));
    for ok in [
        "reads_and_writes_its_own_keys",
        "other_keys_are_refused_naming_the_patterns",
        "scan_lists_only_its_own_keys",
    ] {
        assert!(so.contains(&format!("test {ok} ... ok")), "{ok}:\n{so}");
    }
    assert!(so.contains("test result: ok. 3 passed; 0 failed;"), "{so}");
}

#[test]
fn tests_never_reach_the_built_component() {
    let p = plugin("shipped");
    let out = p.run(&["build", "--release"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let surface = Surface::of(&std::fs::read(p.release_artifact("shipped")).unwrap()).unwrap();
    assert_eq!(surface.functions, ["forever", "hit"]);
}

/// The examples' tests, on every Ferrite version this SDK builds for, as
/// pgrx tests each PostgreSQL: on each, the examples whose
/// `min_ferrite_version` it satisfies, built against the newest host API it
/// serves.
#[test]
fn the_examples_tests_pass_on_every_supported_ferrite_version() {
    // The examples, and the plugin that calls every host function.
    let examples = [
        "examples/validate_email",
        "examples/geo_fence",
        "examples/json_transform",
        "examples/rate_limiter",
        "examples/key_guard",
        "fixtures/host_api",
    ];
    for api in ferrite_plugin_host::ApiVersion::ALL {
        let ferrite = api.first_ferrite();
        let runs: Vec<&str> = examples
            .iter()
            .copied()
            .filter(|e| {
                let manifest = ferrite_plugin_host::manifest::Manifest::read(
                    &workspace().join(e).join("plugin.toml"),
                )
                .unwrap();
                manifest
                    .plugin
                    .min_ferrite_version
                    .is_none_or(|m| m <= ferrite)
            })
            .collect();
        assert!(runs.len() >= 4, "Ferrite {ferrite}: only {runs:?}");
        let mut cmd = cli();
        cmd.args([
            "test",
            "--ferrite-version",
            &ferrite.to_string(),
            "--manifest-path",
        ])
        .arg(workspace().join("Cargo.toml"));
        for e in &runs {
            cmd.args(["-p", e.rsplit('/').next().unwrap()]);
        }
        let out = cmd.output().unwrap();
        let so = stdout(&out);
        assert!(
            out.status.success(),
            "Ferrite {ferrite}:\n{so}\n{}",
            stderr(&out)
        );
        assert_eq!(so.matches("test result: ok.").count(), runs.len(), "{so}");
    }
    // An example that needs a newer Ferrite says so rather than failing to build.
    let out = cli()
        .args(["test", "--ferrite-version", "0.2.0", "--manifest-path"])
        .arg(workspace().join("Cargo.toml"))
        .args(["-p", "rate_limiter"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("`rate_limiter` needs Ferrite 0.3.0 (`min_ferrite_version`"),
        "{}",
        stderr(&out)
    );
}
