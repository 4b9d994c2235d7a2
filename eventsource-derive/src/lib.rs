//! Procedural macros for [`eventsource`](https://docs.rs/eventsource).
//!
//! Use them through the `eventsource` crate, which re-exports them; the generated code
//! names only `::eventsource::__private` paths, so users need no other dependency.

mod aggregate;
mod apply;
mod ctxt;
mod event;
mod event_checks;
mod handler_block;
mod link;
mod names;
mod projection;
mod serde_mirror;
mod snapshot;
mod symbol;

use proc_macro::TokenStream;

/// The `#[event]` attribute of the `eventsource` crate, which documents it.
#[proc_macro_attribute]
pub fn event(args: TokenStream, item: TokenStream) -> TokenStream {
    event::expand(args.into(), item.into()).into()
}

/// The `Aggregate` derive of the `eventsource` crate, which documents it.
#[proc_macro_derive(Aggregate, attributes(aggregate))]
pub fn derive_aggregate(input: TokenStream) -> TokenStream {
    aggregate::expand(input.into()).into()
}

/// The `#[apply]` attribute of the `eventsource` crate, which documents it.
#[proc_macro_attribute]
pub fn apply(args: TokenStream, item: TokenStream) -> TokenStream {
    apply::expand(args.into(), item.into()).into()
}

/// The `#[projection]` attribute of the `eventsource` crate, which documents it.
#[proc_macro_attribute]
pub fn projection(args: TokenStream, item: TokenStream) -> TokenStream {
    projection::expand(args.into(), item.into()).into()
}

/// The prelude's `Serialize` derive: serde's, through the `eventsource` crate, with no
/// serde dependency and no `#[serde(crate = ...)]` attribute. The `eventsource` crate
/// documents it.
#[proc_macro_derive(Serialize, attributes(serde))]
pub fn derive_serialize(input: TokenStream) -> TokenStream {
    serde_mirror::expand(input.into(), serde_mirror::Trait::Serialize).into()
}

/// The prelude's `Deserialize` derive: serde's, through the `eventsource` crate, with no
/// serde dependency and no `#[serde(crate = ...)]` attribute. The `eventsource` crate
/// documents it.
#[proc_macro_derive(Deserialize, attributes(serde))]
pub fn derive_deserialize(input: TokenStream) -> TokenStream {
    serde_mirror::expand(input.into(), serde_mirror::Trait::Deserialize).into()
}
