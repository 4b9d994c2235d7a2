//! The tokens `#[derive(Aggregate)]` generates.

use super::{AggregateDef, ListedEvent};
use crate::ctxt::path_text;
use crate::names;
use crate::snapshot::{self};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use std::collections::BTreeSet;

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
fn duplicate_name_checks(def: &AggregateDef) -> TokenStream {
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
fn older_shape_checks(def: &AggregateDef) -> TokenStream {
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

/// The handler name a missing-handler error suggests for an event type: its name in snake
/// case (`TaskCompleted` → `task_completed`, `HTTPRequestSent` → `http_request_sent`).
fn handler_name(event: &str) -> String {
    let chars: Vec<char> = event.chars().collect();
    let mut name = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let after_lower =
                i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let acronym_end = i > 0
                && chars[i - 1].is_uppercase()
                && chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if (after_lower || acronym_end) && !name.ends_with('_') {
                name.push('_');
            }
            name.extend(c.to_lowercase());
        } else {
            name.push(c);
        }
    }
    // A keyword (`Type` → `type`) is not a usable name.
    if syn::parse_str::<syn::Ident>(&name).is_err() {
        name.insert_str(0, "on_");
    }
    name
}

#[cfg(test)]
mod tests {
    use super::handler_name;

    #[test]
    fn a_suggested_handler_is_the_event_name_in_snake_case() {
        assert_eq!(handler_name("TaskCompleted"), "task_completed");
        assert_eq!(handler_name("Created"), "created");
        assert_eq!(handler_name("HTTPRequestSent"), "http_request_sent");
        assert_eq!(handler_name("Step2Done"), "step2_done");
        assert_eq!(handler_name("Type"), "on_type");
    }
}
