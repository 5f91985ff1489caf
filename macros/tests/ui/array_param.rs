#[ferrite_plugin::function]
fn first(bytes: [u8; 4]) -> u8 {
    bytes[0]
}

fn main() {}
