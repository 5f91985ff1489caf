#[derive(ferrite_plugin::Enum)]
pub enum Shape {
    Circle { radius: f64 },
    Empty,
}

fn main() {}
