//! Procedural macros of the Ferrite plugin SDK.
//!
//! Use them through the `ferrite-plugin` crate (`#[ferrite_plugin::function]`,
//! `#[derive(ferrite_plugin::Record)]`, `#[derive(ferrite_plugin::Enum)]`),
//! whose docs describe them. Each macro parses its item into a model, checks it
//! (reporting every mistake at the user's tokens), and expands to glue that
//! names only `::ferrite_plugin::__private`.
//!
//! Set `FERRITE_PLUGIN_MACRO_DEBUG=DIR` to write each expansion to `DIR`.

mod attrs;
mod command;
mod derive;
mod errors;
mod function;
mod fuzz;
mod names;
mod test;
mod types;

use proc_macro::TokenStream;

/// Exports a function from the plugin's component. See `ferrite_plugin::function`.
#[proc_macro_attribute]
pub fn function(args: TokenStream, item: TokenStream) -> TokenStream {
    debug("function", function::expand(args.into(), item.into())).into()
}

/// Exports a custom command. See `ferrite_plugin::command`.
#[proc_macro_attribute]
pub fn command(args: TokenStream, item: TokenStream) -> TokenStream {
    debug("command", command::expand_command(args.into(), item.into())).into()
}

/// Exports an event hook. See `ferrite_plugin::hook`.
#[proc_macro_attribute]
pub fn hook(args: TokenStream, item: TokenStream) -> TokenStream {
    debug("hook", command::expand_hook(args.into(), item.into())).into()
}

/// Narrows the inputs `cargo ferrite-plugin test --fuzz` generates for an
/// export. See `ferrite_plugin::fuzz`.
#[proc_macro_attribute]
pub fn fuzz(args: TokenStream, item: TokenStream) -> TokenStream {
    debug("fuzz", fuzz::expand(args.into(), item.into())).into()
}

/// Declares a test run inside the plugin host. See `ferrite_plugin::test`.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    debug("test", test::expand(args.into(), item.into())).into()
}

/// Maps a struct to a WIT record. See `ferrite_plugin::Record`.
#[proc_macro_derive(Record, attributes(ferrite_plugin))]
pub fn derive_record(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    debug(
        "record",
        derive::record(&input).unwrap_or_else(syn::Error::into_compile_error),
    )
    .into()
}

/// Maps an enum to a WIT enum or variant. See `ferrite_plugin::Enum`.
#[proc_macro_derive(Enum, attributes(ferrite_plugin))]
pub fn derive_enum(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    debug(
        "enum",
        derive::enumeration(&input).unwrap_or_else(syn::Error::into_compile_error),
    )
    .into()
}

/// Writes an expansion to `$FERRITE_PLUGIN_MACRO_DEBUG/<kind>-<n>.rs` when set.
fn debug(kind: &str, tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    if let Some(dir) = std::env::var_os("FERRITE_PLUGIN_MACRO_DEBUG") {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = std::path::Path::new(&dir).join(format!("{kind}-{}-{n}.rs", std::process::id()));
        let _ = std::fs::write(path, tokens.to_string());
    }
    tokens
}
