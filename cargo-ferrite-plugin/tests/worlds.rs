//! Plugins for other hosts' worlds through the real binary: `build` matches
//! the Rust functions and types to a world's exports and says what differs,
//! and `test` and `call` run the component in a host of that world.

mod common;

use common::*;

/// The Artifact Keeper world, as the template writes it.
const AK_WIT: &str = include_str!("../../templates/artifact-keeper-format/wit/format-plugin.wit");
const AK_IO: &str = include_str!("../../templates/artifact-keeper-format/wit/deps/io/streams.wit");

const AK_TOML: &str = "[plugin]\nname = \"world_ak\"\nversion = \"1.0.0\"\n\n[world]\nwit = \"wit\"\nname = \"artifact-keeper:format/format-plugin@1.0.0\"\n";

/// An implementation of the Artifact Keeper world, with `validate` and the
/// metadata record as given.
fn ak_source(metadata_fields: &str, validate: &str) -> String {
    format!(
        r#"use ferrite_plugin::prelude::*;

#[derive(Record)]
pub struct Metadata {{
{metadata_fields}
}}

#[ferrite_plugin::function]
pub fn format_key() -> String {{
    "demo".into()
}}

#[ferrite_plugin::function]
pub fn parse_metadata(path: String, data: Vec<u8>) -> Result<Metadata, String> {{
    Ok(Metadata {{ path, version: None, content_type: "x".into(), size_bytes: data.len() as u64, checksum_sha256: None }})
}}

{validate}

#[ferrite_plugin::function]
pub fn generate_index(artifacts: Vec<Metadata>) -> Result<Option<Vec<(String, Vec<u8>)>>, String> {{
    Ok(Some(artifacts.into_iter().map(|a| (a.path, a.size_bytes.to_le_bytes().to_vec())).collect()))
}}

#[ferrite_plugin::test]
fn demo_is_the_key() {{
    assert_eq!(format_key(), "demo");
}}
"#
    )
}

const FIELDS: &str = "    pub path: String,\n    pub version: Option<String>,\n    pub content_type: String,\n    pub size_bytes: u64,\n    pub checksum_sha256: Option<String>,";

const VALIDATE: &str = "#[ferrite_plugin::function]\npub fn validate(path: String, data: Vec<u8>) -> Result<(), String> {\n    if data.is_empty() { Err(format!(\"`{path}` is empty\")) } else { Ok(()) }\n}";

fn ak_plugin(package: &str, source: &str) -> TempPlugin {
    let p = TempPlugin::new(
        package,
        CDYLIB,
        &AK_TOML.replace("world_ak", package),
        source,
    );
    p.write("wit/format-plugin.wit", AK_WIT);
    p.write("wit/deps/io/streams.wit", AK_IO);
    p
}

#[test]
fn a_world_plugin_builds_exports_exactly_its_world_and_runs_in_test_and_call() {
    let p = ak_plugin("world_ak", &ak_source(FIELDS, VALIDATE));
    let out = p.build(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let wit = std::fs::read_to_string(p.artifact("world_ak").with_extension("wit")).unwrap();
    assert!(
        wit.starts_with("/// Artifact Keeper's format handlers")
            && wit.contains("package artifact-keeper:format@1.0.0;")
            && wit.contains("world format-plugin {\n  export handler;\n}")
            && wit.contains(
                "parse-metadata: func(path: string, data: list<u8>) -> result<metadata, string>;"
            ),
        "{wit}"
    );
    // Nothing of Ferrite's: no `ferrite:plugin` import, no test entry point.
    assert!(!wit.contains("ferrite"), "{wit}");

    let call = |args: &[&str]| {
        let mut all = vec!["call"];
        all.extend_from_slice(args);
        let out = p.run(&all);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out).trim().to_string()
    };
    assert_eq!(call(&["format_key"]), "\"demo\"");
    assert_eq!(
        call(&["parse-metadata", "\"a/b.tgz\"", "[1, 2, 3]"]),
        "ok({path: \"a/b.tgz\", content-type: \"x\", size-bytes: 3})"
    );
    assert_eq!(
        call(&["handler.validate", "\"x\"", "[]"]),
        "err(\"`x` is empty\")"
    );
    let test = p.run(&["test"]);
    assert!(test.status.success(), "{}", stderr(&test));
    assert!(stdout(&test).contains("test demo_is_the_key ... ok"));
}

#[test]
fn a_signature_that_differs_from_the_worlds_is_an_error_naming_both() {
    let fields = FIELDS.replace("size_bytes", "size");
    let source = ak_source(
        &fields,
        "#[ferrite_plugin::function]\npub fn validate(path: String, data: Vec<u8>) -> bool {\n    !path.is_empty() && !data.is_empty()\n}\n\n#[ferrite_plugin::function]\npub fn extra() -> u32 { 1 }",
    )
    .replace("size_bytes: data.len()", "size: data.len()")
    .replace("a.size_bytes.to_le_bytes()", "a.size.to_le_bytes()");
    let p = ak_plugin("world_mismatch", &source);
    p.clear_artifact("world_mismatch");
    assert_error(
        &p.build(&[]),
        &[
            "does not implement the world `artifact-keeper:format/format-plugin@1.0.0` (4 problems)",
            "`world_mismatch::validate` is `func(path: string, data: list<u8>) -> bool` in Rust, but the world `artifact-keeper:format/format-plugin@1.0.0` has `handler.validate: func(path: string, data: list<u8>) -> result<_, string>`",
            "the world's record `metadata` has the fields path, version, content-type, size-bytes, checksum-sha256; `world_mismatch::Metadata` has path, version, content-type, size, checksum-sha256",
            "`world_mismatch::extra` (WIT name `extra`) is not an export of the world",
            "`world_mismatch::generate_index` is `func(artifacts: list<metadata>)",
            "parameter `artifacts`: the world's record `metadata`",
        ],
    );
    assert!(!p.artifact("world_mismatch").exists());
}

#[test]
fn a_missing_export_names_what_to_add() {
    let p = ak_plugin("world_missing", &ak_source(FIELDS, ""));
    p.clear_artifact("world_missing");
    assert_error(
        &p.build(&[]),
        &[
            "the world `artifact-keeper:format/format-plugin@1.0.0` exports `handler.validate: func(path: string, data: list<u8>) -> result<_, string>`, which nothing implements: add",
            "#[ferrite_plugin::function]",
            "pub fn validate(path: String, data: Vec<u8>) -> Result<(), String>",
        ],
    );
}

#[test]
fn a_world_plugin_may_use_only_what_its_world_imports() {
    let source = ak_source(FIELDS, VALIDATE).replace(
        "    \"demo\".into()",
        "    log::info(\"asked\");\n    \"demo\".into()",
    );
    let p = ak_plugin("world_stray", &source);
    p.clear_artifact("world_stray");
    assert_error(
        &p.build(&[]),
        &[
            "the plugin calls `ferrite:plugin/log@0.2.0`",
            "which the world `artifact-keeper:format/format-plugin@1.0.0` does not import",
        ],
    );
    // And `interface = ...` belongs to plugins of another host's world.
    let p = TempPlugin::new(
        "world_iface",
        CDYLIB,
        &manifest("world_iface", "\"hello\"", false),
        "#[ferrite_plugin::function(interface = \"handler\")]\npub fn hello(name: String) -> String { name }\n",
    );
    p.clear_artifact("world_iface");
    assert_error(
        &p.build(&[]),
        &[
            "`world_iface::hello` says `interface = \"handler\"`",
            "[world]",
        ],
    );
    // A world plugin.toml naming a world the WIT does not have.
    let p = ak_plugin("world_unknown", &ak_source(FIELDS, VALIDATE));
    p.write(
        "plugin.toml",
        &AK_TOML
            .replace("world_ak", "world_unknown")
            .replace("format-plugin@1.0.0", "format-handler@1.0.0"),
    );
    p.clear_artifact("world_unknown");
    assert_error(
        &p.build(&[]),
        &[
            "has no world `artifact-keeper:format/format-handler@1.0.0`",
            "artifact-keeper:format@1.0.0/format-plugin",
        ],
    );
}
