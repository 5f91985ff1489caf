//! Reads the `ferrite-plugin` custom section that `#[ferrite_plugin::function]`
//! writes into the core module: one entry per exported function, each with the
//! complete description of its parameter and result types.
//!
//! The format is defined (and encoded, at compile time) in the SDK's
//! `ferrite_plugin::meta`; this is its decoder.

use std::rc::Rc;

use anyhow::{Result, bail};

/// The custom section's name.
pub const SECTION: &str = "ferrite-plugin";
const MAGIC: &[u8; 4] = b"FPM1";

/// A WIT type.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Bool,
    U8,
    U16,
    U32,
    U64,
    S8,
    S16,
    S32,
    S64,
    F32,
    F64,
    Char,
    String,
    List(Box<Ty>),
    Option(Box<Ty>),
    Result(Option<Box<Ty>>, Option<Box<Ty>>),
    Tuple(Vec<Ty>),
    Def(Rc<TypeDef>),
    /// A type of `ferrite:plugin/<interface>`.
    Use {
        interface: String,
        name: String,
    },
}

/// A record, enum or variant declared in the plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    pub wit_name: String,
    pub rust_path: String,
    pub docs: String,
    pub kind: DefKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DefKind {
    Record(Vec<Field>),
    Enum(Vec<Case>),
    Variant(Vec<Case>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub docs: String,
    pub ty: Ty,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub name: String,
    pub docs: String,
    pub ty: Option<Ty>,
}

/// Whether an entry is a plugin function or a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Function,
    Test,
    Command,
    Hook,
}

/// One exported function.
#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    pub kind: ExportKind,
    pub wit_name: String,
    pub rust_path: String,
    pub docs: String,
    /// Options, such as a test's `kv` seed file or `should_panic`.
    pub attrs: Vec<(String, String)>,
    pub params: Vec<(String, Ty)>,
    pub result: Option<Ty>,
}

impl Export {
    /// The value of option `key`, if given.
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let Some(end) = end else {
            bail!("it ends in the middle of an entry")
        };
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8> {
        Ok(self.bytes(1)?[0])
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn str(&mut self) -> Result<String> {
        let n = self.u32()? as usize;
        Ok(std::str::from_utf8(self.bytes(n)?)?.to_string())
    }

    fn opt_ty(&mut self, depth: usize) -> Result<Option<Ty>> {
        match self.byte()? {
            0 => Ok(None),
            1 => Ok(Some(self.ty(depth)?)),
            b => bail!("unexpected presence flag {b}"),
        }
    }

    fn ty(&mut self, depth: usize) -> Result<Ty> {
        if depth > 200 {
            bail!("types nest more than 200 deep");
        }
        let d = depth + 1;
        Ok(match self.byte()? {
            0 => Ty::Bool,
            1 => Ty::U8,
            2 => Ty::U16,
            3 => Ty::U32,
            4 => Ty::U64,
            5 => Ty::S8,
            6 => Ty::S16,
            7 => Ty::S32,
            8 => Ty::S64,
            9 => Ty::F32,
            10 => Ty::F64,
            11 => Ty::Char,
            12 => Ty::String,
            13 => Ty::List(Box::new(self.ty(d)?)),
            14 => Ty::Option(Box::new(self.ty(d)?)),
            15 => {
                let flags = self.byte()?;
                let ok = if flags & 1 != 0 {
                    Some(Box::new(self.ty(d)?))
                } else {
                    None
                };
                let err = if flags & 2 != 0 {
                    Some(Box::new(self.ty(d)?))
                } else {
                    None
                };
                Ty::Result(ok, err)
            }
            16 => {
                let n = self.u32()?;
                Ty::Tuple((0..n).map(|_| self.ty(d)).collect::<Result<_>>()?)
            }
            17 => {
                let wit_name = self.str()?;
                let rust_path = self.str()?;
                let docs = self.str()?;
                let kind = self.byte()?;
                let n = self.u32()?;
                let kind = match kind {
                    0 => DefKind::Record(
                        (0..n)
                            .map(|_| {
                                Ok(Field {
                                    name: self.str()?,
                                    docs: self.str()?,
                                    ty: self.ty(d)?,
                                })
                            })
                            .collect::<Result<_>>()?,
                    ),
                    1 => DefKind::Enum(
                        (0..n)
                            .map(|_| {
                                Ok(Case {
                                    name: self.str()?,
                                    docs: self.str()?,
                                    ty: None,
                                })
                            })
                            .collect::<Result<_>>()?,
                    ),
                    2 => DefKind::Variant(
                        (0..n)
                            .map(|_| {
                                Ok(Case {
                                    name: self.str()?,
                                    docs: self.str()?,
                                    ty: self.opt_ty(d)?,
                                })
                            })
                            .collect::<Result<_>>()?,
                    ),
                    k => bail!("unknown type kind {k}"),
                };
                Ty::Def(Rc::new(TypeDef {
                    wit_name,
                    rust_path,
                    docs,
                    kind,
                }))
            }
            18 => Ty::Use {
                interface: self.str()?,
                name: self.str()?,
            },
            t => bail!("unknown type tag {t}"),
        })
    }

    fn export(&mut self) -> Result<Export> {
        let kind = match self.byte()? {
            0 => ExportKind::Function,
            1 => ExportKind::Test,
            2 => ExportKind::Command,
            3 => ExportKind::Hook,
            k => bail!("unknown export kind {k}"),
        };
        let wit_name = self.str()?;
        let rust_path = self.str()?;
        let docs = self.str()?;
        let n = self.u32()?;
        let attrs = (0..n)
            .map(|_| Ok((self.str()?, self.str()?)))
            .collect::<Result<_>>()?;
        let n = self.u32()?;
        let params = (0..n)
            .map(|_| Ok((self.str()?, self.ty(0)?)))
            .collect::<Result<_>>()?;
        let result = self.opt_ty(0)?;
        Ok(Export {
            kind,
            wit_name,
            rust_path,
            docs,
            attrs,
            params,
            result,
        })
    }
}

/// Decodes the concatenated entries of the section.
pub fn decode(data: &[u8]) -> Result<Vec<Export>> {
    let mut out = Vec::new();
    let mut r = Reader { data, pos: 0 };
    while r.pos < data.len() {
        // The linker may pad between statics; padding is zeros.
        if data[r.pos] == 0 {
            r.pos += 1;
            continue;
        }
        let magic = r.bytes(4)?;
        if magic != MAGIC {
            bail!(
                "entry {} has an unknown format (`{}`): the plugin was built with a `ferrite-plugin` SDK this cargo-ferrite-plugin does not know; use matching versions",
                out.len(),
                String::from_utf8_lossy(magic)
            );
        }
        let len = r.u32()? as usize;
        let body = r.bytes(len)?;
        let mut b = Reader { data: body, pos: 0 };
        let export = b.export()?;
        if b.pos != body.len() {
            bail!(
                "entry `{}` has {} trailing bytes",
                export.wit_name,
                body.len() - b.pos
            );
        }
        out.push(export);
    }
    Ok(out)
}
