use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use ferrite_plugin_registry::Source;
use ferrite_plugin_registry::install::Installer;
use ferrite_plugin_registry::resolve::Request;
use ferrite_plugin_registry::sign::PublicKey;

use crate::ops::registry::{parse_trust, read_trusted_keys};
use crate::shell::Shell;

/// Download, verify and install a plugin into a directory a server loads from
///
/// Acts on the plugin's signed metadata alone: signed by a trusted key (in
/// the registry's keys.json, `--trust`ed, or only those of
/// `--trusted-keys`), or, for an update, by the key the installed plugin is
/// pinned to or one that key rotated to; not expired; not older than what
/// this directory has seen from the registry. Then checks the component's
/// size, SHA-256 and signature, and that the key access it asks for is
/// approved, before writing anything.
#[derive(Args, Debug)]
pub struct InstallCommand {
    /// NAME, NAME@VERSION (exact, may be yanked) or NAME@REQUIREMENT (e.g. `@^1.2`)
    #[arg(value_name = "NAME[@REQ]")]
    pub plugin: String,

    /// Where to install
    #[arg(long, value_name = "DIR")]
    pub into: PathBuf,

    /// The registry: a directory, `file://` or `http(s)://` URL [env: FERRITE_PLUGIN_REGISTRY]
    #[arg(long, value_name = "R", env = "FERRITE_PLUGIN_REGISTRY")]
    pub registry: String,

    /// Approve the key access the plugin asks for (any at all, or more than
    /// the installed version was approved for)
    #[arg(long)]
    pub allow_keys: bool,

    /// Also trust this key: a keygen `.pub` file, or ID=PUBLIC_KEY (repeatable)
    #[arg(long, value_name = "KEY", value_parser = parse_trust)]
    pub trust: Vec<PublicKey>,

    /// Trust only the keys in FILE (a keys.json, or a list of `.pub` keys),
    /// ignoring the registry's keys.json
    #[arg(long, value_name = "FILE", conflicts_with = "trust")]
    pub trusted_keys: Option<PathBuf>,

    /// The Ferrite version of the server (checked against min_ferrite_version)
    #[arg(long, value_name = "VERSION", default_value = "0.3.0")]
    pub ferrite_version: semver::Version,
}

impl InstallCommand {
    pub fn exec(self, shell: &mut Shell) -> Result<()> {
        let request = Request::parse(&self.plugin)?;
        let source = Source::parse(&self.registry);
        let mut installer = Installer::new(&source)
            .ferrite_version(self.ferrite_version)
            .allow_keys(self.allow_keys)
            .approval_hint(format!(
                "`cargo ferrite-plugin install {} --allow-keys`",
                self.plugin
            ));
        for key in self.trust {
            installer = installer.trust(key);
        }
        if let Some(file) = &self.trusted_keys {
            installer = installer.trusted_keys(read_trusted_keys(file)?);
        }
        let done = installer.install(&request, &self.into)?;
        let replaced = done
            .replaced
            .as_ref()
            .map_or(String::new(), |v| format!(", replacing v{v}"));
        shell.status(
            "Installed",
            format!(
                "{} v{} into `{}` (verified, signed by key `{}`{replaced})",
                done.name,
                done.version,
                done.path.display(),
                done.entry.key_id
            ),
        );
        if let Some(keys) = done.entry.keys.as_ref().filter(|k| !k.is_none()) {
            shell.note(format!("approved key access: {keys}"));
        }
        if let Some(old) = &done.rotated_from {
            shell.note(format!(
                "its maintainer rotated from key `{old}` to `{}`: the installation is pinned to the new key",
                done.entry.key_id
            ));
        }
        Ok(())
    }
}
