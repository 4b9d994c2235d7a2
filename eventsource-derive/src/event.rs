//! `#[event]`: parse the arguments, check the item, add serde and the `DomainEvent` impl.

use crate::ctxt::{Ctxt, SeenKeys, item_keyword, parse_name, value};
use crate::symbol::{EVENT_KEYS, NAME, VERSION};
use proc_macro2::TokenStream;
use quote::quote;

/// What `#[event(...)]` says, after parsing.
struct EventArgs {
    name: Option<syn::LitStr>,
    version: Option<u32>,
}

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    let parsed = parse_args(args, &mut cx);
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
        .map(|n| n.value())
        .unwrap_or_else(|| ident.to_string());
    let version = parsed.version.unwrap_or(1);
    let mut extra = Vec::new();
    for (trait_name, path) in [
        (
            "Serialize",
            quote!(::eventsource::__private::serde::Serialize),
        ),
        (
            "Deserialize",
            quote!(::eventsource::__private::serde::Deserialize),
        ),
        ("Debug", quote!(::core::fmt::Debug)),
        ("Clone", quote!(::core::clone::Clone)),
        ("PartialEq", quote!(::core::cmp::PartialEq)),
    ] {
        if !derived.iter().any(|d| d == trait_name) {
            extra.push(path);
        }
    }
    let doc_name = format!(" Stored as `{name}`, schema version {version}.");
    let derive = (!extra.is_empty()).then(|| quote!(#[derive( #(#extra),* )]));
    let errors = cx.into_compile_errors();
    quote! {
        #derive
        #[serde(crate = "::eventsource::__private::serde")]
        #item

        #[automatically_derived]
        impl ::eventsource::DomainEvent for #ident {
            #[doc = #doc_name]
            const EVENT_TYPE: &'static str = #name;
            const SCHEMA_VERSION: u32 = #version;
        }

        #errors
    }
}

fn parse_args(args: TokenStream, cx: &mut Ctxt) -> EventArgs {
    let mut parsed = EventArgs {
        name: None,
        version: None,
    };
    let mut seen = SeenKeys::new("event", EVENT_KEYS);
    let parser = syn::meta::parser(|meta| {
        let result = parse_entry(&meta, &mut parsed, &mut seen);
        cx.recover(meta.input, result)
    });
    if let Err(error) = syn::parse::Parser::parse2(parser, args) {
        cx.push(error);
    }
    parsed
}

/// One `key = value` of `#[event(...)]`.
fn parse_entry(
    meta: &syn::meta::ParseNestedMeta,
    parsed: &mut EventArgs,
    seen: &mut SeenKeys,
) -> syn::Result<()> {
    match seen.check(&meta.path)?.as_str() {
        NAME => parsed.name = Some(parse_name(meta)?),
        VERSION => parsed.version = Some(parse_version(meta)?),
        _ => unreachable!("SeenKeys admits only EVENT_KEYS"),
    }
    Ok(())
}

/// Parses `= N`: a schema version, an integer from 1.
pub fn parse_version(meta: &syn::meta::ParseNestedMeta) -> syn::Result<u32> {
    let expr: syn::Expr = value(meta, "version = 2")?.parse()?;
    let syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Int(int),
        ..
    }) = expr
    else {
        return Err(syn::Error::new_spanned(
            expr,
            "expected an integer schema version, as in `version = 2`",
        ));
    };
    match int.base10_parse::<u32>() {
        Ok(0) => Err(syn::Error::new_spanned(
            int,
            "schema versions start at 1; `version = 0` is not allowed",
        )),
        Ok(version) => Ok(version),
        Err(_) => Err(syn::Error::new_spanned(
            int,
            "the schema version must be an integer from 1 to 4294967295",
        )),
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
