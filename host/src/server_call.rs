//! `server.call`: a plugin runs any command of the server that embeds the
//! host, as Redis's Lua scripts do with `redis.call`.
//!
//! The host does not know the server's commands: the server implements
//! [`ServerCommands`] and passes it with each call
//! ([`CallOptions::commands`](crate::CallOptions::commands)). The host checks
//! that the plugin was granted keys at all and passes its
//! [`KeyScope`]; the server, which knows where each command's keys are,
//! refuses a key outside the scope (and a command that reaches keys it does
//! not name, such as `KEYS`, to a plugin not granted every key), what a
//! plugin may never run, and, in a read-only call, every write.
//!
//! The same trait delivers the custom events plugins emit (`events.emit`)
//! to the hooks subscribed to them, since only the server knows its
//! plugins' hooks.

use crate::dispatch::Frame;
use crate::keyspace::KvError;
use crate::scope::KeyScope;

/// One `server.call` from a plugin.
#[derive(Debug, Clone, Copy)]
pub struct ServerCall<'a> {
    /// The command's words, its name first.
    pub args: &'a [&'a [u8]],
    /// The plugin's call is read-only (`FCALL_RO`, `WASM.CALL_RO`):
    /// commands that write must be refused.
    pub read_only: bool,
    /// The calling plugin's name, for logs and errors.
    pub plugin: &'a str,
    /// The keys the calling plugin may read and write: the command must
    /// touch no other ([`KeyScope::refusal`] and
    /// [`KeyScope::refusal_of_every_key`] say why not).
    pub keys: &'a KeyScope,
}

/// One `events.emit` from a plugin.
#[derive(Debug, Clone, Copy)]
pub struct Emit<'a> {
    /// The event's name, checked by
    /// [`is_event_name`](crate::entries::is_event_name).
    pub name: &'a str,
    /// Its payload.
    pub payload: &'a [u8],
    /// The emitting plugin's name.
    pub plugin: &'a str,
    /// The emitting call is read-only; the subscribers' calls should be too.
    pub read_only: bool,
}

/// The commands a server offers plugins through `server.call`, and the
/// delivery of their custom events.
pub trait ServerCommands: Send + Sync {
    /// Runs `call.args` and returns its reply as frames in pre-order (an
    /// `Array(n)` followed by its `n` items), as plugin commands return
    /// theirs. An error reply of the command is `Err(KvError::Command(text))`;
    /// a command refused to the plugin (one a plugin may never run, a write
    /// in a read-only call, a key outside `call.keys`) is
    /// `Err(KvError::PermissionDenied(why))`.
    fn call(&self, call: &ServerCall<'_>) -> Result<Vec<Frame>, KvError>;

    /// Delivers a custom event to the hooks subscribed to its name, each
    /// under its own plugin's limits, and returns how many received it. A
    /// subscriber's abort, or an event nested too deep in other events'
    /// hooks, is `Err(KvError::InvalidArgument(why))`.
    fn emit(&self, event: &Emit<'_>) -> Result<u32, KvError> {
        let _ = event;
        Err(KvError::Failed(
            "this server delivers no custom events".into(),
        ))
    }
}
