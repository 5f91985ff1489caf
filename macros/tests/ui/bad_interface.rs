#[ferrite_plugin::function(interface = "Handler")]
pub fn format_key() -> String {
    "npm".into()
}

#[ferrite_plugin::function(interfaces = "handler")]
pub fn validate() -> bool {
    true
}

fn main() {}
