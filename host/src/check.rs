//! What a component imports and exports, checked against its manifest.
//!
//! `cargo ferrite-plugin build` runs these checks on what it builds, and the
//! host runs them again on whatever it loads: the host never trusts a manifest
//! it has not checked against the component.

use wit_parser::{Resolve, WorldId, WorldItem, WorldKey};

use crate::ApiVersion;
use crate::manifest::{self, Manifest};

/// The import and export names of a component, decoded from its type.
#[derive(Debug, Clone)]
pub struct Surface {
    /// Imported instances (`ferrite:plugin/kv@0.1.0`) and functions, by name.
    pub imports: Vec<String>,
    /// Exported functions, by WIT name (`validate-email`).
    pub functions: Vec<String>,
    /// Exported interfaces (another host's world: `artifact-keeper:format/handler@1.0.0`)
    /// and their functions, by WIT name.
    pub interfaces: Vec<(String, Vec<String>)>,
    /// Its custom commands and hooks.
    pub entries: crate::entries::Entries,
    /// The decoded component type, for printing and type lookups.
    pub resolve: Resolve,
    /// The component's world in `resolve`.
    pub world: WorldId,
}

/// Why a component cannot be used with its manifest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// Not a decodable component.
    #[error("not a valid WebAssembly component: {0}")]
    Invalid(String),
    /// An import the manifest does not grant.
    #[error(
        "the component imports `{import}`, which needs the `{permission}` permission: set `{permission} = true` under `[permissions]` in plugin.toml"
    )]
    NotGranted {
        /// The imported interface.
        import: String,
        /// The permission that grants it.
        permission: &'static str,
    },
    /// An import no plugin may have.
    #[error(
        "the component imports `{0}`, which no Ferrite plugin may import: a plugin imports only `ferrite:plugin/*` (build it for `wasm32-unknown-unknown`, without WASI)"
    )]
    Forbidden(String),
    /// An import of a plugin for another host's world that no plugin host
    /// here provides.
    #[error(
        "the component imports `{0}`: the plugin host provides a world's `wasi:*` imports (when built with its `wasi` feature) and `ferrite:plugin/*` imports, and no others"
    )]
    NotProvided(String),
    /// An import of a host API version this host does not serve.
    #[error(
        "the component imports `{import}` (host API {wanted}), but this host (Ferrite {ferrite}) serves host API {served}: {fix}"
    )]
    ApiVersion {
        /// The imported interface.
        import: String,
        /// The version it belongs to.
        wanted: String,
        /// The Ferrite version of the host.
        ferrite: String,
        /// The versions the host serves, as text (`0.1.0 and 0.2.0`).
        served: String,
        /// What to do about it.
        fix: String,
    },
    /// An export the manifest does not list.
    #[error(
        "the component exports `{0}`, which plugin.toml does not list: add \"{0}\" to `functions` under `[exports]`"
    )]
    Unlisted(String),
    /// A command or hook plugin.toml does not list.
    #[error(
        "the component has the {kind} `{name}`, which plugin.toml does not list: add \"{name}\" to `{key}` under `[exports]`"
    )]
    UnlistedEntry {
        /// `command` or `hook`.
        kind: &'static str,
        /// Its name.
        name: String,
        /// The `[exports]` key.
        key: &'static str,
    },
    /// A listed command or hook the component lacks.
    #[error(
        "plugin.toml lists the {kind} `{name}` under `[exports] {key}`, but the component has none: write it with `{attribute}`, or remove the name"
    )]
    MissingEntry {
        /// `command` or `hook`.
        kind: &'static str,
        /// Its name.
        name: String,
        /// The `[exports]` key.
        key: &'static str,
        /// How to write one.
        attribute: &'static str,
    },
    /// A command or hook export without its fixed signature.
    #[error(
        "the component's export `{export}` must have the signature `{expected}`: build the plugin with `cargo ferrite-plugin build`"
    )]
    EntrySignature {
        /// The export.
        export: String,
        /// Its signature, as WIT.
        expected: &'static str,
    },
    /// A listed export the component lacks.
    #[error(
        "plugin.toml lists `{0}` under `[exports]`, but the component does not export it: annotate a function with `#[ferrite_plugin::function]`, or remove the name"
    )]
    Missing(String),
}

/// The permission an imported interface needs: `Ok(None)` if always granted,
/// `Err(())` if no plugin may import it.
fn permission_for(import: &str) -> Result<Option<&'static str>, ()> {
    let Some(rest) = import.strip_prefix("ferrite:plugin/") else {
        return Err(());
    };
    let (iface, _) = rest.split_once('@').unwrap_or((rest, ""));
    match iface {
        "kv" | "server" => Ok(Some("keys")),
        "log" | "config" | "clock" | "random" | "events" | "runtime" | "types" => Ok(None),
        _ => Err(()),
    }
}

/// `0.1.0`, `0.1.0 and 0.2.0`, `0.1.0, 0.2.0 and 0.3.0`.
fn and_list(versions: &[ApiVersion]) -> String {
    let names: Vec<&str> = versions.iter().map(|v| v.package()).collect();
    match names.split_last() {
        None => "none".into(),
        Some((last, [])) => (*last).into(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// Whether an export is one of the SDK's test entry points, not a function.
pub fn is_test_export(name: &str) -> bool {
    name.starts_with("ferrite-test-")
}

impl Surface {
    /// Decodes the imports and exports of a component.
    pub fn of(component: &[u8]) -> Result<Surface, CheckError> {
        let decoded = wit_parser::decoding::decode(component)
            .map_err(|e| CheckError::Invalid(format!("{e:#}")))?;
        let wit_parser::decoding::DecodedWasm::Component(resolve, world) = decoded else {
            return Err(CheckError::Invalid(
                "this is a WIT package, not a component; run `cargo ferrite-plugin build`".into(),
            ));
        };
        let w = &resolve.worlds[world];
        let mut imports = Vec::new();
        for (key, item) in &w.imports {
            match item {
                WorldItem::Interface { .. } | WorldItem::Function(_) => {
                    imports.push(resolve.name_world_key(key))
                }
                WorldItem::Type { .. } => {}
            }
        }
        let mut functions = Vec::new();
        let mut interfaces = Vec::new();
        for (key, item) in &w.exports {
            match (key, item) {
                (WorldKey::Name(name), WorldItem::Function(_)) => functions.push(name.clone()),
                (_, WorldItem::Interface { id, .. }) => interfaces.push((
                    resolve.name_world_key(key),
                    resolve.interfaces[*id].functions.keys().cloned().collect(),
                )),
                _ => functions.push(resolve.name_world_key(key)),
            }
        }
        let entries = crate::entries::Entries::of(component).map_err(CheckError::Invalid)?;
        Ok(Surface {
            imports,
            functions,
            interfaces,
            entries,
            resolve,
            world,
        })
    }

    /// Checks every import against the manifest's permissions. A plugin for
    /// another host's world may also import WASI interfaces (the host gives
    /// it those its world imports), and nothing else.
    pub fn check_permissions(&self, manifest: &Manifest) -> Result<(), CheckError> {
        for import in &self.imports {
            if manifest.world.is_some() && import.starts_with("wasi:") {
                if cfg!(feature = "wasi") {
                    continue;
                }
                return Err(CheckError::NotProvided(import.clone()));
            }
            match permission_for(import) {
                Ok(None) => {}
                Ok(Some("keys")) if !manifest.permissions.keys.is_none() => {}
                Ok(Some(permission)) => {
                    return Err(CheckError::NotGranted {
                        import: import.clone(),
                        permission,
                    });
                }
                Err(()) if manifest.world.is_some() => {
                    return Err(CheckError::NotProvided(import.clone()));
                }
                Err(()) => return Err(CheckError::Forbidden(import.clone())),
            }
        }
        Ok(())
    }

    /// The host API versions the component imports, oldest first.
    pub fn api_versions(&self) -> Vec<ApiVersion> {
        let mut v: Vec<ApiVersion> = self
            .imports
            .iter()
            .filter_map(|i| i.strip_prefix("ferrite:plugin/"))
            .filter_map(|i| i.split_once('@'))
            .filter_map(|(_, version)| ApiVersion::of_package(version))
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// The oldest Ferrite that can run the component: its manifest's
    /// `min_ferrite_version`, or the first Ferrite serving the host API it
    /// imports, whichever is newer.
    pub fn required_ferrite(&self, manifest: &Manifest) -> Option<semver::Version> {
        let by_api = self
            .api_versions()
            .into_iter()
            .map(|a| a.first_ferrite())
            .max();
        match (manifest.plugin.min_ferrite_version.clone(), by_api) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// Checks that every `ferrite:plugin` import belongs to a host API
    /// version a host of Ferrite `ferrite` serves.
    pub fn check_api(&self, ferrite: &semver::Version) -> Result<(), CheckError> {
        let served = ApiVersion::served_by(ferrite);
        for import in &self.imports {
            let Some(rest) = import.strip_prefix("ferrite:plugin/") else {
                continue;
            };
            let version = rest.split_once('@').map_or("", |(_, v)| v);
            let api = ApiVersion::of_package(version);
            if api.is_some_and(|a| served.contains(&a)) {
                continue;
            }
            let fix = match api {
                Some(a) => format!(
                    "run it on Ferrite {} or newer, or build it for this host with `cargo ferrite-plugin build --ferrite-version {ferrite}`",
                    a.first_ferrite()
                ),
                None => format!(
                    "it was built by a newer SDK than this host knows (the newest host API it knows is {}): upgrade the server",
                    ApiVersion::LATEST
                ),
            };
            return Err(CheckError::ApiVersion {
                import: import.clone(),
                wanted: if version.is_empty() {
                    "unversioned".into()
                } else {
                    version.into()
                },
                ferrite: ferrite.to_string(),
                served: and_list(&served),
                fix,
            });
        }
        Ok(())
    }

    /// Checks that the exported functions are exactly those the manifest lists
    /// (test entry points aside). A plugin for another host's world exports
    /// that world's interfaces, which `build` checked against the world: only
    /// the functions plugin.toml lists, if any, must be among them.
    pub fn check_exports(&self, manifest: &Manifest) -> Result<(), CheckError> {
        if manifest.world.is_some() {
            let exported = |name: &String| {
                let wit = manifest::wit_name(name);
                self.functions.contains(&wit)
                    || self.interfaces.iter().any(|(_, fs)| fs.contains(&wit))
            };
            if let Some(missing) = manifest.exports.functions.iter().find(|f| !exported(f)) {
                return Err(CheckError::Missing(missing.clone()));
            }
            return self.check_entries(manifest);
        }
        for f in self
            .functions
            .iter()
            .filter(|f| !is_test_export(f) && !crate::entries::is_entry_export(f))
        {
            let user = manifest::user_name(f);
            if !manifest.exports.functions.contains(&user) {
                return Err(CheckError::Unlisted(user));
            }
        }
        for listed in &manifest.exports.functions {
            if !self.functions.contains(&manifest::wit_name(listed)) {
                return Err(CheckError::Missing(listed.clone()));
            }
        }
        self.check_entries(manifest)
    }

    /// Checks the commands and hooks: each entry's export exists, every
    /// entry export has an entry, and plugin.toml lists exactly them.
    fn check_entries(&self, manifest: &Manifest) -> Result<(), CheckError> {
        let e = &self.entries;
        let exports: Vec<&str> = e
            .commands
            .iter()
            .map(|c| c.export.as_str())
            .chain(e.hooks.iter().map(|h| h.export.as_str()))
            .collect();
        for export in &exports {
            if !self.functions.iter().any(|f| f == export) {
                return Err(CheckError::Invalid(format!(
                    "its entries name `{export}`, which it does not export"
                )));
            }
        }
        if let Some(stray) = self
            .functions
            .iter()
            .find(|f| crate::entries::is_entry_export(f) && !exports.contains(&f.as_str()))
        {
            return Err(CheckError::Invalid(format!(
                "it exports `{stray}` without an entry for it: build it with `cargo ferrite-plugin build`"
            )));
        }
        for c in &e.commands {
            if !manifest.exports.commands.contains(&c.name) {
                return Err(CheckError::UnlistedEntry {
                    kind: "command",
                    name: c.name.clone(),
                    key: "commands",
                });
            }
        }
        for listed in &manifest.exports.commands {
            if !e.commands.iter().any(|c| c.name == *listed) {
                return Err(CheckError::MissingEntry {
                    kind: "command",
                    name: listed.clone(),
                    key: "commands",
                    attribute: "#[ferrite_plugin::command(name = \"...\")]",
                });
            }
        }
        for h in &e.hooks {
            if !manifest.exports.hooks.contains(&h.function) {
                return Err(CheckError::UnlistedEntry {
                    kind: "hook",
                    name: h.function.clone(),
                    key: "hooks",
                });
            }
        }
        for listed in &manifest.exports.hooks {
            if !e.hooks.iter().any(|h| h.function == *listed) {
                return Err(CheckError::MissingEntry {
                    kind: "hook",
                    name: listed.clone(),
                    key: "hooks",
                    attribute: "#[ferrite_plugin::hook(...)]",
                });
            }
        }
        Ok(())
    }

    /// Both checks.
    pub fn check(&self, manifest: &Manifest) -> Result<(), CheckError> {
        self.check_permissions(manifest)?;
        self.check_exports(manifest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_grants_only_ferrite_interfaces() {
        assert_eq!(permission_for("ferrite:plugin/log@0.1.0"), Ok(None));
        assert_eq!(permission_for("ferrite:plugin/kv@0.1.0"), Ok(Some("keys")));
        assert_eq!(permission_for("ferrite:plugin/kv@0.2.0"), Ok(Some("keys")));
        assert_eq!(
            permission_for("ferrite:plugin/server@0.2.0"),
            Ok(Some("keys"))
        );
        assert_eq!(permission_for("ferrite:plugin/random@0.2.0"), Ok(None));
        assert_eq!(permission_for("ferrite:plugin/net@0.1.0"), Err(()));
        assert_eq!(permission_for("wasi:filesystem/types@0.2.0"), Err(()));
    }
}
