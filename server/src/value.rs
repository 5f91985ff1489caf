//! A plugin function's result as a RESP reply.
//!
//! Integers → integer; `bool` → 1 / 0; floats → double (a bulk string in
//! RESP2); `string`, `char` and `list<u8>` → bulk; other lists and tuples →
//! array; `none` → null, `some(v)` → v; `ok(v)` → v (`ok` alone → `+OK`);
//! `err(e)` → an error reply with e's text; records → map (a flat field,
//! value array in RESP2); enum cases → their name; a variant case with a
//! payload → a one-entry map; flags → an array of the set names; no result →
//! `+OK`.

use wasmtime::component::Val;

use ferrite_plugin_host::dispatch::error_text;

use crate::reply::{Out, Reply};

/// Writes the reply for a function's result. Scalars and strings convert
/// without copying (a string's bytes move into the reply).
pub fn write(out: &mut Out<'_>, result: Option<Val>) {
    out.reply(&reply(result));
}

/// The reply for a function's result.
pub fn reply(result: Option<Val>) -> Reply {
    match result {
        None => Reply::Ok,
        Some(v) => to_reply(v),
    }
}

fn to_reply(v: Val) -> Reply {
    match v {
        Val::Bool(b) => Reply::Integer(i64::from(b)),
        Val::S8(n) => Reply::Integer(n.into()),
        Val::U8(n) => Reply::Integer(n.into()),
        Val::S16(n) => Reply::Integer(n.into()),
        Val::U16(n) => Reply::Integer(n.into()),
        Val::S32(n) => Reply::Integer(n.into()),
        Val::U32(n) => Reply::Integer(n.into()),
        Val::S64(n) => Reply::Integer(n),
        Val::U64(n) => i64::try_from(n).map_or_else(|_| Reply::text(n.to_string()), Reply::Integer),
        Val::Float32(f) => Reply::Double(f.into()),
        Val::Float64(f) => Reply::Double(f),
        Val::Char(c) => Reply::text(c.to_string()),
        Val::String(s) => Reply::Bulk(s.into_bytes()),
        Val::List(items) => {
            if !items.is_empty() && items.iter().all(|i| matches!(i, Val::U8(_))) {
                Reply::Bulk(
                    items
                        .into_iter()
                        .map(|i| match i {
                            Val::U8(b) => b,
                            _ => unreachable!("checked above"),
                        })
                        .collect(),
                )
            } else {
                Reply::Array(items.into_iter().map(to_reply).collect())
            }
        }
        Val::Tuple(items) => Reply::Array(items.into_iter().map(to_reply).collect()),
        Val::Record(fields) => Reply::Map(
            fields
                .into_iter()
                .map(|(name, v)| (Reply::text(name), to_reply(v)))
                .collect(),
        ),
        Val::Enum(case) => Reply::text(case),
        Val::Variant(case, None) => Reply::text(case),
        Val::Variant(case, Some(payload)) => {
            Reply::Map(vec![(Reply::text(case), to_reply(*payload))])
        }
        Val::Option(None) => Reply::Null,
        Val::Option(Some(v)) => to_reply(*v),
        Val::Result(Ok(None)) => Reply::Ok,
        Val::Result(Ok(Some(v))) => to_reply(*v),
        Val::Result(Err(e)) => Reply::Error(error_text(e.map(|e| *e))),
        Val::Flags(names) => Reply::Array(names.into_iter().map(Reply::text).collect()),
        other => Reply::text(
            wasmtime::component::wasm_wave::to_string(&other).unwrap_or_else(|e| e.to_string()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_map_to_replies() {
        assert_eq!(reply(None), Reply::Ok);
        assert_eq!(reply(Some(Val::Bool(true))), Reply::Integer(1));
        assert_eq!(
            reply(Some(Val::U64(u64::MAX))),
            Reply::text(u64::MAX.to_string())
        );
        assert_eq!(reply(Some(Val::Float32(1.5))), Reply::Double(1.5));
        assert_eq!(reply(Some(Val::Option(None))), Reply::Null);
        assert_eq!(
            reply(Some(Val::List(vec![Val::U8(0), Val::U8(255)]))),
            Reply::Bulk(vec![0, 255])
        );
        assert_eq!(reply(Some(Val::List(vec![]))), Reply::Array(vec![]));
        assert_eq!(
            reply(Some(Val::Tuple(vec![Val::S32(1), Val::String("a".into())]))),
            Reply::Array(vec![Reply::Integer(1), Reply::text("a")])
        );
        assert_eq!(
            reply(Some(Val::Record(vec![("lat".into(), Val::Float64(1.0))]))),
            Reply::Map(vec![(Reply::text("lat"), Reply::Double(1.0))])
        );
        assert_eq!(
            reply(Some(Val::Enum("kilometers".into()))),
            Reply::text("kilometers")
        );
        assert_eq!(
            reply(Some(Val::Result(Ok(Some(Box::new(Val::S64(3))))))),
            Reply::Integer(3)
        );
        assert_eq!(reply(Some(Val::Result(Ok(None)))), Reply::Ok);
        assert_eq!(
            reply(Some(Val::Result(Err(Some(Box::new(Val::Variant(
                "invalid-argument".into(),
                Some(Box::new(Val::String("`name` is empty".into())))
            ))))))),
            Reply::Error("ERR invalid argument: `name` is empty".into())
        );
        assert_eq!(
            reply(Some(Val::Result(Err(Some(Box::new(Val::String(
                "no".into()
            ))))))),
            Reply::Error("ERR no".into())
        );
    }
}
