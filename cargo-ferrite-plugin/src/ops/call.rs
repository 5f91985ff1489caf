//! `cargo ferrite-plugin call` and `inspect`: a plugin's component, from a
//! file or freshly built, and what to do with it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use ferrite_plugin_build::{
    BuildOptions, build, find_manifest, metadata, print_wit, selected_plugins, sha256_hex,
};
use ferrite_plugin_host::check::Surface;
use ferrite_plugin_host::manifest::Manifest;
use ferrite_plugin_host::{
    CallOptions, CallReport, Host, HostConfig, Keyspace, LoadOptions, MemoryKeyspace,
    embedded_manifest,
};

use crate::shell::Shell;

/// A component and where it came from.
pub struct Loaded {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// The file it was read from, or the one the build wrote.
    pub path: PathBuf,
    /// Its manifest (embedded, or the package's).
    pub manifest: Manifest,
    /// Where compiled code may be cached.
    pub cache_dir: Option<PathBuf>,
}

/// The user's cache for compiled components of loose files:
/// `$XDG_CACHE_HOME/ferrite-plugin/compiled`, or `~/.cache/...`.
pub fn user_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("ferrite-plugin").join("compiled"))
}

/// Reads the component at `file`, which must carry its manifest.
pub fn read_component(file: &Path) -> Result<Loaded> {
    let bytes =
        std::fs::read(file).with_context(|| format!("failed to read `{}`", file.display()))?;
    let manifest = embedded_manifest(&bytes)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("`{}` carries an invalid plugin.toml", file.display()))?
        .with_context(|| {
            format!(
                "`{}` carries no plugin.toml: is it a component built by `cargo ferrite-plugin build`?",
                file.display()
            )
        })?;
    Ok(Loaded {
        bytes,
        path: file.to_path_buf(),
        manifest,
        cache_dir: user_cache_dir(),
    })
}

/// The component of `file`, or of the one plugin the build options select, built first.
pub fn component(shell: &mut Shell, file: Option<&Path>, opts: &BuildOptions) -> Result<Loaded> {
    if let Some(file) = file {
        return read_component(file);
    }
    let mut built = build(shell, opts)?;
    if built.len() != 1 {
        let names: Vec<&str> = built.iter().map(|b| b.package.as_str()).collect();
        bail!(
            "this workspace has several plugins ({}); choose one with `-p NAME`",
            names.join(", ")
        );
    }
    let b = built.remove(0);
    Ok(Loaded {
        bytes: b.component.bytes,
        path: b.component_path,
        manifest: b.manifest,
        cache_dir: Some(b.cache_dir),
    })
}

/// The artifact `build` last wrote for the selected plugin, without building.
pub fn last_built(opts: &BuildOptions) -> Result<PathBuf> {
    let manifest = find_manifest(opts.manifest_path.as_deref())?;
    let metadata = metadata(&manifest)?;
    let names = selected_plugins(&metadata, &manifest, &opts.packages)?;
    if names.len() != 1 {
        bail!(
            "this workspace has several plugins ({}); choose one with `-p NAME`",
            names.join(", ")
        );
    }
    let dir = metadata
        .target_directory
        .as_std_path()
        .join("ferrite-plugin");
    let file = format!("{}.wasm", names[0]);
    // The release build (what ships), else the debug one.
    let found = [dir.join(&file), dir.join("debug").join(&file)]
        .into_iter()
        .find(|p| p.is_file());
    found.with_context(|| {
        format!(
            "`{}` has not been built (no `{}`): run `cargo ferrite-plugin build --release`, or name a component file",
            names[0],
            dir.join(&file).display()
        )
    })
}

/// How to call.
#[derive(Debug, Clone, Default)]
pub struct CallSpec {
    /// The function, in either spelling.
    pub function: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Pass `args` as raw byte strings instead of WAVE.
    pub bytes: bool,
    /// Operator configuration.
    pub config: Vec<(String, String)>,
    /// A JSON keyspace seed.
    pub kv: Option<PathBuf>,
}

/// Loads `loaded` into a fresh host and calls it.
pub fn call(loaded: &Loaded, spec: &CallSpec) -> Result<CallReport> {
    let host = Host::new(HostConfig {
        pool_size: 0,
        cache_dir: loaded.cache_dir.clone(),
        ..HostConfig::metering_fuel()
    })
    .context("failed to start the plugin host")?;
    let opts = LoadOptions {
        manifest: Some(loaded.manifest.clone()),
        config: spec.config.iter().cloned().collect(),
        warm: None,
    };
    host.load(&loaded.bytes, opts)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("`{}` does not load", loaded.path.display()))?;
    let keyspace: Arc<dyn Keyspace> = Arc::new(MemoryKeyspace::new());
    if let Some(seed) = &spec.kv {
        crate::ops::test::seed_keyspace(&*keyspace, seed)?;
    }
    let opts = CallOptions {
        keyspace: Some(keyspace),
        ..CallOptions::default()
    };
    let name = &loaded.manifest.plugin.name;
    Ok(if spec.bytes {
        let args: Vec<&[u8]> = spec.args.iter().map(|a| a.as_bytes()).collect();
        host.call_bytes(name, &spec.function, &args, &opts)
    } else {
        let args: Vec<&str> = spec.args.iter().map(String::as_str).collect();
        host.call_wave_with(name, &spec.function, &args, &opts)
    })
}

/// What `inspect` shows.
#[derive(Debug, serde::Serialize)]
pub struct Inspection {
    /// The file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, in hex.
    pub sha256: String,
    /// Its manifest.
    pub manifest: Manifest,
    /// The interfaces it imports.
    pub imports: Vec<String>,
    /// The oldest Ferrite that runs it: its `min_ferrite_version`, or the
    /// first to serve the host API it imports, whichever is newer.
    pub needs: Option<semver::Version>,
    /// Its functions with their WIT signatures.
    pub functions: Vec<(String, String)>,
    /// Its custom commands: name, arity.
    pub commands: Vec<(String, i64)>,
    /// Its hooks: function, event, commands (empty for all).
    pub hooks: Vec<(String, String, Vec<String>)>,
    /// Its WIT, printed from the component.
    pub wit: String,
}

/// Describes a component.
pub fn inspect(loaded: &Loaded) -> Result<Inspection> {
    let surface = Surface::of(&loaded.bytes)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("`{}` is not a plugin component", loaded.path.display()))?;
    surface
        .check(&loaded.manifest)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| {
            format!(
                "`{}` does not match its own plugin.toml",
                loaded.path.display()
            )
        })?;
    let world = &surface.resolve.worlds[surface.world];
    let functions = world
        .exports
        .iter()
        .filter_map(|(key, item)| match item {
            wit_parser::WorldItem::Function(f) => {
                let name = surface.resolve.name_world_key(key);
                if ferrite_plugin_host::entries::is_entry_export(&name) {
                    return None;
                }
                let params: Vec<String> = f
                    .params
                    .iter()
                    .map(|p| format!("{}: {}", p.name, wit_type(&surface.resolve, &p.ty)))
                    .collect();
                let result = f.result.as_ref().map_or(String::new(), |t| {
                    format!(" -> {}", wit_type(&surface.resolve, t))
                });
                Some((name, format!("func({}){result}", params.join(", "))))
            }
            _ => None,
        })
        .collect();
    // Downloaded components carry no doc comments of their own; the host
    // interfaces' docs are attached from the built-in WIT.
    let wit = print_wit(&loaded.bytes, &loaded.manifest, &[])?;
    Ok(Inspection {
        path: loaded.path.clone(),
        size: loaded.bytes.len() as u64,
        sha256: sha256_hex(&loaded.bytes),
        manifest: loaded.manifest.clone(),
        imports: surface.imports.clone(),
        needs: surface.required_ferrite(&loaded.manifest),
        functions,
        commands: surface
            .entries
            .commands
            .iter()
            .map(|c| (c.name.clone(), c.arity))
            .collect(),
        hooks: surface
            .entries
            .hooks
            .iter()
            .map(|h| {
                (
                    h.function.clone(),
                    h.event.as_str().into(),
                    h.commands.clone(),
                )
            })
            .collect(),
        wit,
    })
}

/// A type as WIT text.
fn wit_type(resolve: &wit_parser::Resolve, ty: &wit_parser::Type) -> String {
    let mut printer = wit_component::WitPrinter::default();
    match printer.print_type_name(resolve, ty) {
        Ok(()) => printer.output.to_string(),
        Err(_) => format!("{ty:?}"),
    }
}
