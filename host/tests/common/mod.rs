//! Builds the test plugins from source, once per test binary.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use ferrite_plugin_build::{BuildOptions, Quiet, build};
use ferrite_plugin_host::manifest::Manifest;
use ferrite_plugin_host::{Host, HostConfig};

/// The component of `package` (`testbed` or `validate_email`), built by
/// `ferrite-plugin-build`, as `cargo ferrite-plugin build` builds it.
pub fn component(package: &str) -> Vec<u8> {
    static BUILT: OnceLock<HashMap<String, Vec<u8>>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            let opts = BuildOptions {
                release: false,
                manifest_path: Some(root.join("Cargo.toml")),
                packages: vec![
                    "testbed".into(),
                    "validate_email".into(),
                    "rate_limiter".into(),
                ],
                tests: false,
                ferrite_version: None,
            };
            build(&mut Quiet, &opts)
                .expect("the test plugins build")
                .into_iter()
                .map(|b| (b.package, b.component.bytes))
                .collect()
        })
        .get(package)
        .unwrap_or_else(|| panic!("no test plugin `{package}`"))
        .clone()
}

/// The testbed's own manifest, to modify for a test.
pub fn testbed_manifest() -> Manifest {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testbed/plugin.toml");
    Manifest::read(&path).unwrap()
}

/// A host with a small pool, as tests run many hosts at once, sharing one
/// compilation cache so that only the first host compiles each component.
pub fn config() -> HostConfig {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        Into::into,
    );
    HostConfig {
        pool_size: 32,
        cache_dir: Some(target.join("host-test-cache")),
        ..HostConfig::metering_fuel()
    }
}

pub fn host() -> Host {
    Host::new(config()).unwrap()
}
