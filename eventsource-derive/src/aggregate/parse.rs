//! Parsing `#[aggregate(...)]` into an [`AggregateDef`].

use super::{AggregateDef, ListedEvent};
use crate::ctxt::{Ctxt, SeenKeys, parse_crate, parse_name, value};
use crate::snapshot::{self, SnapshotDef};
use crate::symbol::{AGGREGATE, AGGREGATE_KEYS, CRATE, EVENT_ENUM, EVENTS, ID, NAME, SNAPSHOT};
use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote};

pub(super) fn parse<'a>(input: &'a syn::DeriveInput, cx: &mut Ctxt) -> Option<AggregateDef<'a>> {
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
        krate,
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
        krate,
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
    krate: Option<syn::Path>,
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
        CRATE => args.krate = Some(parse_crate(meta)?),
        _ => unreachable!("SeenKeys admits only AGGREGATE_KEYS"),
    }
    Ok(())
}
