//! `#[ferrite_plugin::fuzz]` above or below the export's attribute, with
//! every option, on functions, commands and hooks.

use ferrite_plugin::prelude::*;

#[ferrite_plugin::fuzz(max_len = 64, range(values = -100..=100, r#type = ..10))]
#[ferrite_plugin::function]
pub fn mean(values: Vec<i32>, r#type: u8) -> Option<i32> {
    let n = values.len() as i32;
    let _ = r#type;
    (n > 0).then(|| values.iter().sum::<i32>() / n)
}

#[ferrite_plugin::function(name = "scaled")]
#[ferrite_plugin::fuzz(range(x = -1.0..1.0), wasm_only)]
pub fn scale(x: f64) -> f64 {
    x * 2.0
}

#[ferrite_plugin::fuzz(skip = "it has effects")]
#[ferrite_plugin::fuzz(max_len = 4)]
#[ferrite_plugin::function]
pub fn effects() {}

#[ferrite_plugin::fuzz]
#[ferrite_plugin::function]
pub fn plain() {}

#[ferrite_plugin::fuzz(max_len = 8)]
#[ferrite_plugin::command(name = "P.ECHO")]
fn echo(ctx: &CommandContext) -> Result<PluginResponse, PluginError> {
    Ok(PluginResponse::Integer(ctx.args().len() as i64))
}

#[ferrite_plugin::hook(before_command)]
#[ferrite_plugin::fuzz(skip)]
fn guard(ctx: &HookContext) -> HookResult {
    let _ = ctx;
    HookResult::Continue
}

fn main() {
    assert_eq!(mean(vec![2, 4], 0), Some(3));
    assert_eq!(scale(1.0), 2.0);
    effects();
    plain();
}
