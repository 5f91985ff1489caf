//! Doc comments and `#[ferrite_plugin(...)]` options.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Lit, LitStr, Meta};

use crate::errors::Errors;
use crate::names;

/// The text of the item's doc comments, one line per `///` line, trimmed.
pub fn docs(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs {
        let Meta::NameValue(nv) = &attr.meta else {
            continue;
        };
        if !nv.path.is_ident("doc") {
            continue;
        }
        if let Expr::Lit(syn::ExprLit {
            lit: Lit::Str(s), ..
        }) = &nv.value
        {
            let text = s.value();
            for line in text.lines() {
                lines.push(
                    line.strip_prefix(' ')
                        .unwrap_or(line)
                        .trim_end()
                        .to_string(),
                );
            }
        }
    }
    while lines.first().is_some_and(|l| l.is_empty()) {
        lines.remove(0);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

/// A WIT name and the tokens it came from, for errors.
pub struct WitName {
    pub name: String,
    pub span: Span,
    /// Whether the user wrote it with `name = "..."`.
    pub explicit: bool,
}

/// The WIT name of an item: its `#[ferrite_plugin(name = "...")]`, or `ident`
/// in kebab-case. `what` is the item's kind for messages ("field", "case").
pub fn wit_name(
    attrs: &[Attribute],
    ident: &syn::Ident,
    what: &str,
    errors: &mut Errors,
) -> WitName {
    let mut explicit: Option<LitStr> = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("ferrite_plugin")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                explicit = Some(meta.value()?.parse()?);
                Ok(())
            } else {
                Err(meta
                    .error("unknown option: `#[ferrite_plugin(...)]` takes only `name = \"...\"`"))
            }
        });
        if let Err(e) = parsed {
            errors.push(e);
        }
    }
    let out = match explicit {
        Some(lit) => WitName {
            name: names::normalize(&lit.value()),
            span: lit.span(),
            explicit: true,
        },
        None => WitName {
            name: names::kebab(&ident.to_string()),
            span: ident.span(),
            explicit: false,
        },
    };
    check_name(&out, what, "#[ferrite_plugin(name = \"...\")]", errors);
    out
}

/// Reports an invalid WIT name, saying how to rename.
pub fn check_name(name: &WitName, what: &str, rename: &str, errors: &mut Errors) {
    if let Err(why) = names::check(&name.name) {
        let msg = if name.explicit {
            format!("`{}` is not a valid WIT name: {why}", name.name)
        } else {
            format!(
                "this {what}'s WIT name would be `{}`, which is not valid: {why}; rename it, or set a WIT name with `{rename}`",
                name.name
            )
        };
        errors.push(syn::Error::new(name.span, msg));
    }
}

/// Rejects generics on a type or function: WIT has none.
pub fn reject_generics(generics: &syn::Generics, what: &str, errors: &mut Errors) {
    let typed = generics
        .params
        .iter()
        .any(|p| !matches!(p, syn::GenericParam::Lifetime(_)));
    if typed {
        errors.push(syn::Error::new(
            generics.span(),
            format!("a plugin {what} cannot be generic: WIT has no generics; write it for concrete types"),
        ));
    } else if let Some(w) = &generics.where_clause {
        errors.push(syn::Error::new_spanned(
            w,
            format!("a plugin {what} cannot have a `where` clause: WIT has no generics"),
        ));
    }
}
