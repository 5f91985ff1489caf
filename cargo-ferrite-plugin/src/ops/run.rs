//! `cargo ferrite-plugin run`: build the plugins, load them into a
//! `ferrite-plugin-server`, serve RESP, and with `--watch` rebuild and
//! hot-reload them when their sources change.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use ferrite_plugin_build::{BuildOptions, build, find_manifest};
use ferrite_plugin_host::HostConfig;
use ferrite_plugin_registry::Source;
use ferrite_plugin_server::{Grant, Origin, ServeError, Server, ServerConfig};

use crate::ops::call::{read_component, user_cache_dir};
use crate::shell::Shell;

/// What `run` serves, and how.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Where to listen.
    pub addr: SocketAddr,
    /// Plugin crate directories and component files.
    pub plugins: Vec<PathBuf>,
    /// Approve the key access the component files ask for.
    pub allow_keys: bool,
    /// The registry for `PLUGIN INSTALL`.
    pub registry: Option<String>,
    /// The only keys `PLUGIN INSTALL` trusts.
    pub trusted_keys: Option<PathBuf>,
    /// Rebuild and reload crates when their sources change.
    pub watch: bool,
    /// Reuse warm instances across calls.
    pub warm: bool,
    /// Worker threads (default: one per core).
    pub threads: Option<usize>,
    /// The bulk-length cap.
    pub max_bulk: usize,
    /// Build crates with the release profile.
    pub release: bool,
    /// The crate to serve when no `--plugin` is given.
    pub manifest_path: Option<PathBuf>,
    /// Its package, in a workspace.
    pub package: Option<String>,
}

/// A plugin crate the server was started with.
#[derive(Debug, Clone)]
struct Crate {
    opts: BuildOptions,
    dir: PathBuf,
}

/// How many warm instances each plugin keeps: enough for every worker
/// thread to have one while another is being put back.
fn warm_instances() -> usize {
    std::thread::available_parallelism().map_or(4, |n| n.get() * 2)
}

/// Worker threads by default: half the cores, as the clients of a local
/// server (redis-cli, tests, redis-benchmark) run on the same machine.
fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

/// Builds and loads, then serves until interrupted.
pub fn run(shell: &mut Shell, opts: RunOptions) -> Result<()> {
    let mut files = Vec::new();
    let mut crates = Vec::new();
    if opts.plugins.is_empty() {
        match find_manifest(opts.manifest_path.as_deref()) {
            Ok(manifest) => crates.push(Crate {
                dir: manifest.parent().unwrap_or(Path::new(".")).to_path_buf(),
                opts: BuildOptions {
                    release: opts.release,
                    manifest_path: Some(manifest),
                    packages: opts.package.iter().cloned().collect(),
                    tests: false,
                    ferrite_version: None,
                },
            }),
            Err(e) if opts.manifest_path.is_some() => return Err(e),
            Err(_) => shell.note(
                "no plugin crate here: load plugins with `--plugin PATH`, `FUNCTION LOAD` or `PLUGIN INSTALL`",
            ),
        }
    }
    for p in &opts.plugins {
        if p.is_dir() {
            let manifest = p.join("Cargo.toml");
            if !manifest.is_file() {
                anyhow::bail!(
                    "`{}` is a directory without a Cargo.toml: pass a plugin crate or a built `.wasm`",
                    p.display()
                );
            }
            crates.push(Crate {
                dir: p.clone(),
                opts: BuildOptions {
                    release: opts.release,
                    manifest_path: Some(manifest),
                    packages: Vec::new(),
                    tests: false,
                    ferrite_version: None,
                },
            });
        } else {
            files.push(p.clone());
        }
    }

    let server = Server::new(
        HostConfig {
            cache_dir: user_cache_dir(),
            ..HostConfig::default()
        },
        ServerConfig {
            max_bulk: opts.max_bulk,
            registry: opts.registry.as_deref().map(Source::parse),
            trusted_keys: opts
                .trusted_keys
                .as_deref()
                .map(crate::ops::registry::read_trusted_keys)
                .transpose()?,
            warm: opts.warm.then(warm_instances),
            ..ServerConfig::default()
        },
    )
    .context("failed to start the plugin host")?;

    for file in &files {
        let loaded = read_component(file)?;
        let grant = if opts.allow_keys {
            Grant::asked_by(&loaded.bytes)
        } else {
            Grant::none()
        };
        let plugin = match server.load(&loaded.bytes, Origin::File(file.clone()), false, grant) {
            Ok(p) => p,
            Err(e @ ServeError::NotApproved { .. }) => anyhow::bail!(
                "cannot load `{}`: {e}: approve it with `--allow-keys` (or run its crate, whose plugin.toml you wrote)",
                file.display()
            ),
            Err(e) => {
                return Err(anyhow::Error::new(e))
                    .with_context(|| format!("cannot load `{}`", file.display()));
            }
        };
        loaded_status(shell, &plugin);
        granted_status(shell, &plugin, "approved with --allow-keys");
    }
    for c in &crates {
        for b in build(shell, &c.opts)? {
            let plugin = server
                .load(
                    &b.component.bytes,
                    Origin::File(b.component_path.clone()),
                    false,
                    Grant::Declared,
                )
                .with_context(|| format!("cannot load `{}`", b.component_path.display()))?;
            loaded_status(shell, &plugin);
            granted_status(shell, &plugin, "declared in its plugin.toml");
        }
    }
    if opts.warm && !server.host().plugins().is_empty() {
        shell.note(
            "plugins run warm: an instance is reused across calls, so a plugin's globals persist between them (`--fresh` gives every call a new instance)",
        );
    }

    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.worker_threads(opts.threads.unwrap_or_else(default_threads).max(1));
    let runtime = runtime
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(opts.addr)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {}: is another server using that port? pass `--port N`",
                    opts.addr
                )
            })?;
        let addr = listener.local_addr()?;
        shell.status(
            "Listening",
            format!(
                "on {addr} (RESP2 and RESP3): try `redis-cli -p {} FUNCTION LIST`",
                addr.port()
            ),
        );
        if opts.watch && !crates.is_empty() {
            let (server, shell) = (server.clone(), shell.fork());
            std::thread::Builder::new()
                .name("ferrite-plugin-watch".into())
                .spawn(move || watch(server, crates, shell))
                .context("failed to start the watcher")?;
        }
        tokio::select! {
            served = server.serve(listener) => served.context("the server stopped")?,
            _ = tokio::signal::ctrl_c() => shell.status("Stopped", "the server"),
        }
        Ok(())
    })
}

fn loaded_status(shell: &mut Shell, plugin: &ferrite_plugin_host::Plugin) {
    let functions: Vec<&str> = plugin
        .functions()
        .iter()
        .filter(|f| f.is_function())
        .map(|f| f.name.as_str())
        .collect();
    shell.status(
        "Loaded",
        format!(
            "{} v{} ({})",
            plugin.name(),
            plugin.manifest().plugin.version,
            functions.join(", ")
        ),
    );
}

/// Says what key access a loaded plugin was granted, and on what grounds.
fn granted_status(shell: &mut Shell, plugin: &ferrite_plugin_host::Plugin, why: &str) {
    let keys = &plugin.manifest().permissions.keys;
    if !keys.is_none() {
        shell.status("Granted", format!("{} {keys} ({why})", plugin.name()));
    }
}

/// The newest modification time and the number of files under `dir`,
/// skipping `target` and hidden entries: it changes when a source does.
fn fingerprint(dir: &Path) -> (Option<SystemTime>, usize) {
    let mut newest = None;
    let mut count = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || name == "target" {
                continue;
            }
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                count += 1;
                let modified = meta.modified().ok();
                if modified > newest {
                    newest = modified;
                }
            }
        }
    }
    (newest, count)
}

/// Polls the crates' sources; on a change, rebuilds and swaps the new
/// version in atomically (calls in flight finish on the old one). A failed
/// build keeps the old version serving.
fn watch(server: Server, crates: Vec<Crate>, mut shell: Shell) {
    let mut seen: Vec<_> = crates.iter().map(|c| fingerprint(&c.dir)).collect();
    loop {
        std::thread::sleep(Duration::from_millis(300));
        for (c, last) in crates.iter().zip(seen.iter_mut()) {
            let now = fingerprint(&c.dir);
            if now == *last {
                continue;
            }
            // Let an editor finish writing before building.
            std::thread::sleep(Duration::from_millis(100));
            *last = fingerprint(&c.dir);
            match build(&mut shell, &c.opts) {
                Ok(built) => {
                    for b in built {
                        match server.load(
                            &b.component.bytes,
                            Origin::File(b.component_path.clone()),
                            true,
                            Grant::Declared,
                        ) {
                            Ok(p) => shell.status(
                                "Reloaded",
                                format!("{} v{}", p.name(), p.manifest().plugin.version),
                            ),
                            Err(e) => {
                                shell.error(&anyhow::anyhow!("kept the running version: {e}"))
                            }
                        }
                    }
                }
                Err(e) => shell.error(&e.context("kept the running version")),
            }
        }
    }
}
