//! Event hooks: `#[ferrite_plugin::hook]` and what it hands your function.
//!
//! A hook runs around the server's commands: `before_command` may refuse a
//! command (nothing is written and the client gets the message as an error
//! reply), `after_command` sees a command that ran, and `on_key_write` sees
//! each key a command wrote. With `commands = [...]`, the host calls the hook
//! only for those commands, so an unrelated command costs no call. What a hook
//! writes through [`kv`](crate::kv) does not fire hooks again.
//!
//! ```
//! use ferrite_plugin::hook::{HookContext, HookResult};
//!
//! /// Refuses to store values under `locked:` keys.
//! #[ferrite_plugin::hook(before_command, commands = ["SET", "DEL"])]
//! fn guard(ctx: &HookContext) -> HookResult {
//!     match ctx.key() {
//!         Some(key) if key.starts_with(b"locked:") => HookResult::Abort("ERR this key is locked".into()),
//!         _ => HookResult::Continue,
//!     }
//! }
//! ```

/// When a hook runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::Enum)]
#[ferrite_plugin(name = "hook-event")]
pub enum HookEvent {
    /// Before a command runs; the hook may refuse it.
    BeforeCommand,
    /// After a command ran.
    AfterCommand,
    /// After a command wrote a key, once per key.
    OnKeyWrite,
}

/// What a hook decides.
#[derive(Debug, Clone, PartialEq, Eq, crate::Enum)]
#[ferrite_plugin(name = "hook-result")]
pub enum HookResult {
    /// Let the command go on.
    Continue,
    /// Refuse the command (in `before_command`) with this error message; the
    /// client receives it as an error reply (`ERR ...` is added when the text
    /// has no upper-case code).
    Abort(String),
}

/// What a hook is called with.
#[derive(Debug, Clone)]
pub struct HookContext {
    event: HookEvent,
    command: String,
    args: Vec<Vec<u8>>,
    key: Option<Vec<u8>>,
}

impl HookContext {
    /// A context, as the host would give it (for native tests of a hook).
    pub fn new(
        event: HookEvent,
        command: impl Into<String>,
        args: Vec<Vec<u8>>,
        key: Option<Vec<u8>>,
    ) -> HookContext {
        HookContext {
            event,
            command: command.into(),
            args,
            key,
        }
    }

    /// Which event this is.
    pub fn event(&self) -> HookEvent {
        self.event
    }

    /// The command's name, upper-case (`SET`).
    pub fn command(&self) -> &str {
        &self.command
    }

    /// The command's arguments after its name, byte for byte.
    pub fn args(&self) -> &[Vec<u8>] {
        &self.args
    }

    /// The key: for `on_key_write`, the key written; otherwise the first key
    /// the command touches, if any.
    pub fn key(&self) -> Option<&[u8]> {
        self.key.as_deref()
    }
}

/// The glue behind `#[ferrite_plugin::hook]`.
#[doc(hidden)]
pub fn __call(
    f: impl FnOnce(&HookContext) -> HookResult,
    event: HookEvent,
    command: String,
    args: Vec<Vec<u8>>,
    key: Option<Vec<u8>>,
) -> HookResult {
    f(&HookContext {
        event,
        command,
        args,
        key,
    })
}
