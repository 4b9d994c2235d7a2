//! `#[derive(Aggregate)]`: parse `#[aggregate(...)]`, validate the event list, expand the
//! event enum, the codec, the apply dispatch and the compile-time checks.

use crate::ctxt::{Ctxt, SeenKeys, parse_name, path_text, value};
use crate::snapshot::{self, SnapshotDef};
use crate::symbol::{AGGREGATE, AGGREGATE_KEYS, EVENT_ENUM, EVENTS, ID, NAME, SNAPSHOT};
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use std::collections::{BTreeMap, BTreeSet};
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
        def => {
            // Keep the `#[apply]` handlers quiet: each gets the `ListsEvent` impl it needs.
            let fallback = match def {
                Some(def) if !def.events.is_empty() => listed_impls(&input, &def.events),
                _ => lists_every_event(&input),
            };
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
    let mut args = AggregateArgs::default();
    let mut seen = SeenKeys::new(AGGREGATE, AGGREGATE_KEYS);
    for attr in &attrs {
        let result = attr.parse_nested_meta(|meta| {
            let result = parse_entry(&meta, &mut args, &mut seen);
            cx.recover(meta.input, result)
        });
        if let Err(error) = result {
            cx.push(error);
        }
    }
    let AggregateArgs {
        name,
        id,
        event_enum,
        events,
        snapshot,
    } = args;
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

/// What `#[aggregate(...)]` says, after parsing.
#[derive(Default)]
struct AggregateArgs {
    name: Option<String>,
    id: Option<TokenStream>,
    event_enum: Option<syn::Ident>,
    /// The `events` key and the listed paths.
    events: Option<(syn::Path, Vec<syn::Path>)>,
    snapshot: Option<SnapshotDef>,
}

/// One `key = value` (or `events(...)`) of `#[aggregate(...)]`.
fn parse_entry(
    meta: &syn::meta::ParseNestedMeta,
    args: &mut AggregateArgs,
    seen: &mut SeenKeys,
) -> syn::Result<()> {
    match seen.check(&meta.path)?.as_str() {
        NAME => args.name = Some(parse_name(meta)?.value()),
        ID => {
            let ty: syn::Type = value(meta, "id = Uuid")?.parse().map_err(|error| {
                syn::Error::new(error.span(), "expected the id type, as in `id = Uuid`")
            })?;
            args.id = Some(ty.into_token_stream());
        }
        EVENT_ENUM => {
            let input = value(meta, "event_enum = TaskEvent")?;
            let expr: syn::Expr = input.parse()?;
            match &expr {
                syn::Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some() => {
                    args.event_enum = p.path.get_ident().cloned();
                }
                _ => {
                    return Err(syn::Error::new_spanned(
                        expr,
                        "expected the name of the generated enum, as in `event_enum = TaskEvent`",
                    ));
                }
            }
        }
        EVENTS => {
            if !meta.input.peek(syn::token::Paren) {
                return Err(syn::Error::new_spanned(
                    &meta.path,
                    "`events` takes a list in parentheses, as in `events(TaskCreated, TaskCompleted)`",
                ));
            }
            let content;
            syn::parenthesized!(content in meta.input);
            let list = syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated(
                &content,
            )?;
            args.events = Some((meta.path.clone(), list.into_iter().collect()));
        }
        SNAPSHOT => args.snapshot = Some(snapshot::parse(meta)?),
        _ => unreachable!("SeenKeys admits only AGGREGATE_KEYS"),
    }
    Ok(())
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
        let key = path_text(&event.path);
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
                    path_text(&first.path),
                    path_text(&event.path),
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
    let variant_docs = paths.iter().map(|p| format!(" A `{}`.", path_text(p)));

    let dispatch = def.events.iter().map(|e| {
        let (path, variant) = (&e.path, &e.variant);
        // `Self` carries the listed event's span: a missing handler is reported there.
        let call = quote_spanned! {e.span()=>
            <Self as ::eventsource::ApplyEvent<#path>>::apply_event(self, event)
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
            if event_type == #t::EVENT_TYPE {
                return #t::decode_event(schema_version, payload).map(#event_enum::#variant);
            }
        }
    });
    // With one variant, `PartialEq`'s catch-all arm would be unreachable.
    let eq_fallback = (def.events.len() > 1).then(|| quote!(_ => false,));
    let variant_names: Vec<_> = variants.iter().map(|v| v.to_string()).collect();
    let name_checks = duplicate_name_checks(def);
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
            impl ::core::convert::From<#paths> for #event_enum {
                fn from(event: #paths) -> Self {
                    #event_enum::#variants(event)
                }
            }
        )*

        #[automatically_derived]
        impl ::eventsource::EventSet for #event_enum {
            const EVENT_TYPES: &'static [&'static str] = &[#( #traits::EVENT_TYPE ),*];

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

            fn encode(&self) -> ::core::result::Result<::std::string::String, ::eventsource::__private::serde_json::Error> {
                match self {
                    #( #event_enum::#variants(event) => #traits::encode_event(event), )*
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

/// `ListsEvent<E>` for each listed event (once each): what `#[apply]` handlers are checked
/// against.
fn listed_impls(input: &syn::DeriveInput, events: &[ListedEvent]) -> TokenStream {
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
fn lists_every_event(input: &syn::DeriveInput) -> TokenStream {
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
                "events `{}` and `{}` of aggregate `{}` have the same stored name; give one of them a distinct #[event(name = \"...\")]",
                path_text(a),
                path_text(b),
                ident
            );
            quote_spanned! {later.span()=>
                if ::eventsource::__private::str_eq(
                    <#a as ::eventsource::__private::ListedEvent>::EVENT_TYPE,
                    <#b as ::eventsource::__private::ListedEvent>::EVENT_TYPE,
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
