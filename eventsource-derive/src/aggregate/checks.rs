//! What the expansion checks of the listed events: `ListsEvent` for each (what
//! `#[apply]` handlers are checked against), no two with one stored name, and older
//! shapes that are not listed.

use super::{AggregateDef, ListedEvent};
use crate::ctxt::path_text;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use std::collections::BTreeSet;

/// `ListsEvent<E>` for each listed event (once each): what `#[apply]` handlers are checked
/// against.
pub(super) fn listed_impls(input: &syn::DeriveInput, events: &[ListedEvent]) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let mut seen = BTreeSet::new();
    let paths = events
        .iter()
        .filter(|e| seen.insert(path_text(&e.path)))
        .map(|e| &e.path);
    quote! {
        #(
            #[automatically_derived]
            impl #impl_generics ::eventsource::__private::ListsEvent<#paths> for #ident #ty_generics #where_clause {}
        )*
    }
}

/// When the event list is missing or unusable: `ListsEvent` for every type, so that the
/// handlers add no error to the one already reported.
pub(super) fn lists_every_event(input: &syn::DeriveInput) -> TokenStream {
    let ident = &input.ident;
    let mut generics = input.generics.clone();
    generics.params.push(syn::parse_quote!(__Event));
    let (impl_generics, _, _) = generics.split_for_impl();
    let (_, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_generics ::eventsource::__private::ListsEvent<__Event> for #ident #ty_generics #where_clause {}
    }
}

/// A `const` assertion per listed event after the first: no earlier event has its stored
/// name, since two events with one name could not be told apart when read back. Each
/// assertion fails at the later event of its pair, so every clash is reported.
pub(super) fn duplicate_name_checks(def: &AggregateDef) -> TokenStream {
    let ident = &def.input.ident;
    let mut consts = Vec::new();
    for (i, later) in def.events.iter().enumerate().skip(1) {
        let checks = def.events[..i].iter().map(|earlier| {
            let (a, b) = (&earlier.path, &later.path);
            let message = format!(
                "events `{}` and `{}` of aggregate `{}` share a stored name (a name or an alias); give one of them a distinct #[event(name = \"...\")] or alias",
                path_text(a),
                path_text(b),
                ident
            );
            quote_spanned! {later.span()=>
                if ::eventsource::__private::names_overlap(
                    <#a as ::eventsource::__private::ListedEvent>::EVENT_TYPE,
                    <#a as ::eventsource::__private::ListedEvent>::ALIASES,
                    <#b as ::eventsource::__private::ListedEvent>::EVENT_TYPE,
                    <#b as ::eventsource::__private::ListedEvent>::ALIASES,
                ) {
                    ::core::panic!(#message);
                }
            }
        });
        consts.push(quote_spanned! {later.span()=>
            const _: () = {
                #( #checks )*
            };
        });
    }
    quote!(#( #consts )*)
}

/// A `const` assertion per listed event: it is not an older shape (`upcast_to`), whose rows
/// the current event reads.
pub(super) fn older_shape_checks(def: &AggregateDef) -> TokenStream {
    let ident = &def.input.ident;
    let checks = def.events.iter().map(|event| {
        let path = &event.path;
        let message = format!(
            "`{}` is an older shape of an event (`upcast_to`): list the current event in `events(...)` of `{ident}`, which reads its rows",
            path_text(path)
        );
        quote_spanned! {event.span()=>
            const _: () = {
                if <#path as ::eventsource::__private::ListedEvent>::OLDER_SHAPE {
                    ::core::panic!(#message);
                }
            };
        }
    });
    quote!(#( #checks )*)
}
