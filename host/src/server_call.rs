//! `server.call`: a plugin runs any command of the server that embeds the
//! host, as Redis's Lua scripts do with `redis.call`.
//!
//! The host does not know the server's commands: the server implements
//! [`ServerCommands`] and passes it with each call
//! ([`CallOptions::commands`](crate::CallOptions::commands)). The host checks
//! that the plugin was granted the keyspace; the server refuses what a
//! plugin may never run and, in a read-only call, every write.

use crate::dispatch::Frame;
use crate::keyspace::KvError;

/// One `server.call` from a plugin.
#[derive(Debug, Clone, Copy)]
pub struct ServerCall<'a> {
    /// The command's words, its name first.
    pub args: &'a [&'a [u8]],
    /// The plugin's call is read-only (`FCALL_RO`, a read-only function):
    /// commands that write must be refused.
    pub read_only: bool,
    /// The calling plugin's name, for logs and errors.
    pub plugin: &'a str,
}

/// The commands a server offers plugins through `server.call`.
pub trait ServerCommands: Send + Sync {
    /// Runs `call.args` and returns its reply as frames in pre-order (an
    /// `Array(n)` followed by its `n` items), as plugin commands return
    /// theirs. An error reply of the command is `Err(KvError::Command(text))`;
    /// a command refused to the plugin (one a plugin may never run, a write
    /// in a read-only call) is `Err(KvError::PermissionDenied(why))`.
    fn call(&self, call: &ServerCall<'_>) -> Result<Vec<Frame>, KvError>;
}
