//! The host's test plugin. Some functions misbehave on purpose; the host must
//! give each a typed error and keep serving the well-behaved ones.

use std::hint::black_box;
use std::sync::atomic::{AtomicU32, Ordering};

use ferrite_plugin::prelude::*;

/// Never returns.
#[ferrite_plugin::function]
pub fn spin(start: u64) -> u64 {
    let mut x = start;
    loop {
        x = black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
}

/// Allocates `mb` MiB at a time until the memory limit refuses.
#[ferrite_plugin::function]
pub fn hog(mb: u32) -> u32 {
    let mut held: Vec<Vec<u8>> = Vec::new();
    loop {
        let block = vec![1u8; mb as usize * 1024 * 1024];
        held.push(black_box(block));
        if held.len() > 1_000_000 {
            return held.len() as u32;
        }
    }
}

/// Recurses `depth` times (without end for a huge depth).
#[ferrite_plugin::function]
pub fn recurse(depth: u64) -> u64 {
    if depth == 0 {
        0
    } else {
        black_box(recurse(black_box(depth - 1))) + 1
    }
}

/// Recurses `depth` times with 16 KiB of locals in each frame, which live on
/// the plugin's shadow stack in linear memory: it overflows that stack long
/// before the wasm stack.
#[ferrite_plugin::function]
pub fn deep(depth: u32) -> u32 {
    let mut frame = [0u8; 16 * 1024];
    frame[depth as usize % frame.len()] = depth as u8;
    let frame = black_box(frame);
    if depth == 0 {
        u32::from(frame[0])
    } else {
        black_box(deep(black_box(depth - 1))).wrapping_add(u32::from(frame[1]))
    }
}

/// Panics with `message`.
#[ferrite_plugin::function]
pub fn boom(message: String) -> u32 {
    panic!("{message}")
}

/// Executes `unreachable` without panicking.
#[ferrite_plugin::function]
pub fn trap() -> u32 {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    unreachable!()
}

/// Returns a string of `mb` MiB.
#[ferrite_plugin::function]
pub fn huge(mb: u32) -> String {
    "x".repeat(mb as usize * 1024 * 1024)
}

/// Well-behaved.
#[ferrite_plugin::function]
pub fn add(a: u32, b: u32) -> u32 {
    a.wrapping_add(b)
}

/// Counts calls in this instance: 1 on a fresh instance every time.
#[ferrite_plugin::function]
pub fn counter() -> u32 {
    static CALLS: AtomicU32 = AtomicU32::new(0);
    CALLS.fetch_add(1, Ordering::Relaxed) + 1
}

/// `kv::incr_by(key, 1)`.
#[ferrite_plugin::function]
pub fn incr(key: String) -> Result<i64, PluginError> {
    kv::incr_by(&key, 1)
}

/// `kv::get_string(key)`.
#[ferrite_plugin::function]
pub fn get(key: String) -> Result<Option<String>, PluginError> {
    kv::get_string(&key)
}

/// Stores `value` at `key` for `ttl_ms` milliseconds.
#[ferrite_plugin::function]
pub fn set_for(key: String, value: String, ttl_ms: u64) -> Result<(), PluginError> {
    kv::set_with_ttl(&key, value, std::time::Duration::from_millis(ttl_ms))
}

/// Records `user`'s visit with `tag` and `score` in one data type each: a
/// hash of the last visit, a list of tags, a set of users, a sorted set of
/// scores, and (through `server::call`) a string that expires. Returns the
/// string's time to live, in milliseconds.
#[ferrite_plugin::function]
pub fn visit(user: String, tag: String, score: f64) -> Result<u64, PluginError> {
    kv::hset(format!("visit:{user}"), "tag", &tag)?;
    kv::hincr_by(format!("visit:{user}"), "count", 1)?;
    kv::rpush(format!("tags:{user}"), &[&tag])?;
    kv::sadd("users", &[&user])?;
    kv::zadd("scores", score, &user)?;
    server::call(&["SET", &format!("seen:{user}"), &tag, "EX", "60"])?;
    match kv::ttl(format!("seen:{user}"))? {
        kv::Ttl::Expires(d) => Ok(d.as_millis() as u64),
        other => Err(PluginError::host(format!(
            "`seen:{user}` should expire, but is {other:?}"
        ))),
    }
}

/// Runs the command `words` through `server::call`; its reply as text.
#[ferrite_plugin::function]
pub fn run(words: Vec<String>) -> Result<String, PluginError> {
    Ok(format!("{:?}", server::call(&words)?))
}

/// Draws `n` random numbers from the host.
#[ferrite_plugin::function]
pub fn draw(n: u32) -> Vec<u64> {
    (0..n).map(|_| random::next_u64()).collect()
}

/// Keys starting with `prefix`, as text.
#[ferrite_plugin::function]
pub fn scan(prefix: String, limit: u32) -> Result<Vec<String>, PluginError> {
    Ok(kv::scan(&prefix, limit)?
        .into_iter()
        .map(|k| String::from_utf8_lossy(&k).into_owned())
        .collect())
}

/// Calls every `kv` function on `key` (reads first, then writes) and
/// returns the names of those the host refused with `PermissionDenied`.
#[ferrite_plugin::function]
pub fn kv_refusals(key: String) -> Vec<String> {
    fn denied<T>(r: Result<T, PluginError>) -> bool {
        matches!(r, Err(PluginError::PermissionDenied(_)))
    }
    let k = key.as_str();
    let calls = [
        ("get", denied(kv::get(k))),
        ("exists", denied(kv::exists(k))),
        ("ttl", denied(kv::ttl(k))),
        ("hget", denied(kv::hget(k, "f"))),
        ("hgetall", denied(kv::hgetall(k))),
        ("lrange", denied(kv::lrange(k, 0, -1))),
        ("llen", denied(kv::llen(k))),
        ("smembers", denied(kv::smembers(k))),
        ("sismember", denied(kv::sismember(k, "m"))),
        ("scard", denied(kv::scard(k))),
        ("zscore", denied(kv::zscore(k, "m"))),
        ("zrange_by_score", denied(kv::zrange_by_score(k, 0.0, 1.0))),
        ("zcard", denied(kv::zcard(k))),
        ("set", denied(kv::set(k, "v"))),
        ("incr_by", denied(kv::incr_by(k, 1))),
        (
            "expire",
            denied(kv::expire(k, std::time::Duration::from_secs(60))),
        ),
        ("del", denied(kv::del(k))),
        ("hset", denied(kv::hset(k, "f", "v"))),
        ("hincr_by", denied(kv::hincr_by(k, "n", 1))),
        ("hdel", denied(kv::hdel(k, &["f", "n"]))),
        ("lpush", denied(kv::lpush(k, &["a"]))),
        ("rpush", denied(kv::rpush(k, &["b"]))),
        ("lpop", denied(kv::lpop(k, 1))),
        ("rpop", denied(kv::rpop(k, 1))),
        ("sadd", denied(kv::sadd(k, &["m"]))),
        ("srem", denied(kv::srem(k, &["m"]))),
        ("zadd", denied(kv::zadd(k, 0.5, "m"))),
        ("zincr_by", denied(kv::zincr_by(k, 1.0, "m"))),
        ("zrem", denied(kv::zrem(k, &["m"]))),
        (
            "zrem_range_by_score",
            denied(kv::zrem_range_by_score(k, 0.0, 1.0)),
        ),
    ];
    calls
        .into_iter()
        .filter(|(_, denied)| *denied)
        .map(|(name, _)| name.to_string())
        .collect()
}

/// The operator's setting `key`.
#[ferrite_plugin::function]
pub fn setting(key: String) -> Option<String> {
    config::get(&key)
}

/// The host's clock.
#[ferrite_plugin::function]
pub fn now() -> u64 {
    clock::now_ms()
}

/// Logs `n` lines at every level, then returns `n`.
#[ferrite_plugin::function]
pub fn chatty(n: u32) -> u32 {
    for i in 0..n {
        log::debug(format!("debug {i}"));
        log::info(format!("info {i}"));
        log::warn(format!("warn {i}"));
    }
    n
}

/// Upper-cases `s`.
#[ferrite_plugin::function]
pub fn shout(s: String) -> String {
    s.to_uppercase()
}

/// CPU-bound work: `rounds` rounds of a sieve over the first 10,000 numbers.
#[ferrite_plugin::function]
pub fn crunch(rounds: u32) -> u64 {
    let mut total = 0u64;
    let mut sieve = vec![true; 10_000];
    for _ in 0..rounds {
        sieve.iter_mut().for_each(|s| *s = true);
        for i in 2..sieve.len() {
            if sieve[i] {
                total += i as u64;
                let mut j = i * i;
                while j < sieve.len() {
                    sieve[j] = false;
                    j += i;
                }
            }
        }
    }
    black_box(total)
}

/// `TB.SPIN`: a custom command that never returns.
#[ferrite_plugin::command(name = "TB.SPIN", arity = 1)]
fn tb_spin(_ctx: &CommandContext) -> Result<PluginResponse, PluginError> {
    Ok(spin(1).into())
}

/// `TB.REPLY kind`: a custom command answering each kind of reply, or a
/// broken one.
#[ferrite_plugin::command(name = "TB.REPLY", arity = 2)]
fn tb_reply(ctx: &CommandContext) -> Result<PluginResponse, PluginError> {
    Ok(match ctx.arg_str(0)? {
        "ok" => PluginResponse::Ok,
        "simple" => PluginResponse::Simple("fine".into()),
        "double" => 2.5f64.into(),
        "null" => PluginResponse::Null,
        "nested" => PluginResponse::Array(vec![
            1i64.into(),
            PluginResponse::Array(vec!["a".into(), PluginResponse::Null]),
        ]),
        "error" => PluginResponse::Error("ERR chosen".into()),
        "fail" => return Err(PluginError::invalid_argument("asked to fail")),
        other => {
            return Err(PluginError::invalid_argument(format!(
                "unknown kind `{other}`"
            )));
        }
    })
}

/// Before `ECHO`: traps on `boom`, spins on `spin`, refuses `no`.
#[ferrite_plugin::hook(before_command, commands = ["ECHO"])]
fn tripwire(ctx: &HookContext) -> HookResult {
    match ctx.args().first() {
        Some(b"boom") => panic!("the tripwire went off"),
        Some(b"spin") => {
            spin(2);
            HookResult::Continue
        }
        Some(b"no") => HookResult::Abort("refused by the tripwire".into()),
        _ => HookResult::Continue,
    }
}

/// Emits the event `name` with `payload`; how many hooks received it.
#[ferrite_plugin::function]
pub fn announce(name: String, payload: String) -> Result<u32, PluginError> {
    events::emit(&name, payload)
}

/// On `tb.ping`: counts it in `pongs`, appends the payload to `pings`;
/// the payload `loop` emits `tb.ping` again, `refuse` refuses it.
#[ferrite_plugin::hook(on_event = "tb.ping")]
fn pong(ctx: &HookContext) -> HookResult {
    let run = || -> Result<HookResult, PluginError> {
        kv::incr_by("pongs", 1)?;
        kv::rpush("pings", &[ctx.payload()])?;
        Ok(match ctx.payload() {
            b"loop" => {
                events::emit(ctx.event_name().unwrap_or_default(), "loop")?;
                HookResult::Continue
            }
            b"refuse" => HookResult::Abort("pong refuses".into()),
            _ => HookResult::Continue,
        })
    };
    run().unwrap_or_else(|e| HookResult::Abort(e.to_string()))
}
