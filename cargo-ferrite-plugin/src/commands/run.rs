use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::ops::run::{RunOptions, run};
use crate::shell::Shell;

/// Serve plugins on a local Ferrite-compatible server, for redis-cli and any Redis client
///
/// Speaks RESP2 and RESP3 on loopback with an in-memory keyspace, the
/// keyspace commands, FCALL, FUNCTION LOAD/LIST/DELETE and PLUGIN
/// LIST/INFO/INSTALL/REMOVE/RELOAD. In a plugin crate with no `--plugin`, it
/// builds and loads that crate.
#[derive(Args, Debug)]
pub struct RunCommand {
    /// The address to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub bind: IpAddr,

    /// The port to listen on
    #[arg(long, value_name = "PORT", default_value_t = 6379)]
    pub port: u16,

    /// A plugin crate directory (built first) or a built `.wasm` (repeatable)
    #[arg(long, value_name = "PATH")]
    pub plugin: Vec<PathBuf>,

    /// Approve the key access the `--plugin` components (`.wasm` files) ask
    /// for; plugin crates get what their plugin.toml declares
    #[arg(long)]
    pub allow_keys: bool,

    /// The registry `PLUGIN INSTALL` installs from [env: FERRITE_PLUGIN_REGISTRY]
    #[arg(long, value_name = "R", env = "FERRITE_PLUGIN_REGISTRY")]
    pub registry: Option<String>,

    /// `PLUGIN INSTALL` trusts only the keys in FILE (a keys.json, or a list
    /// of `.pub` keys), ignoring the registry's keys.json
    #[arg(long, value_name = "FILE")]
    pub trusted_keys: Option<PathBuf>,

    /// Rebuild and hot-reload plugin crates when their sources change
    #[arg(long)]
    pub watch: bool,

    /// Give every call a fresh instance instead of reusing warm ones
    #[arg(long)]
    pub fresh: bool,

    /// Worker threads serving clients [default: half the cores]
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Refuse bulk strings longer than this many bytes
    #[arg(long, value_name = "BYTES", default_value_t = 512 * 1024 * 1024)]
    pub max_bulk: usize,

    /// Build plugin crates with the release profile
    #[arg(short = 'r', long)]
    pub release: bool,

    /// Path to Cargo.toml
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,

    /// The plugin package, in a workspace of several
    #[arg(short = 'p', long = "package", value_name = "NAME")]
    pub package: Option<String>,
}

impl RunCommand {
    pub fn exec(self, shell: &mut Shell) -> Result<()> {
        run(
            shell,
            RunOptions {
                addr: (self.bind, self.port).into(),
                plugins: self.plugin,
                allow_keys: self.allow_keys,
                registry: self.registry,
                trusted_keys: self.trusted_keys,
                watch: self.watch,
                warm: !self.fresh,
                threads: self.threads,
                max_bulk: self.max_bulk,
                release: self.release,
                manifest_path: self.manifest_path,
                package: self.package,
            },
        )
    }
}
