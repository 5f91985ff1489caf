//! Which Rust types may appear where, checked on the tokens so that a mistake
//! is reported at the user's type with the fix in words.
//!
//! A type that passes these checks may still lack a WIT mapping (a user type
//! without a derive); the trait bounds in the expansion catch that, with the
//! message of `WitType`'s `#[diagnostic::on_unimplemented]`.

use syn::spanned::Spanned;
use syn::{GenericArgument, PathArguments, Type};

use crate::errors::Errors;

/// Where a type appears.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// A parameter of a plugin function: `&str` and `&[T]` may be borrowed.
    Param,
    /// A function's return type: `()` means no result.
    Return,
    /// A record field or a variant case's payload.
    Field,
    /// Inside another type.
    Nested,
    /// One side of a `Result`: `()` means `_`.
    ResultSide,
}

/// How a parameter is received.
pub enum ParamShape {
    /// By value.
    Owned,
    /// `&str`: lifted as a `String`, lent to the function.
    Str,
    /// `&[T]`: lifted as a `Vec<T>`, lent to the function.
    Slice(Box<Type>),
}

/// Checks `ty` in `pos`, recording every mistake in `errors`.
pub fn check(ty: &Type, pos: Position, errors: &mut Errors) -> ParamShape {
    match ty {
        Type::Reference(r) => {
            if pos != Position::Param {
                let msg = match pos {
                    Position::Return => {
                        "a plugin function returns owned values: return `String` instead of `&str`, `Vec<T>` instead of `&[T]`"
                    }
                    _ => {
                        "references cannot cross the plugin boundary inside another type: use `String` or `Vec<T>`"
                    }
                };
                errors.push(syn::Error::new_spanned(ty, msg));
                return ParamShape::Owned;
            }
            if let Some(m) = &r.mutability {
                errors.push(syn::Error::new(
                    m.span(),
                    "`&mut` parameters are not supported: the host cannot see your changes; take the value and return the result",
                ));
                return ParamShape::Owned;
            }
            match &*r.elem {
                Type::Path(p) if p.qself.is_none() && p.path.is_ident("str") => ParamShape::Str,
                Type::Slice(s) => {
                    check(&s.elem, Position::Nested, errors);
                    ParamShape::Slice(s.elem.clone())
                }
                Type::Path(p) if last_ident(p).as_deref() == Some("String") => {
                    errors.push(syn::Error::new_spanned(
                        ty,
                        "take `&str` (or `String`) instead of `&String`",
                    ));
                    ParamShape::Owned
                }
                Type::Path(p) if last_ident(p).as_deref() == Some("Vec") => {
                    errors.push(syn::Error::new_spanned(
                        ty,
                        "take `&[T]` (or `Vec<T>`) instead of `&Vec<T>`",
                    ));
                    ParamShape::Owned
                }
                elem => {
                    errors.push(syn::Error::new_spanned(
                        ty,
                        format!(
                            "only `&str` and `&[T]` can be borrowed from the host: take `{}` by value",
                            quote::quote!(#elem).to_string().replace(' ', "")
                        ),
                    ));
                    ParamShape::Owned
                }
            }
        }
        Type::Path(p) => {
            check_path(ty, p, errors);
            ParamShape::Owned
        }
        Type::Tuple(t) if t.elems.is_empty() => {
            if !matches!(pos, Position::Return | Position::ResultSide) {
                errors.push(syn::Error::new_spanned(
                    ty,
                    "`()` is only allowed as a return type or as one side of a `Result`",
                ));
            }
            ParamShape::Owned
        }
        Type::Tuple(t) => {
            if t.elems.len() > 12 {
                errors.push(syn::Error::new_spanned(
                    ty,
                    "tuples of up to 12 elements cross the plugin boundary: use a `#[derive(ferrite_plugin::Record)]` struct",
                ));
            }
            for elem in &t.elems {
                check(elem, Position::Nested, errors);
            }
            ParamShape::Owned
        }
        Type::Paren(p) => check(&p.elem, pos, errors),
        Type::Group(g) => check(&g.elem, pos, errors),
        // A type from a macro is checked by the trait bounds alone.
        Type::Macro(_) => ParamShape::Owned,
        other => {
            let msg = match other {
                Type::Array(_) => "fixed-size arrays are not a WIT type: use `Vec<T>` or a tuple",
                Type::Slice(_) => "use `Vec<T>` (or `&[T]` as a parameter)",
                Type::ImplTrait(_) => {
                    "`impl Trait` cannot cross the plugin boundary: name a concrete type"
                }
                Type::TraitObject(_) => {
                    "trait objects cannot cross the plugin boundary: name a concrete type"
                }
                Type::Ptr(_) => "raw pointers cannot cross the plugin boundary",
                Type::BareFn(_) => "function pointers cannot cross the plugin boundary",
                Type::Never(_) => "`!` cannot cross the plugin boundary",
                Type::Infer(_) => "write the type out: `_` is not allowed here",
                _ => "this type cannot cross the plugin boundary",
            };
            errors.push(syn::Error::new_spanned(other, msg));
            ParamShape::Owned
        }
    }
}

fn last_ident(p: &syn::TypePath) -> Option<String> {
    p.path.segments.last().map(|s| s.ident.to_string())
}

fn check_path(ty: &Type, p: &syn::TypePath, errors: &mut Errors) {
    if p.qself.is_some() {
        errors.push(syn::Error::new_spanned(
            ty,
            "name the type directly: associated types cannot be mapped to WIT",
        ));
        return;
    }
    let Some(last) = p.path.segments.last() else {
        return;
    };
    let name = last.ident.to_string();
    let advice = match name.as_str() {
        "usize" | "isize" => Some(format!(
            "`{name}` has no fixed width across the plugin boundary: use `{}32` or `{}64`",
            &name[..1],
            &name[..1]
        )),
        "u128" | "i128" => Some(format!(
            "WIT has no 128-bit integers: use `{}64`, a pair of them, or a `String`",
            &name[..1]
        )),
        "HashMap" | "BTreeMap" | "IndexMap" => {
            Some(format!("`{name}` is not a WIT type: use `Vec<(K, V)>`"))
        }
        "HashSet" | "BTreeSet" | "IndexSet" | "VecDeque" | "LinkedList" | "BinaryHeap" => {
            Some(format!("`{name}` is not a WIT type: use `Vec<T>`"))
        }
        "Box" | "Rc" | "Arc" | "Cell" | "RefCell" | "Mutex" => Some(format!(
            "`{name}<T>` cannot cross the plugin boundary: use `T` itself"
        )),
        "Cow" => Some("`Cow` cannot cross the plugin boundary: use `String` or `Vec<T>`".into()),
        "str" => Some("use `String` (or `&str` as a parameter)".into()),
        "PathBuf" | "OsString" | "CString" => Some(format!(
            "`{name}` cannot cross the plugin boundary: use `String`"
        )),
        "Self" => Some("name the type instead of `Self`".into()),
        _ => None,
    };
    if let Some(advice) = advice {
        errors.push(syn::Error::new_spanned(ty, advice));
        return;
    }
    for seg in &p.path.segments {
        let PathArguments::AngleBracketed(args) = &seg.arguments else {
            if let PathArguments::Parenthesized(_) = &seg.arguments {
                errors.push(syn::Error::new_spanned(
                    ty,
                    "closures and `Fn` traits cannot cross the plugin boundary",
                ));
            }
            continue;
        };
        let inner = if seg.ident == "Result" {
            Position::ResultSide
        } else {
            Position::Nested
        };
        for arg in &args.args {
            if let GenericArgument::Type(t) = arg {
                check(t, inner, errors);
            }
        }
    }
}
