//! A plugin's signed metadata: which versions exist and which are yanked,
//! signed by the plugin's key, numbered and with an expiry.
//!
//! `plugins/<name>/metadata.json` is what `install` and `info` act on; the
//! registry's `registry.json` is an unsigned catalog for `search`. The ideas
//! are TUF's, fitted to a static registry whose plugins each have their own
//! maintainer (docs/registry.md has the threat model):
//!
//! * **Signed by the plugin's key.** Whoever can write the registry but
//!   does not hold the key cannot add, change, yank or unyank a version.
//! * **A version number.** Every change signs a higher one; a client
//!   remembers the highest it has seen ([`Seen`]) and refuses an older one
//!   (a rollback to an older copy of the registry) or a different one of
//!   the same number.
//! * **An expiry.** A client refuses metadata past it, so a registry (or a
//!   mirror) frozen at an old copy is noticed; maintainers refresh it.
//! * **Key rotations.** The plugin's key may hand over to a new one by a
//!   statement the old key signs ([`Rotation`]); the chain of them is in
//!   the metadata, so a client that pinned the old key follows it.
//!
//! The signature covers `ferrite-plugin-metadata-v1\n` followed by the
//! canonical JSON of `signed` (object keys sorted by their bytes, no
//! whitespace), so any JSON library can re-create the signed bytes.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use semver::Version;
use serde::{Deserialize, Serialize};

use crate::error::{RegistryError, Result};
use crate::format::{self, VersionEntry};
use crate::sign::{self, KeyPair, PublicKey};

/// The `type` of a plugin's metadata.
pub const KIND: &str = "ferrite-plugin-metadata";

/// The metadata format this crate reads and writes.
pub const FORMAT: u64 = 1;

/// How long metadata stays valid unless the maintainer says otherwise.
pub const DEFAULT_EXPIRY: Duration = Duration::from_secs(365 * 86_400);

/// Where a plugin's metadata is in a registry.
pub fn path(name: &str) -> String {
    format!("plugins/{name}/metadata.json")
}

/// What the plugin's key signs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// Always [`KIND`].
    #[serde(rename = "type")]
    pub kind: String,
    /// Always [`FORMAT`].
    pub format: u64,
    /// The plugin.
    pub name: String,
    /// Raised by every change.
    pub version: u64,
    /// RFC 3339 UTC; refused after it.
    pub expires: String,
    /// The key that signs this metadata: the plugin's key.
    pub key_id: String,
    /// Its public key, hex.
    pub public_key: String,
    /// The plugin's key rotations, oldest first: the chain from its first
    /// key to `key_id`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rotations: Vec<Rotation>,
    /// Version → entry, yanked ones included.
    pub versions: BTreeMap<Version, VersionEntry>,
}

/// An old key handing a plugin over to a new one, signed by the old key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    /// The old key's id.
    pub from: String,
    /// The old public key, hex.
    pub from_public_key: String,
    /// The new key's id.
    pub to: String,
    /// The new public key, hex.
    pub to_public_key: String,
    /// The old key's signature over [`rotation_message`].
    pub signature: String,
}

/// What a [`Rotation`]'s signature covers.
pub fn rotation_message(from: &str, to: &str, to_public_key: &str) -> String {
    format!("ferrite-plugin-rotation-v1\nfrom: {from}\nto: {to}\nto-public-key: {to_public_key}")
}

impl Rotation {
    /// `old` hands over to `new`.
    pub fn sign(old: &KeyPair, new: &PublicKey) -> Rotation {
        let from = old.public();
        Rotation {
            signature: old.sign(&rotation_message(&from.id, &new.id, &new.public_key)),
            from: from.id,
            from_public_key: from.public_key,
            to: new.id.clone(),
            to_public_key: new.public_key.clone(),
        }
    }

    /// Whether the old key signed it and both keys match their ids.
    pub fn verify(&self) -> bool {
        let from = PublicKey {
            id: self.from.clone(),
            public_key: self.from_public_key.clone(),
        };
        let to = PublicKey {
            id: self.to.clone(),
            public_key: self.to_public_key.clone(),
        };
        match (from.verifying_key(), to.verifying_key()) {
            (Ok(key), Ok(_)) => sign::verify(
                &key,
                &rotation_message(&self.from, &self.to, &self.to_public_key),
                &self.signature,
            ),
            _ => false,
        }
    }
}

/// The file beside a maintainer's key that keeps the rotations their old
/// keys signed (`cargo ferrite-plugin keygen --rotate` appends to it;
/// `publish`, `yank` and `refresh` read it).
pub const ROTATIONS_FILE: &str = "ferrite-plugin.rotations.json";

/// The rotations kept in `key_dir` (none when it has no rotations file).
pub fn read_rotations(key_dir: &std::path::Path) -> Result<Vec<Rotation>> {
    let path = key_dir.join(ROTATIONS_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            RegistryError::Key(format!(
                "`{}` is not a rotations file written by `cargo ferrite-plugin keygen --rotate`: {e}",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(crate::error::read_error(&path, e)),
    }
}

/// Replaces the key in `key_dir` by a new one: the old key signs a
/// rotation to the new one, appended to the rotations file; the old key's
/// files are kept as `ferrite-plugin.<old id>.key` / `.pub`. Returns the
/// old key's id and the new key.
pub fn rotate(key_dir: &std::path::Path) -> Result<(String, KeyPair)> {
    let secret = key_dir.join(sign::SECRET_FILE);
    if !secret.exists() {
        return Err(RegistryError::Key(format!(
            "no key to rotate at `{}`: create one with `cargo ferrite-plugin keygen`",
            secret.display()
        )));
    }
    let old = KeyPair::load(&secret)?;
    let new = KeyPair::generate()?;
    let mut rotations = read_rotations(key_dir)?;
    rotations.push(Rotation::sign(&old, &new.public()));
    let text = serde_json::to_string_pretty(&rotations).expect("rotations serialize") + "\n";
    // The rotation first: a crash after it leaves the old key working.
    crate::fsx::write_atomic(&key_dir.join(ROTATIONS_FILE), text.as_bytes(), 0o644)?;
    let old_id = old.id();
    old.save_as(key_dir, &format!("ferrite-plugin.{old_id}"))?;
    new.save(key_dir, true)?;
    Ok((old_id, new))
}

/// Metadata as a registry serves it: what was signed, and the signature.
#[derive(Debug, Clone, PartialEq)]
pub struct Signed {
    /// The metadata.
    pub signed: Metadata,
    /// The signature of `signed.key_id`, hex.
    pub signature: String,
    /// The canonical bytes that were signed (the message's body).
    canonical: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct File {
    signed: serde_json::Value,
    signature: String,
}

impl Signed {
    /// Signs `metadata` with `key` (whose id and public key it must name).
    pub fn sign(metadata: Metadata, key: &KeyPair) -> Signed {
        let value = serde_json::to_value(&metadata).expect("metadata serializes");
        let canonical = canonical(&value);
        Signed {
            signature: key.sign(&message(&canonical)),
            signed: metadata,
            canonical,
        }
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let file = File {
            signed: serde_json::to_value(&self.signed).expect("metadata serializes"),
            signature: self.signature.clone(),
        };
        let mut text = serde_json::to_string_pretty(&file).expect("metadata serializes");
        text.push('\n');
        text.into_bytes()
    }

    /// Parses a plugin's `metadata.json` (not yet verified: see
    /// [`Signed::verify`]). `registry` and `name` are for errors.
    pub fn parse(registry: &str, name: &str, bytes: &[u8]) -> Result<Signed> {
        let malformed = |reason: String| RegistryError::Malformed {
            registry: registry.to_string(),
            file: "metadata.json",
            reason: format!("`{name}`'s: {reason}"),
        };
        let file: File = serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
        let format = file
            .signed
            .get("format")
            .and_then(serde_json::Value::as_u64);
        if format != Some(FORMAT) {
            return Err(RegistryError::UnknownFormat {
                registry: registry.to_string(),
                file: "metadata.json",
                found: format.unwrap_or(0),
            });
        }
        let canonical = canonical(&file.signed);
        let signed: Metadata =
            serde_json::from_value(file.signed).map_err(|e| malformed(e.to_string()))?;
        if signed.kind != KIND {
            return Err(malformed(format!(
                "its type is `{}`, not `{KIND}`",
                signed.kind
            )));
        }
        if signed.name != name {
            return Err(malformed(format!(
                "it describes the plugin `{}` (metadata moved from another plugin?)",
                signed.name
            )));
        }
        parse_time(&signed.expires).ok_or_else(|| {
            malformed(format!(
                "`expires` is not an RFC 3339 UTC time: `{}`",
                signed.expires
            ))
        })?;
        Ok(Signed {
            signed,
            signature: file.signature,
            canonical,
        })
    }

    /// Whether `key` signed it.
    pub fn verify(&self, key: &ed25519_dalek::VerifyingKey) -> bool {
        sign::verify(key, &message(&self.canonical), &self.signature)
    }

    /// The SHA-256 of what was signed: tells two metadata of one version
    /// apart.
    pub fn digest(&self) -> String {
        sign::sha256(&self.canonical)
    }

    /// When it expires.
    pub fn expires(&self) -> SystemTime {
        parse_time(&self.signed.expires).expect("checked when parsed")
    }
}

impl Metadata {
    /// The first metadata of `name`, signed by `key`.
    pub fn new(name: &str, key: &KeyPair) -> Metadata {
        let public = key.public();
        Metadata {
            kind: KIND.into(),
            format: FORMAT,
            name: name.to_string(),
            version: 0,
            expires: String::new(),
            key_id: public.id,
            public_key: public.public_key,
            rotations: Vec::new(),
            versions: BTreeMap::new(),
        }
    }

    /// The public key of `id` if it is the metadata's key or one of its
    /// rotations': the keys whose signatures on versions count.
    pub fn key(&self, id: &str) -> Option<PublicKey> {
        let public = |id: &str, hex: &str| PublicKey {
            id: id.to_string(),
            public_key: hex.to_string(),
        };
        if id == self.key_id {
            return Some(public(&self.key_id, &self.public_key));
        }
        self.rotations.iter().find_map(|r| {
            if r.from == id {
                Some(public(&r.from, &r.from_public_key))
            } else if r.to == id {
                Some(public(&r.to, &r.to_public_key))
            } else {
                None
            }
        })
    }

    /// Whether the rotations lead from key `pinned` to the metadata's key,
    /// each signed by the key before it. `Ok(false)` when `pinned` is not
    /// in the chain; `Err` when a link is forged.
    pub fn rotates_from(&self, pinned: &str) -> std::result::Result<bool, String> {
        let Some(start) = self.rotations.iter().position(|r| r.from == pinned) else {
            return Ok(false);
        };
        let mut at = pinned.to_string();
        for r in &self.rotations[start..] {
            if r.from != at {
                return Err(format!(
                    "its key rotations are not a chain: `{}` follows `{at}`",
                    r.from
                ));
            }
            if !r.verify() {
                return Err(format!(
                    "the rotation from key `{}` to `{}` is not signed by `{}`",
                    r.from, r.to, r.from
                ));
            }
            at = r.to.clone();
        }
        if at != self.key_id {
            return Err(format!(
                "its key rotations end at key `{at}`, but it is signed by `{}`",
                self.key_id
            ));
        }
        Ok(true)
    }

    /// Sets the next version and the expiry `valid_for` from now.
    pub fn bump(&mut self, valid_for: Duration) {
        self.version += 1;
        self.expires = format::rfc3339(SystemTime::now() + valid_for);
    }
}

/// The message a metadata signature covers.
fn message(canonical: &[u8]) -> String {
    format!(
        "ferrite-plugin-metadata-v1\n{}",
        String::from_utf8_lossy(canonical)
    )
}

/// Canonical JSON: objects with their keys sorted by bytes, no whitespace.
fn canonical(value: &serde_json::Value) -> Vec<u8> {
    fn write(v: &serde_json::Value, out: &mut Vec<u8>) {
        match v {
            serde_json::Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push(b'{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend(serde_json::to_vec(k).expect("a string serializes"));
                    out.push(b':');
                    write(&map[k], out);
                }
                out.push(b'}');
            }
            serde_json::Value::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write(item, out);
                }
                out.push(b']');
            }
            other => out.extend(serde_json::to_vec(other).expect("a scalar serializes")),
        }
    }
    let mut out = Vec::new();
    write(value, &mut out);
    out
}

/// Parses RFC 3339 UTC with seconds (`2026-11-22T21:05:03Z`), as
/// [`format::rfc3339`] writes it.
pub fn parse_time(text: &str) -> Option<SystemTime> {
    let b = text.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm), the inverse of `rfc3339`.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss;
    u64::try_from(secs)
        .ok()
        .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
}

/// The newest metadata a client has seen, per registry and plugin: what
/// rollbacks and forks are measured against.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Seen {
    /// Registry (as given) → plugin → what was seen.
    #[serde(default)]
    pub registries: BTreeMap<String, BTreeMap<String, SeenEntry>>,
}

/// The newest metadata seen of one plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenEntry {
    /// Its version.
    pub version: u64,
    /// Its [`Signed::digest`].
    pub digest: String,
    /// When it was first seen, RFC 3339.
    pub seen_at: String,
}

impl Seen {
    /// Refuses `metadata` if it is older than what was seen from
    /// `registry`, or another metadata of the same version. The error says
    /// which attack it looks like.
    pub fn check(&self, registry: &str, metadata: &Signed) -> std::result::Result<(), String> {
        let m = &metadata.signed;
        let Some(seen) = self.registries.get(registry).and_then(|r| r.get(&m.name)) else {
            return Ok(());
        };
        if m.version < seen.version {
            return Err(format!(
                "the registry serves version {} of its signed metadata, older than version {} seen on {}: a rollback to an older copy of the registry (or a mirror that is behind)",
                m.version, seen.version, seen.seen_at
            ));
        }
        if m.version == seen.version && metadata.digest() != seen.digest {
            return Err(format!(
                "the registry serves a version {} of its signed metadata that differs from the version {} seen on {}: the maintainer's key signed two histories (a forked or compromised key)",
                m.version, seen.version, seen.seen_at
            ));
        }
        Ok(())
    }

    /// Records `metadata` as seen from `registry`, if it is newer.
    pub fn record(&mut self, registry: &str, metadata: &Signed) {
        let m = &metadata.signed;
        let plugins = self.registries.entry(registry.to_string()).or_default();
        if plugins.get(&m.name).is_some_and(|s| s.version >= m.version) {
            return;
        }
        plugins.insert(
            m.name.clone(),
            SeenEntry {
                version: m.version,
                digest: metadata.digest(),
                seen_at: format::now_rfc3339(),
            },
        );
    }
}

/// Refuses metadata that expired before `now`.
pub fn check_fresh(metadata: &Signed, now: SystemTime) -> std::result::Result<(), String> {
    if metadata.expires() < now {
        return Err(format!(
            "its signed metadata (version {}) expired on {}: the registry serves a stale copy (a freeze), or its maintainer has not refreshed it (`cargo ferrite-plugin refresh {}`)",
            metadata.signed.version, metadata.signed.expires, metadata.signed.name
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(key: &KeyPair, version: u64) -> Signed {
        let mut m = Metadata::new("p", key);
        m.version = version;
        m.expires = "2100-01-01T00:00:00Z".into();
        Signed::sign(m, key)
    }

    #[test]
    fn it_signs_parses_and_verifies() {
        let key = KeyPair::generate().unwrap();
        let s = signed(&key, 1);
        let back = Signed::parse("r", "p", &s.to_bytes()).unwrap();
        assert_eq!(back, s);
        let public = key.public().verifying_key().unwrap();
        assert!(back.verify(&public));
        // Any change to what was signed breaks the signature.
        let tampered = String::from_utf8(s.to_bytes())
            .unwrap()
            .replace("\"version\": 1", "\"version\": 2");
        let t = Signed::parse("r", "p", tampered.as_bytes()).unwrap();
        assert!(!t.verify(&public));
        // Key order and whitespace do not matter; the content does.
        let mut v: serde_json::Value = serde_json::from_slice(&s.to_bytes()).unwrap();
        let signed_obj = v["signed"].as_object().unwrap().clone();
        let reversed: serde_json::Map<String, serde_json::Value> =
            signed_obj.into_iter().rev().collect();
        v["signed"] = serde_json::Value::Object(reversed);
        let again = Signed::parse("r", "p", v.to_string().as_bytes()).unwrap();
        assert!(again.verify(&public));
        // Metadata of another plugin is refused by name.
        assert!(Signed::parse("r", "q", &s.to_bytes()).is_err());
        assert!(matches!(
            Signed::parse(
                "r",
                "p",
                b"{\"signed\": {\"format\": 9}, \"signature\": \"\"}"
            ),
            Err(RegistryError::UnknownFormat { found: 9, .. })
        ));
    }

    #[test]
    fn rotations_chain_from_a_pinned_key() {
        let (k1, k2, k3) = (
            KeyPair::generate().unwrap(),
            KeyPair::generate().unwrap(),
            KeyPair::generate().unwrap(),
        );
        let mut m = Metadata::new("p", &k3);
        m.rotations = vec![
            Rotation::sign(&k1, &k2.public()),
            Rotation::sign(&k2, &k3.public()),
        ];
        assert_eq!(m.rotates_from(&k1.id()), Ok(true));
        assert_eq!(m.rotates_from(&k2.id()), Ok(true));
        assert_eq!(m.rotates_from("0000000000000000"), Ok(false));
        assert_eq!(m.key(&k1.id()).unwrap(), k1.public());
        // A rotation the old key did not sign.
        let mut forged = Rotation::sign(&k2, &k3.public());
        forged.from = k1.id();
        forged.from_public_key = k1.public().public_key;
        m.rotations = vec![forged];
        assert!(m.rotates_from(&k1.id()).unwrap_err().contains("not signed"));
        // A chain that ends elsewhere.
        m.rotations = vec![Rotation::sign(&k1, &k2.public())];
        assert!(m.rotates_from(&k1.id()).unwrap_err().contains("end at key"));
    }

    #[test]
    fn rollbacks_forks_and_stale_copies_are_refused() {
        let key = KeyPair::generate().unwrap();
        let mut seen = Seen::default();
        let v5 = signed(&key, 5);
        seen.check("r", &v5).unwrap();
        seen.record("r", &v5);
        seen.check("r", &v5).unwrap();
        assert!(
            seen.check("r", &signed(&key, 4))
                .unwrap_err()
                .contains("rollback")
        );
        // Same version, other content.
        let mut other = Metadata::new("p", &key);
        other.version = 5;
        other.expires = "2099-01-01T00:00:00Z".into();
        let fork = Signed::sign(other, &key);
        assert!(
            seen.check("r", &fork)
                .unwrap_err()
                .contains("two histories")
        );
        // Another registry is remembered apart.
        seen.check("elsewhere", &signed(&key, 1)).unwrap();
        // Newer is fine, and an older record never replaces it.
        seen.check("r", &signed(&key, 6)).unwrap();
        seen.record("r", &signed(&key, 4));
        assert_eq!(seen.registries["r"]["p"].version, 5);

        let mut m = Metadata::new("p", &key);
        m.expires = "2020-01-01T00:00:00Z".into();
        let stale = Signed::sign(m, &key);
        assert!(
            check_fresh(&stale, SystemTime::now())
                .unwrap_err()
                .contains("expired on 2020-01-01")
        );
        assert!(check_fresh(&signed(&key, 1), SystemTime::now()).is_ok());
    }

    #[test]
    fn times_read_back_as_written() {
        for secs in [0u64, 951_782_400, 1_795_381_503, 4_102_444_800] {
            let t = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
            assert_eq!(parse_time(&format::rfc3339(t)), Some(t));
        }
        assert_eq!(parse_time("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_time("yesterday"), None);
    }
}
