//! Locked keys, and write and read tracking: a custom command and the three
//! kinds of hook a Ferrite plugin can have.
//!
//! What a hook writes through `kv` does not fire hooks again, so the counters
//! below do not count themselves.

use ferrite_plugin::prelude::*;

/// Keys under this prefix cannot be written.
const LOCKED: &[u8] = b"locked:";

fn counter(prefix: &str, key: &[u8]) -> String {
    format!("{prefix}:{}", String::from_utf8_lossy(key))
}

fn read_counter(key: &str) -> Result<i64, PluginError> {
    Ok(kv::get(key)?
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// Refuses writes to keys under `locked:`.
#[ferrite_plugin::hook(
    before_command,
    commands = ["SET", "MSET", "DEL", "APPEND", "INCR", "INCRBY", "DECR", "DECRBY", "EXPIRE", "PEXPIRE", "PERSIST"]
)]
fn guard(ctx: &HookContext) -> HookResult {
    let locked = match ctx.command() {
        // Every key of an MSET, not only the first.
        "MSET" => ctx.args().iter().step_by(2).any(|k| k.starts_with(LOCKED)),
        "DEL" => ctx.args().iter().any(|k| k.starts_with(LOCKED)),
        _ => ctx.key().is_some_and(|k| k.starts_with(LOCKED)),
    };
    if locked {
        HookResult::Abort("DENIED the key is locked (keys under `locked:` are read-only)".into())
    } else {
        HookResult::Continue
    }
}

/// Counts each write of a key in `writes:<key>`.
#[ferrite_plugin::hook(on_key_write)]
fn track_write(ctx: &HookContext) -> HookResult {
    if let Some(key) = ctx.key()
        && let Err(e) = kv::incr_by(counter("writes", key), 1)
    {
        log::warn(format!("cannot count a write: {e}"));
    }
    HookResult::Continue
}

/// Counts each `GET` of a key in `reads:<key>`.
#[ferrite_plugin::hook(after_command, commands = ["GET"])]
fn count_read(ctx: &HookContext) -> HookResult {
    if let Some(key) = ctx.key()
        && let Err(e) = kv::incr_by(counter("reads", key), 1)
    {
        log::warn(format!("cannot count a read: {e}"));
    }
    HookResult::Continue
}

/// `GK.STATS key`: how often `key` was written and read, as `[writes, reads]`.
#[ferrite_plugin::command(name = "GK.STATS", arity = 2)]
fn stats(ctx: &CommandContext) -> Result<PluginResponse, PluginError> {
    let key = ctx.arg(0)?;
    Ok(PluginResponse::Array(vec![
        read_counter(&counter("writes", key))?.into(),
        read_counter(&counter("reads", key))?.into(),
    ]))
}

/// How often `key` was written since the plugin was loaded.
#[ferrite_plugin::function]
pub fn writes(key: String) -> Result<i64, PluginError> {
    read_counter(&counter("writes", key.as_bytes()))
}

#[ferrite_plugin::test]
fn guard_refuses_locked_keys_only() {
    let set = |key: &[u8]| {
        HookContext::new(
            HookEvent::BeforeCommand,
            "SET",
            vec![key.to_vec(), b"v".to_vec()],
            Some(key.to_vec()),
        )
    };
    assert!(matches!(guard(&set(b"locked:a")), HookResult::Abort(m) if m.starts_with("DENIED")));
    assert_eq!(guard(&set(b"open")), HookResult::Continue);
    let mset = HookContext::new(
        HookEvent::BeforeCommand,
        "MSET",
        vec![
            b"a".to_vec(),
            b"1".to_vec(),
            b"locked:b".to_vec(),
            b"2".to_vec(),
        ],
        Some(b"a".to_vec()),
    );
    assert!(matches!(guard(&mset), HookResult::Abort(_)));
}

#[ferrite_plugin::test]
fn writes_and_reads_are_counted() {
    let write = HookContext::new(HookEvent::OnKeyWrite, "SET", vec![], Some(b"k".to_vec()));
    let read = HookContext::new(HookEvent::AfterCommand, "GET", vec![], Some(b"k".to_vec()));
    track_write(&write);
    track_write(&write);
    count_read(&read);
    assert_eq!(writes("k".into()).unwrap(), 2);
    let reply = stats(&CommandContext::new("GK.STATS", vec![b"k".to_vec()])).unwrap();
    assert_eq!(reply, PluginResponse::Array(vec![2i64.into(), 1i64.into()]));
}

#[ferrite_plugin::test]
fn stats_needs_a_key() {
    let e = stats(&CommandContext::new("GK.STATS", vec![])).unwrap_err();
    assert!(e.to_string().contains("at least 1 argument"), "{e}");
}
