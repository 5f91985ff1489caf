#[derive(ferrite_plugin::Enum)]
pub enum Shape {
    Rect(f64, f64),
    Empty,
}

fn main() {}
