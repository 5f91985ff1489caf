use anyhow::{Result, bail};
use clap::Args;
use ferrite_plugin_registry::Source;
use ferrite_plugin_registry::publish::set_yanked;
use ferrite_plugin_registry::resolve::{Req, Request};

use crate::shell::Shell;

/// Hide a published version from resolution (it stays installable by its exact version)
#[derive(Args, Debug)]
pub struct YankCommand {
    /// The version, as NAME@VERSION
    #[arg(value_name = "NAME@VERSION")]
    pub version: String,

    /// The registry directory (or `file://` URL) [env: FERRITE_PLUGIN_REGISTRY]
    #[arg(long, value_name = "R", env = "FERRITE_PLUGIN_REGISTRY")]
    pub registry: String,
}

impl YankCommand {
    pub fn exec(self, shell: &mut Shell, yanked: bool) -> Result<()> {
        let request = Request::parse(&self.version)?;
        let Req::Exact(version) = request.req else {
            bail!("name one version exactly, as NAME@1.2.3");
        };
        let source = Source::parse(&self.registry);
        let changed = set_yanked(source.dir()?, &request.name, &version, yanked)?;
        let verb = if yanked { "Yanked" } else { "Unyanked" };
        if changed {
            shell.status(verb, format!("{} v{version}", request.name));
        } else {
            shell.status(
                verb,
                format!("{} v{version} (it already was)", request.name),
            );
        }
        Ok(())
    }
}
