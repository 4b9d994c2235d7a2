//! `#[event]`: parse the arguments, check the item, add serde and the `DomainEvent` impl.

use crate::ctxt::{Ctxt, SeenKeys, parse_name};
use crate::symbol::{EVENT_KEYS, NAME, VERSION};
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::spanned::Spanned;

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
    }
    let derived = existing_derives(attrs, &mut cx);
    if cx.has_errors() {
        let errors = cx.into_compile_errors();
        return quote!(#item #errors);
    }

    let name = parsed
        .name
        .map(|n| n.value())
        .unwrap_or_else(|| ident.to_string());
    let version = parsed.version.unwrap_or(1);
    let mut extra = Vec::new();
    for (trait_name, path) in [
        ("Debug", quote!(::core::fmt::Debug)),
        ("Clone", quote!(::core::clone::Clone)),
        ("PartialEq", quote!(::core::cmp::PartialEq)),
    ] {
        if !derived.iter().any(|d| d == trait_name) {
            extra.push(path);
        }
    }
    let doc_name = format!(" Stored as `{name}`, schema version {version}.");
    quote! {
        #[derive(
            ::eventsource::__private::serde::Serialize,
            ::eventsource::__private::serde::Deserialize,
            #(#extra),*
        )]
        #[serde(crate = "::eventsource::__private::serde")]
        #item

        #[automatically_derived]
        impl ::eventsource::DomainEvent for #ident {
            #[doc = #doc_name]
            const EVENT_TYPE: &'static str = #name;
            const SCHEMA_VERSION: u32 = #version;
        }
    }
}

fn parse_args(args: TokenStream, cx: &mut Ctxt) -> EventArgs {
    let mut parsed = EventArgs {
        name: None,
        version: None,
    };
    let mut seen = SeenKeys::new("event", EVENT_KEYS);
    let parser = syn::meta::parser(|meta| {
        let key = seen.check(&meta.path)?;
        match key.as_str() {
            NAME => parsed.name = Some(parse_name(&meta)?),
            VERSION => parsed.version = Some(parse_version(&meta)?),
            _ => unreachable!("SeenKeys admits only EVENT_KEYS"),
        }
        Ok(())
    });
    if let Err(error) = syn::parse::Parser::parse2(parser, args) {
        cx.push(error);
    }
    parsed
}

/// Parses `= N`: a schema version, an integer from 1.
pub fn parse_version(meta: &syn::meta::ParseNestedMeta) -> syn::Result<u32> {
    let value = meta.value()?;
    let lit: syn::Lit = value.parse()?;
    let syn::Lit::Int(int) = lit else {
        return Err(syn::Error::new_spanned(
            lit,
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

/// The trait names already derived on the item; serde's are refused because `#[event]`
/// derives them itself.
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

fn item_keyword(item: &syn::Item) -> TokenStream {
    match item {
        syn::Item::Union(u) => u.union_token.to_token_stream(),
        syn::Item::Fn(f) => f.sig.fn_token.to_token_stream(),
        syn::Item::Trait(t) => t.trait_token.to_token_stream(),
        syn::Item::Impl(i) => i.impl_token.to_token_stream(),
        syn::Item::Type(t) => t.type_token.to_token_stream(),
        syn::Item::Mod(m) => m.mod_token.to_token_stream(),
        other => {
            let span = other.span();
            quote::quote_spanned!(span=> item)
        }
    }
}
