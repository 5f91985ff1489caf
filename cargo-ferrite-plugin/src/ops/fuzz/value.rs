//! The host's values (`Val`) and the native calls' (`Value`) as each other,
//! and as text.

use ferrite_plugin::dynamic::Value;
use ferrite_plugin_host::{Val, wasm_wave};

/// `val` as a native call's value, or `None` for what a native call cannot
/// take (resources, futures, streams).
pub fn to_value(val: &Val) -> Option<Value> {
    let boxed = |v: &Option<Box<Val>>| -> Option<Option<Box<Value>>> {
        match v {
            None => Some(None),
            Some(v) => Some(Some(Box::new(to_value(v)?))),
        }
    };
    let all = |vs: &[Val]| vs.iter().map(to_value).collect::<Option<Vec<_>>>();
    Some(match val {
        Val::Bool(b) => Value::Bool(*b),
        Val::S8(v) => Value::S8(*v),
        Val::U8(v) => Value::U8(*v),
        Val::S16(v) => Value::S16(*v),
        Val::U16(v) => Value::U16(*v),
        Val::S32(v) => Value::S32(*v),
        Val::U32(v) => Value::U32(*v),
        Val::S64(v) => Value::S64(*v),
        Val::U64(v) => Value::U64(*v),
        Val::Float32(v) => Value::F32(*v),
        Val::Float64(v) => Value::F64(*v),
        Val::Char(c) => Value::Char(*c),
        Val::String(s) => Value::String(s.clone()),
        Val::List(vs) | Val::FixedLengthList(vs) => Value::List(all(vs)?),
        Val::Map(pairs) => Value::List(
            pairs
                .iter()
                .map(|(k, v)| Some(Value::Tuple(vec![to_value(k)?, to_value(v)?])))
                .collect::<Option<_>>()?,
        ),
        Val::Record(fields) => Value::Record(
            fields
                .iter()
                .map(|(n, v)| Some((n.clone(), to_value(v)?)))
                .collect::<Option<_>>()?,
        ),
        Val::Tuple(vs) => Value::Tuple(all(vs)?),
        Val::Variant(case, payload) => Value::Variant(case.clone(), boxed(payload)?),
        Val::Enum(case) => Value::Enum(case.clone()),
        Val::Option(v) => Value::Option(boxed(v)?),
        Val::Result(Ok(v)) => Value::Result(Ok(boxed(v)?)),
        Val::Result(Err(v)) => Value::Result(Err(boxed(v)?)),
        Val::Flags(names) => Value::Flags(names.clone()),
        Val::Resource(_) | Val::Future(_) | Val::Stream(_) | Val::ErrorContext(_) => return None,
    })
}

/// A native call's value as the host's, to print it as WAVE.
pub fn to_val(value: &Value) -> Val {
    let boxed = |v: &Option<Box<Value>>| v.as_ref().map(|v| Box::new(to_val(v)));
    match value {
        Value::Bool(b) => Val::Bool(*b),
        Value::U8(v) => Val::U8(*v),
        Value::U16(v) => Val::U16(*v),
        Value::U32(v) => Val::U32(*v),
        Value::U64(v) => Val::U64(*v),
        Value::S8(v) => Val::S8(*v),
        Value::S16(v) => Val::S16(*v),
        Value::S32(v) => Val::S32(*v),
        Value::S64(v) => Val::S64(*v),
        Value::F32(v) => Val::Float32(*v),
        Value::F64(v) => Val::Float64(*v),
        Value::Char(c) => Val::Char(*c),
        Value::String(s) => Val::String(s.clone()),
        Value::List(vs) => Val::List(vs.iter().map(to_val).collect()),
        Value::Record(fields) => {
            Val::Record(fields.iter().map(|(n, v)| (n.clone(), to_val(v))).collect())
        }
        Value::Tuple(vs) => Val::Tuple(vs.iter().map(to_val).collect()),
        Value::Variant(case, payload) => Val::Variant(case.clone(), boxed(payload)),
        Value::Enum(case) => Val::Enum(case.clone()),
        Value::Option(v) => Val::Option(boxed(v)),
        Value::Result(Ok(v)) => Val::Result(Ok(boxed(v))),
        Value::Result(Err(v)) => Val::Result(Err(boxed(v))),
        Value::Flags(names) => Val::Flags(names.clone()),
    }
}

/// `val` as WAVE text, as `cargo ferrite-plugin call` reads it.
pub fn wave(val: &Val) -> String {
    wasm_wave::to_string(val).unwrap_or_else(|_| format!("{val:?}"))
}

/// A result as WAVE text, `()` for none.
pub fn wave_result(val: Option<&Val>) -> String {
    val.map_or("()".to_string(), wave)
}

/// `text` quoted for a POSIX shell when it needs it.
pub fn shell_quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.,:+=/@%".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// A byte string as `redis-cli` reads one: in double quotes, `\xHH` for
/// what is not printable ASCII.
pub fn redis_quote(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_convert_both_ways() {
        let val = Val::Record(vec![
            ("a".into(), Val::List(vec![Val::U8(1), Val::U8(2)])),
            (
                "b".into(),
                Val::Variant("some-case".into(), Some(Box::new(Val::Float32(-0.0)))),
            ),
            ("c".into(), Val::Result(Err(None))),
            (
                "d".into(),
                Val::Option(Some(Box::new(Val::Enum("x".into())))),
            ),
            (
                "e".into(),
                Val::Tuple(vec![Val::Char('é'), Val::String("s".into())]),
            ),
        ]);
        let value = to_value(&val).unwrap();
        assert!(value.same(&to_value(&to_val(&value)).unwrap()));
        assert_eq!(to_val(&value), val);
        assert_eq!(
            wave(&val),
            "{a: [1, 2], b: some-case(-0), c: err, d: some(x), e: ('é', \"s\")}"
        );
    }

    #[test]
    fn arguments_are_quoted_for_the_shell_and_redis() {
        assert_eq!(shell_quote("4294967296"), "4294967296");
        assert_eq!(shell_quote("[]"), "'[]'");
        assert_eq!(shell_quote("\"it's\""), "'\"it'\\''s\"'");
        assert_eq!(redis_quote(b"a b\"\x00\xff"), "\"a b\\\"\\x00\\xff\"");
    }
}
