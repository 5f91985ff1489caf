//! `FUNCTION ...` (Ferrite's spelling of Redis's function commands, with
//! WebAssembly components as the libraries) and ADR-013's `PLUGIN ...`
//! operator commands.

use std::path::PathBuf;
use std::sync::Arc;

use ferrite_plugin_host::Plugin;
use ferrite_plugin_registry::install::Installer;
use ferrite_plugin_registry::resolve::Request;

use crate::reply::Reply;
use crate::server::{Grant, Origin, ServeError, Server};

fn upper(arg: &[u8]) -> String {
    String::from_utf8_lossy(arg).to_ascii_uppercase()
}

fn text(arg: &[u8]) -> String {
    String::from_utf8_lossy(arg).into_owned()
}

fn arity(command: &str) -> Reply {
    Reply::err(format!(
        "unknown subcommand or wrong number of arguments for '{command}'"
    ))
}

/// `FUNCTION LOAD [REPLACE] [ALLOW-KEYS] <component>`, `LIST`, `DELETE
/// name`, `FLUSH`, `KILL`, `STATS`.
pub fn function(server: &Server, args: &[&[u8]]) -> Reply {
    let Some(sub) = args.first() else {
        return arity("FUNCTION");
    };
    let sub = upper(sub);
    let rest = &args[1..];
    match sub.as_str() {
        "LOAD" => {
            let Some((body, flags)) = rest.split_last() else {
                return arity("FUNCTION|LOAD");
            };
            let (mut replace, mut allow_keys) = (false, false);
            for flag in flags {
                match upper(flag).as_str() {
                    "REPLACE" if !replace => replace = true,
                    "ALLOW-KEYS" | "--ALLOW-KEYS" if !allow_keys => allow_keys = true,
                    _ => {
                        return Reply::err(format!(
                            "unknown option '{}' for 'function load': FUNCTION LOAD [REPLACE] [ALLOW-KEYS] <component>",
                            text(flag)
                        ));
                    }
                }
            }
            let grant = if allow_keys {
                Grant::asked_by(body)
            } else {
                Grant::none()
            };
            match server.load(body, Origin::Loaded, replace, grant) {
                Ok(p) => Reply::text(p.name()),
                Err(e @ ServeError::NotApproved { .. }) => Reply::err(format!(
                    "{e}: approve it with FUNCTION LOAD {}ALLOW-KEYS <component>",
                    if replace { "REPLACE " } else { "" }
                )),
                Err(e) => Reply::err(e),
            }
        }
        "LIST" => Reply::Array(
            server
                .host()
                .plugins()
                .iter()
                .map(|p| {
                    Reply::Map(vec![
                        (Reply::text("library_name"), Reply::text(p.name())),
                        (Reply::text("engine"), Reply::text("wasm")),
                        (Reply::text("functions"), functions(p, false)),
                    ])
                })
                .collect(),
        ),
        "DELETE" => match rest {
            [name] => {
                if server.unload(&text(name)) {
                    Reply::Ok
                } else {
                    Reply::err("Library not found")
                }
            }
            _ => arity("FUNCTION|DELETE"),
        },
        "FLUSH" => {
            for p in server.host().plugins() {
                server.unload(p.name());
            }
            Reply::Ok
        }
        // Redis kills the running function; here every plugin call that has
        // run for a slice (a couple of milliseconds): functions, commands and
        // hooks. Each fails with an error saying it was killed.
        "KILL" if rest.is_empty() => match server.host().kill(|_| true) {
            0 => Reply::Error("NOTBUSY No scripts in execution right now.".into()),
            _ => Reply::Ok,
        },
        "STATS" if rest.is_empty() => {
            let running = server.host().running_calls();
            let running_script = match running.first() {
                None => Reply::Null,
                Some(c) => Reply::Map(vec![
                    (Reply::text("name"), Reply::text(c.function.clone())),
                    (Reply::text("plugin"), Reply::text(c.plugin.clone())),
                    (
                        Reply::text("duration_ms"),
                        Reply::Integer(i64::try_from(c.elapsed.as_millis()).unwrap_or(i64::MAX)),
                    ),
                ]),
            };
            let plugins = server.host().plugins();
            let functions: usize = plugins
                .iter()
                .map(|p| p.functions().iter().filter(|f| f.is_function()).count())
                .sum();
            Reply::Map(vec![
                (Reply::text("running_script"), running_script),
                (
                    Reply::text("running_calls"),
                    Reply::Integer(i64::try_from(running.len()).unwrap_or(i64::MAX)),
                ),
                (
                    Reply::text("engines"),
                    Reply::Map(vec![(
                        Reply::text("WASM"),
                        Reply::Map(vec![
                            (
                                Reply::text("libraries_count"),
                                Reply::Integer(i64::try_from(plugins.len()).unwrap_or(i64::MAX)),
                            ),
                            (
                                Reply::text("functions_count"),
                                Reply::Integer(i64::try_from(functions).unwrap_or(i64::MAX)),
                            ),
                        ]),
                    )]),
                ),
            ])
        }
        other => arity(&format!("FUNCTION|{other}")),
    }
}

/// Each function of `p`: name, and with `detail` its signature.
fn functions(p: &Plugin, detail: bool) -> Reply {
    Reply::Array(
        p.functions()
            .iter()
            .filter(|f| f.is_function())
            .map(|f| {
                let signature = format!(
                    "{}({}){}",
                    f.name,
                    f.param_list().join(", "),
                    f.result
                        .as_ref()
                        .map_or(String::new(), |(_, t)| format!(" -> {t}"))
                );
                let mut entry = vec![(Reply::text("name"), Reply::text(f.name.clone()))];
                if detail {
                    entry.push((Reply::text("signature"), Reply::text(signature)));
                } else {
                    entry.push((Reply::text("description"), Reply::text(signature)));
                    entry.push((Reply::text("flags"), Reply::Array(Vec::new())));
                }
                Reply::Map(entry)
            })
            .collect(),
    )
}

/// `PLUGIN LIST | INFO name | INSTALL name[@req] | REMOVE name | RELOAD name
/// | ENABLE name | DISABLE name | SEARCH [query] | HELP` (also spelled
/// `PLUGIN.LIST`, ...).
pub fn plugin(server: &Server, args: &[&[u8]]) -> Reply {
    let Some(sub) = args.first() else {
        return arity("PLUGIN");
    };
    let sub = upper(sub);
    match (sub.as_str(), &args[1..]) {
        ("LIST", []) => Reply::Array(
            server
                .host()
                .plugins()
                .iter()
                .map(|p| {
                    Reply::Map(vec![
                        (Reply::text("name"), Reply::text(p.name())),
                        (
                            Reply::text("version"),
                            Reply::text(p.manifest().plugin.version.to_string()),
                        ),
                        (Reply::text("functions"), names(p)),
                        (
                            Reply::text("enabled"),
                            Reply::Integer(server.is_enabled(p.name()).into()),
                        ),
                    ])
                })
                .collect(),
        ),
        ("INFO", [name]) => match server.host().plugin(&text(name)) {
            Some(p) => info(server, &p),
            None => Reply::err(format!("no plugin named `{}` is loaded", text(name))),
        },
        ("INSTALL", [request, flags @ ..]) => {
            let mut allow_keys = false;
            for flag in flags {
                match upper(flag).as_str() {
                    // ADR-013 writes `PLUGIN.INSTALL ... --allow-keys`.
                    "ALLOW-KEYS" | "--ALLOW-KEYS" => allow_keys = true,
                    _ => {
                        return Reply::err(format!(
                            "unknown option '{}' for 'plugin install': PLUGIN INSTALL <name>[@<version requirement>] [ALLOW-KEYS]",
                            text(flag)
                        ));
                    }
                }
            }
            install(server, &text(request), allow_keys)
        }
        ("SEARCH", [] | [_]) => search(
            server,
            &args[1..].first().map_or(String::new(), |q| text(q)),
        ),
        ("HELP", []) => help(HELP),
        ("ENABLE" | "DISABLE", [name]) => {
            let name = text(name);
            if server.set_enabled(&name, sub == "ENABLE") {
                Reply::Ok
            } else {
                Reply::err(format!("no plugin named `{name}` is loaded"))
            }
        }
        ("REMOVE", [name]) => {
            let name = text(name);
            let origin = server.origin(&name);
            if !server.unload(&name) {
                return Reply::err(format!("no plugin named `{name}` is loaded"));
            }
            if let (Some(Origin::Installed(_)), Some(dir)) = (origin, install_dir(server)) {
                let _ = ferrite_plugin_registry::install::remove(&dir, &name);
            }
            Reply::Ok
        }
        ("RELOAD", [name]) => match server.reload(&text(name)) {
            Ok(p) => Reply::Simple(format!(
                "reloaded {} {}",
                p.name(),
                p.manifest().plugin.version
            )),
            Err(e @ ServeError::NotApproved { .. }) => Reply::err(format!(
                "{e}: the file now asks for more than was approved when it was loaded; load it again with the approval (PLUGIN INSTALL ... ALLOW-KEYS, WASM.LOAD ... PERMISSIONS keys)"
            )),
            Err(e) => Reply::err(e),
        },
        (other, _) => arity(&format!("PLUGIN|{other}")),
    }
}

/// A Redis-style `HELP` reply: one simple string per line.
pub(crate) fn help(lines: &[&str]) -> Reply {
    Reply::Array(lines.iter().map(|l| Reply::Simple((*l).into())).collect())
}

/// `PLUGIN HELP`'s lines.
const HELP: &[&str] = &[
    "PLUGIN <subcommand> [<arg> [value] [opt] ...]. Subcommands are (also spelled PLUGIN.<subcommand>):",
    "LIST",
    "    List the loaded plugins: name, version, functions, enabled.",
    "INFO <name>",
    "    Show a plugin's manifest, functions, permissions, limits and origin.",
    "INSTALL <name>[@<version requirement>] [ALLOW-KEYS]",
    "    Install a plugin from the registry (--registry), verified as cargo ferrite-plugin install does, and load it.",
    "    ALLOW-KEYS (or --allow-keys) approves the key access it asks for: needed for any, or for more than the installed version had.",
    "SEARCH [<query>]",
    "    List the registry's plugins whose name or description contains <query>: name, latest version, description.",
    "REMOVE <name>",
    "    Unload a plugin (and delete the file PLUGIN INSTALL wrote).",
    "RELOAD <name>",
    "    Load a plugin again from the file it came from, with the key access approved when it was loaded.",
    "ENABLE <name>",
    "    Dispatch a disabled plugin's functions, commands and hooks again.",
    "DISABLE <name>",
    "    Keep a plugin loaded but stop dispatching its functions, commands and hooks.",
    "HELP",
    "    Print this help.",
];

/// The error when a registry is needed and none is configured.
const NO_REGISTRY: &str = "no registry is configured: start the server with `--registry R`";

/// `PLUGIN SEARCH [query]`: the registry's plugins whose name or
/// description contains `query` (any case), each with its latest version
/// that is not yanked, as `cargo ferrite-plugin search` lists them.
fn search(server: &Server, query: &str) -> Reply {
    let Some(source) = &server.config().registry else {
        return Reply::err(NO_REGISTRY);
    };
    let index = match source.index() {
        Ok(i) => i,
        Err(e) => return Reply::err(e),
    };
    let query = query.to_lowercase();
    Reply::Array(
        index
            .plugins
            .iter()
            .filter_map(|(name, plugin)| {
                let description = plugin.description.clone().unwrap_or_default();
                if !name.to_lowercase().contains(&query)
                    && !description.to_lowercase().contains(&query)
                {
                    return None;
                }
                let (version, _) = plugin.versions.iter().rev().find(|(_, e)| !e.yanked)?;
                Some(Reply::Map(vec![
                    (Reply::text("name"), Reply::text(name.clone())),
                    (Reply::text("version"), Reply::text(version.to_string())),
                    (
                        Reply::text("description"),
                        plugin.description.clone().map_or(Reply::Null, Reply::text),
                    ),
                ]))
            })
            .collect(),
    )
}

fn names(p: &Plugin) -> Reply {
    Reply::Array(
        p.functions()
            .iter()
            .filter(|f| f.is_function())
            .map(|f| Reply::text(f.name.clone()))
            .collect(),
    )
}

fn info(server: &Server, p: &Arc<Plugin>) -> Reply {
    let m = p.manifest();
    let limits = p.limits();
    let origin = match server.origin(p.name()) {
        Some(Origin::File(path)) => format!("file {}", path.display()),
        Some(Origin::Installed(path)) => format!("installed {}", path.display()),
        Some(Origin::Loaded) | None => "FUNCTION LOAD".into(),
    };
    let opt = |v: Option<String>| v.map_or(Reply::Null, Reply::text);
    Reply::Map(vec![
        (Reply::text("name"), Reply::text(p.name())),
        (
            Reply::text("version"),
            Reply::text(m.plugin.version.to_string()),
        ),
        (
            Reply::text("description"),
            opt(m.plugin.description.clone()),
        ),
        (Reply::text("sha256"), Reply::text(p.sha256())),
        (Reply::text("origin"), Reply::text(origin)),
        (Reply::text("functions"), functions(p, true)),
        (
            Reply::text("permissions"),
            Reply::Map(vec![
                (
                    Reply::text("keys"),
                    Reply::text(m.permissions.keys.to_string()),
                ),
                (
                    Reply::text("network"),
                    Reply::Integer(m.permissions.network.into()),
                ),
            ]),
        ),
        (
            Reply::text("limits"),
            Reply::Map(vec![
                (
                    Reply::text("fuel"),
                    limits
                        .fuel
                        .map_or(Reply::Null, |f| Reply::Integer(f as i64)),
                ),
                (
                    Reply::text("memory_bytes"),
                    Reply::Integer(limits.memory as i64),
                ),
                (
                    Reply::text("timeout_ms"),
                    limits
                        .timeout
                        .map_or(Reply::Null, |t| Reply::Integer(t.as_millis() as i64)),
                ),
            ]),
        ),
        (Reply::text("warm"), Reply::Integer(p.is_warm().into())),
        (
            Reply::text("enabled"),
            Reply::Integer(server.is_enabled(p.name()).into()),
        ),
    ])
}

fn install_dir(server: &Server) -> Option<PathBuf> {
    server.config().install_dir.clone().or_else(|| {
        Some(std::env::temp_dir().join(format!("ferrite-plugin-run-{}", std::process::id())))
    })
}

/// `PLUGIN INSTALL name[@req] [ALLOW-KEYS]`: resolve, download and verify
/// from the registry exactly as `cargo ferrite-plugin install` does (the
/// approval of key access included), then load with the key access
/// approved.
fn install(server: &Server, request: &str, allow_keys: bool) -> Reply {
    let Some(source) = &server.config().registry else {
        return Reply::err(NO_REGISTRY);
    };
    let request = match Request::parse(request) {
        Ok(r) => r,
        Err(e) => return Reply::err(e),
    };
    let dir = install_dir(server).expect("always a directory");
    let mut installer = Installer::new(source)
        .ferrite_version(server.host().config().ferrite_version.clone())
        .allow_keys(allow_keys)
        .approval_hint(format!("PLUGIN INSTALL {} ALLOW-KEYS", request.name));
    if let Some(keys) = &server.config().trusted_keys {
        installer = installer.trusted_keys(keys.clone());
    }
    let installed = match installer.install(&request, &dir) {
        Ok(i) => i,
        Err(e) => return Reply::err(e),
    };
    let bytes = match std::fs::read(&installed.path) {
        Ok(b) => b,
        Err(e) => {
            return Reply::err(format!("cannot read `{}`: {e}", installed.path.display()));
        }
    };
    let grant = Grant::Keys(installed.entry.keys.clone().unwrap_or_default());
    match server.load(
        &bytes,
        Origin::Installed(installed.path.clone()),
        true,
        grant,
    ) {
        Ok(p) => Reply::Simple(format!(
            "installed {} {}",
            p.name(),
            p.manifest().plugin.version
        )),
        Err(e) => Reply::err(e),
    }
}
