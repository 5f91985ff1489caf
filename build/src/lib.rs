//! Build Ferrite plugins from a tool: what `cargo ferrite-plugin build` does,
//! as a library.
//!
//! [`build()`] finds the plugin packages of a workspace (those with a
//! `plugin.toml` beside their `Cargo.toml`), checks that the
//! `wasm32-unknown-unknown` target is installed, runs `cargo build` for it,
//! and turns each core module into a component: it decodes the
//! `ferrite-plugin` custom section the SDK's macros wrote ([`meta`]), writes
//! the plugin's WIT world from it ([`witgen`]), lets wit-component check
//! every export against that world and encode the component
//! ([`componentize`]), checks the component against `plugin.toml`, and
//! writes `<name>.wasm` and `<name>.wit` atomically ([`fs_util`]) under
//! `<target-dir>/ferrite-plugin/`.
//!
//! Progress goes to a [`Reporter`]: `cargo ferrite-plugin`'s shell prints it
//! in cargo's style, [`Quiet`] drops it. A failed compile is
//! [`CompileFailed`], whose errors cargo has already printed; every other
//! failure is an [`anyhow::Error`] whose chain of causes says what went wrong
//! and how to fix it.
//!
//! ```no_run
//! use ferrite_plugin_build::{BuildOptions, CompileFailed, Quiet, build};
//!
//! fn main() -> anyhow::Result<()> {
//!     let opts = BuildOptions {
//!         release: true,
//!         manifest_path: Some("plugins/validate_email/Cargo.toml".into()),
//!         ..BuildOptions::default()
//!     };
//!     let built = match build(&mut Quiet, &opts) {
//!         Ok(built) => built,
//!         // cargo printed the compiler's errors.
//!         Err(e) if e.is::<CompileFailed>() => std::process::exit(101),
//!         Err(e) => return Err(e),
//!     };
//!     for plugin in built {
//!         println!(
//!             "{} v{}: {} (sha256 {})",
//!             plugin.manifest.plugin.name,
//!             plugin.manifest.plugin.version,
//!             plugin.component_path.display(),
//!             plugin.sha256,
//!         );
//!     }
//!     Ok(())
//! }
//! ```
//!
//! A tool with its own output implements [`Reporter`]:
//!
//! ```no_run
//! use ferrite_plugin_build::{BuildOptions, Reporter, Verbosity, build};
//!
//! struct Log;
//!
//! impl Reporter for Log {
//!     fn verbosity(&self) -> Verbosity {
//!         Verbosity::Normal
//!     }
//!     fn status(&mut self, verb: &str, message: &str) {
//!         eprintln!("[build] {verb} {message}");
//!     }
//!     fn warn(&mut self, message: &str) {
//!         eprintln!("[build] warning: {message}");
//!     }
//! }
//!
//! # fn main() -> anyhow::Result<()> {
//! let built = build(&mut Log, &BuildOptions::default())?;
//! # Ok(())
//! # }
//! ```

mod build;
pub mod componentize;
pub mod fs_util;
pub mod meta;
mod report;
pub mod repro;
pub mod witgen;
pub mod world;

pub use build::{
    BuildOptions, Built, WASM_TARGET, build, check_wasm_target, find_manifest, metadata,
    selected_plugins, sha256_hex,
};
pub use componentize::{Component, print_wit};
pub use report::{CompileFailed, Quiet, Reporter, Verbosity};

/// The crate [`metadata`] returns the types of.
pub use cargo_metadata;
