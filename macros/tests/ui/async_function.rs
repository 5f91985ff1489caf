#[ferrite_plugin::function]
async fn fetch(key: String) -> String {
    key
}

fn main() {}
