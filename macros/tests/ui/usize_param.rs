#[ferrite_plugin::function]
fn nth(index: usize) -> u32 {
    index as u32
}

fn main() {}
