//! Publishing into a registry directory, and yanking.
//!
//! Everything happens under an exclusive lock on `.registry.lock`: the
//! version's files are written (each through a temporary file and a rename),
//! then a new `registry.json` is renamed over the old one. A crash at any
//! point leaves the index as it was or as it is after; concurrent publishers
//! wait for each other and every entry lands.

use std::path::Path;

use ferrite_plugin_host::check::Surface;
use ferrite_plugin_host::embedded_manifest;
use ferrite_plugin_host::manifest::Manifest;
use semver::Version;

use crate::compat;
use crate::error::{RegistryError, Result};
use crate::format::{self, Index, KeyEntry, Permissions, PluginEntry, VersionEntry};
use crate::fsx;
use crate::sign::{self, KeyPair};
use crate::source::{MAX_COMPONENT, MAX_INDEX, Source, artifact_path};

/// A built plugin, ready to publish.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// The component (with its manifest embedded).
    pub component: Vec<u8>,
    /// Its manifest.
    pub manifest: Manifest,
    /// `plugin.toml` as it will be stored and signed.
    pub manifest_toml: String,
    /// Its WIT, for readers.
    pub wit: String,
}

impl Artifact {
    /// An artifact from a component built by `cargo ferrite-plugin build`,
    /// checked against its embedded manifest.
    pub fn new(component: Vec<u8>, wit: String) -> Result<Artifact> {
        let manifest = embedded_manifest(&component)
            .map_err(|e| RegistryError::Invalid(e.to_string()))?
            .ok_or_else(|| {
                RegistryError::Invalid(
                    "the component carries no plugin.toml: build it with `cargo ferrite-plugin build --release`".into(),
                )
            })?;
        Surface::of(&component)
            .and_then(|s| s.check(&manifest))
            .map_err(|e| {
                RegistryError::Invalid(format!("the component does not match its plugin.toml: {e}"))
            })?;
        Ok(Artifact {
            manifest_toml: manifest.to_toml(),
            component,
            manifest,
            wit,
        })
    }
}

/// What a publish did (or, in a dry run, would do).
#[derive(Debug, Clone)]
pub struct Publication {
    /// The plugin.
    pub name: String,
    /// Its version.
    pub version: Version,
    /// The component's SHA-256.
    pub sha256: String,
    /// The component's size.
    pub size: u64,
    /// The key that signed it.
    pub key_id: String,
    /// The version it was checked against for compatibility, if any.
    pub compared_with: Option<Version>,
    /// Whether the registry was created.
    pub created_registry: bool,
    /// Whether the signing key was added to `keys.json`.
    pub added_key: bool,
}

fn read_index(dir: &Path) -> Result<Option<Index>> {
    let source = Source::Dir(dir.to_path_buf());
    match source.fetch("registry.json", MAX_INDEX)? {
        Some(bytes) => Ok(Some(format::parse_index(&source.to_string(), &bytes)?)),
        None => Ok(None),
    }
}

fn json(value: &impl serde::Serialize) -> Vec<u8> {
    let mut text = serde_json::to_string_pretty(value).expect("registry files serialize");
    text.push('\n');
    text.into_bytes()
}

/// Publishes `artifact` into the registry directory `dir`, signed by `key`.
/// With `dry_run`, checks everything and writes nothing.
pub fn publish(
    dir: &Path,
    artifact: &Artifact,
    key: &KeyPair,
    dry_run: bool,
) -> Result<Publication> {
    let name = format::check_name(&artifact.manifest.plugin.name)?.to_string();
    let version = artifact.manifest.plugin.version.clone();
    let _lock = if dry_run {
        None
    } else {
        std::fs::create_dir_all(dir).map_err(|e| crate::error::write_error(dir, e))?;
        Some(fsx::lock(&dir.join(".registry.lock"))?)
    };
    let existing = read_index(dir)?;
    let created_registry = existing.is_none();
    let mut index = existing.unwrap_or(Index {
        format: format::FORMAT,
        plugins: Default::default(),
    });
    let source = Source::Dir(dir.to_path_buf());
    let mut keys = source.keys()?;
    let plugin = index.plugins.get(&name);

    if plugin.is_some_and(|p| p.versions.contains_key(&version)) {
        return Err(RegistryError::AlreadyPublished { name, version });
    }

    // The highest earlier version in the same compatible line must keep its exports.
    let previous = plugin.and_then(|p| {
        p.versions
            .keys()
            .filter(|v| **v < version && compat::same_line(v, &version))
            .max()
            .cloned()
    });
    if let Some(prev) = &previous {
        let rel = artifact_path(&name, prev, &format!("{name}.wasm"));
        let old = source.fetch(&rel, MAX_COMPONENT)?.ok_or_else(|| {
            RegistryError::Invalid(format!(
                "the registry lists `{name}` {prev} but has no `{rel}`: it is damaged"
            ))
        })?;
        let breaks = compat::breaks(
            &compat::exports(&old)?,
            &compat::exports(&artifact.component)?,
        );
        if !breaks.is_empty() {
            return Err(RegistryError::Breaking(Box::new(crate::error::Breaking {
                name,
                version,
                previous: prev.clone(),
                breaks,
            })));
        }
    }

    let public = key.public();
    let added_key = match keys.get(&public.id) {
        Some(KeyEntry {
            revoked_at: Some(when),
            ..
        }) => {
            return Err(RegistryError::Key(format!(
                "key `{}` was revoked in this registry on {when}: publish with another key (`cargo ferrite-plugin keygen`)",
                public.id
            )));
        }
        Some(entry) if entry.public_key != public.public_key => {
            return Err(RegistryError::Key(format!(
                "this registry's key `{}` has a different public key: it is damaged or the key file is wrong",
                public.id
            )));
        }
        Some(_) => false,
        None => {
            keys.keys.push(KeyEntry {
                id: public.id.clone(),
                public_key: public.public_key.clone(),
                added_at: format::now_rfc3339(),
                revoked_at: None,
            });
            true
        }
    };

    let sha256 = sign::sha256(&artifact.component);
    let manifest_sha256 = sign::sha256(artifact.manifest_toml.as_bytes());
    let signature = key.sign(&sign::message(&name, &version, &sha256, &manifest_sha256));
    let publication = Publication {
        name: name.clone(),
        version: version.clone(),
        sha256: sha256.clone(),
        size: artifact.component.len() as u64,
        key_id: public.id.clone(),
        compared_with: previous,
        created_registry,
        added_key,
    };
    if dry_run {
        return Ok(publication);
    }

    let version_dir = dir.join(artifact_path(&name, &version, ""));
    std::fs::create_dir_all(&version_dir)
        .map_err(|e| crate::error::write_error(&version_dir, e))?;
    fsx::write_atomic(
        &version_dir.join(format!("{name}.wasm")),
        &artifact.component,
        0o644,
    )?;
    fsx::write_atomic(
        &version_dir.join("plugin.toml"),
        artifact.manifest_toml.as_bytes(),
        0o644,
    )?;
    fsx::write_atomic(
        &version_dir.join(format!("{name}.wit")),
        artifact.wit.as_bytes(),
        0o644,
    )?;
    crate::crash_point("after-files");
    if added_key || !dir.join("keys.json").exists() {
        keys.format = format::FORMAT;
        fsx::write_atomic(&dir.join("keys.json"), &json(&keys), 0o644)?;
    }

    let entry = index
        .plugins
        .entry(name.clone())
        .or_insert_with(PluginEntry::default);
    let is_latest = entry.versions.keys().all(|v| *v < version);
    entry.versions.insert(
        version.clone(),
        VersionEntry {
            sha256,
            size: artifact.component.len() as u64,
            manifest_sha256,
            signature,
            key_id: public.id,
            exports: artifact.manifest.exports.functions.clone(),
            permissions: Permissions {
                keys: artifact.manifest.permissions.keys.clone(),
                network: artifact.manifest.permissions.network,
            },
            // What the component needs, which its host API imports may
            // raise above what plugin.toml says.
            min_ferrite_version: ferrite_plugin_host::check::Surface::of(&artifact.component)
                .ok()
                .and_then(|s| s.required_ferrite(&artifact.manifest))
                .or_else(|| artifact.manifest.plugin.min_ferrite_version.clone()),
            yanked: false,
            published_at: format::now_rfc3339(),
        },
    );
    if is_latest {
        entry.description = artifact.manifest.plugin.description.clone();
    }
    fsx::write_atomic_at(
        &dir.join("registry.json"),
        &json(&index),
        0o644,
        Some("mid-index"),
    )?;
    Ok(publication)
}

/// Yanks (`yanked = true`) or restores a version.
pub fn set_yanked(dir: &Path, name: &str, version: &Version, yanked: bool) -> Result<bool> {
    format::check_name(name)?;
    if !dir.join("registry.json").exists() {
        return Err(RegistryError::Malformed {
            registry: dir.display().to_string(),
            file: "registry.json",
            reason: "it does not exist: is this a registry?".into(),
        });
    }
    let _lock = fsx::lock(&dir.join(".registry.lock"))?;
    let mut index = read_index(dir)?.expect("checked above");
    let registry = dir.display().to_string();
    let entry = index
        .plugins
        .get_mut(name)
        .ok_or_else(|| RegistryError::NoSuchPlugin {
            registry,
            name: name.to_string(),
        })?
        .versions
        .get_mut(version)
        .ok_or_else(|| {
            RegistryError::NoMatchingVersion(format!("`{name}` has no version {version}"))
        })?;
    let changed = entry.yanked != yanked;
    entry.yanked = yanked;
    if changed {
        fsx::write_atomic(&dir.join("registry.json"), &json(&index), 0o644)?;
    }
    Ok(changed)
}
