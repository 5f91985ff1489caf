//! {{description}}

use ferrite_plugin::prelude::*;

/// `HELLO.GREET name [name ...]`: a greeting for each name.
///
/// `arity = -2` counts the command name, as Redis does: at least one argument.
#[ferrite_plugin::command(name = "HELLO.GREET", arity = -2)]
fn greet(ctx: &CommandContext) -> Result<PluginResponse, PluginError> {
    let mut greetings = Vec::new();
    for i in 0..ctx.args().len() {
        greetings.push(format!("hello, {}", ctx.arg_str(i)?));
    }
    Ok(match greetings.len() {
        1 => greetings.remove(0).into(),
        _ => greetings.into(),
    })
}

#[ferrite_plugin::test]
fn greets_each_name() {
    let ctx = CommandContext::new("HELLO.GREET", vec![b"ann".to_vec(), b"bob".to_vec()]);
    assert_eq!(
        greet(&ctx).unwrap(),
        PluginResponse::Array(vec!["hello, ann".into(), "hello, bob".into()])
    );
}

#[ferrite_plugin::test]
fn refuses_binary_names() {
    let ctx = CommandContext::new("HELLO.GREET", vec![vec![0xff]]);
    assert!(greet(&ctx).is_err());
}
