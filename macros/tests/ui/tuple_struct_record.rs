#[derive(ferrite_plugin::Record)]
pub struct Meters(f64);

fn main() {}
