//! Round trips through real components: build the example plugins with
//! `ferrite-plugin-build` (what `cargo ferrite-plugin build` runs), load them
//! in wasmtime, call every export with values of every mapped type (fixed edge
//! cases and seeded random ones), and compare each result with the same Rust
//! function called natively.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use cargo_ferrite_plugin::shell::{Color, Shell, Verbosity};
use every_type::shapes::deep::Circle;
use every_type::shapes::{Point, Shape};
use every_type::{Color as Rgb, Keywords, Mixed, Thing, Wide};
use ferrite_plugin::PluginError;
use ferrite_plugin_build::{BuildOptions, build};
use wasmtime::component::{Component, Instance, Linker, Val, wasm_wave};
use wasmtime::{Engine, ResourceLimiter, Store};

/// Builds the test plugins once per test binary; name → component bytes.
fn components() -> &'static HashMap<String, Vec<u8>> {
    static BUILT: OnceLock<HashMap<String, Vec<u8>>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let opts = BuildOptions {
            release: false,
            manifest_path: Some(root.join("Cargo.toml")),
            packages: vec![
                "every_type".into(),
                "validate_email".into(),
                "geo_fence".into(),
            ],
            tests: false,
            ferrite_version: None,
        };
        let mut shell = Shell::new(Verbosity::Quiet, Color::Never);
        build(&mut shell, &opts)
            .expect("the test plugins build")
            .into_iter()
            .map(|b| (b.manifest.plugin.name, b.component.bytes))
            .collect()
    })
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(Engine::default)
}

#[derive(Default)]
struct Host {
    panic: Option<String>,
    peak_memory: usize,
}

impl ResourceLimiter for Host {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.peak_memory = self.peak_memory.max(desired);
        Ok(true)
    }
    fn table_growing(
        &mut self,
        _current: usize,
        _desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(true)
    }
}

struct Plugin {
    store: Store<Host>,
    instance: Instance,
}

impl Plugin {
    fn load(name: &str) -> Plugin {
        let engine = engine();
        let component =
            Component::new(engine, &components()[name]).expect("the component compiles");
        let mut linker = Linker::<Host>::new(engine);
        linker
            .instance("ferrite:plugin/runtime@0.2.0")
            .unwrap()
            .func_wrap(
                "report-panic",
                |mut store, (message, file, line, column): (String, String, u32, u32)| {
                    store.data_mut().panic = Some(format!("{message} at {file}:{line}:{column}"));
                    Ok(())
                },
            )
            .unwrap();
        let mut store = Store::new(engine, Host::default());
        store.limiter(|h| h as &mut dyn ResourceLimiter);
        let instance = linker
            .instantiate(&mut store, &component)
            .expect("it instantiates");
        Plugin { store, instance }
    }

    /// Calls `func` with WAVE arguments; returns its result (if any).
    fn call(&mut self, func: &str, args: &[String]) -> wasmtime::Result<Option<Val>> {
        let f = self
            .instance
            .get_func(&mut self.store, func)
            .unwrap_or_else(|| panic!("`{func}` is exported"));
        let ty = f.ty(&self.store);
        let params: Vec<Val> = ty
            .params()
            .zip(args)
            .map(|((name, t), a)| {
                wasm_wave::from_str::<Val>(&t, a).unwrap_or_else(|e| {
                    panic!("`{func}` parameter `{name}`: `{a}` is not WAVE for its type: {e}")
                })
            })
            .collect();
        assert_eq!(params.len(), args.len(), "`{func}` arity");
        let mut results = vec![Val::Bool(false); ty.results().len()];
        f.call(&mut self.store, &params, &mut results)?;
        Ok(results.pop())
    }

    /// Calls `func` and compares with `native`, the WAVE of the native result.
    fn check(&mut self, func: &str, args: &[String], native: Option<String>) {
        let f = self.instance.get_func(&mut self.store, func).unwrap();
        let result_ty = f.ty(&self.store).results().next();
        let got = self
            .call(func, args)
            .unwrap_or_else(|e| panic!("{func}({}) failed: {e:?}", args.join(", ")));
        let want = native.map(|text| {
            wasm_wave::from_str::<Val>(result_ty.as_ref().expect("a result type"), &text)
                .unwrap_or_else(|e| panic!("native result `{text}` of `{func}` is not WAVE: {e}"))
        });
        assert_eq!(
            got,
            want,
            "{func}({}): component returned {}, native Rust returned {}",
            args.join(", "),
            got.as_ref()
                .map_or("nothing".into(), |v| wasm_wave::to_string(v).unwrap()),
            want.as_ref()
                .map_or("nothing".into(), |v| wasm_wave::to_string(v).unwrap()),
        );
    }
}

/// WAVE text for a native value.
trait Wave {
    fn wave(&self) -> String;
    /// `None` for `()`: no result.
    fn result(&self) -> Option<String> {
        Some(self.wave())
    }
}

macro_rules! wave_display {
    ($($t:ty),*) => {$(impl Wave for $t { fn wave(&self) -> String { self.to_string() } })*};
}
wave_display!(bool, u8, u16, u32, u64, i8, i16, i32, i64);

macro_rules! wave_float {
    ($($t:ty),*) => {$(impl Wave for $t {
        fn wave(&self) -> String {
            if self.is_nan() { "nan".into() }
            else if self.is_infinite() { if *self > 0.0 { "inf".into() } else { "-inf".into() } }
            else { format!("{:?}", self) }
        }
    })*};
}
wave_float!(f32, f64);

fn escape(c: char) -> String {
    if c.is_ascii_alphanumeric() || c == ' ' {
        c.to_string()
    } else {
        format!("\\u{{{:x}}}", c as u32)
    }
}

impl Wave for char {
    fn wave(&self) -> String {
        format!("'{}'", escape(*self))
    }
}
impl Wave for str {
    fn wave(&self) -> String {
        format!("\"{}\"", self.chars().map(escape).collect::<String>())
    }
}
impl Wave for String {
    fn wave(&self) -> String {
        self.as_str().wave()
    }
}
impl<T: Wave + ?Sized> Wave for &T {
    fn wave(&self) -> String {
        (**self).wave()
    }
}
impl<T: Wave> Wave for [T] {
    fn wave(&self) -> String {
        format!(
            "[{}]",
            self.iter().map(Wave::wave).collect::<Vec<_>>().join(", ")
        )
    }
}
impl<T: Wave> Wave for Vec<T> {
    fn wave(&self) -> String {
        self.as_slice().wave()
    }
}
impl<T: Wave> Wave for Option<T> {
    fn wave(&self) -> String {
        self.as_ref()
            .map_or("none".into(), |v| format!("some({})", v.wave()))
    }
}
impl Wave for () {
    fn wave(&self) -> String {
        unreachable!("`()` is only a result or a result side")
    }
    fn result(&self) -> Option<String> {
        None
    }
}
impl<T: Wave, E: Wave> Wave for Result<T, E> {
    fn wave(&self) -> String {
        let side =
            |name: &str, v: Option<String>| v.map_or(name.to_string(), |v| format!("{name}({v})"));
        match self {
            Ok(v) => side("ok", v.result()),
            Err(e) => side("err", e.result()),
        }
    }
}
macro_rules! wave_tuple {
    ($(($($t:ident $i:tt),+))*) => {$(impl<$($t: Wave),+> Wave for ($($t,)+) {
        fn wave(&self) -> String { format!("({})", [$(self.$i.wave()),+].join(", ")) }
    })*};
}
wave_tuple! {
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7)
}

macro_rules! wave_record {
    ($t:ty { $($field:ident => $label:literal),+ }) => {
        impl Wave for $t {
            fn wave(&self) -> String {
                format!("{{{}}}", [$(format!("{}: {}", $label, self.$field.wave())),+].join(", "))
            }
        }
    };
}
wave_record!(Point { x => "x", y => "y" });
wave_record!(Circle { center => "center", radius => "radius" });
wave_record!(Keywords { list => "list", record => "record", r#type => "type" });
wave_record!(Thing { original => "alias" });
wave_record!(Wide {
    a => "a", b => "b", c => "c", d => "d", e => "e", f => "f", g => "g", h => "h",
    i => "i", j => "j", k => "k", l => "l", m => "m", n => "n", o => "o", p => "p"
});
wave_record!(geo_fence::Point { lat => "lat", lon => "lon" });
wave_record!(geo_fence::Fence { name => "name", polygon => "polygon" });

impl Wave for Rgb {
    fn wave(&self) -> String {
        format!("{self:?}").to_lowercase()
    }
}
impl Wave for Shape {
    fn wave(&self) -> String {
        match self {
            Shape::Circle(c) => format!("circle({})", c.wave()),
            Shape::Polygon(p) => format!("polygon({})", p.wave()),
            Shape::Empty => "empty".into(),
        }
    }
}
impl Wave for Mixed {
    fn wave(&self) -> String {
        match self {
            Mixed::I(v) => format!("i({})", v.wave()),
            Mixed::F(v) => format!("f({})", v.wave()),
            Mixed::L(v) => format!("l({})", v.wave()),
            Mixed::D(v) => format!("d({})", v.wave()),
            Mixed::S(v) => format!("s({})", v.wave()),
            Mixed::B(v) => format!("b({})", v.wave()),
            Mixed::N => "n".into(),
        }
    }
}
impl Wave for PluginError {
    fn wave(&self) -> String {
        let (case, msg) = match self {
            PluginError::PermissionDenied(m) => ("permission-denied", m),
            PluginError::NotFound(m) => ("not-found", m),
            PluginError::InvalidArgument(m) => ("invalid-argument", m),
            PluginError::Host(m) => ("host", m),
        };
        format!("{case}({})", msg.wave())
    }
}
impl Wave for geo_fence::Unit {
    fn wave(&self) -> String {
        format!("{self:?}").to_lowercase()
    }
}
impl Wave for geo_fence::Placement {
    fn wave(&self) -> String {
        match self {
            geo_fence::Placement::Inside => "inside".into(),
            geo_fence::Placement::Outside => "outside".into(),
            geo_fence::Placement::OnEdge => "on-edge".into(),
        }
    }
}
impl Wave for geo_fence::GeoError {
    fn wave(&self) -> String {
        match self {
            geo_fence::GeoError::TooFewVertices(n) => format!("too-few-vertices({n})"),
            geo_fence::GeoError::InvalidPoint(p) => format!("invalid-point({})", p.wave()),
        }
    }
}

/// Calls `$module::$f` natively and as export `$wit`, and compares.
macro_rules! same {
    ($plugin:expr, $wit:literal, $module:ident :: $f:ident ( $($arg:expr),* $(,)? )) => {{
        let args: Vec<String> = vec![$(Wave::wave(&$arg)),*];
        let native = $module::$f($($arg),*);
        $plugin.check($wit, &args, Wave::result(&native));
    }};
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn f64(&mut self) -> f64 {
        match self.below(8) {
            0 => 0.0,
            1 => -0.0,
            2 => f64::MAX,
            3 => f64::MIN_POSITIVE,
            4 => f64::INFINITY,
            _ => (self.next() as i64 as f64) / 1e6,
        }
    }
    fn f32(&mut self) -> f32 {
        self.f64() as f32
    }
    fn char(&mut self) -> char {
        loop {
            let code = match self.below(3) {
                0 => self.below(0x80),
                1 => self.below(0x800),
                _ => self.below(0x11_0000),
            } as u32;
            if let Some(c) = char::from_u32(code) {
                return c;
            }
        }
    }
    fn string(&mut self) -> String {
        let n = self.below(20);
        (0..n).map(|_| self.char()).collect()
    }
    fn bytes(&mut self) -> Vec<u8> {
        let n = self.below(40);
        (0..n).map(|_| self.next() as u8).collect()
    }
    fn point(&mut self) -> Point {
        Point {
            x: self.f64(),
            y: self.f64(),
        }
    }
    fn color(&mut self) -> Rgb {
        [Rgb::Red, Rgb::Green, Rgb::Blue][self.below(3) as usize]
    }
}

#[test]
fn every_scalar_type_round_trips() {
    let mut p = Plugin::load("every_type");
    for b in [true, false] {
        same!(p, "echo-bool", every_type::echo_bool(b));
    }
    same!(
        p,
        "echo-ints",
        every_type::echo_ints(0, 0, 0, 0, 0, 0, 0, 0)
    );
    same!(
        p,
        "echo-ints",
        every_type::echo_ints(
            u8::MAX,
            u16::MAX,
            u32::MAX,
            u64::MAX,
            i8::MIN,
            i16::MIN,
            i32::MIN,
            i64::MIN
        )
    );
    same!(
        p,
        "echo-ints",
        every_type::echo_ints(1, 2, 3, 4, i8::MAX, i16::MAX, i32::MAX, i64::MAX)
    );
    for (a, b) in [
        (0.0f32, 0.0f64),
        (-0.0, -0.0),
        (1.5, -2.25),
        (f32::MAX, f64::MIN),
        (f32::INFINITY, f64::NEG_INFINITY),
        (f32::NAN, f64::NAN),
    ] {
        same!(p, "echo-floats", every_type::echo_floats(a, b));
    }
    for c in ['a', 'é', '€', '𝄞', '\0', '\u{10fffe}'] {
        same!(p, "next-char", every_type::next_char(c));
    }
    let mut rng = Rng(0x5eed);
    for _ in 0..200 {
        let v = (
            rng.next() as u8,
            rng.next() as u16,
            rng.next() as u32,
            rng.next(),
            rng.next() as i8,
            rng.next() as i16,
            rng.next() as i32,
            rng.next() as i64,
        );
        same!(
            p,
            "echo-ints",
            every_type::echo_ints(v.0, v.1, v.2, v.3, v.4, v.5, v.6, v.7)
        );
        let (a, b) = (rng.f32(), rng.f64());
        same!(p, "echo-floats", every_type::echo_floats(a, b));
        let c = rng.char();
        same!(p, "next-char", every_type::next_char(c));
    }
}

#[test]
fn strings_and_lists_round_trip() {
    let mut p = Plugin::load("every_type");
    for s in ["", "hello", "héllo wörld", "🦀 crab", &"x".repeat(10_000)] {
        same!(p, "shout", every_type::shout(s.to_string()));
        same!(p, "count-chars", every_type::count_chars(s));
    }
    same!(p, "sum", every_type::sum(&Vec::<i64>::new()));
    same!(p, "sum", every_type::sum(&vec![1, -2, i64::MAX, i64::MIN]));
    same!(
        p,
        "reverse-bytes",
        every_type::reverse_bytes(Vec::<u8>::new())
    );
    same!(p, "echo-chars", every_type::echo_chars(vec!['a', '€', '𝄞']));
    same!(
        p,
        "negate-all",
        every_type::negate_all(vec![true, false, true])
    );
    same!(
        p,
        "nested-lists",
        every_type::nested_lists(Vec::<Vec<String>>::new())
    );
    same!(
        p,
        "nested-lists",
        every_type::nested_lists(vec![
            vec![],
            vec![String::from("a"), String::new()],
            vec![String::from("ü")]
        ])
    );
    same!(p, "list", every_type::list(0));
    same!(p, "list", every_type::list(1000));
    let mut rng = Rng(42);
    for _ in 0..200 {
        let s = rng.string();
        same!(p, "shout", every_type::shout(s.clone()));
        same!(p, "count-chars", every_type::count_chars(&s));
        let b = rng.bytes();
        same!(p, "reverse-bytes", every_type::reverse_bytes(b.clone()));
        let v: Vec<i64> = (0..rng.below(10)).map(|_| rng.next() as i64 >> 8).collect();
        same!(p, "sum", every_type::sum(&v));
        let chars: Vec<char> = (0..rng.below(10)).map(|_| rng.char()).collect();
        same!(p, "echo-chars", every_type::echo_chars(chars.clone()));
        let nested: Vec<Vec<String>> = (0..rng.below(4))
            .map(|_| (0..rng.below(4)).map(|_| rng.string()).collect())
            .collect();
        same!(p, "nested-lists", every_type::nested_lists(nested.clone()));
    }
}

#[test]
fn options_results_and_tuples_round_trip() {
    let mut p = Plugin::load("every_type");
    same!(p, "maybe-len", every_type::maybe_len(None::<String>));
    same!(
        p,
        "maybe-len",
        every_type::maybe_len(Some(String::from("four")))
    );
    for o in [None, Some(3.0f32), Some(-0.5), Some(f32::INFINITY)] {
        same!(p, "halve", every_type::halve(o));
    }
    for r in [
        Ok(21u32),
        Ok(u32::MAX),
        Err(String::new()),
        Err("nope".to_string()),
    ] {
        same!(p, "double-ok", every_type::double_ok(r.clone()));
    }
    same!(p, "check", every_type::check(false));
    same!(p, "check", every_type::check(true));
    same!(p, "swap", every_type::swap((7, String::from("seven"), 7.5)));
    same!(p, "nothing", every_type::nothing());
    for kind in 0..5 {
        same!(p, "fail-with", every_type::fail_with(kind));
    }
    let mut rng = Rng(7);
    for _ in 0..100 {
        let t = (rng.next() as u8, rng.string(), rng.f64());
        same!(p, "swap", every_type::swap(t.clone()));
        let deep = match rng.below(3) {
            0 => None,
            1 => Some(Err(PluginError::InvalidArgument(rng.string()))),
            _ => Some(Ok((0..rng.below(5))
                .map(|_| {
                    (
                        rng.point(),
                        if rng.below(2) == 0 {
                            None
                        } else {
                            Some(rng.color())
                        },
                    )
                })
                .collect())),
        };
        same!(p, "deep", every_type::deep(deep.clone()));
    }
}

#[test]
fn records_enums_and_variants_round_trip() {
    let mut p = Plugin::load("every_type");
    let a = Point { x: 1.0, y: 2.0 };
    let b = Point { x: -3.0, y: 4.5 };
    same!(p, "midpoint", every_type::midpoint(a, b));
    let circle = Shape::Circle(Circle {
        center: a,
        radius: 2.0,
    });
    let square = Shape::Polygon(vec![
        Point { x: 0.0, y: 0.0 },
        Point { x: 0.0, y: 1.0 },
        Point { x: 1.0, y: 1.0 },
        Point { x: 1.0, y: 0.0 },
    ]);
    for s in [
        circle.clone(),
        square.clone(),
        Shape::Empty,
        Shape::Polygon(vec![]),
    ] {
        same!(p, "area", every_type::area(s.clone()));
        same!(p, "grow", every_type::grow(s.clone(), 0.5));
    }
    for c in [Rgb::Red, Rgb::Green, Rgb::Blue] {
        same!(p, "next-color", every_type::next_color(c));
    }
    for m in [
        Mixed::I(-1),
        Mixed::F(1.25),
        Mixed::L(i64::MIN),
        Mixed::D(-2.5e300),
        Mixed::S("s".into()),
        Mixed::B(255),
        Mixed::N,
    ] {
        same!(p, "echo-mixed", every_type::echo_mixed(m.clone()));
    }
    same!(
        p,
        "echo-keywords",
        every_type::echo_keywords(Keywords {
            list: 1,
            record: String::from("r"),
            r#type: true
        })
    );
    same!(
        p,
        "renamed-fn",
        every_type::original_name(Thing { original: u16::MAX })
    );
    same!(p, "centroid", every_type::centroid(&Vec::<Point>::new()));
    same!(p, "centroid", every_type::centroid(&vec![a, b]));
    let mut rng = Rng(99);
    for _ in 0..100 {
        let w = Wide {
            a: rng.next() as u8,
            b: rng.next() as u16,
            c: rng.next() as u32,
            d: rng.next(),
            e: rng.next() as i8,
            f: rng.next() as i16,
            g: rng.next() as i32,
            h: rng.next() as i64,
            i: rng.f32(),
            j: rng.f64(),
            k: rng.char(),
            l: rng.below(2) == 0,
            m: rng.string(),
            n: rng.bytes(),
            o: if rng.below(2) == 0 {
                None
            } else {
                Some(rng.next() as u32)
            },
            p: (rng.next() as u8, rng.next() as u8),
        };
        same!(p, "echo-wide", every_type::echo_wide(w.clone()));
        let m = match rng.below(7) {
            0 => Mixed::I(rng.next() as i32),
            1 => Mixed::F(rng.f32()),
            2 => Mixed::L(rng.next() as i64),
            3 => Mixed::D(rng.f64()),
            4 => Mixed::S(rng.string()),
            5 => Mixed::B(rng.next() as u8),
            _ => Mixed::N,
        };
        same!(p, "echo-mixed", every_type::echo_mixed(m.clone()));
        let pts: Vec<Point> = (0..rng.below(6)).map(|_| rng.point()).collect();
        same!(p, "centroid", every_type::centroid(&pts));
    }
}

#[test]
fn seventeen_parameters_travel_through_memory() {
    let mut p = Plugin::load("every_type");
    same!(
        p,
        "many",
        every_type::many(
            1,
            2,
            3,
            4,
            5,
            6,
            7,
            8,
            9,
            10,
            11,
            12,
            13,
            14,
            15,
            16,
            String::from("seventeen")
        )
    );
    same!(
        p,
        "many",
        every_type::many(
            255,
            255,
            255,
            255,
            255,
            255,
            255,
            255,
            255,
            255,
            255,
            255,
            255,
            255,
            255,
            255,
            String::new()
        )
    );
}

#[test]
fn results_and_parameters_are_freed_after_each_call() {
    let mut p = Plugin::load("every_type");
    let big = "x".repeat(16 * 1024);
    let wide = Wide {
        a: 1,
        b: 2,
        c: 3,
        d: 4,
        e: 5,
        f: 6,
        g: 7,
        h: 8,
        i: 9.0,
        j: 10.0,
        k: 'k',
        l: true,
        m: big.clone(),
        n: vec![7; 4096],
        o: Some(1),
        p: (1, 2),
    };
    // Once through WAVE, checked against native Rust...
    same!(p, "shout", every_type::shout(big.clone()));
    same!(p, "echo-wide", every_type::echo_wide(wide.clone()));
    // ...then the same values many times, without re-parsing them.
    let mut calls = Vec::new();
    for (name, arg) in [("shout", big.wave()), ("echo-wide", wide.wave())] {
        let f = p.instance.get_func(&mut p.store, name).unwrap();
        let ty = f.ty(&p.store).params().next().unwrap().1;
        let arg = wasm_wave::from_str::<Val>(&ty, &arg).unwrap();
        let mut first = [Val::Bool(false)];
        f.call(&mut p.store, std::slice::from_ref(&arg), &mut first)
            .unwrap();
        calls.push((f, arg, first[0].clone()));
    }
    for _ in 0..2_000 {
        for (f, arg, expected) in &calls {
            let mut out = [Val::Bool(false)];
            f.call(&mut p.store, std::slice::from_ref(arg), &mut out)
                .unwrap();
            assert_eq!(&out[0], expected);
        }
    }
    // 2,000 rounds moving about 50 KiB each would need 100 MiB if anything leaked.
    let peak = p.store.data().peak_memory;
    assert!(
        peak < 4 << 20,
        "linear memory grew to {peak} bytes: parameters or results leak"
    );
}

#[test]
fn a_panic_reports_its_message_and_location() {
    let mut p = Plugin::load("every_type");
    let err = p
        .call("boom", &["\"the sky is falling\"".into()])
        .unwrap_err();
    let trap = err.downcast_ref::<wasmtime::Trap>().copied();
    assert_eq!(
        trap,
        Some(wasmtime::Trap::UnreachableCodeReached),
        "{err:?}"
    );
    let report = p
        .store
        .data()
        .panic
        .clone()
        .expect("the panic hook reported");
    assert!(
        report.starts_with("the sky is falling at fixtures/every_type/src/lib.rs:"),
        "{report}"
    );
    // A trap poisons the instance (wasmtime refuses to re-enter it), so a
    // fresh one serves the next call.
    let mut p = Plugin::load("every_type");
    same!(p, "echo-bool", every_type::echo_bool(true));
}

#[test]
fn validate_email_matches_native_on_every_case() {
    let mut p = Plugin::load("validate_email");
    let mut cases: Vec<String> = [
        "a@b.co",
        "first.last@example.com",
        "user+tag@sub.example.org",
        "\"john doe\"@example.com",
        "user@[192.168.0.1]",
        "",
        "nobody",
        "@example.com",
        "user@",
        "a..b@example.com",
        "user@example..com",
        "user@[300.1.1.1]",
        "üser@example.com",
        "a@b@c.com",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    cases.push(format!("{}@example.com", "a".repeat(64)));
    cases.push(format!("{}@example.com", "a".repeat(65)));
    let mut rng = Rng(1);
    for _ in 0..300 {
        let alphabet = b"ab.@-+\"\\[]1 ";
        let s: String = (0..rng.below(16))
            .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize] as char)
            .collect();
        cases.push(s);
    }
    for email in cases {
        same!(
            p,
            "validate-email",
            validate_email::validate_email(email.clone())
        );
    }
}

#[test]
fn geo_fence_matches_native() {
    use geo_fence::{Fence, Point as P, Unit};
    let mut p = Plugin::load("geo_fence");
    let square = vec![
        P { lat: 0.0, lon: 0.0 },
        P { lat: 0.0, lon: 1.0 },
        P { lat: 1.0, lon: 1.0 },
        P { lat: 1.0, lon: 0.0 },
    ];
    for q in [
        P { lat: 0.5, lon: 0.5 },
        P { lat: 2.0, lon: 0.5 },
        P { lat: 0.0, lon: 0.5 },
        P {
            lat: 95.0,
            lon: 0.0,
        },
    ] {
        same!(p, "geo-fence", geo_fence::geo_fence(q, square.clone()));
        same!(p, "classify", geo_fence::classify(q, square.clone()));
        same!(p, "classify", geo_fence::classify(q, square[..2].to_vec()));
        for unit in [Unit::Meters, Unit::Kilometers, Unit::Miles] {
            same!(
                p,
                "distance",
                geo_fence::distance(
                    q,
                    P {
                        lat: 48.85,
                        lon: 2.35
                    },
                    unit
                )
            );
            same!(p, "nearest", geo_fence::nearest(q, square.clone(), unit));
        }
        let fences = vec![
            Fence {
                name: "sq".into(),
                polygon: square.clone(),
            },
            Fence {
                name: "far".into(),
                polygon: vec![
                    P {
                        lat: 10.0,
                        lon: 10.0,
                    },
                    P {
                        lat: 10.0,
                        lon: 11.0,
                    },
                    P {
                        lat: 11.0,
                        lon: 10.0,
                    },
                ],
            },
        ];
        same!(p, "locate", geo_fence::locate(q, fences));
    }
    same!(
        p,
        "nearest",
        geo_fence::nearest(P { lat: 0.0, lon: 0.0 }, Vec::<P>::new(), Unit::Meters)
    );
}
