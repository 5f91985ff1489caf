//! RFC 5322 email address validation, as a Ferrite plugin.
//!
//! Accepts the addresses a mail server accepts in practice: a dot-atom or
//! quoted local part, `@`, and a domain of dot-separated labels or an IPv4
//! literal in brackets. Comments, folding white space and obsolete forms are
//! refused.

mod rules;

/// Whether `email` is a valid address: `local@domain`, per RFC 5322's addr-spec
/// without comments or obsolete forms.
#[ferrite_plugin::function]
pub fn validate_email(email: String) -> bool {
    rules::is_valid(&email)
}

#[cfg(test)]
mod tests {
    use super::validate_email;

    fn ok(s: &str) -> bool {
        validate_email(s.to_string())
    }

    #[test]
    fn it_accepts_ordinary_addresses() {
        for a in [
            "a@b.co",
            "first.last@example.com",
            "user+tag@sub.example.org",
            "x@xn--bcher-kva.example",
            "\"john doe\"@example.com",
            "\"quote\\\"inside\"@example.com",
            "o'brien@example.ie",
            "user@[192.168.0.1]",
        ] {
            assert!(ok(a), "{a} should be valid");
        }
    }

    #[test]
    fn it_rejects_malformed_addresses() {
        for a in [
            "",
            "nobody",
            "@example.com",
            "user@",
            "user@localhost",
            "a..b@example.com",
            ".a@example.com",
            "a.@example.com",
            "a b@example.com",
            "user@-example.com",
            "user@example-.com",
            "user@example..com",
            "user@example.123",
            "user@[300.1.1.1]",
            "user@[1.2.3]",
            "\"unterminated@example.com",
        ] {
            assert!(!ok(a), "{a:?} should be invalid");
        }
        assert!(!ok(&format!("{}@example.com", "a".repeat(65))));
        assert!(!ok(&format!("a@{}.com", "b".repeat(64))));
    }
}

#[ferrite_plugin::test]
fn accepts_a_plain_address() {
    assert!(validate_email("user@example.com".into()));
}

#[ferrite_plugin::test]
fn rejects_a_missing_at() {
    assert!(!validate_email("nobody".into()));
}

#[ferrite_plugin::test]
fn rejects_an_overlong_local_part() {
    assert!(!validate_email(format!("{}@example.com", "a".repeat(65))));
}
