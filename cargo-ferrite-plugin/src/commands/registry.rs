use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};
use ferrite_plugin_registry::Source;
use ferrite_plugin_registry::publish::{Migration, Options, migrate};

use crate::ops::registry::{load_key, valid_for};
use crate::shell::Shell;

/// Maintain a registry directory
#[derive(Args, Debug)]
pub struct RegistryCommand {
    #[command(subcommand)]
    pub action: RegistryAction,
}

/// What to do with the registry.
#[derive(Subcommand, Debug)]
pub enum RegistryAction {
    Migrate(MigrateCommand),
}

/// Give the plugins of a registry from before signed metadata their signed
/// metadata, for the plugins your key published
///
/// `install` and `info` act only on a plugin's signed metadata
/// (`plugins/<name>/metadata.json`). Each version's existing signature is
/// checked before the metadata is signed; plugins published by other keys
/// are left for their maintainers to migrate.
#[derive(Args, Debug)]
pub struct MigrateCommand {
    /// The registry directory (or `file://` URL) [env: FERRITE_PLUGIN_REGISTRY]
    #[arg(long, value_name = "R", env = "FERRITE_PLUGIN_REGISTRY")]
    pub registry: String,

    /// Your secret key [default: ~/.config/ferrite-plugin/ferrite-plugin.key]
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,

    /// How long the signed metadata stays valid, in days
    #[arg(long, value_name = "DAYS", default_value_t = 365)]
    pub expires_in: u64,
}

impl RegistryCommand {
    pub fn exec(self, shell: &mut Shell) -> Result<()> {
        match self.action {
            RegistryAction::Migrate(cmd) => cmd.exec(shell),
        }
    }
}

impl MigrateCommand {
    pub fn exec(self, shell: &mut Shell) -> Result<()> {
        let source = Source::parse(&self.registry);
        let (key, _) = load_key(self.key)?;
        let opts = Options {
            valid_for: valid_for(self.expires_in),
            ..Options::default()
        };
        for (name, outcome) in migrate(source.dir()?, &key, &opts)? {
            match outcome {
                Migration::Migrated(n) => shell.status(
                    "Migrated",
                    format!(
                        "{name}: signed metadata of {n} version{} by key `{}`",
                        if n == 1 { "" } else { "s" },
                        key.id()
                    ),
                ),
                Migration::AlreadySigned => {
                    shell.verbose("Skipped", format!("{name}: already has signed metadata"))
                }
                Migration::OtherKeys(keys) => shell.warn(format!(
                    "`{name}` was published with key{} {}: its maintainer must run `registry migrate` with that key",
                    if keys.len() == 1 { "" } else { "s" },
                    keys.iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }
        Ok(())
    }
}
