//! validate_email, hand-written against wit-bindgen: the baseline for the
//! component size of `examples/validate_email`.

wit_bindgen::generate!({
    inline: "
        package bench:validate-email;
        world validate-email {
            export validate-email: func(email: string) -> bool;
        }
    ",
});

#[path = "../../../../examples/validate_email/src/rules.rs"]
mod rules;

struct Plugin;

impl Guest for Plugin {
    fn validate_email(email: String) -> bool {
        rules::is_valid(&email)
    }
}

export!(Plugin);
