//! The build: find the plugin crates, compile them to wasm32, componentize,
//! check them against `plugin.toml`, write the artifacts.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use cargo_metadata::camino::Utf8PathBuf;
use cargo_metadata::{Message, Metadata, MetadataCommand, Package, TargetKind};
use ferrite_plugin_host::ApiVersion;
use ferrite_plugin_host::check::Surface;
use ferrite_plugin_host::manifest::Manifest;
use sha2::{Digest, Sha256};

use crate::componentize::{self, Component};
use crate::fs_util;
use crate::report::{CompileFailed, Reporter, Verbosity};

/// The target plugins are compiled for.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// What to build.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Use cargo's release profile.
    pub release: bool,
    /// The `Cargo.toml` to start from (default: found from the current directory).
    pub manifest_path: Option<PathBuf>,
    /// Packages to build (default: the current one, or every plugin of a workspace).
    pub packages: Vec<String>,
    /// Build with the `#[ferrite_plugin::test]` entry points, for `test`.
    pub tests: bool,
    /// Build for a server of this Ferrite version: against the newest host
    /// API it serves (default: the newest this crate knows).
    pub ferrite_version: Option<semver::Version>,
}

impl BuildOptions {
    /// The host API to build against.
    pub fn api(&self) -> Result<ApiVersion> {
        match &self.ferrite_version {
            None => Ok(ApiVersion::LATEST),
            Some(v) => ApiVersion::newest_served_by(v).with_context(|| {
                format!(
                    "Ferrite {v} serves no host API this SDK can build for (the oldest is {}, served from Ferrite {})",
                    ApiVersion::ALL[0],
                    ApiVersion::ALL[0].first_ferrite()
                )
            }),
        }
    }
}

/// A built plugin.
pub struct Built {
    /// The cargo package.
    pub package: String,
    /// Its checked `plugin.toml`.
    pub manifest: Manifest,
    /// Where its `plugin.toml` is.
    pub manifest_path: PathBuf,
    /// The component that was written.
    pub component_path: PathBuf,
    /// The WIT that was written beside it.
    pub wit_path: PathBuf,
    /// The component itself.
    pub component: Component,
    /// The component's SHA-256, in hex.
    pub sha256: String,
    /// The package's directory (where `plugin.toml` is).
    pub dir: PathBuf,
    /// Where the host may cache compiled components for this workspace.
    pub cache_dir: PathBuf,
}

/// A package to build, with its checked manifest.
struct Plugin<'a> {
    package: &'a Package,
    manifest: Manifest,
    manifest_path: PathBuf,
}

/// The `Cargo.toml` cargo would use: the given one, or the nearest one at or
/// above the current directory.
pub fn find_manifest(given: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = given {
        if !path.is_file() {
            bail!("the manifest path `{}` does not exist", path.display());
        }
        return Ok(path.canonicalize()?);
    }
    let cwd = std::env::current_dir()?;
    for dir in cwd.ancestors() {
        let candidate = dir.join("Cargo.toml");
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!(
        "could not find `Cargo.toml` in `{}` or any parent directory; run this in a plugin crate, or create one with `cargo ferrite-plugin new`",
        cwd.display()
    )
}

/// `cargo metadata` for the workspace of `manifest`.
pub fn metadata(manifest: &Path) -> Result<Metadata> {
    MetadataCommand::new()
        .manifest_path(manifest)
        .no_deps()
        .exec()
        .map_err(|e| match e {
            cargo_metadata::Error::CargoMetadata { stderr } => {
                anyhow::anyhow!("{}", stderr.trim().trim_start_matches("error: "))
            }
            other => anyhow::Error::new(other),
        })
        .with_context(|| format!("failed to read the workspace of `{}`", manifest.display()))
}

fn plugin_toml(package: &Package) -> PathBuf {
    package
        .manifest_path
        .parent()
        .map(|d| d.join("plugin.toml"))
        .unwrap_or_default()
        .into()
}

fn is_cdylib(package: &Package) -> bool {
    package
        .targets
        .iter()
        .any(|t| t.kind.contains(&TargetKind::CDyLib))
}

/// The packages to build: named ones, the one `manifest` belongs to, or every
/// plugin of the workspace whose root is `manifest`.
fn select<'a>(
    metadata: &'a Metadata,
    manifest: &Path,
    names: &[String],
) -> Result<Vec<&'a Package>> {
    let members = metadata.workspace_packages();
    if !names.is_empty() {
        return names
            .iter()
            .map(|name| {
                members
                    .iter()
                    .copied()
                    .find(|p| p.name.as_str() == name)
                    .with_context(|| {
                        let plugins: Vec<&str> = members
                            .iter()
                            .filter(|p| plugin_toml(p).is_file())
                            .map(|p| p.name.as_str())
                            .collect();
                        format!(
                            "package `{name}` is not in this workspace (plugins here: {})",
                            if plugins.is_empty() {
                                "none".to_string()
                            } else {
                                plugins.join(", ")
                            }
                        )
                    })
            })
            .collect();
    }
    let manifest = manifest
        .canonicalize()
        .unwrap_or_else(|_| manifest.to_path_buf());
    if let Some(p) = members
        .iter()
        .copied()
        .find(|p| p.manifest_path.as_std_path().canonicalize().ok().as_deref() == Some(&manifest))
    {
        return Ok(vec![p]);
    }
    let plugins: Vec<&Package> = members
        .iter()
        .copied()
        .filter(|p| plugin_toml(p).is_file())
        .collect();
    if plugins.is_empty() {
        bail!(
            "no plugin in the workspace at `{}`: a plugin crate has a `plugin.toml` beside its `Cargo.toml`; create one with `cargo ferrite-plugin new`",
            manifest.display()
        );
    }
    Ok(plugins)
}

/// The plugin names (from each `plugin.toml`) the options select, without building.
pub fn selected_plugins(
    metadata: &Metadata,
    manifest: &Path,
    names: &[String],
) -> Result<Vec<String>> {
    select(metadata, manifest, names)?
        .into_iter()
        .map(|p| Ok(check_plugin(p)?.manifest.plugin.name))
        .collect()
}

fn check_plugin(package: &Package) -> Result<Plugin<'_>> {
    let manifest_path = plugin_toml(package);
    if !manifest_path.is_file() {
        bail!(
            "package `{}` has no `plugin.toml` beside its `Cargo.toml`: every plugin declares its name, version, exports and permissions there (see `cargo ferrite-plugin new`)",
            package.name
        );
    }
    if !is_cdylib(package) {
        bail!(
            "package `{}` does not build a WebAssembly library: add `crate-type = [\"cdylib\"]` under `[lib]` in its `Cargo.toml`",
            package.name
        );
    }
    let manifest = Manifest::read(&manifest_path)?;
    Ok(Plugin {
        package,
        manifest,
        manifest_path,
    })
}

/// Fails with the fix when the wasm32 target's standard library is missing.
pub fn check_wasm_target(dir: &Path) -> Result<()> {
    wasm_target_installed(&sysroot(dir)?)
}

/// [`check_wasm_target`] in the compiler's `sysroot`.
fn wasm_target_installed(sysroot: &Path) -> Result<()> {
    if !sysroot
        .join("lib/rustlib")
        .join(WASM_TARGET)
        .join("lib")
        .is_dir()
    {
        bail!("the `{WASM_TARGET}` target is not installed: run `rustup target add {WASM_TARGET}`");
    }
    Ok(())
}

/// The sysroot of the compiler cargo uses in `dir`.
fn sysroot(dir: &Path) -> Result<PathBuf> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .current_dir(dir)
        .output()
        .with_context(|| {
            format!(
                "failed to run `{} --print sysroot`; is Rust installed?",
                rustc.to_string_lossy()
            )
        })?;
    if !out.status.success() {
        bail!(
            "`{} --print sysroot` failed: {}",
            rustc.to_string_lossy(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// Runs `cargo build` for `plugins` and returns each one's core module path:
/// into `target_dir` with the `cfgs` added to the compiler's flags, when given.
fn cargo_build(
    reporter: &mut dyn Reporter,
    opts: &BuildOptions,
    manifest: &Path,
    target_dir: Option<&Path>,
    cfgs: &[&str],
    remaps: &[String],
    plugins: &[&Plugin<'_>],
) -> Result<Vec<Utf8PathBuf>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.arg("build")
        .arg("--lib")
        .args(["--target", WASM_TARGET])
        .arg("--message-format=json-render-diagnostics")
        .args(["--color", reporter.cargo_color()])
        .arg("--manifest-path")
        .arg(manifest);
    for p in plugins {
        cmd.args(["-p", p.package.name.as_str()]);
    }
    if opts.release {
        cmd.arg("--release");
    }
    if opts.api()? == ApiVersion::V0_1 {
        // The SDK's imports then name the host API 0.1.0; what it lacks is absent.
        cmd.args(["--features", "ferrite-plugin/host-api-0-1"]);
    }
    match reporter.verbosity() {
        Verbosity::Quiet => {
            cmd.arg("--quiet");
        }
        Verbosity::Verbose => {
            cmd.arg("--verbose");
        }
        Verbosity::Normal => {}
    }
    if let Some(dir) = target_dir {
        cmd.arg("--target-dir").arg(dir);
    }
    // The user's flags, then the paths remapped (`repro`), then the cfgs.
    let mut flags: Vec<String> = match std::env::var("CARGO_ENCODED_RUSTFLAGS") {
        Ok(f) if !f.is_empty() => f.split('\x1f').map(str::to_string).collect(),
        _ => std::env::var("RUSTFLAGS")
            .map(|f| f.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default(),
    };
    flags.extend(remaps.iter().cloned());
    for cfg in cfgs {
        flags.extend(["--cfg".into(), (*cfg).to_string()]);
    }
    cmd.env("CARGO_ENCODED_RUSTFLAGS", flags.join("\x1f"))
        .env_remove("RUSTFLAGS");
    reporter.verbose("Running", &format!("{cmd:?}"));
    cmd.stdout(Stdio::piped()).stderr(reporter.cargo_stderr());
    let mut child = cmd
        .spawn()
        .with_context(|| format!("failed to run `{}`", cargo.to_string_lossy()))?;
    let stdout = child.stdout.take().expect("piped");
    let mut wasm = vec![None; plugins.len()];
    for message in Message::parse_stream(BufReader::new(stdout)) {
        if let Message::CompilerArtifact(a) = message? {
            let Some(i) = plugins.iter().position(|p| p.package.id == a.package_id) else {
                continue;
            };
            if a.target.kind.contains(&TargetKind::CDyLib) {
                wasm[i] = a
                    .filenames
                    .iter()
                    .find(|f| f.extension() == Some("wasm"))
                    .cloned();
            }
        }
    }
    if !child.wait()?.success() {
        return Err(CompileFailed.into());
    }
    plugins
        .iter()
        .zip(wasm)
        .map(|(p, w)| w.with_context(|| format!("cargo built no `.wasm` for `{}`", p.package.name)))
        .collect()
}

/// Builds the selected plugins, reporting to `reporter`.
///
/// A failed compile is [`CompileFailed`], whose errors cargo has printed.
pub fn build(reporter: &mut dyn Reporter, opts: &BuildOptions) -> Result<Vec<Built>> {
    let manifest = find_manifest(opts.manifest_path.as_deref())?;
    let metadata = metadata(&manifest)?;
    let packages = select(&metadata, &manifest, &opts.packages)?;
    let plugins: Vec<Plugin<'_>> = packages
        .into_iter()
        .map(check_plugin)
        .collect::<Result<_>>()?;
    let api = opts.api()?;
    for p in &plugins {
        if let (Some(target), Some(min)) = (
            &opts.ferrite_version,
            &p.manifest.plugin.min_ferrite_version,
        ) && min > target
        {
            bail!(
                "`{}` needs Ferrite {min} (`min_ferrite_version` in `{}`), so it cannot be built for Ferrite {target}",
                p.manifest.plugin.name,
                p.manifest_path.display()
            );
        }
        if p.manifest.plugin.version != p.package.version {
            reporter.warn(&format!(
                "`{}` has version {} in plugin.toml but {} in Cargo.toml; the component uses plugin.toml's",
                p.package.name, p.manifest.plugin.version, p.package.version
            ));
        }
    }
    let sysroot = sysroot(manifest.parent().unwrap_or(Path::new(".")))?;
    wasm_target_installed(&sysroot)?;
    let out_dir = metadata
        .target_directory
        .as_std_path()
        .join("ferrite-plugin");
    // A build for an older host API keeps its own directory: its SDK is
    // compiled with other features, and its components must not replace
    // the current ones.
    let out_dir = match &opts.ferrite_version {
        Some(_) if api != ApiVersion::LATEST => out_dir.join(format!("api-{api}")),
        _ => out_dir,
    };
    let test_dir = out_dir.join("test-build");
    let cache_dir = out_dir.join("cache");
    // Reproducible: the paths the compiler writes remapped, the toolchain
    // recorded (`repro`).
    let ws_dir = manifest.parent().unwrap_or(Path::new("."));
    let rustc = crate::repro::rustc_version(ws_dir)?;
    // `FERRITE_PLUGIN_NO_REMAP=1` builds as plain cargo would, paths and
    // all: only for measuring what reproducibility costs (BENCHMARKS.md).
    let remap = std::env::var_os("FERRITE_PLUGIN_NO_REMAP").is_none_or(|v| v != "1");
    // The whole dependency graph (a resolve: a quarter of a second in a
    // large workspace) only when a path dependency leaves the workspace:
    // its packages' directories are remapped too.
    // (Or reaches a crate that is not a member, whose own dependencies
    // `metadata` does not list.)
    let root = metadata.workspace_root.as_std_path();
    let members: Vec<&Path> = metadata
        .packages
        .iter()
        .filter_map(|p| p.manifest_path.parent().map(|d| d.as_std_path()))
        .collect();
    let leaves_workspace = metadata.packages.iter().any(|p| {
        p.dependencies
            .iter()
            .filter_map(|d| d.path.as_ref())
            .any(|d| !d.as_std_path().starts_with(root) || !members.contains(&d.as_std_path()))
    });
    let graph = if remap && leaves_workspace {
        MetadataCommand::new()
            .manifest_path(&manifest)
            .exec()
            .map(|m| m.packages)
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let remaps = if remap {
        crate::repro::remap_flags(&metadata, &graph, &rustc, &sysroot)?
    } else {
        Vec::new()
    };
    let cores = if opts.tests {
        // Test builds keep their own target directory, so that alternating
        // `build` and `test` never rebuilds the dependencies. The SDK keeps
        // `#[ferrite_plugin::test]` items only under this cfg.
        let all: Vec<&Plugin<'_>> = plugins.iter().collect();
        cargo_build(
            reporter,
            opts,
            &manifest,
            Some(&test_dir),
            &["ferrite_plugin_test"],
            &remaps,
            &all,
        )?
    } else {
        // Plugins for another host's world leave out the SDK's Ferrite
        // imports (`--cfg ferrite_plugin_world`), in a directory of their own.
        let (world, plain): (Vec<&Plugin<'_>>, Vec<&Plugin<'_>>) =
            plugins.iter().partition(|p| p.manifest.world.is_some());
        let mut by_id = std::collections::HashMap::new();
        if !plain.is_empty() {
            let cores = cargo_build(reporter, opts, &manifest, None, &[], &remaps, &plain)?;
            by_id.extend(plain.iter().map(|p| &p.package.id).zip(cores));
        }
        if !world.is_empty() {
            let dir = out_dir.join("world-build");
            let cores = cargo_build(
                reporter,
                opts,
                &manifest,
                Some(&dir),
                &["ferrite_plugin_world"],
                &remaps,
                &world,
            )?;
            by_id.extend(world.iter().map(|p| &p.package.id).zip(cores));
        }
        plugins
            .iter()
            .map(|p| by_id.remove(&p.package.id).expect("built above"))
            .collect()
    };
    // Release components at the top (what ships), debug and test builds apart.
    let out_dir = match (opts.tests, opts.release) {
        (true, _) => test_dir,
        (false, true) => out_dir,
        (false, false) => out_dir.join("debug"),
    };
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("failed to create `{}`", out_dir.display()))?;
    let mut built = Vec::new();
    for (plugin, core) in plugins.into_iter().zip(cores) {
        let name = &plugin.manifest.plugin.name;
        let core_bytes =
            std::fs::read(&core).with_context(|| format!("failed to read `{core}`"))?;
        let crate_dir = plugin
            .manifest_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let component = match &plugin.manifest.world {
            Some(_) => componentize::componentize_world(
                &core_bytes,
                &plugin.manifest,
                &crate_dir,
                opts.tests,
            ),
            None => {
                componentize::componentize(&core_bytes, &plugin.manifest, opts.tests, opts.api()?)
            }
        }
        .with_context(|| format!("failed to componentize `{name}`"))?;
        let mut component = component;
        let sdk_version = sdk_version(&graph, root);
        let toolchain = crate::repro::Toolchain(
            [
                ("rustc", rustc.get("version").cloned()),
                ("rustc-commit", rustc.get("commit-hash").cloned()),
                ("target", Some(WASM_TARGET.to_string())),
                ("sdk", sdk_version),
                (
                    "ferrite-plugin-build",
                    Some(env!("CARGO_PKG_VERSION").to_string()),
                ),
                (
                    "profile",
                    Some(if opts.release { "release" } else { "dev" }.to_string()),
                ),
            ]
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_string(), v?)))
            .collect(),
        );
        componentize::append_section(
            &mut component.bytes,
            crate::repro::TOOLCHAIN_SECTION,
            toolchain.to_text().into_bytes(),
        );
        let surface = Surface::of(&component.bytes)
            .and_then(|s| s.check(&plugin.manifest).map(|()| s))
            .with_context(|| {
                format!(
                    "`{name}` does not match `{}`",
                    plugin.manifest_path.display()
                )
            })?;
        let stated = plugin.manifest.plugin.min_ferrite_version.as_ref();
        if let Some(needed) = surface.required_ferrite(&plugin.manifest)
            && stated.is_some_and(|s| *s < needed)
            && !opts.tests
        {
            reporter.warn(&format!(
                "`{name}` imports host API {api}, which Ferrite {needed} serves first, but `{}` says `min_ferrite_version = \"{}\"`: raise it to \"{needed}\", or build for older servers with `--ferrite-version {}`",
                plugin.manifest_path.display(),
                stated.map(ToString::to_string).unwrap_or_default(),
                stated.map(ToString::to_string).unwrap_or_default(),
            ));
        }

        let stem = if opts.tests {
            format!("{name}.test")
        } else {
            name.clone()
        };
        let component_path = out_dir.join(format!("{stem}.wasm"));
        let wit_path = out_dir.join(format!("{stem}.wit"));
        fs_util::write_atomic(&component_path, &component.bytes)?;
        fs_util::write_atomic(&wit_path, component.wit.as_bytes())?;
        let sha256 = sha256_hex(&component.bytes);
        built.push(Built {
            cache_dir: cache_dir.clone(),
            dir: plugin
                .manifest_path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
            package: plugin.package.name.to_string(),
            manifest: plugin.manifest,
            manifest_path: plugin.manifest_path,
            component_path,
            wit_path,
            component,
            sha256,
        });
    }
    Ok(built)
}

/// The SHA-256 of `bytes` in lower-case hex, as [`Built::sha256`] has it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The SDK's version in a build: from the dependency graph when it was read,
/// else from the workspace's lock file (which the build has just written).
fn sdk_version(graph: &[cargo_metadata::Package], root: &Path) -> Option<String> {
    if let Some(p) = graph.iter().find(|p| p.name.as_str() == "ferrite-plugin") {
        return Some(p.version.to_string());
    }
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).ok()?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"ferrite-plugin\"" {
            let version = lines.next()?.trim().strip_prefix("version = \"")?;
            return Some(version.trim_end_matches('"').to_string());
        }
    }
    None
}
