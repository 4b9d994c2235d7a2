//! What `#[apply]` and `#[projection]` check alike in a block of handlers: the block is an
//! inherent, non-generic `impl`; a handler takes `&mut self` and borrows its event; one
//! handler per event. Each macro words its own signature and purpose.

use crate::ctxt::Ctxt;
use crate::event_checks::type_text;
use quote::ToTokens;
use std::collections::BTreeMap;

/// How a macro's messages name it and its handlers.
pub struct Rules<'a> {
    /// `#[apply]`.
    pub attribute: &'a str,
    /// `an #[apply] handler changes the aggregate`: what a handler is and why it takes
    /// `&mut self`.
    pub handler_changes: &'a str,
    /// The expected signature(s), as in "expected `fn name(&mut self, event: &E)`".
    pub signature: &'a str,
}

/// The block is an inherent `impl` without generic parameters, each mistake reported
/// with `trait_note` or `generic_note` after the rule. Returns whether it is.
pub fn check_block(
    block: &syn::ItemImpl,
    rules: &Rules,
    (trait_note, generic_note): (&str, &str),
    cx: &mut Ctxt,
) -> bool {
    let mut ok = true;
    if let Some((_, path, _)) = &block.trait_ {
        ok = false;
        cx.error_spanned(
            path,
            format!(
                "{} applies to an inherent `impl` block, not to a trait implementation{trait_note}",
                rules.attribute
            ),
        );
    }
    if !block.generics.params.is_empty() || block.generics.where_clause.is_some() {
        ok = false;
        cx.error_spanned(
            &block.generics,
            format!(
                "{} does not support generic `impl` blocks{generic_note}",
                rules.attribute
            ),
        );
    }
    ok
}

/// The handler takes `&mut self` (or `self: &mut Self`) first.
pub fn check_receiver(sig: &syn::Signature, rules: &Rules, cx: &mut Ctxt) {
    let signature = rules.signature;
    match sig.inputs.first() {
        // `&mut self` and `self: &mut Self` alike: syn gives both the type `&mut Self`.
        Some(syn::FnArg::Receiver(r))
            if matches!(&*r.ty, syn::Type::Reference(t) if t.mutability.is_some()) => {}
        Some(syn::FnArg::Receiver(r)) => cx.error_spanned(
            r,
            format!(
                "{}, so it takes `&mut self`; {signature}",
                rules.handler_changes
            ),
        ),
        _ => cx.error_spanned(
            &sig.ident,
            format!(
                "`{}` has no `&mut self` receiver; {signature}; helper functions belong in another `impl` block",
                sig.ident
            ),
        ),
    }
}

/// The handler's typed arguments, in order.
pub fn typed_arguments(sig: &syn::Signature) -> Vec<&syn::PatType> {
    sig.inputs
        .iter()
        .filter_map(|input| match input {
            syn::FnArg::Typed(arg) => Some(arg),
            syn::FnArg::Receiver(_) => None,
        })
        .collect()
}

/// `E` of the event argument `event: &E` (the first typed argument), reported when the
/// handler takes none or does not borrow it. `None` when there is none.
pub fn event_type<'a>(
    sig: &'a syn::Signature,
    event: Option<&'a syn::PatType>,
    rules: &Rules,
    cx: &mut Ctxt,
) -> Option<&'a syn::Type> {
    match event {
        Some(arg) => Some(borrowed(
            arg,
            (
                "the event is only read: borrow it as",
                "the handler borrows the event: write",
            ),
            rules.signature,
            cx,
        )),
        None => {
            cx.error_spanned(
                &sig.ident,
                format!(
                    "`{}` takes no event: a handler borrows the event it handles; {}",
                    sig.ident, rules.signature
                ),
            );
            None
        }
    }
}

/// `T` of a parameter `&T`; a `&mut T` or a `T` is reported with `messages` (each followed
/// by `&T`).
pub fn borrowed<'a>(
    arg: &'a syn::PatType,
    (shared, by_value): (&str, &str),
    signature: &str,
    cx: &mut Ctxt,
) -> &'a syn::Type {
    match &*arg.ty {
        syn::Type::Reference(r) if r.mutability.is_none() => &r.elem,
        syn::Type::Reference(r) => {
            cx.error_spanned(
                r,
                format!("{shared} `&{}`; {signature}", r.elem.to_token_stream()),
            );
            &r.elem
        }
        other => {
            cx.error_spanned(
                other,
                format!("{by_value} `&{}`; {signature}", other.to_token_stream()),
            );
            other
        }
    }
}

/// One handler per event type: a later handler of an event already handled is reported at
/// its event type, with `rule` after the names. Returns the handlers kept (the first of
/// each event), in order.
pub fn one_per_event<'a, H>(
    handlers: &'a [H],
    parts: impl Fn(&H) -> (&syn::Ident, &syn::Type),
    rule: &str,
    cx: &mut Ctxt,
) -> Vec<&'a H> {
    let mut by_event: BTreeMap<String, &syn::Ident> = BTreeMap::new();
    let mut kept = Vec::new();
    for handler in handlers {
        let (method, event) = parts(handler);
        let key = type_text(event);
        match by_event.get(&key) {
            Some(first) => cx.error_spanned(
                event,
                format!("event `{key}` already has the handler `{first}`; {rule}"),
            ),
            None => {
                by_event.insert(key, method);
                kept.push(handler);
            }
        }
    }
    kept
}
