//! Installing plugins from a registry into a directory a server loads from.
//!
//! An install acts on the plugin's signed metadata alone
//! (`plugins/<name>/metadata.json`, [`crate::metadata`]): its signature by
//! a trusted key — or, for an installed plugin, by the key it is pinned to
//! or one that key rotated to ([`crate::trust`]) —, its expiry, and its
//! version against the newest this directory has seen from that registry.
//! Then everything of the chosen version is checked in memory: the size and
//! SHA-256 of the component and of its `plugin.toml`, the version's
//! signature, that the component carries the manifest that was signed, and
//! that the key access it asks for was approved. Only then are
//! `<dir>/<name>.wasm` (temporary file and rename) and
//! `<dir>/installed.json` — with the key it is now pinned to, the key
//! access approved, and the metadata seen — written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use ferrite_plugin_host::manifest::{KeyScope, Manifest};
use semver::Version;
use serde::{Deserialize, Serialize};

use crate::error::{RegistryError, Result, read_error};
use crate::format::{self, Index, Keys, PluginEntry};
use crate::fsx;
use crate::metadata::{self, Seen, Signed};
use crate::resolve::{Request, resolve};
use crate::sign::{self, PublicKey};
use crate::source::{MAX_COMPONENT, MAX_INDEX, Source, artifact_path};
use crate::trust::{Pin, Trust};

/// The record of a directory's installed plugins.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InstalledFile {
    /// Always [`format::FORMAT`].
    pub format: u64,
    /// Plugin name → what is installed.
    #[serde(default)]
    pub plugins: BTreeMap<String, InstalledEntry>,
    /// The newest signed metadata seen, per registry and plugin.
    #[serde(default)]
    pub seen: Seen,
}

/// One installed plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstalledEntry {
    /// Its version.
    pub version: Version,
    /// The component's SHA-256.
    pub sha256: String,
    /// The key it is pinned to: its metadata's key when it was installed.
    pub key_id: String,
    /// That key's public key, hex (absent in records from before pinning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// The key access the operator approved (absent in records from before
    /// approvals: then what the installed component asks for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<KeyScope>,
    /// Where it came from.
    pub registry: String,
    /// When.
    pub installed_at: String,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Installs from one registry.
#[derive(Debug, Clone)]
pub struct Installer<'a> {
    source: &'a Source,
    ferrite: Version,
    extra: Vec<PublicKey>,
    operator: Option<Keys>,
    allow_keys: bool,
    hint: String,
    now: Option<SystemTime>,
}

/// What `install` did.
#[derive(Debug, Clone)]
pub struct Installed {
    /// The plugin.
    pub name: String,
    /// The version installed.
    pub version: Version,
    /// The component file.
    pub path: PathBuf,
    /// Its record.
    pub entry: InstalledEntry,
    /// The version it replaced, if any.
    pub replaced: Option<Version>,
    /// The key it was pinned to before, when an update moved the pin along
    /// a rotation.
    pub rotated_from: Option<String>,
}

const RECORD: &str = "installed.json";

impl<'a> Installer<'a> {
    /// An installer for a server running the default Ferrite version (0.3.0),
    /// trusting the registry's `keys.json`, approving no key access.
    pub fn new(source: &'a Source) -> Self {
        Installer {
            source,
            ferrite: Version::new(0, 3, 0),
            extra: Vec::new(),
            operator: None,
            allow_keys: false,
            hint: "`cargo ferrite-plugin install NAME --allow-keys`".into(),
            now: None,
        }
    }

    /// The server's Ferrite version, checked against `min_ferrite_version`.
    pub fn ferrite_version(mut self, version: Version) -> Self {
        self.ferrite = version;
        self
    }

    /// Trusts `key` too, beside the registry's `keys.json` (unless either
    /// revokes it).
    pub fn trust(mut self, key: PublicKey) -> Self {
        self.extra.push(key);
        self
    }

    /// Trusts the keys of `list` (the operator's own, in `keys.json`'s
    /// format) and no others: the registry's `keys.json` then counts only
    /// for its revocations.
    pub fn trusted_keys(mut self, list: Keys) -> Self {
        self.operator = Some(list);
        self
    }

    /// Approves whatever key access the version asks for (`--allow-keys`).
    /// Without it, a version that asks for more than the installed one was
    /// approved for (or any, on a first install) is refused.
    pub fn allow_keys(mut self, allow: bool) -> Self {
        self.allow_keys = allow;
        self
    }

    /// How a refused approval is given, in the words of the command in use
    /// (e.g. `PLUGIN INSTALL NAME ALLOW-KEYS`); `NAME` becomes the plugin.
    pub fn approval_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }

    /// Checks expiry against `now` instead of the clock.
    pub fn now(mut self, now: SystemTime) -> Self {
        self.now = Some(now);
        self
    }

    /// The trust this installer applies.
    fn trust_now(&self) -> Result<Trust> {
        let registry_keys = self.source.keys()?;
        Ok(match &self.operator {
            Some(list) => Trust::operator(list, &registry_keys),
            None => Trust::registry(&registry_keys, &self.extra),
        })
    }

    /// `name`'s signed metadata, verified: signed by a trusted key (or, with
    /// `pin`, by the pinned key or one it rotated to), not expired, and not
    /// older than what `seen` has from this registry.
    pub fn metadata(&self, name: &str, pin: Option<&Pin>, seen: &Seen) -> Result<Signed> {
        let registry = self.source.to_string();
        format::check_name(name)?;
        let refuse = |reason: String| RegistryError::Untrusted {
            name: name.to_string(),
            reason,
        };
        let Some(bytes) = self.source.fetch(&metadata::path(name), MAX_INDEX)? else {
            // Say why: an old registry, no such plugin, or no registry.
            let listed = self.source.index()?.plugins.contains_key(name);
            return Err(if listed {
                RegistryError::NoSignedMetadata {
                    registry,
                    name: name.to_string(),
                }
            } else {
                RegistryError::NoSuchPlugin {
                    registry,
                    name: name.to_string(),
                }
            });
        };
        let signed = Signed::parse(&registry, name, &bytes)?;
        self.trust_now()?.verify(&signed, pin).map_err(refuse)?;
        metadata::check_fresh(&signed, self.now.unwrap_or_else(SystemTime::now)).map_err(refuse)?;
        seen.check(&registry, &signed).map_err(refuse)?;
        Ok(signed)
    }

    /// Resolves, downloads, verifies and installs `request` into `dir`.
    pub fn install(&self, request: &Request, dir: &Path) -> Result<Installed> {
        let registry = self.source.to_string();
        let name = request.name.as_str();
        let record = read_record(dir)?;
        let current = record.plugins.get(name);
        let pin = current.map(|e| Pin {
            key_id: e.key_id.clone(),
            public_key: e.public_key.clone(),
        });
        let signed = self.metadata(name, pin.as_ref(), &record.seen)?;
        let meta = &signed.signed;
        let index = Index {
            format: format::FORMAT,
            plugins: BTreeMap::from([(
                name.to_string(),
                PluginEntry {
                    description: None,
                    versions: meta.versions.clone(),
                },
            )]),
        };
        let (version, entry) = resolve(&index, &registry, request, &self.ferrite)?;
        let refuse = |reason: String| RegistryError::Verification {
            name: name.to_string(),
            version: version.clone(),
            reason,
        };

        let wasm_rel = artifact_path(name, version, &format!("{name}.wasm"));
        let component = self
            .source
            .fetch(&wasm_rel, MAX_COMPONENT)?
            .ok_or_else(|| refuse(format!("the registry lists it but has no `{wasm_rel}`")))?;
        if component.len() as u64 != entry.size {
            return Err(refuse(format!(
                "the component is {} bytes, the signed metadata says {} (truncated or replaced)",
                component.len(),
                entry.size
            )));
        }
        let sha256 = sign::sha256(&component);
        if sha256 != entry.sha256 {
            return Err(refuse(format!(
                "the component's SHA-256 is {sha256}, the signed metadata says {}: it was tampered with, corrupted, or is another plugin's or version's",
                entry.sha256
            )));
        }
        let toml_rel = artifact_path(name, version, "plugin.toml");
        let manifest_bytes = self
            .source
            .fetch(&toml_rel, format::MAX_MANIFEST)?
            .ok_or_else(|| refuse(format!("the registry lists it but has no `{toml_rel}`")))?;
        if sign::sha256(&manifest_bytes) != entry.manifest_sha256 {
            return Err(refuse(
                "its plugin.toml does not match the signed metadata's SHA-256".into(),
            ));
        }

        let trust = self.trust_now()?;
        trust
            .not_revoked(&entry.key_id)
            .map_err(|e| refuse(format!("it is signed by {e}")))?;
        let key = meta
            .key(&entry.key_id)
            .ok_or_else(|| {
                refuse(format!(
                    "it is signed by key `{}`, which is neither the plugin's key nor one it rotated from",
                    entry.key_id
                ))
            })?
            .verifying_key()
            .map_err(|e| refuse(e.to_string()))?;
        let message = sign::message(name, version, &entry.sha256, &entry.manifest_sha256);
        if !sign::verify(&key, &message, &entry.signature) {
            return Err(refuse(format!(
                "the signature by key `{}` does not verify",
                entry.key_id
            )));
        }

        let manifest_text = std::str::from_utf8(&manifest_bytes)
            .map_err(|_| refuse("its plugin.toml is not UTF-8".into()))?;
        let manifest =
            Manifest::parse(&toml_rel, manifest_text).map_err(|e| refuse(e.to_string()))?;
        if manifest.plugin.name != name || manifest.plugin.version != *version {
            return Err(refuse(
                "its signed plugin.toml names another plugin or version".into(),
            ));
        }
        let embedded = ferrite_plugin_host::embedded_manifest(&component)
            .map_err(|e| refuse(e.to_string()))?;
        if embedded.as_ref() != Some(&manifest) {
            return Err(refuse(
                "the component does not carry the plugin.toml that was signed".into(),
            ));
        }
        let asked = &manifest.permissions.keys;
        if *asked != entry.permissions.keys {
            return Err(refuse(format!(
                "its plugin.toml asks for {asked}, but its metadata says {}",
                entry.permissions.keys
            )));
        }

        // Approval: what it asks for against what was approved before.
        let granted = match current {
            Some(e) => e.approved(dir, name),
            None => KeyScope::none(),
        };
        if !self.allow_keys && asked.beyond(&granted).is_some() {
            return Err(RegistryError::NotApproved(Box::new(
                crate::error::Unapproved {
                    name: name.to_string(),
                    version: version.clone(),
                    asked: asked.clone(),
                    granted,
                    hint: self.hint.replace("NAME", name),
                },
            )));
        }

        // Verified: now, and only now, write.
        std::fs::create_dir_all(dir).map_err(|e| crate::error::write_error(dir, e))?;
        let _lock = fsx::lock(&dir.join(".ferrite-plugins.lock"))?;
        let mut record = read_record(dir)?;
        if record.plugins.get(name).map(|e| &e.key_id) != pin.as_ref().map(|p| &p.key_id) {
            return Err(refuse(
                "another install changed it meanwhile: run the install again".into(),
            ));
        }
        let path = dir.join(format!("{name}.wasm"));
        fsx::write_atomic(&path, &component, 0o644)?;
        let installed = InstalledEntry {
            version: version.clone(),
            sha256,
            key_id: meta.key_id.clone(),
            public_key: Some(meta.public_key.clone()),
            keys: Some(asked.clone()),
            registry: registry.clone(),
            installed_at: format::now_rfc3339(),
            description: manifest.plugin.description.clone(),
        };
        record.seen.record(&registry, &signed);
        let old = record.plugins.insert(name.to_string(), installed.clone());
        write_record(dir, &record)?;
        Ok(Installed {
            name: name.to_string(),
            version: version.clone(),
            path,
            entry: installed,
            rotated_from: old
                .as_ref()
                .filter(|o| o.key_id != meta.key_id)
                .map(|o| o.key_id.clone()),
            replaced: old.map(|o| o.version),
        })
    }
}

impl InstalledEntry {
    /// The key access approved for plugin `name`: as recorded, or, for a
    /// record from before approvals, what its installed component asks for.
    pub fn approved(&self, dir: &Path, name: &str) -> KeyScope {
        if let Some(keys) = &self.keys {
            return keys.clone();
        }
        std::fs::read(dir.join(format!("{name}.wasm")))
            .ok()
            .and_then(|bytes| {
                ferrite_plugin_host::embedded_manifest(&bytes)
                    .ok()
                    .flatten()
            })
            .map_or_else(KeyScope::none, |m| m.permissions.keys)
    }
}

fn read_record(dir: &Path) -> Result<InstalledFile> {
    let path = dir.join(RECORD);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let file: InstalledFile =
                serde_json::from_slice(&bytes).map_err(|e| RegistryError::Malformed {
                    registry: dir.display().to_string(),
                    file: "installed.json",
                    reason: e.to_string(),
                })?;
            if file.format != format::FORMAT {
                return Err(RegistryError::UnknownFormat {
                    registry: dir.display().to_string(),
                    file: "installed.json",
                    found: file.format,
                });
            }
            Ok(file)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(InstalledFile {
            format: format::FORMAT,
            ..InstalledFile::default()
        }),
        Err(e) => Err(read_error(&path, e)),
    }
}

fn write_record(dir: &Path, record: &InstalledFile) -> Result<()> {
    let mut text = serde_json::to_string_pretty(record).expect("serializes");
    text.push('\n');
    fsx::write_atomic(&dir.join(RECORD), text.as_bytes(), 0o644)
}

/// The plugins installed in `dir`.
pub fn list(dir: &Path) -> Result<BTreeMap<String, InstalledEntry>> {
    Ok(read_record(dir)?.plugins)
}

/// Uninstalls `name` from `dir`: the record first, then the file, so a crash
/// never leaves a record of a missing file.
pub fn remove(dir: &Path, name: &str) -> Result<InstalledEntry> {
    format::check_name(name)?;
    let _lock = fsx::lock(&dir.join(".ferrite-plugins.lock"))?;
    let mut record = read_record(dir)?;
    let entry = record
        .plugins
        .remove(name)
        .ok_or_else(|| RegistryError::NotInstalled {
            name: name.to_string(),
            dir: dir.to_path_buf(),
        })?;
    write_record(dir, &record)?;
    let path = dir.join(format!("{name}.wasm"));
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(entry),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(entry),
        Err(e) => Err(crate::error::write_error(&path, e)),
    }
}
