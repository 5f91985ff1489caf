use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use ferrite_plugin_build::meta::ExportKind;
use ferrite_plugin_build::{BuildOptions, build};

use crate::shell::{Shell, human_size};

/// Compile a plugin crate to a WebAssembly component
///
/// Builds the cdylib for wasm32-unknown-unknown, turns it into a component whose
/// WIT is derived from the `#[ferrite_plugin::function]` signatures, checks it
/// against plugin.toml, and writes `<target-dir>/ferrite-plugin/<name>.wasm`
/// and `<name>.wit`.
#[derive(Args, Debug)]
pub struct BuildCommand {
    /// Build with the release profile
    #[arg(short = 'r', long)]
    pub release: bool,

    /// Path to Cargo.toml
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,

    /// Plugin package(s) to build [default: the current package, or every plugin in the workspace]
    #[arg(short = 'p', long = "package", value_name = "NAME")]
    pub packages: Vec<String>,

    /// Build for a server of this Ferrite version (e.g. `0.2.0`): against the
    /// newest host API it serves, into `ferrite-plugin/api-<version>/` when
    /// that is not the newest [default: the newest]
    #[arg(long, value_name = "VERSION")]
    pub ferrite_version: Option<semver::Version>,

    /// How to report artifacts: `human` status lines, or one JSON object per artifact on stdout
    #[arg(long, value_name = "FMT", default_value = "human")]
    pub message_format: MessageFormat,
}

/// `--message-format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageFormat {
    /// Status lines on stderr.
    Human,
    /// One JSON object per artifact on stdout.
    Json,
}

impl BuildCommand {
    pub fn exec(self, shell: &mut Shell) -> Result<()> {
        let opts = BuildOptions {
            release: self.release,
            manifest_path: self.manifest_path,
            packages: self.packages,
            tests: false,
            ferrite_version: self.ferrite_version,
        };
        for b in build(shell, &opts)? {
            let size = b.component.bytes.len() as u64;
            let exports: Vec<&str> = b
                .component
                .exports
                .iter()
                .filter(|e| e.kind == ExportKind::Function)
                .map(|e| e.wit_name.as_str())
                .collect();
            let m = &b.manifest.exports;
            let mut what = Vec::new();
            if !exports.is_empty() {
                what.push(exports.join(", "));
            }
            if !m.commands.is_empty() {
                what.push(format!("commands {}", m.commands.join(", ")));
            }
            if !m.hooks.is_empty() {
                what.push(format!("hooks {}", m.hooks.join(", ")));
            }
            shell.status(
                "Created",
                format!(
                    "component {} ({}) exporting {}",
                    b.component_path.display(),
                    human_size(size),
                    what.join("; ")
                ),
            );
            if self.message_format == MessageFormat::Json {
                let msg = serde_json::json!({
                    "reason": "ferrite-plugin-artifact",
                    "package": b.package,
                    "name": b.manifest.plugin.name,
                    "version": b.manifest.plugin.version.to_string(),
                    "path": b.component_path,
                    "wit": b.wit_path,
                    "size": size,
                    "sha256": b.sha256,
                                        "exports": exports,
                    "commands": m.commands,
                    "hooks": m.hooks,
                });
                println!("{msg}");
            }
        }
        Ok(())
    }
}
