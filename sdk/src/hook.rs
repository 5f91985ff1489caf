//! Event hooks: `#[ferrite_plugin::hook]` and what it hands your function.
//!
//! A hook runs around the server's commands: `before_command` may refuse a
//! command (nothing is written and the client gets the message as an error
//! reply), `after_command` sees a command that ran, and `on_key_write` sees
//! each key a command wrote. With `commands = [...]`, the host calls the hook
//! only for those commands, so an unrelated command costs no call. What a hook
//! writes through [`kv`](crate::kv) does not fire hooks again.
//!
//! `on_event = "name"` subscribes a hook to a custom event that plugins emit
//! with [`events::emit`](crate::events::emit); [`HookContext::event_name`]
//! and [`HookContext::payload`] say what arrived. Aborting refuses the
//! event: the emitter's `emit` fails with the message.
//!
//! ```
//! use ferrite_plugin::hook::{HookContext, HookResult};
//! use ferrite_plugin::kv;
//!
//! /// Counts paid orders, as the checkout plugin announces them.
//! #[ferrite_plugin::hook(on_event = "order.paid")]
//! fn count_paid(ctx: &HookContext) -> HookResult {
//!     let _order = ctx.payload();
//!     match kv::incr_by("orders:paid", 1) {
//!         Ok(_) => HookResult::Continue,
//!         Err(e) => HookResult::Abort(e.to_string()),
//!     }
//! }
//! ```
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

use crate::words::{Args, Words};

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
    /// A plugin emitted a custom event the hook subscribes to.
    OnEvent,
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
    /// The command's name, then its arguments.
    words: Words,
    key: Key,
}

#[derive(Debug, Clone)]
enum Key {
    None,
    /// The argument at this index.
    Arg(usize),
    /// Given apart from the arguments (native tests).
    Owned(Vec<u8>),
}

impl HookContext {
    /// A context, as the host would give it (for native tests of a hook).
    pub fn new(
        event: HookEvent,
        command: impl Into<String>,
        args: Vec<Vec<u8>>,
        key: Option<Vec<u8>>,
    ) -> HookContext {
        let command = command.into();
        let words = crate::words::pack(
            std::iter::once(command.as_bytes()).chain(args.iter().map(Vec::as_slice)),
        );
        HookContext {
            event,
            words: Words::new(words),
            key: key.map_or(Key::None, Key::Owned),
        }
    }

    /// Which event this is.
    pub fn event(&self) -> HookEvent {
        self.event
    }

    /// The command's name, upper-case (`SET`); for a custom event, its name.
    pub fn command(&self) -> &str {
        self.words
            .get(0)
            .and_then(|name| std::str::from_utf8(name).ok())
            .unwrap_or("")
    }

    /// The command's arguments after its name, byte for byte.
    pub fn args(&self) -> Args<'_> {
        self.words.from(1)
    }

    /// For [`HookEvent::OnEvent`], the event's name (`order.paid`);
    /// otherwise `None`.
    pub fn event_name(&self) -> Option<&str> {
        (self.event == HookEvent::OnEvent).then(|| self.command())
    }

    /// For [`HookEvent::OnEvent`], the event's payload, byte for byte;
    /// otherwise empty.
    pub fn payload(&self) -> &[u8] {
        match self.event {
            HookEvent::OnEvent => self.args().get(0).unwrap_or_default(),
            _ => &[],
        }
    }

    /// A context for the event `name` with `payload`, as the host gives it
    /// to an `on_event` hook (for native tests of a hook).
    pub fn event_of(name: impl Into<String>, payload: impl Into<Vec<u8>>) -> HookContext {
        HookContext::new(HookEvent::OnEvent, name, vec![payload.into()], None)
    }

    /// The key: for `on_key_write`, the key written; otherwise the first key
    /// the command touches, if any.
    pub fn key(&self) -> Option<&[u8]> {
        match &self.key {
            Key::None => None,
            Key::Arg(i) => self.args().get(*i),
            Key::Owned(k) => Some(k),
        }
    }
}

/// The glue behind `#[ferrite_plugin::hook]`: `words` are the command's
/// name and arguments (packed, see [`crate::words`]), `key` the index of the
/// key among the arguments.
#[doc(hidden)]
pub fn __call(
    f: impl FnOnce(&HookContext) -> HookResult,
    event: HookEvent,
    words: Vec<u8>,
    key: Option<u32>,
) -> HookResult {
    f(&HookContext {
        event,
        words: Words::new(words),
        key: key.map_or(Key::None, |i| Key::Arg(i as usize)),
    })
}
