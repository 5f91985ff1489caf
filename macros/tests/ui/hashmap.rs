use std::collections::HashMap;

#[ferrite_plugin::function]
fn count(words: HashMap<String, u32>) -> u32 {
    words.values().sum()
}

fn main() {}
