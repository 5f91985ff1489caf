//! The validation rules, free of any SDK code so that the size comparison in
//! `benches/size` compiles exactly the same logic with wit-bindgen.

/// The longest address SMTP carries (RFC 5321 §4.5.3.1.3 path limit, less the brackets).
const MAX_ADDRESS: usize = 254;
/// The longest local part (RFC 5321 §4.5.3.1.1).
const MAX_LOCAL: usize = 64;
/// The longest domain label (RFC 1035 §2.3.4).
const MAX_LABEL: usize = 63;

/// Whether `email` is a valid address (see the crate docs).
pub fn is_valid(email: &str) -> bool {
    if email.len() > MAX_ADDRESS {
        return false;
    }
    let Some(at) = email.rfind('@') else {
        return false;
    };
    let (local, domain) = (&email[..at], &email[at + 1..]);
    valid_local(local) && valid_domain(domain)
}

/// RFC 5322 `atext`: the characters of an unquoted local part besides `.`.
fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b)
}

fn valid_local(local: &str) -> bool {
    if local.is_empty() || local.len() > MAX_LOCAL {
        return false;
    }
    let bytes = local.as_bytes();
    if bytes[0] == b'"' {
        return valid_quoted(bytes);
    }
    // dot-atom: atoms of atext separated by single dots.
    local
        .split('.')
        .all(|atom| !atom.is_empty() && atom.bytes().all(is_atext))
}

/// A quoted-string: printable ASCII inside quotes, with `\` escaping any printable character.
fn valid_quoted(bytes: &[u8]) -> bool {
    if bytes.len() < 2 || bytes[bytes.len() - 1] != b'"' {
        return false;
    }
    let inner = &bytes[1..bytes.len() - 1];
    let mut i = 0;
    while i < inner.len() {
        match inner[i] {
            b'\\' => {
                if i + 1 >= inner.len() || !(0x20..=0x7e).contains(&inner[i + 1]) {
                    return false;
                }
                i += 2;
            }
            b'"' => return false,
            0x20..=0x7e => i += 1,
            _ => return false,
        }
    }
    true
}

fn valid_domain(domain: &str) -> bool {
    if let Some(literal) = domain.strip_prefix('[') {
        return literal.strip_suffix(']').is_some_and(valid_ipv4);
    }
    if domain.is_empty() {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    // A public address needs a dot; a top-level label is never all digits.
    if labels.len() < 2 || labels[labels.len() - 1].bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    labels.iter().all(|label| {
        let b = label.as_bytes();
        !b.is_empty()
            && b.len() <= MAX_LABEL
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-')
    })
}

fn valid_ipv4(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
                && p.parse::<u16>().is_ok_and(|n| n <= 255)
        })
}
