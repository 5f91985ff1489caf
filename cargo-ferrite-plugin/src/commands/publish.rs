use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use ferrite_plugin_build::{BuildOptions, build, print_wit};
use ferrite_plugin_registry::metadata::read_rotations;
use ferrite_plugin_registry::publish::{Artifact, Options, publish};
use ferrite_plugin_registry::{Source, sign};

use crate::ops::registry::{check_clean, load_key, valid_for};
use crate::shell::{Shell, human_size};

/// Build a plugin in release mode, sign it, and add it to a registry
///
/// Refuses a version that is already published (versions are immutable);
/// within one major version, an export that was removed or changed; a
/// plugin that belongs to another key (unless a rotation signed by that key
/// hands it over); and, unless allowed, wider key access than the version
/// before. Signs the plugin's metadata, valid for `--expires-in` days.
#[derive(Args, Debug)]
pub struct PublishCommand {
    /// The registry directory (or `file://` URL) [env: FERRITE_PLUGIN_REGISTRY]
    #[arg(long, value_name = "R", env = "FERRITE_PLUGIN_REGISTRY")]
    pub registry: String,

    /// The secret key [default: ~/.config/ferrite-plugin/ferrite-plugin.key]
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,

    /// Check and sign, but write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Publish even with uncommitted changes
    #[arg(long)]
    pub allow_dirty: bool,

    /// Publish this built component instead of building the current plugin
    #[arg(long, value_name = "FILE")]
    pub wasm: Option<PathBuf>,

    /// Path to Cargo.toml
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,

    /// The plugin package, in a workspace of several
    #[arg(short = 'p', long = "package", value_name = "NAME")]
    pub package: Option<String>,

    /// Publish a version that asks for more key access than the one before
    /// (every server that has it installed must approve the update again)
    #[arg(long)]
    pub allow_wider_permissions: bool,

    /// How long the plugin's signed metadata stays valid, in days
    #[arg(long, value_name = "DAYS", default_value_t = 365)]
    pub expires_in: u64,
}

impl PublishCommand {
    pub fn exec(self, shell: &mut Shell) -> Result<()> {
        let source = Source::parse(&self.registry);
        let dir = source.dir()?.to_path_buf();
        let (key, key_dir) = load_key(self.key)?;
        let rotations = read_rotations(&key_dir)?;
        let mut provenance = None;
        let artifact = match &self.wasm {
            Some(file) => {
                let bytes = std::fs::read(file)
                    .with_context(|| format!("failed to read `{}`", file.display()))?;
                let manifest = ferrite_plugin_host::embedded_manifest(&bytes)
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                    .with_context(|| format!("`{}` carries no plugin.toml: build it with `cargo ferrite-plugin build --release`", file.display()))?;
                let wit = print_wit(&bytes, &manifest, &[])?;
                Artifact::new(bytes, wit)?
            }
            None => {
                let opts = BuildOptions {
                    release: true,
                    manifest_path: self.manifest_path,
                    packages: self.package.into_iter().collect(),
                    tests: false,
                    ferrite_version: None,
                };
                let mut built = build(shell, &opts)?;
                if built.len() != 1 {
                    let names: Vec<&str> = built.iter().map(|b| b.package.as_str()).collect();
                    anyhow::bail!(
                        "this workspace has several plugins ({}); choose one with `-p NAME`",
                        names.join(", ")
                    );
                }
                let b = built.remove(0);
                if !self.allow_dirty {
                    check_clean(&b.dir)?;
                }
                provenance = Some(crate::ops::registry::provenance(
                    &b.dir,
                    &b.package,
                    &b.component.bytes,
                ));
                Artifact::new(b.component.bytes, b.component.wit)?
            }
        };
        let m = &artifact.manifest.plugin;
        shell.status(
            "Packaging",
            format!(
                "{} v{} ({}, sha256 {})",
                m.name,
                m.version,
                human_size(artifact.component.len() as u64),
                sign::sha256(&artifact.component)
            ),
        );
        let opts = Options {
            dry_run: self.dry_run,
            rotations: &rotations,
            valid_for: valid_for(self.expires_in),
            allow_wider_permissions: self.allow_wider_permissions,
            provenance,
        };
        let p = publish(&dir, &artifact, &key, &opts)?;
        if let Some(prev) = &p.compared_with {
            shell.verbose("Checked", format!("exports against v{prev}: compatible"));
        }
        if self.dry_run {
            shell.status(
                "Checked",
                format!(
                    "{} v{} signed by key `{}`; dry run, nothing written",
                    p.name, p.version, p.key_id
                ),
            );
            return Ok(());
        }
        if p.created_registry {
            shell.status("Created", format!("registry at `{}`", dir.display()));
        }
        if p.added_key {
            shell.status(
                "Added",
                format!("key `{}` to the registry's keys.json", p.key_id),
            );
        }
        if let Some(old) = &p.rotated_from {
            shell.status(
                "Rotated",
                format!("{} from key `{old}` to `{}`", p.name, p.key_id),
            );
        }
        shell.status(
            "Published",
            format!(
                "{} v{} to `{}` (signed by key `{}`; metadata version {}, valid until {})",
                p.name,
                p.version,
                dir.display(),
                p.key_id,
                p.metadata_version,
                p.expires
            ),
        );
        Ok(())
    }
}
