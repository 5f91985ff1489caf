//! Which keys a plugin may read and write: `[permissions] keys` in its
//! `plugin.toml`.
//!
//! ```toml
//! [permissions]
//! keys = false                                    # none (the default)
//! keys = true                                     # every key, read and write
//! keys = ["ratelimit:*", "session:*"]             # these keys, read and write
//! keys = { read = ["cfg:*"], write = ["mine:*"] } # `cfg:*` read-only, `mine:*` read and write
//! ```
//!
//! Patterns are globs as Redis ACL key patterns are: `*` any run of bytes,
//! `?` any one byte, `[abc]`, `[^abc]` and `[a-z]` one byte of (or not of)
//! a set, `\` escapes the next byte.
//!
//! ```
//! use ferrite_plugin_host::scope::KeyScope;
//!
//! let scope = KeyScope::read_write(["mine:*"]).with_read(["cfg:*"]);
//! assert!(scope.may_write(b"mine:a") && scope.may_read(b"cfg:x"));
//! assert!(!scope.may_write(b"cfg:x") && !scope.may_read(b"other:a"));
//! assert!(KeyScope::all().covers(&scope) && !scope.covers(&KeyScope::all()));
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

/// The keys a plugin may read and write.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct KeyScope {
    /// Patterns of the keys it may read and write.
    pub write: Vec<String>,
    /// Patterns of the keys it may only read.
    pub read: Vec<String>,
}

impl KeyScope {
    /// No keys at all (`keys = false`).
    pub fn none() -> KeyScope {
        KeyScope::default()
    }

    /// Every key, read and write (`keys = true`).
    pub fn all() -> KeyScope {
        KeyScope::read_write(["*"])
    }

    /// The keys matching `patterns`, read and write.
    pub fn read_write<S: Into<String>>(patterns: impl IntoIterator<Item = S>) -> KeyScope {
        KeyScope {
            write: patterns.into_iter().map(Into::into).collect(),
            read: Vec::new(),
        }
    }

    /// This scope, plus the keys matching `patterns` read-only.
    pub fn with_read<S: Into<String>>(mut self, patterns: impl IntoIterator<Item = S>) -> KeyScope {
        self.read.extend(patterns.into_iter().map(Into::into));
        self
    }

    /// `keys = true` or `false`.
    pub fn from_bool(all: bool) -> KeyScope {
        if all {
            KeyScope::all()
        } else {
            KeyScope::none()
        }
    }

    /// Whether it grants no key at all.
    pub fn is_none(&self) -> bool {
        self.write.is_empty() && self.read.is_empty()
    }

    /// Whether it grants every key, read and write.
    pub fn is_all(&self) -> bool {
        self.write.iter().any(|p| p == "*")
    }

    /// Whether it grants every key for reading (so that commands reaching
    /// keys they do not name, such as `KEYS` or `SCAN`, may run).
    pub fn reads_all(&self) -> bool {
        self.is_all() || self.read.iter().any(|p| p == "*")
    }

    /// Whether the plugin may read `key`.
    pub fn may_read(&self, key: &[u8]) -> bool {
        self.may_write(key) || self.read.iter().any(|p| glob_match(p.as_bytes(), key))
    }

    /// Whether the plugin may write (and read) `key`.
    pub fn may_write(&self, key: &[u8]) -> bool {
        self.write.iter().any(|p| glob_match(p.as_bytes(), key))
    }

    /// Whether every access `other` grants, this scope grants too: what an
    /// approval of `self` covers. Conservative: a pattern is covered by an
    /// equal one, by `*`, or by a `prefix*` whose prefix starts it (so
    /// `ab*` covers `abc:*` and `abc`), so a scope may be judged wider than
    /// it is, never narrower.
    pub fn covers(&self, other: &KeyScope) -> bool {
        let covered = |p: &String, by: &[&String]| by.iter().any(|q| pattern_covers(q, p));
        let writable: Vec<&String> = self.write.iter().collect();
        let readable: Vec<&String> = self.write.iter().chain(&self.read).collect();
        other.write.iter().all(|p| covered(p, &writable))
            && other.read.iter().all(|p| covered(p, &readable))
    }

    /// What `self` grants beyond `granted`, for an error, or `None` when
    /// `granted` covers it.
    pub fn beyond(&self, granted: &KeyScope) -> Option<String> {
        if granted.covers(self) {
            return None;
        }
        if granted.is_none() {
            return Some(format!("key access ({self})"));
        }
        Some(format!(
            "key access {self}, wider than the {granted} granted before"
        ))
    }

    /// The prefixes under `prefix` that hold every key starting with
    /// `prefix` this scope may read, ascending, none a prefix of another (so
    /// that scanning them one after the other lists keys in order, each
    /// once). Each is `prefix` or a pattern's literal beginning (up to its
    /// first wildcard); a key under one still has to match a pattern.
    ///
    /// ```
    /// use ferrite_plugin_host::scope::KeyScope;
    ///
    /// let scope = KeyScope::read_write(["b:*", "a:x:*"]).with_read(["a:*"]);
    /// assert_eq!(scope.scan_prefixes(b""), [b"a:".to_vec(), b"b:".to_vec()]);
    /// assert_eq!(scope.scan_prefixes(b"a:x:1"), [b"a:x:1".to_vec()]);
    /// assert!(scope.scan_prefixes(b"c").is_empty());
    /// ```
    pub fn scan_prefixes(&self, prefix: &[u8]) -> Vec<Vec<u8>> {
        let mut under: Vec<&[u8]> = self
            .write
            .iter()
            .chain(&self.read)
            .filter_map(|p| {
                let literal = literal_prefix(p.as_bytes());
                if literal.starts_with(prefix) {
                    Some(literal)
                } else if prefix.starts_with(literal) {
                    Some(prefix)
                } else {
                    None
                }
            })
            .collect();
        under.sort_unstable();
        let mut kept: Vec<Vec<u8>> = Vec::with_capacity(under.len());
        for p in under {
            // Sorted, a prefix comes right before the strings it starts.
            if !kept.last().is_some_and(|k| p.starts_with(k)) {
                kept.push(p.to_vec());
            }
        }
        kept
    }

    /// The text of the permission-denied error for a plugin that tried to
    /// read (or, with `write`, write) `key` outside this scope, through
    /// `command` if it was a `server.call`: it names the plugin, the key,
    /// the patterns, and the fix.
    ///
    /// ```
    /// use ferrite_plugin_host::scope::KeyScope;
    ///
    /// let scope = KeyScope::read_write(["ratelimit:*", "session:*"]);
    /// assert_eq!(
    ///     scope.refusal("limiter", b"other:a", true, None),
    ///     "plugin `limiter` may not write key `other:a`: its [permissions] keys are \
    ///      `ratelimit:*, session:*` (add a pattern that matches it in plugin.toml)"
    /// );
    /// ```
    pub fn refusal(&self, plugin: &str, key: &[u8], write: bool, command: Option<&str>) -> String {
        let access = if write { "write" } else { "read" };
        let via = command.map_or(String::new(), |c| format!(" with {c}"));
        let fix = if write && self.may_read(key) {
            "it is read-only: add a pattern that matches it to `write` in plugin.toml"
        } else if write && !self.read.is_empty() {
            "add a pattern that matches it to `write` in plugin.toml"
        } else {
            "add a pattern that matches it in plugin.toml"
        };
        format!(
            "plugin `{plugin}` may not {access} key `{}`{via}: its [permissions] keys are {} ({fix})",
            shown_key(key),
            self.patterns()
        )
    }

    /// The text of the permission-denied error for a plugin that tried to
    /// run `command`, which reaches keys it does not name (`KEYS`, `SCAN`,
    /// ...; with `write`, one that also writes them), without a scope of
    /// every key.
    pub fn refusal_of_every_key(&self, plugin: &str, command: &str, write: bool) -> String {
        let needs = if write {
            "`keys = true`"
        } else {
            "`keys = true`, or `*` among its read patterns"
        };
        format!(
            "plugin `{plugin}` may not run {command}: it reaches every key of the database, and its [permissions] keys are {} ({command} needs {needs} in plugin.toml; `kv::scan` lists the keys a plugin may read)",
            self.patterns()
        )
    }

    /// The patterns as an error names them: `` `a:*, b:*` ``,
    /// `` `mine:*` and read-only `cfg:*` ``, or `none`.
    fn patterns(&self) -> String {
        match (self.write.is_empty(), self.read.is_empty()) {
            (true, true) => "none".into(),
            (false, true) => format!("`{}`", self.write.join(", ")),
            (true, false) => format!("read-only `{}`", self.read.join(", ")),
            (false, false) => format!(
                "`{}` and read-only `{}`",
                self.write.join(", "),
                self.read.join(", ")
            ),
        }
    }

    /// Checks every pattern: not empty, and a well-formed glob. The error
    /// names the pattern and what is wrong with it.
    pub fn check(&self) -> Result<(), String> {
        for p in self.write.iter().chain(&self.read) {
            check_pattern(p).map_err(|why| format!("the key pattern `{p}` {why}"))?;
        }
        Ok(())
    }
}

impl fmt::Display for KeyScope {
    /// `no keys`, `all keys`, `keys ratelimit:*, session:*` or
    /// `keys mine:* (read-only cfg:*)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_none() {
            return f.write_str("no keys");
        }
        if self.is_all() {
            return f.write_str("all keys");
        }
        f.write_str("keys ")?;
        if !self.write.is_empty() {
            f.write_str(&self.write.join(", "))?;
        }
        if !self.read.is_empty() {
            let sep = if self.write.is_empty() { "" } else { " " };
            write!(f, "{sep}(read-only {})", self.read.join(", "))?;
        }
        Ok(())
    }
}

impl Serialize for KeyScope {
    /// As `plugin.toml` spells it: `false`, `true`, a list, or a table.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Table<'a> {
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            read: &'a [String],
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            write: &'a [String],
        }
        if self.is_none() {
            s.serialize_bool(false)
        } else if self.read.is_empty() && self.write == ["*"] {
            s.serialize_bool(true)
        } else if self.read.is_empty() {
            self.write.serialize(s)
        } else {
            Table {
                read: &self.read,
                write: &self.write,
            }
            .serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for KeyScope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            All(bool),
            List(Vec<String>),
            Table(Table),
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Table {
            #[serde(default)]
            read: Vec<String>,
            #[serde(default)]
            write: Vec<String>,
        }
        let form = Form::deserialize(d).map_err(|_| {
            serde::de::Error::custom(
                "`keys` must be `false`, `true`, a list of key patterns such as `[\"ratelimit:*\"]`, or a table such as `{ read = [\"cfg:*\"], write = [\"mine:*\"] }`",
            )
        })?;
        let scope = match form {
            Form::All(all) => KeyScope::from_bool(all),
            Form::List(write) => KeyScope {
                write,
                read: Vec::new(),
            },
            Form::Table(t) => KeyScope {
                write: t.write,
                read: t.read,
            },
        };
        scope.check().map_err(serde::de::Error::custom)?;
        Ok(scope)
    }
}

/// The most bytes of a key an error shows.
const SHOWN_KEY: usize = 128;

/// `key` for an error: as UTF-8 (invalid bytes replaced), its first
/// [`SHOWN_KEY`] bytes and `…` when longer.
fn shown_key(key: &[u8]) -> String {
    let text = String::from_utf8_lossy(&key[..key.len().min(SHOWN_KEY)]);
    if key.len() <= SHOWN_KEY {
        return text.into_owned();
    }
    // The cut may split a character, which lossy decoding shows as `�`.
    let text = text.trim_end_matches('\u{fffd}');
    format!("{text}…")
}

/// What every key `pattern` matches starts with: its bytes up to the first
/// wildcard or escape.
fn literal_prefix(pattern: &[u8]) -> &[u8] {
    let end = pattern
        .iter()
        .position(|c| b"*?[\\".contains(c))
        .unwrap_or(pattern.len());
    &pattern[..end]
}

/// Why `pattern` is not a usable key pattern, if it is not.
fn check_pattern(pattern: &str) -> Result<(), &'static str> {
    if pattern.is_empty() {
        return Err("is empty: write `*` for every key, or a prefix such as `cache:*`");
    }
    let b = pattern.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if i + 1 == b.len() => {
                return Err("ends with `\\`, which escapes nothing: write `\\\\` for a backslash");
            }
            b'\\' => i += 1,
            b'[' => {
                let mut j = i + 1;
                if j < b.len() && b[j] == b'^' {
                    j += 1;
                }
                loop {
                    match b.get(j) {
                        None => {
                            return Err(
                                "has a `[` without its `]`: close the set, or write `\\[` for a bracket",
                            );
                        }
                        Some(b'\\') => j += 2,
                        Some(b']') if j > i + 1 => break,
                        Some(_) => j += 1,
                    }
                }
                i = j;
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Whether pattern `q` matches every key pattern `p` matches (conservative:
/// `false` when unsure).
fn pattern_covers(q: &str, p: &str) -> bool {
    if q == "*" || q == p {
        return true;
    }
    // `prefix*`, with no other wildcard in the prefix, covers any pattern
    // whose literal beginning (up to its first wildcard) starts with it.
    let Some(prefix) = q.strip_suffix('*') else {
        return false;
    };
    if prefix.bytes().any(|c| b"*?[\\".contains(&c)) {
        return false;
    }
    let literal = p.find(['*', '?', '[', '\\']).map_or(p, |i| &p[..i]);
    literal.starts_with(prefix)
}

/// Whether `key` matches the glob `pattern` (Redis's `stringmatchlen`, case
/// sensitive).
pub fn glob_match(pattern: &[u8], key: &[u8]) -> bool {
    let (mut p, mut k) = (0, 0);
    // Where to resume after the last `*`: the pattern just past it, and the
    // key position it has consumed up to.
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    while p < pattern.len() && pattern[p] == b'*' {
                        p += 1;
                    }
                    if p == pattern.len() {
                        return true;
                    }
                    star = Some((p, k));
                    continue;
                }
                c if k < key.len() => {
                    let (matched, next) = match c {
                        b'?' => (true, p + 1),
                        b'[' => match_set(pattern, p, key[k]),
                        b'\\' if p + 1 < pattern.len() => (pattern[p + 1] == key[k], p + 2),
                        c => (c == key[k], p + 1),
                    };
                    if matched {
                        p = next;
                        k += 1;
                        continue;
                    }
                }
                _ => {}
            }
        } else if k == key.len() {
            return true;
        }
        // A mismatch: let the last `*` take one more byte, if there is one.
        match star {
            Some((sp, sk)) if sk < key.len() => {
                star = Some((sp, sk + 1));
                p = sp;
                k = sk + 1;
            }
            _ => return false,
        }
    }
}

/// Matches `c` against the set starting at `pattern[open]` (`[`); returns
/// whether it matched and the position after the set.
fn match_set(pattern: &[u8], open: usize, c: u8) -> (bool, usize) {
    let mut i = open + 1;
    let negate = pattern.get(i) == Some(&b'^');
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < pattern.len() && (pattern[i] != b']' || first) {
        first = false;
        if pattern[i] == b'\\' && i + 1 < pattern.len() {
            matched |= pattern[i + 1] == c;
            i += 2;
        } else if i + 2 < pattern.len() && pattern[i + 1] == b'-' && pattern[i + 2] != b']' {
            let (lo, hi) = (
                pattern[i].min(pattern[i + 2]),
                pattern[i].max(pattern[i + 2]),
            );
            matched |= (lo..=hi).contains(&c);
            i += 3;
        } else {
            matched |= pattern[i] == c;
            i += 1;
        }
    }
    // Past the `]` (an unclosed set, which `check` refuses, ends the pattern).
    (matched != negate, (i + 1).min(pattern.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, k: &str) -> bool {
        glob_match(p.as_bytes(), k.as_bytes())
    }

    #[test]
    fn globs_match_as_redis_patterns_do() {
        assert!(m("*", "") && m("*", "anything"));
        assert!(m("ratelimit:*", "ratelimit:") && m("ratelimit:*", "ratelimit:ip:1"));
        assert!(!m("ratelimit:*", "ratelimi") && !m("ratelimit:*", "xratelimit:a"));
        assert!(m("a?c", "abc") && !m("a?c", "ac") && !m("a?c", "abbc"));
        assert!(m("h[ae]llo", "hallo") && m("h[ae]llo", "hello") && !m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo") && !m("h[^e]llo", "hello"));
        assert!(m("key[0-9]", "key7") && !m("key[0-9]", "keyx") && m("key[9-0]", "key3"));
        assert!(m("a\\*b", "a*b") && !m("a\\*b", "axb"));
        assert!(m("*:*:end", "a:b:c:end") && !m("*:*:end", "a:end"));
        assert!(m("a*b*c", "abc") && m("a*b*c", "axxbyyc") && !m("a*b*c", "axxbyy"));
        assert!(m("**x", "x") && m("a*", "a") && !m("", "a") && m("", ""));
        // Bytes, not text: a key need not be UTF-8.
        assert!(glob_match(b"bin:*", b"bin:\xff\x00"));
    }

    #[test]
    fn scopes_grant_what_they_say() {
        let s = KeyScope::read_write(["mine:*"]).with_read(["cfg:*"]);
        assert!(s.may_read(b"mine:a") && s.may_write(b"mine:a"));
        assert!(s.may_read(b"cfg:a") && !s.may_write(b"cfg:a"));
        assert!(!s.may_read(b"other:a") && !s.may_write(b"other:a"));
        assert!(KeyScope::all().may_write(b"x") && KeyScope::all().is_all());
        assert!(KeyScope::none().is_none() && !KeyScope::none().may_read(b"x"));
        assert!(!s.reads_all() && KeyScope::none().with_read(["*"]).reads_all());
    }

    #[test]
    fn scans_walk_only_the_prefixes_a_pattern_can_match() {
        let v = |p: &[&str]| p.iter().map(|p| p.as_bytes().to_vec()).collect::<Vec<_>>();
        let s = KeyScope::read_write(["session:*", "rate*:ip:*", "a?c"]).with_read(["cfg:*"]);
        assert_eq!(s.scan_prefixes(b""), v(&["a", "cfg:", "rate", "session:"]));
        assert_eq!(s.scan_prefixes(b"ses"), v(&["session:"]));
        assert_eq!(s.scan_prefixes(b"session:u1"), v(&["session:u1"]));
        assert_eq!(s.scan_prefixes(b"ratelimit:"), v(&["ratelimit:"]));
        assert!(s.scan_prefixes(b"other").is_empty());
        // Nested prefixes are walked once, by the shorter.
        let nested = KeyScope::read_write(["a:*", "a:b:*", "a:"]).with_read(["a*"]);
        assert_eq!(nested.scan_prefixes(b""), v(&["a"]));
        assert_eq!(nested.scan_prefixes(b"a:b"), v(&["a:b"]));
        // An escape or a set ends the literal part.
        let escaped = KeyScope::read_write(["x\\*y:*"]);
        assert_eq!(escaped.scan_prefixes(b""), v(&["x"]));
        let set = KeyScope::read_write(["x\\*y:*", "[ab]:*"]);
        assert_eq!(set.scan_prefixes(b""), v(&[""]));
        assert!(KeyScope::none().scan_prefixes(b"").is_empty());
    }

    #[test]
    fn a_refusal_names_the_plugin_the_key_the_patterns_and_the_fix() {
        let s = KeyScope::read_write(["mine:*"]).with_read(["cfg:*"]);
        assert_eq!(
            s.refusal("p", b"other:a", false, None),
            "plugin `p` may not read key `other:a`: its [permissions] keys are `mine:*` and read-only `cfg:*` (add a pattern that matches it in plugin.toml)"
        );
        assert_eq!(
            s.refusal("p", b"cfg:a", true, Some("INCR")),
            "plugin `p` may not write key `cfg:a` with INCR: its [permissions] keys are `mine:*` and read-only `cfg:*` (it is read-only: add a pattern that matches it to `write` in plugin.toml)"
        );
        assert!(
            s.refusal("p", b"other:a", true, None)
                .ends_with("(add a pattern that matches it to `write` in plugin.toml)")
        );
        let ro = KeyScope::none().with_read(["cfg:*"]);
        assert!(
            ro.refusal("p", b"x", false, None)
                .contains("keys are read-only `cfg:*` (")
        );
        // Keys are bytes: shown lossily, and shortened.
        let odd = s.refusal("p", b"bin:\xff", false, None);
        assert!(odd.contains("key `bin:\u{fffd}`"), "{odd}");
        let long = s.refusal("p", &[b'k'; 10_000], false, None);
        assert!(
            long.contains(&format!("key `{}…`", "k".repeat(128))),
            "{long}"
        );
        assert!(long.len() < 400, "{long}");
        let every = s.refusal_of_every_key("p", "KEYS", false);
        assert!(
            every.starts_with("plugin `p` may not run KEYS: it reaches every key of the database, and its [permissions] keys are `mine:*` and read-only `cfg:*` (KEYS needs `keys = true`, or `*` among its read patterns"),
            "{every}"
        );
    }

    #[test]
    fn a_wider_scope_is_not_covered() {
        let a = KeyScope::read_write(["a:*"]);
        let ab = KeyScope::read_write(["a:*", "b:*"]);
        assert!(ab.covers(&a) && !a.covers(&ab));
        assert!(KeyScope::all().covers(&ab) && !ab.covers(&KeyScope::all()));
        assert!(a.covers(&KeyScope::none()) && !KeyScope::none().covers(&a));
        // A prefix covers longer prefixes and literal keys under it.
        assert!(KeyScope::read_write(["a*"]).covers(&KeyScope::read_write(["a:x:*", "a:y"])));
        assert!(!KeyScope::read_write(["a:x*"]).covers(&KeyScope::read_write(["a:*"])));
        // Read-only is narrower than read-write.
        let ro = KeyScope::none().with_read(["a:*"]);
        assert!(a.covers(&ro) && !ro.covers(&a));
        assert_eq!(a.beyond(&ab), None);
        assert_eq!(
            ab.beyond(&a).unwrap(),
            "key access keys a:*, b:*, wider than the keys a:* granted before"
        );
        assert_eq!(
            a.beyond(&KeyScope::none()).unwrap(),
            "key access (keys a:*)"
        );
    }

    #[test]
    fn plugin_toml_spells_it_four_ways() {
        #[derive(Deserialize, Serialize, PartialEq, Debug)]
        struct P {
            keys: KeyScope,
        }
        let parse = |t: &str| toml::from_str::<P>(t).map(|p| p.keys);
        assert_eq!(parse("keys = false").unwrap(), KeyScope::none());
        assert_eq!(parse("keys = true").unwrap(), KeyScope::all());
        assert_eq!(
            parse(r#"keys = ["a:*", "b:*"]"#).unwrap(),
            KeyScope::read_write(["a:*", "b:*"])
        );
        let t = parse(r#"keys = { read = ["cfg:*"], write = ["mine:*"] }"#).unwrap();
        assert_eq!(t, KeyScope::read_write(["mine:*"]).with_read(["cfg:*"]));
        assert_eq!(
            parse(r#"keys = { read = ["cfg:*"] }"#).unwrap(),
            KeyScope::none().with_read(["cfg:*"])
        );
        for text in [
            "keys = false",
            "keys = true",
            r#"keys = ["a:*"]"#,
            r#"keys = { read = ["cfg:*"], write = ["mine:*"] }"#,
        ] {
            let p = toml::from_str::<P>(text).unwrap();
            let again: P = toml::from_str(&toml::to_string(&p).unwrap()).unwrap();
            assert_eq!(again, p, "{text}");
        }
        let e = |t: &str| parse(t).unwrap_err().to_string();
        assert!(
            e("keys = 3").contains("a list of key patterns"),
            "{}",
            e("keys = 3")
        );
        assert!(e(r#"keys = { reads = ["a"] }"#).contains("`keys` must be"));
        assert!(e(r#"keys = [""]"#).contains("the key pattern `` is empty"));
        assert!(e(r#"keys = ["a[bc"]"#).contains("`[` without its `]`"));
        assert!(e(r#"keys = ["a\\"]"#).contains("escapes nothing"));
    }

    #[test]
    fn it_reads_as_people_write_it() {
        assert_eq!(KeyScope::none().to_string(), "no keys");
        assert_eq!(KeyScope::all().to_string(), "all keys");
        assert_eq!(
            KeyScope::read_write(["a:*", "b"]).to_string(),
            "keys a:*, b"
        );
        assert_eq!(
            KeyScope::read_write(["mine:*"])
                .with_read(["cfg:*"])
                .to_string(),
            "keys mine:* (read-only cfg:*)"
        );
        assert_eq!(
            KeyScope::none().with_read(["cfg:*"]).to_string(),
            "keys (read-only cfg:*)"
        );
    }
}
