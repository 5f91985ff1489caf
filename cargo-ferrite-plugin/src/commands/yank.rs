use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;
use ferrite_plugin_registry::Source;
use ferrite_plugin_registry::metadata::read_rotations;
use ferrite_plugin_registry::publish::{Options, set_yanked};
use ferrite_plugin_registry::resolve::{Req, Request};

use crate::ops::registry::{load_key, valid_for};
use crate::shell::Shell;

/// Hide a published version from resolution (it stays installable by its exact version)
///
/// Re-signs the plugin's metadata with the plugin's key: only its maintainer
/// can yank or unyank.
#[derive(Args, Debug)]
pub struct YankCommand {
    /// The version, as NAME@VERSION
    #[arg(value_name = "NAME@VERSION")]
    pub version: String,

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

impl YankCommand {
    pub fn exec(self, shell: &mut Shell, yanked: bool) -> Result<()> {
        let request = Request::parse(&self.version)?;
        let Req::Exact(version) = request.req else {
            bail!("name one version exactly, as NAME@1.2.3");
        };
        let source = Source::parse(&self.registry);
        let (key, key_dir) = load_key(self.key)?;
        let rotations = read_rotations(&key_dir)?;
        let opts = Options {
            rotations: &rotations,
            valid_for: valid_for(self.expires_in),
            ..Options::default()
        };
        let change = set_yanked(source.dir()?, &request.name, &version, yanked, &key, &opts)?;
        let verb = if yanked { "Yanked" } else { "Unyanked" };
        let already = if change.changed {
            ""
        } else {
            " (it already was)"
        };
        shell.status(
            verb,
            format!(
                "{} v{version}{already}; metadata version {} signed by key `{}`, valid until {}",
                request.name,
                change.metadata_version,
                key.id(),
                change.expires
            ),
        );
        Ok(())
    }
}
