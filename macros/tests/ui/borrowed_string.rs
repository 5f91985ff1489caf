#[ferrite_plugin::function]
fn len(s: &String) -> u32 {
    s.len() as u32
}

fn main() {}
