//! Parsing `#[aggregate(...)]` into an [`AggregateDef`].

use super::AggregateDef;
use crate::ctxt::{Ctxt, SeenKeys, parse_crate, parse_name, value};
use crate::snapshot::{self, SnapshotDef};
use crate::symbol::{AGGREGATE, AGGREGATE_KEYS, CRATE, EVENT_ENUM, EVENTS, ID, NAME, SNAPSHOT};
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

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
    // `#[aggregate(...)]` is optional: every key has a default.
    let mut args = AggregateArgs::default();
    let mut seen = SeenKeys::new(AGGREGATE, AGGREGATE_KEYS);
    for attr in input.attrs.iter().filter(|a| a.path().is_ident(AGGREGATE)) {
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
        snapshot,
        krate,
    } = args;
    Some(AggregateDef {
        input,
        name: name.unwrap_or_else(|| input.ident.to_string()),
        id: id.unwrap_or_else(|| quote!(::eventsource::__private::Uuid)),
        snapshot,
        krate,
    })
}

/// What `#[aggregate(...)]` says, after parsing.
#[derive(Default)]
struct AggregateArgs {
    name: Option<String>,
    id: Option<TokenStream>,
    snapshot: Option<SnapshotDef>,
    krate: Option<syn::Path>,
}

/// One `key = value` (or `snapshot(...)`) of `#[aggregate(...)]`.
fn parse_entry(
    meta: &syn::meta::ParseNestedMeta,
    args: &mut AggregateArgs,
    seen: &mut SeenKeys,
) -> syn::Result<()> {
    if meta.path.is_ident(EVENTS) {
        return Err(syn::Error::new_spanned(
            &meta.path,
            "an aggregate's events are the handlers of its `#[apply]` block: remove `events(...)`",
        ));
    }
    if meta.path.is_ident(EVENT_ENUM) {
        return Err(syn::Error::new_spanned(
            &meta.path,
            "the event enum is declared by the `#[apply]` block: write `#[apply(event_enum = ...)]` instead",
        ));
    }
    match seen.check(&meta.path)?.as_str() {
        NAME => args.name = Some(parse_name(meta)?.value()),
        ID => {
            let ty: syn::Type = value(meta, "id = Uuid")?.parse().map_err(|error| {
                syn::Error::new(error.span(), "expected the id type, as in `id = Uuid`")
            })?;
            args.id = Some(ty.into_token_stream());
        }
        SNAPSHOT => args.snapshot = Some(snapshot::parse(meta)?),
        CRATE => args.krate = Some(parse_crate(meta)?),
        _ => unreachable!("SeenKeys admits only AGGREGATE_KEYS"),
    }
    Ok(())
}
