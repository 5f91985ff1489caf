//! `server.call` for plugins: a plugin runs the server's commands on the
//! database of the session that called it, without hooks.
//!
//! The command table decides: a command flagged [`NO_PLUGIN`] is refused
//! (it reaches beyond the plugin's database or the calling session, or
//! manages the server), and in a read-only call so is every [`WRITE`]
//! command. The reply comes back as frames in pre-order; an error reply is
//! `KvError::Command` with Redis's text.
//!
//! It also delivers custom events (`events.emit`): the hooks subscribed to
//! the event's name run one after the other on the emitting thread, each
//! under its plugin's limits, on the emitter's database. Events emitted by
//! those hooks nest; past [`MAX_EVENT_DEPTH`] an emit fails, which ends a
//! loop of events that lead back to each other.
//!
//! [`NO_PLUGIN`]: crate::commands::NO_PLUGIN
//! [`WRITE`]: crate::commands::WRITE

use std::sync::Weak;

use bytes::BytesMut;
use std::cell::Cell;

use ferrite_plugin_host::entries::HookEvent;
use ferrite_plugin_host::server_call::{Emit, ServerCall, ServerCommands};
use ferrite_plugin_host::{Frame, HookCall, HookOutcome, KvError};

use crate::commands::{self, Cmd, Upper, wrong_arity};
use crate::reply::{Out, Protocol, Reply};
use crate::server::{Inner, lock, unknown};
use crate::types::{self, Ctx};

/// `server.call` on one database. It holds the server weakly: the server
/// owns it (in the options of every plugin call), not the other way round.
pub(crate) struct PluginCommands {
    server: Weak<Inner>,
    db: usize,
}

impl PluginCommands {
    pub(crate) fn new(server: Weak<Inner>, db: usize) -> PluginCommands {
        PluginCommands { server, db }
    }
}

/// Why a plugin may never run `cmd`.
fn refusal(cmd: Cmd) -> &'static str {
    match cmd {
        Cmd::Flushdb => "it would empty the whole database",
        Cmd::Flushall | Cmd::Move | Cmd::Swapdb => "it reaches beyond the plugin's database",
        Cmd::Subscribe | Cmd::Unsubscribe | Cmd::Psubscribe | Cmd::Punsubscribe | Cmd::Pubsub => {
            "subscriptions belong to a client connection (PUBLISH is allowed)"
        }
        Cmd::Multi | Cmd::Exec | Cmd::Discard | Cmd::Watch | Cmd::Unwatch => {
            "transactions belong to a client connection, and a plugin call already runs as one command"
        }
        Cmd::Select | Cmd::Quit | Cmd::Hello | Cmd::Client | Cmd::Reset => {
            "it changes the client connection's state"
        }
        Cmd::Fcall | Cmd::FcallRo | Cmd::WasmCall | Cmd::WasmCallRo => {
            "a plugin may not call functions (no re-entry)"
        }
        _ => "it manages the server or its plugins",
    }
}

fn error_text(reply: &Reply) -> String {
    match reply {
        Reply::Error(e) => e.clone(),
        other => format!("ERR {other:?}"),
    }
}

/// How deep custom events nest: an event emitted by a hook of an event
/// emitted by a hook ... of a command's plugin call.
pub const MAX_EVENT_DEPTH: u32 = 8;

thread_local! {
    /// How many event deliveries this thread is inside.
    static EVENT_DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Leaves one level of event delivery when dropped.
struct Nested;

impl Nested {
    fn enter() -> Option<Nested> {
        let depth = EVENT_DEPTH.get();
        (depth < MAX_EVENT_DEPTH).then(|| {
            EVENT_DEPTH.set(depth + 1);
            Nested
        })
    }
}

impl Drop for Nested {
    fn drop(&mut self) {
        EVENT_DEPTH.set(EVENT_DEPTH.get().saturating_sub(1));
    }
}

impl ServerCommands for PluginCommands {
    fn emit(&self, event: &Emit<'_>) -> Result<u32, KvError> {
        let Some(inner) = self.server.upgrade() else {
            return Err(KvError::Failed("the server has stopped".into()));
        };
        let Some(_nested) = Nested::enter() else {
            return Err(KvError::InvalidArgument(format!(
                "event `{}` from plugin `{}` is not delivered: events nest at most {MAX_EVENT_DEPTH} deep (do the hooks of the events it was emitted inside emit events that lead back to it?)",
                event.name, event.plugin
            )));
        };
        let dispatch = inner.dispatch();
        let opts = inner.call_options(self.db, event.read_only);
        let payload = [event.payload];
        let call = HookCall {
            event: HookEvent::OnEvent,
            command: event.name,
            args: &payload,
            key: None,
        };
        let mut delivered = 0;
        for (plugin, hook, stats) in dispatch
            .on_event
            .iter()
            .filter(|(_, h, _)| h.wants(event.name))
        {
            let started = crate::stats::now();
            let report = inner.host().call_hook(plugin, hook, &call, opts);
            stats.hooks.record(started, report.result.is_err());
            crate::server::log_records(plugin.name(), &report.logs);
            match report.result {
                Ok(HookOutcome::Continue) => delivered += 1,
                Ok(HookOutcome::Abort(why)) => {
                    return Err(KvError::InvalidArgument(format!(
                        "hook `{}` of plugin `{}` refused event `{}`: {why}",
                        hook.function,
                        plugin.name(),
                        event.name
                    )));
                }
                Err(e) => {
                    return Err(KvError::Failed(format!(
                        "hook `{}` of plugin `{}` failed on event `{}`: {e}",
                        hook.function,
                        plugin.name(),
                        event.name
                    )));
                }
            }
        }
        Ok(delivered)
    }

    fn call(&self, call: &ServerCall<'_>) -> Result<Vec<Frame>, KvError> {
        let Some(name) = call.args.first() else {
            return Err(KvError::Command(
                "ERR server.call needs a command name".into(),
            ));
        };
        let upper = Upper::new(name);
        let shown = String::from_utf8_lossy(upper.as_bytes()).into_owned();
        if shown.starts_with("WASM.") || shown.starts_with("PLUGIN.") {
            return Err(KvError::PermissionDenied(format!(
                "{shown} may not be run by a plugin: it manages the server or its plugins"
            )));
        }
        let Some(command) = commands::lookup(&upper) else {
            return Err(KvError::Command(error_text(&unknown(
                name,
                &call.args[1..],
            ))));
        };
        if !command.is_plugin_callable() {
            return Err(KvError::PermissionDenied(format!(
                "{} may not be run by a plugin: {}",
                command.name,
                refusal(command.cmd)
            )));
        }
        if call.read_only && command.is_refused_read_only() {
            return Err(KvError::PermissionDenied(format!(
                "{} writes, and this call of plugin `{}` is read-only (FCALL_RO, WASM.CALL_RO)",
                command.name, call.plugin
            )));
        }
        if !command.accepts(call.args.len()) {
            return Err(KvError::Command(error_text(&wrong_arity(command.name))));
        }
        let Some(inner) = self.server.upgrade() else {
            return Err(KvError::Failed("the server has stopped".into()));
        };
        let rest = &call.args[1..];
        let mut buf = BytesMut::new();
        let mut out = Out::new(&mut buf, Protocol::Resp3);
        match command.cmd {
            Cmd::Ping => match rest {
                [] => out.simple("PONG"),
                [msg] => out.bulk(msg),
                _ => out.reply(&wrong_arity(command.name)),
            },
            Cmd::Echo => out.bulk(rest[0]),
            Cmd::Publish => {
                let n = lock(inner.pubsub()).publish(rest[0], rest[1]);
                out.integer(i64::try_from(n).unwrap_or(i64::MAX));
            }
            cmd => {
                let ctx = Ctx {
                    db: &inner.dbs[self.db],
                    dbs: &inner.dbs,
                };
                if !types::execute(ctx, cmd, rest, &mut out) {
                    return Err(KvError::Command(format!(
                        "ERR {} is not available through server.call",
                        command.name
                    )));
                }
            }
        }
        let frames = decode(&buf).ok_or_else(|| {
            KvError::Failed(format!(
                "the reply of {} could not be read back",
                command.name
            ))
        })?;
        match frames.first() {
            Some(Frame::Error(e)) => Err(KvError::Command(e.clone())),
            _ => Ok(frames),
        }
    }
}

/// A RESP3 reply, as this server writes them, as frames in pre-order: maps
/// become arrays of twice as many items, sets and pushes arrays, booleans
/// integers.
fn decode(buf: &[u8]) -> Option<Vec<Frame>> {
    fn line<'a>(buf: &'a [u8], at: &mut usize) -> Option<&'a [u8]> {
        let start = *at;
        let end = start + buf.get(start..)?.windows(2).position(|w| w == b"\r\n")?;
        *at = end + 2;
        Some(&buf[start..end])
    }
    fn number(bytes: &[u8]) -> Option<i64> {
        std::str::from_utf8(bytes).ok()?.parse().ok()
    }
    fn one(buf: &[u8], at: &mut usize, frames: &mut Vec<Frame>, depth: usize) -> Option<()> {
        if depth > 64 {
            return None;
        }
        let kind = *buf.get(*at)?;
        *at += 1;
        let body = line(buf, at)?;
        let text = || String::from_utf8_lossy(body).into_owned();
        match kind {
            b'+' if body == b"OK" => frames.push(Frame::Ok),
            b'+' => frames.push(Frame::Simple(text())),
            b'-' => frames.push(Frame::Error(text())),
            b':' => frames.push(Frame::Integer(number(body)?)),
            b'#' => frames.push(Frame::Integer(i64::from(body == b"t"))),
            b'_' => frames.push(Frame::Null),
            b',' => frames.push(Frame::Double(match body {
                b"inf" => f64::INFINITY,
                b"-inf" => f64::NEG_INFINITY,
                b"nan" => f64::NAN,
                _ => std::str::from_utf8(body).ok()?.parse().ok()?,
            })),
            b'$' => {
                let n = number(body)?;
                if n < 0 {
                    frames.push(Frame::Null);
                } else {
                    let n = usize::try_from(n).ok()?;
                    let bytes = buf.get(*at..*at + n)?.to_vec();
                    *at += n + 2;
                    frames.push(Frame::Bulk(bytes));
                }
            }
            b'*' | b'~' | b'>' | b'%' => {
                let n = number(body)?;
                if n < 0 {
                    frames.push(Frame::Null);
                    return Some(());
                }
                let items = if kind == b'%' { n.checked_mul(2)? } else { n };
                frames.push(Frame::Array(u32::try_from(items).ok()?));
                for _ in 0..items {
                    one(buf, at, frames, depth + 1)?;
                }
            }
            _ => return None,
        }
        Some(())
    }
    let mut frames = Vec::new();
    let mut at = 0;
    one(buf, &mut at, &mut frames, 0)?;
    (at == buf.len()).then_some(frames)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Server, ServerConfig};
    use ferrite_plugin_host::HostConfig;

    fn server() -> Server {
        Server::new(
            HostConfig {
                pool_size: 0,
                ..HostConfig::default()
            },
            ServerConfig::default(),
        )
        .unwrap()
    }

    fn call(c: &PluginCommands, read_only: bool, args: &[&str]) -> Result<Vec<Frame>, KvError> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        c.call(&ServerCall {
            args: &args,
            read_only,
            plugin: "test",
        })
    }

    fn bulk(s: &str) -> Frame {
        Frame::Bulk(s.as_bytes().to_vec())
    }

    #[test]
    fn plugins_run_commands_on_their_database() {
        let server = server();
        let c = server.plugin_commands(3);
        assert_eq!(
            call(&c, false, &["HSET", "h", "f", "v", "g", "w"]),
            Ok(vec![Frame::Integer(2)])
        );
        assert_eq!(call(&c, true, &["HGET", "h", "f"]), Ok(vec![bulk("v")]));
        assert_eq!(
            call(&c, true, &["hget", "h", "none"]),
            Ok(vec![Frame::Null])
        );
        assert_eq!(
            call(&c, true, &["HGETALL", "h"]),
            Ok(vec![
                Frame::Array(4),
                bulk("f"),
                bulk("v"),
                bulk("g"),
                bulk("w")
            ])
        );
        assert_eq!(server.db(3).unwrap().len(), 1);
        assert!(server.keyspace().is_empty(), "database 0 is untouched");
        call(&c, false, &["ZADD", "z", "1.5", "a"]).unwrap();
        assert_eq!(
            call(&c, true, &["ZSCORE", "z", "a"]),
            Ok(vec![Frame::Double(1.5)])
        );
        assert_eq!(
            call(&c, true, &["PING"]),
            Ok(vec![Frame::Simple("PONG".into())])
        );
        assert_eq!(call(&c, false, &["SET", "s", "x"]), Ok(vec![Frame::Ok]));
        assert_eq!(
            call(&c, true, &["SMEMBERS", "none"]),
            Ok(vec![Frame::Array(0)])
        );
    }

    #[test]
    fn errors_are_redis_texts() {
        let server = server();
        let c = server.plugin_commands(0);
        call(&c, false, &["SET", "s", "x"]).unwrap();
        assert_eq!(
            call(&c, true, &["HGET", "s", "f"]),
            Err(KvError::Command(
                "WRONGTYPE Operation against a key holding the wrong kind of value".into()
            ))
        );
        assert_eq!(
            call(&c, true, &["GET"]),
            Err(KvError::Command(
                "ERR wrong number of arguments for 'get' command".into()
            ))
        );
        assert_eq!(
            call(&c, false, &["INCR", "s"]),
            Err(KvError::Command(
                "ERR value is not an integer or out of range".into()
            ))
        );
        let Err(KvError::Command(e)) = call(&c, true, &["NO.SUCH", "a"]) else {
            panic!("an unknown command is a command error");
        };
        assert!(e.starts_with("ERR unknown command 'NO.SUCH'"), "{e}");
    }

    #[test]
    fn plugins_are_refused_what_they_may_not_run() {
        let server = server();
        let c = server.plugin_commands(0);
        for refused in [
            &["FLUSHALL"][..],
            &["FLUSHDB"],
            &["CONFIG", "GET", "save"],
            &["FUNCTION", "LIST"],
            &["PLUGIN", "LIST"],
            &["PLUGIN.LIST"],
            &["WASM.LOAD", "x"],
            &["SUBSCRIBE", "c"],
            &["MULTI"],
            &["EXEC"],
            &["WATCH", "k"],
            &["SELECT", "1"],
            &["SWAPDB", "0", "1"],
            &["MOVE", "k", "1"],
            &["QUIT"],
            &["HELLO", "3"],
            &["CLIENT", "ID"],
            &["FCALL", "f", "0"],
            &["FCALL_RO", "f", "0"],
        ] {
            let Err(KvError::PermissionDenied(why)) = call(&c, false, refused) else {
                panic!("{refused:?} is refused");
            };
            assert!(
                why.starts_with(&refused[0].to_ascii_uppercase()),
                "{refused:?}: {why}"
            );
        }
        let Err(KvError::PermissionDenied(why)) = call(&c, true, &["SET", "k", "v"]) else {
            panic!("a write in a read-only call is refused");
        };
        assert!(why.contains("read-only"), "{why}");
        assert!(server.keyspace().is_empty());
        assert!(matches!(
            call(&c, true, &["PUBLISH", "c", "m"]),
            Err(KvError::PermissionDenied(_))
        ));
        assert_eq!(
            call(&c, false, &["PUBLISH", "c", "m"]),
            Ok(vec![Frame::Integer(0)])
        );
    }

    #[test]
    fn replies_decode_to_frames_in_pre_order() {
        assert_eq!(
            decode(b"*2\r\n%1\r\n$1\r\na\r\n,1.5\r\n~0\r\n"),
            Some(vec![
                Frame::Array(2),
                Frame::Array(2),
                bulk("a"),
                Frame::Double(1.5),
                Frame::Array(0)
            ])
        );
        assert_eq!(decode(b"_\r\n"), Some(vec![Frame::Null]));
        assert_eq!(decode(b"*1\r\n"), None);
        assert_eq!(decode(b"$5\r\nab"), None);
    }
}
