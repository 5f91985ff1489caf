//! npm's rules: the manifest inside a tarball, package names, the
//! registry's file layout and its package documents ("packuments").

use std::collections::BTreeMap;

use semver::Version;
use serde_json::{Map, Value, json};

use crate::Metadata;

/// Where `npm pack` puts the manifest.
pub const MANIFEST: &str = "package/package.json";
/// The longest package name npm accepts, scope included.
const MAX_NAME: usize = 214;

/// What the handler needs of a package.json.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub name: String,
    pub version: String,
}

/// Reads `package/package.json` out of a `.tgz`.
pub fn read_manifest(tgz: &[u8]) -> Result<Manifest, String> {
    let bytes = crate::tar::find_file(tgz, MANIFEST)?.ok_or_else(|| {
        format!("the tarball has no {MANIFEST}: npm packs a package's files under `package/`, with its manifest at {MANIFEST}")
    })?;
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    let json: Value =
        serde_json::from_slice(text).map_err(|e| format!("{MANIFEST} is not valid JSON: {e}"))?;
    let Value::Object(fields) = json else {
        return Err(format!("{MANIFEST} is not a JSON object"));
    };
    let text_field = |key: &str| match fields.get(key) {
        None | Some(Value::Null) => Err(format!("{MANIFEST} has no `{key}`")),
        Some(Value::String(s)) if s.is_empty() => Err(format!("{MANIFEST} has an empty `{key}`")),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!(
            "the `{key}` in {MANIFEST} is not a string but {other}"
        )),
    };
    Ok(Manifest {
        name: text_field("name")?,
        version: text_field("version")?,
    })
}

/// `version` as a semantic version (SemVer 2.0.0, as npm requires).
pub fn parse_version(version: &str) -> Result<Version, String> {
    Version::parse(version).map_err(|e| {
        format!("`{version}` is not a valid semantic version (MAJOR.MINOR.PATCH, as in 1.4.2): {e}")
    })
}

/// Checks `name` as npm checks the name of a new package: at most 214
/// characters, lowercase, URL-safe (letters, digits, `-`, `.`, `_`), not
/// starting with `.` or `_`, optionally scoped (`@scope/name`); returns the
/// name without its scope.
///
/// Names npm still serves but no longer accepts (capital letters, as in
/// `JSONStream`; `~'!()*`) are refused. The names of Node's core modules,
/// which npm refuses for new packages only, are not checked: packages of
/// those names (`events`, `buffer`) predate the rule and are widely used.
pub fn check_name(name: &str) -> Result<&str, String> {
    let shown = || format!("the package name `{name}`");
    if name.is_empty() {
        return Err("the package name is empty".into());
    }
    if name.chars().count() > MAX_NAME {
        return Err(format!(
            "{} is {} characters long; npm allows at most {MAX_NAME}",
            shown(),
            name.chars().count()
        ));
    }
    if name.starts_with('.') || name.starts_with('_') {
        return Err(format!(
            "{} starts with `{}`, which npm does not allow",
            shown(),
            &name[..1]
        ));
    }
    if name.chars().any(|c| c.is_uppercase()) {
        return Err(format!(
            "{} has capital letters; npm package names are lowercase",
            shown()
        ));
    }
    if ["node_modules", "favicon.ico"].contains(&name) {
        return Err(format!("{} is reserved by npm", shown()));
    }
    let (scope, bare) = match name.strip_prefix('@') {
        Some(scoped) => match scoped.split_once('/') {
            Some((scope, bare)) if !scope.is_empty() && !bare.is_empty() => (Some(scope), bare),
            _ => {
                return Err(format!(
                    "{} is not a scoped name: write `@scope/name`",
                    shown()
                ));
            }
        },
        None => (None, name),
    };
    for part in scope.into_iter().chain([bare]) {
        if let Some(c) = part
            .chars()
            .find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "-._".contains(c)))
        {
            return Err(format!(
                "{} contains `{c}`: npm package names have only lowercase letters, digits, `-`, `.` and `_`{}",
                shown(),
                if c == '/' {
                    " (and one `/`, after an `@scope`)"
                } else {
                    ""
                }
            ));
        }
    }
    Ok(bare)
}

/// An artifact's place in npm's layout: `<name>/-/<name>-<version>.tgz`,
/// or `@scope/name/-/name-<version>.tgz`.
#[derive(Debug, PartialEq, Eq)]
pub struct Layout<'a> {
    pub name: String,
    pub version: &'a str,
}

/// Where `path` says the package and version are, or why it does not.
pub fn layout(path: &str) -> Result<Layout<'_>, String> {
    let wrong = || {
        format!(
            "the artifact `{path}` does not follow npm's layout `<name>/-/<name>-<version>.tgz` (`@scope/name/-/name-<version>.tgz` for a scoped package)"
        )
    };
    let parts: Vec<&str> = path.split('/').collect();
    let (name, bare, file) = match parts[..] {
        [bare, "-", file] if !bare.starts_with('@') => (bare.to_string(), bare, file),
        [scope, bare, "-", file] if scope.starts_with('@') => {
            (format!("{scope}/{bare}"), bare, file)
        }
        _ => return Err(wrong()),
    };
    let version = file
        .strip_prefix(bare)
        .and_then(|f| f.strip_prefix('-'))
        .and_then(|f| f.strip_suffix(".tgz"))
        .filter(|v| !v.is_empty())
        .ok_or_else(wrong)?;
    check_name(&name).map_err(|e| format!("the artifact `{path}` is not an npm package: {e}"))?;
    parse_version(version)
        .map_err(|e| format!("the artifact `{path}` has no valid version: {e}"))?;
    Ok(Layout { name, version })
}

/// The registry's documents for `artifacts`: one packument per package at
/// `<name>/index.json`, sorted by name.
pub fn index(artifacts: &[Metadata]) -> Result<Vec<(String, Vec<u8>)>, String> {
    // name → version → (path, checksum)
    let mut packages: BTreeMap<String, BTreeMap<Version, (&str, Option<String>)>> = BTreeMap::new();
    for a in artifacts {
        let at = layout(&a.path)?;
        if let Some(v) = &a.version
            && v != at.version
        {
            return Err(format!(
                "the artifact `{}` has version `{v}` in its metadata, but its file name says `{}`",
                a.path, at.version
            ));
        }
        let checksum = match &a.checksum_sha256 {
            None => None,
            Some(hex) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(hex.to_ascii_lowercase())
            }
            Some(hex) => {
                return Err(format!(
                    "the artifact `{}` has the checksum `{hex}`, which is not a SHA-256 in hex (64 digits)",
                    a.path
                ));
            }
        };
        let version = parse_version(at.version)?;
        let versions = packages.entry(at.name).or_default();
        match versions.get(&version) {
            Some((_, seen)) if *seen != checksum => {
                return Err(format!(
                    "the artifact `{}` is listed twice with different checksums",
                    a.path
                ));
            }
            _ => {
                versions.insert(version, (&a.path, checksum));
            }
        }
    }
    Ok(packages
        .into_iter()
        .map(|(name, versions)| {
            let doc = packument(&name, &versions);
            let bytes = serde_json::to_vec(&sorted(doc)).expect("JSON values serialize");
            (format!("{name}/index.json"), bytes)
        })
        .collect())
}

/// The version `dist-tags.latest` names: the highest release, or the
/// highest pre-release when there is no release (as `npm publish` leaves
/// it when versions are published in order, pre-releases under another tag).
fn latest<'v>(
    versions: impl DoubleEndedIterator<Item = &'v Version> + Clone,
) -> Option<&'v Version> {
    versions
        .clone()
        .rev()
        .find(|v| v.pre.is_empty())
        .or_else(|| versions.last())
}

fn packument(name: &str, versions: &BTreeMap<Version, (&str, Option<String>)>) -> Value {
    let latest = latest(versions.keys()).expect("a package has a version");
    let docs: Map<String, Value> = versions
        .iter()
        .map(|(version, (path, checksum))| {
            let mut dist = json!({ "tarball": path });
            if let Some(hex) = checksum {
                dist["integrity"] = format!("sha256-{}", base64(&from_hex(hex))).into();
            }
            let doc = json!({
                "_id": format!("{name}@{version}"),
                "name": name,
                "version": version.to_string(),
                "dist": dist,
            });
            (version.to_string(), doc)
        })
        .collect();
    json!({
        "_id": name,
        "name": name,
        "dist-tags": { "latest": latest.to_string() },
        "versions": docs,
    })
}

/// `v` with every object's keys in sorted order, whatever serde_json's map
/// keeps (its `preserve_order` feature may be on in a workspace).
fn sorted(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            let entries: BTreeMap<String, Value> =
                map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(entries.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of even-length, checked hex.
fn from_hex(hex: &str) -> Vec<u8> {
    hex.as_bytes()
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

/// Standard base64 with padding (RFC 4648 §4), as Subresource Integrity uses.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_hex_match_known_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xff, 0xfe, 0xfd]), "//79");
        assert_eq!(hex(&[0, 0xab, 0x10]), "00ab10");
        assert_eq!(from_hex("00AB10"), [0, 0xab, 0x10]);
    }

    #[test]
    fn it_accepts_npm_names() {
        for (name, bare) in [
            ("lodash", "lodash"),
            ("left-pad", "left-pad"),
            ("lodash.merge", "lodash.merge"),
            ("a_b", "a_b"),
            ("9to5", "9to5"),
            ("@babel/core", "core"),
            ("@types/node", "node"),
            ("@my-org/_private", "_private"),
        ] {
            assert_eq!(check_name(name), Ok(bare), "{name}");
        }
        assert!(check_name(&"a".repeat(214)).is_ok());
    }

    #[test]
    fn it_refuses_what_npm_refuses() {
        for (name, why) in [
            ("", "is empty"),
            (".hidden", "starts with `.`"),
            ("_private", "starts with `_`"),
            ("JSONStream", "capital letters"),
            ("@Babel/core", "capital letters"),
            ("node_modules", "reserved"),
            ("favicon.ico", "reserved"),
            ("@scope", "not a scoped name"),
            ("@/name", "not a scoped name"),
            ("@scope/", "not a scoped name"),
            ("a/b", "contains `/`"),
            ("@s/a/b", "contains `/`"),
            ("with space", "contains ` `"),
            (" lead", "contains ` `"),
            ("bang!", "contains `!`"),
            ("tilde~", "contains `~`"),
            ("caf\u{e9}", "contains `\u{e9}`"),
            ("a%20b", "contains `%`"),
        ] {
            let e = check_name(name).unwrap_err();
            assert!(e.contains(why), "{name:?}: {e}");
        }
        let e = check_name(&"a".repeat(215)).unwrap_err();
        assert!(
            e.contains("215 characters long; npm allows at most 214"),
            "{e}"
        );
    }

    #[test]
    fn it_reads_the_layout() {
        assert_eq!(
            layout("lodash/-/lodash-4.17.21.tgz"),
            Ok(Layout {
                name: "lodash".into(),
                version: "4.17.21"
            })
        );
        assert_eq!(
            layout("@babel/core/-/core-7.24.0-rc.1.tgz"),
            Ok(Layout {
                name: "@babel/core".into(),
                version: "7.24.0-rc.1"
            })
        );
        // A name with a dash and a version.
        assert_eq!(
            layout("left-pad/-/left-pad-1.3.0.tgz").unwrap().version,
            "1.3.0"
        );
        for path in [
            "lodash-4.17.21.tgz",
            "/lodash/-/lodash-4.17.21.tgz",
            "lodash/lodash-4.17.21.tgz",
            "lodash/-/lodash-4.17.21.tar.gz",
            "lodash/-/underscore-1.0.0.tgz",
            "lodash/-/lodash-.tgz",
            "scope/core/-/core-1.0.0.tgz",
            "@babel/core/-/babel-core-1.0.0.tgz",
        ] {
            let e = layout(path).unwrap_err();
            assert!(
                e.contains(&format!("`{path}` does not follow npm's layout")),
                "{e}"
            );
        }
        let e = layout("Lodash/-/Lodash-1.0.0.tgz").unwrap_err();
        assert!(
            e.contains("`Lodash/-/Lodash-1.0.0.tgz` is not an npm package"),
            "{e}"
        );
        let e = layout("lodash/-/lodash-1.0.tgz").unwrap_err();
        assert!(e.contains("`1.0` is not a valid semantic version"), "{e}");
    }

    #[test]
    fn latest_prefers_the_highest_release() {
        let v = |s: &[&str]| -> Vec<Version> {
            let mut v: Vec<Version> = s.iter().map(|s| Version::parse(s).unwrap()).collect();
            v.sort();
            v
        };
        let pick = |s: &[&str]| latest(v(s).iter()).map(|v| v.to_string());
        assert_eq!(pick(&["1.9.0", "1.10.0", "1.2.0"]).unwrap(), "1.10.0");
        assert_eq!(pick(&["1.0.0", "2.0.0-beta.1"]).unwrap(), "1.0.0");
        assert_eq!(pick(&["2.0.0-alpha", "2.0.0-beta"]).unwrap(), "2.0.0-beta");
        assert_eq!(pick(&[]), None);
    }
}
