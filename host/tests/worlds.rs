//! Plugins of other hosts' worlds in the plugin host: their exported
//! interfaces' functions are called by name, and the WASI interfaces a world
//! imports are provided (with nothing granted), while anything else a
//! component imports is refused at load.

mod common;

use ferrite_plugin_host::manifest::Manifest;
use ferrite_plugin_host::{Host, HostConfig, LoadError, LoadOptions, wasm_wave};

/// The part of `wasi:clocks@0.2.0` the test world imports.
const CLOCKS: &str = "package wasi:clocks@0.2.0;\n\ninterface monotonic-clock {\n    type instant = u64;\n    now: func() -> instant;\n}\n";

/// A component of the world `test:clock/clock`, written by hand: its
/// interface `ticker` exports `tick`, which reads WASI's monotonic clock.
fn clock_component(world_src: &str) -> Vec<u8> {
    let mut resolve = wit_parser::Resolve::default();
    resolve.push_str("clocks.wit", CLOCKS).unwrap();
    let pkg = resolve.push_str("clock.wit", world_src).unwrap();
    let world = resolve.select_world(&[pkg], Some("clock")).unwrap();
    let mut module = wat::parse_str(
        r#"(module
            (import "wasi:clocks/monotonic-clock@0.2.0" "now" (func $now (result i64)))
            (memory (export "memory") 1)
            (func (export "test:clock/ticker#tick") (result i64) call $now)
            (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) unreachable))"#,
    )
    .unwrap();
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )
    .unwrap();
    wit_component::ComponentEncoder::default()
        .validate(true)
        .module(&module)
        .unwrap()
        .encode()
        .unwrap()
}

const CLOCK_WORLD: &str = "package test:clock;\n\ninterface ticker {\n    tick: func() -> u64;\n}\n\nworld clock {\n    import wasi:clocks/monotonic-clock@0.2.0;\n    export ticker;\n}\n";

fn clock_manifest() -> Manifest {
    Manifest::parse(
        "plugin.toml",
        "[plugin]\nname = \"clock\"\nversion = \"1.0.0\"\n\n[world]\nwit = \"wit\"\nname = \"test:clock/clock\"\n",
    )
    .unwrap()
}

#[test]
fn a_world_importing_wasi_gets_it_and_its_interface_functions_are_called_by_name() {
    let host = Host::new(HostConfig { ..common::config() }).unwrap();
    let plugin = host
        .load(
            &clock_component(CLOCK_WORLD),
            LoadOptions {
                manifest: Some(clock_manifest()),
                ..LoadOptions::default()
            },
        )
        .unwrap();
    let f = plugin.function("tick").unwrap();
    assert_eq!(f.interface.as_deref(), Some("test:clock/ticker"));
    let call = |name: &str| {
        host.call_wave("clock", name, &[])
            .result
            .map(|v| wasm_wave::to_string(&v.unwrap()).unwrap())
    };
    // By its name, the interface's and the full one. WASI's monotonic clock
    // counts nanoseconds from when the call's WASI state was made: each call
    // here has a fresh instance, so a few milliseconds at most.
    for name in ["tick", "ticker.tick", "test:clock/ticker#tick"] {
        let ns: u64 = call(name).unwrap().parse().unwrap();
        assert!(ns < 60_000_000_000, "{name}: {ns} ns");
    }
    let err = call("nope").unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}

#[test]
fn a_ferrite_plugin_may_not_import_wasi_and_a_world_only_what_the_host_provides() {
    let host = common::host();
    // Without `[world]`, a WASI import is refused as ever.
    let mut manifest = clock_manifest();
    manifest.world = None;
    let err = host
        .load(
            &clock_component(CLOCK_WORLD),
            LoadOptions {
                manifest: Some(manifest),
                ..LoadOptions::default()
            },
        )
        .unwrap_err();
    assert!(
        matches!(&err, LoadError::Check(e) if e.to_string().contains("no Ferrite plugin may import")),
        "{err}"
    );
}

/// The two examples of other hosts' worlds, built by `cargo ferrite-plugin
/// build --release`'s library: (package, component, printed WIT).
fn examples() -> &'static [(String, Vec<u8>, String)] {
    static BUILT: std::sync::OnceLock<Vec<(String, Vec<u8>, String)>> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let opts = ferrite_plugin_build::BuildOptions {
            release: true,
            manifest_path: Some(root.join("Cargo.toml")),
            packages: vec!["ak_npm_format".into(), "forgepoint_issues".into()],
            tests: false,
            ferrite_version: None,
        };
        ferrite_plugin_build::build(&mut ferrite_plugin_build::Quiet, &opts)
            .expect("the examples build")
            .into_iter()
            .map(|b| (b.package, b.component.bytes, b.component.wit))
            .collect()
    })
}

fn example(package: &str) -> (&'static [u8], &'static str) {
    let (_, bytes, wit) = examples()
        .iter()
        .find(|(p, ..)| p == package)
        .unwrap_or_else(|| panic!("no example `{package}`"));
    (bytes, wit)
}

/// Each exported interface of `world` in `resolve`, by its package-qualified
/// name, with its functions' signatures as WIT text.
fn exports_of(
    resolve: &wit_parser::Resolve,
    world: wit_parser::WorldId,
) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = resolve.worlds[world]
        .exports
        .iter()
        .map(|(key, item)| {
            let funcs = match item {
                wit_parser::WorldItem::Interface { id, .. } => resolve.interfaces[*id]
                    .functions
                    .values()
                    .map(|f| {
                        let params: Vec<String> = f
                            .params
                            .iter()
                            .map(|p| format!("{}: {}", p.name, type_text(resolve, &p.ty)))
                            .collect();
                        let result = f
                            .result
                            .as_ref()
                            .map_or(String::new(), |t| type_text(resolve, t));
                        format!("{}({}) -> {result}", f.name, params.join(", "))
                    })
                    .collect(),
                other => vec![format!("{other:?}")],
            };
            (resolve.name_world_key(key), funcs)
        })
        .collect();
    out.sort();
    out
}

/// A type as text, records and the like by their structure.
fn type_text(resolve: &wit_parser::Resolve, t: &wit_parser::Type) -> String {
    use wit_parser::{Type, TypeDefKind};
    let Type::Id(id) = t else {
        return format!("{t:?}");
    };
    let def = &resolve.types[*id];
    match &def.kind {
        TypeDefKind::Record(r) => format!(
            "record {{{}}}",
            r.fields
                .iter()
                .map(|f| format!("{}: {}", f.name, type_text(resolve, &f.ty)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeDefKind::List(t) => format!("list<{}>", type_text(resolve, t)),
        TypeDefKind::Option(t) => format!("option<{}>", type_text(resolve, t)),
        TypeDefKind::Result(r) => format!(
            "result<{}, {}>",
            r.ok.as_ref().map_or("_".into(), |t| type_text(resolve, t)),
            r.err.as_ref().map_or("_".into(), |t| type_text(resolve, t))
        ),
        TypeDefKind::Tuple(t) => format!(
            "tuple<{}>",
            t.types
                .iter()
                .map(|t| type_text(resolve, t))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeDefKind::Type(t) => type_text(resolve, t),
        other => format!("{other:?}"),
    }
}

/// Checks that the WIT printed from the component exports exactly what the
/// example's target world exports, function by function and type by type.
fn exports_exactly_its_world(package: &str, world: &str) {
    let (_, wit) = example(package);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(package)
        .join("wit");
    let mut target = wit_parser::Resolve::default();
    if target.push_path(&dir).is_err() {
        target = wit_parser::Resolve::default();
        target
            .push_str(
                "ferrite-plugin.wit",
                ferrite_plugin_build::componentize::HOST_WIT,
            )
            .unwrap();
        target.push_path(&dir).unwrap();
    }
    let target_pkg = target
        .package_names
        .iter()
        .find(|(n, _)| world.starts_with(&format!("{}:{}/", n.namespace, n.name)))
        .map(|(_, id)| *id)
        .unwrap();
    let target_world = target.select_world(&[target_pkg], Some(world)).unwrap();

    let mut printed = wit_parser::Resolve::default();
    let pkg = printed
        .push_str("printed.wit", wit)
        .unwrap_or_else(|e| panic!("{e:#}\n{wit}"));
    let printed_world = printed.select_world(&[pkg], Some(world)).unwrap();
    assert_eq!(
        exports_of(&printed, printed_world),
        exports_of(&target, target_world),
        "{package}: the component's exports are not its world's:\n{wit}"
    );
    // And it imports only what the world imports.
    for key in printed.worlds[printed_world].imports.keys() {
        let name = printed.name_world_key(key);
        assert!(
            target.worlds[target_world]
                .imports
                .keys()
                .any(|k| target.name_world_key(k) == name)
                || name.starts_with("ferrite:plugin/types"),
            "{package} imports {name}, which its world does not"
        );
    }
}

/// A host with the example loaded, metering fuel.
fn host_with(package: &str) -> Host {
    let host = Host::new(HostConfig { ..common::config() }).unwrap();
    host.load(example(package).0, LoadOptions::default())
        .unwrap();
    host
}

fn wave(host: &Host, plugin: &str, function: &str, args: &[&str]) -> String {
    let report = host.call_wave(plugin, function, args);
    let value = report
        .result
        .unwrap_or_else(|e| panic!("{function}: {e}"))
        .expect("a result");
    wasm_wave::to_string(&value).unwrap()
}

#[test]
fn the_npm_format_example_implements_artifact_keepers_world() {
    exports_exactly_its_world(
        "ak_npm_format",
        "artifact-keeper:format/format-plugin@1.0.0",
    );
    let host = host_with("ak_npm_format");
    assert_eq!(wave(&host, "ak_npm_format", "format-key", &[]), "\"npm\"");

    // A real `npm pack` tarball, at npm's layout.
    let tarball = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples/ak_npm_format/fixtures/acme-left-pad-1.3.0-beta.2.tgz"),
    )
    .unwrap();
    let bytes = format!(
        "[{}]",
        tarball
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let path = "\"@acme/left-pad/-/left-pad-1.3.0-beta.2.tgz\"";
    let sha = ferrite_plugin_build::sha256_hex(&tarball);
    let metadata = wave(&host, "ak_npm_format", "parse-metadata", &[path, &bytes]);
    assert_eq!(
        metadata,
        format!(
            "ok({{path: \"@acme/left-pad/-/left-pad-1.3.0-beta.2.tgz\", version: some(\"1.3.0-beta.2\"), content-type: \"application/gzip\", size-bytes: {}, checksum-sha256: some(\"{sha}\")}})",
            tarball.len()
        )
    );
    assert_eq!(
        wave(&host, "ak_npm_format", "handler.validate", &[path, &bytes]),
        "ok"
    );
    let err = wave(&host, "ak_npm_format", "validate", &[path, "[1, 2, 3]"]);
    assert!(err.starts_with("err(") && err.contains("gzip"), "{err}");

    let record = metadata
        .strip_prefix("ok(")
        .and_then(|m| m.strip_suffix(')'))
        .unwrap();
    let index = wave(
        &host,
        "ak_npm_format",
        "generate-index",
        &[&format!("[{record}]")],
    );
    assert!(
        index.starts_with("ok(some([(\"@acme/left-pad/index.json\", ["),
        "{index}"
    );
    assert_eq!(
        wave(&host, "ak_npm_format", "generate-index", &["[]"]),
        "ok(none)"
    );
}

#[test]
fn the_issues_example_implements_forgepoints_world() {
    exports_exactly_its_world(
        "forgepoint_issues",
        "forgepoint:extension/extension-world@0.1.0",
    );
    let host = host_with("forgepoint_issues");
    let p = "forgepoint_issues";
    assert!(
        wave(&host, p, "get-schema", &[]).contains("type Issue"),
        "the schema"
    );
    assert_eq!(
        wave(
            &host,
            p,
            "init",
            &["{name: \"issues\", db-path: \"issues:\", config: none}"]
        ),
        "ok"
    );
    let resolve = |field: &str, args: &str| {
        wave(
            &host,
            p,
            "resolve-field",
            &[&format!("{field:?}"), &format!("{args:?}")],
        )
    };
    // Before `migrate`, the data is not up to date.
    assert!(resolve("Query.issues", "{}").starts_with("err("));
    assert_eq!(wave(&host, p, "migrate", &["\"issues:\""]), "ok");
    let created = resolve("Mutation.createIssue", r#"{"title": "It breaks"}"#);
    assert!(
        created.starts_with("ok(") && created.contains("It breaks") && created.contains("OPEN"),
        "{created}"
    );
    let closed = resolve("Mutation.closeIssue", r#"{"id": "1"}"#);
    assert!(closed.contains("CLOSED"), "{closed}");
    let all = resolve("Query.issues", "{}");
    assert!(all.contains("It breaks"), "{all}");
    let none = resolve("Query.issues", r#"{"state": "OPEN"}"#);
    assert!(none.contains("[]"), "{none}");
    assert!(resolve("Query.nope", "{}").starts_with("err("));
    // Its data is in the host's keyspace, under the keys it was granted.
    assert!(
        host.keyspace().exists(b"issues:schema-version").unwrap(),
        "migrate wrote through the host's kv"
    );
}
