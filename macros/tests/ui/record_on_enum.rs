#[derive(ferrite_plugin::Record)]
pub enum Unit {
    Meters,
}

fn main() {}
