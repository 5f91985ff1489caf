#[ferrite_plugin::function]
#[ferrite_plugin::fuzz(range(count = 1..=10))]
fn f(n: u32) -> u32 {
    n
}

#[ferrite_plugin::fuzz(range(n = 10..1))]
#[ferrite_plugin::function]
fn g(n: u32) -> u32 {
    n
}

#[ferrite_plugin::fuzz(range(n = "1..10"))]
#[ferrite_plugin::function]
fn h(n: u32) -> u32 {
    n
}

fn main() {}
