//! `#[event]`: parse the arguments ([`parse`]), check them ([`valid`]), add serde and the
//! `DomainEvent` impl ([`expand`]), with the typed upcasting chain ([`chain`]).

mod chain;
mod expand;
mod parse;
mod valid;

pub use parse::parse_version;

use crate::ctxt::{Ctxt, item_keyword, with_crate};
use proc_macro2::TokenStream;
use quote::quote;

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    let parsed = parse::parse_args(args, &mut cx);
    let tokens = expand_item(&parsed, item, cx);
    with_crate(tokens, parsed.krate.as_ref())
}

fn expand_item(parsed: &parse::EventArgs, item: TokenStream, mut cx: Ctxt) -> TokenStream {
    let item = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(item) => item,
        // Not even an item: hand the tokens back with the parse error.
        Err(error) => {
            let error = error.into_compile_error();
            return quote!(#item #error);
        }
    };
    let (ident, generics, attrs) = match &item {
        syn::Item::Struct(s) => (&s.ident, &s.generics, &s.attrs),
        syn::Item::Enum(e) => (&e.ident, &e.generics, &e.attrs),
        other => {
            cx.error_spanned(
                item_keyword(other),
                "#[event] applies to a struct or an enum",
            );
            let errors = cx.into_compile_errors();
            return quote!(#item #errors);
        }
    };
    if !generics.params.is_empty() || generics.where_clause.is_some() {
        cx.error_spanned(
            generics,
            "#[event] types cannot be generic: a stored event needs one concrete type",
        );
        let errors = cx.into_compile_errors();
        return quote!(#item #errors);
    }
    let derived = existing_derives(attrs, &mut cx);

    // From here on the expansion is complete even with errors (a faulty argument falls back
    // to its default), so an aggregate listing the event reports nothing more.
    let name = parsed
        .name
        .as_ref()
        .map(|n| n.value())
        .unwrap_or_else(|| ident.to_string());
    let chain_ok = valid::validate(parsed, ident, &name, &mut cx);
    let generated = expand::generate(&expand::EventDef {
        item: &item,
        ident,
        name: &name,
        args: parsed,
        derived: &derived,
        chain: chain_ok,
    });
    let errors = cx.into_compile_errors();
    quote! {
        #generated
        #errors
    }
}

/// The trait names already derived on the item, which `#[event]` does not derive again.
/// Serde's are refused (`#[event]` derives them, with its own serde path), but left in
/// place so that nothing else fails.
fn existing_derives(attrs: &[syn::Attribute], cx: &mut Ctxt) -> Vec<String> {
    let mut names = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let Ok(paths) = attr.parse_args_with(
            syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
        ) else {
            continue;
        };
        for path in paths {
            let Some(last) = path.segments.last() else {
                continue;
            };
            let name = last.ident.to_string();
            if name == "Serialize" || name == "Deserialize" {
                cx.error_spanned(
                    &path,
                    format!("#[event] derives `{name}` itself; remove it from this derive"),
                );
            }
            names.push(name);
        }
    }
    names
}
