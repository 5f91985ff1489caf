#[ferrite_plugin::function]
fn name() -> &'static str {
    "ferrite"
}

fn main() {}
