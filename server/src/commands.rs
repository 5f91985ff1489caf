//! The server's command table: every command it implements, with Redis's
//! arity, what it may do and where its keys are. Dispatch, hooks (which
//! commands write, which keys they write) and `COMMAND` all read this one
//! table; there is no second list of "which commands write".
//!
//! Looking a command up upper-cases its name on the stack and hashes it: no
//! allocation per request.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

/// What a command is, for dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Cmd {
    Get,
    Set,
    Mget,
    Mset,
    Del,
    Exists,
    Incr,
    Decr,
    IncrBy,
    DecrBy,
    Append,
    Strlen,
    Expire,
    Pexpire,
    Ttl,
    Pttl,
    Persist,
    Keys,
    Scan,
    Dbsize,
    Flushdb,
    Flushall,
    Fcall,
    FcallRo,
    Ping,
    Echo,
    Quit,
    Select,
    Hello,
    Client,
    Command,
    Config,
    Info,
    Function,
    Plugin,
    /// `PLUGIN.LIST`, `PLUGIN.INFO`, ...: `PLUGIN LIST`, ... in one word.
    PluginDot,
    /// `WASM.LOAD`, `WASM.UNLOAD`, `WASM.LIST`, `WASM.INFO`, `WASM.STATS`,
    /// `WASM.HELP`: Ferrite's spellings of the plugin commands.
    Wasm,
    /// `WASM.CALL`: `FCALL` with `KEYS` / `ARGS` words.
    WasmCall,
    /// `WASM.CALL_RO`: `FCALL_RO` with `KEYS` / `ARGS` words.
    WasmCallRo,
    Type,
    Rename,
    Renamenx,
    Unlink,
    Setnx,
    Setex,
    Psetex,
    Getset,
    Getdel,
    Getex,
    IncrByFloat,
    Getrange,
    Setrange,
    Msetnx,
    Expireat,
    Pexpireat,
    Randomkey,
    Move,
    Swapdb,
    Hset,
    Hsetnx,
    Hget,
    Hmget,
    Hmset,
    Hdel,
    Hgetall,
    Hkeys,
    Hvals,
    Hlen,
    Hexists,
    Hincrby,
    Hincrbyfloat,
    Hstrlen,
    Hscan,
    Lpush,
    Rpush,
    Lpushx,
    Rpushx,
    Lpop,
    Rpop,
    Lrange,
    Llen,
    Lindex,
    Lset,
    Lrem,
    Ltrim,
    Linsert,
    Lpos,
    Rpoplpush,
    Lmove,
    Sadd,
    Srem,
    Smembers,
    Sismember,
    Smismember,
    Scard,
    Sinter,
    Sunion,
    Sdiff,
    Sinterstore,
    Sunionstore,
    Sdiffstore,
    Spop,
    Srandmember,
    Smove,
    Sscan,
    Zadd,
    Zrem,
    Zscore,
    Zmscore,
    Zincrby,
    Zcard,
    Zcount,
    Zrange,
    Zrangebyscore,
    Zrevrangebyscore,
    Zrevrange,
    Zrank,
    Zrevrank,
    Zremrangebyscore,
    Zremrangebyrank,
    Zpopmin,
    Zpopmax,
    Zscan,
    Multi,
    Exec,
    Discard,
    Watch,
    Unwatch,
    Subscribe,
    Unsubscribe,
    Psubscribe,
    Punsubscribe,
    Publish,
    Pubsub,
    Reset,
}

/// A command may modify the keyspace.
pub const WRITE: u32 = 1;
/// A command reads the keyspace and writes nothing.
pub const READONLY: u32 = 1 << 1;
/// The server's own business (connections, configuration, plugins): hooks
/// never see it.
pub const NO_HOOKS: u32 = 1 << 2;
/// Constant time, as Redis marks it.
pub const FAST: u32 = 1 << 3;
/// A plugin may never run it through `server.call`: it reaches beyond the
/// plugin's database or the calling session (pub/sub, transactions,
/// connection state), or manages the server or its plugins.
pub const NO_PLUGIN: u32 = 1 << 4;
/// Writes nothing but reaches other clients (`PUBLISH`): Redis refuses it
/// in read-only scripts, as this server does in read-only plugin calls.
pub const MAY_REPLICATE: u32 = 1 << 5;
/// Reaches keys it does not name, any key of the database (`KEYS`, `SCAN`,
/// `RANDOMKEY`, `DBSIZE`, `FLUSHDB`, ...): `server.call` runs it only for a
/// plugin whose `keys` cover every key (read, or with [`WRITE`] read and
/// write), since its key positions cannot be checked against the plugin's
/// patterns.
pub const EVERY_KEY: u32 = 1 << 6;

/// Where a command's keys are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// It has none.
    None,
    /// Arguments `first`, `first + step`, ... up to `last` (counting the
    /// command's name as 0; a negative `last` counts from the end, -1 being
    /// the last argument).
    Range {
        /// The first key's position.
        first: usize,
        /// The last key's position.
        last: isize,
        /// The distance between keys.
        step: usize,
    },
    /// `FCALL name numkeys key...`: the number of keys at position 2.
    Numkeys,
    /// `WASM.CALL name [KEYS key...] [ARGS arg...]`: the keys after `KEYS`
    /// up to `ARGS` (or the end); or, when position 2 is a number, as
    /// [`Keys::Numkeys`].
    Wasm,
}

/// One command of the table.
#[derive(Debug)]
pub struct Command {
    /// Its name, upper-case.
    pub name: &'static str,
    /// Its dispatch tag.
    pub cmd: Cmd,
    /// Redis's arity: `n` exactly `n` words counting the name, `-n` at least `n`.
    pub arity: i32,
    /// [`WRITE`], [`READONLY`], [`NO_HOOKS`], [`FAST`], [`NO_PLUGIN`],
    /// [`MAY_REPLICATE`], [`EVERY_KEY`].
    pub flags: u32,
    /// Where its keys are.
    pub keys: Keys,
}

impl Command {
    /// Whether `argc` words (counting the name) suit its arity.
    pub fn accepts(&self, argc: usize) -> bool {
        let n = self.arity.unsigned_abs() as usize;
        if self.arity >= 0 {
            argc == n
        } else {
            argc >= n
        }
    }

    /// Whether it may modify the keyspace.
    pub fn is_write(&self) -> bool {
        self.flags & WRITE != 0
    }

    /// Whether a read-only call may not run it: it writes, or reaches
    /// other clients.
    pub fn is_refused_read_only(&self) -> bool {
        self.flags & (WRITE | MAY_REPLICATE) != 0
    }

    /// Whether a plugin may run it through `server.call`.
    pub fn is_plugin_callable(&self) -> bool {
        self.flags & NO_PLUGIN == 0
    }

    /// Whether it reaches keys it does not name ([`EVERY_KEY`]).
    pub fn reaches_every_key(&self) -> bool {
        self.flags & EVERY_KEY != 0
    }

    /// Whether hooks see it.
    pub fn is_hooked(&self) -> bool {
        self.flags & NO_HOOKS == 0
    }

    /// Where its keys are among `args` (the whole request, name first).
    pub fn key_positions(&self, args: &[&[u8]]) -> impl Iterator<Item = usize> + use<> {
        let (first, last, step) = match self.keys {
            Keys::None => (1, 0, 1),
            Keys::Range { first, last, step } => {
                let last = if last < 0 {
                    args.len() as isize + last
                } else {
                    last
                };
                (first, last.max(0) as usize, step)
            }
            Keys::Numkeys => match args
                .get(2)
                .and_then(|n| ferrite_plugin_host::keyspace::parse_integer(n))
            {
                Some(n) if n >= 1 => (3, 2usize.saturating_add(n as usize), 1),
                _ => (1, 0, 1),
            },
            Keys::Wasm => match wasm_keys(args) {
                Some((first, count)) if count > 0 => (first, first + count - 1, 1),
                _ => (1, 0, 1),
            },
        };
        let last = last.min(args.len().saturating_sub(1));
        (first..=last).step_by(step.max(1))
    }

    /// Its keys among `args` (the whole request, name first).
    pub fn keys<'a>(&self, args: &'a [&'a [u8]]) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.key_positions(args).map(move |i| args[i])
    }
}

/// Where `WASM.CALL`'s keys are in `args` (the whole request, name first):
/// the first key's position and how many there are. `None` if the request
/// is malformed (the command itself then says why).
fn wasm_keys(args: &[&[u8]]) -> Option<(usize, usize)> {
    let word = args.get(2)?;
    if word.first().is_some_and(u8::is_ascii_digit) {
        let n = ferrite_plugin_host::keyspace::parse_integer(word)?;
        let n = usize::try_from(n).ok()?;
        return Some((3, n.min(args.len() - 3)));
    }
    if !word.eq_ignore_ascii_case(b"KEYS") {
        return Some((3, 0));
    }
    let count = args[3..]
        .iter()
        .take_while(|a| !a.eq_ignore_ascii_case(b"ARGS"))
        .count();
    Some((3, count))
}

const fn range(first: usize, last: isize, step: usize) -> Keys {
    Keys::Range { first, last, step }
}

const ONE: Keys = range(1, 1, 1);
const ALL: Keys = range(1, -1, 1);

macro_rules! table {
    ($($name:literal $cmd:ident $arity:literal $flags:expr, $keys:expr;)*) => {
        /// Every command the server implements.
        pub static TABLE: &[Command] = &[
            $(Command { name: $name, cmd: Cmd::$cmd, arity: $arity, flags: $flags, keys: $keys },)*
        ];
    };
}

table! {
    // Strings.
    "GET" Get 2 READONLY | FAST, ONE;
    "SET" Set -3 WRITE, ONE;
    "SETNX" Setnx 3 WRITE | FAST, ONE;
    "SETEX" Setex 4 WRITE, ONE;
    "PSETEX" Psetex 4 WRITE, ONE;
    "GETSET" Getset 3 WRITE | FAST, ONE;
    "GETDEL" Getdel 2 WRITE | FAST, ONE;
    "GETEX" Getex -2 WRITE | FAST, ONE;
    "MGET" Mget -2 READONLY | FAST, ALL;
    "MSET" Mset -3 WRITE, range(1, -1, 2);
    "MSETNX" Msetnx -3 WRITE, range(1, -1, 2);
    "INCR" Incr 2 WRITE | FAST, ONE;
    "DECR" Decr 2 WRITE | FAST, ONE;
    "INCRBY" IncrBy 3 WRITE | FAST, ONE;
    "DECRBY" DecrBy 3 WRITE | FAST, ONE;
    "INCRBYFLOAT" IncrByFloat 3 WRITE | FAST, ONE;
    "APPEND" Append 3 WRITE | FAST, ONE;
    "STRLEN" Strlen 2 READONLY | FAST, ONE;
    "GETRANGE" Getrange 4 READONLY, ONE;
    "SETRANGE" Setrange 4 WRITE, ONE;
    // Keys of any type.
    "DEL" Del -2 WRITE, ALL;
    "UNLINK" Unlink -2 WRITE | FAST, ALL;
    "EXISTS" Exists -2 READONLY | FAST, ALL;
    "TYPE" Type 2 READONLY | FAST, ONE;
    "RENAME" Rename 3 WRITE, range(1, 2, 1);
    "RENAMENX" Renamenx 3 WRITE | FAST, range(1, 2, 1);
    "EXPIRE" Expire -3 WRITE | FAST, ONE;
    "PEXPIRE" Pexpire -3 WRITE | FAST, ONE;
    "EXPIREAT" Expireat -3 WRITE | FAST, ONE;
    "PEXPIREAT" Pexpireat -3 WRITE | FAST, ONE;
    "TTL" Ttl 2 READONLY | FAST, ONE;
    "PTTL" Pttl 2 READONLY | FAST, ONE;
    "PERSIST" Persist 2 WRITE | FAST, ONE;
    "KEYS" Keys 2 READONLY | EVERY_KEY, Keys::None;
    "SCAN" Scan -2 READONLY | EVERY_KEY, Keys::None;
    "RANDOMKEY" Randomkey 1 READONLY | EVERY_KEY, Keys::None;
    "DBSIZE" Dbsize 1 READONLY | FAST | EVERY_KEY, Keys::None;
    "MOVE" Move 3 WRITE | FAST | NO_PLUGIN, ONE;
    "SWAPDB" Swapdb 3 WRITE | FAST | NO_PLUGIN | EVERY_KEY, Keys::None;
    "FLUSHDB" Flushdb -1 WRITE | NO_PLUGIN | EVERY_KEY, Keys::None;
    "FLUSHALL" Flushall -1 WRITE | NO_PLUGIN | EVERY_KEY, Keys::None;
    // Hashes.
    "HSET" Hset -4 WRITE | FAST, ONE;
    "HSETNX" Hsetnx 4 WRITE | FAST, ONE;
    "HMSET" Hmset -4 WRITE | FAST, ONE;
    "HGET" Hget 3 READONLY | FAST, ONE;
    "HMGET" Hmget -3 READONLY | FAST, ONE;
    "HDEL" Hdel -3 WRITE | FAST, ONE;
    "HGETALL" Hgetall 2 READONLY, ONE;
    "HKEYS" Hkeys 2 READONLY, ONE;
    "HVALS" Hvals 2 READONLY, ONE;
    "HLEN" Hlen 2 READONLY | FAST, ONE;
    "HEXISTS" Hexists 3 READONLY | FAST, ONE;
    "HINCRBY" Hincrby 4 WRITE | FAST, ONE;
    "HINCRBYFLOAT" Hincrbyfloat 4 WRITE | FAST, ONE;
    "HSTRLEN" Hstrlen 3 READONLY | FAST, ONE;
    "HSCAN" Hscan -3 READONLY, ONE;
    // Lists.
    "LPUSH" Lpush -3 WRITE | FAST, ONE;
    "RPUSH" Rpush -3 WRITE | FAST, ONE;
    "LPUSHX" Lpushx -3 WRITE | FAST, ONE;
    "RPUSHX" Rpushx -3 WRITE | FAST, ONE;
    "LPOP" Lpop -2 WRITE | FAST, ONE;
    "RPOP" Rpop -2 WRITE | FAST, ONE;
    "LRANGE" Lrange 4 READONLY, ONE;
    "LLEN" Llen 2 READONLY | FAST, ONE;
    "LINDEX" Lindex 3 READONLY, ONE;
    "LSET" Lset 4 WRITE, ONE;
    "LREM" Lrem 4 WRITE, ONE;
    "LTRIM" Ltrim 4 WRITE, ONE;
    "LINSERT" Linsert 5 WRITE, ONE;
    "LPOS" Lpos -3 READONLY, ONE;
    "RPOPLPUSH" Rpoplpush 3 WRITE, range(1, 2, 1);
    "LMOVE" Lmove 5 WRITE, range(1, 2, 1);
    // Sets.
    "SADD" Sadd -3 WRITE | FAST, ONE;
    "SREM" Srem -3 WRITE | FAST, ONE;
    "SMEMBERS" Smembers 2 READONLY, ONE;
    "SISMEMBER" Sismember 3 READONLY | FAST, ONE;
    "SMISMEMBER" Smismember -3 READONLY | FAST, ONE;
    "SCARD" Scard 2 READONLY | FAST, ONE;
    "SINTER" Sinter -2 READONLY, ALL;
    "SUNION" Sunion -2 READONLY, ALL;
    "SDIFF" Sdiff -2 READONLY, ALL;
    "SINTERSTORE" Sinterstore -3 WRITE, ALL;
    "SUNIONSTORE" Sunionstore -3 WRITE, ALL;
    "SDIFFSTORE" Sdiffstore -3 WRITE, ALL;
    "SPOP" Spop -2 WRITE | FAST, ONE;
    "SRANDMEMBER" Srandmember -2 READONLY, ONE;
    "SMOVE" Smove 4 WRITE | FAST, range(1, 2, 1);
    "SSCAN" Sscan -3 READONLY, ONE;
    // Sorted sets.
    "ZADD" Zadd -4 WRITE | FAST, ONE;
    "ZREM" Zrem -3 WRITE | FAST, ONE;
    "ZSCORE" Zscore 3 READONLY | FAST, ONE;
    "ZMSCORE" Zmscore -3 READONLY | FAST, ONE;
    "ZINCRBY" Zincrby 4 WRITE | FAST, ONE;
    "ZCARD" Zcard 2 READONLY | FAST, ONE;
    "ZCOUNT" Zcount 4 READONLY | FAST, ONE;
    "ZRANGE" Zrange -4 READONLY, ONE;
    "ZRANGEBYSCORE" Zrangebyscore -4 READONLY, ONE;
    "ZREVRANGEBYSCORE" Zrevrangebyscore -4 READONLY, ONE;
    "ZREVRANGE" Zrevrange -4 READONLY, ONE;
    "ZRANK" Zrank 3 READONLY | FAST, ONE;
    "ZREVRANK" Zrevrank 3 READONLY | FAST, ONE;
    "ZREMRANGEBYSCORE" Zremrangebyscore 4 WRITE, ONE;
    "ZREMRANGEBYRANK" Zremrangebyrank 4 WRITE, ONE;
    "ZPOPMIN" Zpopmin -2 WRITE | FAST, ONE;
    "ZPOPMAX" Zpopmax -2 WRITE | FAST, ONE;
    "ZSCAN" Zscan -3 READONLY, ONE;
    // Transactions.
    "MULTI" Multi 1 NO_HOOKS | FAST | NO_PLUGIN, Keys::None;
    "EXEC" Exec 1 NO_HOOKS | NO_PLUGIN, Keys::None;
    "DISCARD" Discard 1 NO_HOOKS | FAST | NO_PLUGIN, Keys::None;
    "WATCH" Watch -2 NO_HOOKS | FAST | NO_PLUGIN, ALL;
    "UNWATCH" Unwatch 1 NO_HOOKS | FAST | NO_PLUGIN, Keys::None;
    // Pub/sub.
    "SUBSCRIBE" Subscribe -2 NO_HOOKS | NO_PLUGIN, Keys::None;
    "UNSUBSCRIBE" Unsubscribe -1 NO_HOOKS | NO_PLUGIN, Keys::None;
    "PSUBSCRIBE" Psubscribe -2 NO_HOOKS | NO_PLUGIN, Keys::None;
    "PUNSUBSCRIBE" Punsubscribe -1 NO_HOOKS | NO_PLUGIN, Keys::None;
    "PUBLISH" Publish 3 FAST | MAY_REPLICATE, Keys::None;
    "PUBSUB" Pubsub -2 NO_HOOKS | NO_PLUGIN, Keys::None;
    // Functions and the server.
    "FCALL" Fcall -3 NO_PLUGIN, Keys::Numkeys;
    "FCALL_RO" FcallRo -3 READONLY | NO_PLUGIN, Keys::Numkeys;
    "WASM.CALL" WasmCall -2 NO_PLUGIN, Keys::Wasm;
    "WASM.CALL_RO" WasmCallRo -2 READONLY | NO_PLUGIN, Keys::Wasm;
    "PING" Ping -1 FAST, Keys::None;
    "ECHO" Echo 2 FAST, Keys::None;
    "QUIT" Quit -1 NO_HOOKS | FAST | NO_PLUGIN, Keys::None;
    "RESET" Reset 1 NO_HOOKS | FAST | NO_PLUGIN, Keys::None;
    "SELECT" Select 2 NO_HOOKS | FAST | NO_PLUGIN, Keys::None;
    "HELLO" Hello -1 NO_HOOKS | FAST | NO_PLUGIN, Keys::None;
    "CLIENT" Client -2 NO_HOOKS | NO_PLUGIN, Keys::None;
    "COMMAND" Command -1 NO_HOOKS, Keys::None;
    "CONFIG" Config -2 NO_HOOKS | NO_PLUGIN, Keys::None;
    "INFO" Info -1 NO_HOOKS | EVERY_KEY, Keys::None;
    "FUNCTION" Function -2 NO_HOOKS | NO_PLUGIN, Keys::None;
    "PLUGIN" Plugin -2 NO_HOOKS | NO_PLUGIN, Keys::None;
    "PLUGIN.LIST" PluginDot -1 NO_HOOKS | NO_PLUGIN, Keys::None;
    "PLUGIN.INFO" PluginDot -1 NO_HOOKS | NO_PLUGIN, Keys::None;
    "PLUGIN.INSTALL" PluginDot -1 NO_HOOKS | NO_PLUGIN, Keys::None;
    "PLUGIN.REMOVE" PluginDot -1 NO_HOOKS | NO_PLUGIN, Keys::None;
    "PLUGIN.RELOAD" PluginDot -1 NO_HOOKS | NO_PLUGIN, Keys::None;
    "PLUGIN.ENABLE" PluginDot -1 NO_HOOKS | NO_PLUGIN, Keys::None;
    "PLUGIN.DISABLE" PluginDot -1 NO_HOOKS | NO_PLUGIN, Keys::None;
    "PLUGIN.SEARCH" PluginDot -1 NO_HOOKS | NO_PLUGIN, Keys::None;
    "PLUGIN.HELP" PluginDot -1 NO_HOOKS | NO_PLUGIN, Keys::None;
    "WASM.LOAD" Wasm -3 NO_HOOKS | NO_PLUGIN, Keys::None;
    "WASM.UNLOAD" Wasm 2 NO_HOOKS | NO_PLUGIN, Keys::None;
    "WASM.LIST" Wasm 1 NO_HOOKS | NO_PLUGIN, Keys::None;
    "WASM.INFO" Wasm 2 NO_HOOKS | NO_PLUGIN, Keys::None;
    "WASM.STATS" Wasm -1 NO_HOOKS | NO_PLUGIN, Keys::None;
    "WASM.HELP" Wasm 1 NO_HOOKS | NO_PLUGIN, Keys::None;
}

/// The longest command name looked up without allocating.
const MAX_NAME: usize = 32;

/// A command's name, upper-cased on the stack when it is short (all of the
/// table's are).
pub struct Upper {
    short: [u8; MAX_NAME],
    len: usize,
    long: Option<Vec<u8>>,
}

impl Upper {
    /// `name` in upper case.
    pub fn new(name: &[u8]) -> Upper {
        let mut short = [0u8; MAX_NAME];
        if name.len() <= MAX_NAME {
            for (u, c) in short.iter_mut().zip(name) {
                *u = c.to_ascii_uppercase();
            }
            Upper {
                short,
                len: name.len(),
                long: None,
            }
        } else {
            Upper {
                short,
                len: 0,
                long: Some(name.to_ascii_uppercase()),
            }
        }
    }

    /// The upper-case bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.long {
            Some(long) => long,
            None => &self.short[..self.len],
        }
    }
}

/// FxHash (rustc's hasher): plenty for a fixed table of short names.
#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type Index = HashMap<&'static [u8], &'static Command, BuildHasherDefault<Fx>>;

static INDEX: LazyLock<Index> =
    LazyLock::new(|| TABLE.iter().map(|c| (c.name.as_bytes(), c)).collect());

/// The command called `name` (upper-case).
pub fn lookup(name: &Upper) -> Option<&'static Command> {
    INDEX.get(name.as_bytes()).copied()
}

/// Redis's reply to a command called with the wrong number of arguments.
pub fn wrong_arity(name: &str) -> crate::reply::Reply {
    crate::reply::Reply::err(format_args!(
        "wrong number of arguments for '{}' command",
        name.to_ascii_lowercase()
    ))
}

/// Whether `name` (upper-case) is the server's: a plugin may not take it.
pub fn is_reserved(name: &str) -> bool {
    INDEX.contains_key(name.as_bytes()) || name.starts_with("PLUGIN.") || name.starts_with("WASM.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys<'a>(name: &str, args: &'a [&'a [u8]]) -> Vec<&'a [u8]> {
        lookup(&Upper::new(name.as_bytes()))
            .unwrap()
            .keys(args)
            .collect()
    }

    #[test]
    fn names_are_found_in_any_case() {
        for c in TABLE {
            assert_eq!(c.name, c.name.to_ascii_uppercase());
            let lower = c.name.to_ascii_lowercase();
            assert_eq!(lookup(&Upper::new(lower.as_bytes())).unwrap().cmd, c.cmd);
        }
        assert!(lookup(&Upper::new(b"NO.SUCH")).is_none());
        assert!(lookup(&Upper::new(&[b'g'; 100])).is_none());
        assert_eq!(Upper::new(&[b'g'; 100]).as_bytes(), &[b'G'; 100][..]);
    }

    #[test]
    fn keys_are_where_redis_puts_them() {
        let args: &[&[u8]] = &[b"MSET", b"a", b"1", b"b", b"2"];
        assert_eq!(keys("MSET", args), [b"a", b"b"]);
        let args: &[&[u8]] = &[b"DEL", b"a", b"b"];
        assert_eq!(keys("DEL", args), [b"a", b"b"]);
        let args: &[&[u8]] = &[b"SET", b"k", b"v", b"EX", b"1"];
        assert_eq!(keys("SET", args), [b"k"]);
        let args: &[&[u8]] = &[b"FCALL", b"f", b"2", b"k1", b"k2", b"arg"];
        assert_eq!(keys("FCALL", args), [b"k1", b"k2"]);
        let args: &[&[u8]] = &[b"FCALL", b"f", b"0", b"arg"];
        assert!(keys("FCALL", args).is_empty());
        let args: &[&[u8]] = &[b"FCALL", b"f", b"9", b"k"];
        assert_eq!(keys("FCALL", args), [b"k"]);
        let args: &[&[u8]] = &[b"PING"];
        assert!(keys("PING", args).is_empty());
    }

    fn command(name: &str) -> &'static Command {
        lookup(&Upper::new(name.as_bytes())).unwrap()
    }

    #[test]
    fn write_classification() {
        for w in [
            "SET", "MSET", "DEL", "INCR", "INCRBY", "DECR", "DECRBY", "APPEND", "EXPIRE",
            "PEXPIRE", "PERSIST", "FLUSHDB", "FLUSHALL",
        ] {
            assert!(command(w).is_write(), "{w}");
        }
        for r in [
            "GET", "MGET", "EXISTS", "STRLEN", "TTL", "PTTL", "KEYS", "SCAN", "DBSIZE", "PING",
            "FCALL", "FCALL_RO",
        ] {
            assert!(!command(r).is_write(), "{r}");
        }
    }

    #[test]
    fn commands_that_reach_keys_they_do_not_name_are_flagged() {
        for every in [
            "KEYS",
            "SCAN",
            "RANDOMKEY",
            "DBSIZE",
            "FLUSHDB",
            "FLUSHALL",
            "SWAPDB",
            "INFO",
        ] {
            assert!(command(every).reaches_every_key(), "{every}");
        }
        // Every other command's keys are where the table says, or it has none.
        for c in TABLE {
            if c.reaches_every_key() {
                assert_eq!(c.keys, Keys::None, "{}", c.name);
            }
        }
        for named in [
            "GET", "SET", "DEL", "EXISTS", "MGET", "HSCAN", "SSCAN", "ZSCAN", "PING",
        ] {
            assert!(!command(named).reaches_every_key(), "{named}");
        }
    }

    /// The keys the command `name` with `args` touches, as text.
    fn key_texts(name: &str, args: &[&str]) -> Vec<String> {
        let mut all: Vec<&[u8]> = vec![name.as_bytes()];
        all.extend(args.iter().map(|a| a.as_bytes()));
        command(name)
            .keys(&all)
            .map(|k| String::from_utf8(k.to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn written_and_first_keys() {
        assert_eq!(key_texts("SET", &["k", "v", "EX", "1"]), ["k"]);
        assert_eq!(key_texts("MSET", &["k1", "v1", "k2", "v2"]), ["k1", "k2"]);
        assert_eq!(key_texts("DEL", &["k1", "k2"]), ["k1", "k2"]);
        for one in [
            "INCR", "INCRBY", "DECR", "DECRBY", "APPEND", "EXPIRE", "PEXPIRE", "PERSIST", "GET",
            "TTL",
        ] {
            assert_eq!(key_texts(one, &["k", "1"]), ["k"], "{one}");
        }
        for none in ["FLUSHDB", "FLUSHALL", "PING", "KEYS", "SCAN", "DBSIZE"] {
            assert!(key_texts(none, &["ASYNC"]).is_empty(), "{none}");
        }
        assert!(key_texts("SET", &[]).is_empty());
        assert!(key_texts("GET", &[]).is_empty());
        assert_eq!(key_texts("MGET", &["k1", "v1", "k2"]), ["k1", "v1", "k2"]);
        assert_eq!(key_texts("FCALL", &["f", "2", "k", "j", "arg"]), ["k", "j"]);
        assert!(key_texts("FCALL_RO", &["f", "0", "arg"]).is_empty());
        assert!(key_texts("FCALL", &["f", "x"]).is_empty());
        assert!(key_texts("FCALL", &["f", "1"]).is_empty());
    }

    #[test]
    fn wasm_call_keys_are_after_keys_or_counted() {
        for name in ["WASM.CALL", "WASM.CALL_RO"] {
            assert_eq!(
                key_texts(name, &["f", "KEYS", "a", "b", "ARGS", "x"]),
                ["a", "b"]
            );
            assert_eq!(key_texts(name, &["f", "keys", "a", "args", "ARGS"]), ["a"]);
            assert_eq!(key_texts(name, &["f", "KEYS", "a", "b"]), ["a", "b"]);
            assert!(key_texts(name, &["f", "ARGS", "KEYS", "a"]).is_empty());
            assert!(key_texts(name, &["f", "KEYS"]).is_empty());
            assert!(key_texts(name, &["f", "KEYS", "ARGS", "x"]).is_empty());
            assert!(key_texts(name, &["f"]).is_empty());
            assert!(key_texts(name, &["f", "BOGUS", "a"]).is_empty());
            assert_eq!(key_texts(name, &["f", "2", "a", "b", "x"]), ["a", "b"]);
            assert_eq!(key_texts(name, &["f", "5", "a"]), ["a"]);
            assert!(key_texts(name, &["f", "0", "x"]).is_empty());
            assert!(key_texts(name, &["f", "1"]).is_empty());
            assert!(key_texts(name, &["f", "99999999999999999999999", "a"]).is_empty());
        }
        assert!(command("WASM.CALL").is_hooked() && !command("WASM.CALL").is_plugin_callable());
        assert!(!command("WASM.CALL").is_write() && !command("WASM.CALL_RO").is_write());
        for admin in [
            "WASM.LOAD",
            "WASM.UNLOAD",
            "WASM.LIST",
            "WASM.INFO",
            "WASM.STATS",
            "WASM.HELP",
            "PLUGIN.SEARCH",
            "PLUGIN.HELP",
        ] {
            let c = command(admin);
            assert!(!c.is_hooked() && !c.is_plugin_callable(), "{admin}");
        }
    }

    #[test]
    fn reserved_names_include_every_command_and_plugin_spellings() {
        assert!(is_reserved("GET"));
        assert!(is_reserved("PLUGIN.ANYTHING"));
        assert!(is_reserved("WASM.ANYTHING"));
        assert!(!is_reserved("GK.SUM"));
    }
}
