//! Calling a plugin's custom commands and hooks (see [`crate::entries`]).

use std::sync::Arc;

use wasmtime::component::Val;

use crate::call::{CallOptions, CallReport};
use crate::entries::{CommandEntry, HookEntry, HookEvent};
use crate::error::CallError;
use crate::host::Host;
use crate::plugin::Plugin;
use crate::state::LogRecord;

/// One frame of a command's reply, in pre-order: `Array(n)` is followed by
/// the frames of its `n` items.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// `+OK`.
    Ok,
    /// A simple string.
    Simple(String),
    /// A bulk string.
    Bulk(Vec<u8>),
    /// An integer.
    Integer(i64),
    /// A double.
    Double(f64),
    /// Null.
    Null,
    /// An array of this many items, whose frames follow.
    Array(u32),
    /// An error reply (`ERR ...`).
    Error(String),
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
    /// The command, upper-case.
    pub command: &'a str,
    /// Its arguments after the name.
    pub args: &'a [&'a [u8]],
    /// The key written (`on_key_write`), or the first key the command touches.
    pub key: Option<&'a [u8]>,
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

fn bytes(b: &[u8]) -> Val {
    Val::List(b.iter().map(|&x| Val::U8(x)).collect())
}

fn list_of_bytes(args: &[&[u8]]) -> Val {
    Val::List(args.iter().map(|a| bytes(a)).collect())
}

fn unbytes(v: Val) -> Option<Vec<u8>> {
    let Val::List(items) = v else { return None };
    items
        .into_iter()
        .map(|i| match i {
            Val::U8(b) => Some(b),
            _ => None,
        })
        .collect()
}

fn unexpected(what: &str, v: &impl std::fmt::Debug) -> CallError {
    CallError::Host(format!("the {what} returned an unexpected value: {v:?}"))
}

fn frame(v: Val) -> Option<Frame> {
    let Val::Variant(case, payload) = v else {
        return None;
    };
    let payload = payload.map(|p| *p);
    Some(match (case.as_str(), payload) {
        ("ok", None) => Frame::Ok,
        ("simple", Some(Val::String(s))) => Frame::Simple(s),
        ("bulk", Some(b)) => Frame::Bulk(unbytes(b)?),
        ("integer", Some(Val::S64(n))) => Frame::Integer(n),
        ("double", Some(Val::Float64(d))) => Frame::Double(d),
        ("null", None) => Frame::Null,
        ("array", Some(Val::U32(n))) => Frame::Array(n),
        ("error", Some(Val::String(s))) => Frame::Error(s),
        _ => return None,
    })
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

fn report<T>(
    r: CallReport,
    convert: impl FnOnce(Option<Val>) -> Result<T, CallError>,
) -> EntryReport<T> {
    EntryReport {
        result: r.result.and_then(convert),
        fuel_used: r.fuel_used,
        logs: r.logs,
    }
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
        let vals = [Val::String(command.name.clone()), list_of_bytes(args)];
        let r = self.call_plugin(plugin, &command.export, &vals, opts);
        report(r, |v| match v {
            Some(Val::Result(Ok(Some(list)))) => match *list {
                Val::List(items) => items
                    .into_iter()
                    .map(|i| frame(i.clone()).ok_or_else(|| unexpected("command", &i)))
                    .collect(),
                other => Err(unexpected("command", &other)),
            },
            Some(Val::Result(Err(e))) => Ok(vec![Frame::Error(error_text(e.map(|e| *e)))]),
            other => Err(unexpected("command", &other)),
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
        let vals = [
            Val::Enum(event.event.wit_case().into()),
            Val::String(event.command.into()),
            list_of_bytes(event.args),
            Val::Option(event.key.map(|k| Box::new(bytes(k)))),
        ];
        let r = self.call_plugin(plugin, &hook.export, &vals, opts);
        report(r, |v| match v {
            Some(Val::Variant(case, None)) if case == "continue" => Ok(HookOutcome::Continue),
            Some(Val::Variant(case, Some(p))) if case == "abort" => match *p {
                Val::String(message) => Ok(HookOutcome::Abort(message)),
                other => Err(unexpected("hook", &other)),
            },
            other => Err(unexpected("hook", &other)),
        })
    }
}

impl Plugin {
    /// Its custom commands and hooks.
    pub fn entries(&self) -> &crate::entries::Entries {
        &self.surface.entries
    }
}
