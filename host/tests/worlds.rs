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
