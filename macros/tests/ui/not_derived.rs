pub struct Point {
    pub x: f64,
    pub y: f64,
}

#[ferrite_plugin::function]
fn norm(p: Point) -> f64 {
    (p.x * p.x + p.y * p.y).sqrt()
}

fn main() {}
