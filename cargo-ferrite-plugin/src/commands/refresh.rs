use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use ferrite_plugin_registry::Source;
use ferrite_plugin_registry::metadata::read_rotations;
use ferrite_plugin_registry::publish::{Options, refresh};

use crate::ops::registry::{load_key, valid_for};
use crate::shell::Shell;

/// Re-sign a plugin's metadata with a new expiry, before the old one expires
///
/// Installers refuse metadata past its expiry (a registry frozen at an old
/// copy would otherwise go unnoticed), so a maintainer refreshes it now and
/// then, e.g. from a scheduled job.
#[derive(Args, Debug)]
pub struct RefreshCommand {
    /// The plugin
    #[arg(value_name = "NAME")]
    pub name: String,

    /// The registry directory (or `file://` URL) [env: FERRITE_PLUGIN_REGISTRY]
    #[arg(long, value_name = "R", env = "FERRITE_PLUGIN_REGISTRY")]
    pub registry: String,

    /// The plugin's secret key [default: ~/.config/ferrite-plugin/ferrite-plugin.key]
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,

    /// How long the re-signed metadata stays valid, in days
    #[arg(long, value_name = "DAYS", default_value_t = 365)]
    pub expires_in: u64,
}

impl RefreshCommand {
    pub fn exec(self, shell: &mut Shell) -> Result<()> {
        let source = Source::parse(&self.registry);
        let (key, key_dir) = load_key(self.key)?;
        let rotations = read_rotations(&key_dir)?;
        let opts = Options {
            rotations: &rotations,
            valid_for: valid_for(self.expires_in),
            ..Options::default()
        };
        let change = refresh(source.dir()?, &self.name, &key, &opts)?;
        shell.status(
            "Refreshed",
            format!(
                "{}: metadata version {} signed by key `{}`, valid until {}",
                self.name,
                change.metadata_version,
                key.id(),
                change.expires
            ),
        );
        Ok(())
    }
}
