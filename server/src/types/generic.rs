//! Commands on keys of any type: `DEL`, `UNLINK`, `EXISTS`, `TYPE`,
//! `RENAME`, `RENAMENX`, `EXPIRE`, `PEXPIRE`, `EXPIREAT`, `PEXPIREAT`,
//! `TTL`, `PTTL`, `PERSIST`, `KEYS`, `SCAN`, `RANDOMKEY`, `DBSIZE`, and the
//! database commands `MOVE`, `SWAPDB`, `FLUSHDB`, `FLUSHALL`.
//!
//! `SCAN`'s cursor is an index into the ascending order of the live keys: a
//! full iteration returns every key that exists throughout it exactly once
//! as long as no key before the cursor is added or removed meanwhile.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ferrite_plugin_host::MemoryKeyspace;
use ferrite_plugin_host::keyspace::Value;

use super::{Ctx, Result, integer, len_i64, random_below, syntax_error};
use crate::commands::Cmd;
use crate::reply::{Out, Reply};

/// `SCAN`'s default `COUNT`.
const DEFAULT_SCAN_COUNT: usize = 10;

pub(super) fn execute(ctx: Ctx<'_>, cmd: Cmd, args: &[&[u8]], out: &mut Out<'_>) -> bool {
    let ks = ctx.db;
    let result = match cmd {
        Cmd::Del | Cmd::Unlink => Ok(del(ks, args)),
        Cmd::Exists => Ok(exists(ks, args)),
        Cmd::Type => Ok(Reply::Simple(
            ks.read(args[0], |v| v.map_or("none", Value::type_name))
                .to_string(),
        )),
        Cmd::Rename => rename(ks, args, false),
        Cmd::Renamenx => rename(ks, args, true),
        Cmd::Expire => expire(ks, args, "expire", 1000, false),
        Cmd::Pexpire => expire(ks, args, "pexpire", 1, false),
        Cmd::Expireat => expire(ks, args, "expireat", 1000, true),
        Cmd::Pexpireat => expire(ks, args, "pexpireat", 1, true),
        Cmd::Ttl => Ok(ttl(ks, args, false)),
        Cmd::Pttl => Ok(ttl(ks, args, true)),
        Cmd::Persist => Ok(persist(ks, args)),
        Cmd::Keys => Ok(keys(ks, args)),
        Cmd::Scan => scan(ks, args),
        Cmd::Randomkey => Ok(random_key(ks)),
        Cmd::Dbsize => Ok(Reply::Integer(len_i64(ks.len()))),
        Cmd::Flushdb => flush(&[ks], args),
        Cmd::Flushall => {
            let all: Vec<&MemoryKeyspace> = ctx.dbs.iter().map(|d| &**d).collect();
            flush(&all, args)
        }
        Cmd::Move => move_key(ctx, args),
        Cmd::Swapdb => swap_db(ctx, args),
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

pub(crate) fn invalid_expire(command: &str) -> Reply {
    Reply::err(format_args!("invalid expire time in '{command}' command"))
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn unix_ms_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// When a key is to expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deadline {
    /// At this instant, in the future.
    At(Instant),
    /// Already: the key is to be deleted.
    Past,
}

/// The deadline `amount` units of `unit_ms` milliseconds from now, or, if
/// `absolute`, since the Unix epoch. `Err` if it overflows as Redis counts
/// (milliseconds since the epoch in an `i64`).
pub(crate) fn deadline(
    amount: i64,
    unit_ms: i64,
    absolute: bool,
) -> std::result::Result<Deadline, ()> {
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

fn del(ks: &MemoryKeyspace, args: &[&[u8]]) -> Reply {
    let mut db = ks.lock_db();
    let deleted = args.iter().filter(|k| db.remove(k).is_some()).count();
    Reply::Integer(len_i64(deleted))
}

fn exists(ks: &MemoryKeyspace, args: &[&[u8]]) -> Reply {
    let mut db = ks.lock_db();
    let found = args.iter().filter(|k| db.contains(k)).count();
    Reply::Integer(len_i64(found))
}

/// `RENAME src dst` and `RENAMENX src dst`: the value and its expiry move.
fn rename(ks: &MemoryKeyspace, args: &[&[u8]], nx: bool) -> Result {
    let (src, dst) = (args[0], args[1]);
    let mut db = ks.lock_db();
    if !db.contains(src) {
        return Err(Reply::err("no such key"));
    }
    if src == dst {
        return Ok(if nx { Reply::Integer(0) } else { Reply::Ok });
    }
    if nx && db.contains(dst) {
        return Ok(Reply::Integer(0));
    }
    if let Some((value, expires)) = db.remove(src) {
        db.insert(dst, value, expires);
    }
    Ok(if nx { Reply::Integer(1) } else { Reply::Ok })
}

/// `EXPIRE key seconds [NX|XX|GT|LT]` (`unit_ms` 1000), `PEXPIRE key ms
/// [...]` (`unit_ms` 1), and with `absolute` `EXPIREAT` / `PEXPIREAT`: 1 if
/// the expiry was set (or, for a time in the past, the key deleted), 0 if
/// the key is missing or a condition failed.
fn expire(
    ks: &MemoryKeyspace,
    args: &[&[u8]],
    command: &str,
    unit_ms: i64,
    absolute: bool,
) -> Result {
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
    let deadline = deadline(amount, unit_ms, absolute).map_err(|()| invalid_expire(command))?;

    let mut db = ks.lock_db();
    let Some(current) = db.expires(args[0]) else {
        return Ok(Reply::Integer(0));
    };
    // A key without an expiry counts as never expiring: `GT` never
    // applies to it and `LT` always does.
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
        return Ok(Reply::Integer(0));
    }
    match deadline {
        Deadline::At(t) => {
            db.set_expires(args[0], Some(t));
        }
        Deadline::Past => {
            db.remove(args[0]);
        }
    }
    Ok(Reply::Integer(1))
}

/// `TTL` (seconds, rounded) or `PTTL` (milliseconds): -2 if the key is
/// missing, -1 if it never expires.
fn ttl(ks: &MemoryKeyspace, args: &[&[u8]], millis: bool) -> Reply {
    let expires = ks.lock_db().expires(args[0]);
    Reply::Integer(match expires {
        None => -2,
        Some(None) => -1,
        Some(Some(at)) => {
            let left = at.saturating_duration_since(Instant::now());
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
    let mut db = ks.lock_db();
    let removed = db.expires(args[0]).flatten().is_some() && db.set_expires(args[0], None);
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
fn scan(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let cursor = super::cursor(args[0])?;
    let mut count = DEFAULT_SCAN_COUNT;
    let mut pattern: Option<&[u8]> = None;
    let mut type_name: Option<&[u8]> = None;
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
            type_name = Some(value);
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
        .filter(|k| pattern.is_none_or(|p| glob_match(p, k)))
        .filter(|k| {
            type_name.is_none_or(|t| {
                ks.read(k, |v| {
                    v.is_some_and(|v| t.eq_ignore_ascii_case(v.type_name().as_bytes()))
                })
            })
        })
        .map(Reply::Bulk)
        .collect();
    Ok(Reply::Array(vec![
        Reply::Bulk(itoa::Buffer::new().format(next).as_bytes().to_vec()),
        Reply::Array(keys),
    ]))
}

fn random_key(ks: &MemoryKeyspace) -> Reply {
    let db = ks.lock_db();
    let n = db.len();
    if n == 0 {
        return Reply::Null;
    }
    Reply::bulk_or_null(db.nth_key(random_below(n)))
}

/// `FLUSHDB [ASYNC|SYNC]` (the session's database) and `FLUSHALL
/// [ASYNC|SYNC]` (every database).
fn flush(dbs: &[&MemoryKeyspace], args: &[&[u8]]) -> Result {
    match args {
        [] => {}
        [mode] if mode.eq_ignore_ascii_case(b"ASYNC") || mode.eq_ignore_ascii_case(b"SYNC") => {}
        _ => return Err(syntax_error()),
    }
    for db in dbs {
        db.clear();
    }
    Ok(Reply::Ok)
}

/// A database index argument.
pub(crate) fn db_index(arg: &[u8], dbs: usize) -> Result<usize> {
    let n = integer(arg)?;
    usize::try_from(n)
        .ok()
        .filter(|&i| i < dbs)
        .ok_or_else(|| Reply::err("DB index is out of range"))
}

/// `MOVE key db`: 1 if the key moved, 0 if it is missing here or exists there.
fn move_key(ctx: Ctx<'_>, args: &[&[u8]]) -> Result {
    let to = db_index(args[1], ctx.dbs.len())?;
    let target = &ctx.dbs[to];
    if std::ptr::eq(&**target, ctx.db) {
        return Err(Reply::err("source and destination objects are the same"));
    }
    Ok(Reply::Integer(i64::from(ctx.db.move_to(args[0], target))))
}

/// `SWAPDB index1 index2`.
fn swap_db(ctx: Ctx<'_>, args: &[&[u8]]) -> Result {
    let index = |arg: &[u8], which: &str| {
        let n = integer(arg).map_err(|_| Reply::err(format_args!("invalid {which} DB index")))?;
        usize::try_from(n)
            .ok()
            .filter(|&i| i < ctx.dbs.len())
            .ok_or_else(|| Reply::err("DB index is out of range"))
    };
    let a = index(args[0], "first")?;
    let b = index(args[1], "second")?;
    ctx.dbs[a].swap(&ctx.dbs[b]);
    Ok(Reply::Ok)
}
