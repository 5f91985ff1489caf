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

/// The signing key at `path`, or at the default place, and the directory it
/// is in (where `keygen --rotate` keeps the rotations its old keys signed).
pub fn load_key(path: Option<PathBuf>) -> Result<(ferrite_plugin_registry::KeyPair, PathBuf)> {
    let path = match path {
        Some(p) => p,
        None => default_key_dir()?.join(ferrite_plugin_registry::sign::SECRET_FILE),
    };
    if !path.exists() {
        bail!(
            "no signing key at `{}`: create one with `cargo ferrite-plugin keygen`, or pass `--key FILE`",
            path.display()
        );
    }
    let key = ferrite_plugin_registry::KeyPair::load(&path)?;
    let dir = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    Ok((key, dir))
}

/// `--trusted-keys FILE`: the operator's own keys, in `keys.json`'s format
/// (or a list of `keygen` `.pub` files' contents).
pub fn read_trusted_keys(path: &Path) -> Result<ferrite_plugin_registry::format::Keys> {
    use ferrite_plugin_registry::format::{KeyEntry, Keys};
    let bytes =
        std::fs::read(path).with_context(|| format!("failed to read `{}`", path.display()))?;
    let keys = match serde_json::from_slice::<Keys>(&bytes) {
        Ok(keys) => keys,
        Err(_) => {
            let list: Vec<PublicKey> = serde_json::from_slice(&bytes).with_context(|| {
                format!(
                    "`{}` is neither a keys.json (`{{\"format\": 1, \"keys\": [...]}}`) nor a list of public keys (`[{{\"id\": ..., \"public_key\": ...}}]`)",
                    path.display()
                )
            })?;
            Keys {
                format: ferrite_plugin_registry::format::FORMAT,
                keys: list
                    .into_iter()
                    .map(|k| KeyEntry {
                        id: k.id,
                        public_key: k.public_key,
                        added_at: String::new(),
                        revoked_at: None,
                    })
                    .collect(),
            }
        }
    };
    for k in &keys.keys {
        PublicKey {
            id: k.id.clone(),
            public_key: k.public_key.clone(),
        }
        .verifying_key()
        .with_context(|| format!("in `{}`", path.display()))?;
    }
    if keys.keys.is_empty() {
        bail!(
            "`{}` lists no keys: with `--trusted-keys`, only the keys it lists are trusted",
            path.display()
        );
    }
    Ok(keys)
}

/// `--expires-in DAYS` as a duration.
pub fn valid_for(days: u64) -> std::time::Duration {
    std::time::Duration::from_secs(days.saturating_mul(86_400))
}

/// Where `info` remembers the newest signed metadata it has seen per
/// registry (an install directory keeps its own, in `installed.json`).
pub fn seen_file() -> Result<PathBuf> {
    Ok(default_key_dir()?.join("seen.json"))
}

/// Runs `git <args>` in `dir`: its trimmed output, or `None` if git fails
/// (not a checkout, no git).
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The source of the crate in `dir` in git's terms: the commit, the tree of
/// the crate's directory at that commit, and the directory's path in the
/// repository — when `dir` is in a checkout with no uncommitted changes
/// under it.
pub fn git_source(dir: &Path) -> Option<(String, String, String)> {
    let commit = git(dir, &["rev-parse", "HEAD"])?;
    let prefix = git(dir, &["rev-parse", "--show-prefix"])?;
    let prefix = prefix.trim_end_matches('/').to_string();
    let tree = git(dir, &["rev-parse", &format!("HEAD:{prefix}")])?;
    let dirty = git(
        dir,
        &[
            "status",
            "--porcelain",
            "--untracked-files=normal",
            "--",
            ".",
        ],
    )?;
    dirty.is_empty().then_some((commit, tree, prefix))
}

/// The `Cargo.lock` a build of the crate in `dir` uses: the nearest one at
/// or above it.
pub fn cargo_lock(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join("Cargo.lock"))
        .find(|p| p.is_file())
}

/// What a version built from the crate in `dir` as `package` records about
/// its source and toolchain (`publish`), for `verify`.
pub fn provenance(
    dir: &Path,
    package: &str,
    component: &[u8],
) -> ferrite_plugin_registry::format::Provenance {
    let git = git_source(dir);
    ferrite_plugin_registry::format::Provenance {
        package: package.to_string(),
        git_commit: git.as_ref().map(|g| g.0.clone()),
        git_tree: git.as_ref().map(|g| g.1.clone()),
        path: git.map(|g| g.2),
        cargo_lock_sha256: cargo_lock(dir)
            .and_then(|p| std::fs::read(p).ok())
            .map(|b| ferrite_plugin_build::sha256_hex(&b)),
        toolchain: ferrite_plugin_build::repro::Toolchain::of(component)
            .map(|t| t.0)
            .unwrap_or_default(),
    }
}
