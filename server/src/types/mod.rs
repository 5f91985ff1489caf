//! The data commands, one file per type of value, as Redis 7 has them (the
//! same options, replies and error texts), over the session's database, a
//! [`MemoryKeyspace`]:
//!
//! * [`strings`]: `GET`, `SET`, `INCR`, `APPEND`, `GETRANGE`, ...;
//! * [`generic`]: commands on keys of any type (`DEL`, `TYPE`, `RENAME`,
//!   `EXPIRE`, `SCAN`, `MOVE`, `SWAPDB`, `FLUSHDB`, ...);
//! * [`hashes`], [`lists`], [`sets`], [`zsets`]: `H*`, `L*`, `S*`, `Z*`.
//!
//! A command on a key of another type answers `WRONGTYPE`. A command that
//! reads or writes several keys runs under one lock of the database
//! ([`MemoryKeyspace::lock_db`]), so it is atomic.

pub mod generic;
pub mod hashes;
pub mod lists;
pub mod sets;
pub mod strings;
pub mod zsets;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use ferrite_plugin_host::keyspace::parse_integer;
use ferrite_plugin_host::{KvError, MemoryKeyspace};

use crate::commands::Cmd;
use crate::reply::{Out, Reply};

pub use generic::glob_match;

/// What a data command runs against.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// The session's database.
    pub db: &'a MemoryKeyspace,
    /// Every database, for `MOVE`, `SWAPDB` and `FLUSHALL`.
    pub dbs: &'a [Arc<MemoryKeyspace>],
}

/// A command's reply, or its error reply.
pub(crate) type Result<T = Reply> = std::result::Result<T, Reply>;

/// Runs data command `cmd` with `args` (after its name, the arity checked),
/// writing its reply into `out`; `false` if `cmd` is not a data command.
pub fn execute(ctx: Ctx<'_>, cmd: Cmd, args: &[&[u8]], out: &mut Out<'_>) -> bool {
    if strings::execute(ctx.db, cmd, args, out)
        || generic::execute(ctx, cmd, args, out)
        || hashes::execute(ctx.db, cmd, args, out)
        || lists::execute(ctx.db, cmd, args, out)
        || sets::execute(ctx.db, cmd, args, out)
        || zsets::execute(ctx.db, cmd, args, out)
    {
        return true;
    }
    false
}

/// Redis's reply to an operation on a key of another type.
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

impl From<KvError> for Reply {
    fn from(e: KvError) -> Reply {
        match e {
            KvError::WrongType => Reply::Error(WRONGTYPE.into()),
            KvError::Command(text) => Reply::Error(text),
            other => Reply::err(other),
        }
    }
}

pub(crate) fn not_integer() -> Reply {
    Reply::err("value is not an integer or out of range")
}

pub(crate) fn not_float() -> Reply {
    Reply::err("value is not a valid float")
}

pub(crate) fn syntax_error() -> Reply {
    Reply::err("syntax error")
}

pub(crate) fn must_be_positive() -> Reply {
    Reply::err("value is out of range, must be positive")
}

/// An integer argument.
pub(crate) fn integer(arg: &[u8]) -> Result<i64> {
    parse_integer(arg).ok_or_else(not_integer)
}

/// A count argument that must not be negative (`LPOP key count`, ...).
pub(crate) fn count(arg: &[u8]) -> Result<usize> {
    let n = integer(arg).map_err(|_| must_be_positive())?;
    usize::try_from(n).map_err(|_| must_be_positive())
}

/// A float as Redis reads one (`strtod`, the whole argument, no NaN):
/// `1.5`, `-3`, `1e3`, `inf`, `-inf`, `+inf`.
pub(crate) fn parse_float(arg: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(arg).ok()?;
    if text.is_empty() || text.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let f: f64 = text.parse().ok()?;
    (!f.is_nan()).then_some(f)
}

/// A float argument.
pub(crate) fn float(arg: &[u8]) -> Result<f64> {
    parse_float(arg).ok_or_else(not_float)
}

pub(crate) fn len_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A float as `INCRBYFLOAT` and `HINCRBYFLOAT` store it: plain decimal
/// notation, no exponent, no trailing zeros.
pub(crate) fn float_text(f: f64) -> Vec<u8> {
    let mut s = format!("{f}");
    if s.ends_with(".0") {
        s.truncate(s.len() - 2);
    }
    if s == "-0" {
        s = "0".into();
    }
    s.into_bytes()
}

/// A random number, without a dependency: each call hashes a fresh
/// `RandomState` (randomly keyed per process and counter).
pub(crate) fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(0);
    h.finish()
}

/// A random index below `n` (which is not 0).
pub(crate) fn random_below(n: usize) -> usize {
    (random_u64() % n as u64) as usize
}

/// The cursor argument of `SCAN`, `HSCAN`, `SSCAN` and `ZSCAN`.
pub(crate) fn cursor(arg: &[u8]) -> Result<u64> {
    std::str::from_utf8(arg)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Reply::err("invalid cursor"))
}

/// `[MATCH pattern] [COUNT n]` of `HSCAN`, `SSCAN` and `ZSCAN`.
pub(crate) fn scan_options(args: &[&[u8]]) -> Result<(Option<Vec<u8>>, usize)> {
    let mut pattern = None;
    let mut count = 10;
    let mut i = 0;
    while i < args.len() {
        let Some(value) = args.get(i + 1) else {
            return Err(syntax_error());
        };
        if args[i].eq_ignore_ascii_case(b"COUNT") {
            let n = integer(value)?;
            if n < 1 {
                return Err(syntax_error());
            }
            count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if args[i].eq_ignore_ascii_case(b"MATCH") {
            pattern = (&value[..] != b"*").then(|| value.to_vec());
        } else {
            return Err(syntax_error());
        }
        i += 2;
    }
    Ok((pattern, count))
}

/// One `HSCAN`/`SSCAN`/`ZSCAN` call over `items` (each a key to match and
/// the replies it adds): the cursor is an index, as `SCAN`'s.
pub(crate) fn scan_items(
    cursor: u64,
    pattern: Option<&[u8]>,
    count: usize,
    items: impl Iterator<Item = (Vec<u8>, Vec<Reply>)>,
) -> Reply {
    let start = usize::try_from(cursor).unwrap_or(usize::MAX);
    let mut items = items.skip(start);
    let mut taken = 0usize;
    let mut found = Vec::new();
    for (key, replies) in items.by_ref().take(count) {
        taken += 1;
        if pattern.is_none_or(|p| glob_match(p, &key)) {
            found.extend(replies);
        }
    }
    let next = if items.next().is_some() {
        cursor + taken as u64
    } else {
        0
    };
    Reply::Array(vec![
        Reply::Bulk(itoa::Buffer::new().format(next).as_bytes().to_vec()),
        Reply::Array(found),
    ])
}
