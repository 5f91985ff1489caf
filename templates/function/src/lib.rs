//! {{description}}

use ferrite_plugin::prelude::*;

/// Greets `name`. Called as `FCALL greet 0 <name>`, or
/// `cargo ferrite-plugin call greet '"you"'`.
#[ferrite_plugin::function]
pub fn greet(name: String) -> Result<String, PluginError> {
    if name.trim().is_empty() {
        return Err(PluginError::invalid_argument("`name` is empty"));
    }
    log::debug(format!("greeting {name}"));
    Ok(format!("hello, {name}"))
}

/// Runs inside the plugin host with `cargo ferrite-plugin test`.
#[ferrite_plugin::test]
fn greets_by_name() {
    assert_eq!(greet("ferrite".into()).unwrap(), "hello, ferrite");
    assert!(greet(" ".into()).is_err());
}
