use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use ferrite_plugin_build::BuildOptions;

use crate::commands::build::MessageFormat;
use crate::ops::call::{inspect, last_built, read_component};
use crate::shell::{Shell, human_size};

/// Show what a built plugin is: its WIT, manifest, permissions, limits, size and sha256
///
/// Without FILE, inspects the current plugin's release component
/// (`target/ferrite-plugin/<name>.wasm`), or its debug one if there is none.
#[derive(Args, Debug)]
pub struct InspectCommand {
    /// A component file, e.g. one downloaded from a registry
    pub file: Option<PathBuf>,

    /// Path to Cargo.toml
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,

    /// The plugin package, in a workspace of several
    #[arg(short = 'p', long = "package", value_name = "NAME")]
    pub package: Option<String>,

    /// `human` text, or one JSON object on stdout
    #[arg(long, value_name = "FMT", default_value = "human")]
    pub message_format: MessageFormat,
}

impl InspectCommand {
    pub fn exec(self, _shell: &mut Shell) -> Result<()> {
        let path = match self.file {
            Some(f) => f,
            None => last_built(&BuildOptions {
                manifest_path: self.manifest_path,
                packages: self.package.into_iter().collect(),
                ..BuildOptions::default()
            })?,
        };
        let i = inspect(&read_component(&path)?)?;
        if self.message_format == MessageFormat::Json {
            println!("{}", serde_json::to_string(&i)?);
            return Ok(());
        }
        let m = &i.manifest;
        let p = &m.plugin;
        println!(
            "{} {}{}",
            p.name,
            p.version,
            p.description
                .as_ref()
                .map_or(String::new(), |d| format!(": {d}"))
        );
        println!("  file:        {}", i.path.display());
        println!("  size:        {} ({} bytes)", human_size(i.size), i.size);
        println!("  sha256:      {}", i.sha256);
        if let Some(a) = &p.author {
            println!("  author:      {a}");
        }
        if let Some(l) = &p.license {
            println!("  license:     {l}");
        }
        if let Some(v) = &i.needs {
            println!("  needs:       Ferrite {v} or newer");
        }
        let yes = |b: bool| if b { "yes" } else { "no" };
        println!(
            "  permissions: {}, network: {}",
            m.permissions.keys,
            yes(m.permissions.network)
        );
        let l = &m.limits;
        let limit = |v: Option<u64>, unit: &str| {
            v.map_or("host default".to_string(), |v| format!("{v}{unit}"))
        };
        println!(
            "  limits:      fuel {}, memory {}, timeout {}",
            limit(l.fuel, ""),
            limit(l.memory_mb, " MiB"),
            limit(l.timeout_ms, " ms")
        );
        println!(
            "  imports:     {}",
            if i.imports.is_empty() {
                "nothing".into()
            } else {
                i.imports.join(", ")
            }
        );
        println!("  exports:");
        for (name, sig) in &i.functions {
            println!("    {name}: {sig}");
        }
        if !i.commands.is_empty() {
            println!("  commands:");
            for (name, arity) in &i.commands {
                println!("    {name} (arity {arity})");
            }
        }
        if !i.hooks.is_empty() {
            println!("  hooks:");
            for (function, event, commands) in &i.hooks {
                let on = if commands.is_empty() {
                    "every command".to_string()
                } else {
                    commands.join(", ")
                };
                println!("    {function}: {event} on {on}");
            }
        }
        println!("\n{}", i.wit.trim_end());
        Ok(())
    }
}
