#[ferrite_plugin::function]
fn check_email(email: String) -> bool {
    email.contains('@')
}

mod other {
    #[ferrite_plugin::function(name = "check-email")]
    fn strict(email: String) -> bool {
        email.contains('@') && email.contains('.')
    }
}

fn main() {}
