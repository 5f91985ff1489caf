//! A minimal `on_key_write` hook for `benches/fcall/run.sh`: the cost of a hook
//! call on SET, with next to no work in it.

use ferrite_plugin::prelude::*;

/// Looks at the key of each SET (`locked:` or not) and lets it be.
#[ferrite_plugin::hook(on_key_write, commands = ["SET"])]
fn guard(ctx: &HookContext) -> HookResult {
    match ctx.key() {
        Some(k) if k.starts_with(b"locked:") => HookResult::Continue,
        _ => HookResult::Continue,
    }
}

#[ferrite_plugin::test]
fn it_looks_at_the_key_only() {
    let set = |key: &[u8]| {
        HookContext::new(
            HookEvent::OnKeyWrite,
            "SET",
            vec![key.to_vec(), b"v".to_vec()],
            Some(key.to_vec()),
        )
    };
    assert_eq!(guard(&set(b"open")), HookResult::Continue);
}
