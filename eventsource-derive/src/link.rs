//! The names by which `#[derive(Aggregate)]` finds the event enum of the aggregate's
//! `#[apply]` block, two macros that never see each other's item.
//!
//! The block declares `type __TaskEventEnum = TaskEvent;` beside its enum. The derive names
//! `__TaskEventEnum` as the aggregate's `Event`, and brings a stand-in of that name into
//! scope by a glob import from a module of its own, which an item of the same name
//! shadows: with a block, the name is the block's enum; without one, the stand-in, whose
//! impls make the derive's one check the only error.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The alias an `#[apply]` block declares for its event enum, named for the aggregate.
pub fn event_enum(aggregate: &syn::Ident) -> syn::Ident {
    format_ident!("__{}EventEnum", aggregate)
}

/// The derive's module holding the stand-in of [`event_enum`].
pub fn stand_in_module(aggregate: &syn::Ident) -> syn::Ident {
    format_ident!("__{}_without_apply_block", aggregate)
}

/// `krate` (from `crate = "..."`, as [`crate::ctxt::crate_path`] writes it) as seen from a
/// module one level down: a path relative to the current module gets one more `super`.
pub fn crate_path_one_level_down(krate: Option<&syn::Path>) -> TokenStream {
    let Some(krate) = krate else {
        return quote!(::eventsource);
    };
    let first = krate
        .segments
        .first()
        .filter(|_| krate.leading_colon.is_none());
    match first {
        // `self::es` is `super::es` from the module; `super::es` is `super::super::es`.
        Some(first) if first.ident == "self" => {
            let rest = krate.segments.iter().skip(1);
            quote!(super #(::#rest)*)
        }
        Some(first) if first.ident == "super" => quote!(super::#krate),
        _ => crate::ctxt::crate_path(krate),
    }
}
