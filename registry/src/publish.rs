//! Publishing into a registry directory, yanking, refreshing and migrating.
//!
//! Everything happens under an exclusive lock on `.registry.lock`: the
//! version's files are written (each through a temporary file and a rename),
//! then the plugin's signed metadata (`plugins/<name>/metadata.json`), then
//! a new `registry.json`, the unsigned catalog, whose entry for the plugin
//! is rebuilt from the metadata each time. A crash at any point leaves the
//! metadata as it was or as it is after (and the catalog catches up at the
//! next write); concurrent publishers wait for each other and every entry
//! lands.
//!
//! Only the plugin's key — the one its metadata names, or one that key
//! handed the plugin over to by a signed rotation — may publish, yank or
//! refresh it.

use std::path::Path;
use std::time::Duration;

use ferrite_plugin_host::check::Surface;
use ferrite_plugin_host::embedded_manifest;
use ferrite_plugin_host::manifest::Manifest;
use semver::Version;

use crate::compat;
use crate::error::{RegistryError, Result};
use crate::format::{self, Index, KeyEntry, Keys, Permissions, VersionEntry};
use crate::fsx;
use crate::metadata::{self, Metadata, Rotation, Signed};
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

/// How to publish.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// Check and sign, but write nothing.
    pub dry_run: bool,
    /// Rotations the publisher's old keys signed (`keygen --rotate`): they
    /// let a new key take over a plugin its old key owns.
    pub rotations: &'a [Rotation],
    /// How long the new metadata stays valid.
    pub valid_for: Duration,
    /// Publish a version that asks for more key access than the one before.
    pub allow_wider_permissions: bool,
    /// What the version was built from and with, recorded in its entry.
    pub provenance: Option<crate::format::Provenance>,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            dry_run: false,
            rotations: &[],
            valid_for: metadata::DEFAULT_EXPIRY,
            allow_wider_permissions: false,
            provenance: None,
        }
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
    /// The key the plugin was taken over from by a rotation, if it was.
    pub rotated_from: Option<String>,
    /// The version of the plugin's signed metadata it wrote.
    pub metadata_version: u64,
    /// When that metadata expires.
    pub expires: String,
}

fn read_index(dir: &Path) -> Result<Option<Index>> {
    let source = Source::Dir(dir.to_path_buf());
    match source.fetch("registry.json", MAX_INDEX)? {
        Some(bytes) => Ok(Some(format::parse_index(&source.to_string(), &bytes)?)),
        None => Ok(None),
    }
}

/// The plugin's metadata in the registry directory, checked against its
/// own key (a maintainer's tool refuses to build on a damaged one).
fn read_metadata(dir: &Path, name: &str) -> Result<Option<Signed>> {
    let source = Source::Dir(dir.to_path_buf());
    let Some(bytes) = source.fetch(&metadata::path(name), MAX_INDEX)? else {
        return Ok(None);
    };
    let signed = Signed::parse(&source.to_string(), name, &bytes)?;
    let key = sign::PublicKey {
        id: signed.signed.key_id.clone(),
        public_key: signed.signed.public_key.clone(),
    }
    .verifying_key()?;
    if !signed.verify(&key) {
        return Err(RegistryError::Malformed {
            registry: source.to_string(),
            file: "metadata.json",
            reason: format!(
                "`{name}`'s signature does not verify: it was changed without its key; restore it from the registry's history"
            ),
        });
    }
    Ok(Some(signed))
}

fn json(value: &impl serde::Serialize) -> Vec<u8> {
    let mut text = serde_json::to_string_pretty(value).expect("registry files serialize");
    text.push('\n');
    text.into_bytes()
}

/// Makes `key` the signer of `md`: it already is, or `rotations` chain from
/// the metadata's key to it (each signed by the key before). Returns the key
/// it took over from.
fn take_over(md: &mut Metadata, key: &KeyPair, rotations: &[Rotation]) -> Result<Option<String>> {
    let me = key.public();
    if md.key_id == me.id {
        return Ok(None);
    }
    let owner = md.key_id.clone();
    let mut chain: Vec<&Rotation> = Vec::new();
    let mut at = owner.clone();
    while at != me.id {
        let Some(r) = rotations
            .iter()
            .find(|r| r.from == at && !chain.contains(r))
        else {
            return Err(RegistryError::Key(format!(
                "`{}` belongs to key `{owner}` (its signed metadata), not to this key `{}`: only its key may publish, yank or refresh it. If `{}` replaces `{owner}`, sign a rotation with the old key (`cargo ferrite-plugin keygen --rotate` where `{owner}` is) and publish with the rotations file beside the new key",
                md.name, me.id, me.id
            )));
        };
        if !r.verify() {
            return Err(RegistryError::Key(format!(
                "the rotation from key `{}` to `{}` is not signed by `{}`",
                r.from, r.to, r.from
            )));
        }
        chain.push(r);
        at = r.to.clone();
    }
    md.rotations.extend(chain.into_iter().cloned());
    md.key_id = me.id;
    md.public_key = me.public_key;
    Ok(Some(owner))
}

/// Rebuilds `index`'s entry for the plugin from its metadata.
fn catalog(index: &mut Index, md: &Metadata, description: Option<Option<String>>) {
    let entry = index.plugins.entry(md.name.clone()).or_default();
    entry.versions = md.versions.clone();
    if let Some(d) = description {
        entry.description = d;
    }
}

/// Refuses a key the registry revoked, or one whose id it lists with
/// another public key; adds a new one to `keys` (returns whether it did).
fn admit_key(keys: &mut Keys, key: &KeyPair) -> Result<bool> {
    let public = key.public();
    match keys.get(&public.id) {
        Some(KeyEntry {
            revoked_at: Some(when),
            ..
        }) => Err(RegistryError::Key(format!(
            "key `{}` was revoked in this registry on {when}: publish with another key (`cargo ferrite-plugin keygen --rotate`)",
            public.id
        ))),
        Some(entry) if entry.public_key != public.public_key => Err(RegistryError::Key(format!(
            "this registry's key `{}` has a different public key: it is damaged or the key file is wrong",
            public.id
        ))),
        Some(_) => Ok(false),
        None => {
            keys.keys.push(KeyEntry {
                id: public.id.clone(),
                public_key: public.public_key.clone(),
                added_at: format::now_rfc3339(),
                revoked_at: None,
            });
            Ok(true)
        }
    }
}

/// Publishes `artifact` into the registry directory `dir`, signed by `key`.
/// With `opts.dry_run`, checks everything and writes nothing.
pub fn publish(
    dir: &Path,
    artifact: &Artifact,
    key: &KeyPair,
    opts: &Options<'_>,
) -> Result<Publication> {
    let name = format::check_name(&artifact.manifest.plugin.name)?.to_string();
    let version = artifact.manifest.plugin.version.clone();
    let _lock = if opts.dry_run {
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

    let mut md = match read_metadata(dir, &name)? {
        Some(signed) => signed.signed,
        None if index
            .plugins
            .get(&name)
            .is_some_and(|p| !p.versions.is_empty()) =>
        {
            return Err(RegistryError::NoSignedMetadata {
                registry: source.to_string(),
                name,
            });
        }
        None => Metadata::new(&name, key),
    };
    let rotated_from = take_over(&mut md, key, opts.rotations)?;
    if md.versions.contains_key(&version) {
        return Err(RegistryError::AlreadyPublished { name, version });
    }

    // The highest earlier version in the same compatible line must keep its exports.
    let previous = md
        .versions
        .keys()
        .filter(|v| **v < version && compat::same_line(v, &version))
        .max()
        .cloned();
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
    // A version asking for more key access than the one before needs every
    // operator to approve it again: the publisher says so explicitly.
    let asked = &artifact.manifest.permissions.keys;
    if let Some((prev, entry)) = md.versions.range(..version.clone()).next_back()
        && let Some(wider) = asked.beyond(&entry.permissions.keys)
        && !opts.allow_wider_permissions
    {
        return Err(RegistryError::Invalid(format!(
            "`{name}` {version} asks for {wider} of {prev}: every server that has it installed must approve the update again (`install --allow-keys`). Publish it with `--allow-wider-permissions` if that is intended, or keep the old [permissions]"
        )));
    }

    let added_key = admit_key(&mut keys, key)?;
    let public = key.public();
    let sha256 = sign::sha256(&artifact.component);
    let manifest_sha256 = sign::sha256(artifact.manifest_toml.as_bytes());
    let signature = key.sign(&sign::message(&name, &version, &sha256, &manifest_sha256));
    md.versions.insert(
        version.clone(),
        VersionEntry {
            sha256: sha256.clone(),
            size: artifact.component.len() as u64,
            manifest_sha256,
            signature,
            key_id: public.id.clone(),
            exports: artifact.manifest.exports.functions.clone(),
            permissions: Permissions {
                keys: asked.clone(),
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
            provenance: opts.provenance.clone(),
        },
    );
    md.bump(opts.valid_for);
    let publication = Publication {
        name: name.clone(),
        version: version.clone(),
        sha256,
        size: artifact.component.len() as u64,
        key_id: public.id,
        compared_with: previous,
        created_registry,
        added_key,
        rotated_from,
        metadata_version: md.version,
        expires: md.expires.clone(),
    };
    if opts.dry_run {
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
    let is_latest = md.versions.keys().all(|v| *v <= version);
    let signed = Signed::sign(md, key);
    fsx::write_atomic_at(
        &dir.join(metadata::path(&name)),
        &signed.to_bytes(),
        0o644,
        Some("mid-metadata"),
    )?;
    crate::crash_point("after-metadata");
    catalog(
        &mut index,
        &signed.signed,
        is_latest.then(|| artifact.manifest.plugin.description.clone()),
    );
    fsx::write_atomic_at(
        &dir.join("registry.json"),
        &json(&index),
        0o644,
        Some("mid-index"),
    )?;
    Ok(publication)
}

/// What a change of a plugin's metadata (yank, unyank, refresh) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Whether anything but the version and expiry changed.
    pub changed: bool,
    /// The metadata's new version.
    pub metadata_version: u64,
    /// When it expires.
    pub expires: String,
    /// The key the plugin was taken over from by a rotation, if it was.
    pub rotated_from: Option<String>,
}

/// Re-signs `name`'s metadata with `key` after `edit` (which returns
/// whether it changed anything), under the registry's lock.
fn resign(
    dir: &Path,
    name: &str,
    key: &KeyPair,
    opts: &Options<'_>,
    edit: impl FnOnce(&mut Metadata) -> Result<bool>,
) -> Result<Change> {
    format::check_name(name)?;
    let registry = dir.display().to_string();
    let Some(mut index) = read_index(dir)? else {
        return Err(RegistryError::Malformed {
            registry,
            file: "registry.json",
            reason: "it does not exist: is this a registry?".into(),
        });
    };
    let _lock = fsx::lock(&dir.join(".registry.lock"))?;
    let mut md = match read_metadata(dir, name)? {
        Some(signed) => signed.signed,
        None if index.plugins.contains_key(name) => {
            return Err(RegistryError::NoSignedMetadata {
                registry,
                name: name.to_string(),
            });
        }
        None => {
            return Err(RegistryError::NoSuchPlugin {
                registry,
                name: name.to_string(),
            });
        }
    };
    let rotated_from = take_over(&mut md, key, opts.rotations)?;
    let mut keys = Source::Dir(dir.to_path_buf()).keys()?;
    if admit_key(&mut keys, key)? {
        keys.format = format::FORMAT;
        fsx::write_atomic(&dir.join("keys.json"), &json(&keys), 0o644)?;
    }
    let changed = edit(&mut md)?;
    md.bump(opts.valid_for);
    let signed = Signed::sign(md, key);
    fsx::write_atomic(&dir.join(metadata::path(name)), &signed.to_bytes(), 0o644)?;
    catalog(&mut index, &signed.signed, None);
    fsx::write_atomic(&dir.join("registry.json"), &json(&index), 0o644)?;
    Ok(Change {
        changed,
        metadata_version: signed.signed.version,
        expires: signed.signed.expires,
        rotated_from,
    })
}

/// Yanks (`yanked = true`) or restores a version, signed by the plugin's key.
pub fn set_yanked(
    dir: &Path,
    name: &str,
    version: &Version,
    yanked: bool,
    key: &KeyPair,
    opts: &Options<'_>,
) -> Result<Change> {
    resign(dir, name, key, opts, |md| {
        let entry = md.versions.get_mut(version).ok_or_else(|| {
            RegistryError::NoMatchingVersion(format!("`{name}` has no version {version}"))
        })?;
        let changed = entry.yanked != yanked;
        entry.yanked = yanked;
        Ok(changed)
    })
}

/// Re-signs `name`'s metadata with a new version and expiry, changing
/// nothing else: what a maintainer runs before it expires.
pub fn refresh(dir: &Path, name: &str, key: &KeyPair, opts: &Options<'_>) -> Result<Change> {
    resign(dir, name, key, opts, |_| Ok(false))
}

/// What `migrate` did with one plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Migration {
    /// Its metadata was written, listing this many versions.
    Migrated(usize),
    /// It already had signed metadata.
    AlreadySigned,
    /// Some of its versions are signed by other keys: their maintainer
    /// must migrate it.
    OtherKeys(Vec<String>),
}

/// Writes signed metadata, signed by `key`, for each plugin of a registry
/// from before signed metadata whose versions `key` signed (each version's
/// signature is checked first). Plugins of other keys are left for their
/// maintainers.
pub fn migrate(dir: &Path, key: &KeyPair, opts: &Options<'_>) -> Result<Vec<(String, Migration)>> {
    let registry = dir.display().to_string();
    let Some(mut index) = read_index(dir)? else {
        return Err(RegistryError::Malformed {
            registry,
            file: "registry.json",
            reason: "it does not exist: is this a registry?".into(),
        });
    };
    let _lock = fsx::lock(&dir.join(".registry.lock"))?;
    let public = key.public();
    let verifying = public.verifying_key()?;
    let mut done = Vec::new();
    let names: Vec<String> = index.plugins.keys().cloned().collect();
    for name in names {
        if read_metadata(dir, &name)?.is_some() {
            done.push((name, Migration::AlreadySigned));
            continue;
        }
        let plugin = &index.plugins[&name];
        let others: Vec<String> = plugin
            .versions
            .values()
            .filter(|e| e.key_id != public.id)
            .map(|e| e.key_id.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if !others.is_empty() {
            done.push((name, Migration::OtherKeys(others)));
            continue;
        }
        for (version, e) in &plugin.versions {
            let message = sign::message(&name, version, &e.sha256, &e.manifest_sha256);
            if !sign::verify(&verifying, &message, &e.signature) {
                return Err(RegistryError::Key(format!(
                    "`{name}` {version} claims key `{}` but its signature does not verify: the registry is damaged; nothing was migrated after it",
                    e.key_id
                )));
            }
        }
        let mut md = Metadata::new(&name, key);
        md.versions = plugin.versions.clone();
        md.bump(opts.valid_for);
        let signed = Signed::sign(md, key);
        fsx::write_atomic(&dir.join(metadata::path(&name)), &signed.to_bytes(), 0o644)?;
        catalog(&mut index, &signed.signed, None);
        done.push((name, Migration::Migrated(signed.signed.versions.len())));
    }
    fsx::write_atomic(&dir.join("registry.json"), &json(&index), 0o644)?;
    Ok(done)
}
