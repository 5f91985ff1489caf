use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use ferrite_plugin_registry::Source;
use ferrite_plugin_registry::install::Installer;
use ferrite_plugin_registry::resolve::Request;
use ferrite_plugin_registry::sign::PublicKey;

use crate::ops::registry::parse_trust;
use crate::shell::Shell;

/// Download, verify and install a plugin into a directory a server loads from
///
/// Checks the component's size and SHA-256, that its key is trusted (in the
/// registry's keys.json or `--trust`ed) and not revoked, and its signature,
/// before writing anything.
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

    /// Also trust this key: a keygen `.pub` file, or ID=PUBLIC_KEY (repeatable)
    #[arg(long, value_name = "KEY", value_parser = parse_trust)]
    pub trust: Vec<PublicKey>,

    /// The Ferrite version of the server (checked against min_ferrite_version)
    #[arg(long, value_name = "VERSION", default_value = "0.3.0")]
    pub ferrite_version: semver::Version,
}

impl InstallCommand {
    pub fn exec(self, shell: &mut Shell) -> Result<()> {
        let request = Request::parse(&self.plugin)?;
        let source = Source::parse(&self.registry);
        let mut installer = Installer::new(&source).ferrite_version(self.ferrite_version);
        for key in self.trust {
            installer = installer.trust(key);
        }
        let done = installer.install(&request, &self.into)?;
        let replaced = done
            .replaced
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
        Ok(())
    }
}
