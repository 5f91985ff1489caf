use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use ferrite_plugin_registry::install::list;

use crate::shell::Shell;

/// List the plugins installed in a directory
#[derive(Args, Debug)]
pub struct ListCommand {
    /// The install directory
    #[arg(long, value_name = "DIR")]
    pub from: PathBuf,
}

impl ListCommand {
    pub fn exec(self, shell: &mut Shell) -> Result<()> {
        let installed = list(&self.from)?;
        if installed.is_empty() {
            shell.note(format!(
                "no plugin is installed in `{}`",
                self.from.display()
            ));
        }
        for (name, e) in installed {
            let description = e
                .description
                .map_or(String::new(), |d| format!("    # {d}"));
            println!(
                "{name} v{} (key {}, from {}){description}",
                e.version, e.key_id, e.registry
            );
        }
        Ok(())
    }
}
