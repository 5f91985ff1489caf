//! Typed fast paths for dynamic calls.
//!
//! `Func::call` with `Val`s type-checks and converts every value on every call,
//! which costs as much again as a typed call. Most plugin functions have simple
//! signatures — up to two parameters that are strings, byte lists or scalars,
//! and a scalar, string or byte-list result — so at load time each export is
//! classified into a [`Shape`], and calls of those shapes go through a
//! `TypedFunc` with arguments parsed straight from the caller's text or bytes,
//! borrowing rather than copying. Everything else takes the `Val` path.

use wasmtime::Store;
use wasmtime::component::{ComponentNamedList, Func, Lift, Lower, Type, TypedFunc, Val};

use crate::state::CallState;

/// A parameter type with a fast path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum P {
    Str,
    Bytes,
    Bool,
    U32,
    S32,
    U64,
    S64,
    F64,
}

/// A result type with a fast path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum R {
    Unit,
    Bool,
    U32,
    S32,
    U64,
    S64,
    F64,
    Str,
    Bytes,
}

/// How a function is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Through `Val`s.
    Dynamic,
    /// Typed, with up to two parameters.
    Typed { params: [Option<P>; 2], result: R },
}

fn param(ty: &Type) -> Option<P> {
    Some(match ty {
        Type::String => P::Str,
        Type::List(l) if l.ty() == Type::U8 => P::Bytes,
        Type::Bool => P::Bool,
        Type::U32 => P::U32,
        Type::S32 => P::S32,
        Type::U64 => P::U64,
        Type::S64 => P::S64,
        Type::Float64 => P::F64,
        _ => return None,
    })
}

fn result(ty: Option<&Type>) -> Option<R> {
    Some(match ty {
        None => R::Unit,
        Some(Type::Bool) => R::Bool,
        Some(Type::U32) => R::U32,
        Some(Type::S32) => R::S32,
        Some(Type::U64) => R::U64,
        Some(Type::S64) => R::S64,
        Some(Type::Float64) => R::F64,
        Some(Type::String) => R::Str,
        Some(Type::List(l)) if l.ty() == Type::U8 => R::Bytes,
        _ => return None,
    })
}

impl Shape {
    /// The shape of a function with these parameter and result types.
    pub(crate) fn of(params: &[Type], ret: Option<&Type>) -> Shape {
        let Some(result) = result(ret) else {
            return Shape::Dynamic;
        };
        match params {
            [] => Shape::Typed {
                params: [None, None],
                result,
            },
            [a] => match param(a) {
                Some(a) => Shape::Typed {
                    params: [Some(a), None],
                    result,
                },
                None => Shape::Dynamic,
            },
            // Two parameters: strings and byte lists (as keys and values are).
            [a, b] => match (param(a), param(b)) {
                (Some(a @ (P::Str | P::Bytes)), Some(b @ (P::Str | P::Bytes))) => Shape::Typed {
                    params: [Some(a), Some(b)],
                    result,
                },
                _ => Shape::Dynamic,
            },
            _ => Shape::Dynamic,
        }
    }
}

/// An argument parsed for a fast path, borrowing from the caller.
#[derive(Debug)]
pub(crate) enum Arg<'a> {
    Str(std::borrow::Cow<'a, str>),
    Bytes(std::borrow::Cow<'a, [u8]>),
    Bool(bool),
    U32(u32),
    S32(i32),
    U64(u64),
    S64(i64),
    F64(f64),
}

/// Up to two parsed arguments, kept inline: a call allocates nothing for them.
#[derive(Debug)]
pub(crate) struct Args<'a> {
    items: [Arg<'a>; 2],
    len: usize,
}

impl<'a> Args<'a> {
    pub(crate) fn new() -> Self {
        Args {
            items: [Arg::Bool(false), Arg::Bool(false)],
            len: 0,
        }
    }

    /// Appends `arg`; shapes have at most two parameters.
    pub(crate) fn push(&mut self, arg: Arg<'a>) {
        self.items[self.len] = arg;
        self.len += 1;
    }

    pub(crate) fn as_slice(&self) -> &[Arg<'a>] {
        &self.items[..self.len]
    }
}

/// Calls `func` typed as `P -> (Ret,)`.
fn typed<Params, Ret>(
    func: Func,
    store: &mut Store<CallState>,
    params: Params,
) -> wasmtime::Result<Ret>
where
    Params: ComponentNamedList + Lower,
    (Ret,): ComponentNamedList + Lift,
{
    // SAFETY: `Shape::of` derived these Rust types from the export's own
    // component types, which every instance of the plugin shares.
    let f = unsafe { TypedFunc::<Params, (Ret,)>::new_unchecked(func) };
    Ok(f.call(store, params)?.0)
}

/// Calls `func` typed as `P -> ()`.
fn typed_unit<Params>(
    func: Func,
    store: &mut Store<CallState>,
    params: Params,
) -> wasmtime::Result<()>
where
    Params: ComponentNamedList + Lower,
{
    // SAFETY: as in `typed`.
    let f = unsafe { TypedFunc::<Params, ()>::new_unchecked(func) };
    f.call(store, params)
}

/// Calls with the parameters `params` and converts the result by `result`.
fn with_result<Params>(
    func: Func,
    store: &mut Store<CallState>,
    params: Params,
    result: R,
) -> wasmtime::Result<Option<Val>>
where
    Params: ComponentNamedList + Lower,
{
    Ok(Some(match result {
        R::Unit => return typed_unit(func, store, params).map(|()| None),
        R::Bool => Val::Bool(typed(func, store, params)?),
        R::U32 => Val::U32(typed(func, store, params)?),
        R::S32 => Val::S32(typed(func, store, params)?),
        R::U64 => Val::U64(typed(func, store, params)?),
        R::S64 => Val::S64(typed(func, store, params)?),
        R::F64 => Val::Float64(typed(func, store, params)?),
        R::Str => Val::String(typed(func, store, params)?),
        R::Bytes => {
            let bytes: Vec<u8> = typed(func, store, params)?;
            Val::List(bytes.into_iter().map(Val::U8).collect())
        }
    }))
}

/// Calls with one more parameter `first` before `rest`.
macro_rules! one {
    ($func:expr, $store:expr, $arg:expr, $result:expr, |$v:ident| $params:expr) => {
        match $arg {
            Arg::Str(s) => {
                let $v: &str = s;
                with_result($func, $store, $params, $result)
            }
            Arg::Bytes(b) => {
                let $v: &[u8] = b;
                with_result($func, $store, $params, $result)
            }
            Arg::Bool(x) => {
                let $v: bool = *x;
                with_result($func, $store, $params, $result)
            }
            Arg::U32(x) => {
                let $v: u32 = *x;
                with_result($func, $store, $params, $result)
            }
            Arg::S32(x) => {
                let $v: i32 = *x;
                with_result($func, $store, $params, $result)
            }
            Arg::U64(x) => {
                let $v: u64 = *x;
                with_result($func, $store, $params, $result)
            }
            Arg::S64(x) => {
                let $v: i64 = *x;
                with_result($func, $store, $params, $result)
            }
            Arg::F64(x) => {
                let $v: f64 = *x;
                with_result($func, $store, $params, $result)
            }
        }
    };
}

/// Calls `func` of shape `Typed { result, .. }` with `args`.
pub(crate) fn call(
    func: Func,
    store: &mut Store<CallState>,
    args: &[Arg<'_>],
    result: R,
) -> wasmtime::Result<Option<Val>> {
    match args {
        [] => with_result(func, store, (), result),
        [a] => one!(func, store, a, result, |x| (x,)),
        [a, b] => match (a, b) {
            (Arg::Str(a), Arg::Str(b)) => with_result(func, store, (&**a, &**b), result),
            (Arg::Str(a), Arg::Bytes(b)) => with_result(func, store, (&**a, &**b), result),
            (Arg::Bytes(a), Arg::Str(b)) => with_result(func, store, (&**a, &**b), result),
            (Arg::Bytes(a), Arg::Bytes(b)) => with_result(func, store, (&**a, &**b), result),
            _ => unreachable!("two-parameter shapes take strings and byte lists"),
        },
        _ => unreachable!("typed shapes take at most two parameters"),
    }
}
