use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use ferrite_plugin_registry::KeyPair;

use crate::ops::registry::default_key_dir;
use crate::shell::Shell;

/// Create an ed25519 key pair for signing the plugins you publish
///
/// Writes the secret key (mode 0600, never printed) to `ferrite-plugin.key`
/// and the public key with its id to `ferrite-plugin.pub`.
#[derive(Args, Debug)]
pub struct KeygenCommand {
    /// Where to write the keys [default: ~/.config/ferrite-plugin]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Replace an existing key
    #[arg(long)]
    pub force: bool,
}

impl KeygenCommand {
    pub fn exec(self, shell: &mut Shell) -> Result<()> {
        let dir = match self.out {
            Some(d) => d,
            None => default_key_dir()?,
        };
        let key = KeyPair::generate()?;
        let (secret, public) = key.save(&dir, self.force)?;
        shell.status("Created", format!("signing key `{}`", key.id()));
        shell.note(format!(
            "secret key: `{}` (keep it private)",
            secret.display()
        ));
        shell.note(format!(
            "public key: `{}`; `publish` adds it to a registry's keys.json the first time you publish there",
            public.display()
        ));
        Ok(())
    }
}
