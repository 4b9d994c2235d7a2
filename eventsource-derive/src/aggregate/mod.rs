//! `#[derive(Aggregate)]`: parse `#[aggregate(...)]` ([`parse`]), validate the event list
//! ([`valid`]), expand the event enum, the codec, the apply dispatch and the compile-time
//! checks ([`expand`]).

mod checks;
mod expand;
mod handler_name;
mod parse;
mod stand_in;
mod valid;

use crate::ctxt::{Ctxt, with_crate};
use crate::snapshot::SnapshotDef;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;

/// The aggregate as the expansion sees it.
struct AggregateDef<'a> {
    input: &'a syn::DeriveInput,
    name: String,
    id: TokenStream,
    event_enum: syn::Ident,
    events: Vec<ListedEvent>,
    snapshot: Option<SnapshotDef>,
    /// `crate = "..."`: the path of the `eventsource` crate.
    krate: Option<syn::Path>,
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
    let def = parse::parse(&input, &mut cx);
    if let Some(def) = &def {
        valid::validate(def, &mut cx);
    }
    let krate = def.as_ref().and_then(|d| d.krate.clone());
    let tokens = match def {
        Some(def) if !cx.has_errors() => expand::generate(&def),
        def => {
            // Keep the `#[apply]` handlers quiet: each gets the `ListsEvent` impl it needs.
            let fallback = match &def {
                Some(def) if !def.events.is_empty() => checks::listed_impls(&input, &def.events),
                _ => checks::lists_every_event(&input),
            };
            // And code using the aggregate: a stand-in `Aggregate` impl, so that commands
            // and stores add no "`Task: Aggregate` is not satisfied" to the report.
            let stand_in = stand_in::stand_in(&input, def.as_ref());
            let errors = cx.into_compile_errors();
            quote!(#errors #fallback #stand_in)
        }
    };
    with_crate(tokens, krate.as_ref())
}
