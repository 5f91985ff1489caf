//! Arguments from text: WAVE, or raw byte strings parsed by parameter type.

use wasmtime::component::{Type, Val, wasm_wave};

use crate::error::CallError;
use crate::host::FunctionInfo;

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
