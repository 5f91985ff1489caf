//! Ferrite's own spellings of the plugin commands: `WASM.LOAD`,
//! `WASM.UNLOAD`, `WASM.CALL` / `WASM.CALL_RO`, `WASM.LIST`, `WASM.INFO`,
//! `WASM.STATS` and `WASM.HELP`. Each is the `FUNCTION`, `FCALL` or
//! `PLUGIN` command it names, through the same code.

use std::path::PathBuf;

use ferrite_plugin_host::manifest::Permissions;

use crate::commands::wrong_arity;
use crate::reply::Reply;
use crate::server::{Grant, LoadChecks, Origin, ServeError, Server};

/// A permission an operator grants with `WASM.LOAD ... PERMISSIONS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Permission {
    /// `keys` (Ferrite spells it `WRITE`): the key access the plugin's
    /// `[permissions] keys` asks for, through `ferrite:plugin/kv` and
    /// `ferrite:plugin/server`.
    Keys,
    /// `network`: reserved (no host interface gives network access yet).
    Network,
    /// `admin`: Ferrite's; no plugin here can ask for it, so granting it
    /// grants nothing.
    Admin,
}

impl Permission {
    /// Every permission, in the order errors list them.
    const ALL: [Permission; 3] = [Permission::Keys, Permission::Network, Permission::Admin];

    /// Its name, as `plugin.toml`'s `[permissions]` spells it.
    fn name(self) -> &'static str {
        match self {
            Permission::Keys => "keys",
            Permission::Network => "network",
            Permission::Admin => "admin",
        }
    }

    /// The permission called `word` (any case; `WRITE` is Ferrite's
    /// spelling of `keys`).
    fn parse(word: &[u8]) -> Option<Permission> {
        if word.eq_ignore_ascii_case(b"WRITE") {
            return Some(Permission::Keys);
        }
        Permission::ALL
            .into_iter()
            .find(|p| word.eq_ignore_ascii_case(p.name().as_bytes()))
    }

    /// Whether `asked` (a manifest's `[permissions]`) asks for it.
    fn asked(self, asked: &Permissions) -> bool {
        match self {
            Permission::Keys => !asked.keys.is_none(),
            Permission::Network => asked.network,
            Permission::Admin => false,
        }
    }
}

/// The known permissions' names, for errors: `keys (or write), network, admin`.
fn known() -> String {
    Permission::ALL
        .map(|p| match p {
            Permission::Keys => "keys (or write)",
            other => other.name(),
        })
        .join(", ")
}

/// Refuses plugin `name` if its manifest asks for a permission that is not
/// among `granted`, naming it and how to grant it.
pub(crate) fn check_permissions(
    name: &str,
    asked: &Permissions,
    granted: &[Permission],
) -> Result<(), String> {
    let missing: Vec<&str> = Permission::ALL
        .into_iter()
        .filter(|p| p.asked(asked) && !granted.contains(p))
        .map(Permission::name)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut all: Vec<&str> = granted.iter().map(|p| p.name()).collect();
    all.extend(&missing);
    Err(format!(
        "plugin '{name}' needs the permission{} {} that was not granted: grant it with WASM.LOAD {name} module PERMISSIONS {}",
        if missing.len() > 1 { "s" } else { "" },
        missing.join(", "),
        all.join(" ")
    ))
}

/// How a `WASM.CALL` request names the function's keys and args.
#[derive(Debug, PartialEq)]
pub(crate) enum Call<'a> {
    /// `function numkeys key... arg...`: exactly `FCALL`'s arguments.
    Numkeys,
    /// `function [KEYS key...] [ARGS arg...]`: the keys then the args.
    Words(Vec<&'a [u8]>),
}

/// Whether `word` is `FCALL`'s numkeys (a decimal number, maybe negative,
/// which `FCALL` then refuses with its own error).
fn is_number(word: &[u8]) -> bool {
    let digits = word.strip_prefix(b"-").unwrap_or(word);
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

/// Parses `WASM.CALL function [KEYS key ...] [ARGS arg ...]` (`args`
/// without the command's name; `command` is its name, for errors), or its
/// `FCALL` form `function numkeys key ... arg ...`.
pub(crate) fn parse_call<'a>(command: &str, args: &[&'a [u8]]) -> Result<Call<'a>, Reply> {
    let usage = || {
        format!(
            "{command} function [KEYS key ...] [ARGS arg ...], or {command} function numkeys key ... arg ..."
        )
    };
    let mut rest = match args {
        [] => return Err(wrong_arity(command)),
        [_, word, ..] if is_number(word) => return Ok(Call::Numkeys),
        [_, rest @ ..] => rest,
    };
    let mut params = Vec::with_capacity(rest.len());
    if let [word, tail @ ..] = rest
        && word.eq_ignore_ascii_case(b"KEYS")
    {
        let n = tail
            .iter()
            .take_while(|a| !a.eq_ignore_ascii_case(b"ARGS"))
            .count();
        if n == 0 {
            return Err(Reply::err(format!(
                "KEYS needs at least one key: {}",
                usage()
            )));
        }
        params.extend_from_slice(&tail[..n]);
        rest = &tail[n..];
    }
    match rest {
        [] => {}
        [word, tail @ ..] if word.eq_ignore_ascii_case(b"ARGS") => {
            if tail.is_empty() {
                return Err(Reply::err(format!(
                    "ARGS needs at least one argument: {}",
                    usage()
                )));
            }
            params.extend_from_slice(tail);
        }
        [word, ..] => {
            return Err(Reply::err(format!(
                "unknown option '{}' for '{}': {}",
                String::from_utf8_lossy(word),
                command.to_ascii_lowercase(),
                usage()
            )));
        }
    }
    Ok(Call::Words(params))
}

/// A parsed `WASM.LOAD name module [REPLACE] [PERMISSIONS perm ...]`.
#[derive(Debug, PartialEq)]
pub(crate) struct Load<'a> {
    /// The plugin's name, which its manifest must give.
    pub(crate) name: String,
    /// The component's bytes (they start with `\0asm`), or a path to read.
    pub(crate) module: &'a [u8],
    /// `REPLACE`.
    pub(crate) replace: bool,
    /// `PERMISSIONS ...`, if given.
    pub(crate) granted: Option<Vec<Permission>>,
}

/// The wasm binary's magic number, which every component starts with.
const MAGIC: &[u8] = b"\0asm";

/// Parses `WASM.LOAD`'s arguments (without the command's name).
pub(crate) fn parse_load<'a>(args: &[&'a [u8]]) -> Result<Load<'a>, Reply> {
    let [name, module, options @ ..] = args else {
        return Err(wrong_arity("WASM.LOAD"));
    };
    let mut load = Load {
        name: String::from_utf8_lossy(name).into_owned(),
        module,
        replace: false,
        granted: None,
    };
    let mut words = options.iter();
    while let Some(word) = words.next() {
        if word.eq_ignore_ascii_case(b"REPLACE") {
            load.replace = true;
        } else if word.eq_ignore_ascii_case(b"PERMISSIONS") {
            let mut granted = Vec::new();
            for perm in words.by_ref() {
                if perm.eq_ignore_ascii_case(b"REPLACE") {
                    load.replace = true;
                    continue;
                }
                if perm.eq_ignore_ascii_case(b"PERMISSIONS") {
                    return Err(Reply::err("PERMISSIONS is given twice in WASM.LOAD"));
                }
                match Permission::parse(perm) {
                    Some(p) if !granted.contains(&p) => granted.push(p),
                    Some(_) => {}
                    None => {
                        return Err(Reply::err(format!(
                            "unknown permission '{}' in WASM.LOAD: the known permissions are {}",
                            String::from_utf8_lossy(perm),
                            known()
                        )));
                    }
                }
            }
            if granted.is_empty() {
                return Err(Reply::err(format!(
                    "PERMISSIONS needs at least one permission: {} (leave PERMISSIONS out to grant none)",
                    known()
                )));
            }
            load.granted = Some(granted);
        } else {
            return Err(Reply::err(format!(
                "unknown option '{}' for 'wasm.load': WASM.LOAD name module [REPLACE] [PERMISSIONS perm ...]",
                String::from_utf8_lossy(word)
            )));
        }
    }
    Ok(load)
}

/// `WASM.LOAD`: loads from the bytes, or from the file the module names,
/// as `FUNCTION LOAD [REPLACE]` does; replies the plugin's name.
fn load(server: &Server, args: &[&[u8]]) -> Reply {
    let load = match parse_load(args) {
        Ok(l) => l,
        Err(e) => return e,
    };
    let file;
    let (bytes, origin) = if load.module.starts_with(MAGIC) {
        (load.module, Origin::Loaded)
    } else {
        let path = PathBuf::from(String::from_utf8_lossy(load.module).into_owned());
        file = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                return Reply::err(format!(
                    "cannot read `{}`: {e} (WASM.LOAD takes a component's bytes, which start with \\0asm, or the path of a .wasm file the server can read)",
                    path.display()
                ));
            }
        };
        let path = std::fs::canonicalize(&path).unwrap_or(path);
        (file.as_slice(), Origin::File(path))
    };
    let granted = load.granted.as_deref().unwrap_or_default();
    if let Some(manifest) = ferrite_plugin_host::embedded_manifest(bytes).ok().flatten()
        && manifest.plugin.name == load.name
        && let Err(e) = check_permissions(&load.name, &manifest.permissions, granted)
    {
        return Reply::err(e);
    }
    let grant = if granted.contains(&Permission::Keys) {
        Grant::asked_by(bytes)
    } else {
        Grant::none()
    };
    let checks = LoadChecks {
        name: Some(&load.name),
    };
    match server.load_with(bytes, origin, load.replace, grant, checks) {
        Ok(p) => Reply::text(p.name()),
        Err(ServeError::NotApproved { plugin, asked, .. }) => Reply::err(format!(
            "plugin '{plugin}' asks for {asked}, which needs the permission keys that was not granted: grant it with WASM.LOAD {plugin} module PERMISSIONS keys"
        )),
        Err(e) => Reply::err(e),
    }
}

/// `WASM.STATS [name]`: one plugin's statistics, or every loaded plugin's.
fn stats(server: &Server, args: &[&[u8]]) -> Reply {
    match args {
        [] => Reply::Array(
            server
                .host()
                .plugins()
                .iter()
                .filter_map(|p| server.stats(p.name()).map(|s| s.reply(p.name())))
                .collect(),
        ),
        [name] => {
            let name = String::from_utf8_lossy(name);
            match server.stats(&name) {
                Some(s) if server.host().plugin(&name).is_some() => s.reply(&name),
                _ => Reply::err(format!(
                    "no plugin named `{name}` is loaded (WASM.LIST shows what is)"
                )),
            }
        }
        _ => wrong_arity("WASM.STATS"),
    }
}

/// `WASM.HELP`'s lines.
const HELP: &[&str] = &[
    "WASM.<subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LOAD <name> <module> [REPLACE] [PERMISSIONS <perm> ...]",
    "    Load a plugin component: <module> is its bytes or the path of a .wasm file.",
    "    <name> must be the name in its manifest. REPLACE replaces a loaded plugin of that name.",
    "    PERMISSIONS grants permissions (keys or write, network, admin): each one the plugin asks for must be granted;",
    "    without PERMISSIONS none is: a plugin that asks for key access needs PERMISSIONS keys.",
    "UNLOAD <name>",
    "    Unload a plugin.",
    "CALL <function> [KEYS <key> ...] [ARGS <arg> ...]",
    "    Call a plugin function, as FCALL. Also: CALL <function> <numkeys> <key> ... <arg> ...",
    "CALL_RO <function> [KEYS <key> ...] [ARGS <arg> ...]",
    "    Call a plugin function read-only, as FCALL_RO.",
    "LIST",
    "    List the loaded plugins: name, version, functions, enabled.",
    "INFO <name>",
    "    Show a plugin's manifest, functions, permissions and limits.",
    "STATS [<name>]",
    "    Show calls, errors, total and average microseconds of each plugin's functions, commands and hooks.",
    "HELP",
    "    Print this help.",
];

/// `WASM.<sub>` (`sub` upper-case: `LOAD`, `UNLOAD`, `LIST`, `INFO`,
/// `STATS`, `HELP`), with `args` after the command's name. Arity is
/// checked by the command table.
pub(crate) fn wasm(server: &Server, sub: &str, args: &[&[u8]]) -> Reply {
    match sub {
        "LOAD" => load(server, args),
        "UNLOAD" => {
            let name = String::from_utf8_lossy(args[0]);
            if server.unload(&name) {
                Reply::Ok
            } else {
                Reply::err(format!(
                    "no plugin named `{name}` is loaded (WASM.LIST shows what is)"
                ))
            }
        }
        "LIST" => crate::plugins::plugin(server, &[b"LIST"]),
        "INFO" => crate::plugins::plugin(server, &[b"INFO", args[0]]),
        "STATS" => stats(server, args),
        "HELP" => crate::plugins::help(HELP),
        other => Reply::err(format!("unknown command 'WASM.{other}'. Try WASM.HELP.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrite_plugin_host::manifest::KeyScope;

    fn words(line: &str) -> Vec<&[u8]> {
        line.split(' ').map(str::as_bytes).collect()
    }

    fn error(reply: Reply) -> String {
        match reply {
            Reply::Error(e) => e,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn call_words_become_keys_then_args() {
        fn call(line: &str) -> Result<Call<'_>, Reply> {
            parse_call("WASM.CALL", &words(line))
        }
        let params = |line: &str| match call(line) {
            Ok(Call::Words(p)) => p
                .iter()
                .map(|w| String::from_utf8(w.to_vec()).unwrap())
                .collect::<Vec<_>>(),
            other => panic!("{line}: {other:?}"),
        };
        assert_eq!(params("f KEYS a b ARGS x y"), ["a", "b", "x", "y"]);
        assert_eq!(params("f keys a args x"), ["a", "x"]);
        assert_eq!(params("f KEYS a"), ["a"]);
        assert_eq!(params("f ARGS x KEYS y"), ["x", "KEYS", "y"]);
        assert_eq!(params("f ARGS ARGS"), ["ARGS"]);
        assert!(params("f").is_empty());
        assert_eq!(call("f 1 k a"), Ok(Call::Numkeys));
        assert_eq!(call("f 0"), Ok(Call::Numkeys));
        assert_eq!(call("f -1 k"), Ok(Call::Numkeys));
    }

    #[test]
    fn bad_call_arguments_are_errors() {
        let e = |line: &str| error(parse_call("WASM.CALL", &words(line)).unwrap_err());
        let keys = e("f KEYS");
        assert!(
            keys.starts_with("ERR KEYS needs at least one key"),
            "{keys}"
        );
        assert!(keys.contains("WASM.CALL function [KEYS key ...]"), "{keys}");
        let keys = e("f KEYS ARGS x");
        assert!(
            keys.starts_with("ERR KEYS needs at least one key"),
            "{keys}"
        );
        let args = e("f KEYS k ARGS");
        assert!(
            args.starts_with("ERR ARGS needs at least one argument"),
            "{args}"
        );
        assert!(e("f ARGS").starts_with("ERR ARGS needs"));
        let unknown = e("f BOGUS x");
        assert!(
            unknown.starts_with("ERR unknown option 'BOGUS' for 'wasm.call'"),
            "{unknown}"
        );
        assert!(e("f 1x").starts_with("ERR unknown option '1x'"));
        let e = error(parse_call("WASM.CALL", &[]).unwrap_err());
        assert_eq!(e, "ERR wrong number of arguments for 'wasm.call' command");
        let ro = error(parse_call("WASM.CALL_RO", &words("f NOPE")).unwrap_err());
        assert!(ro.contains("'wasm.call_ro'"), "{ro}");
    }

    #[test]
    fn load_options() {
        fn load(line: &str) -> Result<Load<'_>, Reply> {
            parse_load(&words(line))
        }
        let l = load("p m").unwrap();
        assert_eq!(
            (l.name.as_str(), l.module, l.replace),
            ("p", &b"m"[..], false)
        );
        assert_eq!(l.granted, None);
        let l = load("p m replace").unwrap();
        assert!(l.replace && l.granted.is_none());
        let l = load("p m REPLACE PERMISSIONS keys KEYS").unwrap();
        assert!(l.replace);
        assert_eq!(l.granted, Some(vec![Permission::Keys]));
        let l = load("p m permissions network keys replace").unwrap();
        assert!(l.replace);
        assert_eq!(l.granted, Some(vec![Permission::Network, Permission::Keys]));
    }

    #[test]
    fn bad_load_arguments_are_errors() {
        let e = |line: &str| error(parse_load(&words(line)).unwrap_err());
        assert_eq!(
            error(parse_load(&words("p")).unwrap_err()),
            "ERR wrong number of arguments for 'wasm.load' command"
        );
        let unknown = e("p m FORCE");
        assert!(
            unknown.starts_with("ERR unknown option 'FORCE' for 'wasm.load'"),
            "{unknown}"
        );
        let perm = e("p m PERMISSIONS keys disk");
        assert!(
            perm.contains("unknown permission 'disk'")
                && perm.contains("keys (or write), network, admin"),
            "{perm}"
        );
        let none = e("p m PERMISSIONS");
        assert!(
            none.starts_with("ERR PERMISSIONS needs at least one"),
            "{none}"
        );
        assert!(e("p m PERMISSIONS REPLACE").starts_with("ERR PERMISSIONS needs"));
        assert!(e("p m PERMISSIONS keys PERMISSIONS keys").contains("twice"));
    }

    #[test]
    fn permissions_asked_must_be_granted() {
        let keys = Permissions {
            keys: KeyScope::all(),
            network: false,
        };
        assert_eq!(check_permissions("p", &keys, &[Permission::Keys]), Ok(()));
        assert_eq!(
            check_permissions("p", &Permissions::default(), &[Permission::Network]),
            Ok(())
        );
        let e = check_permissions("p", &keys, &[Permission::Network]).unwrap_err();
        assert!(
            e.contains("needs the permission keys")
                && e.contains("WASM.LOAD p module PERMISSIONS network keys"),
            "{e}"
        );
        let both = Permissions {
            keys: KeyScope::read_write(["a:*"]),
            network: true,
        };
        let e = check_permissions("p", &both, &[]).unwrap_err();
        assert!(e.contains("permissions keys, network"), "{e}");
    }

    #[test]
    fn help_is_one_line_per_entry() {
        let Reply::Array(lines) = crate::plugins::help(HELP) else {
            panic!("an array");
        };
        let text = format!("{lines:?}");
        for sub in ["LOAD", "UNLOAD", "CALL", "CALL_RO", "LIST", "INFO", "STATS"] {
            assert!(
                text.contains(&format!("\"{sub} ")) || text.contains(&format!("\"{sub}\"")),
                "{sub}"
            );
        }
    }
}
