//! `#[derive(Record)]` and `#[derive(Enum)]`: parse → check → expand.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Type};

use crate::attrs::{self, WitName};
use crate::errors::Errors;
use crate::types::{self, Position};

const FP: &str = "::ferrite_plugin::__private";

fn fp() -> TokenStream {
    FP.parse().unwrap()
}

struct Field {
    ident: syn::Ident,
    name: String,
    docs: String,
    ty: Type,
}

struct Case {
    ident: syn::Ident,
    name: String,
    docs: String,
    payload: Option<Type>,
}

/// Checks the parts every derive shares and returns the type's WIT name.
fn common(input: &DeriveInput, errors: &mut Errors) -> WitName {
    attrs::reject_generics(&input.generics, "type", errors);
    attrs::wit_name(&input.attrs, &input.ident, "type", errors)
}

fn check_unique<'a>(names: impl Iterator<Item = (&'a str, Span)>, what: &str, errors: &mut Errors) {
    let mut seen: Vec<&str> = Vec::new();
    for (name, span) in names {
        if seen.contains(&name) {
            errors.push(syn::Error::new(
                span,
                format!("two {what}s have the WIT name `{name}`: rename one with `#[ferrite_plugin(name = \"...\")]`"),
            ));
        }
        seen.push(name);
    }
}

pub fn record(input: &DeriveInput) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let name = common(input, &mut errors);
    let fields = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(named) => named
                .named
                .iter()
                .map(|f| {
                    let ident = f.ident.clone().unwrap();
                    types::check(&f.ty, Position::Field, &mut errors);
                    Field {
                        name: attrs::wit_name(&f.attrs, &ident, "field", &mut errors).name,
                        ident,
                        docs: attrs::docs(&f.attrs),
                        ty: f.ty.clone(),
                    }
                })
                .collect::<Vec<_>>(),
            Fields::Unnamed(u) => {
                errors.push(syn::Error::new_spanned(
                    u,
                    "a WIT record has named fields: name them (`struct Point { x: f64, y: f64 }`), or use a tuple type instead of a tuple struct",
                ));
                Vec::new()
            }
            Fields::Unit => {
                errors.push(syn::Error::new_spanned(
                    &input.ident,
                    "a WIT record needs at least one field",
                ));
                Vec::new()
            }
        },
        Data::Enum(e) => {
            errors.push(syn::Error::new(
                e.enum_token.span,
                "`Record` is for structs: use `#[derive(ferrite_plugin::Enum)]` on an enum",
            ));
            Vec::new()
        }
        Data::Union(u) => {
            errors.push(syn::Error::new(
                u.union_token.span,
                "unions cannot cross the plugin boundary",
            ));
            Vec::new()
        }
    };
    if matches!(&input.data, Data::Struct(s) if matches!(&s.fields, Fields::Named(n) if n.named.is_empty()))
    {
        errors.push(syn::Error::new_spanned(
            &input.ident,
            "a WIT record needs at least one field",
        ));
    }
    check_unique(
        fields.iter().map(|f| (f.name.as_str(), f.ident.span())),
        "field",
        &mut errors,
    );
    errors.finish()?;
    Ok(expand_record(input, &name.name, &fields))
}

fn expand_record(input: &DeriveInput, wit_name: &str, fields: &[Field]) -> TokenStream {
    let fp = fp();
    let ident = &input.ident;
    let docs = attrs::docs(&input.attrs);
    let rust_path = format!("::{ident}");
    let idents: Vec<_> = fields.iter().map(|f| &f.ident).collect();
    let abi = |f: &Field, item: TokenStream| {
        let ty = &f.ty;
        quote_spanned!(ty.span()=> <#ty as #fp::WitType>::#item)
    };
    let flats: Vec<_> = fields.iter().map(|f| abi(f, quote!(FLAT))).collect();
    let layouts: Vec<_> = fields
        .iter()
        .map(|f| {
            let (s, a) = (abi(f, quote!(SIZE)), abi(f, quote!(ALIGN)));
            quote!((#s, #a))
        })
        .collect();
    let lifts: Vec<_> = fields.iter().map(|f| abi(f, quote!(lift(src)))).collect();
    let loads: Vec<_> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            abi(
                f,
                quote!(load(ptr.add(#fp::field_offset(&Self::__FIELDS, #i)))),
            )
        })
        .collect();
    let stores: Vec<_> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let id = &f.ident;
            let ty = &f.ty;
            quote_spanned!(ty.span()=> <#ty as #fp::WitType>::store(#id, ptr.add(#fp::field_offset(&Self::__FIELDS, #i)));)
        })
        .collect();
    let lowers: Vec<_> = fields
        .iter()
        .map(|f| {
            let id = &f.ident;
            let ty = &f.ty;
            quote_spanned!(ty.span()=> <#ty as #fp::WitType>::lower(#id, out);)
        })
        .collect();
    let meta_fields: Vec<_> = fields
        .iter()
        .map(|f| {
            let (name, docs, ty) = (&f.name, &f.docs, &f.ty);
            let wit = quote_spanned!(ty.span()=> <#ty as #fp::WitType>::TY);
            quote!(#fp::Field { name: #name, docs: #docs, ty: #wit })
        })
        .collect();
    let n = fields.len();
    let native = record_native(wit_name, fields);
    quote! {
        #[automatically_derived]
        impl #ident {
            #[doc(hidden)]
            const __FIELDS: [(usize, usize); #n] = [#(#layouts),*];
        }

        // SAFETY: a record is its fields in order: their flat values concatenated,
        // and in memory each at its aligned offset.
        #[automatically_derived]
        unsafe impl #fp::WitType for #ident {
            const TY: &'static #fp::Ty = &#fp::Ty::Def(&#fp::TypeDef {
                wit_name: #wit_name,
                rust_path: ::core::concat!(::core::module_path!(), #rust_path),
                docs: #docs,
                kind: #fp::DefKind::Record(&[#(#meta_fields),*]),
            });
            const FLAT: #fp::Flat = #fp::Flat::all(&[#(#flats),*]);
            const SIZE: usize = #fp::record_layout(&Self::__FIELDS).0;
            const ALIGN: usize = #fp::record_layout(&Self::__FIELDS).1;

            #[inline]
            fn lower(self, out: &mut #fp::Lower) {
                let #ident { #(#idents),* } = self;
                #(#lowers)*
            }

            #[inline]
            unsafe fn lift(src: &mut #fp::Lift<'_>) -> Self {
                // SAFETY: guaranteed by the caller; fields lift in declaration order.
                unsafe { #ident { #(#idents: #lifts),* } }
            }

            #[inline]
            unsafe fn store(self, ptr: *mut u8) {
                let #ident { #(#idents),* } = self;
                // SAFETY: the caller gives `SIZE` bytes at `ALIGN`; each field is in range.
                unsafe { #(#stores)* }
            }

            #[inline]
            unsafe fn load(ptr: *const u8) -> Self {
                // SAFETY: guaranteed by the caller.
                unsafe { #ident { #(#idents: #loads),* } }
            }

            #native
        }
    }
}

pub fn enumeration(input: &DeriveInput) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let name = common(input, &mut errors);
    let cases = match &input.data {
        Data::Enum(e) => {
            if e.variants.is_empty() {
                errors.push(syn::Error::new_spanned(
                    &input.ident,
                    "a WIT enum needs at least one case",
                ));
            }
            e.variants
                .iter()
                .map(|v| {
                    let payload = match &v.fields {
                        Fields::Unit => None,
                        Fields::Unnamed(u) if u.unnamed.len() == 1 => {
                            let ty = &u.unnamed[0].ty;
                            types::check(ty, Position::Field, &mut errors);
                            Some(ty.clone())
                        }
                        Fields::Unnamed(u) => {
                            errors.push(syn::Error::new_spanned(
                                u,
                                "a WIT variant case carries at most one value: wrap them in a tuple, `Case((A, B))`, or a record",
                            ));
                            None
                        }
                        Fields::Named(n) => {
                            errors.push(syn::Error::new_spanned(
                                n,
                                "a WIT variant case carries one unnamed value: move these fields into a `#[derive(ferrite_plugin::Record)]` struct and write `Case(ThatStruct)`",
                            ));
                            None
                        }
                    };
                    Case {
                        name: attrs::wit_name(&v.attrs, &v.ident, "case", &mut errors).name,
                        ident: v.ident.clone(),
                        docs: attrs::docs(&v.attrs),
                        payload,
                    }
                })
                .collect::<Vec<_>>()
        }
        Data::Struct(s) => {
            errors.push(syn::Error::new(
                s.struct_token.span,
                "`Enum` is for enums: use `#[derive(ferrite_plugin::Record)]` on a struct",
            ));
            Vec::new()
        }
        Data::Union(u) => {
            errors.push(syn::Error::new(
                u.union_token.span,
                "unions cannot cross the plugin boundary",
            ));
            Vec::new()
        }
    };
    check_unique(
        cases.iter().map(|c| (c.name.as_str(), c.ident.span())),
        "case",
        &mut errors,
    );
    errors.finish()?;
    Ok(expand_enum(input, &name.name, &cases))
}

fn expand_enum(input: &DeriveInput, wit_name: &str, cases: &[Case]) -> TokenStream {
    let fp = fp();
    let ident = &input.ident;
    let docs = attrs::docs(&input.attrs);
    let rust_path = format!("::{ident}");
    let n = cases.len();
    let is_variant = cases.iter().any(|c| c.payload.is_some());
    let unit: Type = syn::parse_quote!(());
    let payload = |c: &Case| c.payload.clone().unwrap_or_else(|| unit.clone());
    let span_of = |c: &Case| c.payload.as_ref().map_or(c.ident.span(), |t| t.span());
    let discs: Vec<u32> = (0..n as u32).collect();

    let meta_cases: Vec<_> = cases
        .iter()
        .map(|c| {
            let (name, docs) = (&c.name, &c.docs);
            let ty = match &c.payload {
                Some(t) => quote_spanned!(t.span()=> <#t as #fp::WitPayload>::TY),
                None => quote!(::core::option::Option::None),
            };
            quote!(#fp::Case { name: #name, docs: #docs, ty: #ty })
        })
        .collect();
    let kind = if is_variant {
        quote!(Variant)
    } else {
        quote!(Enum)
    };

    // A case binds its payload as `v`, or nothing.
    let pattern = |c: &Case| {
        let id = &c.ident;
        if c.payload.is_some() {
            quote!(#ident::#id(v))
        } else {
            quote!(#ident::#id)
        }
    };
    let build = |c: &Case, value: TokenStream| {
        let id = &c.ident;
        if c.payload.is_some() {
            quote!(#ident::#id(#value))
        } else {
            quote!({ let () = #value; #ident::#id })
        }
    };
    let value = |c: &Case| {
        if c.payload.is_some() {
            quote!(v)
        } else {
            quote!(())
        }
    };

    let lower_arms: Vec<_> = cases
        .iter()
        .zip(&discs)
        .map(|(c, d)| {
            let (pat, t, v) = (pattern(c), payload(c), value(c));
            quote_spanned!(span_of(c)=> #pat => #fp::lower_case::<Self, #t>(out, #d, #v),)
        })
        .collect();
    let lift_arms: Vec<_> = cases
        .iter()
        .zip(&discs)
        .map(|(c, d)| {
            let t = payload(c);
            let built = build(
                c,
                quote_spanned!(span_of(c)=> #fp::lift_case::<Self, #t>(src)),
            );
            quote!(#d => #built,)
        })
        .collect();
    let store_arms: Vec<_> = cases
        .iter()
        .zip(&discs)
        .map(|(c, d)| {
            let (pat, t, v) = (pattern(c), payload(c), value(c));
            quote_spanned!(span_of(c)=> #pat => {
                #fp::store_discriminant(ptr, #n, #d);
                <#t as #fp::WitPayload>::store(#v, ptr.add(Self::__LAYOUT.2));
            })
        })
        .collect();
    let load_arms: Vec<_> = cases
        .iter()
        .zip(&discs)
        .map(|(c, d)| {
            let t = payload(c);
            let built = build(
                c,
                quote_spanned!(span_of(c)=> <#t as #fp::WitPayload>::load(ptr.add(Self::__LAYOUT.2))),
            );
            quote!(#d => #built,)
        })
        .collect();
    let flats: Vec<_> = cases
        .iter()
        .map(|c| {
            let t = payload(c);
            quote_spanned!(span_of(c)=> <#t as #fp::WitPayload>::FLAT)
        })
        .collect();
    let layouts: Vec<_> = cases
        .iter()
        .map(|c| {
            let t = payload(c);
            quote_spanned!(span_of(c)=> (<#t as #fp::WitPayload>::SIZE, <#t as #fp::WitPayload>::ALIGN))
        })
        .collect();
    let what = if is_variant {
        "a `variant`"
    } else {
        "an `enum`"
    };
    let invalid = format!("{what} discriminant out of range for `{ident}`");
    let native = enum_native(wit_name, cases, is_variant);

    quote! {
        #[automatically_derived]
        impl #ident {
            #[doc(hidden)]
            const __LAYOUT: (usize, usize, usize) = #fp::variant_layout(&[#(#layouts),*]);
        }

        // SAFETY: an enum or variant is a discriminant followed by the case's
        // payload: flat, the join of every case's flat values; in memory, at the
        // offset past the discriminant aligned for the largest payload.
        #[automatically_derived]
        unsafe impl #fp::WitType for #ident {
            const TY: &'static #fp::Ty = &#fp::Ty::Def(&#fp::TypeDef {
                wit_name: #wit_name,
                rust_path: ::core::concat!(::core::module_path!(), #rust_path),
                docs: #docs,
                kind: #fp::DefKind::#kind(&[#(#meta_cases),*]),
            });
            const FLAT: #fp::Flat = #fp::Flat::variant(&[#(#flats),*]);
            const SIZE: usize = Self::__LAYOUT.0;
            const ALIGN: usize = Self::__LAYOUT.1;

            #[inline]
            fn lower(self, out: &mut #fp::Lower) {
                match self { #(#lower_arms)* }
            }

            #[inline]
            unsafe fn lift(src: &mut #fp::Lift<'_>) -> Self {
                // SAFETY: guaranteed by the caller.
                unsafe {
                    match src.pop() as u32 {
                        #(#lift_arms)*
                        _ => #fp::invalid(#invalid),
                    }
                }
            }

            #[inline]
            unsafe fn store(self, ptr: *mut u8) {
                // SAFETY: the caller gives `SIZE` bytes at `ALIGN`.
                unsafe { match self { #(#store_arms)* } }
            }

            #[inline]
            unsafe fn load(ptr: *const u8) -> Self {
                // SAFETY: guaranteed by the caller.
                unsafe {
                    match #fp::load_discriminant(ptr, #n) {
                        #(#load_arms)*
                        _ => #fp::invalid(#invalid),
                    }
                }
            }

            #native
        }
    }
}

// Native conversions to and from `ferrite_plugin::dynamic::Value`, for
// `cargo ferrite-plugin test --fuzz`: compiled outside wasm32 only.

fn record_native(wit_name: &str, fields: &[Field]) -> TokenStream {
    let fp = fp();
    let idents: Vec<_> = fields.iter().map(|f| &f.ident).collect();
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    let to: Vec<_> = fields
        .iter()
        .map(|f| {
            let (id, ty, name) = (&f.ident, &f.ty, &f.name);
            quote_spanned!(ty.span()=> (::std::string::String::from(#name), <#ty as #fp::WitType>::to_value(#id)))
        })
        .collect();
    let from: Vec<_> = fields
        .iter()
        .map(|f| {
            let (id, ty, name) = (&f.ident, &f.ty, &f.name);
            let what = format!("field `{name}`");
            quote_spanned!(ty.span()=> #id: <#ty as #fp::WitType>::from_value(#fp::dynamic::next(&mut __fields, #what)?)?)
        })
        .collect();
    quote! {
        #[cfg(not(target_arch = "wasm32"))]
        fn to_value(self) -> #fp::dynamic::Value {
            let Self { #(#idents),* } = self;
            #fp::dynamic::Value::Record(::std::vec![#(#to),*])
        }

        #[cfg(not(target_arch = "wasm32"))]
        fn from_value(
            value: #fp::dynamic::Value,
        ) -> ::core::result::Result<Self, #fp::dynamic::Error> {
            let mut __fields = #fp::dynamic::record_fields(value, #wit_name, &[#(#names),*])?;
            ::core::result::Result::Ok(Self { #(#from),* })
        }
    }
}

fn enum_native(wit_name: &str, cases: &[Case], is_variant: bool) -> TokenStream {
    let fp = fp();
    let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    let to_arms: Vec<_> = cases
        .iter()
        .map(|c| {
            let (id, name) = (&c.ident, &c.name);
            match (&c.payload, is_variant) {
                (Some(ty), _) => quote_spanned!(ty.span()=> Self::#id(v) => #fp::dynamic::Value::Variant(
                    ::std::string::String::from(#name),
                    ::core::option::Option::Some(::std::boxed::Box::new(<#ty as #fp::WitType>::to_value(v))),
                ),),
                (None, true) => quote!(Self::#id => #fp::dynamic::Value::Variant(
                    ::std::string::String::from(#name),
                    ::core::option::Option::None,
                ),),
                (None, false) => {
                    quote!(Self::#id => #fp::dynamic::Value::Enum(::std::string::String::from(#name)),)
                }
            }
        })
        .collect();
    let from_arms: Vec<_> = cases
        .iter()
        .zip(&names)
        .map(|(c, name)| {
            let id = &c.ident;
            match &c.payload {
                Some(ty) => {
                    quote_spanned!(ty.span()=> #name => Self::#id(<#ty as #fp::WitType>::from_value(
                    #fp::dynamic::payload(__payload, #name)?,
                )?),)
                }
                None if is_variant => quote!(#name => {
                    #fp::dynamic::no_payload(__payload, #name)?;
                    Self::#id
                }),
                None => quote!(#name => Self::#id,),
            }
        })
        .collect();
    let case = if is_variant {
        quote!(let (__case, __payload) = #fp::dynamic::variant_case(value, #wit_name)?;)
    } else {
        quote!(let __case = #fp::dynamic::enum_case(value, #wit_name)?;)
    };
    quote! {
        #[cfg(not(target_arch = "wasm32"))]
        fn to_value(self) -> #fp::dynamic::Value {
            match self { #(#to_arms)* }
        }

        #[cfg(not(target_arch = "wasm32"))]
        fn from_value(
            value: #fp::dynamic::Value,
        ) -> ::core::result::Result<Self, #fp::dynamic::Error> {
            #case
            ::core::result::Result::Ok(match __case.as_str() {
                #(#from_arms)*
                _ => return ::core::result::Result::Err(#fp::dynamic::unknown_case(&__case, #wit_name)),
            })
        }
    }
}
