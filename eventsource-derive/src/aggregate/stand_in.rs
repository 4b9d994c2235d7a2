//! What stands in for the expansion when `#[aggregate(...)]` has errors.

use super::AggregateDef;
use crate::ctxt::path_text;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use std::collections::BTreeSet;

/// What stands in for the expansion when `#[aggregate(...)]` has errors: the event enum
/// and the `Aggregate`, `EventSet` and `IntoEvents` impls, with placeholder bodies that
/// never run (the build fails on the reported errors). No handler is called, so nothing is
/// reported again as a missing or wrong handler.
pub(super) fn stand_in(input: &syn::DeriveInput, def: Option<&AggregateDef>) -> TokenStream {
    let generic = !input.generics.params.is_empty() || input.generics.where_clause.is_some();
    if generic || matches!(input.data, syn::Data::Union(_)) {
        return TokenStream::new();
    }
    let ident = &input.ident;
    let vis = &input.vis;
    let name = def.map_or_else(|| ident.to_string(), |d| d.name.clone());
    let id = def.map_or_else(|| quote!(::eventsource::__private::Uuid), |d| d.id.clone());
    let event_enum = def.map_or_else(|| format_ident!("{}Event", ident), |d| d.event_enum.clone());
    // One variant per usable entry: not generic, its variant name and its path not taken.
    let mut variants = BTreeSet::new();
    let mut paths = BTreeSet::new();
    let events: Vec<_> = def
        .map(|d| d.events.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|e| e.path.segments.iter().all(|s| s.arguments.is_none()))
        .filter(|e| variants.insert(e.variant.to_string()) && paths.insert(path_text(&e.path)))
        .collect();
    let variants: Vec<_> = events.iter().map(|e| &e.variant).collect();
    let paths: Vec<_> = events.iter().map(|e| &e.path).collect();
    quote! {
        #vis enum #event_enum {
            #( #variants(#paths), )*
        }

        #[automatically_derived]
        impl ::core::fmt::Debug for #event_enum {
            fn fmt(&self, _: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::unimplemented!()
            }
        }

        #[automatically_derived]
        impl ::core::clone::Clone for #event_enum {
            fn clone(&self) -> Self {
                ::core::unimplemented!()
            }
        }

        #[automatically_derived]
        impl ::core::cmp::PartialEq for #event_enum {
            fn eq(&self, _: &Self) -> bool {
                ::core::unimplemented!()
            }
        }

        #(
            #[automatically_derived]
            impl ::core::convert::From<#paths> for #event_enum {
                fn from(event: #paths) -> Self {
                    #event_enum::#variants(event)
                }
            }

            #[automatically_derived]
            impl ::eventsource::IntoEvents<#ident> for #paths {
                fn into_events(self, out: &mut ::std::vec::Vec<#event_enum>) {
                    out.push(#event_enum::#variants(self));
                }
            }
        )*

        #[automatically_derived]
        impl ::eventsource::IntoEvents<#ident> for #event_enum {
            fn into_events(self, out: &mut ::std::vec::Vec<#event_enum>) {
                out.push(self);
            }
        }

        #[automatically_derived]
        impl ::eventsource::EventSet for #event_enum {
            const EVENT_TYPES: &'static [&'static str] = &[];

            fn event_type(&self) -> &'static str {
                ::core::unimplemented!()
            }

            fn schema_version(&self) -> u32 {
                ::core::unimplemented!()
            }

            fn encode(&self) -> ::core::result::Result<::std::string::String, ::eventsource::__private::serde_json::Error> {
                ::core::unimplemented!()
            }

            fn decode_stored(
                _: ::eventsource::StoredPayload<'_>,
            ) -> ::core::result::Result<Self, ::eventsource::DecodeError> {
                ::core::unimplemented!()
            }
        }

        #[automatically_derived]
        impl ::eventsource::Aggregate for #ident {
            type Id = #id;
            type Event = #event_enum;
            const TYPE: &'static str = #name;

            fn apply(&mut self, _: &#event_enum) {
                ::core::unimplemented!()
            }
        }
    }
}
