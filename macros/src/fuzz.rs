//! `#[ferrite_plugin::fuzz(...)]`: how `cargo ferrite-plugin test --fuzz`
//! generates an export's inputs.
//!
//! The attribute goes on a `#[ferrite_plugin::function]`, `command` or
//! `hook`, above or below it. It records nothing itself: the export's macro
//! takes it off the item ([`take`]) and writes its options into the export's
//! description, as `fuzz-*` attributes the CLI reads. Placed above, it runs
//! first and only moves itself below the export's attribute ([`expand`]), so
//! that the export's macro sees it either way.
//!
//! Options, recorded as:
//!
//! * `skip` or `skip = "why"` → `fuzz-skip = why`: not fuzzed at all.
//! * `max_len = N` → `fuzz-max-len = N`: lists and strings (a command's
//!   words) of at most `N` items, instead of `--max-len`.
//! * `range(p = LO..=HI, ...)` → `fuzz-range-<p's WIT name> = LO..=HI`:
//!   every number in parameter `p` within the range; integers or floats,
//!   either end open (`..=10`, `0..`).
//! * `wasm_only` → `fuzz-wasm-only`: the host's results are not compared
//!   with native ones (for a function that is meant to differ).

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;
use syn::{
    Attribute, Expr, ExprLit, ExprRange, ExprUnary, ItemFn, Lit, LitInt, LitStr, RangeLimits, UnOp,
};

use crate::errors::Errors;
use crate::names;

/// The most items `max_len` may allow.
const MAX_LEN_LIMIT: u64 = 1 << 20;

const USAGE: &str = "`#[ferrite_plugin::fuzz]` takes `skip` (or `skip = \"why\"`), `max_len = N`, `range(param = LO..=HI, ...)` and `wasm_only`";

/// `#[ferrite_plugin::fuzz]` itself.
pub fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut item: ItemFn = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(_) => {
            let e = syn::Error::new(
                Span::call_site(),
                "`#[ferrite_plugin::fuzz]` goes on a function exported with `#[ferrite_plugin::function]`, `command` or `hook`",
            )
            .into_compile_error();
            return quote!(#e #input);
        }
    };
    if item.attrs.iter().any(is_export) {
        // The export's macro runs next and takes the options; it must find
        // them after its own attribute, where they are not expanded first.
        item.attrs
            .push(syn::parse_quote!(#[::ferrite_plugin::fuzz(#args)]));
        return quote!(#item);
    }
    let e = syn::Error::new(
        Span::call_site(),
        "`#[ferrite_plugin::fuzz]` narrows the inputs of an export: put it on a function with `#[ferrite_plugin::function]`, `#[ferrite_plugin::command]` or `#[ferrite_plugin::hook]`",
    )
    .into_compile_error();
    quote!(#e #item)
}

/// Whether `attr` is one of the export attributes.
fn is_export(attr: &Attribute) -> bool {
    let segments: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    match segments.as_slice() {
        [one] => matches!(one.as_str(), "function" | "command" | "hook"),
        [krate, one] => {
            krate == "ferrite_plugin" && matches!(one.as_str(), "function" | "command" | "hook")
        }
        _ => false,
    }
}

/// Whether `attr` is `#[ferrite_plugin::fuzz(...)]`.
fn is_fuzz(attr: &Attribute) -> bool {
    let path = attr.path();
    path.segments.len() == 2
        && path.segments[0].ident == "ferrite_plugin"
        && path.segments[1].ident == "fuzz"
}

/// One end of a range.
#[derive(Clone, Copy)]
enum Bound {
    Int(i128),
    Float(f64),
}

/// A parameter's range.
struct Range {
    param: syn::Ident,
    text: String,
}

/// The options of an export's `#[ferrite_plugin::fuzz]`s.
#[derive(Default)]
pub struct Options {
    skip: Option<String>,
    max_len: Option<u64>,
    ranges: Vec<Range>,
    wasm_only: Option<Span>,
}

/// Takes the `#[ferrite_plugin::fuzz]` attributes off `item` and parses them.
pub fn take(mut item: ItemFn, errors: &mut Errors) -> (ItemFn, Options) {
    let mut options = Options::default();
    let (fuzz, rest): (Vec<Attribute>, Vec<Attribute>) = item.attrs.into_iter().partition(is_fuzz);
    item.attrs = rest;
    for attr in fuzz {
        if matches!(attr.meta, syn::Meta::Path(_)) {
            continue;
        }
        if let Err(e) = attr.parse_nested_meta(|meta| parse_option(&mut options, meta)) {
            errors.push(e);
        }
    }
    (item, options)
}

fn parse_option(options: &mut Options, meta: syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.path.is_ident("skip") {
        let why = if meta.input.peek(syn::Token![=]) {
            meta.value()?.parse::<LitStr>()?.value()
        } else {
            String::new()
        };
        options.skip = Some(why);
        Ok(())
    } else if meta.path.is_ident("max_len") {
        let lit: LitInt = meta.value()?.parse()?;
        let n: u64 = lit.base10_parse()?;
        if n > MAX_LEN_LIMIT {
            return Err(syn::Error::new(
                lit.span(),
                format!(
                    "`max_len` is at most {MAX_LEN_LIMIT}: generated inputs must fit a plugin's memory"
                ),
            ));
        }
        options.max_len = Some(n);
        Ok(())
    } else if meta.path.is_ident("wasm_only") {
        options.wasm_only = Some(meta.path.span());
        Ok(())
    } else if meta.path.is_ident("range") {
        meta.parse_nested_meta(|inner| {
            let Some(param) = inner.path.get_ident().cloned() else {
                return Err(inner.error("name a parameter: `range(n = 1..=100)`"));
            };
            let expr: Expr = inner.value()?.parse()?;
            let text = range_text(&expr)?;
            if options.ranges.iter().any(|r| r.param == param) {
                return Err(syn::Error::new(
                    param.span(),
                    format!("`{param}` has two ranges"),
                ));
            }
            options.ranges.push(Range { param, text });
            Ok(())
        })
    } else {
        Err(meta.error(format!("unknown option: {USAGE}")))
    }
}

/// A range expression's normal form: `LO..=HI` for integers (an exclusive
/// end made inclusive), `LO..HI` or `LO..=HI` for floats; an open end is
/// left out.
fn range_text(expr: &Expr) -> syn::Result<String> {
    let Expr::Range(ExprRange {
        start, limits, end, ..
    }) = expr
    else {
        return Err(syn::Error::new_spanned(
            expr,
            "write a range of numbers: `1..=100`, `0..10`, `-1.0..1.0`, `..=10`",
        ));
    };
    let start = start.as_deref().map(bound).transpose()?;
    let end = end.as_deref().map(bound).transpose()?;
    let inclusive = matches!(limits, RangeLimits::Closed(_));
    let float = matches!(start, Some(Bound::Float(_))) || matches!(end, Some(Bound::Float(_)));
    let as_f64 = |b: Bound| match b {
        Bound::Int(i) => i as f64,
        Bound::Float(f) => f,
    };
    if float {
        if let (Some(s), Some(e)) = (start, end) {
            let (s, e) = (as_f64(s), as_f64(e));
            if s > e || (s == e && !inclusive) {
                return Err(syn::Error::new_spanned(expr, "this range is empty"));
            }
        }
        let show = |b: Option<Bound>| b.map_or(String::new(), |b| format!("{:?}", as_f64(b)));
        let dots = if inclusive { "..=" } else { ".." };
        return Ok(format!("{}{dots}{}", show(start), show(end)));
    }
    let int = |b: Option<Bound>| match b {
        Some(Bound::Int(i)) => Some(i),
        _ => None,
    };
    let (start, end) = (int(start), int(end));
    let end = match (end, inclusive) {
        (Some(e), false) => Some(e - 1),
        (e, _) => e,
    };
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        return Err(syn::Error::new_spanned(expr, "this range is empty"));
    }
    let show = |b: Option<i128>| b.map_or(String::new(), |b| b.to_string());
    Ok(format!("{}..={}", show(start), show(end)))
}

fn bound(expr: &Expr) -> syn::Result<Bound> {
    let negate = |b: Bound| match b {
        Bound::Int(i) => Bound::Int(-i),
        Bound::Float(f) => Bound::Float(-f),
    };
    match expr {
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => Ok(negate(bound(expr)?)),
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => Ok(Bound::Int(i.base10_parse()?)),
        Expr::Lit(ExprLit {
            lit: Lit::Float(f), ..
        }) => Ok(Bound::Float(f.base10_parse()?)),
        Expr::Group(g) => bound(&g.expr),
        Expr::Paren(p) => bound(&p.expr),
        other => Err(syn::Error::new_spanned(
            other,
            "a range's ends are number literals, such as `-5`, `100` or `0.5`",
        )),
    }
}

impl Options {
    /// The options as the export's `fuzz-*` attributes, checked against
    /// what the export is: `params` are the Rust names of a function's
    /// parameters, `None` for a command or hook.
    pub fn into_attrs(
        self,
        params: Option<&[String]>,
        errors: &mut Errors,
    ) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(why) = self.skip {
            out.push(("fuzz-skip".into(), why));
        }
        if let Some(n) = self.max_len {
            out.push(("fuzz-max-len".into(), n.to_string()));
        }
        match params {
            Some(params) => {
                for r in self.ranges {
                    let name = r.param.to_string();
                    let name = name.strip_prefix("r#").unwrap_or(&name);
                    if !params
                        .iter()
                        .any(|p| p.strip_prefix("r#").unwrap_or(p) == name)
                    {
                        errors.push(syn::Error::new(
                            r.param.span(),
                            format!(
                                "the function has no parameter `{name}` (it has: {})",
                                if params.is_empty() {
                                    "none".to_string()
                                } else {
                                    params.join(", ")
                                }
                            ),
                        ));
                        continue;
                    }
                    out.push((format!("fuzz-range-{}", names::kebab(name)), r.text));
                }
                if self.wasm_only.is_some() {
                    out.push(("fuzz-wasm-only".into(), String::new()));
                }
            }
            None => {
                let commands_take =
                    "a command or hook takes `skip` and `max_len` (its words' count and length)";
                if let Some(r) = self.ranges.first() {
                    errors.push(syn::Error::new(
                        r.param.span(),
                        format!("`range` is for a function's parameters: {commands_take}"),
                    ));
                }
                if let Some(span) = self.wasm_only {
                    errors.push(syn::Error::new(
                        span,
                        format!("commands and hooks are fuzzed in the host only: {commands_take}"),
                    ));
                }
            }
        }
        out
    }
}
