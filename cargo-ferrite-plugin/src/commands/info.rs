use anyhow::{Result, bail};
use clap::Args;
use ferrite_plugin_registry::resolve::{Req, Request};
use ferrite_plugin_registry::{RegistryError, Source};

use crate::shell::{Shell, human_size};

/// Show a plugin's versions, or one version's details
#[derive(Args, Debug)]
pub struct InfoCommand {
    /// NAME, or NAME@VERSION
    #[arg(value_name = "NAME[@VERSION]")]
    pub plugin: String,

    /// The registry: a directory, `file://` or `http(s)://` URL [env: FERRITE_PLUGIN_REGISTRY]
    #[arg(long, value_name = "R", env = "FERRITE_PLUGIN_REGISTRY")]
    pub registry: String,
}

impl InfoCommand {
    pub fn exec(self, _shell: &mut Shell) -> Result<()> {
        let request = Request::parse(&self.plugin)?;
        let source = Source::parse(&self.registry);
        let index = source.index()?;
        let plugin =
            index
                .plugins
                .get(&request.name)
                .ok_or_else(|| RegistryError::NoSuchPlugin {
                    registry: source.to_string(),
                    name: request.name.clone(),
                })?;
        println!(
            "{}{}",
            request.name,
            plugin
                .description
                .as_ref()
                .map_or(String::new(), |d| format!(": {d}"))
        );
        let shown: Vec<_> = match &request.req {
            Req::Latest => plugin.versions.iter().rev().collect(),
            Req::Exact(v) => match plugin.versions.get_key_value(v) {
                Some(pair) => vec![pair],
                None => bail!("`{}` has no version {v}", request.name),
            },
            Req::Matching(r) => plugin
                .versions
                .iter()
                .rev()
                .filter(|(v, _)| r.matches(v))
                .collect(),
        };
        for (version, e) in shown {
            let yanked = if e.yanked { " (yanked)" } else { "" };
            let needs = e
                .min_ferrite_version
                .as_ref()
                .map_or(String::new(), |m| format!(", needs Ferrite {m}+"));
            println!(
                "  {version}{yanked}: {}, {}{needs}",
                human_size(e.size),
                e.permissions.keys
            );
            println!("    exports:   {}", e.exports.join(", "));
            println!("    sha256:    {}", e.sha256);
            println!("    signed by: {}, published {}", e.key_id, e.published_at);
        }
        Ok(())
    }
}
