//! Forgepoint's issue-tracker extension (ADR-0002), as a plugin of
//! Forgepoint's world `forgepoint:extension/extension-world@0.1.0`.
//!
//! The functions below are the world's `extension` interface, matched by
//! name (`resolve_field` is `resolve-field`), and [`ExtensionConfig`] is
//! its `extension-config` record. The extension adds issues to the forge's
//! GraphQL API ([`SCHEMA`]) and resolves their fields, with arguments and
//! results as JSON.
//!
//! Its data lives in the host's key-value store, `ferrite:plugin/kv`, which
//! the world imports: the "key-value store through host functions" of the
//! ADR's mitigations, in place of SQLite over WASI. Every key is under
//! `issues:` (plugin.toml grants `issues:*` and nothing else); the layout is
//! in `store.rs`. The logic is written against the `Store` trait, so that
//! native tests run it over an in-memory store, and the plugin's tests
//! (`cargo ferrite-plugin test`) over the real one.

pub mod resolve;
pub mod store;

use ferrite_plugin::Record;

pub use resolve::{FIELDS, SCHEMA_VERSION, Settings};
pub use store::{Issue, IssueState, KvStore, MemoryStore, Store};

/// What the forge tells an extension when it loads it.
#[derive(Record, Clone, Debug, PartialEq, Eq)]
pub struct ExtensionConfig {
    /// The extension's name.
    pub name: String,
    /// Where its data lives (a key prefix, for storage through the host).
    pub db_path: String,
    /// Its configuration, as the operator wrote it (JSON), if any.
    pub config: Option<String>,
}

/// The GraphQL schema fragment of the extension. Its names are its own
/// (`Issue`, `IssueState`); the forge prefixes them when it merges the
/// extensions' schemas, as the ADR says, and routes `Query.issues`,
/// `Query.issue`, `Mutation.createIssue` and `Mutation.closeIssue` to
/// [`resolve_field`].
pub const SCHEMA: &str = r#""""An issue of the forge's issue tracker."""
type Issue {
  "The issue's id: its number, from 1."
  id: ID!
  title: String!
  body: String
  state: IssueState!
}

"Whether an issue is still open."
enum IssueState {
  OPEN
  CLOSED
}

extend type Query {
  "The issues, oldest first; only those in `state` when it is given."
  issues(state: IssueState): [Issue!]!
  "The issue `id`, or null when there is none."
  issue(id: ID!): Issue
}

extend type Mutation {
  "Opens an issue. The title is trimmed and must not be empty."
  createIssue(title: String!, body: String): Issue!
  "Closes the issue `id` (closing a closed issue changes nothing); null when there is none."
  closeIssue(id: ID!): Issue
}
"#;

/// Initializes the extension: checks that `db-path` is its storage (the key
/// prefix `issues:`) and records the settings of `config`, a JSON object
/// with `max_title_length` (default 256) and `max_body_length` (default
/// 65536), in characters. Without a `config`, the defaults.
#[ferrite_plugin::function]
pub fn init(config: ExtensionConfig) -> Result<(), String> {
    resolve::init(&mut KvStore, &config.db_path, config.config.as_deref())
}

/// The GraphQL schema fragment (SDL) the extension adds: the type `Issue`,
/// the enum `IssueState`, the queries `issues` and `issue`, and the
/// mutations `createIssue` and `closeIssue`.
#[ferrite_plugin::function]
pub fn get_schema() -> String {
    SCHEMA.into()
}

/// Brings the extension's data at `db-path` (the key prefix `issues:`) up
/// to its current layout, recording its schema version. Migrating data
/// that is already current changes nothing.
#[ferrite_plugin::function]
pub fn migrate(db_path: String) -> Result<(), String> {
    resolve::migrate(&mut KvStore, &db_path)
}

/// Resolves one field, `Query.issues`, `Query.issue`, `Mutation.createIssue`
/// or `Mutation.closeIssue`, with its arguments (a JSON object) to its value
/// (JSON: an issue is `{"id", "title", "body", "state"}`). An unknown field,
/// an unknown or ill-typed argument, and data that `migrate` has not
/// brought up to date are errors saying so.
#[ferrite_plugin::function]
pub fn resolve_field(field: String, args: String) -> Result<String, String> {
    resolve::resolve(&mut KvStore, &field, &args)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `name(` fields of `extend type <ty> { ... }` in the schema.
    fn extended_fields(ty: &str) -> Vec<String> {
        let start = SCHEMA
            .find(&format!("extend type {ty} {{"))
            .unwrap_or_else(|| panic!("no `extend type {ty}`"));
        let block = &SCHEMA[start..];
        let block = &block[..block.find('}').unwrap()];
        block
            .lines()
            .map(str::trim)
            // Descriptions are strings; fields are `name(args): Type`.
            .filter(|l| !l.starts_with('"'))
            .filter_map(|l| l.split_once('('))
            .map(|(name, _)| format!("{ty}.{name}"))
            .collect()
    }

    #[test]
    fn the_schema_declares_exactly_the_fields_it_resolves() {
        let mut declared = extended_fields("Query");
        declared.extend(extended_fields("Mutation"));
        assert_eq!(declared, FIELDS);
        assert_eq!(get_schema(), SCHEMA);
        for decl in [
            "type Issue {",
            "id: ID!",
            "title: String!",
            "body: String\n",
            "state: IssueState!",
            "enum IssueState {\n  OPEN\n  CLOSED\n}",
            "issues(state: IssueState): [Issue!]!",
            "issue(id: ID!): Issue\n",
            "createIssue(title: String!, body: String): Issue!",
            "closeIssue(id: ID!): Issue\n",
        ] {
            assert!(SCHEMA.contains(decl), "the schema lacks {decl:?}");
        }
    }

    #[test]
    fn outside_a_host_the_exports_say_the_store_is_unavailable() {
        let e = resolve_field("Query.issues".into(), "{}".into()).unwrap_err();
        assert!(e.starts_with("the key-value store failed"), "{e}");
        assert!(e.contains("cargo ferrite-plugin test"), "{e}");
        // Arguments are checked first, without the store.
        let e = resolve_field("Query.nope".into(), "{}".into()).unwrap_err();
        assert!(e.contains("not a field of this extension"), "{e}");
    }
}

#[cfg(ferrite_plugin_test)]
fn load() {
    init(ExtensionConfig {
        name: "issues".into(),
        db_path: "issues:".into(),
        config: None,
    })
    .unwrap();
    migrate("issues:".into()).unwrap();
}

#[cfg(ferrite_plugin_test)]
fn call(field: &str, args: &str) -> serde_json::Value {
    let out = resolve_field(field.into(), args.into()).unwrap();
    serde_json::from_str(&out).unwrap()
}

#[ferrite_plugin::test]
fn issues_round_trip_through_the_keyspace() {
    load();
    let a = call(
        "Mutation.createIssue",
        r#"{"title": "Crash on start", "body": "Since 2.1."}"#,
    );
    let b = call("Mutation.createIssue", r#"{"title": "Docs typo"}"#);
    assert_eq!((a["id"].as_str(), b["id"].as_str()), (Some("1"), Some("2")));
    assert_eq!(call("Query.issue", r#"{"id": "1"}"#), a);
    assert_eq!(call("Query.issues", "{}"), serde_json::json!([a, b]));
    let closed = call("Mutation.closeIssue", r#"{"id": "1"}"#);
    assert_eq!(closed["state"], "CLOSED");
    assert_eq!(
        call("Query.issues", r#"{"state": "OPEN"}"#),
        serde_json::json!([b])
    );
    assert_eq!(
        call("Query.issues", r#"{"state": "CLOSED"}"#),
        serde_json::json!([closed])
    );
    assert_eq!(
        call("Query.issue", r#"{"id": "9"}"#),
        serde_json::Value::Null
    );
}

#[ferrite_plugin::test]
fn every_key_is_under_the_prefix() {
    load();
    call("Mutation.createIssue", r#"{"title": "t", "body": "b"}"#);
    call("Mutation.closeIssue", r#"{"id": "1"}"#);
    let keys: Vec<String> = ferrite_plugin::kv::scan("", 100)
        .unwrap()
        .into_iter()
        .map(|k| String::from_utf8(k).unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "issues:all",
            "issues:issue:1",
            "issues:next-id",
            "issues:schema-version",
            "issues:settings",
            "issues:state:CLOSED",
        ]
    );
    assert_eq!(
        ferrite_plugin::kv::hget("issues:issue:1", "state").unwrap(),
        Some(b"CLOSED".to_vec())
    );
}

#[ferrite_plugin::test]
fn migrate_records_the_schema_version_once() {
    migrate("issues:".into()).unwrap();
    migrate("issues".into()).unwrap();
    assert_eq!(
        ferrite_plugin::kv::get_string("issues:schema-version").unwrap(),
        Some(SCHEMA_VERSION.to_string())
    );
    ferrite_plugin::kv::set("issues:schema-version", "7").unwrap();
    let e = migrate("issues:".into()).unwrap_err();
    assert!(e.contains("newer than the 1"), "{e}");
    ferrite_plugin::kv::set("issues:schema-version", "one").unwrap();
    let e = resolve_field("Query.issues".into(), "{}".into()).unwrap_err();
    assert!(
        e.contains("`issues:schema-version` is `one`, not a number"),
        "{e}"
    );
}

#[ferrite_plugin::test]
fn init_records_the_settings() {
    let config = ExtensionConfig {
        name: "issues".into(),
        db_path: "issues:".into(),
        config: Some(r#"{"max_title_length": 3}"#.into()),
    };
    init(config.clone()).unwrap();
    migrate("issues:".into()).unwrap();
    let e =
        resolve_field("Mutation.createIssue".into(), r#"{"title": "four"}"#.into()).unwrap_err();
    assert!(e.contains("the most this forge allows is 3"), "{e}");
    let e = init(ExtensionConfig {
        db_path: "forge_ext_issues.db".into(),
        ..config
    })
    .unwrap_err();
    assert!(e.contains("not this extension's storage"), "{e}");
}

#[ferrite_plugin::test(kv = "fixtures/migrated.json")]
fn a_migrated_store_resolves_without_init() {
    let issue = call("Mutation.createIssue", r#"{"title": "Seeded"}"#);
    assert_eq!(issue["id"], "1");
    assert_eq!(call("Query.issues", ""), serde_json::json!([issue]));
}
