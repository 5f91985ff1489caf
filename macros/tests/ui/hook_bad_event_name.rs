use ferrite_plugin::hook::{HookContext, HookResult};

#[ferrite_plugin::hook(on_event = "order paid")]
fn on_paid(_ctx: &HookContext) -> HookResult {
    HookResult::Continue
}

#[ferrite_plugin::hook(on_event = "order.paid", commands = ["SET"])]
fn on_paid_too(_ctx: &HookContext) -> HookResult {
    HookResult::Continue
}

fn main() {}
