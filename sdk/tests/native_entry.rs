//! The native entry points `#[ferrite_plugin::function]` exports for
//! `cargo ferrite-plugin test --fuzz`, called by their symbols as the
//! fuzzer's harness calls them.

use ferrite_plugin::dynamic::{NativeOutcome, Value, decode_outcome, encode_args};
use ferrite_plugin::prelude::*;

/// A named point.
#[derive(Record, Clone, Debug, PartialEq)]
pub struct Pin {
    pub x: f64,
    pub label: String,
}

/// A shape with every kind of case.
#[derive(Enum, Clone, Debug, PartialEq)]
pub enum Shape {
    Dot,
    Circle(f32),
    Pinned(Pin),
}

#[derive(Enum, Clone, Copy, Debug, PartialEq)]
pub enum Unit {
    Meters,
    Feet,
}

#[ferrite_plugin::function]
pub fn scale(p: Pin, by: f64) -> Pin {
    Pin {
        x: p.x * by,
        label: p.label,
    }
}

/// Borrowed parameters and a `Result`.
#[ferrite_plugin::function]
pub fn total(values: &[u32], label: &str) -> Result<u64, PluginError> {
    if label.is_empty() {
        return Err(PluginError::invalid_argument("no label"));
    }
    Ok(values.iter().map(|&v| u64::from(v)).sum())
}

#[ferrite_plugin::function]
pub fn describe(s: Shape, unit: Unit) -> Option<String> {
    match s {
        Shape::Dot => None,
        Shape::Circle(r) => Some(format!("circle {r} {unit:?}")),
        Shape::Pinned(p) => Some(p.label),
    }
}

#[ferrite_plugin::function]
pub fn nothing() {}

#[ferrite_plugin::fuzz(skip)]
#[ferrite_plugin::function]
pub fn crash(message: String) -> u8 {
    panic!("{message}")
}

/// Reaches the host API, which degrades natively.
#[ferrite_plugin::function]
#[ferrite_plugin::fuzz(wasm_only, range(n = 1..=10))]
pub fn configured(n: u8) -> u8 {
    config::get("n").map_or(n, |v| v.len() as u8)
}

pub mod inner {
    /// The same WIT name's Rust name in another module, renamed.
    #[ferrite_plugin::function(name = "twice")]
    pub fn scale(n: i64) -> i64 {
        n.wrapping_mul(2)
    }
}

unsafe extern "Rust" {
    #[link_name = "__ferrite_native__native_entry::scale"]
    safe fn scale_native(input: &[u8]) -> Vec<u8>;
    #[link_name = "__ferrite_native__native_entry::total"]
    safe fn total_native(input: &[u8]) -> Vec<u8>;
    #[link_name = "__ferrite_native__native_entry::describe"]
    safe fn describe_native(input: &[u8]) -> Vec<u8>;
    #[link_name = "__ferrite_native__native_entry::nothing"]
    safe fn nothing_native(input: &[u8]) -> Vec<u8>;
    #[link_name = "__ferrite_native__native_entry::crash"]
    safe fn crash_native(input: &[u8]) -> Vec<u8>;
    #[link_name = "__ferrite_native__native_entry::configured"]
    safe fn configured_native(input: &[u8]) -> Vec<u8>;
    #[link_name = "__ferrite_native__native_entry::inner::scale"]
    safe fn twice_native(input: &[u8]) -> Vec<u8>;
}

fn call(entry: fn(&[u8]) -> Vec<u8>, args: &[Value]) -> (NativeOutcome, Option<String>) {
    decode_outcome(&entry(&encode_args(args))).unwrap()
}

fn returned(outcome: (NativeOutcome, Option<String>)) -> Option<Value> {
    match outcome {
        (NativeOutcome::Returned(v), None) => v,
        other => panic!("{other:?}"),
    }
}

fn string(s: &str) -> Value {
    Value::String(s.into())
}

#[test]
fn records_convert_in_and_out() {
    let pin = Value::Record(vec![
        ("x".into(), Value::F64(1.5)),
        ("label".into(), string("a")),
    ]);
    let out = returned(call(scale_native, &[pin, Value::F64(2.0)])).unwrap();
    assert!(out.same(&Value::Record(vec![
        ("x".into(), Value::F64(3.0)),
        ("label".into(), string("a")),
    ])));
}

#[test]
fn borrowed_parameters_and_results_convert() {
    let values = Value::List(vec![Value::U32(u32::MAX), Value::U32(1)]);
    let out = returned(call(total_native, &[values.clone(), string("l")])).unwrap();
    assert!(out.same(&Value::Result(Ok(Some(Box::new(Value::U64(1 << 32)))))));
    let out = returned(call(total_native, &[values, string("")])).unwrap();
    let err = Value::Variant(
        "invalid-argument".into(),
        Some(Box::new(string("no label"))),
    );
    assert!(out.same(&Value::Result(Err(Some(Box::new(err))))));
}

#[test]
fn every_kind_of_case_converts() {
    let meters = Value::Enum("meters".into());
    let dot = Value::Variant("dot".into(), None);
    assert!(
        returned(call(describe_native, &[dot, meters.clone()]))
            .unwrap()
            .same(&Value::Option(None))
    );
    let circle = Value::Variant("circle".into(), Some(Box::new(Value::F32(2.5))));
    assert!(
        returned(call(describe_native, &[circle, Value::Enum("feet".into())]))
            .unwrap()
            .same(&Value::Option(Some(Box::new(string("circle 2.5 Feet")))))
    );
    let pin = Value::Record(vec![
        ("x".into(), Value::F64(0.0)),
        ("label".into(), string("p")),
    ]);
    let pinned = Value::Variant("pinned".into(), Some(Box::new(pin)));
    assert!(
        returned(call(describe_native, &[pinned, meters]))
            .unwrap()
            .same(&Value::Option(Some(Box::new(string("p")))))
    );
}

#[test]
fn a_function_without_a_result_returns_none() {
    assert!(returned(call(nothing_native, &[])).is_none());
}

#[test]
fn panics_are_caught_with_their_location() {
    match call(crash_native, &[string("oh no")]) {
        (NativeOutcome::Panicked(m), None) => {
            assert!(
                m.starts_with("panicked at sdk/tests/native_entry.rs:"),
                "{m}"
            );
            assert!(m.ends_with(":\noh no"), "{m}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn arguments_that_do_not_fit_are_refused() {
    for args in [
        vec![string("x")],
        vec![Value::U8(1)],
        vec![Value::U8(1), Value::U8(2)],
    ] {
        match call(twice_native, &args) {
            (NativeOutcome::Refused(why), None) => assert!(why.contains("argument"), "{why}"),
            other => panic!("{args:?}: {other:?}"),
        }
    }
    match call(
        describe_native,
        &[
            Value::Variant("square".into(), None),
            Value::Enum("feet".into()),
        ],
    ) {
        (NativeOutcome::Refused(why), None) => {
            assert_eq!(why, "argument `s`: `shape` has no case `square`")
        }
        other => panic!("{other:?}"),
    }
    let garbage = twice_native(b"garbage");
    assert!(matches!(
        decode_outcome(&garbage).unwrap().0,
        NativeOutcome::Refused(_)
    ));
}

#[test]
fn the_host_api_reached_natively_is_reported() {
    assert!(matches!(
        call(configured_native, &[Value::U8(3)]),
        (NativeOutcome::Returned(Some(Value::U8(3))), Some(api)) if api == "config"
    ));
    assert!(
        returned(call(twice_native, &[Value::S64(21)]))
            .unwrap()
            .same(&Value::S64(42))
    );
}

#[test]
fn functions_stay_plain_rust() {
    assert_eq!(inner::scale(4), 8);
    assert_eq!(total(&[1, 2], "x"), Ok(3));
    assert_eq!(configured(5), 5);
}
