//! Type descriptions that travel from the macros to `cargo ferrite-plugin build`.
//!
//! Each WIT-mapped type implements [`WitType`](crate::WitType), whose `TY`
//! const is a [`Ty`] tree. Generic impls build theirs from their parameters'
//! (`Vec<T>` is `Ty::List(T::TY)`), and the derives build a [`TypeDef`] with
//! the fields' trees, so a function's description is complete even when its
//! types live in other modules.
//!
//! `#[ferrite_plugin::function]` encodes its [`Export`] with [`encode`] at
//! compile time into a static in the [`SECTION`] custom section. The linker
//! concatenates those statics; the CLI reads the section, rebuilds the plugin's
//! WIT world from it, and removes it from the component.
//!
//! # Encoding (version 1)
//!
//! All integers are little-endian; a string is a `u32` byte length and UTF-8.
//!
//! ```text
//! entry   := "FPM1" u32:body-length body
//! body    := u8:kind(0 function, 1 test) str:wit-name str:rust-path str:docs
//!            u32:attr-count (str:key str:value)*
//!            u32:param-count (str:name ty)* u8:has-result ty?
//! ty      := u8:tag ...   0 bool, 1 u8, 2 u16, 3 u32, 4 u64, 5 s8, 6 s16, 7 s32,
//!                         8 s64, 9 f32, 10 f64, 11 char, 12 string,
//!                         13 list ty, 14 option ty,
//!                         15 result u8:(1 ok present | 2 err present) ty? ty?,
//!                         16 tuple u32:n ty*,
//!                         17 def str:wit-name str:rust-path str:docs u8:(0 record,
//!                            1 enum, 2 variant) u32:n item*,
//!                         18 use str:interface str:name
//! item    := record field: str:name str:docs ty
//!            enum case:    str:name str:docs
//!            variant case: str:name str:docs u8:has-payload ty?
//! ```

/// The custom section the function macro writes into.
pub const SECTION: &str = "ferrite-plugin";

/// The magic that starts every entry.
pub const MAGIC: [u8; 4] = *b"FPM1";

/// A WIT type, described by the Rust type that maps to it.
#[derive(Debug)]
pub enum Ty {
    /// `bool`
    Bool,
    /// `u8`
    U8,
    /// `u16`
    U16,
    /// `u32`
    U32,
    /// `u64`
    U64,
    /// `s8`
    S8,
    /// `s16`
    S16,
    /// `s32`
    S32,
    /// `s64`
    S64,
    /// `f32`
    F32,
    /// `f64`
    F64,
    /// `char`
    Char,
    /// `string`
    String,
    /// `list<T>`
    List(&'static Ty),
    /// `option<T>`
    Option(&'static Ty),
    /// `result<T, E>`, either side possibly `_`.
    Result(Option<&'static Ty>, Option<&'static Ty>),
    /// `tuple<...>`
    Tuple(&'static [&'static Ty]),
    /// A record, enum or variant declared in the plugin.
    Def(&'static TypeDef),
    /// A type of the `ferrite:plugin` package, such as `types.error`.
    Use {
        /// The interface within `ferrite:plugin`.
        interface: &'static str,
        /// The type's name in it.
        name: &'static str,
    },
}

/// A named type the plugin declares.
#[derive(Debug)]
pub struct TypeDef {
    /// The kebab-case WIT name.
    pub wit_name: &'static str,
    /// Where it is declared, for messages (`my_plugin::geo::Point`).
    pub rust_path: &'static str,
    /// Doc comment text.
    pub docs: &'static str,
    /// What it is.
    pub kind: DefKind,
}

/// The three kinds of named type.
#[derive(Debug)]
pub enum DefKind {
    /// A struct with named fields.
    Record(&'static [Field]),
    /// An enum whose cases carry no data.
    Enum(&'static [Case]),
    /// An enum whose cases may carry one value.
    Variant(&'static [Case]),
}

/// A record field.
#[derive(Debug)]
pub struct Field {
    /// The kebab-case WIT name.
    pub name: &'static str,
    /// Doc comment text.
    pub docs: &'static str,
    /// Its type.
    pub ty: &'static Ty,
}

/// An enum or variant case.
#[derive(Debug)]
pub struct Case {
    /// The kebab-case WIT name.
    pub name: &'static str,
    /// Doc comment text.
    pub docs: &'static str,
    /// The payload's type, if any.
    pub ty: Option<&'static Ty>,
}

/// What kind of export an entry describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExportKind {
    /// A `#[ferrite_plugin::function]`.
    Function = 0,
    /// A `#[ferrite_plugin::test]`.
    Test = 1,
    /// A `#[ferrite_plugin::command]`: attrs `command` (its name) and `arity`.
    Command = 2,
    /// A `#[ferrite_plugin::hook]`: attrs `event`, `function` and `commands`
    /// (comma-separated, empty for all).
    Hook = 3,
}

/// One exported function.
#[derive(Debug)]
pub struct Export {
    /// Function or test.
    pub kind: ExportKind,
    /// The kebab-case WIT name.
    pub wit_name: &'static str,
    /// Where it is declared (`my_plugin::validate_email`).
    pub rust_path: &'static str,
    /// Doc comment text.
    pub docs: &'static str,
    /// Options, such as a test's `kv` seed file or `should_panic`.
    pub attrs: &'static [(&'static str, &'static str)],
    /// Parameters, in order.
    pub params: &'static [Param],
    /// The result type, or `None` for `()`.
    pub result: Option<&'static Ty>,
}

/// A named parameter.
#[derive(Debug)]
pub struct Param {
    /// The kebab-case WIT name.
    pub name: &'static str,
    /// Its type.
    pub ty: &'static Ty,
}

/// A writer that either measures (`N == 0`) or fills a buffer.
struct Enc<const N: usize> {
    buf: [u8; N],
    pos: usize,
}

impl<const N: usize> Enc<N> {
    const fn byte(&mut self, b: u8) {
        if N != 0 {
            self.buf[self.pos] = b;
        }
        self.pos += 1;
    }

    const fn u32(&mut self, v: u32) {
        let bytes = v.to_le_bytes();
        let mut i = 0;
        while i < 4 {
            self.byte(bytes[i]);
            i += 1;
        }
    }

    const fn str(&mut self, s: &str) {
        let bytes = s.as_bytes();
        self.u32(bytes.len() as u32);
        let mut i = 0;
        while i < bytes.len() {
            self.byte(bytes[i]);
            i += 1;
        }
    }

    const fn ty(&mut self, ty: &Ty) {
        match ty {
            Ty::Bool => self.byte(0),
            Ty::U8 => self.byte(1),
            Ty::U16 => self.byte(2),
            Ty::U32 => self.byte(3),
            Ty::U64 => self.byte(4),
            Ty::S8 => self.byte(5),
            Ty::S16 => self.byte(6),
            Ty::S32 => self.byte(7),
            Ty::S64 => self.byte(8),
            Ty::F32 => self.byte(9),
            Ty::F64 => self.byte(10),
            Ty::Char => self.byte(11),
            Ty::String => self.byte(12),
            Ty::List(t) => {
                self.byte(13);
                self.ty(t);
            }
            Ty::Option(t) => {
                self.byte(14);
                self.ty(t);
            }
            Ty::Result(ok, err) => {
                self.byte(15);
                self.byte(ok.is_some() as u8 | (err.is_some() as u8) << 1);
                if let Some(t) = ok {
                    self.ty(t);
                }
                if let Some(t) = err {
                    self.ty(t);
                }
            }
            Ty::Tuple(items) => {
                self.byte(16);
                self.u32(items.len() as u32);
                let mut i = 0;
                while i < items.len() {
                    self.ty(items[i]);
                    i += 1;
                }
            }
            Ty::Def(def) => {
                self.byte(17);
                self.str(def.wit_name);
                self.str(def.rust_path);
                self.str(def.docs);
                match def.kind {
                    DefKind::Record(fields) => {
                        self.byte(0);
                        self.u32(fields.len() as u32);
                        let mut i = 0;
                        while i < fields.len() {
                            self.str(fields[i].name);
                            self.str(fields[i].docs);
                            self.ty(fields[i].ty);
                            i += 1;
                        }
                    }
                    DefKind::Enum(cases) => {
                        self.byte(1);
                        self.u32(cases.len() as u32);
                        let mut i = 0;
                        while i < cases.len() {
                            self.str(cases[i].name);
                            self.str(cases[i].docs);
                            i += 1;
                        }
                    }
                    DefKind::Variant(cases) => {
                        self.byte(2);
                        self.u32(cases.len() as u32);
                        let mut i = 0;
                        while i < cases.len() {
                            self.str(cases[i].name);
                            self.str(cases[i].docs);
                            match cases[i].ty {
                                Some(t) => {
                                    self.byte(1);
                                    self.ty(t);
                                }
                                None => self.byte(0),
                            }
                            i += 1;
                        }
                    }
                }
            }
            Ty::Use { interface, name } => {
                self.byte(18);
                self.str(interface);
                self.str(name);
            }
        }
    }

    const fn body(&mut self, e: &Export) {
        self.byte(e.kind as u8);
        self.str(e.wit_name);
        self.str(e.rust_path);
        self.str(e.docs);
        self.u32(e.attrs.len() as u32);
        let mut i = 0;
        while i < e.attrs.len() {
            self.str(e.attrs[i].0);
            self.str(e.attrs[i].1);
            i += 1;
        }
        self.u32(e.params.len() as u32);
        let mut i = 0;
        while i < e.params.len() {
            self.str(e.params[i].name);
            self.ty(e.params[i].ty);
            i += 1;
        }
        match e.result {
            Some(t) => {
                self.byte(1);
                self.ty(t);
            }
            None => self.byte(0),
        }
    }
}

const fn body_len(e: &Export) -> usize {
    let mut m = Enc::<0> { buf: [], pos: 0 };
    m.body(e);
    m.pos
}

/// The number of bytes [`encode`] writes for `e`.
pub const fn encoded_len(e: &Export) -> usize {
    MAGIC.len() + 4 + body_len(e)
}

/// Encodes `e` as one section entry; `N` must be [`encoded_len`]`(e)`.
pub const fn encode<const N: usize>(e: &Export) -> [u8; N] {
    let mut w = Enc::<N> {
        buf: [0; N],
        pos: 0,
    };
    let mut i = 0;
    while i < MAGIC.len() {
        w.byte(MAGIC[i]);
        i += 1;
    }
    w.u32(body_len(e) as u32);
    w.body(e);
    assert!(w.pos == N, "encoded length mismatch");
    w.buf
}
