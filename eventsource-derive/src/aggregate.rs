//! `#[derive(Aggregate)]`: parse `#[aggregate(...)]`, validate the event list, expand the
//! event enum, the codec, the apply dispatch and the compile-time checks.

use crate::ctxt::{Ctxt, SeenKeys, parse_name};
use crate::snapshot::{self, SnapshotDef};
use crate::symbol::{AGGREGATE, AGGREGATE_KEYS, EVENT_ENUM, EVENTS, ID, NAME, SNAPSHOT};
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use std::collections::BTreeMap;
use syn::spanned::Spanned;

/// The aggregate as the expansion sees it.
struct AggregateDef<'a> {
    input: &'a syn::DeriveInput,
    name: String,
    id: TokenStream,
    event_enum: syn::Ident,
    events: Vec<ListedEvent>,
    snapshot: Option<SnapshotDef>,
}

/// One entry of `events(...)`.
struct ListedEvent {
    path: syn::Path,
    variant: syn::Ident,
}

impl ListedEvent {
    fn span(&self) -> Span {
        self.path.span()
    }
}

pub fn expand(input: TokenStream) -> TokenStream {
    let input = match syn::parse2::<syn::DeriveInput>(input) {
        Ok(input) => input,
        Err(error) => return error.into_compile_error(),
    };
    let mut cx = Ctxt::default();
    let def = parse(&input, &mut cx);
    if let Some(def) = &def {
        validate(def, &mut cx);
    }
    match def {
        Some(def) if !cx.has_errors() => generate(&def),
        other => {
            // Keep later errors quiet: the handlers may still name the listed events.
            let fallback = other.map(|def| listed_impls(&def)).unwrap_or_default();
            let errors = cx.into_compile_errors();
            quote!(#errors #fallback)
        }
    }
}

fn parse<'a>(input: &'a syn::DeriveInput, cx: &mut Ctxt) -> Option<AggregateDef<'a>> {
    if let syn::Data::Union(u) = &input.data {
        cx.error_spanned(
            u.union_token,
            "#[derive(Aggregate)] applies to a struct or an enum",
        );
        return None;
    }
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        cx.error_spanned(
            &input.generics,
            "#[derive(Aggregate)] does not support generic aggregates",
        );
    }
    let attrs: Vec<_> = input
        .attrs
        .iter()
        .filter(|a| a.path().is_ident(AGGREGATE))
        .collect();
    if attrs.is_empty() {
        cx.error_spanned(
            &input.ident,
            format!(
                "#[derive(Aggregate)] needs an `#[aggregate(events(...))]` attribute listing the events of `{}`",
                input.ident
            ),
        );
        return None;
    }
    let mut name = None;
    let mut id = None;
    let mut event_enum = None;
    let mut events: Option<(syn::Path, Vec<syn::Path>)> = None;
    let mut snapshot = None;
    let mut seen = SeenKeys::new(AGGREGATE, AGGREGATE_KEYS);
    for attr in &attrs {
        let result = attr.parse_nested_meta(|meta| {
            let key = seen.check(&meta.path)?;
            match key.as_str() {
                NAME => name = Some(parse_name(&meta)?.value()),
                ID => id = Some(meta.value()?.parse::<syn::Type>()?.into_token_stream()),
                EVENT_ENUM => event_enum = Some(meta.value()?.parse::<syn::Ident>()?),
                EVENTS => {
                    let content;
                    syn::parenthesized!(content in meta.input);
                    let list =
                        syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated(
                            &content,
                        )?;
                    events = Some((meta.path.clone(), list.into_iter().collect()));
                }
                SNAPSHOT => snapshot = Some(snapshot::parse(&meta)?),
                _ => unreachable!("SeenKeys admits only AGGREGATE_KEYS"),
            }
            Ok(())
        });
        if let Err(error) = result {
            cx.push(error);
        }
    }
    let events = match events {
        None => {
            if !cx.has_errors() {
                cx.error_spanned(
                    attrs[0],
                    "missing `events(...)`: list the events of the aggregate, as in `#[aggregate(events(TaskCreated, TaskCompleted))]`",
                );
            }
            Vec::new()
        }
        Some((key, list)) if list.is_empty() => {
            cx.error_spanned(
                key,
                "`events()` is empty: an aggregate needs at least one event",
            );
            Vec::new()
        }
        Some((_, list)) => list
            .into_iter()
            .filter_map(|path| {
                let variant = path.segments.last()?.ident.clone();
                Some(ListedEvent { path, variant })
            })
            .collect(),
    };
    Some(AggregateDef {
        input,
        name: name.unwrap_or_else(|| input.ident.to_string()),
        id: id.unwrap_or_else(|| quote!(::eventsource::__private::Uuid)),
        event_enum: event_enum.unwrap_or_else(|| format_ident!("{}Event", input.ident)),
        events,
        snapshot,
    })
}

/// Checks that need only the event list itself: an event listed twice, two events that
/// would become the same enum variant.
fn validate(def: &AggregateDef, cx: &mut Ctxt) {
    if let Some(snapshot) = &def.snapshot {
        snapshot::validate(snapshot, &def.input.ident, cx);
    }
    let mut by_path: BTreeMap<String, &ListedEvent> = BTreeMap::new();
    let mut by_variant: BTreeMap<String, &ListedEvent> = BTreeMap::new();
    for event in &def.events {
        let key = event.path.to_token_stream().to_string().replace(' ', "");
        if by_path.insert(key.clone(), event).is_some() {
            cx.error_spanned(
                &event.path,
                format!("event `{key}` is listed twice in `events(...)`"),
            );
            continue;
        }
        if !event.path.segments.iter().all(|s| s.arguments.is_none()) {
            cx.error_spanned(
                &event.path,
                "events cannot be generic: list a concrete event type",
            );
        }
        if let Some(first) = by_variant.insert(event.variant.to_string(), event) {
            cx.error_spanned(
                &event.path,
                format!(
                    "`{}` and `{}` would both be the variant `{}` of `{}`; rename one type",
                    first.path.to_token_stream(),
                    event.path.to_token_stream(),
                    event.variant,
                    def.event_enum
                ),
            );
        }
    }
}

fn generate(def: &AggregateDef) -> TokenStream {
    let ident = &def.input.ident;
    let vis = &def.input.vis;
    let name = &def.name;
    let id = &def.id;
    let event_enum = &def.event_enum;
    let paths: Vec<_> = def.events.iter().map(|e| &e.path).collect();
    let variants: Vec<_> = def.events.iter().map(|e| &e.variant).collect();

    let enum_doc = format!(" The events of [`{ident}`], one variant per listed event.");
    let variant_docs = paths
        .iter()
        .map(|p| format!(" A `{}`.", p.to_token_stream()));

    let dispatch = def.events.iter().map(|e| {
        let (path, variant) = (&e.path, &e.variant);
        let call = quote_spanned! {e.span()=>
            <#ident as ::eventsource::ApplyEvent<#path>>::apply_event(self, event)
        };
        quote!(#event_enum::#variant(event) => #call,)
    });
    let decode_arms = def.events.iter().map(|e| {
        let (path, variant) = (&e.path, &e.variant);
        quote! {
            if event_type == <#path as ::eventsource::DomainEvent>::EVENT_TYPE {
                return ::eventsource::__private::decode_event::<#path>(schema_version, payload)
                    .map(#event_enum::#variant);
            }
        }
    });
    let name_checks = duplicate_name_checks(def);
    let listed = listed_impls(def);
    let snapshot = def
        .snapshot
        .as_ref()
        .map(|s| snapshot::expand(s, ident))
        .unwrap_or_default();

    quote! {
        #[doc = #enum_doc]
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq)]
        #vis enum #event_enum {
            #( #[doc = #variant_docs] #variants(#paths), )*
        }

        #(
            #[automatically_derived]
            impl ::core::convert::From<#paths> for #event_enum {
                fn from(event: #paths) -> Self {
                    #event_enum::#variants(event)
                }
            }
        )*

        #[automatically_derived]
        impl ::eventsource::EventSet for #event_enum {
            const EVENT_TYPES: &'static [&'static str] =
                &[#(<#paths as ::eventsource::DomainEvent>::EVENT_TYPE),*];

            fn event_type(&self) -> &'static str {
                match self {
                    #( #event_enum::#variants(_) => <#paths as ::eventsource::DomainEvent>::EVENT_TYPE, )*
                }
            }

            fn schema_version(&self) -> u32 {
                match self {
                    #( #event_enum::#variants(_) => <#paths as ::eventsource::DomainEvent>::SCHEMA_VERSION, )*
                }
            }

            fn encode(&self) -> ::core::result::Result<::std::string::String, ::eventsource::__private::serde_json::Error> {
                match self {
                    #( #event_enum::#variants(event) => ::eventsource::__private::serde_json::to_string(event), )*
                }
            }

            fn decode(
                event_type: &str,
                schema_version: u32,
                payload: &str,
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
                match event {
                    #( #dispatch )*
                }
            }
        }

        #(
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

        #listed
        #name_checks
        #snapshot
    }
}

/// `ListsEvent<E>` for each listed event: what `#[apply]` handlers are checked against.
fn listed_impls(def: &AggregateDef) -> TokenStream {
    let ident = &def.input.ident;
    let paths = def.events.iter().map(|e| &e.path);
    quote! {
        #(
            #[automatically_derived]
            impl ::eventsource::__private::ListsEvent<#paths> for #ident {}
        )*
    }
}

/// A `const` assertion per pair of events: two events with one stored name could not be
/// told apart when read back. It fails at the later event of the pair.
fn duplicate_name_checks(def: &AggregateDef) -> TokenStream {
    let ident = &def.input.ident;
    let mut checks = Vec::new();
    for (i, later) in def.events.iter().enumerate() {
        for earlier in &def.events[..i] {
            let (a, b) = (&earlier.path, &later.path);
            let message = format!(
                "events `{}` and `{}` of aggregate `{}` have the same stored name; give one of them a distinct #[event(name = \"...\")]",
                a.to_token_stream(),
                b.to_token_stream(),
                ident
            );
            checks.push(quote_spanned! {later.span()=>
                if ::eventsource::__private::str_eq(
                    <#a as ::eventsource::DomainEvent>::EVENT_TYPE,
                    <#b as ::eventsource::DomainEvent>::EVENT_TYPE,
                ) {
                    ::core::panic!(#message);
                }
            });
        }
    }
    if checks.is_empty() {
        return TokenStream::new();
    }
    quote! {
        const _: () = {
            #( #checks )*
        };
    }
}
