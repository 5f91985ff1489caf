#[ferrite_plugin::function(rename = "x")]
fn f() -> u32 {
    0
}

fn main() {}
