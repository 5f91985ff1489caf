//! Whether a new version keeps the exports of the last one.
//!
//! Within one compatible line (same major version; for `0.x`, same minor)
//! every export of the previous version must still exist with the same
//! signature. Signatures are compared by structure: renaming a record type is
//! not a break, but renaming one of its fields, or changing a parameter's or
//! the result's type, is. Parameter names do not matter (calls are by position).

use std::collections::BTreeMap;

use ferrite_plugin_host::check::Surface;
use semver::Version;
use wit_parser::{Resolve, Type, TypeDefKind, WorldItem, WorldKey};

use crate::error::{RegistryError, Result};

/// Whether `a` and `b` are in one semver-compatible line.
pub fn same_line(a: &Version, b: &Version) -> bool {
    match (a.major, b.major) {
        (0, 0) if a.minor == 0 && b.minor == 0 => a.patch == b.patch,
        (0, 0) => a.minor == b.minor,
        (x, y) => x == y,
    }
}

/// An export: its readable signature and its structural one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// As WIT reads: `func(p: point) -> bool`.
    pub readable: String,
    /// By structure, without parameter names.
    pub structural: String,
}

/// The exported functions of a component, by user name.
pub fn exports(component: &[u8]) -> Result<BTreeMap<String, Signature>> {
    let surface = Surface::of(component).map_err(|e| RegistryError::Invalid(e.to_string()))?;
    let resolve = &surface.resolve;
    let mut out = BTreeMap::new();
    for (key, item) in &resolve.worlds[surface.world].exports {
        let (WorldKey::Name(name), WorldItem::Function(f)) = (key, item) else {
            continue;
        };
        if ferrite_plugin_host::check::is_test_export(name) {
            continue;
        }
        let result = |render: &dyn Fn(&Type) -> String| {
            f.result
                .as_ref()
                .map_or(String::new(), |t| format!(" -> {}", render(t)))
        };
        let readable = format!(
            "func({}){}",
            f.params
                .iter()
                .map(|p| format!("{}: {}", p.name, named(resolve, &p.ty)))
                .collect::<Vec<_>>()
                .join(", "),
            result(&|t| named(resolve, t))
        );
        let structural = format!(
            "func({}){}",
            f.params
                .iter()
                .map(|p| structure(resolve, &p.ty))
                .collect::<Vec<_>>()
                .join(", "),
            result(&|t| structure(resolve, t))
        );
        out.insert(
            name.replace('-', "_"),
            Signature {
                readable,
                structural,
            },
        );
    }
    Ok(out)
}

/// What `new` breaks of `old`, in words.
pub fn breaks(old: &BTreeMap<String, Signature>, new: &BTreeMap<String, Signature>) -> Vec<String> {
    old.iter()
        .filter_map(|(name, was)| match new.get(name) {
            None => Some(format!("export `{name}` was removed")),
            Some(now) if now.structural != was.structural => Some(format!(
                "export `{name}` changed from `{}` to `{}`",
                was.readable, now.readable
            )),
            Some(_) => None,
        })
        .collect()
}

fn primitive(ty: &Type) -> Option<&'static str> {
    Some(match ty {
        Type::Bool => "bool",
        Type::U8 => "u8",
        Type::U16 => "u16",
        Type::U32 => "u32",
        Type::U64 => "u64",
        Type::S8 => "s8",
        Type::S16 => "s16",
        Type::S32 => "s32",
        Type::S64 => "s64",
        Type::F32 => "f32",
        Type::F64 => "f64",
        Type::Char => "char",
        Type::String => "string",
        Type::ErrorContext => "error-context",
        Type::Id(_) => return None,
    })
}

/// A type as WIT names it.
fn named(resolve: &Resolve, ty: &Type) -> String {
    if let Some(p) = primitive(ty) {
        return p.to_string();
    }
    let Type::Id(id) = ty else { unreachable!() };
    let def = &resolve.types[*id];
    if let Some(name) = &def.name {
        return name.clone();
    }
    shape(resolve, &def.kind, &|t| named(resolve, t))
}

/// A type by its structure, names of types left out.
fn structure(resolve: &Resolve, ty: &Type) -> String {
    if let Some(p) = primitive(ty) {
        return p.to_string();
    }
    let Type::Id(id) = ty else { unreachable!() };
    shape(resolve, &resolve.types[*id].kind, &|t| {
        structure(resolve, t)
    })
}

fn shape(resolve: &Resolve, kind: &TypeDefKind, inner: &dyn Fn(&Type) -> String) -> String {
    let opt = |t: &Option<Type>| t.as_ref().map_or("_".to_string(), inner);
    match kind {
        TypeDefKind::Type(t) => inner(t),
        TypeDefKind::List(t) => format!("list<{}>", inner(t)),
        TypeDefKind::Option(t) => format!("option<{}>", inner(t)),
        TypeDefKind::Result(r) => format!("result<{}, {}>", opt(&r.ok), opt(&r.err)),
        TypeDefKind::Tuple(t) => format!(
            "tuple<{}>",
            t.types.iter().map(inner).collect::<Vec<_>>().join(", ")
        ),
        TypeDefKind::Record(r) => format!(
            "record {{ {} }}",
            r.fields
                .iter()
                .map(|f| format!("{}: {}", f.name, inner(&f.ty)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeDefKind::Variant(v) => format!(
            "variant {{ {} }}",
            v.cases
                .iter()
                .map(|c| match &c.ty {
                    Some(t) => format!("{}({})", c.name, inner(t)),
                    None => c.name.clone(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeDefKind::Enum(e) => {
            format!(
                "enum {{ {} }}",
                e.cases
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        TypeDefKind::Flags(f) => {
            format!(
                "flags {{ {} }}",
                f.flags
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        other => {
            let _ = resolve;
            other.as_str().to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatible_lines_follow_semver() {
        let v = |s: &str| Version::parse(s).unwrap();
        assert!(same_line(&v("1.2.0"), &v("1.9.3")));
        assert!(!same_line(&v("1.2.0"), &v("2.0.0")));
        assert!(same_line(&v("0.3.1"), &v("0.3.9")));
        assert!(!same_line(&v("0.3.1"), &v("0.4.0")));
        assert!(!same_line(&v("0.0.1"), &v("0.0.2")));
    }

    #[test]
    fn it_names_what_broke() {
        let sig = |r: &str, s: &str| Signature {
            readable: r.into(),
            structural: s.into(),
        };
        let old = BTreeMap::from([
            ("a".to_string(), sig("func(x: u32)", "func(u32)")),
            (
                "b".to_string(),
                sig("func(p: point)", "func(record { x: f64 })"),
            ),
            ("c".to_string(), sig("func()", "func()")),
        ]);
        let new = BTreeMap::from([
            (
                "b".to_string(),
                sig("func(p: pt)", "func(record { y: f64 })"),
            ),
            ("c".to_string(), sig("func()", "func()")),
            ("d".to_string(), sig("func()", "func()")),
        ]);
        assert_eq!(
            breaks(&old, &new),
            [
                "export `a` was removed",
                "export `b` changed from `func(p: point)` to `func(p: pt)`"
            ]
        );
    }
}
