use ferrite_plugin::hook::{HookContext, HookResult};

#[ferrite_plugin::hook(on_key_write)]
fn track(_ctx: &HookContext, _extra: u32) -> HookResult {
    HookResult::Continue
}

fn main() {}
