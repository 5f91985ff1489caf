//! The plugin's configuration, set by the operator who installed it.
//!
//! Always permitted. Outside a plugin host every key is unset.
//!
//! ```
//! use ferrite_plugin::config;
//!
//! let limit: u64 = config::get("limit").and_then(|v| v.parse().ok()).unwrap_or(100);
//! # let _ = limit;
//! ```

/// Returns the value of configuration `key`, or `None` when it is not set.
pub fn get(key: &str) -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::config::get(key);
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = key;
        crate::dynamic::reached_host_api("config");
        None
    }
}
