#[derive(ferrite_plugin::Record)]
pub struct Pair<T> {
    pub left: T,
    pub right: T,
}

fn main() {}
