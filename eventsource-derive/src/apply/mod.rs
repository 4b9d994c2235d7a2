//! `#[apply]`: the handlers of an aggregate, and so its events. Every function of the
//! `impl` block is the handler of the event it borrows. Parse the arguments and the
//! handlers ([`parse`]), check them against each other ([`valid`]), and generate the event
//! enum, its registry, the dispatch and the conversions a command returns through
//! ([`expand`]); the stored-name checks are in [`crate::event_checks`].

mod expand;
mod parse;
mod second_block;
mod valid;

use crate::ctxt::{Ctxt, impl_block, with_crate};
use proc_macro2::TokenStream;
use quote::quote;

/// What `#[apply(...)]` says.
struct Args {
    /// `event_enum = Name`: the generated enum's name.
    event_enum: Option<syn::Ident>,
    /// `crate = "..."`: the path of the `eventsource` crate.
    krate: Option<syn::Path>,
}

/// The block as the expansion sees it.
struct ApplyDef<'a> {
    self_ty: &'a syn::Type,
    /// The aggregate's name: the last segment of the block's self type.
    aggregate: syn::Ident,
    event_enum: syn::Ident,
    /// The handlers whose event type can be told, in block order.
    handlers: Vec<Handler>,
}

/// One handler of the block.
struct Handler {
    method: syn::Ident,
    /// `E` of `event: &E`.
    event: syn::Type,
    /// `E`'s path, when it is one: the event's variant is named by its last segment.
    path: Option<syn::Path>,
}

impl Handler {
    /// The enum variant of the handler's event, when its type is a usable path.
    fn variant(&self) -> Option<&syn::Ident> {
        let path = self.path.as_ref()?;
        let last = path.segments.last()?;
        last.arguments.is_none().then_some(&last.ident)
    }
}

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    let args = parse::parse_args(args, &mut cx);
    let tokens = expand_block(&args, item, cx);
    with_crate(tokens, args.krate.as_ref())
}

fn expand_block(args: &Args, item: TokenStream, mut cx: Ctxt) -> TokenStream {
    let mut block = match impl_block(
        item,
        "#[apply] applies to an inherent `impl` block of an aggregate, as in `#[apply] impl Task { ... }`",
        &mut cx,
    ) {
        Ok(block) => block,
        Err(tokens) => return tokens,
    };
    parse::check_block(&block, &mut cx);
    // `aggregate_name` reports an unnamed self type below; here it only names it.
    if let Some(aggregate) = parse::aggregate_name(&block.self_ty, &mut Ctxt::default())
        && second_block::is_second(&block, &aggregate)
    {
        // Handed back as it is, with one error: the first block declares the enum.
        cx.error_spanned(
            block.impl_token,
            format!(
                "`{aggregate}` already has an #[apply] block in this module: an aggregate's handlers, and so its events, are in one block; move these handlers into the first `#[apply] impl {aggregate}`"
            ),
        );
        let errors = cx.into_compile_errors();
        return quote!(#block #errors);
    }
    let handlers = parse::handlers(&mut block, &mut cx);
    let aggregate = parse::aggregate_name(&block.self_ty, &mut cx);
    let generated = aggregate.map(|aggregate| {
        let def = ApplyDef {
            self_ty: &block.self_ty,
            event_enum: args
                .event_enum
                .clone()
                .unwrap_or_else(|| quote::format_ident!("{}Event", aggregate)),
            aggregate,
            handlers,
        };
        valid::validate(&def, &block, &mut cx);
        match cx.has_errors() {
            false => expand::generate(&def),
            // The enum and its impls with bodies that never run: the reported errors
            // are the only ones, with nothing at the derive or where the events are used.
            true => expand::stand_in(&def),
        }
    });
    // A generic block is handed back without the parameters its self type does not use:
    // `impl<T> Task` would add "unconstrained type parameter" to the one error.
    block.generics = parse::constrained_generics(&block.generics, &block.self_ty);
    let errors = cx.into_compile_errors();
    quote! {
        #block
        #generated
        #errors
    }
}
