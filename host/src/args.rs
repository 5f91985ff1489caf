//! Arguments from text: WAVE, or raw byte strings parsed by parameter type.

use wasmtime::component::{Type, Val, wasm_wave};

use crate::error::CallError;
use std::borrow::Cow;

use crate::fast::{Arg, Args, P, Shape};
use crate::plugin::FunctionInfo;

/// The longest piece of a bad argument an error message quotes.
const QUOTE: usize = 80;

fn quote(given: &[u8]) -> String {
    let text = String::from_utf8_lossy(given);
    if text.chars().count() > QUOTE {
        format!("{}…", text.chars().take(QUOTE).collect::<String>())
    } else {
        text.into_owned()
    }
}

fn check_arity(f: &FunctionInfo, given: usize) -> Result<(), CallError> {
    if given == f.params.len() {
        Ok(())
    } else {
        Err(CallError::Arity {
            function: f.name.clone(),
            expected: f.param_list(),
            given,
        })
    }
}

fn bad(f: &FunctionInfo, i: usize, given: &[u8], reason: impl std::fmt::Display) -> CallError {
    let (param, _, ty) = &f.params[i];
    CallError::BadArgument {
        function: f.name.clone(),
        param: param.clone(),
        ty: ty.clone(),
        given: quote(given),
        reason: reason.to_string(),
    }
}

/// Parses WAVE-text arguments by the function's parameter types.
pub(crate) fn from_wave(f: &FunctionInfo, args: &[&str]) -> Result<Vec<Val>, CallError> {
    check_arity(f, args.len())?;
    args.iter()
        .enumerate()
        .map(|(i, a)| {
            wasm_wave::from_str::<Val>(&f.params[i].1, a).map_err(|e| bad(f, i, a.as_bytes(), e))
        })
        .collect()
}

/// Parses byte-string arguments by the function's parameter types.
pub(crate) fn from_bytes(f: &FunctionInfo, args: &[&[u8]]) -> Result<Vec<Val>, CallError> {
    check_arity(f, args.len())?;
    args.iter()
        .enumerate()
        .map(|(i, a)| from_bytes_one(f, i, a))
        .collect()
}

fn from_bytes_one(f: &FunctionInfo, i: usize, arg: &[u8]) -> Result<Val, CallError> {
    let ty = &f.params[i].1;
    let text = || std::str::from_utf8(arg).map_err(|_| bad(f, i, arg, "it is not UTF-8 text"));
    macro_rules! number {
        ($t:ty, $v:ident) => {
            text()?
                .parse::<$t>()
                .map(Val::$v)
                .map_err(|e| bad(f, i, arg, e))
        };
    }
    match ty {
        Type::String => Ok(Val::String(text()?.to_string())),
        Type::List(l) if l.ty() == Type::U8 => {
            Ok(Val::List(arg.iter().map(|b| Val::U8(*b)).collect()))
        }
        Type::Bool => match arg {
            b"1" | b"true" => Ok(Val::Bool(true)),
            b"0" | b"false" => Ok(Val::Bool(false)),
            _ => Err(bad(f, i, arg, "expected 1, 0, true or false")),
        },
        Type::U8 => number!(u8, U8),
        Type::U16 => number!(u16, U16),
        Type::U32 => number!(u32, U32),
        Type::U64 => number!(u64, U64),
        Type::S8 => number!(i8, S8),
        Type::S16 => number!(i16, S16),
        Type::S32 => number!(i32, S32),
        Type::S64 => number!(i64, S64),
        Type::Float32 => number!(f32, Float32),
        Type::Float64 => number!(f64, Float64),
        Type::Char => {
            let t = text()?;
            let mut chars = t.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Ok(Val::Char(c)),
                _ => Err(bad(f, i, arg, "expected exactly one character")),
            }
        }
        other => wasm_wave::from_str::<Val>(other, text()?).map_err(|e| bad(f, i, arg, e)),
    }
}

/// The fast-path kind of parameter `i` of a typed-shape function.
fn kind(f: &FunctionInfo, i: usize) -> P {
    match f.shape {
        Shape::Typed { params, .. } => params[i].expect("a typed shape covers every parameter"),
        Shape::Dynamic => unreachable!("only typed shapes take fast arguments"),
    }
}

/// Parses byte-string arguments for a typed-shape function, borrowing them.
pub(crate) fn fast_from_bytes<'a>(
    f: &FunctionInfo,
    args: &[&'a [u8]],
) -> Result<Args<'a>, CallError> {
    check_arity(f, args.len())?;
    let mut out = Args::new();
    for (i, &arg) in args.iter().enumerate() {
        out.push({
            let text =
                || std::str::from_utf8(arg).map_err(|_| bad(f, i, arg, "it is not UTF-8 text"));
            let number = |r: Result<Arg<'a>, String>| r.map_err(|e| bad(f, i, arg, e));
            match kind(f, i) {
                P::Str => text().map(|t| Arg::Str(Cow::Borrowed(t))),
                P::Bytes => Ok(Arg::Bytes(Cow::Borrowed(arg))),
                P::Bool => match arg {
                    b"1" | b"true" => Ok(Arg::Bool(true)),
                    b"0" | b"false" => Ok(Arg::Bool(false)),
                    _ => Err(bad(f, i, arg, "expected 1, 0, true or false")),
                },
                P::U32 => number(text()?.parse().map(Arg::U32).map_err(|e| e.to_string())),
                P::S32 => number(text()?.parse().map(Arg::S32).map_err(|e| e.to_string())),
                P::U64 => number(text()?.parse().map(Arg::U64).map_err(|e| e.to_string())),
                P::S64 => number(text()?.parse().map(Arg::S64).map_err(|e| e.to_string())),
                P::F64 => number(text()?.parse().map(Arg::F64).map_err(|e| e.to_string())),
            }
        }?);
    }
    Ok(out)
}

/// Parses WAVE arguments for a typed-shape function. The commonest literals
/// (a string without escapes, a plain integer, `true`, `false`) are read
/// directly, borrowing; anything else goes through the WAVE parser, so what is
/// accepted is exactly what WAVE accepts.
pub(crate) fn fast_from_wave<'a>(
    f: &FunctionInfo,
    args: &[&'a str],
) -> Result<Args<'a>, CallError> {
    check_arity(f, args.len())?;
    let mut out = Args::new();
    for (i, &arg) in args.iter().enumerate() {
        match simple_wave(kind(f, i), arg) {
            Some(fast) => out.push(fast),
            None => {
                let val = wasm_wave::from_str::<Val>(&f.params[i].1, arg)
                    .map_err(|e| bad(f, i, arg.as_bytes(), e))?;
                out.push(from_val(val));
            }
        }
    }
    Ok(out)
}

/// A WAVE literal read without the parser, when it is one of the simple forms.
fn simple_wave(p: P, text: &str) -> Option<Arg<'_>> {
    let digits = |t: &str| {
        let body = t.strip_prefix('-').unwrap_or(t);
        !body.is_empty() && body.len() <= 20 && body.bytes().all(|b| b.is_ascii_digit())
    };
    match p {
        P::Str => {
            let inner = text.strip_prefix('"')?.strip_suffix('"')?;
            let plain = !inner
                .bytes()
                .any(|b| matches!(b, b'"' | b'\\' | b'\n' | b'\r'));
            plain.then_some(Arg::Str(Cow::Borrowed(inner)))
        }
        P::Bool => match text {
            "true" => Some(Arg::Bool(true)),
            "false" => Some(Arg::Bool(false)),
            _ => None,
        },
        P::U32 if digits(text) => text.parse().ok().map(Arg::U32),
        P::S32 if digits(text) => text.parse().ok().map(Arg::S32),
        P::U64 if digits(text) => text.parse().ok().map(Arg::U64),
        P::S64 if digits(text) => text.parse().ok().map(Arg::S64),
        _ => None,
    }
}

/// The fast-path argument for a value the WAVE parser produced.
fn from_val(val: Val) -> Arg<'static> {
    match val {
        Val::String(s) => Arg::Str(Cow::Owned(s)),
        Val::List(items) => Arg::Bytes(Cow::Owned(
            items
                .into_iter()
                .map(|v| if let Val::U8(b) = v { b } else { 0 })
                .collect(),
        )),
        Val::Bool(b) => Arg::Bool(b),
        Val::U32(n) => Arg::U32(n),
        Val::S32(n) => Arg::S32(n),
        Val::U64(n) => Arg::U64(n),
        Val::S64(n) => Arg::S64(n),
        Val::Float64(x) => Arg::F64(x),
        other => unreachable!("WAVE parsed {other:?} for a fast-path parameter"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_literals_are_read_without_the_parser() {
        assert!(matches!(
            simple_wave(P::Str, "\"a@b.co\""),
            Some(Arg::Str(Cow::Borrowed("a@b.co")))
        ));
        assert!(
            simple_wave(P::Str, "\"say \\\"hi\\\"\"").is_none(),
            "escapes go to the parser"
        );
        assert!(simple_wave(P::Str, "\"a\"b\"").is_none());
        assert!(simple_wave(P::Str, "abc").is_none());
        assert!(matches!(simple_wave(P::S64, "-42"), Some(Arg::S64(-42))));
        assert!(
            simple_wave(P::U32, "-1").is_none(),
            "out of range goes to the parser"
        );
        assert!(simple_wave(P::U32, "+1").is_none());
        assert!(simple_wave(P::U32, "1_000").is_none());
        assert!(matches!(
            simple_wave(P::Bool, "true"),
            Some(Arg::Bool(true))
        ));
        assert!(simple_wave(P::F64, "1.5").is_none());
    }
}
