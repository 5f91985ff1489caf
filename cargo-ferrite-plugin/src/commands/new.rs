use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;

use crate::ops::new::{SdkSource, Template, check_name, name_from_path, new};
use crate::shell::Shell;

/// Create a new plugin crate that builds and tests green as generated
///
/// Without a path, asks for the name and template when run in a terminal.
#[derive(Args, Debug)]
pub struct NewCommand {
    /// Where to create the crate; its last part names the plugin (`my-plugin` → `my_plugin`)
    pub path: Option<PathBuf>,

    /// The plugin's name, if not the directory's
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// What to start from
    #[arg(long, value_enum, default_value = "function")]
    pub template: Template,

    /// Write into an existing, non-empty directory
    #[arg(long)]
    pub force: bool,

    /// Depend on the SDK at this path [default: the SDK this CLI was built from, else crates.io]
    #[arg(long, value_name = "PATH")]
    pub sdk_path: Option<PathBuf>,
}

fn ask(question: &str) -> Result<String> {
    let mut err = std::io::stderr();
    write!(err, "{question}")?;
    err.flush()?;
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line)? == 0 {
        bail!("no answer (end of input)");
    }
    Ok(line.trim().to_string())
}

impl NewCommand {
    pub fn exec(self, shell: &mut Shell) -> Result<()> {
        let (path, name, template) = match self.path {
            Some(path) => {
                let name = match self.name {
                    Some(n) => n,
                    None => name_from_path(&path)?,
                };
                (path, name, self.template)
            }
            None if std::io::stdin().is_terminal() => {
                let name = loop {
                    let answer = ask("Plugin name (lowercase letters, digits, `_`): ")?;
                    match check_name(&answer) {
                        Ok(()) => break answer,
                        Err(e) => shell.warn(e),
                    }
                };
                let template = loop {
                    match ask("Template: `function`, `kv`, `command`, `hook`, `artifact-keeper-format` or `forgepoint-extension` [function]: ")?.as_str() {
                        "" | "function" => break Template::Function,
                        "kv" => break Template::Kv,
                        "command" => break Template::Command,
                        "hook" => break Template::Hook,
                        "artifact-keeper-format" => break Template::ArtifactKeeperFormat,
                        "forgepoint-extension" => break Template::ForgepointExtension,
                        other => shell.warn(format!(
                            "`{other}` is not a template; answer `function`, `kv`, `command`, `hook`, `artifact-keeper-format` or `forgepoint-extension`"
                        )),
                    }
                };
                (PathBuf::from(&name), name, template)
            }
            None => bail!(
                "`cargo ferrite-plugin new` needs a path: `cargo ferrite-plugin new <PATH> [--name NAME] [--template function|kv|command|hook|artifact-keeper-format|forgepoint-extension]` (run it in a terminal to be asked instead)"
            ),
        };
        let sdk = SdkSource::resolve(self.sdk_path.as_deref())?;
        let created = new(&path, &name, template, &sdk, self.force)?;
        shell.status(
            "Created",
            format!(
                "plugin `{}` from the `{}` template in `{}`",
                created.name,
                template.name(),
                created.dir.display()
            ),
        );
        if let SdkSource::Path(p) = &sdk {
            shell.note(format!("it depends on the SDK at `{}`", p.display()));
        }
        if let Some(ws) = &created.outside_workspace {
            shell.note(format!(
                "`{}` is inside the workspace at `{}` but is its own workspace (`[workspace]` in its Cargo.toml); to make it a member, remove that table and add it to `workspace.members`",
                created.dir.display(),
                ws.display()
            ));
        }
        Ok(())
    }
}
