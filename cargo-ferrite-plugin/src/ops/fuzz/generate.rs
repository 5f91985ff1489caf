//! Inputs generated from WIT types: a seeded generator, what narrows it
//! (`--max-len`, `#[ferrite_plugin::fuzz]`), and the values themselves,
//! edge cases mixed in.

use anyhow::{Result, bail};
use ferrite_plugin_host::Val;
use wasmtime::component::Type;

/// SplitMix64: small, fast, and the same sequence for a seed everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: i128, hi: i128) -> i128 {
        let span = (hi - lo) as u128;
        if span >= u128::from(u64::MAX) {
            let wide = (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64());
            return lo + (wide % (span + 1)) as i128;
        }
        lo + i128::from(self.below(span as u64 + 1))
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// One of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// The range a parameter's numbers keep to (`range(p = LO..=HI)`), as
/// integer and as float bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct NumRange {
    /// The text it was given as.
    pub text: String,
    /// Inclusive integer bounds.
    pub ints: (Option<i128>, Option<i128>),
    /// Float bounds; the upper one excluded unless `hi_inclusive`.
    pub floats: (Option<f64>, Option<f64>),
    /// Whether the float range includes its upper bound.
    pub hi_inclusive: bool,
}

impl NumRange {
    /// Parses `LO..=HI` or `LO..HI` (either end may be missing).
    pub fn parse(text: &str) -> Result<NumRange> {
        let (lo, hi, inclusive) = match text.split_once("..=") {
            Some((lo, hi)) => (lo, hi, true),
            None => match text.split_once("..") {
                Some((lo, hi)) => (lo, hi, false),
                None => bail!("`{text}` is not a range"),
            },
        };
        let is_float = |s: &str| s.contains(['.', 'e', 'E', 'i', 'n', 'N']);
        let float = is_float(lo) || is_float(hi);
        let num = |s: &str| -> Result<Option<f64>> {
            if s.is_empty() {
                return Ok(None);
            }
            s.parse::<f64>()
                .map(Some)
                .map_err(|_| anyhow::anyhow!("`{s}` in the range `{text}` is not a number"))
        };
        let int = |s: &str| -> Result<Option<i128>> {
            if s.is_empty() {
                return Ok(None);
            }
            s.parse::<i128>()
                .map(Some)
                .map_err(|_| anyhow::anyhow!("`{s}` in the range `{text}` is not an integer"))
        };
        let range = if float {
            let (lo, hi) = (num(lo)?, num(hi)?);
            let ilo = lo.map(|l| l.ceil() as i128);
            let ihi = hi.map(|h| {
                let f = h.floor();
                if f == h && !inclusive {
                    f as i128 - 1
                } else {
                    f as i128
                }
            });
            NumRange {
                text: text.to_string(),
                ints: (ilo, ihi),
                floats: (lo, hi),
                hi_inclusive: inclusive,
            }
        } else {
            let (lo, hi) = (int(lo)?, int(hi)?);
            let hi = if inclusive { hi } else { hi.map(|h| h - 1) };
            NumRange {
                text: text.to_string(),
                ints: (lo, hi),
                floats: (lo.map(|l| l as f64), hi.map(|h| h as f64)),
                hi_inclusive: true,
            }
        };
        Ok(range)
    }
}

/// What narrows one parameter's values.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The most items of a list, characters of a string, at the top level;
    /// each level of nesting allows half as many.
    pub max_len: usize,
    /// The range of its numbers, if narrowed.
    pub range: Option<NumRange>,
}

/// An integer type's bounds.
fn int_bounds(ty: &Type) -> Option<(i128, i128, u32)> {
    Some(match ty {
        Type::U8 => (0, u8::MAX.into(), 8),
        Type::U16 => (0, u16::MAX.into(), 16),
        Type::U32 => (0, u32::MAX.into(), 32),
        Type::U64 => (0, u64::MAX.into(), 64),
        Type::S8 => (i8::MIN.into(), i8::MAX.into(), 8),
        Type::S16 => (i16::MIN.into(), i16::MAX.into(), 16),
        Type::S32 => (i32::MIN.into(), i32::MAX.into(), 32),
        Type::S64 => (i64::MIN.into(), i64::MAX.into(), 64),
        _ => return None,
    })
}

/// The bounds of an integer type under `spec`'s range, or why there are none.
pub fn int_range(ty: &Type, spec: &Spec) -> Option<Result<(i128, i128, u32), String>> {
    let (min, max, bits) = int_bounds(ty)?;
    let Some(range) = &spec.range else {
        return Some(Ok((min, max, bits)));
    };
    let lo = range.ints.0.map_or(min, |l| l.max(min));
    let hi = range.ints.1.map_or(max, |h| h.min(max));
    Some(if lo > hi {
        Err(format!(
            "the range `{}` has no {} in it",
            range.text,
            type_name(ty)
        ))
    } else {
        Ok((lo, hi, bits))
    })
}

/// The bounds of a float under `spec`'s range: low, high, high included.
fn float_range(spec: &Spec) -> Option<(f64, f64, bool)> {
    let range = spec.range.as_ref()?;
    Some((
        range.floats.0.unwrap_or(f64::MIN),
        range.floats.1.unwrap_or(f64::MAX),
        range.hi_inclusive || range.floats.1.is_none(),
    ))
}

/// Whether `x` is within `spec`'s float range.
pub fn float_fits(x: f64, spec: &Spec) -> bool {
    match float_range(spec) {
        None => true,
        Some((lo, hi, incl)) => x >= lo && (x < hi || (incl && x == hi)),
    }
}

/// WIT's name of a primitive type, for messages.
pub fn type_name(ty: &Type) -> &'static str {
    match ty {
        Type::Bool => "bool",
        Type::U8 => "u8",
        Type::U16 => "u16",
        Type::U32 => "u32",
        Type::U64 => "u64",
        Type::S8 => "s8",
        Type::S16 => "s16",
        Type::S32 => "s32",
        Type::S64 => "s64",
        Type::Float32 => "f32",
        Type::Float64 => "f64",
        Type::Char => "char",
        Type::String => "string",
        Type::List(_) => "list",
        Type::Map(_) => "map",
        Type::Record(_) => "record",
        Type::Tuple(_) => "tuple",
        Type::Variant(_) => "variant",
        Type::Enum(_) => "enum",
        Type::Option(_) => "option",
        Type::Result(_) => "result",
        Type::Flags(_) => "flags",
        Type::Own(_) | Type::Borrow(_) => "resource",
        Type::Future(_) => "future",
        Type::Stream(_) => "stream",
        Type::ErrorContext => "error-context",
        Type::FixedLengthList(_) => "fixed-length list",
    }
}

/// Why values of `ty` cannot be generated under `spec`, if they cannot: a
/// resource, a future or a stream, or a range that leaves an integer type
/// no value.
pub fn check(ty: &Type, spec: &Spec) -> Result<(), String> {
    match ty {
        Type::Own(_) | Type::Borrow(_) | Type::Future(_) | Type::Stream(_) | Type::ErrorContext => {
            Err(format!(
                "it takes a {}, which only the host can make",
                type_name(ty)
            ))
        }
        Type::List(l) => check(&l.ty(), spec),
        Type::FixedLengthList(l) => check(&l.ty(), spec),
        Type::Map(m) => check(&m.key(), spec).and(check(&m.value(), spec)),
        Type::Option(o) => check(&o.ty(), spec),
        Type::Result(r) => r
            .ok()
            .iter()
            .chain(r.err().iter())
            .try_for_each(|t| check(t, spec)),
        Type::Record(r) => r.fields().try_for_each(|f| check(&f.ty, spec)),
        Type::Tuple(t) => t.types().try_for_each(|t| check(&t, spec)),
        Type::Variant(v) => v.cases().try_for_each(|c| match &c.ty {
            Some(t) => check(t, spec),
            None => Ok(()),
        }),
        _ => match int_range(ty, spec) {
            Some(Err(e)) => Err(e),
            _ => Ok(()),
        },
    }
}

/// Values at and near the extremes of an integer type, and across the
/// widths where a narrower integer would wrap.
fn int_edges(lo: i128, hi: i128, bits: u32) -> Vec<i128> {
    let mut out = vec![0, 1, -1, 2, lo, lo + 1, hi, hi - 1];
    for k in [7u32, 8, 15, 16, 31, 32, 53, 63]
        .into_iter()
        .filter(|&k| k < bits)
    {
        let p = 1i128 << k;
        out.extend([p - 1, p, p + 1, -p, -p - 1]);
    }
    out.retain(|v| (lo..=hi).contains(v));
    out
}

/// Characters that exercise UTF-8 and text handling.
const CHAR_EDGES: &[char] = &[
    '\0',
    'a',
    'Z',
    '0',
    ' ',
    '\n',
    '\t',
    '"',
    '\'',
    '\\',
    '@',
    '.',
    '/',
    '\u{7f}',
    '\u{80}',
    '\u{ff}',
    '\u{100}',
    '\u{7ff}',
    '\u{800}',
    '\u{d7ff}',
    '\u{e000}',
    '\u{fffd}',
    '\u{feff}',
    '\u{ffff}',
    '\u{10000}',
    '\u{1f600}',
    '\u{10ffff}',
    '\u{301}',
    '\u{200b}',
    'é',
    'ß',
    'İ',
    'ﬃ',
    '\u{130}',
];

fn float_edges64() -> [f64; 16] {
    [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        f64::MAX,
        f64::MIN,
        f64::EPSILON,
        f64::from_bits(1),
        4_294_967_296.0,
        9_007_199_254_740_993.0,
    ]
}

fn float_edges32() -> [f32; 14] {
    [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MIN_POSITIVE,
        f32::MAX,
        f32::MIN,
        f32::EPSILON,
        f32::from_bits(1),
        16_777_217.0,
    ]
}

/// Generates values: one [`Generator`] per input.
pub struct Generator<'a> {
    /// The randomness.
    pub rng: &'a mut Rng,
    /// How often an edge case is picked: one time in `edge_odds`.
    pub edge_odds: u64,
}

impl Generator<'_> {
    /// A value of `ty` under `spec` (checked with [`check`]).
    pub fn value(&mut self, ty: &Type, spec: &Spec) -> Val {
        self.at(ty, spec, 0)
    }

    fn edge(&mut self) -> bool {
        self.rng.one_in(self.edge_odds)
    }

    /// A length: empty or full often, anything in between otherwise.
    fn len(&mut self, max: usize) -> usize {
        match self.rng.below(8) {
            0 => 0,
            1 => max,
            _ => self.rng.below(max as u64 + 1) as usize,
        }
    }

    fn at(&mut self, ty: &Type, spec: &Spec, depth: u32) -> Val {
        let max = spec.max_len >> depth.min(63);
        let d = depth + 1;
        match ty {
            Type::Bool => Val::Bool(self.rng.one_in(2)),
            Type::U8
            | Type::U16
            | Type::U32
            | Type::U64
            | Type::S8
            | Type::S16
            | Type::S32
            | Type::S64 => {
                let (lo, hi, bits) = match int_range(ty, spec) {
                    Some(Ok(b)) => b,
                    // `check` refused these already.
                    _ => int_bounds(ty).unwrap_or((0, 0, 8)),
                };
                int_val(ty, self.int(lo, hi, bits))
            }
            Type::Float32 => Val::Float32(self.f32(spec)),
            Type::Float64 => Val::Float64(self.f64(spec)),
            Type::Char => Val::Char(self.char()),
            Type::String => {
                let n = if self.edge() {
                    *self.rng.pick(&[0, 1, spec.max_len])
                } else {
                    self.len(spec.max_len)
                };
                // Mostly one kind of text per string, as real inputs are.
                let style = self.rng.below(4);
                Val::String(
                    (0..n)
                        .map(|_| match style {
                            0 => self.ascii_char(),
                            _ => self.char(),
                        })
                        .collect(),
                )
            }
            Type::List(l) => {
                let n = self.len(max);
                let elem = l.ty();
                Val::List((0..n).map(|_| self.at(&elem, spec, d)).collect())
            }
            Type::FixedLengthList(l) => {
                let elem = l.ty();
                Val::FixedLengthList((0..l.len()).map(|_| self.at(&elem, spec, d)).collect())
            }
            Type::Map(m) => {
                let n = self.len(max);
                let (k, v) = (m.key(), m.value());
                Val::Map(
                    (0..n)
                        .map(|_| (self.at(&k, spec, d), self.at(&v, spec, d)))
                        .collect(),
                )
            }
            Type::Record(r) => Val::Record(
                r.fields()
                    .map(|f| (f.name.to_string(), self.at(&f.ty, spec, d)))
                    .collect(),
            ),
            Type::Tuple(t) => Val::Tuple(t.types().map(|t| self.at(&t, spec, d)).collect()),
            Type::Variant(v) => {
                let cases: Vec<_> = v.cases().collect();
                let case = &cases[self.rng.below(cases.len() as u64) as usize];
                Val::Variant(
                    case.name.to_string(),
                    case.ty.as_ref().map(|t| Box::new(self.at(t, spec, d))),
                )
            }
            Type::Enum(e) => {
                let names: Vec<&str> = e.names().collect();
                Val::Enum(self.rng.pick(&names).to_string())
            }
            Type::Option(o) => {
                if self.rng.one_in(4) {
                    Val::Option(None)
                } else {
                    Val::Option(Some(Box::new(self.at(&o.ty(), spec, d))))
                }
            }
            Type::Result(r) => {
                if self.rng.one_in(2) {
                    Val::Result(Ok(r.ok().map(|t| Box::new(self.at(&t, spec, d)))))
                } else {
                    Val::Result(Err(r.err().map(|t| Box::new(self.at(&t, spec, d)))))
                }
            }
            Type::Flags(f) => Val::Flags(
                f.names()
                    .filter(|_| self.rng.one_in(2))
                    .map(str::to_string)
                    .collect(),
            ),
            // `check` refused these already.
            Type::Own(_)
            | Type::Borrow(_)
            | Type::Future(_)
            | Type::Stream(_)
            | Type::ErrorContext => Val::Bool(false),
        }
    }

    fn int(&mut self, lo: i128, hi: i128, bits: u32) -> i128 {
        if self.edge() {
            let edges = int_edges(lo, hi, bits);
            if !edges.is_empty() {
                return *self.rng.pick(&edges);
            }
        }
        match self.rng.below(4) {
            // Small numbers, where most branches are.
            0 => {
                let v = self.rng.between(-16, 100);
                if (lo..=hi).contains(&v) {
                    v
                } else {
                    self.rng.between(lo, hi)
                }
            }
            // A random width, so that every magnitude comes up.
            1 | 2 => {
                let width = self.rng.below(u64::from(bits) + 1) as u32;
                let raw = if width == 0 {
                    0
                } else {
                    i128::from(self.rng.next_u64() >> (64 - width))
                };
                let v = if lo < 0 && self.rng.one_in(2) {
                    -raw
                } else {
                    raw
                };
                if (lo..=hi).contains(&v) {
                    v
                } else {
                    lo + (v - lo).rem_euclid(hi - lo + 1)
                }
            }
            _ => self.rng.between(lo, hi),
        }
    }

    fn f64(&mut self, spec: &Spec) -> f64 {
        if let Some((lo, hi, incl)) = float_range(spec) {
            if self.edge() {
                let mut edges = vec![lo, 0.0, (lo / 2.0 + hi / 2.0)];
                if incl {
                    edges.push(hi);
                }
                edges.retain(|&x| float_fits(x, spec));
                if !edges.is_empty() {
                    return *self.rng.pick(&edges);
                }
            }
            for _ in 0..8 {
                let x = lo + (hi - lo) * self.rng.unit();
                let x = if x.is_finite() {
                    x
                } else {
                    lo / 2.0 + (hi / 2.0 - lo / 2.0) * self.rng.unit() * 2.0
                };
                if float_fits(x, spec) {
                    return x;
                }
            }
            return lo;
        }
        if self.edge() {
            return *self.rng.pick(&float_edges64());
        }
        match self.rng.below(4) {
            0 => f64::from_bits(self.rng.next_u64()),
            1 => self.rng.between(-100, 100) as f64,
            2 => self.rng.between(-1_000_000, 1_000_000) as f64 / 1000.0,
            _ => {
                let exp = self.rng.between(-300, 300) as i32;
                let x = (self.rng.unit() + 0.5) * 10f64.powi(exp);
                if self.rng.one_in(2) { -x } else { x }
            }
        }
    }

    fn f32(&mut self, spec: &Spec) -> f32 {
        if spec.range.is_some() {
            for _ in 0..8 {
                let x = self.f64(spec) as f32;
                if float_fits(f64::from(x), spec) {
                    return x;
                }
            }
            return float_range(spec).map_or(0.0, |r| r.0 as f32);
        }
        if self.edge() {
            return *self.rng.pick(&float_edges32());
        }
        match self.rng.below(4) {
            0 => f32::from_bits(self.rng.next_u64() as u32),
            1 => self.rng.between(-100, 100) as f32,
            2 => self.rng.between(-1_000_000, 1_000_000) as f32 / 1000.0,
            _ => {
                let exp = self.rng.between(-37, 37) as i32;
                let x = (self.rng.unit() as f32 + 0.5) * 10f32.powi(exp);
                if self.rng.one_in(2) { -x } else { x }
            }
        }
    }

    fn ascii_char(&mut self) -> char {
        char::from(self.rng.between(0x20, 0x7e) as u8)
    }

    /// Any Unicode scalar value, ASCII most often.
    fn char(&mut self) -> char {
        if self.edge() {
            return *self.rng.pick(CHAR_EDGES);
        }
        match self.rng.below(8) {
            0..=3 => self.ascii_char(),
            4 => char::from(self.rng.below(0x80) as u8),
            5 => char::from_u32(self.rng.between(0x80, 0x7ff) as u32).unwrap_or('\u{fffd}'),
            _ => loop {
                if let Some(c) = char::from_u32(self.rng.between(0, 0x10_ffff) as u32) {
                    break c;
                }
            },
        }
    }
}

/// An integer of type `ty` (whose range holds `v`).
pub fn int_val(ty: &Type, v: i128) -> Val {
    match ty {
        Type::U8 => Val::U8(v as u8),
        Type::U16 => Val::U16(v as u16),
        Type::U32 => Val::U32(v as u32),
        Type::U64 => Val::U64(v as u64),
        Type::S8 => Val::S8(v as i8),
        Type::S16 => Val::S16(v as i16),
        Type::S32 => Val::S32(v as i32),
        _ => Val::S64(v as i64),
    }
}

/// The integer in an integer `Val`.
pub fn int_of(val: &Val) -> Option<i128> {
    Some(match val {
        Val::U8(v) => (*v).into(),
        Val::U16(v) => (*v).into(),
        Val::U32(v) => (*v).into(),
        Val::U64(v) => (*v).into(),
        Val::S8(v) => (*v).into(),
        Val::S16(v) => (*v).into(),
        Val::S32(v) => (*v).into(),
        Val::S64(v) => (*v).into(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_repeats_for_a_seed() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        let xs: Vec<u64> = (0..16).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..16).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(
            xs,
            (0..16).map(|_| Rng::new(8).next_u64()).collect::<Vec<_>>()
        );
        let mut r = Rng::new(1);
        for _ in 0..1000 {
            assert!((-3..=3).contains(&r.between(-3, 3)));
            assert!(r.below(5) < 5);
            assert!((0.0..1.0).contains(&r.unit()));
        }
        assert!(
            (0..100)
                .any(|_| r.between(i128::from(i64::MIN), i128::from(u64::MAX))
                    > i128::from(i64::MAX))
        );
    }

    #[test]
    fn ranges_parse_into_integer_and_float_bounds() {
        let r = NumRange::parse("1..=100").unwrap();
        assert_eq!(r.ints, (Some(1), Some(100)));
        assert_eq!(r.floats, (Some(1.0), Some(100.0)));
        let r = NumRange::parse("-5..").unwrap();
        assert_eq!(r.ints, (Some(-5), None));
        let r = NumRange::parse("..10").unwrap();
        assert_eq!(r.ints, (None, Some(9)));
        let r = NumRange::parse("-1.5..2.0").unwrap();
        assert_eq!(r.ints, (Some(-1), Some(1)));
        assert_eq!(r.floats, (Some(-1.5), Some(2.0)));
        assert!(!r.hi_inclusive);
        assert!(NumRange::parse("1-2").is_err());
        assert!(NumRange::parse("a..=b").is_err());
    }

    #[test]
    fn integers_keep_to_their_type_and_range() {
        let spec = Spec {
            max_len: 4,
            range: Some(NumRange::parse("-3..=300").unwrap()),
        };
        let mut rng = Rng::new(3);
        let mut g = Generator {
            rng: &mut rng,
            edge_odds: 3,
        };
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..2000 {
            let v = int_of(&g.value(&Type::U8, &spec)).unwrap();
            assert!((0..=255).contains(&v), "{v}");
            seen.insert(v);
            let v = int_of(&g.value(&Type::S16, &spec)).unwrap();
            assert!((-3..=300).contains(&v), "{v}");
        }
        assert!(
            seen.contains(&0) && seen.contains(&255),
            "the extremes come up"
        );
        let bad = Spec {
            max_len: 4,
            range: Some(NumRange::parse("300..=400").unwrap()),
        };
        assert!(check(&Type::U8, &bad).unwrap_err().contains("has no u8"));
        assert!(check(&Type::U16, &bad).is_ok());
    }

    #[test]
    fn edges_come_up_and_floats_keep_to_a_range() {
        let mut rng = Rng::new(11);
        let mut g = Generator {
            rng: &mut rng,
            edge_odds: 4,
        };
        let free = Spec {
            max_len: 8,
            range: None,
        };
        let floats: Vec<f64> = (0..2000)
            .map(|_| match g.value(&Type::Float64, &free) {
                Val::Float64(x) => x,
                _ => unreachable!(),
            })
            .collect();
        assert!(floats.iter().any(|x| x.is_nan()));
        assert!(floats.contains(&f64::INFINITY));
        assert!(floats.iter().any(|x| x.to_bits() == (-0.0f64).to_bits()));
        let strings: Vec<String> = (0..2000)
            .map(|_| match g.value(&Type::String, &free) {
                Val::String(s) => s,
                _ => unreachable!(),
            })
            .collect();
        assert!(strings.iter().any(String::is_empty));
        assert!(strings.iter().any(|s| s.chars().count() == 8));
        assert!(strings.iter().all(|s| s.chars().count() <= 8));
        assert!(strings.iter().any(|s| !s.is_ascii()));
        let narrow = Spec {
            max_len: 8,
            range: Some(NumRange::parse("-1.0..1.0").unwrap()),
        };
        for _ in 0..2000 {
            match g.value(&Type::Float32, &narrow) {
                Val::Float32(x) => assert!((-1.0..1.0).contains(&x), "{x}"),
                _ => unreachable!(),
            }
        }
    }
}
