//! The plugin side of the equal-work benchmark (`benches/fcall/run.sh`):
//! exactly what `benches/fcall/check.lua` does in Redis — an `@`, then a `.`
//! somewhere after it — as a function for `FCALL` and as a custom command.

use ferrite_plugin::prelude::*;

/// Whether `s` has an `@` followed, somewhere after it, by a `.`.
fn looks_like_email(s: &[u8]) -> bool {
    match s.iter().position(|&b| b == b'@') {
        Some(at) => s[at + 1..].contains(&b'.'),
        None => false,
    }
}

/// `FCALL check_email 0 <email>`: 1 or 0.
#[ferrite_plugin::function]
pub fn check_email(email: String) -> bool {
    looks_like_email(email.as_bytes())
}

/// `BENCH.CHECK <email>`: 1 or 0.
#[ferrite_plugin::command(name = "BENCH.CHECK", arity = 2)]
fn check_command(ctx: &CommandContext) -> Result<PluginResponse, PluginError> {
    Ok(looks_like_email(ctx.arg(0)?).into())
}

#[ferrite_plugin::test]
fn it_agrees_with_the_lua_function() {
    for (s, want) in [
        ("a@b.com", true),
        ("nobody", false),
        ("a.b@c", false),
        ("@.", true),
        ("", false),
    ] {
        assert_eq!(check_email(s.into()), want, "{s:?}");
    }
}
