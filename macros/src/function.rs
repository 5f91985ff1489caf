//! `#[ferrite_plugin::function]`: parse → check → expand.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, LitStr, Pat, ReturnType, Type};

use crate::attrs::{self, WitName};
use crate::errors::Errors;
use crate::names;
use crate::types::{self, ParamShape, Position};

/// The checked model of an exported function.
struct Export<'a> {
    item: &'a ItemFn,
    wit_name: WitName,
    docs: String,
    params: Vec<Param>,
    /// The return type, `()` when there is none.
    ret: Type,
    /// `Function`, `Command` or `Hook` (a `meta::ExportKind` variant).
    kind: &'static str,
    /// Options recorded with the export.
    attrs: Vec<(String, String)>,
}

struct Param {
    wit_name: String,
    /// The type the glue lifts: `String` for `&str`, `Vec<T>` for `&[T]`.
    owned: Type,
    /// Whether the function borrows the lifted value.
    borrowed: bool,
    /// The tokens the user wrote, for spans.
    span: Span,
}

pub fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let item: ItemFn = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(_) => {
            let e = syn::Error::new(
                Span::call_site(),
                "`#[ferrite_plugin::function]` goes on a free `fn` item",
            )
            .into_compile_error();
            return quote!(#e #input);
        }
    };
    let mut errors = Errors::default();
    let (name, interface) = parse_args(args, &mut errors);
    // `#[ferrite_plugin::fuzz(...)]` options (see `fuzz.rs`): off the item,
    // into the export's attributes.
    let (item, fuzz) = crate::fuzz::take(item, &mut errors);
    let mut export = model(&item, name, &mut errors);
    if let Some(interface) = interface {
        export.attrs.push(("interface".into(), interface.value()));
    }
    let params = rust_param_names(&item);
    export
        .attrs
        .extend(fuzz.into_attrs(Some(&params), &mut errors));
    finish(&item, export, errors)
}

/// Exports `item` (glue the `command` and `hook` macros generate) as an
/// export of `kind` named `wit_name`, with `attrs`. The caller emits `item`.
pub fn export_as(
    item: &ItemFn,
    wit_name: String,
    span: Span,
    kind: &'static str,
    attrs: Vec<(String, String)>,
) -> TokenStream {
    let mut errors = Errors::default();
    let mut export = model(item, Some(LitStr::new(&wit_name, span)), &mut errors);
    export.kind = kind;
    export.attrs = attrs;
    match errors.finish() {
        Ok(()) => glue(&export),
        Err(e) => e.into_compile_error(),
    }
}

fn finish(item: &ItemFn, export: Export<'_>, errors: Errors) -> TokenStream {
    match errors.finish() {
        Ok(()) => {
            let glue = glue(&export);
            quote!(#item #glue)
        }
        // Keep the user's function so that the rest of the crate still compiles
        // and only the real mistakes are reported.
        Err(e) => {
            let e = e.into_compile_error();
            quote!(#item #e)
        }
    }
}

/// `name = "..."` and `interface = "..."`.
fn parse_args(args: TokenStream, errors: &mut Errors) -> (Option<LitStr>, Option<LitStr>) {
    let (mut name, mut interface) = (None, None);
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("name") {
            name = Some(meta.value()?.parse::<LitStr>()?);
            Ok(())
        } else if meta.path.is_ident("interface") {
            let lit = meta.value()?.parse::<LitStr>()?;
            if !is_interface_name(&lit.value()) {
                return Err(syn::Error::new(
                    lit.span(),
                    format!(
                        "`{}` is not an interface name: write the name of the world's exported interface, `handler` or `artifact-keeper:format/handler@1.0.0`",
                        lit.value()
                    ),
                ));
            }
            interface = Some(lit);
            Ok(())
        } else {
            Err(meta.error(
                "unknown option: `#[ferrite_plugin::function]` takes `name = \"...\"` and, for another host's world, `interface = \"...\"`",
            ))
        }
    });
    if let Err(e) = syn::parse::Parser::parse2(parser, args) {
        errors.push(e);
    }
    (name, interface)
}

/// Whether `name` names a WIT interface: `handler`, or in full,
/// `artifact-keeper:format/handler` with an optional `@version`.
fn is_interface_name(name: &str) -> bool {
    let ident = |s: &str| {
        !s.is_empty()
            && s.split('-').all(|w| {
                w.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                    && w.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            })
    };
    let path = name.split_once('@').map_or(name, |(p, v)| {
        if v.is_empty()
            || !v
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-+".contains(c))
        {
            ""
        } else {
            p
        }
    });
    match path.split_once('/') {
        None => ident(path) && !name.contains('@'),
        Some((package, iface)) => {
            package
                .split_once(':')
                .is_some_and(|(ns, pkg)| ident(ns) && ident(pkg))
                && ident(iface)
        }
    }
}

fn model<'a>(item: &'a ItemFn, name: Option<LitStr>, errors: &mut Errors) -> Export<'a> {
    let sig = &item.sig;
    if let Some(t) = &sig.asyncness {
        errors.push(syn::Error::new(
            t.span(),
            "a plugin function cannot be `async`: the host calls it synchronously; make it a plain `fn`",
        ));
    }
    if let Some(t) = &sig.unsafety {
        errors.push(syn::Error::new(
            t.span(),
            "a plugin function cannot be `unsafe`: the host cannot uphold its safety contract; make it safe and keep the `unsafe` block inside",
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(syn::Error::new_spanned(
            abi,
            "remove the `extern` ABI: `#[ferrite_plugin::function]` writes the export itself",
        ));
    }
    if let Some(v) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            v,
            "a plugin function cannot be variadic",
        ));
    }
    attrs::reject_generics(&sig.generics, "function", errors);

    let wit_name = match name {
        Some(lit) => WitName {
            name: names::normalize(&lit.value()),
            span: lit.span(),
            explicit: true,
        },
        None => WitName {
            name: names::kebab(&sig.ident.to_string()),
            span: sig.ident.span(),
            explicit: false,
        },
    };
    attrs::check_name(
        &wit_name,
        "function",
        "#[ferrite_plugin::function(name = \"...\")]",
        errors,
    );

    let mut params: Vec<Param> = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(r) => errors.push(syn::Error::new_spanned(
                r,
                "a plugin function cannot take `self`: make it a free function (outside any `impl` block) that takes the value as a parameter",
            )),
            FnArg::Typed(pt) => {
                let ident = match &*pt.pat {
                    Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => &p.ident,
                    other => {
                        errors.push(syn::Error::new_spanned(
                            other,
                            "give this parameter a plain name: WIT parameters are named",
                        ));
                        continue;
                    }
                };
                let wit = WitName {
                    name: names::kebab(&ident.to_string()),
                    span: ident.span(),
                    explicit: false,
                };
                attrs::check_name(&wit, "parameter", "a different parameter name", errors);
                if params.iter().any(|p| p.wit_name == wit.name) {
                    errors.push(syn::Error::new(
                        ident.span(),
                        format!("two parameters have the WIT name `{}`: rename one", wit.name),
                    ));
                }
                let (owned, borrowed) = match types::check(&pt.ty, Position::Param, errors) {
                    ParamShape::Owned => ((*pt.ty).clone(), false),
                    ParamShape::Str => (syn::parse_quote_spanned!(pt.ty.span()=> ::std::string::String), true),
                    ParamShape::Slice(elem) => {
                        (syn::parse_quote_spanned!(pt.ty.span()=> ::std::vec::Vec<#elem>), true)
                    }
                };
                params.push(Param { wit_name: wit.name, owned, borrowed, span: pt.ty.span() });
            }
        }
    }

    let ret: Type = match &sig.output {
        ReturnType::Default => syn::parse_quote!(()),
        ReturnType::Type(_, ty) => {
            types::check(ty, Position::Return, errors);
            (**ty).clone()
        }
    };

    Export {
        item,
        wit_name,
        docs: attrs::docs(&item.attrs),
        params,
        ret,
        kind: "Function",
        attrs: Vec::new(),
    }
}

/// Whether a return type is a scalar, which needs no post-return cleanup.
fn is_scalar(ty: &Type) -> bool {
    match ty {
        Type::Tuple(t) => t.elems.is_empty(),
        Type::Path(p) => {
            p.qself.is_none() && {
                let s = quote!(#p).to_string();
                matches!(
                    s.as_str(),
                    "bool"
                        | "u8"
                        | "u16"
                        | "u32"
                        | "u64"
                        | "i8"
                        | "i16"
                        | "i32"
                        | "i64"
                        | "f32"
                        | "f64"
                        | "char"
                )
            }
        }
        _ => false,
    }
}

fn glue(e: &Export<'_>) -> TokenStream {
    let fp = quote!(::ferrite_plugin::__private);
    let fn_ident = &e.item.sig.ident;
    let wit_name = &e.wit_name.name;
    // A function of an exported interface is named after it, so that two
    // interfaces may each have a function of one name; `build` renames the
    // export to the interface's full name in the world it targets.
    let interface = e
        .attrs
        .iter()
        .find(|(k, _)| k == "interface")
        .map_or("", |(_, v)| v.as_str());
    let export_name = format!("cm32p2|{interface}|{wit_name}");
    let post_name = format!("cm32p2|{interface}|{wit_name}_post");
    let ret = &e.ret;
    let ret_span = match &e.item.sig.output {
        ReturnType::Default => e.item.sig.ident.span(),
        ReturnType::Type(_, ty) => ty.span(),
    };
    let docs = &e.docs;
    let n = e.params.len();

    // Every type-dependent expression carries the user's span, so that a type
    // without a WIT mapping is reported at the type.
    let abi = |ty: &Type, span: Span, item: TokenStream| quote_spanned!(span=> <#ty as #fp::WitType>::#item);
    let ret_abi = |item: TokenStream| quote_spanned!(ret_span=> <#ret as #fp::WitPayload>::#item);
    let flats: Vec<_> = e
        .params
        .iter()
        .map(|p| abi(&p.owned, p.span, quote!(FLAT)))
        .collect();
    let layouts: Vec<_> = e
        .params
        .iter()
        .map(|p| {
            let size = abi(&p.owned, p.span, quote!(SIZE));
            let align = abi(&p.owned, p.span, quote!(ALIGN));
            quote!((#size, #align))
        })
        .collect();
    let lifts: Vec<_> = e
        .params
        .iter()
        .map(|p| abi(&p.owned, p.span, quote!(lift(&mut __src))))
        .collect();
    let loads: Vec<_> = e
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            abi(
                &p.owned,
                p.span,
                quote!(load(__ptr.add(#fp::field_offset(&__FIELDS, #i)))),
            )
        })
        .collect();
    let vars: Vec<_> = (0..n).map(|i| format_ident!("__a{i}")).collect();
    let args: Vec<_> = e
        .params
        .iter()
        .zip(&vars)
        .map(|(p, v)| if p.borrowed { quote!(&#v) } else { quote!(#v) })
        .collect();
    let slots: Vec<_> = (0..16).map(|i| format_ident!("p{i}")).collect();
    let slot_indices = 0..16usize;
    let meta_params: Vec<_> = e
        .params
        .iter()
        .map(|p| {
            let name = &p.wit_name;
            let ty = &p.owned;
            let wit = quote_spanned!(p.span=> <#ty as #fp::WitType>::TY);
            quote!(#fp::Param { name: #name, ty: #wit })
        })
        .collect();
    let ret_ty = ret_abi(quote!(TY));
    let ret_flat = ret_abi(quote!(FLAT));
    let ret_size = ret_abi(quote!(SIZE));
    let rust_path = format!("::{fn_ident}");
    let kind = format_ident!("{}", e.kind);
    let attr_keys: Vec<&str> = e.attrs.iter().map(|(k, _)| k.as_str()).collect();
    let attr_values: Vec<&str> = e.attrs.iter().map(|(_, v)| v.as_str()).collect();
    let native = native_entry(e);

    // A hook's result (an abort message at most) is freed when the hook is
    // next called rather than by a post-return call: one call into the
    // plugin less on the server's hot path.
    let deferred = e.kind == "Hook" && !is_scalar(ret);
    let post = (!is_scalar(ret) && !deferred).then(|| {
        quote! {
            #[cfg(target_arch = "wasm32")]
            #[unsafe(export_name = #post_name)]
            unsafe extern "C" fn __post(ret: #fp::Pick<{ __RESULT }>) {
                // SAFETY: the host calls this once, after reading the result `__export` returned.
                unsafe { #fp::post_return::<#ret>(#fp::Slot::to_bits(ret)) }
            }
        }
    });

    // Two exports with one WIT name define this macro twice: a compile error at
    // both functions on every target, before the linker would see two symbols,
    // whose text ("the name `two_plugin_functions_export_...` is defined multiple
    // times") says what is wrong.
    let guard = format_ident!(
        "two_plugin_functions_export_the_wit_name_{}",
        wit_name.replace('-', "_"),
        span = e.wit_name.span
    );

    quote! {
        #[doc(hidden)]
        #[macro_export]
        macro_rules! #guard { () => {} }

        #[allow(non_snake_case, non_upper_case_globals, dead_code, improper_ctypes_definitions, unused_mut, unused_variables, clippy::all)]
        const _: () = {
            const __PARAMS: #fp::Flat = #fp::Flat::all(&[#(#flats),*]);
            const __SIG: #fp::Flat = __PARAMS.params();
            const __SPILL: bool = __PARAMS.overflows();
            const __RESULT: u8 = #ret_flat.result();
            const __FIELDS: [(usize, usize); #n] = [#(#layouts),*];
            static __RET_AREA: #fp::RetArea<{ #ret_size }> = #fp::RetArea::new();
            static __PENDING: #fp::Pending = #fp::Pending::new();

            #[cfg_attr(target_arch = "wasm32", unsafe(export_name = #export_name))]
            unsafe extern "C" fn __export(
                #(#slots: #fp::Pick<{ __SIG.at(#slot_indices) }>),*
            ) -> #fp::Pick<{ __RESULT }> {
                #fp::prologue();
                if #deferred {
                    // SAFETY: the host read the previous result before this call.
                    unsafe { __PENDING.release::<#ret>() };
                }
                let (#(#vars,)*) = if __SPILL {
                    let __ptr = #fp::Slot::to_bits(p0) as u32 as usize as *mut u8;
                    // SAFETY: past 16 flat values the host stores the parameters as a
                    // tuple in memory it allocated through `cabi_realloc` and gave up.
                    unsafe {
                        let __values = (#(#loads,)*);
                        #fp::free_params(__ptr, &__FIELDS);
                        __values
                    }
                } else {
                    let __flat: [u64; 16] = [#(#fp::Slot::to_bits(#slots)),*];
                    let mut __src = #fp::Lift::new(&__flat);
                    // SAFETY: the host lowered the parameters by the canonical ABI.
                    unsafe { (#(#lifts,)*) }
                };
                let __ret: #ret = #fn_ident(#(#args),*);
                // SAFETY: the return area belongs to this export, and the host reads it
                // (then calls the post-return function) before it calls in again.
                let __out = unsafe { #fp::lower_result(__ret, __RET_AREA.ptr()) };
                if #deferred {
                    __PENDING.keep(#fp::Slot::to_bits(__out));
                }
                __out
            }

            #post

                        const __EXPORT: #fp::Export = #fp::Export {
                kind: #fp::ExportKind::#kind,
                wit_name: #wit_name,
                rust_path: ::core::concat!(::core::module_path!(), #rust_path),
                docs: #docs,
                                attrs: &[#((#attr_keys, #attr_values)),*],
                params: &[#(#meta_params),*],
                result: #ret_ty,
            };

            #[cfg(target_arch = "wasm32")]
            #[unsafe(link_section = "ferrite-plugin")]
            #[used]
            static __META: [u8; #fp::encoded_len(&__EXPORT)] = #fp::encode(&__EXPORT);

            #native
        };
    }
}

// The native entry point of a function, for `cargo ferrite-plugin test
// --fuzz`, which calls each function natively too and compares the results
// with the host's. Separate from the wasm glue above: it exists only outside
// wasm32, so components never carry it.

/// The Rust names of a function's parameters (for `#[ferrite_plugin::fuzz(range(...))]`).
fn rust_param_names(item: &ItemFn) -> Vec<String> {
    item.sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(pt) => match &*pt.pat {
                Pat::Ident(p) => Some(p.ident.to_string()),
                _ => None,
            },
            FnArg::Receiver(_) => None,
        })
        .collect()
}

/// `extern "Rust" fn(&[u8]) -> Vec<u8>` named `__ferrite_native__<rust path>`
/// (`ferrite_plugin::dynamic` describes the encoding): the arguments as
/// `Value`s in, converted by each parameter's `WitType::from_value`, the
/// function called (borrowed parameters borrowed), its result out. Commands
/// and hooks are fuzzed in the host only and have none.
fn native_entry(e: &Export<'_>) -> Option<TokenStream> {
    if e.kind != "Function" {
        return None;
    }
    let fp = quote!(::ferrite_plugin::__private);
    let fn_ident = &e.item.sig.ident;
    let rust_path = format!("::{fn_ident}");
    let ret = &e.ret;
    let vars: Vec<_> = (0..e.params.len())
        .map(|i| format_ident!("__n{i}"))
        .collect();
    let takes: Vec<_> = e
        .params
        .iter()
        .zip(&vars)
        .map(|(p, v)| {
            // The conversion named as the wasm glue names the type's traits, so
            // that a type without a mapping is one error, not two.
            let (ty, name) = (&p.owned, &p.wit_name);
            let convert = quote_spanned!(p.span=> <#ty as #fp::WitType>::from_value);
            quote!(let #v = __args.convert(#name, #convert)?;)
        })
        .collect();
    let args: Vec<_> = e
        .params
        .iter()
        .zip(&vars)
        .map(|(p, v)| if p.borrowed { quote!(&#v) } else { quote!(#v) })
        .collect();
    let ret_span = match &e.item.sig.output {
        ReturnType::Default => e.item.sig.ident.span(),
        ReturnType::Type(_, ty) => ty.span(),
    };
    let to_payload = quote_spanned!(ret_span=> <#ret as #fp::WitPayload>::to_payload);
    Some(quote! {
        #[cfg(not(target_arch = "wasm32"))]
        #[doc(hidden)]
        #[unsafe(export_name = ::core::concat!("__ferrite_native__", ::core::module_path!(), #rust_path))]
        pub extern "Rust" fn __native(__input: &[u8]) -> ::std::vec::Vec<u8> {
            #fp::dynamic::native_call(__input, |__args| {
                #(#takes)*
                let __ret: #ret = #fn_ident(#(#args),*);
                ::core::result::Result::Ok(#to_payload(__ret))
            })
        }
    })
}
