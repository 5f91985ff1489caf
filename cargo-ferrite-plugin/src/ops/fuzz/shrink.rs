//! Shrinking: simpler values of a failing input, tried greedily while the
//! failure persists.
//!
//! [`candidates`] lists simpler values of one value, simplest first:
//! integers towards 0 (or the end of their range nearest it) by halving the
//! distance, floats towards 0, characters towards `a`, strings and lists
//! shorter then with simpler items, variants and enums towards their first
//! case, options to `none`, results to `ok`. [`shrink`] replaces one
//! argument at a time by its first candidate that still fails the same way,
//! and starts over from there, until no candidate fails or the budget of
//! calls is spent.

use ferrite_plugin_host::Val;
use wasmtime::component::Type;

use super::generate::{Spec, float_fits, int_of, int_range, int_val};

/// At most this many candidates per value, so that a wide input does not
/// spend the whole budget on one level.
const MAX_CANDIDATES: usize = 96;

/// Shrinks `input` (whose parameters have `types` and `specs`) while
/// `fails` says a candidate fails as it did, spending at most `budget` calls
/// of `fails`. Returns the smallest failing input found and the number of
/// steps that made it smaller.
pub fn shrink(
    input: Vec<Val>,
    types: &[Type],
    specs: &[Spec],
    budget: usize,
    mut fails: impl FnMut(&[Val]) -> bool,
) -> (Vec<Val>, usize) {
    let mut current = input;
    let (mut calls, mut steps) = (0, 0);
    'outer: loop {
        for i in 0..current.len() {
            for candidate in candidates(&current[i], &types[i], &specs[i]) {
                if calls >= budget {
                    break 'outer;
                }
                calls += 1;
                let mut trial = current.clone();
                trial[i] = candidate;
                if fails(&trial) {
                    current = trial;
                    steps += 1;
                    continue 'outer;
                }
            }
        }
        break;
    }
    (current, steps)
}

/// The simplest value of `ty` under `spec`.
pub fn simplest(ty: &Type, spec: &Spec) -> Val {
    match ty {
        Type::Bool => Val::Bool(false),
        Type::Float32 => Val::Float32(float_target(spec) as f32),
        Type::Float64 => Val::Float64(float_target(spec)),
        Type::Char => Val::Char('a'),
        Type::String => Val::String(String::new()),
        Type::List(_) => Val::List(Vec::new()),
        Type::Map(_) => Val::Map(Vec::new()),
        Type::FixedLengthList(l) => {
            let elem = l.ty();
            Val::FixedLengthList((0..l.len()).map(|_| simplest(&elem, spec)).collect())
        }
        Type::Record(r) => Val::Record(
            r.fields()
                .map(|f| (f.name.to_string(), simplest(&f.ty, spec)))
                .collect(),
        ),
        Type::Tuple(t) => Val::Tuple(t.types().map(|t| simplest(&t, spec)).collect()),
        Type::Variant(v) => {
            let first = v.cases().next();
            Val::Variant(
                first.as_ref().map_or(String::new(), |c| c.name.to_string()),
                first
                    .and_then(|c| c.ty)
                    .map(|t| Box::new(simplest(&t, spec))),
            )
        }
        Type::Enum(e) => Val::Enum(e.names().next().unwrap_or_default().to_string()),
        Type::Option(_) => Val::Option(None),
        Type::Result(r) => Val::Result(Ok(r.ok().map(|t| Box::new(simplest(&t, spec))))),
        Type::Flags(_) => Val::Flags(Vec::new()),
        _ => match int_range(ty, spec) {
            Some(Ok((lo, hi, _))) => int_val(ty, int_target(lo, hi)),
            _ => Val::Bool(false),
        },
    }
}

/// The integer in `lo..=hi` nearest 0.
fn int_target(lo: i128, hi: i128) -> i128 {
    0.clamp(lo, hi)
}

/// The float in the range nearest 0.
fn float_target(spec: &Spec) -> f64 {
    match &spec.range {
        None => 0.0,
        Some(r) => {
            let lo = r.floats.0.unwrap_or(f64::MIN);
            if float_fits(0.0, spec) {
                0.0
            } else if lo > 0.0 {
                lo
            } else {
                // Below zero: the upper end, or just under an excluded one.
                let hi = r.floats.1.unwrap_or(0.0);
                if float_fits(hi, spec) {
                    hi
                } else {
                    f64::from_bits(hi.to_bits() + 1).max(lo)
                }
            }
        }
    }
}

/// Integers between `v` and `target`, nearest `target` first: the target,
/// then `v` less half the distance, a quarter, ..., one.
fn int_steps(v: i128, target: i128) -> Vec<i128> {
    if v == target {
        return Vec::new();
    }
    let mut out = vec![target];
    if target == 0 && v < 0 && v.checked_neg().is_some() {
        out.push(-v);
    }
    let mut d = (v - target) / 2;
    while d != 0 {
        out.push(v - d);
        d /= 2;
    }
    let one = if v > target { v - 1 } else { v + 1 };
    if !out.contains(&one) {
        out.push(one);
    }
    out
}

/// Simpler values of `val` (of type `ty`), simplest first.
pub fn candidates(val: &Val, ty: &Type, spec: &Spec) -> Vec<Val> {
    let mut out = Vec::new();
    match (val, ty) {
        (Val::Bool(true), _) => out.push(Val::Bool(false)),
        (Val::Float32(x), _) => {
            out.extend(
                float_steps(f64::from(*x), spec)
                    .into_iter()
                    .map(|f| Val::Float32(f as f32)),
            );
        }
        (Val::Float64(x), _) => {
            out.extend(float_steps(*x, spec).into_iter().map(Val::Float64));
        }
        (Val::Char(c), _) => {
            // `a` is the simplest; above it, nearer `a` is simpler.
            let (code, a) = (*c as u32, 'a' as u32);
            let mut steps: Vec<u32> = Vec::new();
            if code != a {
                steps.push(a);
                if code > a {
                    steps.push(a + (code - a) / 2);
                    steps.push(code - 1);
                }
            }
            steps.dedup();
            out.extend(
                steps
                    .into_iter()
                    .filter(|&s| s != code)
                    .filter_map(char::from_u32)
                    .map(Val::Char),
            );
        }
        (Val::String(s), _) => {
            let chars: Vec<char> = s.chars().collect();
            let string = |cs: &[char]| Val::String(cs.iter().collect());
            if !chars.is_empty() {
                out.push(string(&[]));
                if chars.len() > 1 {
                    out.push(string(&chars[..chars.len() / 2]));
                    out.push(string(&chars[chars.len() / 2..]));
                }
                for i in 0..chars.len() {
                    let mut fewer = chars.clone();
                    fewer.remove(i);
                    out.push(string(&fewer));
                }
                for i in 0..chars.len() {
                    if let Some(Val::Char(simpler)) =
                        candidates(&Val::Char(chars[i]), &Type::Char, spec).first()
                    {
                        let mut simpler_chars = chars.clone();
                        simpler_chars[i] = *simpler;
                        out.push(string(&simpler_chars));
                    }
                }
            }
        }
        (Val::List(items), Type::List(l)) => {
            let elem = l.ty();
            if !items.is_empty() {
                out.push(Val::List(Vec::new()));
                if items.len() > 1 {
                    out.push(Val::List(items[..items.len() / 2].to_vec()));
                    out.push(Val::List(items[items.len() / 2..].to_vec()));
                }
                for i in 0..items.len() {
                    let mut fewer = items.clone();
                    fewer.remove(i);
                    out.push(Val::List(fewer));
                }
            }
            out.extend(
                each_item(items, |_| elem.clone(), spec)
                    .into_iter()
                    .map(Val::List),
            );
        }
        (Val::FixedLengthList(items), Type::FixedLengthList(l)) => {
            let elem = l.ty();
            out.extend(
                each_item(items, |_| elem.clone(), spec)
                    .into_iter()
                    .map(Val::FixedLengthList),
            );
        }
        (Val::Map(pairs), Type::Map(_)) => {
            if !pairs.is_empty() {
                out.push(Val::Map(Vec::new()));
                for i in 0..pairs.len() {
                    let mut fewer = pairs.clone();
                    fewer.remove(i);
                    out.push(Val::Map(fewer));
                }
            }
        }
        (Val::Record(fields), Type::Record(r)) => {
            let types: Vec<Type> = r.fields().map(|f| f.ty).collect();
            let values: Vec<Val> = fields.iter().map(|(_, v)| v.clone()).collect();
            out.extend(
                each_item(&values, |i| types[i].clone(), spec)
                    .into_iter()
                    .map(|vs| {
                        Val::Record(
                            fields
                                .iter()
                                .zip(vs)
                                .map(|((n, _), v)| (n.clone(), v))
                                .collect(),
                        )
                    }),
            );
        }
        (Val::Tuple(items), Type::Tuple(t)) => {
            let types: Vec<Type> = t.types().collect();
            out.extend(
                each_item(items, |i| types[i].clone(), spec)
                    .into_iter()
                    .map(Val::Tuple),
            );
        }
        (Val::Variant(case, payload), Type::Variant(v)) => {
            let cases: Vec<_> = v.cases().collect();
            let index = cases.iter().position(|c| c.name == case).unwrap_or(0);
            for earlier in &cases[..index] {
                out.push(Val::Variant(
                    earlier.name.to_string(),
                    earlier.ty.as_ref().map(|t| Box::new(simplest(t, spec))),
                ));
            }
            if let (Some(p), Some(Some(t))) = (payload, cases.get(index).map(|c| c.ty.clone())) {
                out.extend(
                    candidates(p, &t, spec)
                        .into_iter()
                        .map(|c| Val::Variant(case.clone(), Some(Box::new(c)))),
                );
            }
        }
        (Val::Enum(case), Type::Enum(e)) => {
            out.extend(
                e.names()
                    .take_while(|n| *n != case.as_str())
                    .map(|n| Val::Enum(n.to_string())),
            );
        }
        (Val::Option(Some(v)), Type::Option(o)) => {
            out.push(Val::Option(None));
            out.extend(
                candidates(v, &o.ty(), spec)
                    .into_iter()
                    .map(|c| Val::Option(Some(Box::new(c)))),
            );
        }
        (Val::Result(r), Type::Result(t)) => {
            let (ok, err) = (t.ok(), t.err());
            match r {
                Err(e) => {
                    out.push(Val::Result(Ok(ok.map(|t| Box::new(simplest(&t, spec))))));
                    if let (Some(e), Some(t)) = (e, err) {
                        out.extend(
                            candidates(e, &t, spec)
                                .into_iter()
                                .map(|c| Val::Result(Err(Some(Box::new(c))))),
                        );
                    }
                }
                Ok(v) => {
                    if let (Some(v), Some(t)) = (v, ok) {
                        out.extend(
                            candidates(v, &t, spec)
                                .into_iter()
                                .map(|c| Val::Result(Ok(Some(Box::new(c))))),
                        );
                    }
                }
            }
        }
        (Val::Flags(names), _) => {
            for i in 0..names.len() {
                let mut fewer = names.clone();
                fewer.remove(i);
                out.push(Val::Flags(fewer));
            }
        }
        (v, _) => {
            if let (Some(n), Some(Ok((lo, hi, _)))) = (int_of(v), int_range(ty, spec)) {
                out.extend(
                    int_steps(n, int_target(lo, hi))
                        .into_iter()
                        .filter(|s| (lo..=hi).contains(s))
                        .map(|s| int_val(ty, s)),
                );
            }
        }
    }
    out.truncate(MAX_CANDIDATES);
    out
}

/// Floats simpler than `x`: the target, small integers, `x` without its
/// fraction, half of it.
fn float_steps(x: f64, spec: &Spec) -> Vec<f64> {
    let target = float_target(spec);
    let mut out = vec![target];
    if x.is_nan() || x.is_infinite() {
        out.extend([1.0, -1.0]);
    } else {
        out.push(x.trunc());
        if x.abs() >= 2.0 {
            out.push(x / 2.0);
        }
    }
    out.retain(|f| f.to_bits() != x.to_bits() && float_fits(*f, spec));
    out.dedup_by(|a, b| a.to_bits() == b.to_bits());
    out
}

/// For each item of `items` and each of its candidates, `items` with that
/// one item replaced (the items' types by index).
fn each_item(items: &[Val], ty: impl Fn(usize) -> Type, spec: &Spec) -> Vec<Vec<Val>> {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        for c in candidates(item, &ty(i), spec) {
            let mut changed = items.to_vec();
            changed[i] = c;
            out.push(changed);
            if out.len() >= MAX_CANDIDATES {
                return out;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::generate::NumRange;
    use super::*;

    fn free() -> Spec {
        Spec {
            max_len: 16,
            range: None,
        }
    }

    #[test]
    fn an_integer_shrinks_to_the_smallest_that_fails() {
        let (min, steps) = shrink(
            vec![Val::U64(0xdead_beef_1234_5678)],
            &[Type::U64],
            &[free()],
            10_000,
            |v| matches!(v[0], Val::U64(n) if n >= 1 << 32),
        );
        assert_eq!(min, vec![Val::U64(1 << 32)]);
        assert!(steps > 0);
        let (min, _) = shrink(
            vec![Val::S32(-1_000_000)],
            &[Type::S32],
            &[free()],
            10_000,
            |v| matches!(v[0], Val::S32(n) if n <= -77),
        );
        assert_eq!(min, vec![Val::S32(-77)]);
    }

    #[test]
    fn a_range_is_kept_while_shrinking() {
        let spec = Spec {
            max_len: 16,
            range: Some(NumRange::parse("10..=20").unwrap()),
        };
        let (min, _) = shrink(
            vec![Val::U8(19)],
            &[Type::U8],
            std::slice::from_ref(&spec),
            100,
            |_| true,
        );
        assert_eq!(min, vec![Val::U8(10)]);
        assert_eq!(simplest(&Type::S8, &spec), Val::S8(10));
    }

    #[test]
    fn strings_and_chars_shrink_towards_a() {
        let (min, _) = shrink(
            vec![Val::String("xyz\u{1f600}q".into())],
            &[Type::String],
            &[free()],
            1000,
            |v| matches!(&v[0], Val::String(s) if s.chars().count() >= 2),
        );
        assert_eq!(min, vec![Val::String("aa".into())]);
        let (min, _) = shrink(
            vec![Val::Char('\u{10ffff}')],
            &[Type::Char],
            &[free()],
            1000,
            |_| true,
        );
        assert_eq!(min, vec![Val::Char('a')]);
    }

    #[test]
    fn floats_shrink_towards_zero_and_nan_to_a_number() {
        let (min, _) = shrink(
            vec![Val::Float64(f64::NAN)],
            &[Type::Float64],
            &[free()],
            100,
            |v| matches!(v[0], Val::Float64(x) if x != 0.0),
        );
        assert_eq!(min, vec![Val::Float64(1.0)]);
        let (min, _) = shrink(
            vec![Val::Float64(-12345.678)],
            &[Type::Float64],
            &[free()],
            1000,
            |v| matches!(v[0], Val::Float64(x) if x < -100.0),
        );
        match min[0] {
            Val::Float64(x) => assert!((-200.0..-100.0).contains(&x), "{x}"),
            _ => unreachable!(),
        }
    }

    #[test]
    fn the_budget_bounds_the_calls() {
        let mut calls = 0;
        let _ = shrink(vec![Val::U64(u64::MAX)], &[Type::U64], &[free()], 5, |_| {
            calls += 1;
            false
        });
        assert_eq!(calls, 5);
    }
}
