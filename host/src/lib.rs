//! The embedded Ferrite plugin host.
//!
//! A server embeds [`Host`] to load Ferrite plugins (WebAssembly components
//! built by `cargo ferrite-plugin build`), check them against their
//! `plugin.toml`, and call their functions sandboxed: each call under its
//! plugin's fuel, wall-clock, memory and stack limits, with only the host
//! interfaces its manifest grants. A plugin that loops, exhausts its memory,
//! recurses without end, panics or traps gets a typed [`CallError`], and the
//! host goes on serving every other call.
//!
//! ```no_run
//! use ferrite_plugin_host::{CallOptions, Host, HostConfig, LoadOptions};
//!
//! let host = Host::new(HostConfig::default())?;
//! host.load(&std::fs::read("validate_email.wasm")?, LoadOptions::default())?;
//!
//! // Dynamic calls: WAVE text, or raw byte strings as a RESP server has them.
//! let report = host.call_bytes("validate_email", "validate_email", &[b"a@b.co"], &CallOptions::default());
//! println!("{:?} using {:?} fuel", report.result, report.fuel_used);
//!
//! // Typed calls for Rust embedders.
//! let validate = host.typed::<(&str,), (bool,)>("validate_email", "validate_email")?;
//! assert_eq!(validate.call(("nobody",))?, (false,));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every call gets a fresh instance by default (with the pooling allocator,
//! a few microseconds), so no state leaks between calls. [`LoadOptions::warm`]
//! keeps instances between calls for throughput; an instance is discarded
//! after any trap or limit breach.
//!
//! A call that computes for longer than a slice ([`SLICE_TICKS`] epoch
//! ticks) is listed in [`Host::running_calls`], can be stopped from any
//! thread with [`Host::kill`], runs [`CallOptions::on_long_call`] (and
//! starts with it, when the same function's last call was long too), and
//! runs at the lowest CPU priority until it ends
//! ([`HostConfig::lower_long_calls`]). With the feature `tokio`,
//! `Host::call_*_async` and `CallOptions::yielding` make that hand a tokio
//! worker's other tasks to another thread, so a long call never stalls
//! them.

#![warn(missing_docs)]

mod api;
mod args;
mod cache;
mod call;
pub mod check;
mod config;
pub mod dispatch;
pub mod entries;
mod error;
mod fast;
mod fxhash;
mod host;
pub mod keyspace;
pub mod manifest;
mod plugin;
mod priority;
mod running;
pub mod scope;
pub mod server_call;
mod state;
#[cfg(feature = "tokio")]
pub mod tokio;
mod typed;
mod wit_text;

pub use api::ApiVersion;
pub use cache::CacheOutcome;
pub use call::{CallOptions, CallReport};
pub use config::{EffectiveLimits, HostConfig};
pub use dispatch::{EntryReport, Frame, HookCall, HookOutcome};
pub use error::{CallError, LoadError};
pub use host::{Host, LoadOptions, MANIFEST_SECTION, embedded_manifest};
pub use keyspace::{Keyspace, KvError, MemoryKeyspace, Slot};
pub use plugin::{FunctionInfo, Plugin};
pub use running::{RunningCall, SLICE_TICKS};
pub use server_call::{Emit, ServerCall, ServerCommands};
pub use state::{
    Clock, Level, LogRecord, ManualClock, Random, SeededRandom, SystemClock, SystemRandom,
};
pub use typed::TypedFunction;
pub use wasmtime::component::{Val, wasm_wave};
