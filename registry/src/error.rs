//! [`RegistryError`]: everything that can go wrong, each saying what and how to fix it.

use std::path::PathBuf;

/// A registry operation that failed. Nothing was written when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A file could not be read or written.
    #[error("{action} `{}`: {reason}", path.display())]
    Io {
        /// What was being done: "cannot read", "cannot write".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        reason: String,
    },
    /// A download failed; names the URL.
    #[error("cannot fetch `{url}`: {reason}")]
    Network {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// A registry file is not what the format says.
    #[error("`{file}` of the registry at `{registry}` is malformed: {reason}")]
    Malformed {
        /// The registry.
        registry: String,
        /// `registry.json` or `keys.json`.
        file: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A format this version does not read.
    #[error(
        "`{file}` of the registry at `{registry}` has format {found}, which this cargo-ferrite-plugin does not know (it reads format 1): upgrade cargo-ferrite-plugin"
    )]
    UnknownFormat {
        /// The registry.
        registry: String,
        /// The file.
        file: &'static str,
        /// The format it declares.
        found: u64,
    },
    /// A name that is not a plugin name (e.g. one with `/` or `..`).
    #[error(
        "`{0}` is not a valid plugin name: use 1 to 64 lowercase letters, digits and `_`, starting with a letter"
    )]
    BadName(String),
    /// A version requirement that does not parse.
    #[error(
        "`{given}` is not a version requirement ({reason}); write e.g. `1.2.3`, `^1.2` or `>=1, <2`"
    )]
    BadRequirement {
        /// What was given.
        given: String,
        /// Why not.
        reason: String,
    },
    /// No such plugin.
    #[error("the registry at `{registry}` has no plugin `{name}`")]
    NoSuchPlugin {
        /// The registry.
        registry: String,
        /// The plugin.
        name: String,
    },
    /// No version fits.
    #[error("{0}")]
    NoMatchingVersion(String),
    /// The version exists already.
    #[error(
        "`{name}` {version} is already published and versions are immutable: bump the version in plugin.toml and Cargo.toml"
    )]
    AlreadyPublished {
        /// The plugin.
        name: String,
        /// The version.
        version: semver::Version,
    },
    /// The new version breaks the last one's exports without a major bump.
    #[error(
        "`{}` {} breaks the exports of {} without a major version bump:\n{}\nbump the major version (or keep the old signatures)",
        .0.name, .0.version, .0.previous,
        .0.breaks.iter().map(|b| format!("  - {b}")).collect::<Vec<_>>().join("\n")
    )]
    Breaking(Box<Breaking>),
    /// A downloaded artifact does not match the index.
    #[error("refusing `{name}` {version}: {reason}; nothing was installed")]
    Verification {
        /// The plugin.
        name: String,
        /// The version.
        version: semver::Version,
        /// Which check failed.
        reason: String,
    },
    /// A plugin's signed metadata is not to be trusted: unsigned by a
    /// trusted or pinned key, expired, or older than what was seen.
    #[error("refusing `{name}`: {reason}")]
    Untrusted {
        /// The plugin.
        name: String,
        /// Which check failed.
        reason: String,
    },
    /// The key used to publish or yank is revoked, or a key file is bad.
    #[error("{0}")]
    Key(String),
    /// A plugin or component that cannot be published.
    #[error("{0}")]
    Invalid(String),
    /// An HTTP registry was asked to change.
    #[error(
        "the registry at `{0}` is read-only over HTTP: publish to its directory (or git checkout) instead"
    )]
    ReadOnly(String),
    /// The version asks for more key access than was approved.
    #[error(
        "refusing `{}` {}: it asks for {}, which was not approved; nothing was installed: approve it with {}",
        .0.name, .0.version, .0.asked_beyond(), .0.hint
    )]
    NotApproved(Box<Unapproved>),
    /// A registry from before signed metadata.
    #[error(
        "the registry at `{registry}` lists `{name}` but has no signed metadata for it (`plugins/{name}/metadata.json`): it predates signed metadata; its maintainer must run `cargo ferrite-plugin registry migrate --registry <dir>` with the plugin's key"
    )]
    NoSignedMetadata {
        /// The registry.
        registry: String,
        /// The plugin.
        name: String,
    },
    /// Not installed.
    #[error("`{name}` is not installed in `{}`", dir.display())]
    NotInstalled {
        /// The plugin.
        name: String,
        /// The install directory.
        dir: PathBuf,
    },
}

/// Key access a version asks for that was not approved: see
/// [`RegistryError::NotApproved`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unapproved {
    /// The plugin.
    pub name: String,
    /// The version.
    pub version: semver::Version,
    /// What its plugin.toml asks for.
    pub asked: ferrite_plugin_host::manifest::KeyScope,
    /// What was approved before (none for a first install).
    pub granted: ferrite_plugin_host::manifest::KeyScope,
    /// How to approve it, in the words of the command used.
    pub hint: String,
}

impl Unapproved {
    /// What it asks for beyond what was approved, in words.
    pub fn asked_beyond(&self) -> String {
        self.asked
            .beyond(&self.granted)
            .unwrap_or_else(|| self.asked.to_string())
    }
}

/// What a new version breaks: see [`RegistryError::Breaking`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breaking {
    /// The plugin.
    pub name: String,
    /// The new version.
    pub version: semver::Version,
    /// The version it was compared with.
    pub previous: semver::Version,
    /// What broke, one line each.
    pub breaks: Vec<String>,
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, RegistryError>;

pub(crate) fn read_error(path: &std::path::Path, e: std::io::Error) -> RegistryError {
    RegistryError::Io {
        action: "cannot read",
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

pub(crate) fn write_error(path: &std::path::Path, e: std::io::Error) -> RegistryError {
    RegistryError::Io {
        action: "cannot write",
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}
