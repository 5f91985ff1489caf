pub struct Inner {
    pub v: u32,
}

#[derive(ferrite_plugin::Record)]
pub struct Outer {
    pub inner: Inner,
}

fn main() {}
