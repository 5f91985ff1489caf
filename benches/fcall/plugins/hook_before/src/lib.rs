//! A minimal `before_command` hook for `benches/fcall/run.sh`: the cost of a hook
//! call on SET, with next to no work in it.

use ferrite_plugin::prelude::*;

/// Refuses SET under `locked:`.
#[ferrite_plugin::hook(before_command, commands = ["SET"])]
fn guard(ctx: &HookContext) -> HookResult {
    match ctx.key() {
        Some(k) if k.starts_with(b"locked:") => {
            HookResult::Abort("DENIED the key is locked".into())
        }
        _ => HookResult::Continue,
    }
}

#[ferrite_plugin::test]
fn it_looks_at_the_key_only() {
    let set = |key: &[u8]| {
        HookContext::new(
            HookEvent::BeforeCommand,
            "SET",
            vec![key.to_vec(), b"v".to_vec()],
            Some(key.to_vec()),
        )
    };
    assert_eq!(guard(&set(b"open")), HookResult::Continue);
    assert!(matches!(guard(&set(b"locked:a")), HookResult::Abort(_)));
}
