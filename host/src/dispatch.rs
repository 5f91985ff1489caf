//! Calling a plugin's custom commands and hooks (see [`crate::entries`]).
//!
//! Both are called through typed functions: the arguments are lowered
//! straight from the server's borrowed byte strings into the guest's memory,
//! and the reply frames lifted straight into Rust values, with no `Val` per
//! byte. That is sound because every entry's export is checked at load
//! ([`check_signatures`]) to have exactly one of the signatures these types
//! describe.
//!
//! The command's words (its name, then its arguments) cross in one packed
//! `list<u8>` (see `ferrite_plugin::words`: a `u32` count, a `u32` length per
//! word, the bytes), so the host makes one allocation in the plugin per call
//! rather than one per argument; a hook's key is the index of an argument.
//! Components built by SDK 0.1.0 take the words as `list<list<u8>>` and are
//! called that way.

use std::sync::Arc;

use wasmtime::component::{ComponentType, Lift, Lower, Type, TypedFunc, Val};

use crate::call::CallOptions;
use crate::check::CheckError;
use crate::entries::{CommandEntry, Entries, HookEntry, HookEvent};
use crate::error::CallError;
use crate::host::Host;
use crate::plugin::{FunctionInfo, Plugin};
use crate::state::{LogRecord, WitError};

/// One frame of a command's reply, in pre-order: `Array(n)` is followed by
/// the frames of its `n` items. This is the WIT variant `resp-frame`.
#[derive(Debug, Clone, PartialEq, ComponentType, Lift)]
#[component(variant)]
pub enum Frame {
    /// `+OK`.
    #[component(name = "ok")]
    Ok,
    /// A simple string.
    #[component(name = "simple")]
    Simple(String),
    /// A bulk string.
    #[component(name = "bulk")]
    Bulk(Vec<u8>),
    /// An integer.
    #[component(name = "integer")]
    Integer(i64),
    /// A double.
    #[component(name = "double")]
    Double(f64),
    /// Null.
    #[component(name = "null")]
    Null,
    /// An array of this many items, whose frames follow.
    #[component(name = "array")]
    Array(u32),
    /// An error reply (`ERR ...`).
    #[component(name = "error")]
    Error(String),
}

/// The WIT enum `hook-event`.
#[derive(Debug, Clone, Copy, ComponentType, Lower)]
#[component(enum)]
#[repr(u8)]
enum WitHookEvent {
    #[component(name = "before-command")]
    BeforeCommand,
    #[component(name = "after-command")]
    AfterCommand,
    #[component(name = "on-key-write")]
    OnKeyWrite,
    #[component(name = "on-event")]
    OnEvent,
}

/// The WIT enum `hook-event` of SDK 0.1.0, which had no custom events.
#[derive(Debug, Clone, Copy, ComponentType, Lower)]
#[component(enum)]
#[repr(u8)]
enum WitHookEventV1 {
    #[component(name = "before-command")]
    BeforeCommand,
    #[component(name = "after-command")]
    AfterCommand,
    #[component(name = "on-key-write")]
    OnKeyWrite,
}

/// The WIT variant `hook-result`.
#[derive(Debug, ComponentType, Lift)]
#[component(variant)]
enum WitHookResult {
    #[component(name = "continue")]
    Continue,
    #[component(name = "abort")]
    Abort(String),
}

/// A hook export: `func(event: hook-event, words: list<u8>, key:
/// option<u32>) -> hook-result`.
type HookFunc<'a> = TypedFunc<(WitHookEvent, &'a [u8], Option<u32>), (WitHookResult,)>;

/// A hook export built against host API 0.1.0 by a later SDK: the words
/// ABI, with `hook-event` as 0.1.0 knew it (no `on-event`).
type HookFuncOld<'a> = TypedFunc<(WitHookEventV1, &'a [u8], Option<u32>), (WitHookResult,)>;

/// A hook export of SDK 0.1.0: `func(event: hook-event, command: string,
/// args: list<list<u8>>, key: option<list<u8>>) -> hook-result`.
type HookFuncV1<'a> =
    TypedFunc<(WitHookEventV1, &'a str, &'a [&'a [u8]], Option<&'a [u8]>), (WitHookResult,)>;

/// A command export: `func(words: list<u8>) -> result<list<resp-frame>, error>`.
type CommandFunc<'a> = TypedFunc<(&'a [u8],), (Result<Vec<Frame>, WitError>,)>;

/// A command export of SDK 0.1.0: `func(name: string, args: list<list<u8>>)
/// -> result<list<resp-frame>, error>`.
type CommandFuncV1<'a> = TypedFunc<(&'a str, &'a [&'a [u8]]), (Result<Vec<Frame>, WitError>,)>;

/// The signature every entry export must have, as WIT.
const HOOK_SIGNATURE: &str =
    "func(event: hook-event, words: list<u8>, key: option<u32>) -> hook-result";
const COMMAND_SIGNATURE: &str = "func(words: list<u8>) -> result<list<resp-frame>, error>";

thread_local! {
    /// The buffer a call's words are packed into, reused.
    static WORDS: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Packs `name` and `args` into `out` as `ferrite_plugin::words` reads them.
fn pack(out: &mut Vec<u8>, name: &[u8], args: &[&[u8]]) {
    out.clear();
    let count = 1 + args.len();
    out.reserve(4 + 4 * count + name.len() + args.iter().map(|a| a.len()).sum::<usize>());
    out.extend_from_slice(&(count as u32).to_le_bytes());
    for w in std::iter::once(name).chain(args.iter().copied()) {
        out.extend_from_slice(&(w.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(name);
    for a in args {
        out.extend_from_slice(a);
    }
}

/// Runs `f` with `name` and `args` packed, in this thread's buffer (or a
/// new one if a call is already using it).
fn with_words<R>(name: &[u8], args: &[&[u8]], f: impl FnOnce(&[u8]) -> R) -> R {
    WORDS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            pack(&mut buf, name, args);
            f(&buf)
        }
        Err(_) => {
            let mut buf = Vec::new();
            pack(&mut buf, name, args);
            f(&buf)
        }
    })
}

fn is_bytes(t: &Type) -> bool {
    matches!(t, Type::List(l) if l.ty() == Type::U8)
}

fn is_list_of_bytes(t: &Type) -> bool {
    matches!(t, Type::List(l) if is_bytes(&l.ty()))
}

/// Whether variant `t` has exactly these cases, in order, with payloads
/// that `payload` accepts.
fn is_variant(t: &Type, cases: &[&str], payload: impl Fn(&str, Option<&Type>) -> bool) -> bool {
    let Type::Variant(v) = t else { return false };
    v.cases().len() == cases.len()
        && v.cases()
            .zip(cases)
            .all(|(c, want)| c.name == *want && payload(want, c.ty.as_ref()))
}

fn is_hook_event(t: &Type) -> bool {
    matches!(t, Type::Enum(e) if e.names().eq(["before-command", "after-command", "on-key-write", "on-event"]))
}

fn is_hook_event_v1(t: &Type) -> bool {
    matches!(t, Type::Enum(e) if e.names().eq(["before-command", "after-command", "on-key-write"]))
}

fn is_hook_result(result: Option<&Type>) -> bool {
    result.is_some_and(|r| {
        is_variant(r, &["continue", "abort"], |case, ty| match case {
            "abort" => ty == Some(&Type::String),
            _ => ty.is_none(),
        })
    })
}

fn is_hook(params: &[Type], result: Option<&Type>) -> bool {
    let words = match params {
        [event, words, Type::Option(key)] if key.ty() == Type::U32 => {
            (is_hook_event(event) || is_hook_event_v1(event)) && is_bytes(words)
        }
        [event, Type::String, args, Type::Option(key)] => {
            is_hook_event_v1(event) && is_list_of_bytes(args) && is_bytes(&key.ty())
        }
        _ => false,
    };
    words && is_hook_result(result)
}

/// A hook of custom events: the words ABI with `on-event` in its `hook-event`.
fn is_event_hook(params: &[Type], result: Option<&Type>) -> bool {
    matches!(params, [event, words, Type::Option(key)]
        if key.ty() == Type::U32 && is_hook_event(event) && is_bytes(words))
        && is_hook_result(result)
}

fn is_command(params: &[Type], result: Option<&Type>) -> bool {
    let args_ok = match params {
        [words] => is_bytes(words),
        [Type::String, args] => is_list_of_bytes(args),
        _ => false,
    };
    if !args_ok {
        return false;
    }
    let frame = |t: &Type| {
        is_variant(
            t,
            &[
                "ok", "simple", "bulk", "integer", "double", "null", "array", "error",
            ],
            |case, ty| match case {
                "ok" | "null" => ty.is_none(),
                "simple" | "error" => ty == Some(&Type::String),
                "bulk" => ty.is_some_and(is_bytes),
                "integer" => ty == Some(&Type::S64),
                "double" => ty == Some(&Type::Float64),
                "array" => ty == Some(&Type::U32),
                _ => false,
            },
        )
    };
    let error = |t: &Type| {
        is_variant(
            t,
            &["permission-denied", "not-found", "invalid-argument", "host"],
            |_, ty| ty == Some(&Type::String),
        )
    };
    matches!(result, Some(Type::Result(r))
            if r.ok().is_some_and(|ok| matches!(&ok, Type::List(l) if frame(&l.ty())))
                && r.err().is_some_and(|e| error(&e)))
}

type Matcher = fn(&[Type], Option<&Type>) -> bool;

/// Checks that every command and hook export has its fixed signature, so
/// that calling it through the typed functions above is sound.
pub(crate) fn check_signatures(
    functions: &[FunctionInfo],
    entries: &Entries,
) -> Result<(), CheckError> {
    let exports = entries
        .commands
        .iter()
        .map(|c| (&c.export, COMMAND_SIGNATURE, is_command as Matcher))
        .chain(entries.hooks.iter().map(|h| {
            let matches = if h.event == HookEvent::OnEvent {
                is_event_hook as Matcher
            } else {
                is_hook as Matcher
            };
            (&h.export, HOOK_SIGNATURE, matches)
        }));
    for (export, signature, matches) in exports {
        let Some(f) = functions.iter().find(|f| f.wit_name == *export) else {
            continue; // `Surface::check` reports a missing export.
        };
        let params: Vec<Type> = f.params.iter().map(|(_, t, _)| t.clone()).collect();
        if !matches(&params, f.result.as_ref().map(|(t, _)| t)) {
            return Err(CheckError::EntrySignature {
                export: export.clone(),
                expected: signature,
            });
        }
    }
    Ok(())
}

/// What a hook decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookOutcome {
    /// Go on.
    Continue,
    /// Refuse the command with this message.
    Abort(String),
}

/// What a hook is told.
#[derive(Debug, Clone, Copy)]
pub struct HookCall<'a> {
    /// When.
    pub event: HookEvent,
    /// The command, upper-case; for [`HookEvent::OnEvent`], the event's name
    /// (and `args` its payload alone).
    pub command: &'a str,
    /// Its arguments after the name.
    pub args: &'a [&'a [u8]],
    /// Which of `args` is the key: the key written (`on_key_write`), or the
    /// first key the command touches.
    pub key: Option<usize>,
}

/// A command's or hook's result, with what it consumed and logged.
#[derive(Debug)]
pub struct EntryReport<T> {
    /// The result, or why the call failed.
    pub result: Result<T, CallError>,
    /// Fuel used, when metered.
    pub fuel_used: Option<u64>,
    /// What the plugin logged.
    pub logs: Vec<LogRecord>,
}

/// The text of an error reply for an `err(e)` a plugin returned: `ERR` and
/// the message. The SDK's `error` variant (`invalid-argument("...")`) reads
/// as `ERR invalid argument: ...`; other values as text or WAVE.
pub fn error_text(e: Option<Val>) -> String {
    let wave =
        |v: &Val| wasmtime::component::wasm_wave::to_string(v).unwrap_or_else(|e| e.to_string());
    match e {
        None => "ERR the call failed".into(),
        Some(Val::String(s)) => format!("ERR {s}"),
        Some(Val::Variant(case, Some(payload))) => match *payload {
            Val::String(message) => format!("ERR {}: {message}", case.replace('-', " ")),
            other => format!("ERR {}: {}", case.replace('-', " "), wave(&other)),
        },
        Some(Val::Enum(case)) | Some(Val::Variant(case, None)) => {
            format!("ERR {}", case.replace('-', " "))
        }
        Some(other) => format!("ERR {}", wave(&other)),
    }
}

/// The text of a command's `err(e)`, as [`error_text`] writes it.
fn wit_error_text(e: WitError) -> String {
    let (case, message) = match e {
        WitError::PermissionDenied(m) => ("permission denied", m),
        WitError::NotFound(m) => ("not found", m),
        WitError::InvalidArgument(m) => ("invalid argument", m),
        WitError::Host(m) => ("host", m),
    };
    format!("ERR {case}: {message}")
}

impl Host {
    /// Runs custom command `command` of `plugin` with the arguments after
    /// its name. An `Err` the command returned is an [`Frame::Error`] reply;
    /// a trap or a limit is a [`CallError`].
    pub fn call_command(
        &self,
        plugin: &Arc<Plugin>,
        command: &CommandEntry,
        args: &[&[u8]],
        opts: &CallOptions,
    ) -> EntryReport<Vec<Frame>> {
        self.call_entry(plugin, &command.export, opts, |store, func, abi| {
            // SAFETY: `check_signatures` checked the export's type at load, and
            // `abi` tells which of the two it is.
            let reply = if abi == EntryAbi::V1 {
                let f: CommandFuncV1<'_> = unsafe { TypedFunc::new_unchecked(func) };
                f.call(store, (&command.name, args))?.0
            } else {
                let f: CommandFunc<'_> = unsafe { TypedFunc::new_unchecked(func) };
                with_words(command.name.as_bytes(), args, |words| {
                    f.call(store, (words,))
                })?
                .0
            };
            Ok(match reply {
                Ok(frames) => frames,
                Err(e) => vec![Frame::Error(wit_error_text(e))],
            })
        })
    }

    /// Runs `hook` of `plugin` for `event`.
    pub fn call_hook(
        &self,
        plugin: &Arc<Plugin>,
        hook: &HookEntry,
        event: &HookCall<'_>,
        opts: &CallOptions,
    ) -> EntryReport<HookOutcome> {
        let kind = match event.event {
            HookEvent::BeforeCommand => WitHookEvent::BeforeCommand,
            HookEvent::AfterCommand => WitHookEvent::AfterCommand,
            HookEvent::OnKeyWrite => WitHookEvent::OnKeyWrite,
            HookEvent::OnEvent => WitHookEvent::OnEvent,
        };
        let key = event.key.filter(|&i| i < event.args.len());
        self.call_entry(plugin, &hook.export, opts, |store, func, abi| {
            let old = || match kind {
                WitHookEvent::BeforeCommand => Ok(WitHookEventV1::BeforeCommand),
                WitHookEvent::AfterCommand => Ok(WitHookEventV1::AfterCommand),
                WitHookEvent::OnKeyWrite => Ok(WitHookEventV1::OnKeyWrite),
                // Host API 0.1.0 had no custom events, so no entry built for it asks for them.
                WitHookEvent::OnEvent => Err(wasmtime::Error::msg(
                    "a hook built against host API 0.1.0 cannot receive custom events",
                )),
            };
            // SAFETY: `check_signatures` checked the export's type at load, and
            // `abi` tells which of the three it is.
            let result = if abi == EntryAbi::V1 {
                let kind = old()?;
                let f: HookFuncV1<'_> = unsafe { TypedFunc::new_unchecked(func) };
                let key = key.map(|i| event.args[i]);
                f.call(store, (kind, event.command, event.args, key))?.0
            } else if abi == EntryAbi::WordsOld {
                let f: HookFuncOld<'_> = unsafe { TypedFunc::new_unchecked(func) };
                let (kind, key) = (old()?, key.map(|i| i as u32));
                with_words(event.command.as_bytes(), event.args, |words| {
                    f.call(store, (kind, words, key))
                })?
                .0
            } else {
                let f: HookFunc<'_> = unsafe { TypedFunc::new_unchecked(func) };
                let key = key.map(|i| i as u32);
                with_words(event.command.as_bytes(), event.args, |words| {
                    f.call(store, (kind, words, key))
                })?
                .0
            };
            Ok(match result {
                WitHookResult::Continue => HookOutcome::Continue,
                WitHookResult::Abort(message) => HookOutcome::Abort(message),
            })
        })
    }

    /// Runs `call` on entry export `export` of `plugin`, under its limits.
    fn call_entry<T>(
        &self,
        plugin: &Arc<Plugin>,
        export: &str,
        opts: &CallOptions,
        call: impl FnOnce(
            &mut wasmtime::Store<crate::state::CallState>,
            wasmtime::component::Func,
            EntryAbi,
        ) -> wasmtime::Result<T>,
    ) -> EntryReport<T> {
        let index = match plugin.index_of(export) {
            Ok(i) => i,
            Err(e) => {
                return EntryReport {
                    result: Err(e),
                    fuel_used: None,
                    logs: Vec::new(),
                };
            }
        };
        let f = &plugin.functions[index];
        let abi = plugin.entry_abi[index];
        let (result, fuel_used, logs, _) =
            self.with_instance(plugin, index, opts, |store, func| {
                call(store, func, abi)
                    .map_err(|e| crate::call::classify(e, &f.name, plugin, store.data()))
            });
        EntryReport {
            result,
            fuel_used,
            logs,
        }
    }
}

/// Which of the entry signatures an export has, worked out once at load
/// (`check_signatures` has checked it is one of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryAbi {
    /// SDK 0.1.0's: the command's name apart from its arguments.
    V1,
    /// The packed words, with host API 0.1.0's `hook-event` (no `on-event`).
    WordsOld,
    /// The packed words (and for hooks today's `hook-event`).
    Words,
}

/// The entry signature of `f` (`Words` for what is not an entry).
pub(crate) fn entry_abi(f: &FunctionInfo) -> EntryAbi {
    if matches!(f.params.first(), Some((_, Type::String, _)))
        || matches!(f.params.get(1), Some((_, Type::String, _)))
    {
        EntryAbi::V1
    } else if f
        .params
        .first()
        .is_some_and(|(_, t, _)| is_hook_event_v1(t))
    {
        EntryAbi::WordsOld
    } else {
        EntryAbi::Words
    }
}

impl Plugin {
    /// Its custom commands and hooks.
    pub fn entries(&self) -> &crate::entries::Entries {
        &self.surface.entries
    }
}
