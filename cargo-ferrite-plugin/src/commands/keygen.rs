use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use ferrite_plugin_registry::KeyPair;
use ferrite_plugin_registry::metadata::{ROTATIONS_FILE, rotate};

use crate::ops::registry::default_key_dir;
use crate::shell::Shell;

/// Create an ed25519 key pair for signing the plugins you publish
///
/// Writes the secret key (mode 0600, never printed) to `ferrite-plugin.key`
/// and the public key with its id to `ferrite-plugin.pub`. With `--rotate`,
/// replaces the key there by a new one and has the old key sign the hand-
/// over, so that servers which installed your plugins accept updates signed
/// by the new key.
#[derive(Args, Debug)]
pub struct KeygenCommand {
    /// Where to write the keys [default: ~/.config/ferrite-plugin]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Replace an existing key (servers pinned to it will refuse your updates)
    #[arg(long, conflicts_with = "rotate")]
    pub force: bool,

    /// Replace the existing key by a new one, the old key signing the rotation
    #[arg(long)]
    pub rotate: bool,
}

impl KeygenCommand {
    pub fn exec(self, shell: &mut Shell) -> Result<()> {
        let dir = match self.out {
            Some(d) => d,
            None => default_key_dir()?,
        };
        if self.rotate {
            let (old, new) = rotate(&dir)?;
            shell.status("Rotated", format!("signing key `{old}` to `{}`", new.id()));
            shell.note(format!(
                "the old key signed the hand-over into `{}`; `publish`, `yank` and `refresh` with the new key carry it into each plugin's metadata",
                dir.join(ROTATIONS_FILE).display()
            ));
            shell.note(format!(
                "the old key is kept as `{}`: keep it until every plugin it owns was published or refreshed with the new key",
                dir.join(format!("ferrite-plugin.{old}.key")).display()
            ));
            return Ok(());
        }
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
