//! `plugin.toml`: what a plugin declares about itself, checked before anything trusts it.
//!
//! ```
//! use ferrite_plugin_host::manifest::Manifest;
//!
//! let m = Manifest::parse("plugin.toml", r#"
//!     [plugin]
//!     name = "validate_email"
//!     version = "1.0.0"
//!
//!     [exports]
//!     functions = ["validate_email"]
//! "#).unwrap();
//! assert_eq!(m.plugin.name, "validate_email");
//! assert!(m.permissions.keys.is_none());
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};
use toml::Spanned;

pub use crate::scope::KeyScope;

/// A checked `plugin.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    /// `[plugin]`: identity and description.
    pub plugin: PluginInfo,
    /// `[exports]`: what the component must export.
    pub exports: Exports,
    /// `[permissions]`: which host interfaces it may import.
    pub permissions: Permissions,
    /// `[limits]`: the plugin's own caps, which a host may lower.
    pub limits: Limits,
    /// `[world]`: another host's world the component implements instead of
    /// a Ferrite plugin's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub world: Option<TargetWorld>,
}

/// `[world]`: the world of another host (Artifact Keeper, Forgepoint, ...)
/// that the plugin implements, from WIT files in the crate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetWorld {
    /// The `.wit` file or folder, relative to the crate (`wit`).
    pub wit: String,
    /// The world, fully qualified: `artifact-keeper:format/format-plugin@1.0.0`.
    pub name: String,
}

/// `[plugin]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginInfo {
    /// Matches `[a-z][a-z0-9_]{0,63}`.
    pub name: String,
    /// The plugin's version.
    pub version: semver::Version,
    /// One line saying what it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Who maintains it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// An SPDX license expression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// The oldest Ferrite server that can run it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_ferrite_version: Option<semver::Version>,
}

/// `[exports]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Exports {
    /// Function names in snake_case, as users call them (`FCALL validate_email`).
    pub functions: Vec<String>,
    /// Custom command names, upper-case (`GK.SUM`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
    /// Hooks, by their Rust function's name (`guard`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<String>,
}

/// `[permissions]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permissions {
    /// The keys it may read and write through `ferrite:plugin/kv` and
    /// `server` (which it may import only when this grants any): `false`,
    /// `true`, a list of key patterns, or `{ read = [...], write = [...] }`
    /// ([`KeyScope`]).
    #[serde(default)]
    pub keys: KeyScope,
    /// Reserved: no host interface gives network access yet.
    #[serde(default)]
    pub network: bool,
}

/// `[limits]`, each optional: unset means "the host's cap".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Fuel (roughly, wasm instructions) per call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// Linear memory, in MiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<u64>,
    /// Wall-clock time per call, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

/// A `plugin.toml` that cannot be used: where, what, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    /// The file, as given to [`Manifest::parse`].
    pub file: String,
    /// 1-based line, when the mistake has one.
    pub line: Option<usize>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "`{}` line {line}: {}", self.file, self.message),
            None => write!(f, "`{}`: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ManifestError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    plugin: RawPlugin,
    #[serde(default)]
    exports: RawExports,
    #[serde(default)]
    permissions: Permissions,
    #[serde(default)]
    limits: RawLimits,
    world: Option<RawWorld>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorld {
    wit: Spanned<String>,
    name: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlugin {
    name: Spanned<String>,
    version: Spanned<String>,
    description: Option<String>,
    author: Option<String>,
    license: Option<String>,
    min_ferrite_version: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawExports {
    #[serde(default)]
    functions: Vec<Spanned<String>>,
    #[serde(default)]
    commands: Vec<Spanned<String>>,
    #[serde(default)]
    hooks: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    fuel: Option<Spanned<u64>>,
    memory_mb: Option<Spanned<u64>>,
    timeout_ms: Option<Spanned<u64>>,
}

/// Whether `name` is a valid plugin name: `[a-z][a-z0-9_]{0,63}`.
pub fn is_valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

/// Whether `name` is a world's full name: `ns:pkg/world` or
/// `ns:pkg/world@version`, each part a WIT identifier.
pub fn is_world_name(name: &str) -> bool {
    let (path, version) = match name.split_once('@') {
        Some((p, v)) => (p, Some(v)),
        None => (name, None),
    };
    let ident = |s: &str| {
        !s.is_empty()
            && s.split('-').all(|w| {
                w.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                    && w.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            })
    };
    let Some((package, world)) = path.split_once('/') else {
        return false;
    };
    let Some((ns, pkg)) = package.split_once(':') else {
        return false;
    };
    ident(ns)
        && ident(pkg)
        && ident(world)
        && version.is_none_or(|v| semver::Version::parse(v).is_ok())
}

/// A function's WIT name (`validate-email`) from the name users call it by
/// (`validate_email`); either spelling is accepted.
pub fn wit_name(name: &str) -> String {
    name.replace('_', "-")
}

/// The name users call a function by (`validate_email`) from its WIT name.
pub fn user_name(wit: &str) -> String {
    wit.replace('-', "_")
}

impl Manifest {
    /// Parses and checks `text`; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Manifest, ManifestError> {
        let line_of =
            |offset: usize| Some(text[..offset.min(text.len())].matches('\n').count() + 1);
        let err = |span: std::ops::Range<usize>, message: String| ManifestError {
            file: file.to_string(),
            line: line_of(span.start),
            message,
        };
        let raw: Raw = toml::from_str(text).map_err(|e| ManifestError {
            file: file.to_string(),
            line: e.span().and_then(|s| line_of(s.start)),
            message: e.message().trim_end().to_string(),
        })?;

        let name = raw.plugin.name.get_ref();
        if !is_valid_name(name) {
            return Err(err(
                raw.plugin.name.span(),
                format!(
                    "`{name}` is not a valid plugin name: use 1 to 64 lowercase letters, digits and `_`, starting with a letter (e.g. `validate_email`)"
                ),
            ));
        }
        let semver = |s: &Spanned<String>, what: &str| {
            semver::Version::parse(s.get_ref()).map_err(|e| {
                err(
                    s.span(),
                    format!(
                        "`{}` is not a valid {what}: {e}; write a semantic version such as `1.0.0`",
                        s.get_ref()
                    ),
                )
            })
        };
        let version = semver(&raw.plugin.version, "version")?;
        let min_ferrite_version = match &raw.plugin.min_ferrite_version {
            Some(v) => Some(semver(v, "min_ferrite_version")?),
            None => None,
        };

        let mut functions: Vec<String> = Vec::new();
        for f in &raw.exports.functions {
            let wit = wit_name(f.get_ref());
            if !is_valid_name(&user_name(&wit)) {
                return Err(err(
                    f.span(),
                    format!(
                        "`{}` is not a valid function name: use the Rust function's name, e.g. `validate_email`",
                        f.get_ref()
                    ),
                ));
            }
            let user = user_name(&wit);
            if functions.contains(&user) {
                return Err(err(
                    f.span(),
                    format!("`{}` is listed twice in `functions`", f.get_ref()),
                ));
            }
            functions.push(user);
        }

        let mut commands: Vec<String> = Vec::new();
        for c in &raw.exports.commands {
            let name = c.get_ref().to_ascii_uppercase();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || "._:-".contains(ch))
            {
                return Err(err(
                    c.span(),
                    format!(
                        "`{}` is not a valid command name: use letters, digits, `.`, `_`, `:` and `-`, e.g. `GK.SUM`",
                        c.get_ref()
                    ),
                ));
            }
            if commands.contains(&name) {
                return Err(err(
                    c.span(),
                    format!("`{}` is listed twice in `commands`", c.get_ref()),
                ));
            }
            commands.push(name);
        }
        let mut hooks: Vec<String> = Vec::new();
        for h in &raw.exports.hooks {
            let name = user_name(h.get_ref());
            if !is_valid_name(&name) {
                return Err(err(
                    h.span(),
                    format!(
                        "`{}` is not a valid hook name: use the hook function's Rust name, e.g. `guard`",
                        h.get_ref()
                    ),
                ));
            }
            if hooks.contains(&name) {
                return Err(err(
                    h.span(),
                    format!("`{}` is listed twice in `hooks`", h.get_ref()),
                ));
            }
            hooks.push(name);
        }

        let positive = |v: &Option<Spanned<u64>>, key: &str| match v {
            Some(v) if *v.get_ref() == 0 => Err(err(
                v.span(),
                format!("`{key}` must be greater than 0; remove it to use the host's cap"),
            )),
            Some(v) => Ok(Some(*v.get_ref())),
            None => Ok(None),
        };
        let limits = Limits {
            fuel: positive(&raw.limits.fuel, "fuel")?,
            memory_mb: positive(&raw.limits.memory_mb, "memory_mb")?,
            timeout_ms: positive(&raw.limits.timeout_ms, "timeout_ms")?,
        };

        let world = match raw.world {
            None => None,
            Some(w) => {
                if !is_world_name(w.name.get_ref()) {
                    return Err(err(
                        w.name.span(),
                        format!(
                            "`{}` is not a world's full name: write `namespace:package/world`, with `@version` if the package has one (e.g. `artifact-keeper:format/format-plugin@1.0.0`)",
                            w.name.get_ref()
                        ),
                    ));
                }
                let wit = w.wit.get_ref();
                if wit.is_empty()
                    || std::path::Path::new(wit).is_absolute()
                    || wit.split(['/', '\\']).any(|c| c == "..")
                {
                    return Err(err(
                        w.wit.span(),
                        format!(
                            "`{wit}` is not a path inside the crate: give the `.wit` file or folder relative to plugin.toml (e.g. `wit`)"
                        ),
                    ));
                }
                if let Some(c) = raw.exports.commands.first().or(raw.exports.hooks.first()) {
                    return Err(err(
                        c.span(),
                        "commands and hooks are Ferrite's: a plugin for another host's `[world]` exports what that world declares".into(),
                    ));
                }
                Some(TargetWorld {
                    wit: wit.clone(),
                    name: w.name.get_ref().clone(),
                })
            }
        };

        Ok(Manifest {
            world,
            plugin: PluginInfo {
                name: name.clone(),
                version,
                description: raw.plugin.description,
                author: raw.plugin.author,
                license: raw.plugin.license,
                min_ferrite_version,
            },
            exports: Exports {
                functions,
                commands,
                hooks,
            },
            permissions: raw.permissions,
            limits,
        })
    }

    /// Reads and checks the file at `path`.
    pub fn read(path: &std::path::Path) -> Result<Manifest, ManifestError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ManifestError {
            file: file.clone(),
            line: None,
            message: format!("cannot read it: {e}"),
        })?;
        Manifest::parse(&file, &text)
    }

    /// The manifest as TOML text (what `build` embeds and `publish` packages).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a manifest always serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[plugin]
name = "geo_fence"
version = "1.2.3"
description = "Point-in-polygon"
min_ferrite_version = "0.2.0"

[exports]
functions = ["contains", "distance-km"]

[permissions]
keys = true

[limits]
fuel = 1_000_000
memory_mb = 16
"#;

    fn error(text: &str) -> ManifestError {
        Manifest::parse("plugin.toml", text).unwrap_err()
    }

    #[test]
    fn it_reads_every_section() {
        let m = Manifest::parse("plugin.toml", GOOD).unwrap();
        assert_eq!(m.plugin.version, semver::Version::new(1, 2, 3));
        assert_eq!(m.exports.functions, ["contains", "distance_km"]);
        assert!(m.permissions.keys.is_all());
        assert_eq!(m.limits.fuel, Some(1_000_000));
        assert_eq!(m.limits.timeout_ms, None);
        let again = Manifest::parse("x", &m.to_toml()).unwrap();
        assert_eq!(again, m);
    }

    #[test]
    fn it_names_the_line_of_an_unknown_key() {
        let e = error("[plugin]\nname = \"a\"\nversion = \"1.0.0\"\nnmae = \"b\"\n");
        assert_eq!(e.line, Some(4));
        assert!(e.message.contains("unknown field `nmae`"), "{e}");
    }

    #[test]
    fn it_rejects_a_bad_name_with_the_pattern() {
        let e = error("[plugin]\nname = \"Validate-Email\"\nversion = \"1.0.0\"\n");
        assert_eq!(e.line, Some(2));
        assert!(e.to_string().contains("not a valid plugin name"), "{e}");
    }

    #[test]
    fn it_rejects_a_bad_version() {
        let e = error("[plugin]\nname = \"a\"\nversion = \"1.0\"\n");
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("semantic version"), "{e}");
    }

    #[test]
    fn it_rejects_a_zero_limit_and_a_missing_section() {
        let e = error("[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n[limits]\nfuel = 0\n");
        assert_eq!(e.line, Some(5));
        let e = error("[exports]\nfunctions = []\n");
        assert!(e.message.contains("missing field `plugin`"), "{e}");
    }

    #[test]
    fn it_reads_a_target_world() {
        let text = "[plugin]\nname = \"ak\"\nversion = \"1.0.0\"\n[world]\nwit = \"wit\"\nname = \"artifact-keeper:format/format-plugin@1.0.0\"\n";
        let m = Manifest::parse("plugin.toml", text).unwrap();
        let w = m.world.as_ref().unwrap();
        assert_eq!(
            (w.wit.as_str(), w.name.as_str()),
            ("wit", "artifact-keeper:format/format-plugin@1.0.0")
        );
        assert_eq!(Manifest::parse("x", &m.to_toml()).unwrap(), m);
        let e = error(
            "[plugin]\nname = \"ak\"\nversion = \"1.0.0\"\n[world]\nwit = \"wit\"\nname = \"format-plugin\"\n",
        );
        assert_eq!(e.line, Some(6));
        assert!(e.message.contains("not a world's full name"), "{e}");
        let e = error(
            "[plugin]\nname = \"ak\"\nversion = \"1.0.0\"\n[world]\nwit = \"../x\"\nname = \"a:b/c\"\n",
        );
        assert!(e.message.contains("not a path inside the crate"), "{e}");
        let e = error(
            "[plugin]\nname = \"ak\"\nversion = \"1.0.0\"\n[exports]\ncommands = [\"X\"]\n[world]\nwit = \"wit\"\nname = \"a:b/c\"\n",
        );
        assert!(
            e.message.contains("commands and hooks are Ferrite's"),
            "{e}"
        );
        assert!(
            is_world_name("a:b/c") && is_world_name("forgepoint:extension/extension-world@0.1.0")
        );
        assert!(!is_world_name("a:b/c@x") && !is_world_name("a/c") && !is_world_name("A:b/c"));
    }

    #[test]
    fn it_rejects_duplicate_functions_in_either_spelling() {
        let e = error(
            "[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n[exports]\nfunctions = [\"a_b\", \"a-b\"]\n",
        );
        assert!(e.message.contains("listed twice"), "{e}");
    }
}
