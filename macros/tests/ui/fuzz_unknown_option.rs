#[ferrite_plugin::fuzz(max_size = 3)]
#[ferrite_plugin::function]
fn f(values: Vec<u32>) -> u32 {
    values.len() as u32
}

fn main() {}
