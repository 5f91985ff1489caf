//! Sorted set commands: `ZADD`, `ZREM`, `ZSCORE`, `ZMSCORE`, `ZINCRBY`,
//! `ZCARD`, `ZCOUNT`, `ZRANGE`, `ZRANGEBYSCORE`, `ZREVRANGEBYSCORE`,
//! `ZREVRANGE`, `ZRANK`, `ZREVRANK`, `ZREMRANGEBYSCORE`, `ZREMRANGEBYRANK`,
//! `ZPOPMIN`, `ZPOPMAX`, `ZSCAN`.
//!
//! Score ranges are read as Redis reads them: `-inf`, `+inf`, and `(` for
//! an exclusive bound. Scores are doubles in RESP3 and bulk strings in RESP2.

use std::ops::Bound;

use ferrite_plugin_host::MemoryKeyspace;
use ferrite_plugin_host::keyspace::{Score, ZSet, clamp_range};

use super::{Result, count, float, integer, len_i64, not_float, parse_float, syntax_error};
use crate::commands::Cmd;
use crate::reply::{Out, Protocol, Reply};

pub(super) fn execute(ks: &MemoryKeyspace, cmd: Cmd, args: &[&[u8]], out: &mut Out<'_>) -> bool {
    let protocol = out.protocol();
    let result = match cmd {
        Cmd::Zadd => zadd(ks, args),
        Cmd::Zincrby => zincrby(ks, args),
        Cmd::Zrem => {
            let removed = ks.lock_db().modify(args[0], false, |z: &mut ZSet| {
                args[1..].iter().filter(|m| z.remove(m).is_some()).count()
            });
            removed
                .map(|n| Reply::Integer(len_i64(n.unwrap_or(0))))
                .map_err(Reply::from)
        }
        Cmd::Zscore => read(ks, args[0], |z| {
            Ok(z.and_then(|z| z.score(args[1]))
                .map_or(Reply::Null, Reply::Double))
        }),
        Cmd::Zmscore => read(ks, args[0], |z| {
            Ok(Reply::Array(
                args[1..]
                    .iter()
                    .map(|m| {
                        z.and_then(|z| z.score(m))
                            .map_or(Reply::Null, Reply::Double)
                    })
                    .collect(),
            ))
        }),
        Cmd::Zcard => read(ks, args[0], |z| {
            Ok(Reply::Integer(len_i64(z.map_or(0, ZSet::len))))
        }),
        Cmd::Zcount => zcount(ks, args),
        Cmd::Zrange => zrange(ks, args, protocol),
        Cmd::Zrangebyscore => range_by_score_command(ks, args, false, protocol),
        Cmd::Zrevrangebyscore => range_by_score_command(ks, args, true, protocol),
        Cmd::Zrevrange => zrevrange(ks, args, protocol),
        Cmd::Zrank => rank(ks, args, false),
        Cmd::Zrevrank => rank(ks, args, true),
        Cmd::Zremrangebyscore => zremrangebyscore(ks, args),
        Cmd::Zremrangebyrank => zremrangebyrank(ks, args),
        Cmd::Zpopmin => zpop(ks, args, false, protocol),
        Cmd::Zpopmax => zpop(ks, args, true, protocol),
        Cmd::Zscan => zscan(ks, args),
        _ => return false,
    };
    out.result(result);
    true
}

fn read(ks: &MemoryKeyspace, key: &[u8], f: impl FnOnce(Option<&ZSet>) -> Result) -> Result {
    let mut db = ks.lock_db();
    f(db.view::<ZSet>(key)?)
}

fn nan_result() -> Reply {
    Reply::err("resulting score is not a number (NaN)")
}

/// A score range bound: a float, `-inf`/`+inf`, or `(` and a float for an
/// exclusive one.
pub(crate) fn score_bound(arg: &[u8]) -> Result<Bound<f64>> {
    let bad = || Reply::err("min or max is not a float");
    match arg.strip_prefix(b"(") {
        Some(rest) => parse_float(rest).map(Bound::Excluded).ok_or_else(bad),
        None => parse_float(arg).map(Bound::Included).ok_or_else(bad),
    }
}

/// A lexicographic range bound: `-`, `+`, `[member` or `(member`.
#[derive(Debug, Clone)]
enum Lex {
    Min,
    Max,
    Included(Vec<u8>),
    Excluded(Vec<u8>),
}

fn lex_bound(arg: &[u8]) -> Result<Lex> {
    match arg.first() {
        Some(b'-') if arg.len() == 1 => Ok(Lex::Min),
        Some(b'+') if arg.len() == 1 => Ok(Lex::Max),
        Some(b'[') => Ok(Lex::Included(arg[1..].to_vec())),
        Some(b'(') => Ok(Lex::Excluded(arg[1..].to_vec())),
        _ => Err(Reply::err("min or max not valid string range item")),
    }
}

fn above_min(m: &[u8], min: &Lex) -> bool {
    match min {
        Lex::Min => true,
        Lex::Max => false,
        Lex::Included(b) => m >= b.as_slice(),
        Lex::Excluded(b) => m > b.as_slice(),
    }
}

fn below_max(m: &[u8], max: &Lex) -> bool {
    match max {
        Lex::Min => false,
        Lex::Max => true,
        Lex::Included(b) => m <= b.as_slice(),
        Lex::Excluded(b) => m < b.as_slice(),
    }
}

fn in_score_range(s: f64, min: Bound<f64>, max: Bound<f64>) -> bool {
    (match min {
        Bound::Included(m) => s >= m,
        Bound::Excluded(m) => s > m,
        Bound::Unbounded => true,
    }) && (match max {
        Bound::Included(m) => s <= m,
        Bound::Excluded(m) => s < m,
        Bound::Unbounded => true,
    })
}

/// Members (and, `withscores`, their scores) as Redis replies with them:
/// RESP2 a flat member, score, ... array; RESP3 an array of pairs.
fn scored(items: Vec<(Vec<u8>, f64)>, withscores: bool, protocol: Protocol) -> Reply {
    if !withscores {
        return Reply::Array(items.into_iter().map(|(m, _)| Reply::Bulk(m)).collect());
    }
    match protocol {
        Protocol::Resp2 => Reply::Array(
            items
                .into_iter()
                .flat_map(|(m, s)| [Reply::Bulk(m), Reply::Double(s)])
                .collect(),
        ),
        Protocol::Resp3 => Reply::Array(
            items
                .into_iter()
                .map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)]))
                .collect(),
        ),
    }
}

/// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]`.
fn zadd(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let (mut nx, mut xx, mut gt, mut lt, mut ch, mut incr) =
        (false, false, false, false, false, false);
    let mut i = 1;
    while i < args.len() {
        let opt = args[i];
        let is = |name: &[u8]| opt.eq_ignore_ascii_case(name);
        if is(b"NX") {
            nx = true;
        } else if is(b"XX") {
            xx = true;
        } else if is(b"GT") {
            gt = true;
        } else if is(b"LT") {
            lt = true;
        } else if is(b"CH") {
            ch = true;
        } else if is(b"INCR") {
            incr = true;
        } else {
            break;
        }
        i += 1;
    }
    let pairs = &args[i..];
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return Err(syntax_error());
    }
    if nx && xx {
        return Err(Reply::err(
            "XX and NX options at the same time are not compatible",
        ));
    }
    if (nx && (gt || lt)) || (gt && lt) {
        return Err(Reply::err(
            "GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if incr && pairs.len() > 2 {
        return Err(Reply::err(
            "INCR option supports a single increment-element pair",
        ));
    }
    let mut scores = Vec::with_capacity(pairs.len() / 2);
    for pair in pairs.chunks_exact(2) {
        scores.push((float(pair[0])?, pair[1]));
    }

    let mut db = ks.lock_db();
    db.view::<ZSet>(args[0])?;
    let (mut added, mut updated) = (0i64, 0i64);
    let mut incr_result = None;
    let outcome = db.modify(args[0], true, |z: &mut ZSet| {
        for &(score, member) in &scores {
            match z.score(member) {
                Some(current) => {
                    if nx {
                        continue;
                    }
                    let new = if incr { current + score } else { score };
                    let Some(new_score) = Score::new(new) else {
                        return Err(nan_result());
                    };
                    if (gt && new <= current) || (lt && new >= current) {
                        continue;
                    }
                    if new != current {
                        z.insert(member, new_score);
                        updated += 1;
                    }
                    incr_result = Some(new);
                }
                None => {
                    if xx {
                        continue;
                    }
                    let Some(new_score) = Score::new(score) else {
                        return Err(nan_result());
                    };
                    z.insert(member, new_score);
                    added += 1;
                    incr_result = Some(score);
                }
            }
        }
        Ok(())
    })?;
    if let Some(Err(e)) = outcome {
        return Err(e);
    }
    Ok(if incr {
        incr_result.map_or(Reply::Null, Reply::Double)
    } else {
        Reply::Integer(added + if ch { updated } else { 0 })
    })
}

fn zincrby(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let delta = float(args[1])?;
    let result = ks.lock_db().modify(args[0], true, |z: &mut ZSet| {
        let next = z.score(args[2]).unwrap_or(0.0) + delta;
        let score = Score::new(next).ok_or_else(nan_result)?;
        z.insert(args[2], score);
        Ok(next)
    })?;
    result.unwrap_or(Err(not_float())).map(Reply::Double)
}

fn zcount(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let min = score_bound(args[1])?;
    let max = score_bound(args[2])?;
    read(ks, args[0], |z| {
        let n = z.map_or(0, |z| z.range_by_score(min, max).count());
        Ok(Reply::Integer(len_i64(n)))
    })
}

/// What a range selects by.
enum By {
    Index(i64, i64),
    Score(Bound<f64>, Bound<f64>),
    Lex(Lex, Lex),
}

/// The members `by` selects, ascending (descending with `rev`), after
/// `LIMIT offset count` (a negative count takes all).
fn select(z: &ZSet, by: &By, rev: bool, limit: Option<(i64, i64)>) -> Vec<(Vec<u8>, f64)> {
    let mut items: Vec<(Vec<u8>, f64)> = match by {
        By::Index(start, stop) => {
            let Some((a, b)) = clamp_range(*start, *stop, z.len()) else {
                return Vec::new();
            };
            let pick = |(m, s): (&[u8], f64)| (m.to_vec(), s);
            if rev {
                z.iter().rev().skip(a).take(b - a + 1).map(pick).collect()
            } else {
                z.iter().skip(a).take(b - a + 1).map(pick).collect()
            }
        }
        By::Score(min, max) => {
            let mut v: Vec<_> = z
                .range_by_score(*min, *max)
                .map(|(m, s)| (m.to_vec(), s))
                .collect();
            if rev {
                v.reverse();
            }
            v
        }
        By::Lex(min, max) => {
            let mut v: Vec<_> = z
                .iter()
                .filter(|(m, _)| above_min(m, min) && below_max(m, max))
                .map(|(m, s)| (m.to_vec(), s))
                .collect();
            if rev {
                v.reverse();
            }
            v
        }
    };
    if let Some((offset, count)) = limit {
        let Ok(offset) = usize::try_from(offset) else {
            return Vec::new();
        };
        items.drain(..offset.min(items.len()));
        if let Ok(count) = usize::try_from(count) {
            items.truncate(count);
        }
    }
    items
}

/// `ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]`.
fn zrange(ks: &MemoryKeyspace, args: &[&[u8]], protocol: Protocol) -> Result {
    let (mut by_score, mut by_lex, mut rev, mut withscores) = (false, false, false, false);
    let mut limit = None;
    let mut i = 3;
    while i < args.len() {
        let opt = args[i];
        let is = |name: &[u8]| opt.eq_ignore_ascii_case(name);
        if is(b"WITHSCORES") {
            withscores = true;
        } else if is(b"LIMIT") && i + 2 < args.len() {
            limit = Some((integer(args[i + 1])?, integer(args[i + 2])?));
            i += 2;
        } else if is(b"BYSCORE") {
            by_score = true;
        } else if is(b"BYLEX") {
            by_lex = true;
        } else if is(b"REV") {
            rev = true;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    if limit.is_some() && !by_score && !by_lex {
        return Err(Reply::err(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && by_lex {
        return Err(Reply::err(
            "syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    if by_score && by_lex {
        return Err(syntax_error());
    }
    // Reversed score and lex ranges name the maximum first.
    let (lo, hi) = if rev && (by_score || by_lex) {
        (args[2], args[1])
    } else {
        (args[1], args[2])
    };
    let by = if by_score {
        By::Score(score_bound(lo)?, score_bound(hi)?)
    } else if by_lex {
        By::Lex(lex_bound(lo)?, lex_bound(hi)?)
    } else {
        By::Index(integer(lo)?, integer(hi)?)
    };
    read(ks, args[0], |z| {
        let items = z.map_or_else(Vec::new, |z| select(z, &by, rev, limit));
        Ok(scored(items, withscores, protocol))
    })
}

/// `ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]`, and
/// `ZREVRANGEBYSCORE key max min ...` (`rev`).
fn range_by_score_command(
    ks: &MemoryKeyspace,
    args: &[&[u8]],
    rev: bool,
    protocol: Protocol,
) -> Result {
    let mut withscores = false;
    let mut limit = None;
    let mut i = 3;
    while i < args.len() {
        if args[i].eq_ignore_ascii_case(b"WITHSCORES") {
            withscores = true;
        } else if args[i].eq_ignore_ascii_case(b"LIMIT") && i + 2 < args.len() {
            limit = Some((integer(args[i + 1])?, integer(args[i + 2])?));
            i += 2;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    let (lo, hi) = if rev {
        (args[2], args[1])
    } else {
        (args[1], args[2])
    };
    let by = By::Score(score_bound(lo)?, score_bound(hi)?);
    read(ks, args[0], |z| {
        let items = z.map_or_else(Vec::new, |z| select(z, &by, rev, limit));
        Ok(scored(items, withscores, protocol))
    })
}

/// `ZREVRANGE key start stop [WITHSCORES]`.
fn zrevrange(ks: &MemoryKeyspace, args: &[&[u8]], protocol: Protocol) -> Result {
    let withscores = match &args[3..] {
        [] => false,
        [w] if w.eq_ignore_ascii_case(b"WITHSCORES") => true,
        _ => return Err(syntax_error()),
    };
    let by = By::Index(integer(args[1])?, integer(args[2])?);
    read(ks, args[0], |z| {
        let items = z.map_or_else(Vec::new, |z| select(z, &by, true, None));
        Ok(scored(items, withscores, protocol))
    })
}

fn rank(ks: &MemoryKeyspace, args: &[&[u8]], rev: bool) -> Result {
    read(ks, args[0], |z| {
        Ok(match z.and_then(|z| Some((z.rank(args[1])?, z.len()))) {
            None => Reply::Null,
            Some((r, n)) => Reply::Integer(len_i64(if rev { n - 1 - r } else { r })),
        })
    })
}

fn remove_all(z: &mut ZSet, members: Vec<Vec<u8>>) -> usize {
    members.iter().filter(|m| z.remove(m).is_some()).count()
}

fn zremrangebyscore(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let min = score_bound(args[1])?;
    let max = score_bound(args[2])?;
    let removed = ks.lock_db().modify(args[0], false, |z: &mut ZSet| {
        let doomed = z
            .iter()
            .filter(|(_, s)| in_score_range(*s, min, max))
            .map(|(m, _)| m.to_vec())
            .collect();
        remove_all(z, doomed)
    })?;
    Ok(Reply::Integer(len_i64(removed.unwrap_or(0))))
}

fn zremrangebyrank(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let by = By::Index(integer(args[1])?, integer(args[2])?);
    let removed = ks.lock_db().modify(args[0], false, |z: &mut ZSet| {
        let doomed = select(z, &by, false, None)
            .into_iter()
            .map(|(m, _)| m)
            .collect();
        remove_all(z, doomed)
    })?;
    Ok(Reply::Integer(len_i64(removed.unwrap_or(0))))
}

/// `ZPOPMIN key [count]` / `ZPOPMAX key [count]`.
fn zpop(ks: &MemoryKeyspace, args: &[&[u8]], max: bool, protocol: Protocol) -> Result {
    if args.len() > 2 {
        return Err(syntax_error());
    }
    let n = args.get(1).map(|c| count(c)).transpose()?;
    let popped = ks.lock_db().modify(args[0], false, |z: &mut ZSet| {
        let take = n.unwrap_or(1).min(z.len());
        let items: Vec<(Vec<u8>, f64)> = if max {
            z.iter()
                .rev()
                .take(take)
                .map(|(m, s)| (m.to_vec(), s))
                .collect()
        } else {
            z.iter().take(take).map(|(m, s)| (m.to_vec(), s)).collect()
        };
        for (m, _) in &items {
            z.remove(m);
        }
        items
    })?;
    let items = popped.unwrap_or_default();
    // Without a count, RESP3 too has the one member and score flat.
    Ok(match (n, protocol) {
        (None, _) | (_, Protocol::Resp2) => scored(items, true, Protocol::Resp2),
        (Some(_), Protocol::Resp3) => scored(items, true, Protocol::Resp3),
    })
}

fn zscan(ks: &MemoryKeyspace, args: &[&[u8]]) -> Result {
    let cursor = super::cursor(args[1])?;
    let (pattern, count) = super::scan_options(&args[2..])?;
    read(ks, args[0], |z| {
        let items = z.into_iter().flat_map(ZSet::iter).map(|(m, s)| {
            (
                m.to_vec(),
                vec![
                    Reply::Bulk(m.to_vec()),
                    Reply::text(crate::reply::double(s)),
                ],
            )
        });
        Ok(super::scan_items(cursor, pattern.as_deref(), count, items))
    })
}
