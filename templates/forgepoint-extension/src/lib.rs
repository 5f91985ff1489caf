//! {{description}}
//!
//! A GraphQL extension for Forgepoint (world
//! `forgepoint:extension/extension-world@0.1.0`, in `wit/`): notes, kept
//! through the host's key-value store (`ferrite_plugin::kv`, which the world
//! imports), under the keys `notes:*` that plugin.toml asks for.

use ferrite_plugin::prelude::*;

/// What the forge passes to `init`: the world's `extension.extension-config`.
#[derive(Record, Debug, Clone, PartialEq)]
pub struct ExtensionConfig {
    /// The extension's name.
    pub name: String,
    /// Where its data lives.
    pub db_path: String,
    /// Its configuration (JSON), if any.
    pub config: Option<String>,
}

/// Initializes the extension: rejects an empty name.
#[ferrite_plugin::function]
pub fn init(config: ExtensionConfig) -> Result<(), String> {
    if config.name.trim().is_empty() {
        return Err("the extension's name is empty".into());
    }
    Ok(())
}

/// The schema fragment this extension adds.
#[ferrite_plugin::function]
pub fn get_schema() -> String {
    "extend type Query { notes: [String!]! }\nextend type Mutation { addNote(text: String!): Int! }\n".into()
}

/// Records the data layout's version; running it again changes nothing.
#[ferrite_plugin::function]
pub fn migrate(db_path: String) -> Result<(), String> {
    let _ = db_path;
    kv::set("notes:schema-version", "1").map_err(|e| e.to_string())
}

/// `Query.notes` (every note, as a JSON list) and `Mutation.addNote`
/// (`{"text": "..."}`, answers the new count).
#[ferrite_plugin::function]
pub fn resolve_field(field: String, args: String) -> Result<String, String> {
    match field.as_str() {
        "Query.notes" => {
            let notes = kv::lrange("notes:all", 0, -1).map_err(|e| e.to_string())?;
            let quoted: Vec<String> = notes
                .iter()
                .map(|n| format!("{:?}", String::from_utf8_lossy(n)))
                .collect();
            Ok(format!("[{}]", quoted.join(",")))
        }
        "Mutation.addNote" => {
            // `{"text": "..."}`, read without a JSON library.
            let text = args
                .split_once("\"text\"")
                .and_then(|(_, rest)| rest.split_once('"'))
                .and_then(|(_, rest)| rest.rsplit_once('"'))
                .map(|(text, _)| text.to_string())
                .ok_or_else(|| format!("`addNote` takes an object with a `text`, not `{args}`"))?;
            let count = kv::rpush("notes:all", &[text]).map_err(|e| e.to_string())?;
            Ok(count.to_string())
        }
        other => Err(format!("this extension has no field `{other}`")),
    }
}

/// Runs inside a host of the world with `cargo ferrite-plugin test`, whose
/// key-value store is empty at the start of each test.
#[ferrite_plugin::test]
fn notes_are_added_and_listed() {
    migrate("notes".into()).unwrap();
    assert_eq!(resolve_field("Query.notes".into(), "{}".into()).unwrap(), "[]");
    let added = resolve_field("Mutation.addNote".into(), r#"{"text": "hi"}"#.into());
    assert_eq!(added.unwrap(), "1");
    assert_eq!(
        resolve_field("Query.notes".into(), "{}".into()).unwrap(),
        r#"["hi"]"#
    );
    assert!(resolve_field("Query.other".into(), "{}".into()).is_err());
}
