//! Independent rebuilds: who rebuilt a published version from its recorded
//! source and got the same bytes.
//!
//! `cargo ferrite-plugin verify NAME@VERSION --source DIR --record` rebuilds
//! a version from the source its metadata records ([`crate::format::Provenance`])
//! and, when the component is byte-for-byte the published one, signs a
//! [`Verification`] with the verifier's own key into
//! `plugins/<name>/<version>/verifications.json`. Anyone holding a key may
//! add one; readers show each whose signature verifies, and whether its key
//! is one they trust. A verification says nothing the plugin's own key
//! vouches for, so it is kept outside the plugin's signed metadata.

use std::path::Path;

use semver::Version;
use serde::{Deserialize, Serialize};

use crate::error::{RegistryError, Result};
use crate::format::{self, FORMAT};
use crate::fsx;
use crate::sign::{self, KeyPair, PublicKey};
use crate::source::{MAX_INDEX, Source, artifact_path};

/// The file a version's verifications are in.
pub const FILE: &str = "verifications.json";

/// `verifications.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verifications {
    /// Always [`FORMAT`].
    pub format: u64,
    /// The verifications, oldest first.
    #[serde(default)]
    pub verifications: Vec<Verification>,
}

/// One rebuild that matched, signed by whoever made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// The verifier's key id.
    pub key_id: String,
    /// The verifier's public key, hex.
    pub public_key: String,
    /// The SHA-256 the rebuild produced (the published component's).
    pub sha256: String,
    /// The `rustc` that rebuilt it (`rustc 1.95.0 (59807616e 2026-04-14)`).
    pub rustc: String,
    /// When, RFC 3339 UTC.
    pub verified_at: String,
    /// The verifier's signature over [`message`], hex.
    pub signature: String,
}

/// What a verification's signature covers.
pub fn message(name: &str, version: &Version, sha256: &str, rustc: &str, at: &str) -> String {
    format!(
        "ferrite-plugin-verification-v1\nname: {name}\nversion: {version}\ncomponent-sha256: {sha256}\nrustc: {rustc}\nverified-at: {at}"
    )
}

impl Verification {
    /// `key`'s verification that `name` `version` rebuilds to `sha256`.
    pub fn sign(key: &KeyPair, name: &str, version: &Version, sha256: &str, rustc: &str) -> Self {
        let public = key.public();
        let at = format::now_rfc3339();
        Verification {
            signature: key.sign(&message(name, version, sha256, rustc, &at)),
            key_id: public.id,
            public_key: public.public_key,
            sha256: sha256.to_string(),
            rustc: rustc.to_string(),
            verified_at: at,
        }
    }

    /// Whether its signature verifies, for `name` `version` whose component
    /// has `sha256`.
    pub fn verifies(&self, name: &str, version: &Version, sha256: &str) -> bool {
        if self.sha256 != sha256 {
            return false;
        }
        let key = PublicKey {
            id: self.key_id.clone(),
            public_key: self.public_key.clone(),
        };
        key.verifying_key().is_ok_and(|k| {
            sign::verify(
                &k,
                &message(name, version, &self.sha256, &self.rustc, &self.verified_at),
                &self.signature,
            )
        })
    }
}

/// The verifications of `name` `version` in `source` (none if it has no
/// file), each with whether it verifies against the published `sha256`.
pub fn read(
    source: &Source,
    name: &str,
    version: &Version,
    sha256: &str,
) -> Result<Vec<(Verification, bool)>> {
    format::check_name(name)?;
    let rel = artifact_path(name, version, FILE);
    let Some(bytes) = source.fetch(&rel, MAX_INDEX)? else {
        return Ok(Vec::new());
    };
    let file: Verifications =
        serde_json::from_slice(&bytes).map_err(|e| RegistryError::Malformed {
            registry: source.to_string(),
            file: FILE,
            reason: format!("`{rel}`: {e}"),
        })?;
    if file.format != FORMAT {
        return Err(RegistryError::UnknownFormat {
            registry: source.to_string(),
            file: FILE,
            found: file.format,
        });
    }
    Ok(file
        .verifications
        .into_iter()
        .map(|v| {
            let ok = v.verifies(name, version, sha256);
            (v, ok)
        })
        .collect())
}

/// Adds `verification` of `name` `version` to the registry directory
/// `dir`, under its lock; a key's newer verification replaces its older
/// one. Returns whether the key had one.
pub fn record(
    dir: &Path,
    name: &str,
    version: &Version,
    verification: Verification,
) -> Result<bool> {
    format::check_name(name)?;
    let version_dir = dir.join(artifact_path(name, version, ""));
    if !version_dir.is_dir() {
        return Err(RegistryError::NoMatchingVersion(format!(
            "the registry at `{}` has no `{name}` {version} to verify",
            dir.display()
        )));
    }
    let _lock = fsx::lock(&dir.join(".registry.lock"))?;
    let source = Source::Dir(dir.to_path_buf());
    let mut file = match source.fetch(&artifact_path(name, version, FILE), MAX_INDEX)? {
        Some(bytes) => serde_json::from_slice::<Verifications>(&bytes).map_err(|e| {
            RegistryError::Malformed {
                registry: source.to_string(),
                file: FILE,
                reason: e.to_string(),
            }
        })?,
        None => Verifications {
            format: FORMAT,
            verifications: Vec::new(),
        },
    };
    let before = file.verifications.len();
    file.verifications
        .retain(|v| v.key_id != verification.key_id);
    let replaced = file.verifications.len() != before;
    file.verifications.push(verification);
    let mut text = serde_json::to_string_pretty(&file).expect("verifications serialize");
    text.push('\n');
    fsx::write_atomic(&version_dir.join(FILE), text.as_bytes(), 0o644)?;
    Ok(replaced)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verification_verifies_only_what_it_signed() {
        let key = KeyPair::generate().unwrap();
        let v = Version::new(1, 0, 0);
        let sha = "a".repeat(64);
        let ver = Verification::sign(&key, "p", &v, &sha, "rustc 1.95.0");
        assert!(ver.verifies("p", &v, &sha));
        assert!(!ver.verifies("q", &v, &sha));
        assert!(!ver.verifies("p", &Version::new(1, 0, 1), &sha));
        assert!(!ver.verifies("p", &v, &"b".repeat(64)));
        let mut forged = ver.clone();
        forged.rustc = "rustc 1.96.0".into();
        assert!(!forged.verifies("p", &v, &sha));
    }

    #[test]
    fn verifications_are_recorded_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let v = Version::new(1, 0, 0);
        let sha = "c".repeat(64);
        let (a, b) = (KeyPair::generate().unwrap(), KeyPair::generate().unwrap());
        assert!(
            record(
                dir.path(),
                "p",
                &v,
                Verification::sign(&a, "p", &v, &sha, "r")
            )
            .is_err()
        );
        std::fs::create_dir_all(dir.path().join("plugins/p/1.0.0")).unwrap();
        assert!(
            !record(
                dir.path(),
                "p",
                &v,
                Verification::sign(&a, "p", &v, &sha, "r")
            )
            .unwrap()
        );
        assert!(
            !record(
                dir.path(),
                "p",
                &v,
                Verification::sign(&b, "p", &v, &sha, "r")
            )
            .unwrap()
        );
        assert!(
            record(
                dir.path(),
                "p",
                &v,
                Verification::sign(&a, "p", &v, &sha, "r")
            )
            .unwrap()
        );
        let source = Source::Dir(dir.path().to_path_buf());
        let read = read(&source, "p", &v, &sha).unwrap();
        assert_eq!(read.len(), 2);
        assert!(read.iter().all(|(_, ok)| *ok));
        assert_eq!(read[1].0.key_id, a.id());
        // Against another component, none verifies.
        assert!(read_is_all_false(&source, &v));
    }

    fn read_is_all_false(source: &Source, v: &Version) -> bool {
        read(source, "p", v, &"d".repeat(64))
            .unwrap()
            .iter()
            .all(|(_, ok)| !ok)
    }
}
