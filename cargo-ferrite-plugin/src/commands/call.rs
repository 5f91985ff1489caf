use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;
use ferrite_plugin_build::BuildOptions;
use ferrite_plugin_host::wasm_wave;

use crate::ops::call::{CallSpec, call, component};
use crate::shell::Shell;

/// Call one function of the plugin in the embedded host
///
/// Each argument is WAVE text, as `wasmtime run --invoke` reads it: `42`, `"text"`,
/// `[1, 2]`, `{lat: 1.5, lon: 2.0}`, `some("x")`, `ok(3)`, `kilometers`. The
/// result is printed in WAVE on stdout; what the plugin logs goes to stderr.
#[derive(Args, Debug)]
#[command(allow_negative_numbers = true)]
pub struct CallCommand {
    /// The function, as `validate_email` or `validate-email`
    pub function: String,

    /// Its arguments, one WAVE value each (after `--` if one starts with `-`, like `-inf`)
    pub args: Vec<String>,

    /// Call this built component instead of building the current plugin
    #[arg(long, value_name = "FILE")]
    pub wasm: Option<PathBuf>,

    /// Pass the arguments as raw byte strings parsed by parameter type (as a RESP
    /// client sends them): text for `string`, decimal for numbers
    #[arg(long)]
    pub bytes: bool,

    /// Set the plugin configuration value KEY (repeatable)
    #[arg(long = "config", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub config: Vec<(String, String)>,

    /// Seed the keyspace from a JSON object of keys to values
    #[arg(long, value_name = "FILE")]
    pub kv: Option<PathBuf>,

    /// Build with the release profile
    #[arg(short = 'r', long)]
    pub release: bool,

    /// Path to Cargo.toml
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,

    /// The plugin package, in a workspace of several
    #[arg(short = 'p', long = "package", value_name = "NAME")]
    pub package: Option<String>,
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("`{s}` is not KEY=VALUE"))
}

impl CallCommand {
    pub fn exec(self, shell: &mut Shell) -> Result<()> {
        let opts = BuildOptions {
            release: self.release,
            manifest_path: self.manifest_path,
            packages: self.package.into_iter().collect(),
            tests: false,
            ferrite_version: None,
        };
        let loaded = component(shell, self.wasm.as_deref(), &opts)?;
        let spec = CallSpec {
            function: self.function,
            args: self.args,
            bytes: self.bytes,
            config: self.config,
            kv: self.kv,
        };
        let report = call(&loaded, &spec)?;
        for log in &report.logs {
            shell.line(format!("[{}] {}", log.level, log.message));
        }
        let fuel = report
            .fuel_used
            .map_or(String::new(), |f| format!(" using {f} fuel"));
        match report.result {
            Ok(value) => {
                shell.verbose("Called", format!("{}{fuel}", spec.function));
                if let Some(v) = value {
                    println!("{}", wasm_wave::to_string(&v)?);
                }
                Ok(())
            }
            Err(e) => bail!("{e}"),
        }
    }
}
