//! `#[ferrite_plugin::test]`: parse → check → expand.
//!
//! The test and its export are wrapped in the SDK's `__test_item!`, which keeps
//! them only when the SDK is compiled with `--cfg ferrite_plugin_test` (as
//! `cargo ferrite-plugin test` does), so tests never reach a built component.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, LitStr, ReturnType};

use crate::attrs::{self, WitName};
use crate::errors::Errors;
use crate::names;

struct Options {
    kv: Option<LitStr>,
    should_panic: Option<String>,
}

fn parse_args(args: TokenStream, errors: &mut Errors) -> Options {
    let mut opts = Options {
        kv: None,
        should_panic: None,
    };
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("kv") {
            opts.kv = Some(meta.value()?.parse()?);
            Ok(())
        } else if meta.path.is_ident("should_panic") {
            opts.should_panic = Some(if meta.input.peek(syn::Token![=]) {
                meta.value()?.parse::<LitStr>()?.value()
            } else {
                String::new()
            });
            Ok(())
        } else {
            Err(meta.error(
                "unknown option: `#[ferrite_plugin::test]` takes `kv = \"seed.json\"` and `should_panic` or `should_panic = \"message\"`",
            ))
        }
    });
    if let Err(e) = syn::parse::Parser::parse2(parser, args) {
        errors.push(e);
    }
    opts
}

pub fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let item: ItemFn = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(_) => {
            let e = syn::Error::new(
                Span::call_site(),
                "`#[ferrite_plugin::test]` goes on a free `fn` item",
            )
            .into_compile_error();
            return quote!(#e #input);
        }
    };
    let mut errors = Errors::default();
    let opts = parse_args(args, &mut errors);
    let sig = &item.sig;
    if let Some(t) = &sig.asyncness {
        errors.push(syn::Error::new(t.span(), "a plugin test cannot be `async`"));
    }
    if let Some(t) = &sig.unsafety {
        errors.push(syn::Error::new(
            t.span(),
            "a plugin test cannot be `unsafe`",
        ));
    }
    attrs::reject_generics(&sig.generics, "test", &mut errors);
    if !sig.inputs.is_empty() {
        errors.push(syn::Error::new_spanned(
            &sig.inputs,
            "a plugin test takes no parameters: seed the keyspace with `#[ferrite_plugin::test(kv = \"seed.json\")]`",
        ));
    }
    let name = WitName {
        name: format!("ferrite-test-{}", test_name(&sig.ident.to_string())),
        span: sig.ident.span(),
        explicit: false,
    };
    attrs::check_name(&name, "test", "a different function name", &mut errors);
    if let Err(e) = errors.finish() {
        let e = e.into_compile_error();
        return quote!(#item #e);
    }
    glue(&item, &name.name, &opts)
}

/// A valid WIT name for a test of any Rust name: a test's WIT name is
/// internal (the runner shows its Rust path), so instead of refusing
/// `paris_is_343_km_away`, words starting with a digit get an `n` and other
/// characters a hex escape.
fn test_name(ident: &str) -> String {
    names::kebab(ident)
        .split('-')
        .filter(|w| !w.is_empty())
        .map(|word| {
            let mut out = String::new();
            if !word.starts_with(|c: char| c.is_ascii_lowercase()) {
                out.push('n');
            }
            for c in word.chars() {
                if c.is_ascii_lowercase() || c.is_ascii_digit() {
                    out.push(c);
                } else {
                    out.push_str(&format!("x{:x}", c as u32));
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn glue(item: &ItemFn, wit_name: &str, opts: &Options) -> TokenStream {
    let fp = quote!(::ferrite_plugin::__private);
    let ident = &item.sig.ident;
    let export_name = format!("cm32p2||{wit_name}");
    let rust_path = format!("::{ident}");
    let docs = attrs::docs(&item.attrs);
    let mut attrs = Vec::new();
    if let Some(kv) = &opts.kv {
        attrs.push(quote!(("kv", #kv)));
    }
    if let Some(text) = &opts.should_panic {
        attrs.push(quote!(("should_panic", #text)));
    }
    let ret_span = match &item.sig.output {
        ReturnType::Default => ident.span(),
        ReturnType::Type(_, ty) => ty.span(),
    };
    let run = quote_spanned!(ret_span=> #fp::run_test(#ident));
    let guard = format_ident!(
        "two_plugin_tests_are_named_{}",
        wit_name
            .trim_start_matches("ferrite-test-")
            .replace('-', "_"),
        span = ident.span()
    );
    debug_assert!(crate::names::check(wit_name).is_ok());
    quote! {
        ::ferrite_plugin::__test_item! {
            #[allow(dead_code)]
            #item

            #[doc(hidden)]
            #[macro_export]
            macro_rules! #guard { () => {} }

            #[allow(non_upper_case_globals, dead_code, clippy::all)]
            const _: () = {
                #[cfg_attr(target_arch = "wasm32", unsafe(export_name = #export_name))]
                extern "C" fn __test() {
                    #run
                }

                const __EXPORT: #fp::Export = #fp::Export {
                    kind: #fp::ExportKind::Test,
                    wit_name: #wit_name,
                    rust_path: ::core::concat!(::core::module_path!(), #rust_path),
                    docs: #docs,
                    attrs: &[#(#attrs),*],
                    params: &[],
                    result: ::core::option::Option::None,
                };

                #[cfg(target_arch = "wasm32")]
                #[unsafe(link_section = "ferrite-plugin")]
                #[used]
                static __META: [u8; #fp::encoded_len(&__EXPORT)] = #fp::encode(&__EXPORT);
            };
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn any_rust_name_gives_a_valid_wit_name() {
        for (rust, wit) in [
            (
                "paris_is_about_343_km_from_london",
                "paris-is-about-n343-km-from-london",
            ),
            ("_2fa", "n2fa"),
            ("rejects", "rejects"),
            ("grüße", "grxfcxdfe"),
        ] {
            let got = super::test_name(rust);
            assert!(crate::names::check(&got).is_ok(), "{got}");
            assert_eq!(got, wit);
        }
    }
}
