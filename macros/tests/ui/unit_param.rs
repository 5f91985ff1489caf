#[ferrite_plugin::function]
fn ignore(nothing: ()) -> u32 {
    let () = nothing;
    0
}

fn main() {}
