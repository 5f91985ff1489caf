use ferrite_plugin::command::{CommandContext, PluginResponse};
use ferrite_plugin::PluginError;

#[ferrite_plugin::command(name = "GK.STATS", arity = 0)]
fn stats(ctx: &CommandContext) -> Result<PluginResponse, PluginError> {
    Ok(ctx.args().len().into())
}

fn main() {}
