//! The keyspace commands: `GET`, `SET`, `MGET`, `MSET`, `DEL`, `EXISTS`,
//! `INCR`, `INCRBY`, `DECR`, `DECRBY`, `APPEND`, `STRLEN`, `EXPIRE`,
//! `PEXPIRE`, `TTL`, `PTTL`, `PERSIST`, `KEYS`, `SCAN`, `DBSIZE`, `FLUSHDB`
//! and `FLUSHALL`, over a [`MemoryKeyspace`].
//!
//! Each command follows Redis 7: the same options, the same replies and the
//! same error texts. Read-modify-write commands (`SET` with `NX`, `XX`, `GET`
//! or `KEEPTTL`, `INCR` and friends, `APPEND`, `EXPIRE`, `PERSIST`) run under
//! [`MemoryKeyspace::update`], so each is atomic. Multi-key commands (`MGET`,
//! `MSET`, `DEL`, `EXISTS`) take the keys one at a time.
//!
//! `SCAN`'s cursor is an index into the ascending order of the live keys: a
//! full iteration returns every key that exists throughout it exactly once
//! as long as no key before the cursor is added or removed meanwhile.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ferrite_plugin_host::keyspace::parse_integer;
use ferrite_plugin_host::{Keyspace, KvError, MemoryKeyspace, Slot};

use crate::commands::Cmd;
use crate::reply::{Out, Reply};

/// The largest string value, as Redis's default `proto-max-bulk-len`.
const MAX_STRING_LEN: usize = 512 * 1024 * 1024;

/// `SCAN`'s default `COUNT`.
const DEFAULT_SCAN_COUNT: usize = 10;

/// Runs keyspace command `cmd` with `args` (after its name, the arity
/// checked), writing its reply into `out`; `false` if `cmd` is not a
/// keyspace command.
pub fn execute(ks: &MemoryKeyspace, cmd: Cmd, args: &[&[u8]], out: &mut Out<'_>) -> bool {
    let result = match cmd {
        // Read in place: the value goes from the map into the reply.
        Cmd::Get => {
            ks.read(args[0], |v| out.bulk_or_null(v));
            return true;
        }
        Cmd::Mget => {
            out.array(args.len());
            for key in args {
                ks.read(key, |v| out.bulk_or_null(v));
            }
            return true;
        }
        Cmd::Set => set(ks, args),
        Cmd::Mset if !args.len().is_multiple_of(2) => Err(wrong_arity("MSET")),
        Cmd::Mset => mset(ks, args),
        Cmd::Del => del(ks, args),
        Cmd::Exists => exists(ks, args),
        Cmd::Incr => incr_by(ks, args[0], 1),
        Cmd::Decr => incr_by(ks, args[0], -1),
        Cmd::IncrBy => integer(args[1]).and_then(|n| incr_by(ks, args[0], n)),
        Cmd::DecrBy => decr_by(ks, args),
        Cmd::Append => append(ks, args),
        Cmd::Strlen => Ok(Reply::Integer(len_i64(
            ks.read(args[0], |v| v.map_or(0, <[u8]>::len)),
        ))),
        Cmd::Expire => expire(ks, args, "expire", 1000),
        Cmd::Pexpire => expire(ks, args, "pexpire", 1),
        Cmd::Ttl => Ok(ttl(ks, args, false)),
        Cmd::Pttl => Ok(ttl(ks, args, true)),
        Cmd::Persist => Ok(persist(ks, args)),
        Cmd::Keys => Ok(keys(ks, args)),
        Cmd::Scan => scan(ks, args),
        Cmd::Dbsize => Ok(Reply::Integer(len_i64(ks.len()))),
        Cmd::Flushdb | Cmd::Flushall => flush(ks, args),
        _ => return false,
    };
    out.result(result);
    true
}

/// Whether `text` matches the Redis glob `pattern`: `*` (any run of bytes),
/// `?` (any one byte), `[abc]`, `[^abc]`, `[a-z]` (a set, its complement, a
/// range) and `\x` (`x` literally), over bytes and case-sensitively.
pub fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    // Every token but `*` matches exactly one byte, so on a mismatch it is
    // enough to retry from the last `*`, letting it take one byte more.
    let (mut p, mut t) = (0, 0);
    // Where to resume on a mismatch: the pattern after the last `*`, and the
    // text position that `*` stopped at.
    let mut resume: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            p += 1;
            resume = Some((p, t));
            continue;
        }
        if p < pattern.len() {
            let (matched, next) = match_one(pattern, p, text[t]);
            if matched {
                p = next;
                t += 1;
                continue;
            }
        }
        match resume {
            Some((star_p, star_t)) => {
                p = star_p;
                t = star_t + 1;
                resume = Some((star_p, star_t + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Matches the single-byte token at `pattern[p]` (not `*`) against `c`:
/// whether it matches, and where the next token starts.
fn match_one(pattern: &[u8], p: usize, c: u8) -> (bool, usize) {
    match pattern[p] {
        b'?' => (true, p + 1),
        b'\\' if p + 1 < pattern.len() => (pattern[p + 1] == c, p + 2),
        b'[' => {
            let mut i = p + 1;
            let negate = pattern.get(i) == Some(&b'^');
            if negate {
                i += 1;
            }
            let mut matched = false;
            // As Redis does, a set without its `]` runs to the pattern's end.
            loop {
                match pattern.get(i) {
                    None => break,
                    Some(b'\\') if i + 1 < pattern.len() => {
                        matched |= pattern[i + 1] == c;
                        i += 2;
                    }
                    Some(b']') => {
                        i += 1;
                        break;
                    }
                    Some(&start) if i + 2 < pattern.len() && pattern[i + 1] == b'-' => {
                        let end = pattern[i + 2];
                        let (lo, hi) = if start <= end {
                            (start, end)
                        } else {
                            (end, start)
                        };
                        matched |= (lo..=hi).contains(&c);
                        i += 3;
                    }
                    Some(&b) => {
                        matched |= b == c;
                        i += 1;
                    }
                }
            }
            (matched != negate, i)
        }
        b => (b == c, p + 1),
    }
}

use crate::commands::wrong_arity;

fn not_integer() -> Reply {
    Reply::err("value is not an integer or out of range")
}

fn syntax_error() -> Reply {
    Reply::err("syntax error")
}

fn invalid_expire(command: &str) -> Reply {
    Reply::err(format_args!("invalid expire time in '{command}' command"))
}

/// A keyspace failure as a reply (`MemoryKeyspace` has none).
fn kv<T>(result: Result<T, KvError>) -> Result<T, Reply> {
    result.map_err(Reply::err)
}

/// An integer argument.
fn integer(arg: &[u8]) -> Result<i64, Reply> {
    parse_integer(arg).ok_or_else(not_integer)
}

fn len_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Milliseconds since the Unix epoch, now.
fn unix_ms_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// When a key is to expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deadline {
    /// At this instant, in the future.
    At(Instant),
    /// Already: the key is to be deleted.
    Past,
}

/// The deadline `amount` units of `unit_ms` milliseconds from now, or, if
/// `absolute`, since the Unix epoch. `Err` if it overflows as Redis counts
/// (milliseconds since the epoch in an `i64`).
fn deadline(amount: i64, unit_ms: i64, absolute: bool) -> Result<Deadline, ()> {
    let ms = amount.checked_mul(unit_ms).ok_or(())?;
    let now_ms = unix_ms_now();
    let relative_ms = if absolute {
        ms.saturating_sub(now_ms)
    } else {
        // Only to refuse what Redis refuses: a Unix time past `i64`.
        ms.checked_add(now_ms).ok_or(())?;
        ms
    };
    if relative_ms <= 0 {
        return Ok(Deadline::Past);
    }
    let relative = Duration::from_millis(relative_ms.unsigned_abs());
    Instant::now()
        .checked_add(relative)
        .map(Deadline::At)
        .ok_or(())
}

/// `SET`'s expiry option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetExpiry {
    /// None given: the key loses any expiry.
    Clear,
    /// `KEEPTTL`.
    Keep,
    /// `EX`, `PX`, `EXAT` or `PXAT`: the value's index in the arguments,
    /// its unit in milliseconds, and whether it is a Unix time.
    Value(usize, i64, bool),
}

/// `SET`'s `EX`, `PX`, `EXAT` or `PXAT` option `opt`: its unit in
/// milliseconds and whether it is a Unix time.
fn set_expiry_kind(opt: &[u8]) -> Option<(i64, bool)> {
    [
        (&b"EX"[..], 1000, false),
        (b"PX", 1, false),
        (b"EXAT", 1000, true),
        (b"PXAT", 1, true),
    ]
    .into_iter()
    .find(|(name, _, _)| opt.eq_ignore_ascii_case(name))
    .map(|(_, unit, abs)| (unit, abs))
}

/// `SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms|KEEPTTL]`.
fn set(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result<Reply, Reply> {
    let (mut nx, mut xx, mut return_old) = (false, false, false);
    let mut expiry = SetExpiry::Clear;
    let mut i = 2;
    // As Redis: an option may repeat, but not conflict with another.
    while i < args.len() {
        let opt = args[i];
        let has_next = i + 1 < args.len();
        let is = |name: &str| opt.eq_ignore_ascii_case(name.as_bytes());
        if is("NX") && !xx {
            nx = true;
        } else if is("XX") && !nx {
            xx = true;
        } else if is("GET") {
            return_old = true;
        } else if is("KEEPTTL") && matches!(expiry, SetExpiry::Clear | SetExpiry::Keep) {
            expiry = SetExpiry::Keep;
        } else if let Some((unit, abs)) = set_expiry_kind(opt)
            && has_next
            && match expiry {
                SetExpiry::Clear => true,
                SetExpiry::Keep => false,
                SetExpiry::Value(_, u, a) => (u, a) == (unit, abs),
            }
        {
            i += 1;
            expiry = SetExpiry::Value(i, unit, abs);
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }

    let deadline = match expiry {
        SetExpiry::Value(at, unit, abs) => {
            let amount = integer(args[at])?;
            // Redis refuses a non-positive time even as a Unix time.
            if amount <= 0 {
                return Err(invalid_expire("set"));
            }
            Some(deadline(amount, unit, abs).map_err(|()| invalid_expire("set"))?)
        }
        _ => None,
    };

    let value = args[1].to_vec();
    let (written, old) = ks.update(args[0], |slot| {
        let old = if return_old {
            slot.as_ref().map(|s| s.value.clone())
        } else {
            None
        };
        let exists = slot.is_some();
        if (nx && exists) || (xx && !exists) {
            return (false, old);
        }
        let expires = match (expiry, deadline) {
            (_, Some(Deadline::Past)) => {
                // Already expired: as good as deleted.
                *slot = None;
                return (true, old);
            }
            (_, Some(Deadline::At(t))) => Some(t),
            (SetExpiry::Keep, _) => slot.as_ref().and_then(|s| s.expires),
            _ => None,
        };
        *slot = Some(Slot { value, expires });
        (true, old)
    });
    Ok(if return_old {
        Reply::bulk_or_null(old)
    } else if written {
        Reply::Ok
    } else {
        Reply::Null
    })
}

fn mset(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result<Reply, Reply> {
    for pair in args.chunks_exact(2) {
        kv(ks.set(pair[0], pair[1].to_vec(), None))?;
    }
    Ok(Reply::Ok)
}

fn del(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result<Reply, Reply> {
    let mut deleted = 0;
    for key in args {
        if kv(ks.del(key))? {
            deleted += 1;
        }
    }
    Ok(Reply::Integer(deleted))
}

fn exists(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result<Reply, Reply> {
    let mut found = 0;
    for key in args {
        if kv(ks.exists(key))? {
            found += 1;
        }
    }
    Ok(Reply::Integer(found))
}

/// Adds `delta` to the integer at `key` (0 if missing), keeping its expiry.
fn incr_by(ks: &MemoryKeyspace, key: &[u8], delta: i64) -> Result<Reply, Reply> {
    ks.update(key, |slot| {
        let current = match slot {
            None => 0,
            Some(s) => parse_integer(&s.value).ok_or_else(not_integer)?,
        };
        let next = current
            .checked_add(delta)
            .ok_or_else(|| Reply::err("increment or decrement would overflow"))?;
        let value = itoa::Buffer::new().format(next).as_bytes().to_vec();
        match slot {
            Some(s) => s.value = value,
            None => {
                *slot = Some(Slot {
                    value,
                    expires: None,
                })
            }
        }
        Ok(Reply::Integer(next))
    })
}

fn decr_by(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result<Reply, Reply> {
    let n = integer(args[1])?;
    // -i64::MIN does not exist; Redis 7 words this one its own way.
    let delta = n
        .checked_neg()
        .ok_or_else(|| Reply::err("decrement would overflow"))?;
    incr_by(ks, args[0], delta)
}

/// `APPEND key value`: the new length; a missing key starts empty.
fn append(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result<Reply, Reply> {
    ks.update(args[0], |slot| {
        let current = slot.as_ref().map_or(0, |s| s.value.len());
        if current + args[1].len() > MAX_STRING_LEN {
            return Err(Reply::err(
                "string exceeds maximum allowed size (proto-max-bulk-len)",
            ));
        }
        let s = slot.get_or_insert_with(|| Slot {
            value: Vec::new(),
            expires: None,
        });
        s.value.extend_from_slice(args[1]);
        Ok(Reply::Integer(len_i64(s.value.len())))
    })
}

/// `EXPIRE key seconds [NX|XX|GT|LT]` (`unit_ms` 1000) and `PEXPIRE key ms
/// [...]` (`unit_ms` 1): 1 if the expiry was set (or, for a non-positive
/// time, the key deleted), 0 if the key is missing or a condition failed.
fn expire(
    ks: &MemoryKeyspace,
    args: &[&[u8]],
    command: &str,
    unit_ms: i64,
) -> Result<Reply, Reply> {
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in &args[2..] {
        let is = |name: &str| opt.eq_ignore_ascii_case(name.as_bytes());
        if is("NX") {
            nx = true;
        } else if is("XX") {
            xx = true;
        } else if is("GT") {
            gt = true;
        } else if is("LT") {
            lt = true;
        } else {
            return Err(Reply::err(format_args!(
                "Unsupported option {}",
                String::from_utf8_lossy(opt)
            )));
        }
    }
    if nx && (xx || gt || lt) {
        return Err(Reply::err(
            "NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if gt && lt {
        return Err(Reply::err(
            "GT and LT options at the same time are not compatible",
        ));
    }
    let amount = integer(args[1])?;
    let deadline = deadline(amount, unit_ms, false).map_err(|()| invalid_expire(command))?;

    let set = ks.update(args[0], |slot| {
        let Some(s) = slot else {
            return false;
        };
        // A key without an expiry counts as never expiring: `GT` never
        // applies to it and `LT` always does.
        let current = s.expires;
        let later_than_current = |c: Instant| match deadline {
            Deadline::At(t) => t > c,
            Deadline::Past => false,
        };
        let earlier_than_current = |c: Instant| match deadline {
            Deadline::At(t) => t < c,
            Deadline::Past => true,
        };
        if (nx && current.is_some())
            || (xx && current.is_none())
            || (gt && !current.is_some_and(later_than_current))
            || (lt && current.is_some_and(|c| !earlier_than_current(c)))
        {
            return false;
        }
        match deadline {
            Deadline::At(t) => s.expires = Some(t),
            Deadline::Past => *slot = None,
        }
        true
    });
    Ok(Reply::Integer(i64::from(set)))
}

/// `TTL` (seconds, rounded) or `PTTL` (milliseconds): -2 if the key is
/// missing, -1 if it never expires.
fn ttl(ks: &MemoryKeyspace, args: &[&[u8]], millis: bool) -> Reply {
    Reply::Integer(match ks.ttl(args[0]) {
        None => -2,
        Some(None) => -1,
        Some(Some(left)) => {
            let ms = i64::try_from(left.as_millis()).unwrap_or(i64::MAX);
            if millis {
                ms
            } else {
                // Redis rounds to the nearest second.
                ms.saturating_add(500) / 1000
            }
        }
    })
}

/// `PERSIST key`: 1 if the key had an expiry and lost it.
fn persist(ks: &MemoryKeyspace, args: &[&[u8]]) -> Reply {
    let removed = ks.update(args[0], |slot| {
        slot.as_mut().and_then(|s| s.expires.take()).is_some()
    });
    Reply::Integer(i64::from(removed))
}

/// `KEYS pattern`: the matching keys, in ascending order.
fn keys(ks: &MemoryKeyspace, args: &[&[u8]]) -> Reply {
    let (all, _) = ks.keys_from(0, usize::MAX);
    Reply::Array(
        all.into_iter()
            .filter(|k| glob_match(args[0], k))
            .map(Reply::Bulk)
            .collect(),
    )
}

/// `SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]`.
fn scan(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result<Reply, Reply> {
    let cursor: u64 = std::str::from_utf8(args[0])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Reply::err("invalid cursor"))?;
    let mut count = DEFAULT_SCAN_COUNT;
    let mut pattern: Option<&[u8]> = None;
    let mut strings_only_type_ok = true;
    let mut i = 1;
    while i < args.len() {
        let opt = args[i];
        let Some(value) = args.get(i + 1) else {
            return Err(syntax_error());
        };
        if opt.eq_ignore_ascii_case(b"COUNT") {
            let n = integer(value)?;
            if n < 1 {
                return Err(syntax_error());
            }
            count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if opt.eq_ignore_ascii_case(b"MATCH") {
            // `*` matches everything: skip the matching.
            pattern = (&value[..] != b"*").then_some(&value[..]);
        } else if opt.eq_ignore_ascii_case(b"TYPE") {
            // Every value here is a string.
            strings_only_type_ok = value.eq_ignore_ascii_case(b"string");
        } else {
            return Err(syntax_error());
        }
        i += 2;
    }

    // A cursor past any possible index has nothing left.
    let (batch, more) = match usize::try_from(cursor) {
        Ok(start) => ks.keys_from(start, count),
        Err(_) => (Vec::new(), false),
    };
    let next = if more { cursor + batch.len() as u64 } else { 0 };
    // As Redis: MATCH and TYPE filter what COUNT took.
    let keys = batch
        .into_iter()
        .filter(|k| strings_only_type_ok && pattern.is_none_or(|p| glob_match(p, k)))
        .map(Reply::Bulk)
        .collect();
    Ok(Reply::Array(vec![
        Reply::Bulk(itoa::Buffer::new().format(next).as_bytes().to_vec()),
        Reply::Array(keys),
    ]))
}

/// `FLUSHDB [ASYNC|SYNC]` and `FLUSHALL [ASYNC|SYNC]` (one database here).
fn flush(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result<Reply, Reply> {
    match args {
        [] => {}
        [mode] if mode.eq_ignore_ascii_case(b"ASYNC") || mode.eq_ignore_ascii_case(b"SYNC") => {}
        _ => return Err(syntax_error()),
    }
    ks.clear();
    Ok(Reply::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread::sleep;

    /// Runs `command` (its name in any case) and returns the reply.
    fn run(ks: &MemoryKeyspace, command: &[&str]) -> Reply {
        try_run(ks, command).expect("a keyspace command")
    }

    fn try_run(ks: &MemoryKeyspace, command: &[&str]) -> Option<Reply> {
        let args: Vec<&[u8]> = command.iter().map(|a| a.as_bytes()).collect();
        run_bytes(ks, &args)
    }

    /// What the server does with a keyspace command: look it up, check its
    /// arity, run it; the reply read back from its RESP2 encoding.
    fn run_bytes(ks: &MemoryKeyspace, args: &[&[u8]]) -> Option<Reply> {
        let command = crate::commands::lookup(&crate::commands::Upper::new(args[0]))?;
        let mut buf = bytes::BytesMut::new();
        let mut out = Out::new(&mut buf, crate::reply::Protocol::Resp2);
        if !command.accepts(args.len()) {
            return Some(wrong_arity(command.name));
        }
        if !execute(ks, command.cmd, &args[1..], &mut out) {
            return None;
        }
        Some(crate::reply::decode(&buf))
    }

    fn bulk(s: &str) -> Reply {
        Reply::Bulk(s.as_bytes().to_vec())
    }

    fn err(s: &str) -> Reply {
        Reply::Error(s.to_string())
    }

    fn int(n: i64) -> Reply {
        Reply::Integer(n)
    }

    fn keys_of(reply: Reply) -> Vec<String> {
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

    const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
    const SYNTAX: &str = "ERR syntax error";

    #[test]
    fn unknown_commands_are_left_to_the_caller() {
        let ks = MemoryKeyspace::new();
        assert_eq!(try_run(&ks, &["PING"]), None);
        assert_eq!(try_run(&ks, &["FCALL", "f", "0"]), None);
        assert_eq!(try_run(&ks, &["HSET", "h", "f", "v"]), None);
    }

    #[test]
    fn wrong_arity_is_reported_in_lower_case() {
        let ks = MemoryKeyspace::new();
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
        let ks = MemoryKeyspace::new();
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
        let ks = MemoryKeyspace::new();
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
        let ks = MemoryKeyspace::new();
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
        let ks = MemoryKeyspace::new();
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
        let ks = MemoryKeyspace::new();
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
        let ks = MemoryKeyspace::new();
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
        let ks = MemoryKeyspace::new();
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
        let ks = MemoryKeyspace::new();
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
        let ks = MemoryKeyspace::new();
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
        let ks = MemoryKeyspace::new();
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
    fn scan_all(ks: &MemoryKeyspace, options: &[&str]) -> Vec<(String, Vec<String>)> {
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
        let ks = MemoryKeyspace::new();
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
        let ks = MemoryKeyspace::new();
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
}
