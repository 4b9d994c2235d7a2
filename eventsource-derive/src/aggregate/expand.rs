//! The tokens `#[derive(Aggregate)]` generates.

use super::AggregateDef;
use super::checks::{duplicate_name_checks, listed_impls, older_shape_checks};
use super::handler_name::handler_name;
use crate::ctxt::path_text;
use crate::names;
use crate::snapshot;
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};

pub(super) fn generate(def: &AggregateDef) -> TokenStream {
    let ident = &def.input.ident;
    let vis = &def.input.vis;
    let name = &def.name;
    let id = &def.id;
    let event_enum = &def.event_enum;
    let paths: Vec<_> = def.events.iter().map(|e| &e.path).collect();
    let variants: Vec<_> = def.events.iter().map(|e| &e.variant).collect();

    let enum_doc = format!(" The events of [`{ident}`], one variant per listed event.");
    let variant_docs = paths.iter().map(|p| format!(" A `{}`.", path_text(p)));

    // Each event's handler is called through a local trait whose diagnostic names the
    // handler to write: `ApplyEvent`'s own cannot derive `task_completed` from
    // `TaskCompleted`. `Self` carries the listed event's span: a missing handler is
    // reported there.
    let handles = def.events.iter().map(|e| {
        let (path, variant) = (&e.path, &e.variant);
        let handles = format_ident!("Handles{}", variant);
        let message = format!(
            "event `{}` has no #[apply] handler on `{ident}`",
            path_text(path)
        );
        let label = format!("`{}` is listed here but never applied", path_text(path));
        let note = format!(
            "add `fn {}(&mut self, event: &{}) {{{{ ... }}}}` to an `#[apply] impl {ident}` block",
            handler_name(&variant.to_string()),
            path_text(path)
        );
        // At the listed event: "required for `Task` to implement `HandlesTaskCompleted`"
        // then points there too, not into the derive.
        quote_spanned! {e.span()=>
            #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
            trait #handles {
                fn apply_listed(&mut self, event: &#path);
            }

            impl<__Aggregate: ::eventsource::ApplyEvent<#path>> #handles for __Aggregate {
                #[inline]
                fn apply_listed(&mut self, event: &#path) {
                    <__Aggregate as ::eventsource::ApplyEvent<#path>>::apply_event(self, event)
                }
            }
        }
    });
    let dispatch = def.events.iter().map(|e| {
        let variant = &e.variant;
        let handles = format_ident!("Handles{}", variant);
        let call = quote_spanned! {e.span()=>
            <Self as #handles>::apply_listed(self, event)
        };
        quote!(#event_enum::#variant(event) => #call,)
    });
    // Every use of a listed event's traits goes through `ListedEvent`: a type listed
    // without `#[event]` is then reported once, at the list.
    let listed_event = |path: &syn::Path| quote!(<#path as ::eventsource::__private::ListedEvent>);
    let traits: Vec<_> = paths.iter().map(|p| listed_event(p)).collect();
    let decode_arms = def.events.iter().zip(&traits).map(|(e, t)| {
        let variant = &e.variant;
        quote! {
            if #t::reads(stored.event_type) {
                return #t::decode_event(stored).map(#event_enum::#variant);
            }
        }
    });
    // With one variant, `PartialEq`'s catch-all arm would be unreachable.
    let eq_fallback = (def.events.len() > 1).then(|| quote!(_ => false,));
    let variant_names: Vec<_> = variants.iter().map(|v| v.to_string()).collect();
    let name_checks = duplicate_name_checks(def);
    let shape_checks = older_shape_checks(def);
    let event_types = names::event_types(&traits);
    let listed = listed_impls(def.input, &def.events);
    let snapshot = def
        .snapshot
        .as_ref()
        .map(|s| snapshot::expand(s, ident))
        .unwrap_or_default();

    quote! {
        #[doc = #enum_doc]
        #vis enum #event_enum {
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
                for<'__retired> #paths: ::eventsource::Emittable,
            {
                fn from(event: #paths) -> Self {
                    #event_enum::#variants(event)
                }
            }
        )*

        #[automatically_derived]
        impl ::eventsource::EventSet for #event_enum {
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
            ) -> ::core::result::Result<::eventsource::Payload, ::eventsource::CodecError> {
                match self {
                    #( #event_enum::#variants(event) => #traits::encode_event_with(event, codec), )*
                }
            }

            fn decode_stored(
                stored: ::eventsource::StoredPayload<'_>,
            ) -> ::core::result::Result<Self, ::eventsource::DecodeError> {
                #( #decode_arms )*
                ::core::result::Result::Err(::eventsource::DecodeError::UnknownEventType)
            }
        }

        #[automatically_derived]
        impl ::eventsource::Aggregate for #ident {
            type Id = #id;
            type Event = #event_enum;
            const TYPE: &'static str = #name;

            fn apply(&mut self, event: &#event_enum) {
                #( #handles )*
                match event {
                    #( #dispatch )*
                }
            }
        }

        #(
            #[automatically_derived]
            impl ::eventsource::IntoEvents<#ident> for #paths
            where
                for<'__retired> #paths: ::eventsource::Emittable,
            {
                fn into_events(self, out: &mut ::std::vec::Vec<#event_enum>) {
                    out.push(#event_enum::#variants(self));
                }

                fn each_event(self, each: &mut dyn ::core::ops::FnMut(#event_enum)) {
                    each(#event_enum::#variants(self));
                }
            }
        )*

        #[automatically_derived]
        impl ::eventsource::IntoEvents<#ident> for #event_enum {
            fn into_events(self, out: &mut ::std::vec::Vec<#event_enum>) {
                out.push(self);
            }

            fn each_event(self, each: &mut dyn ::core::ops::FnMut(#event_enum)) {
                each(self);
            }
        }

        #listed
        #name_checks
        #shape_checks
        #snapshot
    }
}
