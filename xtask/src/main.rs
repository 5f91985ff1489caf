//! Repository chores.
//!
//! * `cargo xtask bindings` regenerates `sdk/src/bindings.rs` from `wit/`.
//! * `cargo xtask bindings --check` fails if the committed file is stale (the
//!   test `bindings_are_fresh` does the same under `cargo test`).
//! * `cargo xtask componentize IN OUT` wraps a core module that carries its own
//!   `component-type` section (as wit-bindgen writes) into a component, for the
//!   size baseline in `benches/size`.
//! * `cargo xtask bench-report` prints the medians and ratios of the last
//!   `cargo bench -p ferrite-plugin-host --bench host` run.
//!
//! This crate does not depend on the SDK, so it runs even when a WIT change has
//! left the SDK unable to compile.

mod bench;
mod bindings;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["bindings"] => {
            let path = root().join(bindings::OUTPUT);
            std::fs::write(&path, bindings::generate(&root().join("wit")))
                .expect("write sdk/src/bindings.rs");
            eprintln!("wrote {}", path.display());
            ExitCode::SUCCESS
        }
        ["bindings", "--check"] => match bindings::check(&root()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        ["componentize", input, output] => {
            let core = std::fs::read(input).expect("read the core module");
            let component = wit_component::ComponentEncoder::default()
                .validate(true)
                .module(&core)
                .and_then(|mut e| e.encode())
                .expect("componentize");
            std::fs::write(output, component).expect("write the component");
            ExitCode::SUCCESS
        }
        ["bench-report"] => {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(|| root().join("target"), PathBuf::from);
            match bench::report(&target.join("criterion")) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        _ => {
            eprintln!("usage: cargo xtask bindings [--check] | cargo xtask componentize IN OUT");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bindings_are_fresh() {
        if let Err(e) = super::bindings::check(&super::root()) {
            panic!("{e}");
        }
    }
}
