//! Installing plugins from a registry into a directory a server loads from.
//!
//! Everything is checked in memory before anything is written: the size and
//! SHA-256 of the component and of its `plugin.toml`, that the signing key is
//! trusted and not revoked, the signature, and that the component carries the
//! manifest that was signed. Then `<dir>/<name>.wasm` is written (temporary
//! file and rename) and `<dir>/installed.json` records it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ferrite_plugin_host::manifest::Manifest;
use semver::Version;
use serde::{Deserialize, Serialize};

use crate::error::{RegistryError, Result, read_error};
use crate::format::{self, KeyEntry};
use crate::fsx;
use crate::resolve::{Request, resolve};
use crate::sign::{self, PublicKey};
use crate::source::{MAX_COMPONENT, Source, artifact_path};

/// The record of a directory's installed plugins.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InstalledFile {
    /// Always [`format::FORMAT`].
    pub format: u64,
    /// Plugin name → what is installed.
    #[serde(default)]
    pub plugins: BTreeMap<String, InstalledEntry>,
}

/// One installed plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstalledEntry {
    /// Its version.
    pub version: Version,
    /// The component's SHA-256.
    pub sha256: String,
    /// The key that signed it.
    pub key_id: String,
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
    pinned: Vec<PublicKey>,
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
}

const RECORD: &str = "installed.json";

impl<'a> Installer<'a> {
    /// An installer for a server running the default Ferrite version (0.2.0),
    /// trusting the registry's `keys.json`.
    pub fn new(source: &'a Source) -> Self {
        Installer {
            source,
            ferrite: Version::new(0, 3, 0),
            pinned: Vec::new(),
        }
    }

    /// The server's Ferrite version, checked against `min_ferrite_version`.
    pub fn ferrite_version(mut self, version: Version) -> Self {
        self.ferrite = version;
        self
    }

    /// Trusts `key` whatever the registry's `keys.json` says (unless it revokes it).
    pub fn trust(mut self, key: PublicKey) -> Self {
        self.pinned.push(key);
        self
    }

    /// Resolves, downloads, verifies and installs `request` into `dir`.
    pub fn install(&self, request: &Request, dir: &Path) -> Result<Installed> {
        let registry = self.source.to_string();
        let index = self.source.index()?;
        let keys = self.source.keys()?;
        let (version, entry) = resolve(&index, &registry, request, &self.ferrite)?;
        let name = request.name.as_str();
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
                "the component is {} bytes, the index says {} (truncated or replaced)",
                component.len(),
                entry.size
            )));
        }
        let sha256 = sign::sha256(&component);
        if sha256 != entry.sha256 {
            return Err(refuse(format!(
                "the component's SHA-256 is {sha256}, the index says {}: it was tampered with or corrupted",
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
                "its plugin.toml does not match the index's SHA-256".into(),
            ));
        }

        let key = self
            .trusted_key(&keys.keys, &entry.key_id)
            .map_err(refuse)?;
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

        // Verified: now, and only now, write.
        std::fs::create_dir_all(dir).map_err(|e| crate::error::write_error(dir, e))?;
        let _lock = fsx::lock(&dir.join(".ferrite-plugins.lock"))?;
        let mut record = read_record(dir)?;
        let path = dir.join(format!("{name}.wasm"));
        fsx::write_atomic(&path, &component, 0o644)?;
        let installed = InstalledEntry {
            version: version.clone(),
            sha256,
            key_id: entry.key_id.clone(),
            registry,
            installed_at: format::now_rfc3339(),
            description: manifest.plugin.description.clone(),
        };
        let replaced = record
            .plugins
            .insert(name.to_string(), installed.clone())
            .map(|old| old.version);
        write_record(dir, &record)?;
        Ok(Installed {
            name: name.to_string(),
            version: version.clone(),
            path,
            entry: installed,
            replaced,
        })
    }

    /// The public key with id `id`, if trusted: pinned by the operator or in
    /// the registry's `keys.json`, and revoked in neither.
    fn trusted_key(
        &self,
        registry_keys: &[KeyEntry],
        id: &str,
    ) -> std::result::Result<ed25519_dalek::VerifyingKey, String> {
        let listed = registry_keys.iter().find(|k| k.id == id);
        if let Some(KeyEntry {
            revoked_at: Some(when),
            ..
        }) = listed
        {
            return Err(format!(
                "it is signed by key `{id}`, which the registry revoked on {when}"
            ));
        }
        let public = match (self.pinned.iter().find(|k| k.id == id), listed) {
            (Some(pinned), _) => pinned.clone(),
            (None, Some(k)) => PublicKey {
                id: k.id.clone(),
                public_key: k.public_key.clone(),
            },
            (None, None) => {
                return Err(format!(
                    "it is signed by key `{id}`, which neither the registry's keys.json nor `--trust` lists"
                ));
            }
        };
        public.verifying_key().map_err(|e| e.to_string())
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
            plugins: BTreeMap::new(),
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
