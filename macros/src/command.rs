//! `#[ferrite_plugin::command]` and `#[ferrite_plugin::hook]`: each keeps the
//! user's function and exports a wrapper with the fixed signature the host
//! calls, recorded with its kind and options for `cargo ferrite-plugin build`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, LitInt, LitStr};

use crate::errors::Errors;
use crate::function;
use crate::names;

/// The WIT export name for command `name`: `GK.SUM` → `command-gk-sum`.
fn command_export(name: &str) -> String {
    let mut words = vec!["ferrite".to_string(), "command".to_string()];
    for word in name
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if word.starts_with(|c: char| c.is_ascii_digit()) {
            words.push(format!("x{word}"));
        } else {
            words.push(word.to_string());
        }
    }
    words.join("-")
}

/// Checks what every handler shares: a plain, non-generic `fn` of one parameter.
fn check_handler(item: &ItemFn, what: &str, context: &str, errors: &mut Errors) {
    let sig = &item.sig;
    if let Some(t) = &sig.asyncness {
        errors.push(syn::Error::new(
            t.span(),
            format!("a plugin {what} cannot be `async`: the host calls it synchronously; make it a plain `fn`"),
        ));
    }
    if !sig.generics.params.is_empty() {
        errors.push(syn::Error::new(
            sig.generics.span(),
            format!("a plugin {what} cannot be generic"),
        ));
    }
    if sig.inputs.len() != 1 {
        errors.push(syn::Error::new(
            if sig.inputs.is_empty() {
                sig.ident.span()
            } else {
                sig.inputs.span()
            },
            format!("a plugin {what} takes one parameter, `ctx: &{context}`"),
        ));
    }
}

fn parse_item(input: TokenStream, attr: &str) -> Result<ItemFn, TokenStream> {
    syn::parse2(input.clone()).map_err(|_| {
        let e = syn::Error::new(
            Span::call_site(),
            format!("`#[ferrite_plugin::{attr}]` goes on a free `fn` item"),
        )
        .into_compile_error();
        quote!(#e #input)
    })
}

pub fn expand_command(args: TokenStream, input: TokenStream) -> TokenStream {
    let item = match parse_item(input, "command") {
        Ok(item) => item,
        Err(e) => return e,
    };
    let mut errors = Errors::default();
    let (item, fuzz) = crate::fuzz::take(item, &mut errors);
    let mut name: Option<LitStr> = None;
    let mut arity: Option<LitInt> = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("name") {
            name = Some(meta.value()?.parse()?);
            Ok(())
        } else if meta.path.is_ident("arity") {
            let value = meta.value()?;
            let negative = value.parse::<Option<syn::Token![-]>>()?.is_some();
            let lit: LitInt = value.parse()?;
            arity = Some(if negative {
                LitInt::new(&format!("-{}", lit.base10_digits()), lit.span())
            } else {
                lit
            });
            Ok(())
        } else {
            Err(meta.error(
                "unknown option: `#[ferrite_plugin::command]` takes `name = \"...\"` and `arity = N`",
            ))
        }
    });
    if let Err(e) = syn::parse::Parser::parse2(parser, args) {
        errors.push(e);
    }
    check_handler(&item, "command", "CommandContext", &mut errors);
    let Some(name) = name else {
        errors.push(syn::Error::new(
            Span::call_site(),
            "name the command: `#[ferrite_plugin::command(name = \"MY.COMMAND\", arity = -1)]`",
        ));
        let e = errors.finish().unwrap_err().into_compile_error();
        return quote!(#item #e);
    };
    let command = name.value().to_ascii_uppercase();
    if command.is_empty()
        || !command
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._:-".contains(c))
    {
        errors.push(syn::Error::new(
            name.span(),
            "a command name uses letters, digits, `.`, `_`, `:` and `-`, such as `GK.SUM`",
        ));
    }
    let arity_value = match &arity {
        Some(lit) => match lit.base10_parse::<i64>() {
            Ok(0) => {
                errors.push(syn::Error::new(
                    lit.span(),
                    "arity counts the command name, as Redis does: N means exactly N, -N at least N; 0 means nothing",
                ));
                -1
            }
            Ok(n) => n,
            Err(e) => {
                errors.push(e);
                -1
            }
        },
        None => -1,
    };
    let export = command_export(&command);
    if let Err(why) = names::check(&export) {
        errors.push(syn::Error::new(
            name.span(),
            format!("this command name cannot be exported: {why}"),
        ));
    }
    if let Err(e) = errors.finish() {
        let e = e.into_compile_error();
        return quote!(#item #e);
    }

    let ident = &item.sig.ident;
    let wrapper = format_ident!("__ferrite_plugin_command_{}", ident);
    let call = quote_spanned!(item.sig.span()=> ::ferrite_plugin::command::__call(#ident, words));
    let docs = item.attrs.iter().filter(|a| a.path().is_ident("doc"));
    let wrapper_fn: ItemFn = syn::parse_quote! {
        #(#docs)*
        #[doc(hidden)]
        fn #wrapper(
            words: ::std::vec::Vec<u8>,
        ) -> ::core::result::Result<
            ::std::vec::Vec<::ferrite_plugin::command::Frame>,
            ::ferrite_plugin::PluginError,
        > {
            #call
        }
    };
    let mut attrs = vec![
        ("command".into(), command),
        ("arity".into(), arity_value.to_string()),
        ("function".into(), ident.to_string()),
    ];
    let mut fuzz_errors = Errors::default();
    attrs.extend(fuzz.into_attrs(None, &mut fuzz_errors));
    if let Err(e) = fuzz_errors.finish() {
        let e = e.into_compile_error();
        return quote!(#item #e);
    }
    let glue = function::export_as(&wrapper_fn, export, name.span(), "Command", attrs);
    quote! {
        #item
        #[allow(non_snake_case, dead_code)]
        #wrapper_fn
        #glue
    }
}

pub fn expand_hook(args: TokenStream, input: TokenStream) -> TokenStream {
    let item = match parse_item(input, "hook") {
        Ok(item) => item,
        Err(e) => return e,
    };
    let mut errors = Errors::default();
    let (item, fuzz) = crate::fuzz::take(item, &mut errors);
    let mut event: Option<syn::Ident> = None;
    let mut commands: Vec<LitStr> = Vec::new();
    let mut on_event: Option<LitStr> = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("on_event") {
            if event.is_some() {
                return Err(meta.error("a hook has one event"));
            }
            let name: LitStr = meta.value()?.parse()?;
            let text = name.value();
            let valid = (1..=128).contains(&text.len())
                && text
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".:_-".contains(&b));
            if !valid {
                return Err(syn::Error::new(
                    name.span(),
                    "an event name is 1 to 128 letters, digits and `.:_-`, such as \"order.paid\"",
                ));
            }
            event = Some(syn::Ident::new("on_event", meta.path.span()));
            on_event = Some(name);
            Ok(())
        } else if meta.path.is_ident("commands") {
            let value = meta.value()?;
            let list;
            syn::bracketed!(list in value);
            let items = list.parse_terminated(|p| p.parse::<LitStr>(), syn::Token![,])?;
            commands.extend(items);
            Ok(())
        } else if let Some(ident) = meta.path.get_ident() {
            if event.is_some() {
                return Err(meta.error("a hook has one event"));
            }
            match ident.to_string().as_str() {
                "before_command" | "after_command" | "on_key_write" => {
                    event = Some(ident.clone());
                    Ok(())
                }
                other => Err(meta.error(format!(
                    "unknown hook event `{other}`: use `before_command`, `after_command`, `on_key_write` or `on_event = \"name\"`"
                ))),
            }
        } else {
            Err(meta.error(
                "unknown option: `#[ferrite_plugin::hook]` takes an event and `commands = [...]`, or `on_event = \"name\"`",
            ))
        }
    });
    let parsed = syn::parse::Parser::parse2(parser, args);
    let options_ok = parsed.is_ok();
    if let Err(e) = parsed {
        errors.push(e);
    }
    check_handler(&item, "hook", "HookContext", &mut errors);
    let Some(event) = event else {
        if !options_ok {
            let e = errors.finish().unwrap_err().into_compile_error();
            return quote!(#item #e);
        }
        errors.push(syn::Error::new(
            Span::call_site(),
            "name the hook's event: `#[ferrite_plugin::hook(before_command)]`, `after_command`, `on_key_write` or `on_event = \"name\"`",
        ));
        let e = errors.finish().unwrap_err().into_compile_error();
        return quote!(#item #e);
    };
    if let (Some(_), Some(c)) = (&on_event, commands.first()) {
        errors.push(syn::Error::new(
            c.span(),
            "an `on_event` hook receives its event, not commands: remove `commands = [...]`",
        ));
    }
    let mut filter = Vec::new();
    if let Some(name) = &on_event {
        filter.push(name.value());
    }
    for c in &commands {
        let v = c.value().to_ascii_uppercase();
        if v.is_empty() || v.contains(',') || v.contains(char::is_whitespace) {
            errors.push(syn::Error::new(c.span(), "a command name, such as \"SET\""));
        }
        filter.push(v);
    }
    let ident = &item.sig.ident;
    let export = format!("ferrite-hook-{}", names::kebab(&ident.to_string()));
    if let Err(e) = errors.finish() {
        let e = e.into_compile_error();
        return quote!(#item #e);
    }
    let wrapper = format_ident!("__ferrite_plugin_hook_{}", ident);
    let call =
        quote_spanned!(item.sig.span()=> ::ferrite_plugin::hook::__call(#ident, event, words, key));
    let docs = item.attrs.iter().filter(|a| a.path().is_ident("doc"));
    let wrapper_fn: ItemFn = syn::parse_quote! {
        #(#docs)*
        #[doc(hidden)]
        fn #wrapper(
            event: ::ferrite_plugin::hook::HookEvent,
            words: ::std::vec::Vec<u8>,
            key: ::core::option::Option<u32>,
        ) -> ::ferrite_plugin::hook::HookResult {
            #call
        }
    };
    let mut attrs = vec![
        ("event".into(), event.to_string()),
        ("function".into(), ident.to_string()),
        ("commands".into(), filter.join(",")),
    ];
    let mut fuzz_errors = Errors::default();
    attrs.extend(fuzz.into_attrs(None, &mut fuzz_errors));
    if let Err(e) = fuzz_errors.finish() {
        let e = e.into_compile_error();
        return quote!(#item #e);
    }
    let glue = function::export_as(&wrapper_fn, export, ident.span(), "Hook", attrs);
    quote! {
        #item
        #[allow(non_snake_case, dead_code)]
        #wrapper_fn
        #glue
    }
}
