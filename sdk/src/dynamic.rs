//! Values of any WIT type, for calling plugin functions natively.
//!
//! `cargo ferrite-plugin test --fuzz` calls each function twice with the same
//! generated input: in the plugin host, through the canonical ABI, and
//! natively, through the crate's rlib, to compare the results. The native
//! call needs the arguments and the result as data: a [`Value`]. Every
//! [`WitType`](crate::WitType) converts to and from one (`to_value`,
//! `from_value`; the derives write them for records, enums and variants),
//! and `#[ferrite_plugin::function]` exports, natively only, an entry point
//! per function that [`native_call`] implements:
//!
//! ```text
//! #[export_name = "__ferrite_native__<module path>::<fn>"]
//! extern "Rust" fn(input: &[u8]) -> Vec<u8>
//! ```
//!
//! Its input is the arguments encoded by [`encode_args`]; its output a
//! [`NativeOutcome`] encoded as [`decode_outcome`] reads it. The module
//! exists only outside wasm32, so components never carry it.
//!
//! # Encoding (version 1)
//!
//! Little-endian; a string is a `u32` byte length and UTF-8.
//!
//! ```text
//! args    := u32:count value*
//! outcome := "FPN1" u8:kind str:host-api body
//!            kind 0 returned: u8:has-value value?
//!            kind 1 refused (the arguments do not fit the parameters): str:why
//!            kind 2 panicked: str:message
//! value   := u8:tag ...  0 bool u8, 1 u8, 2 u16, 3 u32, 4 u64, 5 s8, 6 s16,
//!                        7 s32, 8 s64, 9 f32 bits, 10 f64 bits, 11 char u32,
//!                        12 string str, 13 list u32:n value*,
//!                        14 record u32:n (str:name value)*,
//!                        15 tuple u32:n value*, 16 variant str:case u8:has value?,
//!                        17 enum str:case, 18 option u8:has value?,
//!                        19 result u8:(0 ok, 1 err) u8:has value?,
//!                        20 flags u32:n str*
//! ```
//!
//! `host-api` names the host API the call reached natively (`kv`, `config`,
//! `clock`, `random`, `server`, `events`; empty if none): outside a host
//! those degrade, so such a call's result cannot be compared with the
//! host's.

use std::cell::{Cell, RefCell};
use std::fmt;

use crate::meta::Ty;

/// The magic that starts an encoded [`NativeOutcome`].
pub const OUTCOME_MAGIC: [u8; 4] = *b"FPN1";

/// The prefix of a function's native entry point: the rest is its Rust path
/// (`my_plugin::geo::distance`).
pub const SYMBOL_PREFIX: &str = "__ferrite_native__";

/// Values nest at most this deep in an encoding.
const MAX_DEPTH: usize = 128;

/// A value of any WIT type.
#[derive(Debug, Clone)]
pub enum Value {
    /// `bool`
    Bool(bool),
    /// `u8`
    U8(u8),
    /// `u16`
    U16(u16),
    /// `u32`
    U32(u32),
    /// `u64`
    U64(u64),
    /// `s8`
    S8(i8),
    /// `s16`
    S16(i16),
    /// `s32`
    S32(i32),
    /// `s64`
    S64(i64),
    /// `f32`
    F32(f32),
    /// `f64`
    F64(f64),
    /// `char`
    Char(char),
    /// `string`
    String(String),
    /// `list<T>`
    List(Vec<Value>),
    /// A record: its fields by WIT name, in order.
    Record(Vec<(String, Value)>),
    /// `tuple<...>`
    Tuple(Vec<Value>),
    /// A variant's case (WIT name) and its payload.
    Variant(String, Option<Box<Value>>),
    /// An enum's case (WIT name).
    Enum(String),
    /// `option<T>`
    Option(Option<Box<Value>>),
    /// `result<T, E>`, either side possibly without a payload.
    Result(Result<Option<Box<Value>>, Option<Box<Value>>>),
    /// `flags`: the names of the flags set.
    Flags(Vec<String>),
}

impl Value {
    /// What kind of value this is, for messages (`u32`, `list`, `record`).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Bool(_) => "bool",
            Value::U8(_) => "u8",
            Value::U16(_) => "u16",
            Value::U32(_) => "u32",
            Value::U64(_) => "u64",
            Value::S8(_) => "s8",
            Value::S16(_) => "s16",
            Value::S32(_) => "s32",
            Value::S64(_) => "s64",
            Value::F32(_) => "f32",
            Value::F64(_) => "f64",
            Value::Char(_) => "char",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Record(_) => "record",
            Value::Tuple(_) => "tuple",
            Value::Variant(..) => "variant",
            Value::Enum(_) => "enum",
            Value::Option(_) => "option",
            Value::Result(_) => "result",
            Value::Flags(_) => "flags",
        }
    }

    /// Whether `self` and `other` are the same value, floats compared bit
    /// for bit except that any NaN equals any other (wasm does not keep NaN
    /// payloads): `-0.0` differs from `0.0`.
    pub fn same(&self, other: &Value) -> bool {
        fn boxed(a: &Option<Box<Value>>, b: &Option<Box<Value>>) -> bool {
            match (a, b) {
                (None, None) => true,
                (Some(a), Some(b)) => a.same(b),
                _ => false,
            }
        }
        fn all(a: &[Value], b: &[Value]) -> bool {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.same(b))
        }
        match (self, other) {
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::U8(a), Value::U8(b)) => a == b,
            (Value::U16(a), Value::U16(b)) => a == b,
            (Value::U32(a), Value::U32(b)) => a == b,
            (Value::U64(a), Value::U64(b)) => a == b,
            (Value::S8(a), Value::S8(b)) => a == b,
            (Value::S16(a), Value::S16(b)) => a == b,
            (Value::S32(a), Value::S32(b)) => a == b,
            (Value::S64(a), Value::S64(b)) => a == b,
            (Value::F32(a), Value::F32(b)) => {
                (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
            }
            (Value::F64(a), Value::F64(b)) => {
                (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
            }
            (Value::Char(a), Value::Char(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => all(a, b),
            (Value::Record(a), Value::Record(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((na, a), (nb, b))| na == nb && a.same(b))
            }
            (Value::Variant(ca, a), Value::Variant(cb, b)) => ca == cb && boxed(a, b),
            (Value::Enum(a), Value::Enum(b)) => a == b,
            (Value::Option(a), Value::Option(b)) => boxed(a, b),
            (Value::Result(Ok(a)), Value::Result(Ok(b)))
            | (Value::Result(Err(a)), Value::Result(Err(b))) => boxed(a, b),
            (Value::Flags(a), Value::Flags(b)) => {
                let (mut a, mut b) = (a.clone(), b.clone());
                a.sort();
                b.sort();
                a == b
            }
            _ => false,
        }
    }
}

/// A value that does not fit the Rust type asked of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl Error {
    /// An error saying `message`.
    pub fn new(message: impl Into<String>) -> Error {
        Error(message.into())
    }

    /// `expected` was wanted where `found` was given.
    pub fn expected(expected: &str, found: &Value) -> Error {
        Error(format!("expected {expected}, found {}", found.kind()))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

// Conversions the generated code and the SDK's impls share.

/// A type as WIT text, for messages.
pub fn ty_name(ty: &Ty) -> String {
    let opt = |t: Option<&Ty>| t.map_or("_".to_string(), ty_name);
    match ty {
        Ty::Bool => "bool".into(),
        Ty::U8 => "u8".into(),
        Ty::U16 => "u16".into(),
        Ty::U32 => "u32".into(),
        Ty::U64 => "u64".into(),
        Ty::S8 => "s8".into(),
        Ty::S16 => "s16".into(),
        Ty::S32 => "s32".into(),
        Ty::S64 => "s64".into(),
        Ty::F32 => "f32".into(),
        Ty::F64 => "f64".into(),
        Ty::Char => "char".into(),
        Ty::String => "string".into(),
        Ty::List(t) => format!("list<{}>", ty_name(t)),
        Ty::Option(t) => format!("option<{}>", ty_name(t)),
        Ty::Result(ok, err) => format!("result<{}, {}>", opt(*ok), opt(*err)),
        Ty::Tuple(items) => format!(
            "tuple<{}>",
            items
                .iter()
                .map(|t| ty_name(t))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Ty::Def(def) => def.wit_name.into(),
        Ty::Use { name, .. } => (*name).into(),
    }
}

/// The fields of record `name`, checked against `fields` (their WIT names
/// in order), for `from_value`.
pub fn record_fields(
    value: Value,
    name: &str,
    fields: &[&str],
) -> Result<std::vec::IntoIter<Value>, Error> {
    let given = match value {
        Value::Record(given) => given,
        other => return Err(Error::expected(&format!("record `{name}`"), &other)),
    };
    if given.len() != fields.len() || given.iter().zip(fields).any(|((g, _), f)| g != f) {
        let given: Vec<&str> = given.iter().map(|(n, _)| n.as_str()).collect();
        return Err(Error::new(format!(
            "record `{name}` has the fields {fields:?}, not {given:?}"
        )));
    }
    Ok(given
        .into_iter()
        .map(|(_, v)| v)
        .collect::<Vec<_>>()
        .into_iter())
}

/// The next of a record's, tuple's or argument list's values.
pub fn next(values: &mut std::vec::IntoIter<Value>, what: &str) -> Result<Value, Error> {
    values
        .next()
        .ok_or_else(|| Error::new(format!("{what} is missing")))
}

/// An enum's case name, for `from_value`.
pub fn enum_case(value: Value, name: &str) -> Result<String, Error> {
    match value {
        Value::Enum(case) => Ok(case),
        other => Err(Error::expected(&format!("enum `{name}`"), &other)),
    }
}

/// A variant's case name and payload, for `from_value`.
pub fn variant_case(value: Value, name: &str) -> Result<(String, Option<Value>), Error> {
    match value {
        Value::Variant(case, payload) => Ok((case, payload.map(|p| *p))),
        other => Err(Error::expected(&format!("variant `{name}`"), &other)),
    }
}

/// A case's payload, which must be there.
pub fn payload(payload: Option<Value>, case: &str) -> Result<Value, Error> {
    payload.ok_or_else(|| Error::new(format!("case `{case}` needs a payload")))
}

/// A case without payload, which must not have one.
pub fn no_payload(payload: Option<Value>, case: &str) -> Result<(), Error> {
    match payload {
        None => Ok(()),
        Some(_) => Err(Error::new(format!("case `{case}` has no payload"))),
    }
}

/// The error for a case the type does not have.
pub fn unknown_case(case: &str, name: &str) -> Error {
    Error::new(format!("`{name}` has no case `{case}`"))
}

// The host API reached natively.

thread_local! {
    static HOST_API: Cell<Option<&'static str>> = const { Cell::new(None) };
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
}

/// Notes that the running native call reached host API `interface`, which
/// only degrades outside a host (called by the SDK's native fallbacks).
pub fn reached_host_api(interface: &'static str) {
    HOST_API.with(|h| {
        if h.get().is_none() {
            h.set(Some(interface))
        }
    });
}

// Native calls.

/// What a native call did.
#[derive(Debug, Clone)]
pub enum NativeOutcome {
    /// The function returned (`None` when it has no result).
    Returned(Option<Value>),
    /// The arguments did not fit its parameters: the glue's mapping and the
    /// caller's disagree.
    Refused(String),
    /// It panicked, with this message and location.
    Panicked(String),
}

/// The arguments of a native call, converted one by one.
pub struct Args {
    values: std::vec::IntoIter<Value>,
}

impl Args {
    /// The next argument, as parameter `name` of type `T`.
    pub fn next<T: crate::WitType>(&mut self, name: &str) -> Result<T, Error> {
        self.convert(name, T::from_value)
    }

    /// The next argument, as parameter `name`, converted by `from_value`
    /// (what the generated code calls, naming the type's conversion).
    pub fn convert<T>(
        &mut self,
        name: &str,
        from_value: fn(Value) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let value = next(&mut self.values, &format!("argument `{name}`"))?;
        from_value(value).map_err(|e| Error::new(format!("argument `{name}`: {e}")))
    }
}

/// Runs one native call for a function's entry point: decodes `input` (see
/// [`encode_args`]), lets `call` convert the arguments and call the
/// function, and encodes what happened, a panic included. The host API it
/// reaches is reported with the outcome.
pub fn native_call(
    input: &[u8],
    call: impl FnOnce(&mut Args) -> Result<Option<Value>, Error>,
) -> Vec<u8> {
    capture_panics();
    HOST_API.with(|h| h.set(None));
    let outcome = match decode_args(input) {
        Err(e) => NativeOutcome::Refused(format!("the arguments do not decode: {e}")),
        Ok(values) => {
            let mut args = Args {
                values: values.into_iter(),
            };
            CAPTURING.with(|c| c.set(true));
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| call(&mut args)));
            CAPTURING.with(|c| c.set(false));
            match result {
                Ok(Ok(value)) => NativeOutcome::Returned(value),
                Ok(Err(e)) => NativeOutcome::Refused(e.to_string()),
                Err(payload) => NativeOutcome::Panicked(
                    PANIC.with(|p| p.borrow_mut().take()).unwrap_or_else(|| {
                        payload
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| payload.downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "Box<dyn Any>".into())
                    }),
                ),
            }
        }
    };
    let host_api = HOST_API.with(|h| h.take()).unwrap_or("");
    encode_outcome(&outcome, host_api)
}

/// Installs, once, a panic hook that keeps the message and location of a
/// panic inside [`native_call`] (as the host reports a plugin's panic)
/// instead of printing it; other panics go to the previous hook.
fn capture_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CAPTURING.with(Cell::get) {
                let message = info.payload_as_str().unwrap_or("Box<dyn Any>");
                let text = match info.location() {
                    Some(l) => format!(
                        "panicked at {}:{}:{}:\n{message}",
                        l.file(),
                        l.line(),
                        l.column()
                    ),
                    None => message.to_string(),
                };
                PANIC.with(|p| *p.borrow_mut() = Some(text));
            } else {
                previous(info);
            }
        }));
    });
}

// The encoding.

struct Writer(Vec<u8>);

impl Writer {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).expect("fewer than 2^32 items"));
    }

    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }

    fn opt(&mut self, v: Option<&Value>) {
        match v {
            None => self.0.push(0),
            Some(v) => {
                self.0.push(1);
                self.value(v);
            }
        }
    }

    fn value(&mut self, v: &Value) {
        match v {
            Value::Bool(b) => self.0.extend([0, *b as u8]),
            Value::U8(n) => self.0.extend([1, *n]),
            Value::U16(n) => {
                self.0.push(2);
                self.0.extend_from_slice(&n.to_le_bytes());
            }
            Value::U32(n) => {
                self.0.push(3);
                self.u32(*n);
            }
            Value::U64(n) => {
                self.0.push(4);
                self.0.extend_from_slice(&n.to_le_bytes());
            }
            Value::S8(n) => self.0.extend([5, *n as u8]),
            Value::S16(n) => {
                self.0.push(6);
                self.0.extend_from_slice(&n.to_le_bytes());
            }
            Value::S32(n) => {
                self.0.push(7);
                self.0.extend_from_slice(&n.to_le_bytes());
            }
            Value::S64(n) => {
                self.0.push(8);
                self.0.extend_from_slice(&n.to_le_bytes());
            }
            Value::F32(x) => {
                self.0.push(9);
                self.u32(x.to_bits());
            }
            Value::F64(x) => {
                self.0.push(10);
                self.0.extend_from_slice(&x.to_bits().to_le_bytes());
            }
            Value::Char(c) => {
                self.0.push(11);
                self.u32(*c as u32);
            }
            Value::String(s) => {
                self.0.push(12);
                self.str(s);
            }
            Value::List(items) => {
                self.0.push(13);
                self.len(items.len());
                items.iter().for_each(|v| self.value(v));
            }
            Value::Record(fields) => {
                self.0.push(14);
                self.len(fields.len());
                for (name, v) in fields {
                    self.str(name);
                    self.value(v);
                }
            }
            Value::Tuple(items) => {
                self.0.push(15);
                self.len(items.len());
                items.iter().for_each(|v| self.value(v));
            }
            Value::Variant(case, payload) => {
                self.0.push(16);
                self.str(case);
                self.opt(payload.as_deref());
            }
            Value::Enum(case) => {
                self.0.push(17);
                self.str(case);
            }
            Value::Option(v) => {
                self.0.push(18);
                self.opt(v.as_deref());
            }
            Value::Result(r) => {
                self.0.push(19);
                let (side, v) = match r {
                    Ok(v) => (0, v),
                    Err(v) => (1, v),
                };
                self.0.push(side);
                self.opt(v.as_deref());
            }
            Value::Flags(names) => {
                self.0.push(20);
                self.len(names.len());
                names.iter().for_each(|n| self.str(n));
            }
        }
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| Error::new("it ends in the middle of a value"))?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut out = [0; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, Error> {
        Ok(self.bytes(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// A count of items that each take at least one byte.
    fn count(&mut self) -> Result<usize, Error> {
        let n = self.u32()? as usize;
        if n > self.data.len() - self.pos {
            return Err(Error::new("a count is longer than what follows"));
        }
        Ok(n)
    }

    fn str(&mut self) -> Result<String, Error> {
        let n = self.u32()? as usize;
        let bytes = self.bytes(n)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| Error::new("a string is not UTF-8"))
    }

    fn opt(&mut self, depth: usize) -> Result<Option<Box<Value>>, Error> {
        match self.byte()? {
            0 => Ok(None),
            1 => Ok(Some(Box::new(self.value(depth)?))),
            b => Err(Error::new(format!("unexpected presence flag {b}"))),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, Error> {
        if depth > MAX_DEPTH {
            return Err(Error::new(format!(
                "values nest more than {MAX_DEPTH} deep"
            )));
        }
        let d = depth + 1;
        Ok(match self.byte()? {
            0 => Value::Bool(match self.byte()? {
                0 => false,
                1 => true,
                b => return Err(Error::new(format!("{b} is not a bool"))),
            }),
            1 => Value::U8(self.byte()?),
            2 => Value::U16(u16::from_le_bytes(self.array()?)),
            3 => Value::U32(self.u32()?),
            4 => Value::U64(u64::from_le_bytes(self.array()?)),
            5 => Value::S8(self.byte()? as i8),
            6 => Value::S16(i16::from_le_bytes(self.array()?)),
            7 => Value::S32(i32::from_le_bytes(self.array()?)),
            8 => Value::S64(i64::from_le_bytes(self.array()?)),
            9 => Value::F32(f32::from_bits(self.u32()?)),
            10 => Value::F64(f64::from_bits(u64::from_le_bytes(self.array()?))),
            11 => {
                let code = self.u32()?;
                Value::Char(char::from_u32(code).ok_or_else(|| {
                    Error::new(format!("{code:#x} is not a Unicode scalar value"))
                })?)
            }
            12 => Value::String(self.str()?),
            13 => {
                let n = self.count()?;
                Value::List((0..n).map(|_| self.value(d)).collect::<Result<_, _>>()?)
            }
            14 => {
                let n = self.count()?;
                Value::Record(
                    (0..n)
                        .map(|_| Ok((self.str()?, self.value(d)?)))
                        .collect::<Result<_, Error>>()?,
                )
            }
            15 => {
                let n = self.count()?;
                Value::Tuple((0..n).map(|_| self.value(d)).collect::<Result<_, _>>()?)
            }
            16 => Value::Variant(self.str()?, self.opt(d)?),
            17 => Value::Enum(self.str()?),
            18 => Value::Option(self.opt(d)?),
            19 => match self.byte()? {
                0 => Value::Result(Ok(self.opt(d)?)),
                1 => Value::Result(Err(self.opt(d)?)),
                b => return Err(Error::new(format!("{b} is not a result side"))),
            },
            20 => {
                let n = self.count()?;
                Value::Flags((0..n).map(|_| self.str()).collect::<Result<_, _>>()?)
            }
            t => return Err(Error::new(format!("unknown value tag {t}"))),
        })
    }

    fn end(&self) -> Result<(), Error> {
        if self.pos == self.data.len() {
            Ok(())
        } else {
            Err(Error::new(format!(
                "{} bytes follow the end",
                self.data.len() - self.pos
            )))
        }
    }
}

/// Encodes a native call's arguments.
pub fn encode_args(args: &[Value]) -> Vec<u8> {
    let mut w = Writer(Vec::new());
    w.len(args.len());
    args.iter().for_each(|v| w.value(v));
    w.0
}

/// Decodes what [`encode_args`] wrote.
pub fn decode_args(data: &[u8]) -> Result<Vec<Value>, Error> {
    let mut r = Reader { data, pos: 0 };
    let n = r.count()?;
    let values = (0..n).map(|_| r.value(0)).collect::<Result<_, _>>()?;
    r.end()?;
    Ok(values)
}

/// Encodes a native call's outcome and the host API it reached (empty for none).
pub fn encode_outcome(outcome: &NativeOutcome, host_api: &str) -> Vec<u8> {
    let mut w = Writer(OUTCOME_MAGIC.to_vec());
    let kind = match outcome {
        NativeOutcome::Returned(_) => 0,
        NativeOutcome::Refused(_) => 1,
        NativeOutcome::Panicked(_) => 2,
    };
    w.0.push(kind);
    w.str(host_api);
    match outcome {
        NativeOutcome::Returned(v) => w.opt(v.as_ref()),
        NativeOutcome::Refused(m) | NativeOutcome::Panicked(m) => w.str(m),
    }
    w.0
}

/// Decodes what [`encode_outcome`] wrote: the outcome, and the host API the
/// call reached, if any.
pub fn decode_outcome(data: &[u8]) -> Result<(NativeOutcome, Option<String>), Error> {
    let mut r = Reader { data, pos: 0 };
    if r.bytes(4).ok() != Some(&OUTCOME_MAGIC[..]) {
        return Err(Error::new(
            "it is not an outcome of this SDK's native calls (use matching versions of the SDK and cargo-ferrite-plugin)",
        ));
    }
    let kind = r.byte()?;
    let host_api = r.str()?;
    let outcome = match kind {
        0 => NativeOutcome::Returned(r.opt(0)?.map(|v| *v)),
        1 => NativeOutcome::Refused(r.str()?),
        2 => NativeOutcome::Panicked(r.str()?),
        k => return Err(Error::new(format!("unknown outcome {k}"))),
    };
    r.end()?;
    Ok((outcome, (!host_api.is_empty()).then_some(host_api)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PluginError, WitPayload, WitType};

    fn round_trip<T: WitType + Clone + PartialEq + fmt::Debug>(v: T) {
        let value = v.clone().to_value();
        let bytes = encode_args(std::slice::from_ref(&value));
        let decoded = decode_args(&bytes).unwrap();
        assert!(decoded[0].same(&value), "{decoded:?} != {value:?}");
        assert_eq!(T::from_value(decoded[0].clone()).unwrap(), v);
    }

    #[test]
    fn every_mapped_type_converts_and_encodes_both_ways() {
        round_trip(true);
        round_trip(u8::MAX);
        round_trip(u16::MAX);
        round_trip(u32::MAX);
        round_trip(u64::MAX);
        round_trip(i8::MIN);
        round_trip(i16::MIN);
        round_trip(i32::MIN);
        round_trip(i64::MIN);
        round_trip(-0.0f32);
        round_trip(f64::INFINITY);
        round_trip('\u{10ffff}');
        round_trip("héllo".to_string());
        round_trip(vec![vec![1u8, 2], vec![]]);
        round_trip(Some((1u8, "x".to_string(), 2.5f64)));
        round_trip(None::<u32>);
        round_trip(Ok::<u32, String>(3));
        round_trip(Err::<(), String>("no".into()));
        round_trip(Ok::<(), PluginError>(()));
        round_trip(Err::<u8, PluginError>(PluginError::not_found("x")));
        round_trip(crate::hook::HookEvent::OnKeyWrite);
        round_trip(crate::hook::HookResult::Abort("no".into()));
        round_trip(crate::command::Frame::Double(1.5));
        round_trip(crate::log::Level::Warn);
    }

    #[test]
    fn values_compare_floats_by_bits_and_nans_alike() {
        assert!(Value::F64(f64::NAN).same(&Value::F64(-f64::NAN)));
        assert!(Value::F32(f32::from_bits(0x7fc0_0001)).same(&Value::F32(f32::NAN)));
        assert!(!Value::F64(0.0).same(&Value::F64(-0.0)));
        assert!(!Value::F64(1.0).same(&Value::F32(1.0)));
        assert!(
            !Value::Record(vec![("a".into(), Value::U8(1))])
                .same(&Value::Record(vec![("b".into(), Value::U8(1))]))
        );
    }

    #[test]
    fn a_mismatched_value_is_an_error_not_a_panic() {
        let e = u8::from_value(Value::String("x".into())).unwrap_err();
        assert_eq!(e.to_string(), "expected u8, found string");
        assert!(String::from_value(Value::U8(1)).is_err());
        assert!(<(u8, u8)>::from_value(Value::Tuple(vec![Value::U8(1)])).is_err());
        assert!(PluginError::from_value(Value::Variant("nope".into(), None)).is_err());
        assert!(<() as WitPayload>::from_payload(Some(Value::U8(1))).is_err());
    }

    #[test]
    fn garbage_does_not_decode() {
        for bad in [
            &b""[..],
            &[1, 0, 0, 0][..],
            &[1, 0, 0, 0, 99][..],
            &[1, 0, 0, 0, 13, 255, 255, 255, 255][..],
            &[1, 0, 0, 0, 11, 0, 0xd8, 0, 0][..],
            &[0, 0, 0, 0, 1][..],
        ] {
            assert!(decode_args(bad).is_err(), "{bad:?}");
        }
        assert!(decode_outcome(b"FPN2").is_err());
        let deep = (0..200).fold(Value::U8(0), |v, _| Value::Option(Some(Box::new(v))));
        assert!(decode_args(&encode_args(&[deep])).is_err());
    }

    #[test]
    fn a_native_call_reports_its_result_panic_refusal_and_host_api() {
        let ok = native_call(&encode_args(&[Value::U32(2)]), |a| {
            let n: u32 = a.next("n")?;
            Ok(Some(Value::U32(n * 2)))
        });
        match decode_outcome(&ok).unwrap() {
            (NativeOutcome::Returned(Some(Value::U32(4))), None) => {}
            other => panic!("{other:?}"),
        }
        let refused = native_call(&encode_args(&[Value::Bool(true)]), |a| {
            let n: u32 = a.next("n")?;
            Ok(Some(Value::U32(n)))
        });
        match decode_outcome(&refused).unwrap() {
            (NativeOutcome::Refused(m), None) => {
                assert_eq!(m, "argument `n`: expected u32, found bool")
            }
            other => panic!("{other:?}"),
        }
        let panicked = native_call(&encode_args(&[]), |_| {
            let _ = crate::config::get("x");
            panic!("boom {}", 1)
        });
        match decode_outcome(&panicked).unwrap() {
            (NativeOutcome::Panicked(m), Some(api)) => {
                assert!(m.starts_with("panicked at sdk/src/dynamic.rs:"), "{m}");
                assert!(m.ends_with("\nboom 1"), "{m}");
                assert_eq!(api, "config");
            }
            other => panic!("{other:?}"),
        }
    }
}
