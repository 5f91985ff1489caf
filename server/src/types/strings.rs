//! String commands: `GET`, `SET`, `MGET`, `MSET`, `MSETNX`, `SETNX`,
//! `SETEX`, `PSETEX`, `GETSET`, `GETDEL`, `GETEX`, `INCR`, `INCRBY`, `DECR`,
//! `DECRBY`, `INCRBYFLOAT`, `APPEND`, `STRLEN`, `GETRANGE`, `SETRANGE`.

use ferrite_plugin_host::MemoryKeyspace;
use ferrite_plugin_host::keyspace::{Db, Value, parse_integer};

use super::generic::{Deadline, deadline, invalid_expire};
use super::{Result, WRONGTYPE, float, integer, len_i64, not_float, not_integer, syntax_error};
use crate::commands::{Cmd, wrong_arity};
use crate::reply::{Out, Reply};

/// The largest string value, as Redis's default `proto-max-bulk-len`.
const MAX_STRING_LEN: usize = 512 * 1024 * 1024;

pub(super) fn execute(ks: &MemoryKeyspace, cmd: Cmd, args: &[&[u8]], out: &mut Out<'_>) -> bool {
    let result = match cmd {
        // Read in place: the value goes from the map into the reply.
        Cmd::Get => {
            ks.read(args[0], |v| match v {
                None => out.null(),
                Some(Value::String(s)) => out.bulk(s),
                Some(_) => out.error(WRONGTYPE),
            });
            return true;
        }
        Cmd::Mget => {
            out.array(args.len());
            for key in args {
                // As Redis: a key of another type reads as missing.
                ks.read(key, |v| out.bulk_or_null(v.and_then(Value::as_string)));
            }
            return true;
        }
        Cmd::Set => set(ks, args),
        Cmd::Setnx => Ok(Reply::Integer(i64::from(set_nx(ks, args[0], args[1])))),
        Cmd::Setex => set_ex(ks, args, 1000, "setex"),
        Cmd::Psetex => set_ex(ks, args, 1, "psetex"),
        Cmd::Getset => get_set(ks, args),
        Cmd::Getdel => get_del(ks, args[0]),
        Cmd::Getex => get_ex(ks, args),
        Cmd::Mset if !args.len().is_multiple_of(2) => Err(wrong_arity("MSET")),
        Cmd::Mset => mset(ks, args),
        Cmd::Msetnx if !args.len().is_multiple_of(2) => Err(wrong_arity("MSETNX")),
        Cmd::Msetnx => Ok(msetnx(ks, args)),
        Cmd::Incr => incr_by(ks, args[0], 1),
        Cmd::Decr => incr_by(ks, args[0], -1),
        Cmd::IncrBy => integer(args[1]).and_then(|n| incr_by(ks, args[0], n)),
        Cmd::DecrBy => decr_by(ks, args),
        Cmd::IncrByFloat => incr_by_float(ks, args),
        Cmd::Append => append(ks, args),
        Cmd::Strlen => ks.read(args[0], |v| match v {
            None => Ok(Reply::Integer(0)),
            Some(Value::String(s)) => Ok(Reply::Integer(len_i64(s.len()))),
            Some(_) => Err(Reply::Error(WRONGTYPE.into())),
        }),
        Cmd::Getrange => get_range(ks, args),
        Cmd::Setrange => set_range(ks, args),
        _ => return false,
    };
    out.result(result);
    true
}

/// The string at `key` in a locked database: `Ok(None)` if missing,
/// `WRONGTYPE` if it holds another type.
fn string<'d>(db: &'d mut Db<'_>, key: &[u8]) -> Result<Option<&'d Vec<u8>>> {
    Ok(db.view::<Vec<u8>>(key)?)
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

/// The deadline an `EX`/`PX`/`EXAT`/`PXAT` option's `amount` names, for
/// `command`'s error text. Redis refuses a non-positive time even as a Unix
/// time.
fn option_deadline(amount: &[u8], unit: i64, abs: bool, command: &str) -> Result<Deadline> {
    let amount = integer(amount)?;
    if amount <= 0 {
        return Err(invalid_expire(command));
    }
    deadline(amount, unit, abs).map_err(|()| invalid_expire(command))
}

/// `SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms|KEEPTTL]`.
fn set(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
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
        SetExpiry::Value(at, unit, abs) => Some(option_deadline(args[at], unit, abs, "set")?),
        _ => None,
    };

    let key = args[0];
    let mut db = ks.lock_db();
    let old = if return_old {
        string(&mut db, key)?.cloned()
    } else {
        None
    };
    let exists = db.contains(key);
    let written = !((nx && exists) || (xx && !exists));
    if written {
        let expires = match (expiry, deadline) {
            (_, Some(Deadline::Past)) => {
                // Already expired: as good as deleted.
                db.remove(key);
                None
            }
            (_, Some(Deadline::At(t))) => Some(Some(t)),
            (SetExpiry::Keep, _) => Some(db.expires(key).flatten()),
            _ => Some(None),
        };
        if let Some(expires) = expires {
            db.insert(key, Value::String(args[1].to_vec()), expires);
        }
    }
    Ok(if return_old {
        Reply::bulk_or_null(old)
    } else if written {
        Reply::Ok
    } else {
        Reply::Null
    })
}

fn set_nx(ks: &MemoryKeyspace, key: &[u8], value: &[u8]) -> bool {
    let mut db = ks.lock_db();
    if db.contains(key) {
        return false;
    }
    db.insert(key, Value::String(value.to_vec()), None);
    true
}

/// `SETEX key seconds value` (`unit_ms` 1000), `PSETEX key ms value` (1).
fn set_ex(ks: &MemoryKeyspace, args: &[&[u8]], unit_ms: i64, command: &str) -> Result {
    let amount = integer(args[1])?;
    if amount <= 0 {
        return Err(invalid_expire(command));
    }
    let at = match deadline(amount, unit_ms, false).map_err(|()| invalid_expire(command))? {
        Deadline::At(t) => t,
        Deadline::Past => return Err(invalid_expire(command)),
    };
    ks.lock_db()
        .insert(args[0], Value::String(args[2].to_vec()), Some(at));
    Ok(Reply::Ok)
}

/// `GETSET key value`: the old value; the key loses its expiry.
fn get_set(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let mut db = ks.lock_db();
    let old = string(&mut db, args[0])?.cloned();
    db.insert(args[0], Value::String(args[1].to_vec()), None);
    Ok(Reply::bulk_or_null(old))
}

fn get_del(ks: &MemoryKeyspace, key: &[u8]) -> Result {
    let mut db = ks.lock_db();
    if string(&mut db, key)?.is_none() {
        return Ok(Reply::Null);
    }
    Ok(match db.remove(key) {
        Some((Value::String(s), _)) => Reply::Bulk(s),
        _ => Reply::Null,
    })
}

/// `GETEX key [EX s|PX ms|EXAT ts|PXAT ms|PERSIST]`: the value, and the
/// key's expiry set or cleared.
fn get_ex(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    // `None`: leave the expiry; `Some(None)`: PERSIST; `Some(Some(i, ..))`:
    // the time at argument `i`.
    let change = match &args[1..] {
        [] => None,
        [opt] if opt.eq_ignore_ascii_case(b"PERSIST") => Some(None),
        [opt, _] => match set_expiry_kind(opt) {
            Some((unit, abs)) => Some(Some((2, unit, abs))),
            None => return Err(syntax_error()),
        },
        _ => return Err(syntax_error()),
    };
    let deadline = match change {
        Some(Some((at, unit, abs))) => Some(option_deadline(args[at], unit, abs, "getex")?),
        _ => None,
    };
    let key = args[0];
    let mut db = ks.lock_db();
    let Some(value) = string(&mut db, key)?.cloned() else {
        return Ok(Reply::Null);
    };
    match (change, deadline) {
        (_, Some(Deadline::Past)) => {
            db.remove(key);
        }
        (_, Some(Deadline::At(t))) => {
            db.set_expires(key, Some(t));
        }
        (Some(None), _) => {
            db.set_expires(key, None);
        }
        _ => {}
    }
    Ok(Reply::Bulk(value))
}

fn mset(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let mut db = ks.lock_db();
    for pair in args.chunks_exact(2) {
        db.insert(pair[0], Value::String(pair[1].to_vec()), None);
    }
    Ok(Reply::Ok)
}

/// `MSETNX key value ...`: sets them all if none exists.
fn msetnx(ks: &MemoryKeyspace, args: &[&[u8]]) -> Reply {
    let mut db = ks.lock_db();
    if args.chunks_exact(2).any(|pair| db.contains(pair[0])) {
        return Reply::Integer(0);
    }
    for pair in args.chunks_exact(2) {
        db.insert(pair[0], Value::String(pair[1].to_vec()), None);
    }
    Reply::Integer(1)
}

/// Adds `delta` to the integer at `key` (0 if missing), keeping its expiry.
fn incr_by(ks: &MemoryKeyspace, key: &[u8], delta: i64) -> Result {
    let mut db = ks.lock_db();
    let current = match string(&mut db, key)? {
        None => 0,
        Some(s) => parse_integer(s).ok_or_else(not_integer)?,
    };
    let next = current
        .checked_add(delta)
        .ok_or_else(|| Reply::err("increment or decrement would overflow"))?;
    let value = itoa::Buffer::new().format(next).as_bytes().to_vec();
    db.replace(key, Value::String(value));
    Ok(Reply::Integer(next))
}

fn decr_by(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let n = integer(args[1])?;
    // -i64::MIN does not exist; Redis 7 words this one its own way.
    let delta = n
        .checked_neg()
        .ok_or_else(|| Reply::err("decrement would overflow"))?;
    incr_by(ks, args[0], delta)
}

/// `INCRBYFLOAT key increment`: the new value, as a bulk string.
fn incr_by_float(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let delta = float(args[1])?;
    let mut db = ks.lock_db();
    let current = match string(&mut db, args[0])? {
        None => 0.0,
        Some(s) => super::parse_float(s).ok_or_else(not_float)?,
    };
    let next = current + delta;
    if !next.is_finite() {
        return Err(Reply::err("increment would produce NaN or Infinity"));
    }
    let text = super::float_text(next);
    db.replace(args[0], Value::String(text.clone()));
    Ok(Reply::Bulk(text))
}

/// `APPEND key value`: the new length; a missing key starts empty.
fn append(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let mut db = ks.lock_db();
    let current = string(&mut db, args[0])?.map_or(0, Vec::len);
    if current + args[1].len() > MAX_STRING_LEN {
        return Err(Reply::err(
            "string exceeds maximum allowed size (proto-max-bulk-len)",
        ));
    }
    let len = db.modify(args[0], true, |s: &mut Vec<u8>| {
        s.extend_from_slice(args[1]);
        s.len()
    })?;
    Ok(Reply::Integer(len_i64(len.unwrap_or(0))))
}

/// `GETRANGE key start end`: the bytes from `start` to `end` inclusive
/// (negative ones count from the end).
fn get_range(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let start = integer(args[1])?;
    let end = integer(args[2])?;
    let mut db = ks.lock_db();
    let Some(s) = string(&mut db, args[0])? else {
        return Ok(Reply::Bulk(Vec::new()));
    };
    if start < 0 && end < 0 && start > end {
        return Ok(Reply::Bulk(Vec::new()));
    }
    let len = len_i64(s.len());
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let end = if end < 0 {
        (len + end).max(0)
    } else {
        end.min(len - 1)
    };
    if len == 0 || start > end {
        return Ok(Reply::Bulk(Vec::new()));
    }
    Ok(Reply::Bulk(s[start as usize..=end as usize].to_vec()))
}

/// `SETRANGE key offset value`: overwrites from `offset`, padding with zero
/// bytes; the new length.
fn set_range(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let offset = integer(args[1])?;
    let offset = usize::try_from(offset).map_err(|_| Reply::err("offset is out of range"))?;
    let value = args[2];
    let mut db = ks.lock_db();
    let current = string(&mut db, args[0])?.map(Vec::len);
    if value.is_empty() {
        return Ok(Reply::Integer(len_i64(current.unwrap_or(0))));
    }
    if offset.saturating_add(value.len()) > MAX_STRING_LEN {
        return Err(Reply::err(
            "string exceeds maximum allowed size (proto-max-bulk-len)",
        ));
    }
    let len = db.modify(args[0], true, |s: &mut Vec<u8>| {
        let end = offset + value.len();
        if s.len() < end {
            s.resize(end, 0);
        }
        s[offset..end].copy_from_slice(value);
        s.len()
    })?;
    Ok(Reply::Integer(len_i64(len.unwrap_or(0))))
}
