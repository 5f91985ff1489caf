//! Custom events between plugins.
//!
//! Always permitted. [`emit`] delivers a named event with a payload to every
//! hook subscribed to it with `#[ferrite_plugin::hook(on_event = "name")]`,
//! in any loaded plugin, before it returns; each subscriber runs under its
//! own plugin's limits and permissions. Events emitted by subscribers are
//! delivered too, up to a fixed depth, so a loop of events ends with an error.
//!
//! ```no_run
//! use ferrite_plugin::{events, PluginError};
//!
//! #[ferrite_plugin::function]
//! fn pay(order: String) -> Result<u32, PluginError> {
//!     // ... take the payment ...
//!     events::emit("order.paid", order.as_bytes())
//! }
//! ```
//!
//! Needs host API 0.2.0 (Ferrite 0.3).
#![cfg(not(feature = "host-api-0-1"))]

use crate::PluginError;

/// Delivers the event `name` with `payload` to its subscribers and returns
/// how many received it (0 when none subscribe).
///
/// A name is 1 to 128 ASCII letters, digits and `.:_-`. A subscriber that
/// aborts stops the delivery, and `emit` returns
/// [`PluginError::InvalidArgument`] with its message; so does an event
/// emitted too deep inside other events' hooks. A subscriber that fails (a
/// trap, a limit) stops it with [`PluginError::Host`].
pub fn emit(name: &str, payload: impl AsRef<[u8]>) -> Result<u32, PluginError> {
    let payload = payload.as_ref();
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::events::emit(name, payload);
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (name, payload);
        crate::dynamic::reached_host_api("events");
        Err(PluginError::Host(
            "events are only delivered inside a plugin host; run `cargo ferrite-plugin test`"
                .into(),
        ))
    }
}
