//! The tokens `#[apply]` generates: the event enum, its registry and codec, the dispatch to
//! the handlers, the conversions a command returns through, and the link the derive finds
//! the enum by (see [`crate::link`]).

use super::{ApplyDef, Handler};
use crate::ctxt::path_text;
use crate::event_checks::{self, CheckedHandler, type_text};
use crate::{link, names};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use std::collections::BTreeSet;
use syn::spanned::Spanned;

/// Every use of a handled event's traits goes through `HandledEvent`: a type that is not an
/// `#[event]` is then reported once, at the handler's event type.
fn listed_event(path: &syn::Path) -> TokenStream {
    quote!(<#path as ::eventsource::__private::HandledEvent>)
}

pub(super) fn generate(def: &ApplyDef) -> TokenStream {
    let (self_ty, aggregate, event_enum) = (def.self_ty, &def.aggregate, &def.event_enum);
    let events: Vec<(&Handler, &syn::Path, &syn::Ident)> = def
        .handlers
        .iter()
        .filter_map(|h| Some((h, h.path.as_ref()?, h.variant()?)))
        .collect();
    let paths: Vec<_> = events.iter().map(|(_, p, _)| *p).collect();
    let variants: Vec<_> = events.iter().map(|(_, _, v)| *v).collect();
    let traits: Vec<_> = paths.iter().map(|p| listed_event(p)).collect();

    let enum_doc = format!(
        " The events of [`{aggregate}`]: one variant per event its `#[apply]` block handles."
    );
    let variant_docs = paths.iter().map(|p| format!(" A `{}`.", path_text(p)));
    let dispatch = events.iter().map(|(h, _, variant)| {
        let method = &h.method;
        let call = quote_spanned! {h.event.span()=>
            <#self_ty>::#method(aggregate, event)
        };
        quote!(#event_enum::#variant(event) => #call,)
    });
    let decode_arms = variants.iter().zip(&traits).map(|(variant, t)| {
        quote! {
            if #t::reads(stored.event_type) {
                return #t::decode_event(stored).map(#event_enum::#variant);
            }
        }
    });
    // With one variant, `PartialEq`'s catch-all arm would be unreachable.
    let eq_fallback = (events.len() > 1).then(|| quote!(_ => false,));
    let variant_names: Vec<_> = variants.iter().map(|v| v.to_string()).collect();
    let event_types = names::event_types(&traits);
    let checks = name_checks(def);
    let link = link_items(def);

    quote! {
        #[doc = #enum_doc]
        // Public whatever the aggregate's visibility (an `Aggregate::Event` is at least as
        // visible as its aggregate), with the events as they are declared.
        #[allow(private_interfaces)]
        pub enum #event_enum {
            #( #[doc = #variant_docs] #variants(#paths), )*
        }

        #[automatically_derived]
        impl ::core::fmt::Debug for #event_enum {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self {
                    #( #event_enum::#variants(event) => f.debug_tuple(#variant_names).field(#traits::as_debug(event)).finish(), )*
                }
            }
        }

        #[automatically_derived]
        impl ::core::clone::Clone for #event_enum {
            fn clone(&self) -> Self {
                match self {
                    #( #event_enum::#variants(event) => #event_enum::#variants(#traits::clone_event(event)), )*
                }
            }
        }

        #[automatically_derived]
        impl ::core::cmp::PartialEq for #event_enum {
            fn eq(&self, other: &Self) -> bool {
                match (self, other) {
                    #( (#event_enum::#variants(a), #event_enum::#variants(b)) => #traits::eq_event(a, b), )*
                    #eq_fallback
                }
            }
        }

        #(
            #[automatically_derived]
            impl ::core::convert::From<#paths> for #event_enum
            where
                for<'__retired> #paths: ::eventsource::__private::Emittable,
            {
                fn from(event: #paths) -> Self {
                    #event_enum::#variants(event)
                }
            }

            #[automatically_derived]
            impl ::eventsource::__private::EventOf<#self_ty, #paths> for #event_enum
            where
                for<'__retired> #paths: ::eventsource::__private::Emittable,
            {
                #[inline]
                fn wrap(event: #paths) -> Self {
                    #event_enum::#variants(event)
                }
            }
        )*

        #[automatically_derived]
        impl ::eventsource::__private::EventSet for #event_enum {
            const EVENT_TYPES: &'static [&'static str] = #event_types;
            const READS_METADATA: bool = false #( || #traits::UPCASTS_JSON )*;

            fn event_type(&self) -> &'static str {
                match self {
                    #( #event_enum::#variants(_) => #traits::EVENT_TYPE, )*
                }
            }

            fn schema_version(&self) -> u32 {
                match self {
                    #( #event_enum::#variants(_) => #traits::SCHEMA_VERSION, )*
                }
            }

            fn is_retired(&self) -> bool {
                match self {
                    #( #event_enum::#variants(_) => #traits::RETIRED, )*
                }
            }

            fn encode(&self) -> ::core::result::Result<::std::string::String, ::eventsource::__private::serde_json::Error> {
                match self {
                    #( #event_enum::#variants(event) => #traits::encode_event(event), )*
                }
            }

            fn encode_with(
                &self,
                codec: ::eventsource::Codec,
            ) -> ::core::result::Result<::eventsource::__private::Payload, ::eventsource::__private::CodecError> {
                match self {
                    #( #event_enum::#variants(event) => #traits::encode_event_with(event, codec), )*
                }
            }

            fn decode_stored(
                stored: ::eventsource::__private::StoredPayload<'_>,
            ) -> ::core::result::Result<Self, ::eventsource::__private::DecodeError> {
                #( #decode_arms )*
                ::core::result::Result::Err(::eventsource::__private::DecodeError::UnknownEventType)
            }
        }

        #[automatically_derived]
        impl ::eventsource::__private::Dispatch<#self_ty> for #event_enum {
            #[inline]
            fn dispatch(&self, aggregate: &mut #self_ty) {
                match self {
                    #( #dispatch )*
                }
            }
        }

        #[automatically_derived]
        impl ::eventsource::IntoEvents<#self_ty> for #event_enum {
            fn into_events(self, out: &mut ::std::vec::Vec<#event_enum>) {
                out.push(self);
            }

            fn each_event(self, each: &mut dyn ::core::ops::FnMut(#event_enum)) {
                each(self);
            }
        }

        #link
        #checks
    }
}

/// The alias the derive finds the enum by, and the impl its check asks for.
fn link_items(def: &ApplyDef) -> TokenStream {
    let (self_ty, event_enum) = (def.self_ty, &def.event_enum);
    let link = link::event_enum(&def.aggregate);
    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        type #link = #event_enum;

        #[automatically_derived]
        impl ::eventsource::__private::Applied<#self_ty> for #event_enum {}
    }
}

/// The stored-name checks of the handled events (see [`event_checks`]).
fn name_checks(def: &ApplyDef) -> TokenStream {
    let handlers: Vec<_> = def
        .handlers
        .iter()
        .map(|h| CheckedHandler {
            method: &h.method,
            event: &h.event,
        })
        .collect();
    let events = quote!(::eventsource::__private::HandledEvent);
    let aggregate = &def.aggregate;
    let duplicates = event_checks::duplicate_names(&handlers, &events, |earlier, later| {
        format!(
            "events `{}` (handler `{}`) and `{}` (handler `{}`) of aggregate `{aggregate}` share a stored name (a name or an alias), so their rows could not be told apart; give one of them a distinct #[event(name = \"...\")] or alias",
            type_text(earlier.event),
            earlier.method,
            type_text(later.event),
            later.method,
        )
    });
    let shapes = event_checks::older_shapes(&handlers, &events);
    quote!(#duplicates #shapes)
}

/// What stands in for the expansion when the block has errors: the enum with the events
/// that can be told, and every impl the derive and the code using the aggregate need, with
/// bodies that never run (the build fails on the reported errors). No handler is called,
/// so nothing is reported again.
pub(super) fn stand_in(def: &ApplyDef) -> TokenStream {
    let (self_ty, event_enum) = (def.self_ty, &def.event_enum);
    // One variant per usable event: not generic, its variant name and its type not taken.
    let mut seen_variants = BTreeSet::new();
    let mut seen_types = BTreeSet::new();
    let events: Vec<(&syn::Path, &syn::Ident)> = def
        .handlers
        .iter()
        .filter_map(|h| Some((h.path.as_ref()?, h.variant()?)))
        .filter(|(p, _)| p.segments.iter().all(|s| s.arguments.is_none()))
        .filter(|(p, v)| seen_variants.insert(v.to_string()) && seen_types.insert(path_text(p)))
        .collect();
    let paths: Vec<_> = events.iter().map(|(p, _)| *p).collect();
    let variants: Vec<_> = events.iter().map(|(_, v)| *v).collect();
    let link = link_items(def);
    quote! {
        #[allow(private_interfaces)]
        pub enum #event_enum {
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
            impl ::eventsource::__private::EventOf<#self_ty, #paths> for #event_enum {
                fn wrap(event: #paths) -> Self {
                    #event_enum::#variants(event)
                }
            }
        )*

        #[automatically_derived]
        impl ::eventsource::__private::EventSet for #event_enum {
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
                _: ::eventsource::__private::StoredPayload<'_>,
            ) -> ::core::result::Result<Self, ::eventsource::__private::DecodeError> {
                ::core::unimplemented!()
            }
        }

        #[automatically_derived]
        impl ::eventsource::__private::Dispatch<#self_ty> for #event_enum {
            fn dispatch(&self, _: &mut #self_ty) {
                ::core::unimplemented!()
            }
        }

        #[automatically_derived]
        impl ::eventsource::IntoEvents<#self_ty> for #event_enum {
            fn into_events(self, _: &mut ::std::vec::Vec<#event_enum>) {
                ::core::unimplemented!()
            }
        }

        #link
    }
}
