//! {{description}}

use ferrite_plugin::prelude::*;

/// Refuses `SET` with an empty value. The server calls this hook only for
/// the commands listed, so other commands cost nothing.
#[ferrite_plugin::hook(before_command, commands = ["SET"])]
fn no_empty_values(ctx: &HookContext) -> HookResult {
    match ctx.args().get(1) {
        Some(value) if value.is_empty() => HookResult::Abort("ERR empty values are not allowed".into()),
        _ => HookResult::Continue,
    }
}

/// Counts every key written, in `writes`. What a hook writes through `kv`
/// fires no hooks, so the counter does not count itself.
#[ferrite_plugin::hook(on_key_write)]
fn count_writes(_ctx: &HookContext) -> HookResult {
    if let Err(e) = kv::incr_by("writes", 1) {
        log::warn(format!("cannot count a write: {e}"));
    }
    HookResult::Continue
}

/// Forgets the write count when any plugin emits `writes.reset` (as
/// `reset` does): a hook of a custom event, not of a command.
#[ferrite_plugin::hook(on_event = "writes.reset")]
fn reset_writes(ctx: &HookContext) -> HookResult {
    log::info(format!("{} (from: {})", ctx.event_name().unwrap_or_default(), String::from_utf8_lossy(ctx.payload())));
    match kv::del("writes") {
        Ok(_) => HookResult::Continue,
        Err(e) => HookResult::Abort(format!("ERR cannot reset the write count: {e}")),
    }
}

/// Emits `writes.reset` to every plugin's subscribers; how many received it.
#[ferrite_plugin::function]
pub fn reset(reason: String) -> Result<u32, PluginError> {
    events::emit("writes.reset", reason)
}

#[ferrite_plugin::test]
fn refuses_empty_values_only() {
    let set = |value: &[u8]| {
        HookContext::new(HookEvent::BeforeCommand, "SET", vec![b"k".to_vec(), value.to_vec()], Some(b"k".to_vec()))
    };
    assert!(matches!(no_empty_values(&set(b"")), HookResult::Abort(_)));
    assert_eq!(no_empty_values(&set(b"v")), HookResult::Continue);
}

#[ferrite_plugin::test]
fn counts_writes() {
    let write = HookContext::new(HookEvent::OnKeyWrite, "SET", vec![], Some(b"k".to_vec()));
    count_writes(&write);
    count_writes(&write);
    assert_eq!(kv::get_string("writes").unwrap().as_deref(), Some("2"));
}

#[ferrite_plugin::test]
fn an_emitted_event_reaches_the_subscribed_hook() {
    kv::set("writes", "5").unwrap();
    assert_eq!(reset("a test".into()).unwrap(), 1);
    assert_eq!(kv::get("writes").unwrap(), None);
}
