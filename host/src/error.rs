//! Typed errors: why a plugin could not be loaded, and why a call failed.

use std::time::Duration;

use crate::check::CheckError;
use crate::manifest::ManifestError;

/// Why a plugin could not be loaded (or reloaded).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Its manifest is malformed.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The component file cannot be read.
    #[error("cannot read `{}`: {reason}", path.display())]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        reason: String,
    },
    /// The component carries no `plugin.toml` and none was given.
    #[error(
        "the component carries no plugin.toml (build it with `cargo ferrite-plugin build`) and none was given"
    )]
    NoManifest,
    /// The component does not match its manifest (permissions, exports).
    #[error(transparent)]
    Check(#[from] CheckError),
    /// wasmtime could not compile or link it.
    #[error("the component cannot be loaded: {0}")]
    Compile(String),
    /// `reload` of a name that is not loaded.
    #[error("no plugin named `{0}` is loaded")]
    NotLoaded(String),
    /// `load` of a name already loaded (use `reload`).
    #[error("a plugin named `{0}` is already loaded; reload it instead")]
    AlreadyLoaded(String),
    /// The component needs a newer server.
    #[error("`{plugin}` needs Ferrite {required} or newer; this host is {host}")]
    TooNew {
        /// The plugin.
        plugin: String,
        /// Its `min_ferrite_version`.
        required: semver::Version,
        /// The host's Ferrite version.
        host: semver::Version,
    },
}

/// Why a call failed. The host keeps serving after any of these.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError {
    /// No plugin by that name.
    #[error("no plugin named `{0}` is loaded")]
    NoSuchPlugin(String),
    /// The plugin has no such export.
    #[error("plugin `{plugin}` has no function `{function}`; it exports: {}", available.join(", "))]
    NoSuchFunction {
        /// The plugin.
        plugin: String,
        /// What was asked for.
        function: String,
        /// What it exports, by user name.
        available: Vec<String>,
    },
    /// The wrong number of arguments.
    #[error("`{function}` takes {} argument{} ({}), but {given} were given", expected.len(), if expected.len() == 1 { "" } else { "s" }, expected.join(", "))]
    Arity {
        /// The function.
        function: String,
        /// Each parameter as `name: type`.
        expected: Vec<String>,
        /// How many were given.
        given: usize,
    },
    /// An argument that does not parse as its parameter's type.
    #[error("argument `{param}` of `{function}` must be `{ty}`, but `{given}` is not: {reason}")]
    BadArgument {
        /// The function.
        function: String,
        /// The parameter's name.
        param: String,
        /// The parameter's WIT type.
        ty: String,
        /// What was given (shortened if long).
        given: String,
        /// Why it does not parse.
        reason: String,
    },
    /// The call used up its fuel.
    #[error("`{function}` ran out of fuel (limit {limit})")]
    OutOfFuel {
        /// The function.
        function: String,
        /// The fuel it had.
        limit: u64,
    },
    /// The call ran past its wall-clock deadline.
    #[error("`{function}` timed out after {limit:?}")]
    Timeout {
        /// The function.
        function: String,
        /// The deadline.
        limit: Duration,
    },
    /// The plugin tried to grow its memory past its limit.
    #[error("`{function}` exceeded its memory limit of {} MiB", limit / (1024 * 1024))]
    MemoryLimit {
        /// The function.
        function: String,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The plugin exhausted its wasm stack or its shadow stack (its locals
    /// in linear memory), in debug and release builds alike; usually
    /// unbounded recursion.
    #[error(
        "`{function}` overflowed its stack: recursion too deep, or large locals (a plugin's locals in memory have 1 MiB; put big arrays in a `Vec` or `Box`, or recurse less)"
    )]
    StackOverflow {
        /// The function.
        function: String,
    },
    /// The call was stopped from outside ([`Host::kill`](crate::Host::kill),
    /// the server's `FUNCTION KILL`).
    #[error("`{function}` was killed (FUNCTION KILL)")]
    Killed {
        /// The function.
        function: String,
    },
    /// The plugin trapped: a panic (with its message and location) or a wasm trap.
    #[error("`{function}` trapped: {message}")]
    Trap {
        /// The function.
        function: String,
        /// The panic message and location, or the trap's description.
        message: String,
    },
    /// Every instance slot of the pool is in use.
    #[error("the host has no free instance slot ({0}); retry, or raise `HostConfig::pool_size`")]
    Busy(String),
    /// The host itself failed.
    #[error("host error: {0}")]
    Host(String),
}

impl CallError {
    /// The same error, naming the function `name` (e.g. a test's Rust name
    /// instead of its export's).
    pub fn for_function(mut self, name: &str) -> CallError {
        match &mut self {
            CallError::NoSuchFunction { function, .. }
            | CallError::Arity { function, .. }
            | CallError::BadArgument { function, .. }
            | CallError::OutOfFuel { function, .. }
            | CallError::Timeout { function, .. }
            | CallError::MemoryLimit { function, .. }
            | CallError::StackOverflow { function }
            | CallError::Killed { function }
            | CallError::Trap { function, .. } => *function = name.to_string(),
            CallError::NoSuchPlugin(_) | CallError::Busy(_) | CallError::Host(_) => {}
        }
        self
    }

    /// Whether the error came from the plugin's own execution (a trap or a
    /// limit), after which a warm instance must be discarded.
    pub fn is_fault(&self) -> bool {
        matches!(
            self,
            CallError::OutOfFuel { .. }
                | CallError::Timeout { .. }
                | CallError::MemoryLimit { .. }
                | CallError::StackOverflow { .. }
                | CallError::Killed { .. }
                | CallError::Trap { .. }
                | CallError::Host(_)
        )
    }
}
