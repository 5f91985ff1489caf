use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use ferrite_plugin_registry::install::remove;

use crate::shell::Shell;

/// Uninstall a plugin from a directory
#[derive(Args, Debug)]
pub struct RemoveCommand {
    /// The plugin
    pub name: String,

    /// The install directory
    #[arg(long, value_name = "DIR")]
    pub from: PathBuf,
}

impl RemoveCommand {
    pub fn exec(self, shell: &mut Shell) -> Result<()> {
        let entry = remove(&self.from, &self.name)?;
        shell.status(
            "Removed",
            format!(
                "{} v{} from `{}`",
                self.name,
                entry.version,
                self.from.display()
            ),
        );
        Ok(())
    }
}
