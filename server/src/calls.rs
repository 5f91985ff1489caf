//! `server.call` for plugins: a plugin runs the server's commands on the
//! database of the session that called it, without hooks.
//!
//! The command table decides: a command flagged [`NO_PLUGIN`] is refused
//! (it reaches beyond the plugin's database or the calling session, or
//! manages the server), and in a read-only call so is every [`WRITE`]
//! command. Every key of the command (by the table's key positions) must be
//! in the plugin's `keys`: written by a [`WRITE`] command, else read; a
//! command flagged [`EVERY_KEY`] (`KEYS`, `SCAN`, ...), which reaches keys
//! it does not name, runs only for a plugin granted every key. The reply
//! comes back as frames in pre-order; an error reply is `KvError::Command`
//! with Redis's text.
//!
//! It also delivers custom events (`events.emit`): the hooks subscribed to
//! the event's name run one after the other on the emitting thread, each
//! under its plugin's limits, on the emitter's database. Events emitted by
//! those hooks nest; past [`MAX_EVENT_DEPTH`] an emit fails, which ends a
//! loop of events that lead back to each other.
//!
//! [`NO_PLUGIN`]: crate::commands::NO_PLUGIN
//! [`WRITE`]: crate::commands::WRITE
//! [`EVERY_KEY`]: crate::commands::EVERY_KEY

use std::sync::Weak;

use bytes::BytesMut;
use std::cell::Cell;

use ferrite_plugin_host::entries::HookEvent;
use ferrite_plugin_host::server_call::{Emit, ServerCall, ServerCommands};
use ferrite_plugin_host::{Frame, HookCall, HookOutcome, KvError};

use crate::commands::{self, Cmd, Command, Upper, wrong_arity};
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

/// Why `call` may not run `command` with the keys the plugin was granted:
/// the first of its keys outside them, or, for a command that reaches keys
/// it does not name, a scope short of every key. `None` if it may run.
fn out_of_scope(command: &Command, call: &ServerCall<'_>) -> Option<String> {
    let keys = call.keys;
    if keys.is_all() {
        return None;
    }
    let write = command.is_write();
    if command.reaches_every_key() {
        let granted = if write {
            keys.is_all()
        } else {
            keys.reads_all()
        };
        return (!granted).then(|| keys.refusal_of_every_key(call.plugin, command.name, write));
    }
    command
        .keys(call.args)
        .find(|key| {
            if write {
                !keys.may_write(key)
            } else {
                !keys.may_read(key)
            }
        })
        .map(|key| keys.refusal(call.plugin, key, write, Some(command.name)))
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
        if let Some(why) = out_of_scope(command, call) {
            return Err(KvError::PermissionDenied(why));
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
    use ferrite_plugin_host::scope::KeyScope;

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
        scoped(c, &KeyScope::all(), read_only, args)
    }

    /// `call` from a plugin whose `keys` are `keys`.
    fn scoped(
        c: &PluginCommands,
        keys: &KeyScope,
        read_only: bool,
        args: &[&str],
    ) -> Result<Vec<Frame>, KvError> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        c.call(&ServerCall {
            args: &args,
            read_only,
            plugin: "test",
            keys,
        })
    }

    fn refused(r: Result<Vec<Frame>, KvError>) -> String {
        match r {
            Err(KvError::PermissionDenied(why)) => why,
            other => panic!("expected a permission error, got {other:?}"),
        }
    }

    #[test]
    fn every_key_of_a_command_must_be_in_the_plugins_scope() {
        let server = server();
        let c = server.plugin_commands(0);
        let mine = KeyScope::read_write(["mine:*"]).with_read(["cfg:*"]);
        call(&c, false, &["SET", "cfg:a", "1"]).unwrap();
        call(&c, false, &["SET", "other:a", "secret"]).unwrap();
        assert_eq!(
            scoped(&c, &mine, false, &["SET", "mine:a", "v"]),
            Ok(vec![Frame::Ok])
        );
        assert_eq!(
            scoped(&c, &mine, false, &["GET", "mine:a"]),
            Ok(vec![bulk("v")])
        );
        assert_eq!(
            scoped(&c, &mine, false, &["GET", "cfg:a"]),
            Ok(vec![bulk("1")])
        );
        let why = refused(scoped(&c, &mine, false, &["GET", "other:a"]));
        assert_eq!(
            why,
            "plugin `test` may not read key `other:a` with GET: its [permissions] keys are `mine:*` and read-only `cfg:*` (add a pattern that matches it in plugin.toml)"
        );
        let why = refused(scoped(&c, &mine, false, &["SET", "other:a", "x"]));
        assert!(
            why.contains("may not write key `other:a` with SET"),
            "{why}"
        );
        // A read-only key is not written, by any command that writes.
        let why = refused(scoped(&c, &mine, false, &["INCR", "cfg:a"]));
        assert!(why.contains("may not write key `cfg:a` with INCR"), "{why}");
        assert!(
            why.contains("it is read-only: add a pattern that matches it to `write`"),
            "{why}"
        );
        // Every key counts, not only the first.
        let why = refused(scoped(
            &c,
            &mine,
            false,
            &["MGET", "mine:a", "cfg:a", "other:a"],
        ));
        assert!(
            why.contains("may not read key `other:a` with MGET"),
            "{why}"
        );
        let why = refused(scoped(
            &c,
            &mine,
            false,
            &["MSET", "mine:b", "1", "other:b", "2"],
        ));
        assert!(
            why.contains("may not write key `other:b` with MSET"),
            "{why}"
        );
        assert!(
            refused(scoped(&c, &mine, false, &["RENAME", "mine:a", "other:z"]))
                .contains("`other:z`")
        );
        assert_eq!(
            scoped(&c, &mine, false, &["DEL", "mine:a", "mine:b"]),
            Ok(vec![Frame::Integer(1)])
        );
        // Nothing refused ran.
        assert_eq!(
            call(&c, false, &["GET", "other:a"]),
            Ok(vec![bulk("secret")])
        );
        assert_eq!(
            call(&c, false, &["EXISTS", "other:b", "other:z", "mine:b"]),
            Ok(vec![Frame::Integer(0)])
        );
        assert_eq!(call(&c, false, &["GET", "cfg:a"]), Ok(vec![bulk("1")]));
        // A command without keys needs none.
        assert_eq!(
            scoped(&c, &mine, false, &["PING"]),
            Ok(vec![Frame::Simple("PONG".into())])
        );
    }

    #[test]
    fn commands_that_reach_keys_they_do_not_name_need_every_key() {
        let server = server();
        let c = server.plugin_commands(0);
        call(&c, false, &["SET", "other:a", "secret"]).unwrap();
        let mine = KeyScope::read_write(["mine:*"]);
        for words in [
            &["KEYS", "*"][..],
            &["KEYS", "mine:*"],
            &["SCAN", "0"],
            &["RANDOMKEY"],
            &["DBSIZE"],
            &["INFO"],
        ] {
            let why = refused(scoped(&c, &mine, false, words));
            assert!(
                why.starts_with(&format!(
                    "plugin `test` may not run {}: it reaches every key",
                    words[0]
                )),
                "{words:?}: {why}"
            );
            assert!(why.contains("`keys = true`"), "{why}");
        }
        // Reading every key is enough for those that only read.
        let reader = KeyScope::read_write(["mine:*"]).with_read(["*"]);
        assert_eq!(
            scoped(&c, &reader, false, &["KEYS", "*"]),
            Ok(vec![Frame::Array(1), bulk("other:a")])
        );
        assert_eq!(
            scoped(&c, &reader, true, &["DBSIZE"]),
            Ok(vec![Frame::Integer(1)])
        );
        assert_eq!(call(&c, false, &["RANDOMKEY"]), Ok(vec![bulk("other:a")]));
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
