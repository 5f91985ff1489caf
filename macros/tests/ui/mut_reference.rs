#[ferrite_plugin::function]
fn append(list: &mut Vec<u8>, byte: u8) {
    list.push(byte);
}

fn main() {}
