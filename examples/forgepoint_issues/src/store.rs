//! Where issues are kept: the [`Store`] trait, [`KvStore`] over the host's
//! key-value store (what the exports use) and [`MemoryStore`] (what the
//! native tests use).
//!
//! The keys of [`KvStore`], all under [`PREFIX`] (plugin.toml grants
//! `issues:*` and nothing else):
//!
//! | Key | Type | Holds |
//! |---|---|---|
//! | `issues:schema-version` | string | the data's layout version, written by `migrate` |
//! | `issues:settings` | string | the settings `init` was given, as JSON |
//! | `issues:next-id` | string (counter) | the last id handed out (`kv::incr_by`) |
//! | `issues:issue:<id>` | hash | `title`, `state` (`OPEN` or `CLOSED`), and `body` when there is one |
//! | `issues:all` | sorted set | every id, scored by itself, so listing is in id order |
//! | `issues:state:OPEN`, `issues:state:CLOSED` | sorted set | the ids in that state |

use std::collections::BTreeMap;

use ferrite_plugin::{PluginError, kv};

/// The prefix of every key of the extension.
pub const PREFIX: &str = "issues:";

/// Whether an issue is still open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum IssueState {
    /// `OPEN`: created, not yet closed.
    Open,
    /// `CLOSED`.
    Closed,
}

impl IssueState {
    /// Its GraphQL name, which is also how it is stored.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueState::Open => "OPEN",
            IssueState::Closed => "CLOSED",
        }
    }

    /// The state of a GraphQL name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "OPEN" => Some(IssueState::Open),
            "CLOSED" => Some(IssueState::Closed),
            _ => None,
        }
    }
}

/// One issue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    /// Its number, from 1; GraphQL's `ID` is its decimal text.
    pub id: u64,
    /// Its title, trimmed, never empty.
    pub title: String,
    /// Its description, if it has one.
    pub body: Option<String>,
    /// Whether it is open.
    pub state: IssueState,
}

/// The extension's data. Errors are sentences for the forge.
pub trait Store {
    /// The layout version `migrate` recorded, if any.
    fn schema_version(&self) -> Result<Option<u32>, String>;
    /// Records the layout version.
    fn set_schema_version(&mut self, version: u32) -> Result<(), String>;
    /// The settings `init` recorded (JSON), if any.
    fn settings(&self) -> Result<Option<String>, String>;
    /// Records the settings.
    fn set_settings(&mut self, json: &str) -> Result<(), String>;
    /// A new issue id, never handed out before (the first is 1).
    fn next_id(&mut self) -> Result<u64, String>;
    /// Stores `issue`, new or changed, and keeps the indexes by state.
    fn save(&mut self, issue: &Issue) -> Result<(), String>;
    /// The issue `id`, if there is one.
    fn load(&self, id: u64) -> Result<Option<Issue>, String>;
    /// Every issue (in `state`, when given), by ascending id.
    fn list(&self, state: Option<IssueState>) -> Result<Vec<Issue>, String>;
}

/// The issues in the host's key-value store (`ferrite:plugin/kv`).
pub struct KvStore;

const SCHEMA_KEY: &str = "issues:schema-version";
const SETTINGS_KEY: &str = "issues:settings";
const NEXT_ID_KEY: &str = "issues:next-id";
const ALL_KEY: &str = "issues:all";

fn issue_key(id: u64) -> String {
    format!("{PREFIX}issue:{id}")
}

fn state_key(state: IssueState) -> String {
    format!("{PREFIX}state:{}", state.as_str())
}

fn failed(e: PluginError) -> String {
    format!("the key-value store failed: {e}")
}

fn text(bytes: Vec<u8>, what: &str) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|_| format!("{what} is not UTF-8 text"))
}

impl Store for KvStore {
    fn schema_version(&self) -> Result<Option<u32>, String> {
        match kv::get_string(SCHEMA_KEY).map_err(failed)? {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                format!("the schema version stored at `{SCHEMA_KEY}` is `{v}`, not a number")
            }),
        }
    }

    fn set_schema_version(&mut self, version: u32) -> Result<(), String> {
        kv::set(SCHEMA_KEY, version.to_string()).map_err(failed)
    }

    fn settings(&self) -> Result<Option<String>, String> {
        kv::get_string(SETTINGS_KEY).map_err(failed)
    }

    fn set_settings(&mut self, json: &str) -> Result<(), String> {
        kv::set(SETTINGS_KEY, json).map_err(failed)
    }

    fn next_id(&mut self) -> Result<u64, String> {
        let id = kv::incr_by(NEXT_ID_KEY, 1).map_err(failed)?;
        u64::try_from(id).map_err(|_| format!("the counter at `{NEXT_ID_KEY}` is negative ({id})"))
    }

    fn save(&mut self, issue: &Issue) -> Result<(), String> {
        let key = issue_key(issue.id);
        kv::hset(&key, "title", &issue.title).map_err(failed)?;
        kv::hset(&key, "state", issue.state.as_str()).map_err(failed)?;
        match &issue.body {
            Some(body) => kv::hset(&key, "body", body).map(drop),
            None => kv::hdel(&key, &["body"]).map(drop),
        }
        .map_err(failed)?;
        // The hash first, then the indexes: an index never names a missing issue.
        let id = issue.id.to_string();
        let score = issue.id as f64;
        kv::zadd(ALL_KEY, score, &id).map_err(failed)?;
        kv::zadd(state_key(issue.state), score, &id).map_err(failed)?;
        let other = match issue.state {
            IssueState::Open => IssueState::Closed,
            IssueState::Closed => IssueState::Open,
        };
        kv::zrem(state_key(other), &[&id]).map_err(failed)?;
        Ok(())
    }

    fn load(&self, id: u64) -> Result<Option<Issue>, String> {
        let key = issue_key(id);
        let fields = kv::hgetall(&key).map_err(failed)?;
        if fields.is_empty() {
            return Ok(None);
        }
        let (mut title, mut body, mut state) = (None, None, None);
        for (field, value) in fields {
            let value = text(value, &format!("a field of `{key}`"))?;
            match field.as_slice() {
                b"title" => title = Some(value),
                b"body" => body = Some(value),
                b"state" => {
                    state = Some(IssueState::parse(&value).ok_or_else(|| {
                        format!("the state stored in `{key}` is `{value}`, not OPEN or CLOSED")
                    })?);
                }
                _ => {}
            }
        }
        let missing = |what: &str| format!("the issue at `{key}` has no {what}");
        Ok(Some(Issue {
            id,
            title: title.ok_or_else(|| missing("title"))?,
            body,
            state: state.ok_or_else(|| missing("state"))?,
        }))
    }

    fn list(&self, state: Option<IssueState>) -> Result<Vec<Issue>, String> {
        let index = state.map_or(ALL_KEY.to_string(), state_key);
        let members =
            kv::zrange_by_score(&index, f64::NEG_INFINITY, f64::INFINITY).map_err(failed)?;
        let mut issues = Vec::with_capacity(members.len());
        for (member, _) in members {
            let member = text(member, &format!("a member of `{index}`"))?;
            let id = member
                .parse()
                .map_err(|_| format!("`{index}` holds `{member}`, which is not an issue id"))?;
            // Ids are only ever added after their issue is saved, and issues
            // are never deleted: a missing one is skipped rather than fatal.
            issues.extend(self.load(id)?);
        }
        Ok(issues)
    }
}

/// The issues in memory, for native tests of the resolvers.
#[derive(Debug, Default)]
pub struct MemoryStore {
    /// What `migrate` recorded.
    pub schema_version: Option<u32>,
    /// What `init` recorded.
    pub settings: Option<String>,
    /// The last id handed out.
    pub last_id: u64,
    /// The issues by id.
    pub issues: BTreeMap<u64, Issue>,
}

impl Store for MemoryStore {
    fn schema_version(&self) -> Result<Option<u32>, String> {
        Ok(self.schema_version)
    }

    fn set_schema_version(&mut self, version: u32) -> Result<(), String> {
        self.schema_version = Some(version);
        Ok(())
    }

    fn settings(&self) -> Result<Option<String>, String> {
        Ok(self.settings.clone())
    }

    fn set_settings(&mut self, json: &str) -> Result<(), String> {
        self.settings = Some(json.to_string());
        Ok(())
    }

    fn next_id(&mut self) -> Result<u64, String> {
        self.last_id += 1;
        Ok(self.last_id)
    }

    fn save(&mut self, issue: &Issue) -> Result<(), String> {
        self.issues.insert(issue.id, issue.clone());
        Ok(())
    }

    fn load(&self, id: u64) -> Result<Option<Issue>, String> {
        Ok(self.issues.get(&id).cloned())
    }

    fn list(&self, state: Option<IssueState>) -> Result<Vec<Issue>, String> {
        Ok(self
            .issues
            .values()
            .filter(|i| state.is_none_or(|s| i.state == s))
            .cloned()
            .collect())
    }
}
