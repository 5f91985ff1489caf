//! Reproducible builds: the same source, lock file and toolchain give the
//! same component, byte for byte, wherever the crate, its path
//! dependencies, the cargo home and the toolchain are on disk.
//!
//! What would differ is the paths the compiler writes into the module (panic
//! locations, `file!()`): each build remaps them (`--remap-path-prefix`) —
//! the cargo home to `/cargo`, the toolchain's sources to
//! `/rustc/<commit>` (as the standard library's own are), the target
//! directory to `/target`, and every path dependency outside the workspace
//! to `/deps/<name>-<version>`; a workspace's own crates are compiled with
//! relative paths already. The component's other sections are
//! deterministic. The toolchain is recorded in the component's
//! [`TOOLCHAIN_SECTION`], for `verify` to rebuild with the same one.
//!
//! One thing remapping cannot change: cargo hashes a path dependency that
//! lies outside the workspace by its absolute path into its symbols' names,
//! so such a dependency (an SDK by path, outside the plugin's workspace)
//! must be at the same place for the same bytes; a dependency from a
//! registry or inside the workspace may be anywhere.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use cargo_metadata::Metadata;

/// The custom section with the toolchain that built a component.
pub const TOOLCHAIN_SECTION: &str = "ferrite-plugin-toolchain";

/// The toolchain of a build, as recorded in [`TOOLCHAIN_SECTION`]:
/// `rustc`, `rustc-commit`, `target`, `sdk`, `ferrite-plugin-build` and
/// `profile`, one `key: value` line each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Toolchain(pub BTreeMap<String, String>);

impl Toolchain {
    /// The section's text.
    pub fn to_text(&self) -> String {
        self.0.iter().map(|(k, v)| format!("{k}: {v}\n")).collect()
    }

    /// Parses the section's text.
    pub fn parse(text: &str) -> Toolchain {
        Toolchain(
            text.lines()
                .filter_map(|l| l.split_once(": "))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// The toolchain recorded in `component`, if any.
    pub fn of(component: &[u8]) -> Option<Toolchain> {
        for payload in wasmparser::Parser::new(0).parse_all(component) {
            if let Ok(wasmparser::Payload::CustomSection(c)) = payload
                && c.name() == TOOLCHAIN_SECTION
            {
                return Some(Toolchain::parse(&String::from_utf8_lossy(c.data())));
            }
        }
        None
    }

    /// `rustc -V` as recorded: `rustc 1.95.0 (59807616e 2026-04-14)`.
    pub fn rustc(&self) -> &str {
        self.0.get("rustc").map_or("", String::as_str)
    }
}

/// Where two components first differ, in words: the byte, and the
/// innermost section holding it in `rebuilt`.
pub fn first_difference(published: &[u8], rebuilt: &[u8]) -> String {
    let at = published
        .iter()
        .zip(rebuilt)
        .position(|(a, b)| a != b)
        .unwrap_or(published.len().min(rebuilt.len()));
    let mut section = "the header".to_string();
    for payload in wasmparser::Parser::new(0).parse_all(rebuilt) {
        let Ok(payload) = payload else { break };
        let Some((id, range)) = payload.as_section() else {
            continue;
        };
        if !range.contains(&at) {
            continue;
        }
        section = match &payload {
            wasmparser::Payload::CustomSection(c) => format!("the custom section `{}`", c.name()),
            wasmparser::Payload::CodeSectionStart { .. } => {
                "a core module's code (the plugin's compiled functions)".into()
            }
            wasmparser::Payload::DataSection(_) => {
                "a core module's data (its strings and constants)".into()
            }
            wasmparser::Payload::ModuleSection { .. } => "a core module".into(),
            _ => format!("section {id}"),
        };
    }
    format!(
        "they first differ at byte {at}, in {section} (published {} bytes, rebuilt {} bytes)",
        published.len(),
        rebuilt.len()
    )
}

/// `rustc -vV` of the compiler cargo will use.
pub fn rustc_version(dir: &Path) -> Result<BTreeMap<String, String>> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(&rustc)
        .arg("-vV")
        .current_dir(dir)
        .output()
        .with_context(|| format!("failed to run `{} -vV`", rustc.to_string_lossy()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut info: BTreeMap<String, String> = text
        .lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if let Some(first) = text.lines().next() {
        // `rustc 1.95.0 (59807616e 2026-04-14)`
        info.insert("version".into(), first.to_string());
    }
    Ok(info)
}

/// The `--remap-path-prefix` flags of a build of the workspace `metadata`
/// describes, with `packages` the full dependency graph's packages (from
/// `cargo metadata` with dependencies) and `sysroot` the compiler's.
pub fn remap_flags(
    workspace: &Metadata,
    packages: &[cargo_metadata::Package],
    rustc: &BTreeMap<String, String>,
    sysroot: &Path,
) -> Result<Vec<String>> {
    let mut maps: Vec<(PathBuf, String)> = Vec::new();
    let mut add = |from: PathBuf, to: String| {
        if let Ok(canonical) = from.canonicalize()
            && canonical != from
        {
            maps.push((canonical, to.clone()));
        }
        maps.push((from, to));
    };
    // Path dependencies outside the workspace.
    let root = workspace.workspace_root.as_std_path();
    for p in packages {
        if p.source.is_some() {
            continue;
        }
        let Some(pkg_dir) = p.manifest_path.parent() else {
            continue;
        };
        if pkg_dir.as_std_path().starts_with(root) {
            continue;
        }
        add(
            pkg_dir.as_std_path().to_path_buf(),
            format!("/deps/{}-{}", p.name, p.version),
        );
    }
    add(
        workspace.target_directory.as_std_path().to_path_buf(),
        "/target".into(),
    );
    add(cargo_home()?, "/cargo".into());
    let commit = rustc.get("commit-hash").cloned().unwrap_or_default();
    add(
        sysroot.join("lib/rustlib/src/rust"),
        format!("/rustc/{commit}"),
    );
    // The workspace itself: its crates are compiled with relative paths, and
    // whatever else names it (a build script's output) is named from its
    // root. rustc applies the last flag that matches a path, so shorter
    // prefixes go first and the more specific ones after them.
    add(root.to_path_buf(), "/ws".into());
    maps.sort_by_key(|(from, _)| std::cmp::Reverse(from.as_os_str().len()));
    maps.dedup_by(|a, b| a.0 == b.0);
    Ok(maps
        .into_iter()
        .rev()
        .map(|(from, to)| format!("--remap-path-prefix={}={to}", from.display()))
        .collect())
}

/// Where cargo's home is, as cargo sees it.
fn cargo_home() -> Result<PathBuf> {
    if let Some(home) = std::env::var_os("CARGO_HOME").filter(|h| !h.is_empty()) {
        return Ok(PathBuf::from(home));
    }
    std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".cargo"))
        .context("neither CARGO_HOME nor HOME is set")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_toolchain_section_reads_back() {
        let t = Toolchain(BTreeMap::from([
            (
                "rustc".to_string(),
                "rustc 1.95.0 (59807616e 2026-04-14)".to_string(),
            ),
            ("target".to_string(), "wasm32-unknown-unknown".to_string()),
        ]));
        assert_eq!(Toolchain::parse(&t.to_text()), t);
        assert_eq!(t.rustc(), "rustc 1.95.0 (59807616e 2026-04-14)");
    }
}
