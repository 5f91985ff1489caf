#[ferrite_plugin::function]
fn identity<T>(value: T) -> T {
    value
}

fn main() {}
