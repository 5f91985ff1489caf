use ferrite_plugin::hook::{HookContext, HookResult};

#[ferrite_plugin::hook(before_write)]
fn guard(_ctx: &HookContext) -> HookResult {
    HookResult::Continue
}

fn main() {}
