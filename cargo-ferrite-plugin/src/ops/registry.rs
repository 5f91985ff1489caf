//! Helpers the registry commands share.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use ferrite_plugin_registry::sign::PublicKey;

/// Where `keygen` writes keys and `publish` looks for one by default:
/// `$XDG_CONFIG_HOME/ferrite-plugin`, else `~/.config/ferrite-plugin`.
pub fn default_key_dir() -> Result<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .context("neither XDG_CONFIG_HOME nor HOME is set: pass `--out DIR` or `--key FILE`")?;
    Ok(base.join("ferrite-plugin"))
}

/// Refuses to publish from a git checkout with uncommitted changes in `dir`.
pub fn check_clean(dir: &Path) -> Result<()> {
    let Ok(out) = std::process::Command::new("git")
        .args([
            "status",
            "--porcelain",
            "--untracked-files=normal",
            "--",
            ".",
        ])
        .current_dir(dir)
        .output()
    else {
        return Ok(()); // No git: nothing to check.
    };
    if !out.status.success() {
        return Ok(()); // Not a git checkout.
    }
    let changes = String::from_utf8_lossy(&out.stdout);
    let files: Vec<&str> = changes
        .lines()
        .map(|l| l.get(3..).unwrap_or(l))
        .take(5)
        .collect();
    if !files.is_empty() {
        bail!(
            "`{}` has uncommitted changes ({}{}): commit them, or pass `--allow-dirty`",
            dir.display(),
            files.join(", "),
            if changes.lines().count() > 5 {
                ", ..."
            } else {
                ""
            }
        );
    }
    Ok(())
}

/// Parses `--trust`: `ID=PUBLIC_KEY`, or the path of a `.pub` file that
/// `keygen` wrote.
pub fn parse_trust(text: &str) -> std::result::Result<PublicKey, String> {
    let public = match text.split_once('=') {
        Some((id, key)) => PublicKey {
            id: id.to_string(),
            public_key: key.to_string(),
        },
        None => {
            let bytes = std::fs::read(text).map_err(|e| {
                format!("`{text}` is neither ID=PUBLIC_KEY nor a readable `.pub` file ({e})")
            })?;
            serde_json::from_slice(&bytes).map_err(|e| {
                format!("`{text}` is not a public key file written by `cargo ferrite-plugin keygen` ({e})")
            })?
        }
    };
    public.verifying_key().map_err(|e| e.to_string())?;
    Ok(public)
}
