#[derive(ferrite_plugin::Record)]
pub struct Vector {
    pub x_1: f64,
    pub x_2: f64,
}

fn main() {}
