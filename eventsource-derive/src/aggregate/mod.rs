//! `#[derive(Aggregate)]`: what belongs to the struct. Parse `#[aggregate(...)]`
//! ([`parse`]), check it ([`valid`]), and implement `Aggregate` with the event enum of the
//! struct's `#[apply]` block ([`expand`]; see [`crate::link`]).

mod expand;
mod parse;
mod valid;

use crate::ctxt::{Ctxt, with_crate};
use crate::snapshot::SnapshotDef;
use proc_macro2::TokenStream;
use quote::quote;

/// The aggregate as the expansion sees it.
struct AggregateDef<'a> {
    input: &'a syn::DeriveInput,
    name: String,
    id: TokenStream,
    snapshot: Option<SnapshotDef>,
    /// `crate = "..."`: the path of the `eventsource` crate.
    krate: Option<syn::Path>,
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
        Some(def) if !cx.has_errors() => expand::generate(&def, true),
        Some(def) => {
            // The same impl without the snapshot and without the check for an `#[apply]`
            // block: code using the aggregate adds nothing to the reported errors.
            let stand_in = expand::generate(&def.without_snapshot(), false);
            let errors = cx.into_compile_errors();
            quote!(#errors #stand_in)
        }
        None => cx.into_compile_errors(),
    };
    with_crate(tokens, krate.as_ref())
}

impl AggregateDef<'_> {
    fn without_snapshot(self) -> Self {
        AggregateDef {
            snapshot: None,
            ..self
        }
    }
}
