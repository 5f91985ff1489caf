//! Static registries of signed Ferrite plugins.
//!
//! A registry is a tree of static files (`registry.json`, `keys.json`,
//! `plugins/<name>/<version>/...`, specified in `docs/registry.md`) that any
//! static web server or git repository can host. This crate publishes into a
//! registry directory (signed, atomic, locked), resolves versions, and installs
//! a plugin only after checking its size, hashes, key and signature.
//!
//! ```no_run
//! use ferrite_plugin_registry::{Source, install::Installer, resolve::Request};
//!
//! let registry = Source::parse("https://plugins.example.com");
//! let request = Request::parse("validate_email@^1")?;
//! let installed = Installer::new(&registry).install(&request, "plugins".as_ref())?;
//! println!("installed {} {}", installed.name, installed.version);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod compat;
pub mod error;
pub mod format;
mod fsx;
pub mod install;
pub mod metadata;
pub mod publish;
pub mod resolve;
pub mod sign;
pub mod source;
pub mod trust;
pub mod verification;

pub use error::{RegistryError, Result};
pub use sign::KeyPair;
pub use source::Source;

/// A testing hook: when `FERRITE_PLUGIN_REGISTRY_CRASH` names this step, the
/// process aborts here, as a crash would, so the crash tests can stop a
/// publish mid-write at a point of their choosing.
pub(crate) fn crash_point(step: &str) {
    if std::env::var_os("FERRITE_PLUGIN_REGISTRY_CRASH").is_some_and(|v| v == step) {
        std::process::abort();
    }
}
