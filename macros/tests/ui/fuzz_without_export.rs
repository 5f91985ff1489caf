#[ferrite_plugin::fuzz(skip)]
fn f(n: u32) -> u32 {
    n
}

#[ferrite_plugin::fuzz(wasm_only)]
#[ferrite_plugin::command(name = "X.Y")]
fn c(ctx: &ferrite_plugin::command::CommandContext) -> Result<ferrite_plugin::command::PluginResponse, ferrite_plugin::PluginError> {
    let _ = ctx;
    Ok(ferrite_plugin::command::PluginResponse::Ok)
}

fn main() {}
