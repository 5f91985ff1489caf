//! Types as WIT text, for messages: `point`, `list<string>`, `option<u32>`.

use wasmtime::component::Type;
use wit_parser::{Resolve, TypeDefKind, WorldId, WorldItem, WorldKey};

/// The WIT text of an exported function's parameter types and result type
/// (of the world, or of its exported `interface`), with the names the
/// component's WIT gives its records and variants.
pub(crate) fn function(
    resolve: &Resolve,
    world: WorldId,
    interface: Option<&str>,
    name: &str,
) -> Option<(Vec<String>, Option<String>)> {
    let exports = &resolve.worlds[world].exports;
    let f = match interface {
        None => match exports.get(&WorldKey::Name(name.to_string()))? {
            WorldItem::Function(f) => f,
            _ => return None,
        },
        Some(interface) => exports.iter().find_map(|(key, item)| match item {
            WorldItem::Interface { id, .. } if resolve.name_world_key(key) == interface => {
                resolve.interfaces[*id].functions.get(name)
            }
            _ => None,
        })?,
    };
    Some((
        f.params.iter().map(|p| of_wit(resolve, &p.ty)).collect(),
        f.result.as_ref().map(|t| of_wit(resolve, t)),
    ))
}

/// A wit-parser type as WIT text.
pub(crate) fn of_wit(resolve: &Resolve, ty: &wit_parser::Type) -> String {
    use wit_parser::Type as T;
    match ty {
        T::Bool => "bool".into(),
        T::U8 => "u8".into(),
        T::U16 => "u16".into(),
        T::U32 => "u32".into(),
        T::U64 => "u64".into(),
        T::S8 => "s8".into(),
        T::S16 => "s16".into(),
        T::S32 => "s32".into(),
        T::S64 => "s64".into(),
        T::F32 => "f32".into(),
        T::F64 => "f64".into(),
        T::Char => "char".into(),
        T::String => "string".into(),
        T::ErrorContext => "error-context".into(),
        T::Id(id) => {
            let def = &resolve.types[*id];
            if let Some(name) = &def.name {
                return name.clone();
            }
            match &def.kind {
                TypeDefKind::List(t) => format!("list<{}>", of_wit(resolve, t)),
                TypeDefKind::Option(t) => format!("option<{}>", of_wit(resolve, t)),
                TypeDefKind::Result(r) => match (&r.ok, &r.err) {
                    (None, None) => "result".into(),
                    (Some(o), None) => format!("result<{}>", of_wit(resolve, o)),
                    (o, Some(e)) => format!(
                        "result<{}, {}>",
                        o.as_ref().map_or("_".into(), |o| of_wit(resolve, o)),
                        of_wit(resolve, e)
                    ),
                },
                TypeDefKind::Tuple(t) => format!(
                    "tuple<{}>",
                    t.types
                        .iter()
                        .map(|t| of_wit(resolve, t))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                TypeDefKind::Type(t) => of_wit(resolve, t),
                other => other.as_str().to_string(),
            }
        }
    }
}

/// A component type as WIT text, structurally (records show their fields).
pub(crate) fn of_type(ty: &Type) -> String {
    match ty {
        Type::Bool => "bool".into(),
        Type::U8 => "u8".into(),
        Type::U16 => "u16".into(),
        Type::U32 => "u32".into(),
        Type::U64 => "u64".into(),
        Type::S8 => "s8".into(),
        Type::S16 => "s16".into(),
        Type::S32 => "s32".into(),
        Type::S64 => "s64".into(),
        Type::Float32 => "f32".into(),
        Type::Float64 => "f64".into(),
        Type::Char => "char".into(),
        Type::String => "string".into(),
        Type::List(l) => format!("list<{}>", of_type(&l.ty())),
        Type::Option(o) => format!("option<{}>", of_type(&o.ty())),
        Type::Result(r) => match (r.ok(), r.err()) {
            (None, None) => "result".into(),
            (Some(o), None) => format!("result<{}>", of_type(&o)),
            (o, Some(e)) => format!(
                "result<{}, {}>",
                o.map_or("_".into(), |o| of_type(&o)),
                of_type(&e)
            ),
        },
        Type::Tuple(t) => format!(
            "tuple<{}>",
            t.types()
                .map(|t| of_type(&t))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Type::Record(r) => format!(
            "record {{ {} }}",
            r.fields()
                .map(|f| format!("{}: {}", f.name, of_type(&f.ty)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Type::Enum(e) => format!("enum {{ {} }}", e.names().collect::<Vec<_>>().join(", ")),
        Type::Variant(v) => format!(
            "variant {{ {} }}",
            v.cases()
                .map(|c| match c.ty {
                    Some(t) => format!("{}({})", c.name, of_type(&t)),
                    None => c.name.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Type::Flags(f) => format!("flags {{ {} }}", f.names().collect::<Vec<_>>().join(", ")),
        other => format!("{other:?}"),
    }
}
