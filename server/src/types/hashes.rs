//! Hash commands: `HSET`, `HSETNX`, `HMSET`, `HGET`, `HMGET`, `HDEL`,
//! `HGETALL`, `HKEYS`, `HVALS`, `HLEN`, `HEXISTS`, `HINCRBY`,
//! `HINCRBYFLOAT`, `HSTRLEN`, `HSCAN`.

use ferrite_plugin_host::MemoryKeyspace;
use ferrite_plugin_host::keyspace::{Hash, parse_integer};

use super::{Result, float, integer, len_i64};
use crate::commands::{Cmd, wrong_arity};
use crate::reply::{Out, Reply};

pub(super) fn execute(ks: &MemoryKeyspace, cmd: Cmd, args: &[&[u8]], out: &mut Out<'_>) -> bool {
    let key = args.first().copied().unwrap_or_default();
    let result = match cmd {
        Cmd::Hset | Cmd::Hmset if args.len().is_multiple_of(2) => {
            Err(wrong_arity(if cmd == Cmd::Hset { "HSET" } else { "HMSET" }))
        }
        Cmd::Hset => hset(ks, args).map(Reply::Integer),
        Cmd::Hmset => hset(ks, args).map(|_| Reply::Ok),
        Cmd::Hsetnx => hsetnx(ks, args),
        Cmd::Hget => read(ks, key, |h| {
            Reply::bulk_or_null(h.and_then(|h| h.get(args[1]).cloned()))
        }),
        Cmd::Hmget => read(ks, key, |h| {
            Reply::Array(
                args[1..]
                    .iter()
                    .map(|f| Reply::bulk_or_null(h.and_then(|h| h.get(*f).cloned())))
                    .collect(),
            )
        }),
        Cmd::Hdel => hdel(ks, args),
        Cmd::Hgetall => read(ks, key, |h| {
            Reply::Map(h.map_or_else(Vec::new, |h| {
                h.iter()
                    .map(|(f, v)| (Reply::Bulk(f.clone()), Reply::Bulk(v.clone())))
                    .collect()
            }))
        }),
        Cmd::Hkeys => read(ks, key, |h| {
            Reply::Array(h.map_or_else(Vec::new, |h| h.keys().cloned().map(Reply::Bulk).collect()))
        }),
        Cmd::Hvals => read(ks, key, |h| {
            Reply::Array(
                h.map_or_else(Vec::new, |h| h.values().cloned().map(Reply::Bulk).collect()),
            )
        }),
        Cmd::Hlen => read(ks, key, |h| Reply::Integer(len_i64(h.map_or(0, Hash::len)))),
        Cmd::Hexists => read(ks, key, |h| {
            Reply::Integer(i64::from(h.is_some_and(|h| h.contains_key(args[1]))))
        }),
        Cmd::Hstrlen => read(ks, key, |h| {
            Reply::Integer(len_i64(h.and_then(|h| h.get(args[1])).map_or(0, Vec::len)))
        }),
        Cmd::Hincrby => hincrby(ks, args),
        Cmd::Hincrbyfloat => hincrbyfloat(ks, args),
        Cmd::Hscan => hscan(ks, args),
        _ => return false,
    };
    out.result(result);
    true
}

/// Runs `f` on the hash at `key` (`None` if missing); `WRONGTYPE` if the key
/// holds another type.
fn read(ks: &MemoryKeyspace, key: &[u8], f: impl FnOnce(Option<&Hash>) -> Reply) -> Result {
    let mut db = ks.lock_db();
    Ok(f(db.view::<Hash>(key)?))
}

/// `HSET key field value [field value ...]`: how many fields are new.
fn hset(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result<i64> {
    let added = ks.lock_db().modify(args[0], true, |h: &mut Hash| {
        args[1..]
            .chunks_exact(2)
            .filter(|p| h.insert(p[0].to_vec(), p[1].to_vec()).is_none())
            .count()
    })?;
    Ok(len_i64(added.unwrap_or(0)))
}

fn hsetnx(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let mut db = ks.lock_db();
    if db
        .view::<Hash>(args[0])?
        .is_some_and(|h| h.contains_key(args[1]))
    {
        return Ok(Reply::Integer(0));
    }
    db.modify(args[0], true, |h: &mut Hash| {
        h.insert(args[1].to_vec(), args[2].to_vec())
    })?;
    Ok(Reply::Integer(1))
}

fn hdel(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let removed = ks.lock_db().modify(args[0], false, |h: &mut Hash| {
        args[1..].iter().filter(|f| h.remove(**f).is_some()).count()
    })?;
    Ok(Reply::Integer(len_i64(removed.unwrap_or(0))))
}

/// `HINCRBY key field increment`.
fn hincrby(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let delta = integer(args[2])?;
    let mut db = ks.lock_db();
    let current = match db.view::<Hash>(args[0])?.and_then(|h| h.get(args[1])) {
        None => 0,
        Some(v) => parse_integer(v).ok_or_else(|| Reply::err("hash value is not an integer"))?,
    };
    let next = current
        .checked_add(delta)
        .ok_or_else(|| Reply::err("increment or decrement would overflow"))?;
    db.modify(args[0], true, |h: &mut Hash| {
        h.insert(args[1].to_vec(), next.to_string().into_bytes())
    })?;
    Ok(Reply::Integer(next))
}

/// `HINCRBYFLOAT key field increment`: the new value, as a bulk string.
fn hincrbyfloat(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let delta = float(args[2])?;
    let mut db = ks.lock_db();
    let current = match db.view::<Hash>(args[0])?.and_then(|h| h.get(args[1])) {
        None => 0.0,
        Some(v) => super::parse_float(v).ok_or_else(|| Reply::err("hash value is not a float"))?,
    };
    let next = current + delta;
    if !next.is_finite() {
        return Err(Reply::err("increment would produce NaN or Infinity"));
    }
    let text = super::float_text(next);
    db.modify(args[0], true, |h: &mut Hash| {
        h.insert(args[1].to_vec(), text.clone())
    })?;
    Ok(Reply::Bulk(text))
}

/// `HSCAN key cursor [MATCH pattern] [COUNT n]`: fields and values.
fn hscan(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let cursor = super::cursor(args[1])?;
    let (pattern, count) = super::scan_options(&args[2..])?;
    read(ks, args[0], |h| {
        let items = h.into_iter().flatten().map(|(f, v)| {
            (
                f.clone(),
                vec![Reply::Bulk(f.clone()), Reply::Bulk(v.clone())],
            )
        });
        super::scan_items(cursor, pattern.as_deref(), count, items)
    })
}
