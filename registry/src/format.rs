//! The files of a registry (see `docs/registry.md`): `registry.json` and `keys.json`.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{RegistryError, Result};

/// The format this crate reads and writes.
pub const FORMAT: u64 = 1;

/// The most bytes a `plugin.toml` may have.
pub const MAX_MANIFEST: u64 = 1 << 20;

/// `registry.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Index {
    /// Always [`FORMAT`].
    pub format: u64,
    /// Plugin name → plugin.
    #[serde(default)]
    pub plugins: BTreeMap<String, PluginEntry>,
}

/// One plugin of the index.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PluginEntry {
    /// The latest published version's description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Version → entry.
    #[serde(default)]
    pub versions: BTreeMap<semver::Version, VersionEntry>,
}

/// The `[permissions]` of a version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions {
    /// `keys`: `false`, `true`, or its key patterns, as `plugin.toml` has it.
    #[serde(default)]
    pub keys: ferrite_plugin_host::manifest::KeyScope,
    /// `network`.
    #[serde(default)]
    pub network: bool,
}

/// One published version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionEntry {
    /// SHA-256 of the component, hex.
    pub sha256: String,
    /// Size of the component in bytes.
    pub size: u64,
    /// SHA-256 of `plugin.toml` as stored, hex.
    pub manifest_sha256: String,
    /// ed25519 signature over the signed message, hex.
    pub signature: String,
    /// The signing key's id.
    pub key_id: String,
    /// Exported functions by user name.
    pub exports: Vec<String>,
    /// Its permissions.
    pub permissions: Permissions,
    /// The oldest server that can run it.
    #[serde(default)]
    pub min_ferrite_version: Option<semver::Version>,
    /// Hidden from resolution unless pinned exactly.
    #[serde(default)]
    pub yanked: bool,
    /// When it was published, RFC 3339 UTC.
    pub published_at: String,
    /// What it was built from and with, for `verify` (absent for versions
    /// published before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
}

/// Where a version was built from, and with what: what `cargo
/// ferrite-plugin verify` rebuilds and compares.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The cargo package.
    pub package: String,
    /// The git commit of the clean checkout it was built from, if it was in
    /// one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_commit: Option<String>,
    /// The git tree of the crate's directory at that commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_tree: Option<String>,
    /// The crate's directory in the repository, `/`-separated (empty for
    /// its root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The SHA-256 of the `Cargo.lock` the build used, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cargo_lock_sha256: Option<String>,
    /// The toolchain, as the component's toolchain section records it
    /// (`rustc`, `target`, `sdk`, `profile`, ...).
    #[serde(default)]
    pub toolchain: BTreeMap<String, String>,
}

/// `keys.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Keys {
    /// Always [`FORMAT`].
    pub format: u64,
    /// The keys.
    #[serde(default)]
    pub keys: Vec<KeyEntry>,
}

/// One maintainer key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyEntry {
    /// First 16 hex digits of the SHA-256 of the public key.
    pub id: String,
    /// The 32-byte ed25519 public key, hex.
    pub public_key: String,
    /// When it was added.
    pub added_at: String,
    /// When it was revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

impl Keys {
    /// The key with this id.
    pub fn get(&self, id: &str) -> Option<&KeyEntry> {
        self.keys.iter().find(|k| k.id == id)
    }
}

/// Whether `name` is a plugin name (and so safe in a path).
pub fn valid_name(name: &str) -> bool {
    ferrite_plugin_host::manifest::is_valid_name(name)
}

/// `name` if it is a plugin name, else the error.
pub fn check_name(name: &str) -> Result<&str> {
    if valid_name(name) {
        Ok(name)
    } else {
        Err(RegistryError::BadName(name.to_string()))
    }
}

/// `file` as JSON whose `format` is [`FORMAT`].
fn checked_json(registry: &str, file: &'static str, bytes: &[u8]) -> Result<serde_json::Value> {
    let malformed = |reason: String| RegistryError::Malformed {
        registry: registry.to_string(),
        file,
        reason,
    };
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
    let format = value
        .get("format")
        .and_then(|f| f.as_u64())
        .ok_or_else(|| malformed("it has no numeric `format`".into()))?;
    if format != FORMAT {
        return Err(RegistryError::UnknownFormat {
            registry: registry.to_string(),
            file,
            found: format,
        });
    }
    Ok(value)
}

/// Parses and checks `registry.json`.
pub fn parse_index(registry: &str, bytes: &[u8]) -> Result<Index> {
    let malformed = |reason: String| RegistryError::Malformed {
        registry: registry.to_string(),
        file: "registry.json",
        reason,
    };
    let value = checked_json(registry, "registry.json", bytes)?;
    let index: Index = serde_json::from_value(value).map_err(|e| malformed(e.to_string()))?;
    for (name, entry) in &index.plugins {
        if !valid_name(name) {
            return Err(malformed(format!("`{name}` is not a valid plugin name")));
        }
        for (version, v) in &entry.versions {
            let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
            if !hex(&v.sha256, 64) || !hex(&v.manifest_sha256, 64) || !hex(&v.signature, 128) {
                return Err(malformed(format!(
                    "`{name}` {version} has a malformed hash or signature"
                )));
            }
        }
    }
    Ok(index)
}

/// Parses and checks `keys.json`.
pub fn parse_keys(registry: &str, bytes: &[u8]) -> Result<Keys> {
    let malformed = |reason: String| RegistryError::Malformed {
        registry: registry.to_string(),
        file: "keys.json",
        reason,
    };
    let value = checked_json(registry, "keys.json", bytes)?;
    serde_json::from_value(value).map_err(|e| malformed(e.to_string()))
}

/// Now, as RFC 3339 UTC with seconds: `2026-11-22T21:05:03Z`.
pub fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

/// A time as RFC 3339 UTC with seconds.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn it_formats_utc_times() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_795_381_503)),
            "2026-11-22T21:05:03Z"
        );
    }

    #[test]
    fn it_refuses_unknown_formats_and_bad_names() {
        assert!(matches!(
            parse_index("r", br#"{"format": 2}"#),
            Err(RegistryError::UnknownFormat { found: 2, .. })
        ));
        assert!(matches!(
            parse_index("r", b"{"),
            Err(RegistryError::Malformed { .. })
        ));
        assert!(matches!(
            parse_index("r", br#"{"plugins": {}}"#),
            Err(RegistryError::Malformed { .. })
        ));
        let bad = br#"{"format": 1, "plugins": {"../evil": {"versions": {}}}}"#;
        assert!(matches!(
            parse_index("r", bad),
            Err(RegistryError::Malformed { .. })
        ));
        assert_eq!(
            parse_index("r", br#"{"format": 1}"#).unwrap(),
            Index {
                format: 1,
                plugins: BTreeMap::new()
            }
        );
        assert!(
            check_name("a/b").is_err()
                && check_name("..").is_err()
                && check_name("ok_name").is_ok()
        );
    }
}
