#[ferrite_plugin::function]
unsafe fn raw(n: u32) -> u32 {
    n
}

fn main() {}
