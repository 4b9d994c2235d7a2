//! The tokens `#[derive(Aggregate)]` generates.

use super::AggregateDef;
use crate::link;
use crate::snapshot;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

/// `impl Aggregate` with the event enum and the dispatch of the struct's `#[apply]` block
/// (see [`link`]), and, with `check`, the one error an aggregate without a block gets, at
/// the struct's name.
pub(super) fn generate(def: &AggregateDef, check: bool) -> TokenStream {
    let input = def.input;
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        return TokenStream::new(); // reported: an aggregate is not generic
    }
    let ident = &input.ident;
    let name = &def.name;
    let id = &def.id;
    let event_enum = link::event_enum(ident);
    let module = link::stand_in_module(ident);
    let krate = link::crate_path_one_level_down(def.krate.as_ref());
    let check = check.then(|| {
        quote_spanned! {ident.span()=>
            const _: () = ::eventsource::__private::assert_applied::<#ident, #event_enum>();
        }
    });
    let snapshot = def
        .snapshot
        .as_ref()
        .map(|s| snapshot::expand(s, ident))
        .unwrap_or_default();
    quote! {
        #[doc(hidden)]
        #[allow(non_snake_case, non_camel_case_types)]
        mod #module {
            // Written with the crate's path as seen from here (see `link`).
            pub type #event_enum = #krate::__private::NoApplyBlock;
        }
        #[allow(unused_imports)]
        use #module::*;

        #[automatically_derived]
        impl ::eventsource::Aggregate for #ident {
            type Id = #id;
            type Event = #event_enum;
            const TYPE: &'static str = #name;

            #[inline]
            fn apply(&mut self, event: &#event_enum) {
                <#event_enum as ::eventsource::__private::Dispatch<Self>>::dispatch(event, self)
            }
        }

        #check
        #snapshot
    }
}
