use ferrite_plugin::command::CommandContext;

#[ferrite_plugin::command(name = "GK.COUNT", arity = -1)]
fn count(ctx: &CommandContext) -> usize {
    ctx.args().len()
}

fn main() {}
