//! Rust names to WIT names.

/// `validate_email` → `validate-email`, `GeoPoint` → `geo-point`, `HTTPServer` →
/// `http-server`, `r#type` → `type`. Leading underscores are dropped.
pub fn kebab(ident: &str) -> String {
    let ident = ident
        .strip_prefix("r#")
        .unwrap_or(ident)
        .trim_start_matches('_');
    let chars: Vec<char> = ident.chars().collect();
    let mut out = String::with_capacity(ident.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' {
            out.push('-');
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('-');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Checks that `name` is a valid WIT identifier in lower kebab-case. The error
/// says what is wrong; the caller says how to rename.
pub fn check(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the name is empty".into());
    }
    for word in name.split('-') {
        let Some(first) = word.chars().next() else {
            return Err(format!("`{name}` has an empty word between dashes"));
        };
        if !first.is_ascii_lowercase() {
            return Err(format!(
                "in `{name}`, the word `{word}` does not start with a letter, as every word of a WIT name must"
            ));
        }
        if let Some(bad) = word
            .chars()
            .find(|c| !c.is_ascii_lowercase() && !c.is_ascii_digit())
        {
            return Err(format!(
                "`{name}` contains `{bad}`; WIT names use only a-z, 0-9 and `-`"
            ));
        }
    }
    Ok(())
}

/// A user-given name (`name = "..."`), in either snake_case or kebab-case.
pub fn normalize(given: &str) -> String {
    given.replace('_', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_converts_rust_names_to_kebab_case() {
        assert_eq!(kebab("validate_email"), "validate-email");
        assert_eq!(kebab("GeoPoint"), "geo-point");
        assert_eq!(kebab("HTTPServer"), "http-server");
        assert_eq!(kebab("utf8_len"), "utf8-len");
        assert_eq!(kebab("Utf8Len"), "utf8-len");
        assert_eq!(kebab("r#type"), "type");
        assert_eq!(kebab("_unused"), "unused");
        assert_eq!(kebab("x"), "x");
    }

    #[test]
    fn it_rejects_words_that_start_with_a_digit() {
        assert!(check("point-2").is_err());
        assert!(check("a--b").is_err());
        assert!(check("point2d").is_ok());
        assert!(check("list").is_ok());
    }
}
