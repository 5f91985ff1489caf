//! The extension's logic over any [`Store`]: settings, migrations and the
//! field resolvers, with their arguments and results as JSON.

use serde_json::{Map, Value, json};

use crate::store::{Issue, IssueState, PREFIX, Store};

/// The layout of the data this version writes: `migrate` records it, and
/// the resolvers refuse data of another.
pub const SCHEMA_VERSION: u32 = 1;

/// The fields [`resolve`] answers, as the forge names them.
pub const FIELDS: [&str; 4] = [
    "Query.issues",
    "Query.issue",
    "Mutation.createIssue",
    "Mutation.closeIssue",
];

/// What the operator may configure (the `config` of `init`, a JSON object).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// The longest title, in characters (`max_title_length`, default 256).
    pub max_title_length: u64,
    /// The longest body, in characters (`max_body_length`, default 65536).
    pub max_body_length: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_title_length: 256,
            max_body_length: 65_536,
        }
    }
}

impl Settings {
    const KEYS: [&'static str; 2] = ["max_title_length", "max_body_length"];

    /// Reads settings from JSON: an object with any of [`Settings::KEYS`],
    /// each a positive integer; those left out keep their defaults.
    pub fn parse(json: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(json)
            .map_err(|e| format!("the extension's configuration is not valid JSON: {e}"))?;
        let Value::Object(fields) = value else {
            return Err(format!(
                "the extension's configuration must be a JSON object, not `{value}`"
            ));
        };
        let mut settings = Settings::default();
        for (key, value) in fields {
            let slot = match key.as_str() {
                "max_title_length" => &mut settings.max_title_length,
                "max_body_length" => &mut settings.max_body_length,
                _ => {
                    return Err(format!(
                        "the extension's configuration has an unknown setting `{key}`: it knows `{}` and `{}`",
                        Self::KEYS[0],
                        Self::KEYS[1]
                    ));
                }
            };
            *slot = value.as_u64().filter(|&n| n > 0).ok_or_else(|| {
                format!("the setting `{key}` must be a positive integer, not `{value}`")
            })?;
        }
        Ok(settings)
    }

    fn to_json(self) -> String {
        json!({
            "max_title_length": self.max_title_length,
            "max_body_length": self.max_body_length,
        })
        .to_string()
    }
}

/// Checks that the forge keeps the extension's data where its permissions
/// reach: the key prefix `issues:`.
fn check_db_path(db_path: &str) -> Result<(), String> {
    if db_path == PREFIX || db_path == PREFIX.trim_end_matches(':') {
        Ok(())
    } else {
        Err(format!(
            "the db-path `{db_path}` is not this extension's storage: it keeps its data in the host's key-value store under `{PREFIX}` (the keys its plugin.toml grants), so its db-path is `{PREFIX}`"
        ))
    }
}

/// `init`: checks the storage and records the settings of `config`
/// (defaults when there is none).
pub fn init<S: Store + ?Sized>(
    store: &mut S,
    db_path: &str,
    config: Option<&str>,
) -> Result<(), String> {
    check_db_path(db_path)?;
    let settings = match config {
        None => Settings::default(),
        Some(json) => Settings::parse(json)?,
    };
    store.set_settings(&settings.to_json())
}

/// `migrate`: brings the data to [`SCHEMA_VERSION`]. Version 1 is the
/// first layout, so a store without a version only records it; a store at
/// the current version is left alone, so migrating twice is harmless.
pub fn migrate<S: Store + ?Sized>(store: &mut S, db_path: &str) -> Result<(), String> {
    check_db_path(db_path)?;
    match store.schema_version()? {
        Some(SCHEMA_VERSION) => Ok(()),
        Some(v) if v > SCHEMA_VERSION => Err(newer(v)),
        // Later layouts add their steps here, from `v` up.
        Some(_) | None => store.set_schema_version(SCHEMA_VERSION),
    }
}

fn newer(v: u32) -> String {
    format!(
        "the issues extension's data is at schema version {v}, newer than the {SCHEMA_VERSION} this version of the extension knows: upgrade the extension"
    )
}

fn check_migrated<S: Store + ?Sized>(store: &S) -> Result<(), String> {
    match store.schema_version()? {
        Some(SCHEMA_VERSION) => Ok(()),
        Some(v) if v > SCHEMA_VERSION => Err(newer(v)),
        Some(v) => Err(format!(
            "the issues extension's data is at schema version {v}: the forge must call `migrate` before resolving fields"
        )),
        None => Err(
            "the issues extension's data has no schema version: the forge must call `migrate` before resolving fields"
                .into(),
        ),
    }
}

/// An issue as GraphQL returns it.
fn to_json(issue: &Issue) -> Value {
    json!({
        "id": issue.id.to_string(),
        "title": issue.title,
        "body": issue.body,
        "state": issue.state.as_str(),
    })
}

/// The arguments of one field, checked as they are read.
struct Args<'a> {
    field: &'a str,
    map: Map<String, Value>,
}

impl<'a> Args<'a> {
    /// Parses `json` (an object; empty text or `null` for none) and refuses
    /// arguments other than `allowed`.
    fn parse(field: &'a str, json: &str, allowed: &[&str]) -> Result<Self, String> {
        let map = if json.trim().is_empty() {
            Map::new()
        } else {
            match serde_json::from_str(json) {
                Ok(Value::Object(map)) => map,
                Ok(Value::Null) => Map::new(),
                Ok(other) => {
                    return Err(format!(
                        "the arguments of `{field}` must be a JSON object, not `{other}`"
                    ));
                }
                Err(e) => {
                    return Err(format!(
                        "the arguments of `{field}` are not valid JSON: {e}"
                    ));
                }
            }
        };
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            let takes = match allowed {
                [] => "no arguments".to_string(),
                [one] => format!("only `{one}`"),
                many => format!("`{}`", many.join("` and `")),
            };
            return Err(format!(
                "`{field}` has no argument `{unknown}`: it takes {takes}"
            ));
        }
        Ok(Args { field, map })
    }

    /// An optional argument; `null` counts as left out.
    fn get(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    fn wrong(&self, name: &str, expected: &str, value: &Value) -> String {
        format!(
            "the argument `{name}` of `{}` must be {expected}, not `{value}`",
            self.field
        )
    }

    fn required(&self, name: &str, ty: &str) -> Result<&Value, String> {
        self.get(name)
            .ok_or_else(|| format!("`{}` needs the argument `{name}` ({ty})", self.field))
    }

    fn string(&self, name: &str) -> Result<Option<&str>, String> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.wrong(name, "a string", other)),
        }
    }

    /// `id: ID!`: an issue id as a string of digits (how GraphQL serializes
    /// an `ID`) or a non-negative integer.
    fn id(&self) -> Result<u64, String> {
        let value = self.required("id", "ID!")?;
        let id = match value {
            Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.parse().ok()
            }
            Value::Number(n) => n.as_u64(),
            _ => None,
        };
        id.ok_or_else(|| self.wrong("id", "an issue id (digits, as in \"12\")", value))
    }

    fn state(&self) -> Result<Option<IssueState>, String> {
        match self.get("state") {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .and_then(IssueState::parse)
                .map(Some)
                .ok_or_else(|| self.wrong("state", "`OPEN` or `CLOSED`", v)),
        }
    }
}

/// Resolves `field` with `args` (JSON) to its value (JSON).
pub fn resolve<S: Store + ?Sized>(
    store: &mut S,
    field: &str,
    args: &str,
) -> Result<String, String> {
    let value = match field {
        "Query.issues" => {
            let args = Args::parse(field, args, &["state"])?;
            let state = args.state()?;
            check_migrated(store)?;
            Value::Array(store.list(state)?.iter().map(to_json).collect())
        }
        "Query.issue" => {
            let args = Args::parse(field, args, &["id"])?;
            let id = args.id()?;
            check_migrated(store)?;
            store.load(id)?.as_ref().map_or(Value::Null, to_json)
        }
        "Mutation.createIssue" => {
            let args = Args::parse(field, args, &["title", "body"])?;
            args.required("title", "String!")?;
            let title = args.string("title")?.unwrap_or_default().trim();
            if title.is_empty() {
                return Err(format!("the `title` of `{field}` is empty"));
            }
            let body = args.string("body")?;
            check_migrated(store)?;
            let settings = match store.settings()? {
                None => Settings::default(),
                Some(json) => Settings::parse(&json)?,
            };
            let too_long = |what: &str, text: &str, max: u64| {
                let len = text.chars().count() as u64;
                (len > max).then(|| {
                    format!("the `{what}` of `{field}` has {len} characters; the most this forge allows is {max}")
                })
            };
            if let Some(e) = too_long("title", title, settings.max_title_length)
                .or_else(|| too_long("body", body.unwrap_or_default(), settings.max_body_length))
            {
                return Err(e);
            }
            let issue = Issue {
                id: store.next_id()?,
                title: title.to_string(),
                body: body.map(str::to_string),
                state: IssueState::Open,
            };
            store.save(&issue)?;
            to_json(&issue)
        }
        "Mutation.closeIssue" => {
            let args = Args::parse(field, args, &["id"])?;
            let id = args.id()?;
            check_migrated(store)?;
            match store.load(id)? {
                None => Value::Null,
                Some(mut issue) => {
                    if issue.state != IssueState::Closed {
                        issue.state = IssueState::Closed;
                        store.save(&issue)?;
                    }
                    to_json(&issue)
                }
            }
        }
        _ => {
            return Err(format!(
                "`{field}` is not a field of this extension: it resolves `{}`",
                FIELDS.join("`, `")
            ));
        }
    };
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    /// A store after `init` and `migrate`.
    fn ready() -> MemoryStore {
        let mut store = MemoryStore::default();
        init(&mut store, "issues:", None).unwrap();
        migrate(&mut store, "issues:").unwrap();
        store
    }

    fn call(store: &mut MemoryStore, field: &str, args: Value) -> Value {
        let out = resolve(store, field, &args.to_string())
            .unwrap_or_else(|e| panic!("{field} {args}: {e}"));
        serde_json::from_str(&out).unwrap()
    }

    fn error(store: &mut MemoryStore, field: &str, args: &str) -> String {
        resolve(store, field, args).unwrap_err()
    }

    #[test]
    fn it_creates_lists_and_closes_issues() {
        let mut s = ready();
        let a = call(
            &mut s,
            "Mutation.createIssue",
            json!({"title": "Crash on start"}),
        );
        assert_eq!(
            a,
            json!({"id": "1", "title": "Crash on start", "body": null, "state": "OPEN"})
        );
        let b = call(
            &mut s,
            "Mutation.createIssue",
            json!({"title": "  Docs typo ", "body": "In the README."}),
        );
        assert_eq!(b["id"], "2");
        assert_eq!(b["title"], "Docs typo");
        assert_eq!(b["body"], "In the README.");

        assert_eq!(call(&mut s, "Query.issues", json!({})), json!([a, b]));
        assert_eq!(call(&mut s, "Query.issue", json!({"id": "2"})), b);
        assert_eq!(call(&mut s, "Query.issue", json!({"id": 2})), b);

        let closed = call(&mut s, "Mutation.closeIssue", json!({"id": "1"}));
        assert_eq!(closed["state"], "CLOSED");
        assert_eq!(closed["title"], "Crash on start");
        assert_eq!(
            call(&mut s, "Query.issues", json!({"state": "OPEN"})),
            json!([b])
        );
        assert_eq!(
            call(&mut s, "Query.issues", json!({"state": "CLOSED"})),
            json!([closed])
        );
        assert_eq!(
            call(&mut s, "Query.issues", json!({"state": null})),
            json!([closed, b])
        );
        // Closing again changes nothing; ids are not reused.
        assert_eq!(
            call(&mut s, "Mutation.closeIssue", json!({"id": "1"})),
            closed
        );
        let c = call(
            &mut s,
            "Mutation.createIssue",
            json!({"title": "c", "body": null}),
        );
        assert_eq!(
            (c["id"].clone(), c["body"].clone()),
            (json!("3"), Value::Null)
        );
    }

    #[test]
    fn unknown_issues_are_null() {
        let mut s = ready();
        assert_eq!(call(&mut s, "Query.issue", json!({"id": "7"})), Value::Null);
        assert_eq!(
            call(&mut s, "Mutation.closeIssue", json!({"id": "0"})),
            Value::Null
        );
        assert_eq!(call(&mut s, "Query.issues", json!({})), json!([]));
        // No arguments may be written as empty text or null.
        assert_eq!(resolve(&mut s, "Query.issues", "").unwrap(), "[]");
        assert_eq!(resolve(&mut s, "Query.issues", " null ").unwrap(), "[]");
    }

    #[test]
    fn unknown_fields_are_errors_naming_them() {
        let mut s = ready();
        for field in ["Query.issuez", "Mutation.deleteIssue", "issues", ""] {
            let e = error(&mut s, field, "{}");
            assert!(
                e.starts_with(&format!("`{field}` is not a field of this extension")),
                "{e}"
            );
            assert!(
                e.contains(
                    "`Query.issues`, `Query.issue`, `Mutation.createIssue`, `Mutation.closeIssue`"
                ),
                "{e}"
            );
        }
    }

    #[test]
    fn bad_arguments_are_errors_naming_them() {
        let mut s = ready();
        for (field, args, why) in [
            (
                "Query.issues",
                "{",
                "the arguments of `Query.issues` are not valid JSON",
            ),
            (
                "Query.issues",
                "[1]",
                "the arguments of `Query.issues` must be a JSON object, not `[1]`",
            ),
            (
                "Query.issues",
                r#"{"first": 10}"#,
                "`Query.issues` has no argument `first`: it takes only `state`",
            ),
            (
                "Query.issues",
                r#"{"state": "open"}"#,
                "the argument `state` of `Query.issues` must be `OPEN` or `CLOSED`, not `\"open\"`",
            ),
            (
                "Query.issues",
                r#"{"state": 1}"#,
                "must be `OPEN` or `CLOSED`, not `1`",
            ),
            (
                "Query.issue",
                "{}",
                "`Query.issue` needs the argument `id` (ID!)",
            ),
            (
                "Query.issue",
                r#"{"id": null}"#,
                "`Query.issue` needs the argument `id` (ID!)",
            ),
            (
                "Query.issue",
                r#"{"id": "abc"}"#,
                "the argument `id` of `Query.issue` must be an issue id",
            ),
            ("Query.issue", r#"{"id": "-1"}"#, "must be an issue id"),
            ("Query.issue", r#"{"id": -1}"#, "must be an issue id"),
            ("Query.issue", r#"{"id": 1.5}"#, "must be an issue id"),
            ("Query.issue", r#"{"id": ""}"#, "must be an issue id"),
            (
                "Query.issue",
                r#"{"id": "99999999999999999999"}"#,
                "must be an issue id",
            ),
            (
                "Mutation.closeIssue",
                r#"{"id": true}"#,
                "the argument `id` of `Mutation.closeIssue` must be an issue id",
            ),
            (
                "Mutation.closeIssue",
                r#"{"id": "1", "reason": "dup"}"#,
                "`Mutation.closeIssue` has no argument `reason`: it takes only `id`",
            ),
            (
                "Mutation.createIssue",
                "{}",
                "`Mutation.createIssue` needs the argument `title` (String!)",
            ),
            (
                "Mutation.createIssue",
                r#"{"title": 5}"#,
                "the argument `title` of `Mutation.createIssue` must be a string, not `5`",
            ),
            (
                "Mutation.createIssue",
                r#"{"title": "t", "body": []}"#,
                "the argument `body` of `Mutation.createIssue` must be a string, not `[]`",
            ),
            (
                "Mutation.createIssue",
                r#"{"title": "   "}"#,
                "the `title` of `Mutation.createIssue` is empty",
            ),
            (
                "Mutation.createIssue",
                r#"{"title": "t", "labels": []}"#,
                "has no argument `labels`: it takes `title` and `body`",
            ),
        ] {
            let e = error(&mut s, field, args);
            assert!(
                e.contains(why),
                "{field} {args}: expected {why:?}, got {e:?}"
            );
        }
        // Nothing was created by the failed calls.
        assert!(s.issues.is_empty());
    }

    #[test]
    fn the_settings_limit_titles_and_bodies() {
        let mut s = MemoryStore::default();
        init(
            &mut s,
            "issues",
            Some(r#"{"max_title_length": 5, "max_body_length": 3}"#),
        )
        .unwrap();
        migrate(&mut s, "issues").unwrap();
        call(
            &mut s,
            "Mutation.createIssue",
            json!({"title": "héllo", "body": "abc"}),
        );
        let e = error(&mut s, "Mutation.createIssue", r#"{"title": "hello!"}"#);
        assert_eq!(
            e,
            "the `title` of `Mutation.createIssue` has 6 characters; the most this forge allows is 5"
        );
        let e = error(
            &mut s,
            "Mutation.createIssue",
            r#"{"title": "t", "body": "abcd"}"#,
        );
        assert!(
            e.contains("the `body` of `Mutation.createIssue` has 4 characters"),
            "{e}"
        );
        // Without settings, the defaults.
        let mut d = ready();
        assert_eq!(
            Settings::parse(d.settings.as_deref().unwrap()),
            Ok(Settings::default())
        );
        let long = "x".repeat(257);
        let e = error(
            &mut d,
            "Mutation.createIssue",
            &json!({"title": long}).to_string(),
        );
        assert!(e.contains("the most this forge allows is 256"), "{e}");
    }

    #[test]
    fn init_checks_its_configuration_and_storage() {
        let mut s = MemoryStore::default();
        for (db_path, config, why) in [
            (
                "forge_ext_issues.db",
                None,
                "the db-path `forge_ext_issues.db` is not this extension's storage",
            ),
            ("other:", None, "its db-path is `issues:`"),
            (
                "issues:",
                Some("{"),
                "the extension's configuration is not valid JSON",
            ),
            ("issues:", Some("[]"), "must be a JSON object, not `[]`"),
            (
                "issues:",
                Some(r#"{"colour": 1}"#),
                "unknown setting `colour`: it knows `max_title_length` and `max_body_length`",
            ),
            (
                "issues:",
                Some(r#"{"max_title_length": 0}"#),
                "the setting `max_title_length` must be a positive integer, not `0`",
            ),
            (
                "issues:",
                Some(r#"{"max_body_length": "9"}"#),
                "must be a positive integer, not `\"9\"`",
            ),
        ] {
            let e = init(&mut s, db_path, config).unwrap_err();
            assert!(e.contains(why), "{db_path} {config:?}: {e}");
        }
        assert_eq!(s.settings, None);
        init(&mut s, "issues:", Some(r#"{"max_body_length": 10}"#)).unwrap();
        assert_eq!(
            Settings::parse(s.settings.as_deref().unwrap()),
            Ok(Settings {
                max_title_length: 256,
                max_body_length: 10
            })
        );
    }

    #[test]
    fn migrate_is_idempotent_and_required() {
        let mut s = MemoryStore::default();
        let e = error(&mut s, "Query.issues", "{}");
        assert!(
            e.contains("has no schema version: the forge must call `migrate`"),
            "{e}"
        );
        let e = error(&mut s, "Mutation.createIssue", r#"{"title": "t"}"#);
        assert!(e.contains("must call `migrate`"), "{e}");
        assert!(s.issues.is_empty());

        migrate(&mut s, "issues:").unwrap();
        assert_eq!(s.schema_version, Some(SCHEMA_VERSION));
        call(&mut s, "Mutation.createIssue", json!({"title": "kept"}));
        migrate(&mut s, "issues:").unwrap();
        assert_eq!(s.schema_version, Some(SCHEMA_VERSION));
        assert_eq!(s.issues.len(), 1);
        // Resolving works without `init`: the default settings apply.
        assert_eq!(s.settings, None);

        assert!(
            migrate(&mut s, "elsewhere")
                .unwrap_err()
                .contains("db-path `elsewhere`")
        );
        s.schema_version = Some(SCHEMA_VERSION + 1);
        let e = migrate(&mut s, "issues:").unwrap_err();
        assert!(e.contains("schema version 2, newer than the 1"), "{e}");
        assert_eq!(s.schema_version, Some(2));
        let e = error(&mut s, "Query.issue", r#"{"id": "1"}"#);
        assert!(e.contains("upgrade the extension"), "{e}");
        s.schema_version = Some(0);
        assert!(error(&mut s, "Query.issues", "{}").contains("at schema version 0"));
        migrate(&mut s, "issues:").unwrap();
        assert_eq!(s.schema_version, Some(SCHEMA_VERSION));
    }

    #[test]
    fn arguments_are_checked_before_the_store() {
        // A bad argument is reported as such even before `migrate`.
        let mut s = MemoryStore::default();
        let e = error(&mut s, "Query.issue", r#"{"id": "x"}"#);
        assert!(e.contains("must be an issue id"), "{e}");
    }
}
