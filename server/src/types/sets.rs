//! Set commands: `SADD`, `SREM`, `SMEMBERS`, `SISMEMBER`, `SMISMEMBER`,
//! `SCARD`, `SINTER`, `SUNION`, `SDIFF`, `SINTERSTORE`, `SUNIONSTORE`,
//! `SDIFFSTORE`, `SPOP`, `SRANDMEMBER`, `SMOVE`, `SSCAN`.

use ferrite_plugin_host::MemoryKeyspace;
use ferrite_plugin_host::keyspace::{Db, Set, Value};

use super::{Result, count, integer, len_i64, random_below};
use crate::commands::Cmd;
use crate::reply::{Out, Reply};

pub(super) fn execute(ks: &MemoryKeyspace, cmd: Cmd, args: &[&[u8]], out: &mut Out<'_>) -> bool {
    let result = match cmd {
        Cmd::Sadd => {
            let added = ks.lock_db().modify(args[0], true, |s: &mut Set| {
                args[1..].iter().filter(|m| s.insert(m.to_vec())).count()
            });
            added
                .map(|n| Reply::Integer(len_i64(n.unwrap_or(0))))
                .map_err(Reply::from)
        }
        Cmd::Srem => {
            let removed = ks.lock_db().modify(args[0], false, |s: &mut Set| {
                args[1..].iter().filter(|m| s.remove(**m)).count()
            });
            removed
                .map(|n| Reply::Integer(len_i64(n.unwrap_or(0))))
                .map_err(Reply::from)
        }
        Cmd::Smembers => read(ks, args[0], |s| members(s.into_iter().flatten())),
        Cmd::Sismember => read(ks, args[0], |s| {
            Reply::Integer(i64::from(s.is_some_and(|s| s.contains(args[1]))))
        }),
        Cmd::Smismember => read(ks, args[0], |s| {
            Reply::Array(
                args[1..]
                    .iter()
                    .map(|m| Reply::Integer(i64::from(s.is_some_and(|s| s.contains(*m)))))
                    .collect(),
            )
        }),
        Cmd::Scard => read(ks, args[0], |s| {
            Reply::Integer(len_i64(s.map_or(0, Set::len)))
        }),
        Cmd::Sinter => combine(ks, args, Op::Inter).map(|s| members(s.iter())),
        Cmd::Sunion => combine(ks, args, Op::Union).map(|s| members(s.iter())),
        Cmd::Sdiff => combine(ks, args, Op::Diff).map(|s| members(s.iter())),
        Cmd::Sinterstore => store(ks, args, Op::Inter),
        Cmd::Sunionstore => store(ks, args, Op::Union),
        Cmd::Sdiffstore => store(ks, args, Op::Diff),
        Cmd::Spop => spop(ks, args),
        Cmd::Srandmember => srandmember(ks, args),
        Cmd::Smove => smove(ks, args),
        Cmd::Sscan => sscan(ks, args),
        _ => return false,
    };
    out.result(result);
    true
}

fn read(ks: &MemoryKeyspace, key: &[u8], f: impl FnOnce(Option<&Set>) -> Reply) -> Result {
    let mut db = ks.lock_db();
    Ok(f(db.view::<Set>(key)?))
}

fn members<'a>(items: impl Iterator<Item = &'a Vec<u8>>) -> Reply {
    Reply::Set(items.cloned().map(Reply::Bulk).collect())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Inter,
    Union,
    Diff,
}

/// The intersection, union or difference of the sets at `keys` (a missing
/// key is an empty set); `WRONGTYPE` if any holds another type.
fn combine_in(db: &mut Db<'_>, keys: &[&[u8]], op: Op) -> Result<Set> {
    let mut sets: Vec<Option<Set>> = Vec::with_capacity(keys.len());
    for key in keys {
        sets.push(db.view::<Set>(key)?.cloned());
    }
    let mut sets = sets.into_iter();
    let first = sets.next().flatten().unwrap_or_default();
    Ok(match op {
        Op::Union => sets.flatten().fold(first, |mut acc, s| {
            acc.extend(s);
            acc
        }),
        Op::Diff => sets.flatten().fold(first, |mut acc, s| {
            acc.retain(|m| !s.contains(m));
            acc
        }),
        Op::Inter => {
            let mut acc = first;
            for s in sets {
                match s {
                    None => acc.clear(),
                    Some(s) => acc.retain(|m| s.contains(m)),
                }
            }
            acc
        }
    })
}

fn combine(ks: &MemoryKeyspace, keys: &[&[u8]], op: Op) -> Result<Set> {
    combine_in(&mut ks.lock_db(), keys, op)
}

/// `S*STORE destination key ...`: the result's size; an empty result
/// deletes the destination.
fn store(ks: &MemoryKeyspace, args: &[&[u8]], op: Op) -> Result {
    let mut db = ks.lock_db();
    let set = combine_in(&mut db, &args[1..], op)?;
    let n = set.len();
    db.insert(args[0], Value::Set(set), None);
    Ok(Reply::Integer(len_i64(n)))
}

/// `SPOP key [count]`.
fn spop(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    if args.len() > 2 {
        return Err(super::syntax_error());
    }
    let n = args.get(1).map(|c| count(c)).transpose()?;
    let popped = ks.lock_db().modify(args[0], false, |s: &mut Set| {
        let mut items = Vec::new();
        for _ in 0..n.unwrap_or(1).min(s.len()) {
            let pick = s.iter().nth(random_below(s.len())).cloned();
            if let Some(m) = pick {
                s.remove(&m);
                items.push(m);
            }
        }
        items
    })?;
    Ok(match (popped, n) {
        (None, None) => Reply::Null,
        (None, Some(_)) => Reply::Set(Vec::new()),
        (Some(mut items), None) => Reply::bulk_or_null(items.pop()),
        (Some(items), Some(_)) => Reply::Set(items.into_iter().map(Reply::Bulk).collect()),
    })
}

/// The most members `SRANDMEMBER` with a negative count returns: each is a
/// copy, so the reply is bounded by this rather than by the set.
pub const MAX_REPEATED_MEMBERS: u64 = 1 << 24;

/// `SRANDMEMBER key [count]`: distinct members for a positive count, any
/// for a negative one.
fn srandmember(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    if args.len() > 2 {
        return Err(super::syntax_error());
    }
    let n = args
        .get(1)
        .map(|c| {
            let n = integer(c)?;
            if n == i64::MIN {
                return Err(Reply::err(
                    "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
                ));
            }
            Ok(n)
        })
        .transpose()?;
    read(ks, args[0], |s| {
        let all: Vec<&Vec<u8>> = s.into_iter().flatten().collect();
        match n {
            None => {
                Reply::bulk_or_null((!all.is_empty()).then(|| all[random_below(all.len())].clone()))
            }
            Some(_) if all.is_empty() => Reply::Array(Vec::new()),
            Some(n) if n >= 0 => {
                let mut pool: Vec<&Vec<u8>> = all;
                let want = usize::try_from(n).unwrap_or(usize::MAX).min(pool.len());
                let mut picked = Vec::with_capacity(want);
                for _ in 0..want {
                    let i = random_below(pool.len());
                    picked.push(Reply::Bulk(pool.swap_remove(i).clone()));
                }
                Reply::Array(picked)
            }
            Some(n) if n.unsigned_abs() > MAX_REPEATED_MEMBERS => Reply::err(format!(
                "value is out of range: a negative count returns at most {MAX_REPEATED_MEMBERS} members on this server"
            )),
            Some(n) => {
                let want = usize::try_from(n.unsigned_abs()).unwrap_or(usize::MAX);
                Reply::Array(
                    (0..want)
                        .map(|_| Reply::Bulk(all[random_below(all.len())].clone()))
                        .collect(),
                )
            }
        }
    })
}

/// `SMOVE source destination member`.
fn smove(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let (src, dst, member) = (args[0], args[1], args[2]);
    let mut db = ks.lock_db();
    let present = db.view::<Set>(src)?.is_some_and(|s| s.contains(member));
    db.view::<Set>(dst)?;
    if !present {
        return Ok(Reply::Integer(0));
    }
    if src == dst {
        return Ok(Reply::Integer(1));
    }
    db.modify(src, false, |s: &mut Set| s.remove(member))?;
    db.modify(dst, true, |s: &mut Set| s.insert(member.to_vec()))?;
    Ok(Reply::Integer(1))
}

fn sscan(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let cursor = super::cursor(args[1])?;
    let (pattern, count) = super::scan_options(&args[2..])?;
    read(ks, args[0], |s| {
        let items = s
            .into_iter()
            .flatten()
            .map(|m| (m.clone(), vec![Reply::Bulk(m.clone())]));
        super::scan_items(cursor, pattern.as_deref(), count, items)
    })
}
