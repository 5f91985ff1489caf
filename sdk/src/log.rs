//! Logging into the host's log.
//!
//! Messages go to the server's log tagged with the plugin's name; `cargo
//! ferrite-plugin test` shows them next to the test that wrote them. Always
//! permitted. Outside a plugin host (a native `cargo test` of plugin code) they
//! are printed to standard error.
//!
//! ```
//! use ferrite_plugin::log;
//!
//! log::info("starting");
//! log::warn(format!("{} retries left", 3));
//! ```

pub use crate::bindings::log::Level;

/// Writes `message` at `level`.
pub fn log(level: Level, message: impl AsRef<str>) {
    #[cfg(target_arch = "wasm32")]
    crate::bindings::log::log(level, message.as_ref());
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[{level:?}] {}", message.as_ref());
}

/// Writes `message` at [`Level::Trace`].
pub fn trace(message: impl AsRef<str>) {
    log(Level::Trace, message)
}

/// Writes `message` at [`Level::Debug`].
pub fn debug(message: impl AsRef<str>) {
    log(Level::Debug, message)
}

/// Writes `message` at [`Level::Info`].
pub fn info(message: impl AsRef<str>) {
    log(Level::Info, message)
}

/// Writes `message` at [`Level::Warn`].
pub fn warn(message: impl AsRef<str>) {
    log(Level::Warn, message)
}

/// Writes `message` at [`Level::Error`].
pub fn error(message: impl AsRef<str>) {
    log(Level::Error, message)
}
