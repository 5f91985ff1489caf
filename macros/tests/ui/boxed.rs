#[ferrite_plugin::function]
fn unbox(value: Box<u32>) -> u32 {
    *value
}

fn main() {}
