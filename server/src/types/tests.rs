//! The data commands' tests: each command run as the server runs it, the
//! reply read back.

use std::sync::Arc;
use std::thread::sleep;
use std::time::Duration;

use ferrite_plugin_host::MemoryKeyspace;

use super::generic::unix_ms_now;
use super::*;
use crate::commands::wrong_arity;
use crate::reply::{Out, Protocol, Reply};

/// Sixteen databases; a test's commands run on the first.
pub(super) struct Ks(Vec<Arc<MemoryKeyspace>>);

impl Ks {
    pub(super) fn new() -> Ks {
        Ks((0..16).map(|_| Arc::new(MemoryKeyspace::new())).collect())
    }

    pub(super) fn db(&self, i: usize) -> &MemoryKeyspace {
        &self.0[i]
    }
}

impl std::ops::Deref for Ks {
    type Target = MemoryKeyspace;
    fn deref(&self) -> &MemoryKeyspace {
        &self.0[0]
    }
}

/// Runs `command` (its name in any case) and returns the reply.
pub(super) fn run(ks: &Ks, command: &[&str]) -> Reply {
    try_run(ks, command).expect("a data command")
}

pub(super) fn try_run(ks: &Ks, command: &[&str]) -> Option<Reply> {
    let args: Vec<&[u8]> = command.iter().map(|a| a.as_bytes()).collect();
    run_bytes(ks, &args)
}

/// What the server does with a data command: look it up, check its
/// arity, run it; the reply read back from its RESP2 encoding.
pub(super) fn run_bytes(ks: &Ks, args: &[&[u8]]) -> Option<Reply> {
    run_in(ks, 0, Protocol::Resp2, args).map(|buf| crate::reply::decode(&buf))
}

/// Runs a command on database `db` in `protocol`; the raw reply.
pub(super) fn run_in(ks: &Ks, db: usize, protocol: Protocol, args: &[&[u8]]) -> Option<Vec<u8>> {
    let command = crate::commands::lookup(&crate::commands::Upper::new(args[0]))?;
    let mut buf = bytes::BytesMut::new();
    let mut out = Out::new(&mut buf, protocol);
    if !command.accepts(args.len()) {
        out.reply(&wrong_arity(command.name));
        return Some(buf.to_vec());
    }
    let ctx = Ctx {
        db: &ks.0[db],
        dbs: &ks.0,
    };
    if !execute(ctx, command.cmd, &args[1..], &mut out) {
        return None;
    }
    Some(buf.to_vec())
}

/// A command's raw RESP3 reply, as text.
pub(super) fn resp3(ks: &Ks, command: &[&str]) -> String {
    let args: Vec<&[u8]> = command.iter().map(|a| a.as_bytes()).collect();
    String::from_utf8(run_in(ks, 0, Protocol::Resp3, &args).expect("a data command")).unwrap()
}

pub(super) fn bulk(s: &str) -> Reply {
    Reply::Bulk(s.as_bytes().to_vec())
}

pub(super) fn err(s: &str) -> Reply {
    Reply::Error(s.to_string())
}

pub(super) fn int(n: i64) -> Reply {
    Reply::Integer(n)
}

pub(super) fn keys_of(reply: Reply) -> Vec<String> {
    match reply {
        Reply::Array(items) => items
            .into_iter()
            .map(|r| match r {
                Reply::Bulk(b) => String::from_utf8(b).unwrap(),
                other => panic!("not a bulk string: {other:?}"),
            })
            .collect(),
        other => panic!("not an array: {other:?}"),
    }
}

pub(super) const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub(super) const SYNTAX: &str = "ERR syntax error";

#[test]
fn unknown_commands_are_left_to_the_caller() {
    let ks = Ks::new();
    assert_eq!(try_run(&ks, &["PING"]), None);
    assert_eq!(try_run(&ks, &["FCALL", "f", "0"]), None);
    assert_eq!(try_run(&ks, &["PUBLISH", "c", "m"]), None);
    assert_eq!(try_run(&ks, &["MULTI"]), None);
}

#[test]
fn wrong_arity_is_reported_in_lower_case() {
    let ks = Ks::new();
    let cases: &[&[&str]] = &[
        &["GET"],
        &["GET", "a", "b"],
        &["SET", "k"],
        &["MGET"],
        &["MSET"],
        &["MSET", "a"],
        &["MSET", "a", "1", "b"],
        &["DEL"],
        &["EXISTS"],
        &["INCR"],
        &["INCRBY", "k"],
        &["DECR", "a", "b"],
        &["DECRBY", "k", "1", "2"],
        &["APPEND", "k"],
        &["STRLEN"],
        &["EXPIRE", "k"],
        &["PEXPIRE"],
        &["TTL"],
        &["PTTL", "a", "b"],
        &["PERSIST"],
        &["KEYS"],
        &["KEYS", "a", "b"],
        &["SCAN"],
        &["DBSIZE", "x"],
    ];
    for command in cases {
        let expected = format!(
            "ERR wrong number of arguments for '{}' command",
            command[0].to_ascii_lowercase()
        );
        assert_eq!(run(&ks, command), Reply::Error(expected), "{command:?}");
    }
    assert!(ks.is_empty());
}

#[test]
fn get_set_mget_mset() {
    let ks = Ks::new();
    assert_eq!(run(&ks, &["GET", "k"]), Reply::Null);
    assert_eq!(run(&ks, &["SET", "k", "v"]), Reply::Ok);
    assert_eq!(run(&ks, &["get", "k"]), bulk("v"));
    assert_eq!(run(&ks, &["SET", "k", ""]), Reply::Ok);
    assert_eq!(run(&ks, &["GET", "k"]), bulk(""));
    assert_eq!(run(&ks, &["MSET", "a", "1", "b", "2", "a", "3"]), Reply::Ok);
    assert_eq!(
        run(&ks, &["MGET", "a", "missing", "b", "a"]),
        Reply::Array(vec![bulk("3"), Reply::Null, bulk("2"), bulk("3")])
    );
    // Binary-safe keys and values.
    let set: &[&[u8]] = &[b"SET", b"\0\xff", b"\r\n\0"];
    assert_eq!(run_bytes(&ks, set), Some(Reply::Ok));
    let get: &[&[u8]] = &[b"GET", b"\0\xff"];
    assert_eq!(run_bytes(&ks, get), Some(Reply::Bulk(b"\r\n\0".to_vec())));
}

#[test]
fn set_nx_xx_get() {
    let ks = Ks::new();
    assert_eq!(run(&ks, &["SET", "k", "1", "XX"]), Reply::Null);
    assert_eq!(run(&ks, &["GET", "k"]), Reply::Null);
    assert_eq!(run(&ks, &["SET", "k", "1", "NX"]), Reply::Ok);
    assert_eq!(run(&ks, &["SET", "k", "2", "nx"]), Reply::Null);
    assert_eq!(run(&ks, &["GET", "k"]), bulk("1"));
    assert_eq!(run(&ks, &["SET", "k", "2", "XX"]), Reply::Ok);
    assert_eq!(run(&ks, &["GET", "k"]), bulk("2"));
    // GET returns the old value, whether or not the SET happens.
    assert_eq!(run(&ks, &["SET", "k", "3", "GET"]), bulk("2"));
    assert_eq!(run(&ks, &["SET", "new", "x", "GET"]), Reply::Null);
    assert_eq!(run(&ks, &["GET", "new"]), bulk("x"));
    assert_eq!(run(&ks, &["SET", "k", "4", "NX", "GET"]), bulk("3"));
    assert_eq!(run(&ks, &["GET", "k"]), bulk("3"));
    assert_eq!(run(&ks, &["SET", "none", "4", "XX", "GET"]), Reply::Null);
    assert_eq!(run(&ks, &["GET", "none"]), Reply::Null);
    assert_eq!(run(&ks, &["SET", "k", "5", "GET", "XX"]), bulk("3"));
    assert_eq!(run(&ks, &["GET", "k"]), bulk("5"));
    // Repeating an option is allowed; NX with XX is not.
    assert_eq!(
        run(&ks, &["SET", "k", "6", "XX", "XX", "GET", "GET"]),
        bulk("5")
    );
    assert_eq!(run(&ks, &["SET", "k", "7", "NX", "XX"]), err(SYNTAX));
    assert_eq!(run(&ks, &["SET", "k", "7", "XX", "NX"]), err(SYNTAX));
    assert_eq!(run(&ks, &["SET", "k", "7", "BOGUS"]), err(SYNTAX));
    assert_eq!(run(&ks, &["GET", "k"]), bulk("6"));
}

#[test]
fn set_expiry_options() {
    let ks = Ks::new();
    assert_eq!(run(&ks, &["SET", "k", "v", "EX", "100"]), Reply::Ok);
    assert_eq!(run(&ks, &["TTL", "k"]), int(100));
    assert_eq!(run(&ks, &["SET", "k", "v", "px", "50000"]), Reply::Ok);
    assert_eq!(run(&ks, &["TTL", "k"]), int(50));
    // A plain SET drops the expiry; KEEPTTL keeps it.
    assert_eq!(run(&ks, &["SET", "k", "v"]), Reply::Ok);
    assert_eq!(run(&ks, &["TTL", "k"]), int(-1));
    assert_eq!(run(&ks, &["SET", "k", "v", "EX", "100"]), Reply::Ok);
    assert_eq!(run(&ks, &["SET", "k", "w", "KEEPTTL"]), Reply::Ok);
    assert_eq!(run(&ks, &["GET", "k"]), bulk("w"));
    assert_eq!(run(&ks, &["TTL", "k"]), int(100));
    assert_eq!(
        run(&ks, &["SET", "k", "x", "XX", "GET", "KEEPTTL"]),
        bulk("w")
    );
    assert_eq!(run(&ks, &["TTL", "k"]), int(100));
    // KEEPTTL on a new key: no expiry.
    assert_eq!(run(&ks, &["SET", "fresh", "v", "KEEPTTL"]), Reply::Ok);
    assert_eq!(run(&ks, &["TTL", "fresh"]), int(-1));

    // Unix times.
    let now_s = unix_ms_now() / 1000;
    let at = (now_s + 200).to_string();
    assert_eq!(run(&ks, &["SET", "k", "v", "EXAT", &at]), Reply::Ok);
    let ttl = match run(&ks, &["TTL", "k"]) {
        Reply::Integer(n) => n,
        other => panic!("{other:?}"),
    };
    assert!((198..=200).contains(&ttl), "{ttl}");
    let at_ms = (unix_ms_now() + 300_000).to_string();
    assert_eq!(run(&ks, &["SET", "k", "v", "PXAT", &at_ms]), Reply::Ok);
    assert_eq!(run(&ks, &["TTL", "k"]), int(300));
    // A Unix time in the past: set, and expired at once.
    assert_eq!(run(&ks, &["SET", "k", "v", "PXAT", "1"]), Reply::Ok);
    assert_eq!(run(&ks, &["GET", "k"]), Reply::Null);
    assert_eq!(run(&ks, &["SET", "k", "v"]), Reply::Ok);
    assert_eq!(
        run(&ks, &["SET", "k", "new", "EXAT", "1", "GET"]),
        bulk("v")
    );
    assert_eq!(run(&ks, &["EXISTS", "k"]), int(0));

    // Short expiries really expire.
    assert_eq!(run(&ks, &["SET", "short", "v", "PX", "5"]), Reply::Ok);
    assert_eq!(run(&ks, &["GET", "short"]), bulk("v"));
    sleep(Duration::from_millis(15));
    assert_eq!(run(&ks, &["GET", "short"]), Reply::Null);
    assert_eq!(run(&ks, &["SET", "short", "v", "PX", "5"]), Reply::Ok);
    sleep(Duration::from_millis(15));
    // NX sees an expired key as missing.
    assert_eq!(run(&ks, &["SET", "short", "w", "NX"]), Reply::Ok);
}

#[test]
fn set_expiry_errors() {
    let ks = Ks::new();
    let invalid = err("ERR invalid expire time in 'set' command");
    assert_eq!(run(&ks, &["SET", "k", "v", "EX", "0"]), invalid);
    assert_eq!(run(&ks, &["SET", "k", "v", "PX", "-5"]), invalid);
    assert_eq!(run(&ks, &["SET", "k", "v", "EXAT", "0"]), invalid);
    assert_eq!(
        run(&ks, &["SET", "k", "v", "EX", "9223372036854775807"]),
        invalid
    );
    assert_eq!(
        run(&ks, &["SET", "k", "v", "PX", "9223372036854775807"]),
        invalid
    );
    assert_eq!(run(&ks, &["SET", "k", "v", "EX", "ten"]), err(NOT_INTEGER));
    assert_eq!(run(&ks, &["SET", "k", "v", "EX", "1.5"]), err(NOT_INTEGER));
    assert_eq!(run(&ks, &["SET", "k", "v", "EX", "+5"]), err(NOT_INTEGER));
    // A missing value, or two kinds of expiry, is a syntax error, and
    // wins over a bad number.
    assert_eq!(run(&ks, &["SET", "k", "v", "EX"]), err(SYNTAX));
    assert_eq!(
        run(&ks, &["SET", "k", "v", "EX", "10", "PX", "10"]),
        err(SYNTAX)
    );
    assert_eq!(
        run(&ks, &["SET", "k", "v", "EX", "x", "PX", "10"]),
        err(SYNTAX)
    );
    assert_eq!(
        run(&ks, &["SET", "k", "v", "EX", "10", "KEEPTTL"]),
        err(SYNTAX)
    );
    assert_eq!(
        run(&ks, &["SET", "k", "v", "KEEPTTL", "PXAT", "10"]),
        err(SYNTAX)
    );
    assert_eq!(
        run(&ks, &["SET", "k", "v", "EXAT", "10", "EX", "1"]),
        err(SYNTAX)
    );
    assert_eq!(run(&ks, &["DBSIZE"]), int(0));
    // The same kind twice: the last one counts.
    assert_eq!(
        run(&ks, &["SET", "k", "v", "EX", "10", "EX", "20"]),
        Reply::Ok
    );
    assert_eq!(run(&ks, &["TTL", "k"]), int(20));
}

#[test]
fn del_and_exists_count() {
    let ks = Ks::new();
    run(&ks, &["MSET", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(run(&ks, &["EXISTS", "a", "a", "b", "nope"]), int(3));
    assert_eq!(run(&ks, &["EXISTS", "nope"]), int(0));
    assert_eq!(run(&ks, &["DEL", "a", "a", "nope", "b"]), int(2));
    assert_eq!(run(&ks, &["DEL", "a"]), int(0));
    assert_eq!(run(&ks, &["EXISTS", "a", "b", "c"]), int(1));
    run(&ks, &["SET", "gone", "v", "PX", "1"]);
    sleep(Duration::from_millis(10));
    assert_eq!(run(&ks, &["EXISTS", "gone"]), int(0));
    assert_eq!(run(&ks, &["DEL", "gone"]), int(0));
}

#[test]
fn incr_and_decr() {
    let ks = Ks::new();
    assert_eq!(run(&ks, &["INCR", "n"]), int(1));
    assert_eq!(run(&ks, &["INCRBY", "n", "41"]), int(42));
    assert_eq!(run(&ks, &["DECR", "n"]), int(41));
    assert_eq!(run(&ks, &["DECRBY", "n", "50"]), int(-9));
    assert_eq!(run(&ks, &["INCRBY", "n", "-1"]), int(-10));
    assert_eq!(run(&ks, &["DECRBY", "n", "-10"]), int(0));
    assert_eq!(run(&ks, &["GET", "n"]), bulk("0"));
    assert_eq!(run(&ks, &["DECR", "m"]), int(-1));
    assert_eq!(run(&ks, &["GET", "m"]), bulk("-1"));

    // Not integers.
    for bad in [
        "abc",
        "",
        "1.5",
        "+1",
        "01",
        "-0",
        " 1",
        "99999999999999999999",
    ] {
        run(&ks, &["SET", "s", bad]);
        assert_eq!(run(&ks, &["INCR", "s"]), err(NOT_INTEGER), "{bad:?}");
        assert_eq!(run(&ks, &["GET", "s"]), bulk(bad));
        assert_eq!(run(&ks, &["INCRBY", "n", bad]), err(NOT_INTEGER), "{bad:?}");
        assert_eq!(run(&ks, &["DECRBY", "n", bad]), err(NOT_INTEGER), "{bad:?}");
    }

    // Overflow leaves the value alone.
    let overflow = err("ERR increment or decrement would overflow");
    run(&ks, &["SET", "max", &i64::MAX.to_string()]);
    assert_eq!(run(&ks, &["INCR", "max"]), overflow);
    assert_eq!(run(&ks, &["GET", "max"]), bulk(&i64::MAX.to_string()));
    run(&ks, &["SET", "min", &i64::MIN.to_string()]);
    assert_eq!(run(&ks, &["DECR", "min"]), overflow);
    assert_eq!(run(&ks, &["INCRBY", "min", "-1"]), overflow);
    assert_eq!(
        run(&ks, &["DECRBY", "x", &i64::MIN.to_string()]),
        err("ERR decrement would overflow")
    );
    assert_eq!(
        run(&ks, &["INCRBY", "x", &i64::MIN.to_string()]),
        int(i64::MIN)
    );

    // The expiry is kept.
    run(&ks, &["SET", "t", "5", "EX", "100"]);
    assert_eq!(run(&ks, &["INCR", "t"]), int(6));
    assert_eq!(run(&ks, &["TTL", "t"]), int(100));
}

#[test]
fn append_and_strlen() {
    let ks = Ks::new();
    assert_eq!(run(&ks, &["STRLEN", "k"]), int(0));
    assert_eq!(run(&ks, &["APPEND", "k", "Hello"]), int(5));
    assert_eq!(run(&ks, &["APPEND", "k", " World"]), int(11));
    assert_eq!(run(&ks, &["GET", "k"]), bulk("Hello World"));
    assert_eq!(run(&ks, &["STRLEN", "k"]), int(11));
    assert_eq!(run(&ks, &["APPEND", "k", ""]), int(11));
    assert_eq!(run(&ks, &["APPEND", "empty", ""]), int(0));
    assert_eq!(run(&ks, &["EXISTS", "empty"]), int(1));
    run(&ks, &["SET", "t", "a", "EX", "100"]);
    assert_eq!(run(&ks, &["APPEND", "t", "b"]), int(2));
    assert_eq!(run(&ks, &["TTL", "t"]), int(100));
}

#[test]
fn expire_ttl_persist() {
    let ks = Ks::new();
    assert_eq!(run(&ks, &["TTL", "k"]), int(-2));
    assert_eq!(run(&ks, &["PTTL", "k"]), int(-2));
    assert_eq!(run(&ks, &["EXPIRE", "k", "10"]), int(0));
    assert_eq!(run(&ks, &["PERSIST", "k"]), int(0));
    run(&ks, &["SET", "k", "v"]);
    assert_eq!(run(&ks, &["TTL", "k"]), int(-1));
    assert_eq!(run(&ks, &["PTTL", "k"]), int(-1));
    assert_eq!(run(&ks, &["PERSIST", "k"]), int(0));
    assert_eq!(run(&ks, &["EXPIRE", "k", "10"]), int(1));
    assert_eq!(run(&ks, &["TTL", "k"]), int(10));
    let pttl = match run(&ks, &["PTTL", "k"]) {
        Reply::Integer(n) => n,
        other => panic!("{other:?}"),
    };
    assert!((9_900..=10_000).contains(&pttl), "{pttl}");
    assert_eq!(run(&ks, &["PEXPIRE", "k", "20000"]), int(1));
    assert_eq!(run(&ks, &["TTL", "k"]), int(20));
    assert_eq!(run(&ks, &["PERSIST", "k"]), int(1));
    assert_eq!(run(&ks, &["TTL", "k"]), int(-1));
    assert_eq!(run(&ks, &["GET", "k"]), bulk("v"));

    // A non-positive time deletes the key.
    assert_eq!(run(&ks, &["EXPIRE", "k", "0"]), int(1));
    assert_eq!(run(&ks, &["EXISTS", "k"]), int(0));
    run(&ks, &["SET", "k", "v"]);
    assert_eq!(run(&ks, &["PEXPIRE", "k", "-100"]), int(1));
    assert_eq!(run(&ks, &["EXISTS", "k"]), int(0));
    assert_eq!(run(&ks, &["PEXPIRE", "k", "-100"]), int(0));

    // Short expiries really expire.
    run(&ks, &["SET", "k", "v"]);
    assert_eq!(run(&ks, &["PEXPIRE", "k", "5"]), int(1));
    sleep(Duration::from_millis(15));
    assert_eq!(run(&ks, &["GET", "k"]), Reply::Null);
    assert_eq!(run(&ks, &["TTL", "k"]), int(-2));

    // Errors.
    assert_eq!(run(&ks, &["EXPIRE", "k", "soon"]), err(NOT_INTEGER));
    assert_eq!(run(&ks, &["PEXPIRE", "k", "1.5"]), err(NOT_INTEGER));
    assert_eq!(
        run(&ks, &["EXPIRE", "k", "9223372036854775807"]),
        err("ERR invalid expire time in 'expire' command")
    );
    assert_eq!(
        run(&ks, &["PEXPIRE", "k", "9223372036854775807"]),
        err("ERR invalid expire time in 'pexpire' command")
    );
}

#[test]
fn expire_conditions() {
    let ks = Ks::new();
    run(&ks, &["SET", "k", "v"]);
    // No expiry: XX and GT refuse, NX and LT apply.
    assert_eq!(run(&ks, &["EXPIRE", "k", "100", "XX"]), int(0));
    assert_eq!(run(&ks, &["EXPIRE", "k", "100", "GT"]), int(0));
    assert_eq!(run(&ks, &["TTL", "k"]), int(-1));
    assert_eq!(run(&ks, &["EXPIRE", "k", "100", "nx"]), int(1));
    assert_eq!(run(&ks, &["EXPIRE", "k", "200", "NX"]), int(0));
    assert_eq!(run(&ks, &["EXPIRE", "k", "200", "XX"]), int(1));
    assert_eq!(run(&ks, &["EXPIRE", "k", "100", "GT"]), int(0));
    assert_eq!(run(&ks, &["EXPIRE", "k", "300", "GT"]), int(1));
    assert_eq!(run(&ks, &["EXPIRE", "k", "400", "LT"]), int(0));
    assert_eq!(run(&ks, &["EXPIRE", "k", "50", "LT", "XX"]), int(1));
    assert_eq!(run(&ks, &["TTL", "k"]), int(50));
    run(&ks, &["SET", "p", "v"]);
    assert_eq!(run(&ks, &["PEXPIRE", "p", "100000", "LT"]), int(1));
    assert_eq!(run(&ks, &["TTL", "p"]), int(100));
    // A past time under GT does not delete; under LT it does.
    assert_eq!(run(&ks, &["EXPIRE", "p", "-1", "GT"]), int(0));
    assert_eq!(run(&ks, &["EXPIRE", "p", "-1", "LT"]), int(1));
    assert_eq!(run(&ks, &["EXISTS", "p"]), int(0));

    let nx = err("ERR NX and XX, GT or LT options at the same time are not compatible");
    assert_eq!(run(&ks, &["EXPIRE", "k", "1", "NX", "XX"]), nx);
    assert_eq!(run(&ks, &["EXPIRE", "k", "1", "GT", "NX"]), nx);
    assert_eq!(
        run(&ks, &["PEXPIRE", "k", "1", "GT", "LT"]),
        err("ERR GT and LT options at the same time are not compatible")
    );
    assert_eq!(
        run(&ks, &["EXPIRE", "k", "1", "SOON"]),
        err("ERR Unsupported option SOON")
    );
    assert_eq!(run(&ks, &["TTL", "k"]), int(50));
}

#[test]
fn keys_dbsize_flush() {
    let ks = Ks::new();
    assert_eq!(run(&ks, &["DBSIZE"]), int(0));
    assert_eq!(keys_of(run(&ks, &["KEYS", "*"])), Vec::<String>::new());
    run(
        &ks,
        &[
            "MSET", "hello", "1", "hallo", "2", "hxllo", "3", "other", "4",
        ],
    );
    assert_eq!(run(&ks, &["DBSIZE"]), int(4));
    assert_eq!(
        keys_of(run(&ks, &["KEYS", "*"])),
        ["hallo", "hello", "hxllo", "other"]
    );
    assert_eq!(keys_of(run(&ks, &["KEYS", "h[ae]llo"])), ["hallo", "hello"]);
    assert_eq!(keys_of(run(&ks, &["KEYS", "*er"])), ["other"]);
    assert_eq!(
        keys_of(run(&ks, &["KEYS", "nothing*"])),
        Vec::<String>::new()
    );
    run(&ks, &["SET", "brief", "v", "PX", "1"]);
    sleep(Duration::from_millis(10));
    assert_eq!(keys_of(run(&ks, &["KEYS", "b*"])), Vec::<String>::new());
    assert_eq!(run(&ks, &["DBSIZE"]), int(4));

    assert_eq!(run(&ks, &["FLUSHDB"]), Reply::Ok);
    assert_eq!(run(&ks, &["DBSIZE"]), int(0));
    run(&ks, &["SET", "a", "1"]);
    assert_eq!(run(&ks, &["FLUSHALL", "async"]), Reply::Ok);
    assert_eq!(run(&ks, &["DBSIZE"]), int(0));
    run(&ks, &["SET", "a", "1"]);
    assert_eq!(run(&ks, &["FLUSHDB", "SYNC"]), Reply::Ok);
    assert_eq!(run(&ks, &["FLUSHALL", "SYNC"]), Reply::Ok);
    run(&ks, &["SET", "a", "1"]);
    assert_eq!(run(&ks, &["FLUSHDB", "LATER"]), err(SYNTAX));
    assert_eq!(run(&ks, &["FLUSHALL", "SYNC", "ASYNC"]), err(SYNTAX));
    assert_eq!(run(&ks, &["DBSIZE"]), int(1));
}

/// Runs a whole SCAN iteration; each call's (cursor, keys).
fn scan_all(ks: &Ks, options: &[&str]) -> Vec<(String, Vec<String>)> {
    let mut cursor = "0".to_string();
    let mut calls = Vec::new();
    loop {
        let mut command = vec!["SCAN", cursor.as_str()];
        command.extend_from_slice(options);
        let Reply::Array(mut parts) = run(ks, &command) else {
            panic!("not an array");
        };
        assert_eq!(parts.len(), 2);
        let keys = keys_of(parts.pop().unwrap());
        let Some(Reply::Bulk(next)) = parts.pop() else {
            panic!("no cursor");
        };
        let next = String::from_utf8(next).unwrap();
        calls.push((next.clone(), keys));
        if next == "0" {
            return calls;
        }
        assert!(calls.len() < 100, "SCAN does not end");
        cursor = next;
    }
}

#[test]
fn scan_iterates_every_key_once() {
    let ks = Ks::new();
    let mut expected: Vec<String> = (0..25).map(|i| format!("key:{i:02}")).collect();
    for k in &expected {
        run(&ks, &["SET", k, "v"]);
    }
    let calls = scan_all(&ks, &["COUNT", "10"]);
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[0].0, "10");
    assert_eq!(calls[1].0, "20");
    assert_eq!(calls[2].0, "0");
    let mut seen: Vec<String> = calls.into_iter().flat_map(|(_, keys)| keys).collect();
    seen.sort();
    expected.sort();
    assert_eq!(seen, expected);

    // The default COUNT is 10.
    assert_eq!(scan_all(&ks, &[]).len(), 3);
    // Exactly COUNT keys left: the next cursor is 0 at once.
    assert_eq!(scan_all(&ks, &["COUNT", "25"]).len(), 1);

    // MATCH filters what COUNT took, so a batch may come back empty.
    let calls = scan_all(&ks, &["MATCH", "key:2*", "COUNT", "10"]);
    assert_eq!(calls.len(), 3);
    assert!(calls[0].1.is_empty());
    let seen: Vec<String> = calls.into_iter().flat_map(|(_, keys)| keys).collect();
    assert_eq!(seen, ["key:20", "key:21", "key:22", "key:23", "key:24"]);
    let all: usize = scan_all(&ks, &["MATCH", "*", "COUNT", "7"])
        .iter()
        .map(|(_, k)| k.len())
        .sum();
    assert_eq!(all, 25);
    let typed: usize = scan_all(&ks, &["TYPE", "string"])
        .iter()
        .map(|(_, k)| k.len())
        .sum();
    assert_eq!(typed, 25);
    let hashes: usize = scan_all(&ks, &["TYPE", "hash"])
        .iter()
        .map(|(_, k)| k.len())
        .sum();
    assert_eq!(hashes, 0);

    // A cursor past the end, even past usize.
    assert_eq!(
        run(&ks, &["SCAN", "1000"]),
        Reply::Array(vec![bulk("0"), Reply::Array(vec![])])
    );
    assert_eq!(
        run(&ks, &["SCAN", "18446744073709551615"]),
        Reply::Array(vec![bulk("0"), Reply::Array(vec![])])
    );
    // An empty keyspace.
    run(&ks, &["FLUSHDB"]);
    assert_eq!(
        run(&ks, &["SCAN", "0"]),
        Reply::Array(vec![bulk("0"), Reply::Array(vec![])])
    );
}

#[test]
fn scan_errors() {
    let ks = Ks::new();
    let invalid = err("ERR invalid cursor");
    assert_eq!(run(&ks, &["SCAN", "x"]), invalid);
    assert_eq!(run(&ks, &["SCAN", "-1"]), invalid);
    assert_eq!(run(&ks, &["SCAN", "1.5"]), invalid);
    assert_eq!(run(&ks, &["SCAN", "18446744073709551616"]), invalid);
    assert_eq!(run(&ks, &["SCAN", "x", "BOGUS"]), invalid);
    assert_eq!(run(&ks, &["SCAN", "0", "COUNT"]), err(SYNTAX));
    assert_eq!(run(&ks, &["SCAN", "0", "MATCH"]), err(SYNTAX));
    assert_eq!(run(&ks, &["SCAN", "0", "BOGUS", "1"]), err(SYNTAX));
    assert_eq!(run(&ks, &["SCAN", "0", "COUNT", "0"]), err(SYNTAX));
    assert_eq!(run(&ks, &["SCAN", "0", "COUNT", "-3"]), err(SYNTAX));
    assert_eq!(run(&ks, &["SCAN", "0", "COUNT", "ten"]), err(NOT_INTEGER));
}

#[test]
fn glob_patterns() {
    let yes = |p: &str, s: &str| assert!(glob_match(p.as_bytes(), s.as_bytes()), "{p} {s}");
    let no = |p: &str, s: &str| assert!(!glob_match(p.as_bytes(), s.as_bytes()), "{p} {s}");

    yes("h?llo", "hello");
    yes("h?llo", "hallo");
    no("h?llo", "hllo");
    no("h?llo", "heello");

    yes("h*llo", "hllo");
    yes("h*llo", "heeeello");
    yes("h*llo", "hello");
    no("h*llo", "hell");
    no("h*llo", "helloo");
    yes("h*llo", "hllollo");

    yes("h[ae]llo", "hello");
    yes("h[ae]llo", "hallo");
    no("h[ae]llo", "hillo");
    no("h[ae]llo", "hllo");

    yes("h[^e]llo", "hallo");
    yes("h[^e]llo", "hbllo");
    no("h[^e]llo", "hello");
    no("h[^e]llo", "hllo");

    yes("h[a-b]llo", "hallo");
    yes("h[a-b]llo", "hbllo");
    no("h[a-b]llo", "hcllo");
    yes("h[b-a]llo", "hallo");
    yes("h[^a-b]llo", "hcllo");
    no("h[^a-b]llo", "hallo");

    yes("h\\*llo", "h*llo");
    no("h\\*llo", "hello");
    yes("\\?", "?");
    no("\\?", "a");
    yes("[\\]]", "]");
    yes("a\\", "a\\");

    yes("*", "");
    yes("*", "anything");
    yes("**", "x");
    yes("", "");
    no("", "a");
    no("?", "");
    yes("a*b*c", "aXXbYYc");
    yes("a*b*c", "abcbc");
    no("a*b*c", "aXXbYY");
    yes("*.txt", "notes.txt");
    no("*.txt", "notes.txt.bak");
    yes("user:*:name", "user:42:name");
    // A set without its `]` runs to the end of the pattern.
    yes("h[el", "he");
    no("h[el", "hx");
    no("[", "a");
    // `[]` is an empty set.
    no("[]", "a");
    // Binary.
    assert!(glob_match(b"\xff?", b"\xff\x00"));
    // No exponential blow-up.
    let text = "a".repeat(200);
    no(&format!("{}b", "a*".repeat(50)), &text);
}

#[test]
fn every_command_refuses_a_key_of_another_type() {
    let ks = Ks::new();
    run(&ks, &["SET", "s", "x"]);
    run(&ks, &["HSET", "h", "f", "v"]);
    run(&ks, &["RPUSH", "l", "a"]);
    run(&ks, &["SADD", "set", "a"]);
    run(&ks, &["ZADD", "z", "1", "a"]);
    let wrong = err(WRONGTYPE);
    let on = |key: &str, command: &[&str]| {
        let mut args = vec![command[0], key];
        args.extend_from_slice(&command[1..]);
        run(&ks, &args)
    };
    let string_commands: &[&[&str]] = &[
        &["GET"],
        &["APPEND", "x"],
        &["INCR"],
        &["INCRBY", "1"],
        &["DECR"],
        &["INCRBYFLOAT", "1"],
        &["STRLEN"],
        &["GETRANGE", "0", "1"],
        &["SETRANGE", "0", "x"],
        &["GETSET", "x"],
        &["GETDEL"],
        &["GETEX"],
        &["SET", "x", "GET"],
    ];
    let hash_commands: &[&[&str]] = &[
        &["HSET", "f", "v"],
        &["HGET", "f"],
        &["HMGET", "f"],
        &["HGETALL"],
        &["HDEL", "f"],
        &["HLEN"],
        &["HKEYS"],
        &["HINCRBY", "f", "1"],
        &["HSCAN", "0"],
    ];
    let list_commands: &[&[&str]] = &[
        &["LPUSH", "v"],
        &["RPOP"],
        &["LRANGE", "0", "-1"],
        &["LLEN"],
        &["LINDEX", "0"],
        &["LREM", "0", "v"],
        &["LTRIM", "0", "1"],
        &["LMOVE", "other", "LEFT", "LEFT"],
    ];
    let set_commands: &[&[&str]] = &[
        &["SADD", "v"],
        &["SMEMBERS"],
        &["SISMEMBER", "v"],
        &["SCARD"],
        &["SINTER"],
        &["SDIFF", "other"],
        &["SPOP"],
    ];
    let zset_commands: &[&[&str]] = &[
        &["ZADD", "1", "v"],
        &["ZSCORE", "v"],
        &["ZRANGE", "0", "-1"],
        &["ZRANK", "v"],
        &["ZCOUNT", "-inf", "+inf"],
        &["ZREVRANGE", "0", "1"],
        &["ZPOPMIN"],
    ];
    for (own, commands) in [
        ("s", string_commands),
        ("h", hash_commands),
        ("l", list_commands),
        ("set", set_commands),
        ("z", zset_commands),
    ] {
        for key in ["s", "h", "l", "set", "z"]
            .into_iter()
            .filter(|k| *k != own)
        {
            for command in commands {
                assert_eq!(on(key, command), wrong, "{command:?} on {key}");
            }
        }
    }
    // MGET reads a key of another type as missing; TYPE names every type.
    assert_eq!(
        run(&ks, &["MGET", "s", "h"]),
        Reply::Array(vec![bulk("x"), Reply::Null])
    );
    for (key, t) in [
        ("s", "string"),
        ("h", "hash"),
        ("l", "list"),
        ("set", "set"),
        ("z", "zset"),
        ("none", "none"),
    ] {
        assert_eq!(run(&ks, &["TYPE", key]), Reply::Simple(t.into()));
    }
    // A plain SET replaces any type.
    assert_eq!(run(&ks, &["SET", "h", "now"]), Reply::Ok);
    assert_eq!(run(&ks, &["GET", "h"]), bulk("now"));
}

fn strings(items: &[&str]) -> Reply {
    Reply::Array(items.iter().map(|s| bulk(s)).collect())
}

#[test]
fn hash_commands() {
    let ks = Ks::new();
    assert_eq!(run(&ks, &["HSET", "h", "a", "1", "b", "2"]), int(2));
    assert_eq!(run(&ks, &["HSET", "h", "a", "3"]), int(0));
    assert_eq!(
        run(&ks, &["HSET", "h", "a"]),
        err("ERR wrong number of arguments for 'hset' command")
    );
    assert_eq!(run(&ks, &["HMSET", "h", "c", "3"]), Reply::Ok);
    assert_eq!(run(&ks, &["HGET", "h", "a"]), bulk("3"));
    assert_eq!(
        run(&ks, &["HMGET", "h", "a", "zz", "b"]),
        Reply::Array(vec![bulk("3"), Reply::Null, bulk("2")])
    );
    assert_eq!(run(&ks, &["HKEYS", "h"]), strings(&["a", "b", "c"]));
    assert_eq!(run(&ks, &["HVALS", "h"]), strings(&["3", "2", "3"]));
    assert_eq!(
        run(&ks, &["HGETALL", "h"]),
        strings(&["a", "3", "b", "2", "c", "3"])
    );
    assert_eq!(resp3(&ks, &["HGETALL", "h"]).lines().next(), Some("%3"));
    assert_eq!(run(&ks, &["HLEN", "h"]), int(3));
    assert_eq!(run(&ks, &["HEXISTS", "h", "b"]), int(1));
    assert_eq!(run(&ks, &["HSTRLEN", "h", "b"]), int(1));
    assert_eq!(run(&ks, &["HSETNX", "h", "a", "9"]), int(0));
    assert_eq!(run(&ks, &["HSETNX", "h", "d", "9"]), int(1));
    assert_eq!(run(&ks, &["HINCRBY", "h", "n", "5"]), int(5));
    assert_eq!(run(&ks, &["HINCRBY", "h", "n", "x"]), err(NOT_INTEGER));
    run(&ks, &["HSET", "h", "t", "text"]);
    assert_eq!(
        run(&ks, &["HINCRBY", "h", "t", "1"]),
        err("ERR hash value is not an integer")
    );
    assert_eq!(
        run(&ks, &["HINCRBYFLOAT", "h", "t", "1"]),
        err("ERR hash value is not a float")
    );
    assert_eq!(run(&ks, &["HINCRBYFLOAT", "h", "f", "1.5"]), bulk("1.5"));
    assert_eq!(run(&ks, &["HINCRBYFLOAT", "h", "f", "2.25"]), bulk("3.75"));
    assert_eq!(
        run(&ks, &["HDEL", "h", "a", "b", "c", "d", "n", "t", "f", "zz"]),
        int(7)
    );
    assert_eq!(run(&ks, &["EXISTS", "h"]), int(0));
    assert_eq!(run(&ks, &["HGETALL", "h"]), Reply::Array(vec![]));
}

#[test]
fn list_commands() {
    let ks = Ks::new();
    assert_eq!(run(&ks, &["LPUSH", "l", "a", "b", "c"]), int(3));
    assert_eq!(run(&ks, &["RPUSH", "l", "d"]), int(4));
    assert_eq!(
        run(&ks, &["LRANGE", "l", "0", "-1"]),
        strings(&["c", "b", "a", "d"])
    );
    assert_eq!(run(&ks, &["LINDEX", "l", "-1"]), bulk("d"));
    assert_eq!(run(&ks, &["LINDEX", "l", "9"]), Reply::Null);
    assert_eq!(
        run(&ks, &["LSET", "l", "9", "x"]),
        err("ERR index out of range")
    );
    assert_eq!(
        run(&ks, &["LSET", "none", "0", "x"]),
        err("ERR no such key")
    );
    assert_eq!(run(&ks, &["LPOP", "l", "2"]), strings(&["c", "b"]));
    assert_eq!(run(&ks, &["LPOP", "none", "2"]), Reply::Null);
    assert_eq!(resp3(&ks, &["LPOP", "none", "2"]), "_\r\n");
    assert_eq!(
        run(&ks, &["LPOP", "l", "-1"]),
        err("ERR value is out of range, must be positive")
    );
    assert_eq!(run(&ks, &["RPUSH", "l", "a", "x", "a"]), int(5));
    assert_eq!(run(&ks, &["LREM", "l", "-1", "a"]), int(1));
    assert_eq!(
        run(&ks, &["LRANGE", "l", "0", "-1"]),
        strings(&["a", "d", "a", "x"])
    );
    assert_eq!(run(&ks, &["LREM", "l", "0", "a"]), int(2));
    assert_eq!(run(&ks, &["LINSERT", "l", "BEFORE", "x", "w"]), int(3));
    assert_eq!(run(&ks, &["LINSERT", "l", "AFTER", "zz", "w"]), int(-1));
    assert_eq!(run(&ks, &["LPOS", "l", "x"]), int(2));
    assert_eq!(run(&ks, &["LTRIM", "l", "1", "-1"]), Reply::Ok);
    assert_eq!(run(&ks, &["LRANGE", "l", "0", "-1"]), strings(&["w", "x"]));
    assert_eq!(run(&ks, &["LMOVE", "l", "m", "LEFT", "RIGHT"]), bulk("w"));
    assert_eq!(run(&ks, &["RPOPLPUSH", "l", "m"]), bulk("x"));
    assert_eq!(run(&ks, &["EXISTS", "l"]), int(0));
    assert_eq!(run(&ks, &["LRANGE", "m", "0", "-1"]), strings(&["x", "w"]));
    assert_eq!(run(&ks, &["LPUSHX", "none", "a"]), int(0));
    assert_eq!(run(&ks, &["EXISTS", "none"]), int(0));
}

#[test]
fn set_commands() {
    let ks = Ks::new();
    assert_eq!(run(&ks, &["SADD", "s", "a", "b", "c"]), int(3));
    assert_eq!(run(&ks, &["SADD", "t", "c", "d"]), int(2));
    assert_eq!(run(&ks, &["SINTER", "s", "t"]), strings(&["c"]));
    assert_eq!(
        run(&ks, &["SUNION", "s", "t"]),
        strings(&["a", "b", "c", "d"])
    );
    assert_eq!(run(&ks, &["SDIFF", "s", "t"]), strings(&["a", "b"]));
    assert!(resp3(&ks, &["SMEMBERS", "s"]).starts_with("~3"));
    assert_eq!(run(&ks, &["SINTERSTORE", "d", "s", "none"]), int(0));
    assert_eq!(run(&ks, &["EXISTS", "d"]), int(0));
    assert_eq!(run(&ks, &["SUNIONSTORE", "d", "s", "t"]), int(4));
    assert_eq!(
        run(&ks, &["SMISMEMBER", "d", "a", "z"]),
        Reply::Array(vec![int(1), int(0)])
    );
    assert_eq!(run(&ks, &["SMOVE", "s", "t", "a"]), int(1));
    assert_eq!(run(&ks, &["SMOVE", "s", "t", "zz"]), int(0));
    assert_eq!(run(&ks, &["SCARD", "t"]), int(3));
    let Reply::Array(popped) = run(&ks, &["SPOP", "t", "5"]) else {
        panic!("SPOP with a count is an array");
    };
    assert_eq!(popped.len(), 3);
    assert_eq!(run(&ks, &["EXISTS", "t"]), int(0));
    let Reply::Array(some) = run(&ks, &["SRANDMEMBER", "d", "-10"]) else {
        panic!("SRANDMEMBER with a count is an array");
    };
    assert_eq!(some.len(), 10);
    assert_eq!(run(&ks, &["SCARD", "d"]), int(4));
    // A huge negative count is refused, not allocated.
    for count in ["-100000000000", "-9223372036854775807"] {
        let Reply::Error(e) = run(&ks, &["SRANDMEMBER", "d", count]) else {
            panic!("SRANDMEMBER d {count} should be refused");
        };
        assert!(e.contains("value is out of range"), "{e}");
    }
}

#[test]
fn sorted_set_commands() {
    let ks = Ks::new();
    assert_eq!(
        run(&ks, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]),
        int(3)
    );
    assert_eq!(
        run(&ks, &["ZADD", "z", "XX", "CH", "5", "a", "7", "zz"]),
        int(1)
    );
    assert_eq!(run(&ks, &["ZADD", "z", "GT", "CH", "1", "a"]), int(0));
    assert_eq!(run(&ks, &["ZADD", "z", "INCR", "1", "a"]), bulk("6"));
    assert_eq!(
        run(&ks, &["ZADD", "z", "NX", "INCR", "1", "a"]),
        Reply::Null
    );
    assert_eq!(
        run(&ks, &["ZADD", "z", "NX", "XX", "1", "a"]),
        err("ERR XX and NX options at the same time are not compatible")
    );
    assert_eq!(
        run(&ks, &["ZADD", "z", "GT", "LT", "1", "a"]),
        err("ERR GT, LT, and/or NX options at the same time are not compatible")
    );
    assert_eq!(
        run(&ks, &["ZADD", "z", "nan", "a"]),
        err("ERR value is not a valid float")
    );
    assert_eq!(run(&ks, &["ZADD", "z", "1", "a", "2"]), err(SYNTAX));
    assert_eq!(run(&ks, &["ZADD", "inf", "inf", "i"]), int(1));
    assert_eq!(
        run(&ks, &["ZINCRBY", "inf", "-inf", "i"]),
        err("ERR resulting score is not a number (NaN)")
    );
    assert_eq!(run(&ks, &["ZSCORE", "z", "a"]), bulk("6"));
    assert_eq!(resp3(&ks, &["ZSCORE", "z", "a"]), ",6\r\n");
    assert_eq!(
        run(&ks, &["ZRANGE", "z", "0", "-1"]),
        strings(&["b", "c", "a"])
    );
    assert_eq!(
        run(&ks, &["ZRANGE", "z", "0", "0", "WITHSCORES"]),
        strings(&["b", "2"])
    );
    assert_eq!(
        resp3(&ks, &["ZRANGE", "z", "0", "0", "WITHSCORES"]),
        "*1\r\n*2\r\n$1\r\nb\r\n,2\r\n"
    );
    assert_eq!(
        run(&ks, &["ZRANGE", "z", "+inf", "(2", "BYSCORE", "REV"]),
        strings(&["a", "c"])
    );
    assert_eq!(
        run(
            &ks,
            &["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "1"]
        ),
        strings(&["c"])
    );
    assert_eq!(
        run(&ks, &["ZRANGE", "z", "0", "1", "LIMIT", "1", "1"]),
        err(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
        )
    );
    assert_eq!(
        run(&ks, &["ZRANGEBYSCORE", "z", "x", "1"]),
        err("ERR min or max is not a float")
    );
    assert_eq!(run(&ks, &["ZREVRANGE", "z", "0", "0"]), strings(&["a"]));
    assert_eq!(
        run(&ks, &["ZREVRANGEBYSCORE", "z", "3", "-inf"]),
        strings(&["c", "b"])
    );
    assert_eq!(run(&ks, &["ZCOUNT", "z", "(2", "6"]), int(2));
    assert_eq!(run(&ks, &["ZRANK", "z", "a"]), int(2));
    assert_eq!(run(&ks, &["ZREVRANK", "z", "a"]), int(0));
    assert_eq!(run(&ks, &["ZRANK", "z", "zz"]), Reply::Null);
    assert_eq!(
        run(&ks, &["ZMSCORE", "z", "b", "zz"]),
        Reply::Array(vec![bulk("2"), Reply::Null])
    );
    assert_eq!(run(&ks, &["ZPOPMIN", "z"]), strings(&["b", "2"]));
    assert_eq!(run(&ks, &["ZPOPMAX", "z", "1"]), strings(&["a", "6"]));
    assert_eq!(run(&ks, &["ZREMRANGEBYSCORE", "z", "-inf", "(3"]), int(0));
    assert_eq!(run(&ks, &["ZREMRANGEBYRANK", "z", "0", "-1"]), int(1));
    assert_eq!(run(&ks, &["EXISTS", "z"]), int(0));
}

#[test]
fn generic_commands_and_databases() {
    let ks = Ks::new();
    run(&ks, &["SET", "a", "1", "EX", "100"]);
    assert_eq!(run(&ks, &["RENAME", "a", "b"]), Reply::Ok);
    assert_eq!(run(&ks, &["TTL", "b"]), int(100));
    assert_eq!(run(&ks, &["RENAME", "a", "b"]), err("ERR no such key"));
    assert_eq!(run(&ks, &["SETNX", "c", "1"]), int(1));
    assert_eq!(run(&ks, &["RENAMENX", "b", "c"]), int(0));
    assert_eq!(
        run(&ks, &["SETEX", "e", "0", "v"]),
        err("ERR invalid expire time in 'setex' command")
    );
    assert_eq!(run(&ks, &["GETDEL", "c"]), bulk("1"));
    assert_eq!(run(&ks, &["SET", "g", "v"]), Reply::Ok);
    assert_eq!(run(&ks, &["GETEX", "g", "EX", "100"]), bulk("v"));
    assert!(matches!(run(&ks, &["TTL", "g"]), Reply::Integer(99 | 100)));
    assert_eq!(run(&ks, &["GETEX", "g", "PERSIST"]), bulk("v"));
    assert_eq!(run(&ks, &["TTL", "g"]), int(-1));
    assert_eq!(run(&ks, &["GETEX", "g"]), bulk("v"));
    assert_eq!(run(&ks, &["GETEX", "g", "EX"]), err("ERR syntax error"));
    assert_eq!(
        run(&ks, &["GETEX", "g", "KEEPTTL"]),
        err("ERR syntax error")
    );
    assert_eq!(
        run(&ks, &["GETEX", "g", "PX", "0"]),
        err("ERR invalid expire time in 'getex' command")
    );
    assert_eq!(run(&ks, &["GETEX", "absent", "EX", "5"]), Reply::Null);
    assert_eq!(run(&ks, &["GETEX", "g", "EXAT", "1"]), bulk("v"));
    assert_eq!(run(&ks, &["EXISTS", "g"]), int(0));
    assert_eq!(run(&ks, &["INCRBYFLOAT", "f", "0.5"]), bulk("0.5"));
    assert_eq!(run(&ks, &["SETRANGE", "r", "2", "ab"]), int(4));
    assert_eq!(run(&ks, &["GET", "r"]), Reply::Bulk(b"\0\0ab".to_vec()));
    assert_eq!(run(&ks, &["GETRANGE", "r", "-2", "-1"]), bulk("ab"));
    assert_eq!(run(&ks, &["MSETNX", "r", "1", "new", "2"]), int(0));
    assert_eq!(run(&ks, &["EXISTS", "new"]), int(0));
    assert_eq!(run(&ks, &["EXPIREAT", "r", "1"]), int(1));
    assert_eq!(run(&ks, &["EXISTS", "r"]), int(0));
    assert_eq!(run(&ks, &["MOVE", "b", "1"]), int(1));
    assert_eq!(run(&ks, &["MOVE", "b", "1"]), int(0));
    assert_eq!(ks.db(1).len(), 1);
    assert_eq!(
        run(&ks, &["MOVE", "f", "0"]),
        err("ERR source and destination objects are the same")
    );
    assert_eq!(run(&ks, &["SWAPDB", "0", "1"]), Reply::Ok);
    assert_eq!(run(&ks, &["GET", "b"]), bulk("1"));
    assert_eq!(ks.db(1).len(), 1, "f went to database 1");
    assert_eq!(
        run(&ks, &["SWAPDB", "0", "16"]),
        err("ERR DB index is out of range")
    );
    assert_eq!(run(&ks, &["RANDOMKEY"]), bulk("b"));
    run(&ks, &["RPUSH", "l", "x"]);
    assert_eq!(
        run(&ks, &["SCAN", "0", "TYPE", "list"]),
        Reply::Array(vec![bulk("0"), strings(&["l"])])
    );
    assert_eq!(run(&ks, &["FLUSHDB"]), Reply::Ok);
    assert_eq!(
        ks.db(1).len(),
        1,
        "FLUSHDB empties the session's database only"
    );
    assert_eq!(run(&ks, &["FLUSHALL"]), Reply::Ok);
    assert!(ks.db(1).is_empty());
}
