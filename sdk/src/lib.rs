//! Write Ferrite plugins as plain Rust functions.
//!
//! A Ferrite plugin is a WebAssembly component that the Ferrite server runs
//! sandboxed, with CPU, memory and permission limits. With this crate you write
//! ordinary Rust; `cargo ferrite-plugin build` turns it into that component,
//! deriving its WIT interface from your signatures.
//!
//! ```
//! use ferrite_plugin::prelude::*;
//!
//! /// A point on the globe, in degrees.
//! #[derive(Record)]
//! pub struct Point {
//!     pub lat: f64,
//!     pub lon: f64,
//! }
//!
//! /// Whether `p` lies north of the equator.
//! #[ferrite_plugin::function]
//! pub fn northern(p: Point) -> bool {
//!     p.lat > 0.0
//! }
//!
//! /// Counts a visit in the keyspace (needs `keys = true` in plugin.toml).
//! #[ferrite_plugin::function]
//! pub fn visit(page: String) -> Result<i64, PluginError> {
//!     kv::incr_by(format!("visits:{page}"), 1)
//! }
//!
//! // Annotated functions stay ordinary Rust functions.
//! assert!(northern(Point { lat: 48.8, lon: 2.3 }));
//! ```
//!
//! The component exports `northern: func(p: point) -> bool` and
//! `visit: func(page: string) -> result<s64, error>`, with `record point`
//! declared in its world.
//!
//! # Types
//!
//! | Rust | WIT |
//! |---|---|
//! | `bool`, `char` | `bool`, `char` |
//! | `u8` `u16` `u32` `u64` | `u8` `u16` `u32` `u64` |
//! | `i8` `i16` `i32` `i64` | `s8` `s16` `s32` `s64` |
//! | `f32`, `f64` | `f32`, `f64` |
//! | `String`, `&str` (parameters) | `string` |
//! | `Vec<T>`, `&[T]` (parameters) | `list<T>` |
//! | `Option<T>` | `option<T>` |
//! | `Result<T, E>`, `Result<(), E>` | `result<T, E>`, `result<_, E>` |
//! | `(A, B, ...)` (up to 12) | `tuple<A, B, ...>` |
//! | `()` as a return type | no result |
//! | struct with `#[derive(Record)]` | `record` |
//! | enum with `#[derive(Enum)]`, no data | `enum` |
//! | enum with `#[derive(Enum)]`, cases with one value | `variant` |
//! | [`PluginError`] | `ferrite:plugin/types.error` |
//!
//! Names become kebab-case (`max_len` → `max-len`, `GeoPoint` → `geo-point`);
//! doc comments carry into the WIT. Types may live in any module of the crate.
//!
//! # Host API
//!
//! [`log`], [`kv`], [`server`], [`events`], [`config`], [`clock`] and
//! [`random`] are plain functions. `kv` (strings, hashes, lists, sets, sorted sets) and
//! `server` (any command, as `redis.call`) need `keys = true` in
//! `plugin.toml`; the others are always permitted. A plugin imports nothing
//! else: no WASI, no filesystem, no network.
//!
//! The SDK builds against the host API 0.2.0 (Ferrite 0.3). With the feature
//! `host-api-0-1` (what `cargo ferrite-plugin build --ferrite-version 0.2.0`
//! turns on) it builds against 0.1.0 for older servers, without the data
//! types, `ttl`, `random`, `server`, `events` and `on_event` hooks.
//!
//! # Panics
//!
//! A panic in a plugin function traps the call; the host reports the panic's
//! message and location with the error.

#![warn(missing_docs)]

#[doc(hidden)]
pub mod abi;
pub mod alloc;
#[rustfmt::skip]
mod bindings;
pub mod clock;
pub mod command;
pub mod config;
#[cfg(not(target_arch = "wasm32"))]
#[doc(hidden)]
pub mod dynamic;
mod error;
pub mod events;
pub mod hook;
pub mod kv;
pub mod log;
#[doc(hidden)]
pub mod meta;
pub mod random;
mod rt;
pub mod server;
mod types;
pub mod words;

pub use error::PluginError;
pub use types::{WitPayload, WitType};

/// Exports a function from the plugin's component.
///
/// The export's WIT name is the function's name in kebab-case; its parameter
/// and result types are derived from the Rust signature (see the [crate
/// docs](crate#types)). Rename it with `#[ferrite_plugin::function(name = "...")]`.
/// The function itself is left as it is, so Rust code and native tests can
/// call it directly.
///
/// ```
/// /// Adds two numbers.
/// #[ferrite_plugin::function(name = "add")]
/// fn plus(a: u32, b: u32) -> u32 {
///     a + b
/// }
/// assert_eq!(plus(2, 3), 5);
/// ```
pub use ferrite_plugin_macros::function;

/// Narrows the inputs `cargo ferrite-plugin test --fuzz` generates for an
/// export, above or below its `#[ferrite_plugin::function]` (or `command`,
/// `hook`):
///
/// * `skip`, or `skip = "why"`: do not fuzz it (it has effects, or is slow).
/// * `max_len = N`: lists and strings of at most `N` items (a command's or
///   hook's words: at most `N` words of at most `N` bytes) instead of
///   `--max-len`.
/// * `range(param = LO..=HI, ...)`: every number in `param` (the parameter
///   itself, or the numbers in its list, record, ...) in the range: integer
///   or float ends, either one open (`..=10`, `1..`), `..` excluding the end.
/// * `wasm_only`: compare nothing with the native build (for a function
///   that differs natively on purpose). A function that reaches the host API
///   natively (`kv`, `config`, `clock`, `random`, `server`, `events`) is not
///   compared anyway, as the host API only degrades outside a host.
///
/// The attribute changes nothing in the built component.
///
/// ```
/// /// The mean of at most 64 readings between -100 and 100.
/// #[ferrite_plugin::fuzz(max_len = 64, range(readings = -100..=100))]
/// #[ferrite_plugin::function]
/// fn mean(readings: Vec<i32>) -> Option<i32> {
///     let n = readings.len() as i32;
///     (n > 0).then(|| readings.iter().sum::<i32>() / n)
/// }
/// ```
pub use ferrite_plugin_macros::fuzz;

/// Exports a custom command the server dispatches by name, such as
/// `GK.SUM`. See [`command`](mod@command) for the context and reply types.
///
/// `arity` follows Redis: it counts the command name; `N` means exactly `N`,
/// `-N` at least `N` (the default, `-1`, takes any number). The function
/// takes `&CommandContext` and returns `Result<PluginResponse, PluginError>`;
/// an `Err` becomes an error reply. Declare the command in plugin.toml:
/// `[exports] commands = ["GK.SUM"]`.
pub use ferrite_plugin_macros::command;

/// Exports a hook run by the server around its commands:
/// `#[ferrite_plugin::hook(before_command, commands = ["SET", "DEL"])]`,
/// `after_command` or `on_key_write`, or by plugins' custom events:
/// `#[ferrite_plugin::hook(on_event = "order.paid")]`. See [`hook`](mod@hook). Declare it in
/// plugin.toml by the function's name: `[exports] hooks = ["guard"]`.
pub use ferrite_plugin_macros::hook;

/// Maps a struct with named fields to a WIT `record`.
///
/// Every field's type must itself map to WIT. Field names become kebab-case;
/// rename a field or the record with `#[ferrite_plugin(name = "...")]`.
///
/// ```
/// #[derive(ferrite_plugin::Record)]
/// struct Window {
///     /// Requests allowed per window.
///     limit: u32,
///     window_ms: u64,
/// }
/// ```
pub use ferrite_plugin_macros::Record;

/// Maps an enum to a WIT `enum` (no case carries data) or `variant` (some do).
///
/// A case carries at most one value; use a tuple or a record for more.
///
/// ```
/// #[derive(ferrite_plugin::Enum)]
/// enum Unit { Meters, Kilometers }
///
/// #[derive(ferrite_plugin::Enum)]
/// enum Shape { Circle(f64), Square(f64), Empty }
/// ```
pub use ferrite_plugin_macros::Enum;

/// Declares a test that `cargo ferrite-plugin test` runs inside the plugin host,
/// under the plugin's production limits and permissions, with a fresh
/// in-memory keyspace.
///
/// A test takes no arguments and returns `()` or `Result<(), E>`; it fails if
/// it panics (its message is shown) or returns `Err`. Tests exist only in test
/// builds, as with `#[cfg(test)]`: they are never in the built component.
///
/// * `kv = "fixtures/seed.json"` seeds the keyspace from a JSON object of
///   keys to string values (or `{"value": "...", "ttl_ms": 1000}`), relative to
///   the crate root.
/// * `should_panic`, or `should_panic = "text"`, expects a panic (whose
///   message contains `text`).
///
/// ```
/// #[ferrite_plugin::function]
/// fn double(n: u32) -> u32 { n * 2 }
///
/// #[ferrite_plugin::test]
/// fn doubles() {
///     assert_eq!(double(21), 42);
/// }
///
/// #[ferrite_plugin::test(should_panic = "overflow")]
/// fn overflows() {
///     let _ = double(u32::MAX);
/// }
/// ```
pub use ferrite_plugin_macros::test;

/// Keeps `#[ferrite_plugin::test]` items in test builds (`cargo ferrite-plugin
/// test` compiles with `--cfg ferrite_plugin_test`) and drops them otherwise.
#[cfg(ferrite_plugin_test)]
#[doc(hidden)]
#[macro_export]
macro_rules! __test_item {
    ($($item:tt)*) => { $($item)* };
}

/// Keeps `#[ferrite_plugin::test]` items in test builds and drops them otherwise.
#[cfg(not(ferrite_plugin_test))]
#[doc(hidden)]
#[macro_export]
macro_rules! __test_item {
    ($($item:tt)*) => {};
}

/// What most plugins need: `use ferrite_plugin::prelude::*;`.
pub mod prelude {
    pub use crate::command::{CommandContext, PluginResponse};
    pub use crate::hook::{HookContext, HookEvent, HookResult};
    pub use crate::{Enum, PluginError, Record, clock, config, kv, log};
    #[cfg(not(feature = "host-api-0-1"))]
    pub use crate::{events, random, server};
}

// The SDK's own types use its derives, which name `::ferrite_plugin`.
extern crate self as ferrite_plugin;

/// Support code for the macros' expansions. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::abi::*;
    #[cfg(not(target_arch = "wasm32"))]
    pub use crate::dynamic;
    pub use crate::meta::*;
    pub use crate::rt::*;
    pub use crate::types::{WitPayload, WitType};
}
