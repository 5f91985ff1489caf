use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use ferrite_plugin_registry::Source;
use ferrite_plugin_registry::install::Installer;
use ferrite_plugin_registry::metadata::Seen;
use ferrite_plugin_registry::resolve::{Req, Request};
use ferrite_plugin_registry::sign::PublicKey;
use ferrite_plugin_registry::verification;

use crate::ops::registry::{parse_trust, read_trusted_keys, seen_file};
use crate::shell::{Shell, human_size};

/// Show a plugin's versions, or one version's details, from its signed metadata
///
/// Verifies the metadata as `install` does (a trusted key, not expired, not
/// older than what was seen before from that registry, remembered in
/// ~/.config/ferrite-plugin/seen.json) and shows what it says.
#[derive(Args, Debug)]
pub struct InfoCommand {
    /// NAME, or NAME@VERSION
    #[arg(value_name = "NAME[@VERSION]")]
    pub plugin: String,

    /// The registry: a directory, `file://` or `http(s)://` URL [env: FERRITE_PLUGIN_REGISTRY]
    #[arg(long, value_name = "R", env = "FERRITE_PLUGIN_REGISTRY")]
    pub registry: String,

    /// Also trust this key: a keygen `.pub` file, or ID=PUBLIC_KEY (repeatable)
    #[arg(long, value_name = "KEY", value_parser = parse_trust)]
    pub trust: Vec<PublicKey>,

    /// Trust only the keys in FILE, ignoring the registry's keys.json
    #[arg(long, value_name = "FILE", conflicts_with = "trust")]
    pub trusted_keys: Option<PathBuf>,
}

impl InfoCommand {
    pub fn exec(self, _shell: &mut Shell) -> Result<()> {
        let request = Request::parse(&self.plugin)?;
        let source = Source::parse(&self.registry);
        let mut reader = Installer::new(&source);
        for key in &self.trust {
            reader = reader.trust(key.clone());
        }
        if let Some(file) = &self.trusted_keys {
            reader = reader.trusted_keys(read_trusted_keys(file)?);
        }
        let seen_path = seen_file()?;
        let mut seen: Seen = match std::fs::read(&seen_path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("`{}` is damaged: delete it", seen_path.display()))?,
            Err(_) => Seen::default(),
        };
        let signed = reader.metadata(&request.name, None, &seen)?;
        // The keys a verification's signer may be trusted by.
        let trusted: Vec<PublicKey> = match &self.trusted_keys {
            Some(file) => read_trusted_keys(file)?
                .keys
                .into_iter()
                .filter(|k| k.revoked_at.is_none())
                .map(|k| PublicKey {
                    id: k.id,
                    public_key: k.public_key,
                })
                .collect(),
            None => source
                .keys()?
                .keys
                .into_iter()
                .filter(|k| k.revoked_at.is_none())
                .map(|k| PublicKey {
                    id: k.id,
                    public_key: k.public_key,
                })
                .chain(self.trust.iter().cloned())
                .collect(),
        };
        seen.record(&source.to_string(), &signed);
        if let Some(dir) = seen_path.parent() {
            // Remembering is best effort: info works read-only too.
            let _ = std::fs::create_dir_all(dir).and_then(|()| {
                let text = serde_json::to_string_pretty(&seen).expect("serializes") + "\n";
                let tmp = seen_path.with_extension("json.tmp");
                std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &seen_path))
            });
        }
        let m = &signed.signed;
        let description = source.index().ok().and_then(|i| {
            i.plugins
                .get(&request.name)
                .and_then(|p| p.description.clone())
        });
        println!(
            "{}{}",
            request.name,
            description.map_or(String::new(), |d| format!(": {d}"))
        );
        println!(
            "  signed metadata version {}, by key `{}`, valid until {}{}",
            m.version,
            m.key_id,
            m.expires,
            if m.rotations.is_empty() {
                String::new()
            } else {
                format!(
                    " (rotated from {})",
                    m.rotations
                        .iter()
                        .map(|r| format!("`{}`", r.from))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
        let shown: Vec<_> = match &request.req {
            Req::Latest => m.versions.iter().rev().collect(),
            Req::Exact(v) => match m.versions.get_key_value(v) {
                Some(pair) => vec![pair],
                None => bail!("`{}` has no version {v}", request.name),
            },
            Req::Matching(r) => m
                .versions
                .iter()
                .rev()
                .filter(|(v, _)| r.matches(v))
                .collect(),
        };
        for (version, e) in shown {
            let yanked = if e.yanked { " (yanked)" } else { "" };
            let needs = e
                .min_ferrite_version
                .as_ref()
                .map_or(String::new(), |m| format!(", needs Ferrite {m}+"));
            println!(
                "  {version}{yanked}: {}, {}{needs}",
                human_size(e.size),
                e.permissions.keys
            );
            println!("    exports:   {}", e.exports.join(", "));
            println!("    sha256:    {}", e.sha256);
            println!("    signed by: {}, published {}", e.key_id, e.published_at);
            if let Some(p) = &e.provenance {
                let short = |s: &str| s.chars().take(12).collect::<String>();
                let git = match (&p.git_commit, &p.path) {
                    (Some(c), Some(path)) if !path.is_empty() => {
                        format!("git commit {} (`{path}`)", short(c))
                    }
                    (Some(c), _) => format!("git commit {}", short(c)),
                    _ => "not a clean git checkout".into(),
                };
                let lock = p
                    .cargo_lock_sha256
                    .as_deref()
                    .map_or(String::new(), |l| format!(", Cargo.lock {}", short(l)));
                println!("    source:    package `{}`, {git}{lock}", p.package);
                if let Some(rustc) = p.toolchain.get("rustc") {
                    println!("    toolchain: {rustc}");
                }
            }
            let verifications = verification::read(&source, &request.name, version, &e.sha256)?;
            if verifications.is_empty() {
                println!(
                    "    verified:  not yet (`cargo ferrite-plugin verify {}@{version} --source DIR`)",
                    request.name
                );
            }
            for (v, ok) in verifications {
                if !ok {
                    println!(
                        "    verified:  a verification by key `{}` does not verify (ignored)",
                        v.key_id
                    );
                    continue;
                }
                let trust = if trusted
                    .iter()
                    .any(|k| k.id == v.key_id && k.public_key == v.public_key)
                {
                    "a trusted key"
                } else {
                    "a key not trusted here"
                };
                println!(
                    "    verified:  by key `{}` ({trust}) on {}, rebuilt with {}",
                    v.key_id, v.verified_at, v.rustc
                );
            }
        }
        Ok(())
    }
}
