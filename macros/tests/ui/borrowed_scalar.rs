#[ferrite_plugin::function]
fn double(n: &u32) -> u32 {
    n * 2
}

fn main() {}
