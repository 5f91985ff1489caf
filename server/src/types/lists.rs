//! List commands: `LPUSH`, `RPUSH`, `LPUSHX`, `RPUSHX`, `LPOP`, `RPOP`,
//! `LRANGE`, `LLEN`, `LINDEX`, `LSET`, `LREM`, `LTRIM`, `LINSERT`, `LPOS`,
//! `RPOPLPUSH`, `LMOVE`.

use ferrite_plugin_host::MemoryKeyspace;
use ferrite_plugin_host::keyspace::{List, clamp_range};

use super::{Result, count, integer, len_i64, syntax_error};
use crate::commands::{Cmd, wrong_arity};
use crate::reply::{Out, Reply};

pub(super) fn execute(ks: &MemoryKeyspace, cmd: Cmd, args: &[&[u8]], out: &mut Out<'_>) -> bool {
    let result = match cmd {
        Cmd::Lpush => push(ks, args, true, true),
        Cmd::Rpush => push(ks, args, false, true),
        Cmd::Lpushx => push(ks, args, true, false),
        Cmd::Rpushx => push(ks, args, false, false),
        Cmd::Lpop => pop(ks, args, true, "LPOP"),
        Cmd::Rpop => pop(ks, args, false, "RPOP"),
        Cmd::Lrange => lrange(ks, args),
        Cmd::Llen => read(ks, args[0], |l| {
            Ok(Reply::Integer(len_i64(l.map_or(0, List::len))))
        }),
        Cmd::Lindex => lindex(ks, args),
        Cmd::Lset => lset(ks, args),
        Cmd::Lrem => lrem(ks, args),
        Cmd::Ltrim => ltrim(ks, args),
        Cmd::Linsert => linsert(ks, args),
        Cmd::Lpos => lpos(ks, args),
        Cmd::Rpoplpush => lmove(ks, args[0], args[1], false, true),
        Cmd::Lmove => match (end(args[2]), end(args[3])) {
            (Some(from_left), Some(to_left)) => lmove(ks, args[0], args[1], from_left, to_left),
            _ => Err(syntax_error()),
        },
        _ => return false,
    };
    out.result(result);
    true
}

/// `LEFT` (true) or `RIGHT` (false).
fn end(arg: &[u8]) -> Option<bool> {
    if arg.eq_ignore_ascii_case(b"LEFT") {
        Some(true)
    } else if arg.eq_ignore_ascii_case(b"RIGHT") {
        Some(false)
    } else {
        None
    }
}

fn read(ks: &MemoryKeyspace, key: &[u8], f: impl FnOnce(Option<&List>) -> Result) -> Result {
    let mut db = ks.lock_db();
    f(db.view::<List>(key)?)
}

/// A list index argument, as an offset from the head (negative ones count
/// from the tail); `None` if it is outside a list of `len`.
fn index(i: i64, len: usize) -> Option<usize> {
    let len = len_i64(len);
    let i = if i < 0 { len.checked_add(i)? } else { i };
    (0..len).contains(&i).then_some(i as usize)
}

/// `LPUSH` / `RPUSH` (`create`), `LPUSHX` / `RPUSHX`: the new length.
fn push(ks: &MemoryKeyspace, args: &[&[u8]], left: bool, create: bool) -> Result {
    let len = ks.lock_db().modify(args[0], create, |l: &mut List| {
        for v in &args[1..] {
            if left {
                l.push_front(v.to_vec());
            } else {
                l.push_back(v.to_vec());
            }
        }
        l.len()
    })?;
    Ok(Reply::Integer(len_i64(len.unwrap_or(0))))
}

/// `LPOP key [count]` / `RPOP key [count]`.
fn pop(ks: &MemoryKeyspace, args: &[&[u8]], left: bool, name: &str) -> Result {
    if args.len() > 2 {
        return Err(wrong_arity(name));
    }
    let n = args.get(1).map(|c| count(c)).transpose()?;
    let popped = ks.lock_db().modify(args[0], false, |l: &mut List| {
        let take = n.unwrap_or(1).min(l.len());
        let mut items = Vec::with_capacity(take);
        for _ in 0..take {
            let item = if left { l.pop_front() } else { l.pop_back() };
            items.extend(item);
        }
        items
    })?;
    Ok(match (popped, n) {
        (None, None) => Reply::Null,
        (None, Some(_)) => Reply::NullArray,
        (Some(mut items), None) => Reply::bulk_or_null(items.pop()),
        (Some(items), Some(_)) => Reply::Array(items.into_iter().map(Reply::Bulk).collect()),
    })
}

fn lrange(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let start = integer(args[1])?;
    let stop = integer(args[2])?;
    read(ks, args[0], |l| {
        let items = l.and_then(|l| {
            let (a, b) = clamp_range(start, stop, l.len())?;
            Some(l.range(a..=b).cloned().map(Reply::Bulk).collect())
        });
        Ok(Reply::Array(items.unwrap_or_default()))
    })
}

fn lindex(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let i = integer(args[1])?;
    read(ks, args[0], |l| {
        Ok(Reply::bulk_or_null(
            l.and_then(|l| l.get(index(i, l.len())?).cloned()),
        ))
    })
}

fn lset(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let i = integer(args[1])?;
    let set = ks.lock_db().modify(args[0], false, |l: &mut List| {
        let Some(at) = index(i, l.len()) else {
            return false;
        };
        l[at] = args[2].to_vec();
        true
    })?;
    match set {
        None => Err(Reply::err("no such key")),
        Some(false) => Err(Reply::err("index out of range")),
        Some(true) => Ok(Reply::Ok),
    }
}

/// `LREM key count element`: removes `count` matches from the head (from
/// the tail if negative, every one if 0); how many.
fn lrem(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let n = integer(args[1])?;
    let element = args[2];
    let removed = ks.lock_db().modify(args[0], false, |l: &mut List| {
        let limit = if n == 0 {
            usize::MAX
        } else {
            usize::try_from(n.unsigned_abs()).unwrap_or(usize::MAX)
        };
        let mut removed = 0;
        if n >= 0 {
            let mut i = 0;
            while i < l.len() && removed < limit {
                if l[i] == element {
                    l.remove(i);
                    removed += 1;
                } else {
                    i += 1;
                }
            }
        } else {
            let mut i = l.len();
            while i > 0 && removed < limit {
                i -= 1;
                if l[i] == element {
                    l.remove(i);
                    removed += 1;
                }
            }
        }
        removed
    })?;
    Ok(Reply::Integer(len_i64(removed.unwrap_or(0))))
}

fn ltrim(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let start = integer(args[1])?;
    let stop = integer(args[2])?;
    ks.lock_db().modify(args[0], false, |l: &mut List| {
        match clamp_range(start, stop, l.len()) {
            Some((a, b)) => {
                l.truncate(b + 1);
                l.drain(..a);
            }
            None => l.clear(),
        }
    })?;
    Ok(Reply::Ok)
}

/// `LINSERT key BEFORE|AFTER pivot element`: the new length, -1 if the
/// pivot is not there, 0 if the key is missing.
fn linsert(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let after = if args[1].eq_ignore_ascii_case(b"AFTER") {
        true
    } else if args[1].eq_ignore_ascii_case(b"BEFORE") {
        false
    } else {
        return Err(syntax_error());
    };
    let len = ks.lock_db().modify(args[0], false, |l: &mut List| {
        let Some(at) = l.iter().position(|v| v == args[2]) else {
            return -1;
        };
        l.insert(at + usize::from(after), args[3].to_vec());
        len_i64(l.len())
    })?;
    Ok(Reply::Integer(len.unwrap_or(0)))
}

/// `LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]`.
fn lpos(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let (mut rank, mut matches, mut maxlen) = (1i64, None, 0usize);
    let mut i = 2;
    while i < args.len() {
        let Some(value) = args.get(i + 1) else {
            return Err(syntax_error());
        };
        let opt = args[i];
        if opt.eq_ignore_ascii_case(b"RANK") {
            rank = integer(value)?;
            if rank == 0 {
                return Err(Reply::err(
                    "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                ));
            }
            if rank == i64::MIN {
                return Err(Reply::err(
                    "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
                ));
            }
        } else if opt.eq_ignore_ascii_case(b"COUNT") {
            let n = integer(value)?;
            matches = Some(usize::try_from(n).map_err(|_| Reply::err("COUNT can't be negative"))?);
        } else if opt.eq_ignore_ascii_case(b"MAXLEN") {
            let n = integer(value)?;
            maxlen = usize::try_from(n).map_err(|_| Reply::err("MAXLEN can't be negative"))?;
        } else {
            return Err(syntax_error());
        }
        i += 2;
    }
    read(ks, args[0], |l| {
        let mut found = Vec::new();
        if let Some(l) = l {
            let want = match matches {
                Some(0) => usize::MAX,
                Some(n) => n,
                None => 1,
            };
            let limit = if maxlen == 0 {
                l.len()
            } else {
                maxlen.min(l.len())
            };
            let mut skip = rank.unsigned_abs() - 1;
            let positions: Box<dyn Iterator<Item = usize>> = if rank > 0 {
                Box::new(0..limit)
            } else {
                Box::new((l.len() - limit..l.len()).rev())
            };
            for p in positions {
                if l[p] != args[1] {
                    continue;
                }
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                found.push(Reply::Integer(len_i64(p)));
                if found.len() >= want {
                    break;
                }
            }
        }
        Ok(match matches {
            Some(_) => Reply::Array(found),
            None => found.pop().unwrap_or(Reply::Null),
        })
    })
}

/// `LMOVE src dst LEFT|RIGHT LEFT|RIGHT` (and `RPOPLPUSH src dst`): the
/// element moved, or null if `src` is missing.
fn lmove(ks: &MemoryKeyspace, src: &[u8], dst: &[u8], from_left: bool, to_left: bool) -> Result {
    let mut db = ks.lock_db();
    if db.view::<List>(src)?.is_none() {
        return Ok(Reply::Null);
    }
    db.view::<List>(dst)?;
    let item = db
        .modify(src, false, |l: &mut List| {
            if from_left {
                l.pop_front()
            } else {
                l.pop_back()
            }
        })?
        .flatten();
    let Some(item) = item else {
        return Ok(Reply::Null);
    };
    db.modify(dst, true, |l: &mut List| {
        if to_left {
            l.push_front(item.clone());
        } else {
            l.push_back(item.clone());
        }
    })?;
    Ok(Reply::Bulk(item))
}
