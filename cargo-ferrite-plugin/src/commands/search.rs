use anyhow::Result;
use clap::Args;
use ferrite_plugin_registry::Source;

use crate::shell::Shell;

/// List a registry's plugins whose name or description contains QUERY
#[derive(Args, Debug)]
pub struct SearchCommand {
    /// Text to look for [default: list everything]
    pub query: Option<String>,

    /// The registry: a directory, `file://` or `http(s)://` URL [env: FERRITE_PLUGIN_REGISTRY]
    #[arg(long, value_name = "R", env = "FERRITE_PLUGIN_REGISTRY")]
    pub registry: String,
}

impl SearchCommand {
    pub fn exec(self, shell: &mut Shell) -> Result<()> {
        let index = Source::parse(&self.registry).index()?;
        let query = self.query.unwrap_or_default().to_lowercase();
        let mut found = 0;
        for (name, plugin) in &index.plugins {
            let description = plugin.description.clone().unwrap_or_default();
            if !name.contains(&query) && !description.to_lowercase().contains(&query) {
                continue;
            }
            let Some((version, entry)) = plugin.versions.iter().rev().find(|(_, e)| !e.yanked)
            else {
                continue;
            };
            let keys = if entry.permissions.keys.is_none() {
                String::new()
            } else {
                format!(" [{}]", entry.permissions.keys)
            };
            println!("{name} = \"{version}\"{keys}    # {description}");
            found += 1;
        }
        if found == 0 {
            shell.note("no plugin matches");
        }
        Ok(())
    }
}
