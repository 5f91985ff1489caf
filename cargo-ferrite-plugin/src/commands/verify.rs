use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use ferrite_plugin_build::{BuildOptions, build};
use ferrite_plugin_registry::Source;
use ferrite_plugin_registry::install::Installer;
use ferrite_plugin_registry::metadata::Seen;
use ferrite_plugin_registry::resolve::{Req, Request};
use ferrite_plugin_registry::sign::PublicKey;
use ferrite_plugin_registry::source::{MAX_COMPONENT, artifact_path};
use ferrite_plugin_registry::verification::{self, Verification};

use crate::ops::registry::{cargo_lock, git_source, load_key, parse_trust, read_trusted_keys};
use crate::shell::Shell;

/// Rebuild a published version from its source and check it is the same component
///
/// Reads the version's signed metadata (verified as `install` does), checks
/// that this machine's `rustc` is the one that built it and that the source
/// in DIR is what it records (git commit or tree, Cargo.lock), rebuilds it
/// with `build --release`, and compares the component byte for byte with the
/// published one: on a difference, says where. With `--record`, signs a
/// verification with `--key` into the registry, which `info` shows.
#[derive(Args, Debug)]
pub struct VerifyCommand {
    /// The version, as NAME@VERSION
    #[arg(value_name = "NAME@VERSION")]
    pub version: String,

    /// The source to rebuild: a checkout of the repository the version was
    /// published from
    #[arg(long, value_name = "DIR")]
    pub source: PathBuf,

    /// The registry: a directory, `file://` or `http(s)://` URL [env: FERRITE_PLUGIN_REGISTRY]
    #[arg(long, value_name = "R", env = "FERRITE_PLUGIN_REGISTRY")]
    pub registry: String,

    /// Sign a verification into the registry (a directory) when the rebuild matches
    #[arg(long)]
    pub record: bool,

    /// The key to sign the verification with [default: ~/.config/ferrite-plugin/ferrite-plugin.key]
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,

    /// Also trust this key: a keygen `.pub` file, or ID=PUBLIC_KEY (repeatable)
    #[arg(long, value_name = "KEY", value_parser = parse_trust)]
    pub trust: Vec<PublicKey>,

    /// Trust only the keys in FILE, ignoring the registry's keys.json
    #[arg(long, value_name = "FILE", conflicts_with = "trust")]
    pub trusted_keys: Option<PathBuf>,
}

impl VerifyCommand {
    pub fn exec(self, shell: &mut Shell) -> Result<()> {
        let request = Request::parse(&self.version)?;
        let Req::Exact(version) = &request.req else {
            bail!("name one version exactly, as NAME@1.2.3");
        };
        let name = request.name.as_str();
        let source = Source::parse(&self.registry);
        let mut reader = Installer::new(&source);
        for key in self.trust {
            reader = reader.trust(key);
        }
        if let Some(file) = &self.trusted_keys {
            reader = reader.trusted_keys(read_trusted_keys(file)?);
        }
        let signed = reader.metadata(name, None, &Seen::default())?;
        let entry = signed
            .signed
            .versions
            .get(version)
            .with_context(|| format!("`{name}` has no version {version}"))?;
        let provenance = entry.provenance.as_ref().with_context(|| {
            format!("`{name}` {version} was published without a record of its source and toolchain: there is nothing to rebuild it from (publish it with this `cargo ferrite-plugin` to record them)")
        })?;

        // The same toolchain.
        let here = ferrite_plugin_build::repro::rustc_version(&self.source)?;
        let built_with = provenance.toolchain.get("rustc").map_or("", String::as_str);
        let ours = here.get("version").map_or("", String::as_str);
        if !built_with.is_empty() && built_with != ours {
            let release = built_with.split_whitespace().nth(1).unwrap_or(built_with);
            bail!(
                "`{name}` {version} was built with `{built_with}`, and this machine's is `{ours}`: install that toolchain (`rustup toolchain install {release} --target wasm32-unknown-unknown`) and verify with it (`cargo +{release} ferrite-plugin verify ...`)"
            );
        }

        // The same source.
        let root = self
            .source
            .canonicalize()
            .with_context(|| format!("the source `{}` does not exist", self.source.display()))?;
        let crate_dir = root.join(provenance.path.as_deref().unwrap_or(""));
        if !crate_dir.join("Cargo.toml").is_file() {
            bail!(
                "`{}` has no crate at `{}`, where `{name}` {version} was built: give `--source` the checkout of the repository it was published from",
                root.display(),
                provenance.path.as_deref().unwrap_or(".")
            );
        }
        if let Some(commit) = &provenance.git_commit {
            match git_source(&crate_dir) {
                Some((c, tree, _)) if c == *commit || Some(&tree) == provenance.git_tree.as_ref() => {}
                Some((c, _, _)) => bail!(
                    "`{}` is at commit {c}, but `{name}` {version} was built from commit {commit} (tree {} of `{}`): check that commit out and verify again",
                    root.display(),
                    provenance.git_tree.as_deref().unwrap_or("?"),
                    provenance.path.as_deref().unwrap_or(".")
                ),
                None => shell.warn(format!(
                    "`{}` is not a clean git checkout (it has uncommitted changes, or is not in git): rebuilding what is there, which `{name}` {version} was built from commit {commit}",
                    crate_dir.display()
                )),
            }
        }
        if let (Some(want), Some(lock)) = (&provenance.cargo_lock_sha256, cargo_lock(&crate_dir)) {
            let have = ferrite_plugin_build::sha256_hex(
                &std::fs::read(&lock)
                    .with_context(|| format!("failed to read `{}`", lock.display()))?,
            );
            if have != *want {
                bail!(
                    "`{}` is not the Cargo.lock `{name}` {version} was built with (its SHA-256 is {have}, the recorded one {want}): the dependencies would differ",
                    lock.display()
                );
            }
        }

        // The rebuild.
        let opts = BuildOptions {
            release: true,
            manifest_path: Some(crate_dir.join("Cargo.toml")),
            packages: vec![provenance.package.clone()],
            tests: false,
            ferrite_version: None,
        };
        let rebuilt = build(shell, &opts)?
            .into_iter()
            .next()
            .context("the build produced no component")?;
        if rebuilt.sha256 == entry.sha256 {
            shell.status(
                "Verified",
                format!(
                    "{name} v{version}: the rebuild from `{}` is byte for byte the published component (sha256 {})",
                    root.display(),
                    entry.sha256
                ),
            );
        } else {
            let published = source
                .fetch(
                    &artifact_path(name, version, &format!("{name}.wasm")),
                    MAX_COMPONENT,
                )?
                .with_context(|| format!("the registry has no component for `{name}` {version}"))?;
            bail!(
                "the rebuild of `{name}` {version} from `{}` is not the published component (sha256 {} rebuilt, {} published): {}",
                root.display(),
                rebuilt.sha256,
                entry.sha256,
                ferrite_plugin_build::repro::first_difference(&published, &rebuilt.component.bytes)
            );
        }
        if self.record {
            let dir = source
                .dir()
                .context("`--record` writes into the registry")?;
            let (key, _) = load_key(self.key)?;
            let verification = Verification::sign(&key, name, version, &entry.sha256, ours);
            let replaced = verification::record(dir, name, version, verification)?;
            shell.status(
                "Recorded",
                format!(
                    "the verification by key `{}` in `{}`{}",
                    key.id(),
                    dir.join(artifact_path(name, version, verification::FILE))
                        .display(),
                    if replaced {
                        " (replacing its earlier one)"
                    } else {
                        ""
                    }
                ),
            );
        }
        Ok(())
    }
}
