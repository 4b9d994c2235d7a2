//! `#[apply]`: every function of the `impl` block becomes the handler of the event it
//! borrows. The block itself is emitted unchanged.

use crate::ctxt::{Ctxt, SeenKeys, impl_block, parse_crate, respan, with_crate};
use crate::symbol::{APPLY_KEYS, CRATE};
use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use std::collections::{BTreeMap, BTreeSet};
use syn::spanned::Spanned;

const SIGNATURE: &str = "expected `fn name(&mut self, event: &EventType)`";

/// One handler found in the block.
struct Handler<'a> {
    method: &'a syn::Ident,
    event: &'a syn::Type,
}

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    let krate = parse_args(args, &mut cx);
    let tokens = expand_block(item, cx);
    with_crate(tokens, krate.as_ref())
}

/// `#[apply(...)]`: only `crate = "..."`, the path of the `eventsource` crate.
fn parse_args(args: TokenStream, cx: &mut Ctxt) -> Option<syn::Path> {
    let mut krate = None;
    let mut seen = SeenKeys::new("apply", APPLY_KEYS);
    let parser = syn::meta::parser(|meta| {
        if !meta.path.is_ident(CRATE) {
            let error = syn::Error::new_spanned(
                &meta.path,
                "#[apply] takes no arguments but `crate = \"...\"`: each handler's event is the type it borrows",
            );
            return cx.recover(meta.input, Err(error));
        }
        let result = seen.check(&meta.path).and_then(|_| {
            krate = Some(parse_crate(&meta)?);
            Ok(())
        });
        cx.recover(meta.input, result)
    });
    if let Err(error) = syn::parse::Parser::parse2(parser, args) {
        cx.push(error);
    }
    krate
}

fn expand_block(item: TokenStream, mut cx: Ctxt) -> TokenStream {
    let block = match impl_block(
        item,
        "#[apply] applies to an inherent `impl` block of an aggregate, as in `#[apply] impl Task { ... }`",
        &mut cx,
    ) {
        Ok(block) => block,
        Err(tokens) => return tokens,
    };
    if let Some((_, path, _)) = &block.trait_ {
        cx.error_spanned(
            path,
            "#[apply] applies to an inherent `impl` block, not to a trait implementation",
        );
    }
    if !block.generics.params.is_empty() {
        cx.error_spanned(
            &block.generics,
            "#[apply] does not support generic `impl` blocks",
        );
    }
    // With a wrong block, no handler is generated: the block's own error is the only one.
    let block_ok = !cx.has_errors();
    let self_ty = &block.self_ty;
    let mut handlers = Vec::new();
    // Handlers whose event type is known, even when the signature is wrong: they get a stub
    // impl so that a wrong signature is reported once, not again as "no handler".
    let mut stubs = Vec::new();
    let mut by_event: BTreeMap<String, &syn::Ident> = BTreeMap::new();
    for item in &block.items {
        let syn::ImplItem::Fn(f) = item else { continue };
        let (handler, ok) = check_handler(&f.sig, &mut cx);
        let Some(handler) = handler else { continue };
        let key = handler.event.to_token_stream().to_string();
        if let Some(first) = by_event.insert(key.clone(), handler.method) {
            cx.error_spanned(
                handler.event,
                format!(
                    "event `{}` already has the handler `{first}`; an event has one handler",
                    key.replace(' ', "")
                ),
            );
            continue;
        }
        if ok && block_ok {
            handlers.push(handler)
        } else {
            stubs.push(handler.event)
        }
    }

    let generics = constrained_generics(&block.generics, self_ty);
    let impls = handlers.iter().map(|h| {
        let (method, event) = (h.method, h.event);
        let body = quote! {
            #[inline]
            fn apply_event(&mut self, event: &#event) {
                #self_ty::#method(self, event)
            }
        };
        handler_impl(event, self_ty, &generics, body)
    });
    let stubs = stubs.iter().map(|event| {
        let body = quote! {
            fn apply_event(&mut self, _: &#event) {}
        };
        handler_impl(event, self_ty, &generics, body)
    });
    // A generic block is handed back without the parameters its self type does not use:
    // `impl<T> Task` would add "unconstrained type parameter" to the one error.
    let mut handed_back = block.clone();
    handed_back.generics = constrained_generics(&block.generics, self_ty);
    let errors = cx.into_compile_errors();
    quote! {
        #handed_back
        #( #impls )*
        #( #stubs )*
        #errors
    }
}

/// `impl ApplyEvent<event> for self_ty { body }`, all of it but the body's contents at the
/// event's span: an unlisted event, or a second handler for it in another block, is then
/// reported at the handler's event type.
fn handler_impl(
    event: &syn::Type,
    self_ty: &syn::Type,
    generics: &syn::Generics,
    body: TokenStream,
) -> TokenStream {
    let span = event.span();
    let self_ty = respan(self_ty, span);
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let mut body = Group::new(Delimiter::Brace, body);
    body.set_span(span);
    quote_spanned! {span=>
        #[automatically_derived]
        impl #impl_generics ::eventsource::ApplyEvent<#event> for #self_ty #where_clause #body
    }
}

/// The block's generic parameters that its self type uses. A (wrongly) generic block is
/// already reported; its stub impls keep only these, so as not to add "unconstrained type
/// parameter" or "type annotations needed" errors to that report.
fn constrained_generics(generics: &syn::Generics, self_ty: &syn::Type) -> syn::Generics {
    fn idents(tokens: TokenStream, out: &mut BTreeSet<String>) {
        for tt in tokens {
            match tt {
                TokenTree::Ident(i) => {
                    out.insert(i.to_string());
                }
                TokenTree::Group(g) => idents(g.stream(), out),
                _ => {}
            }
        }
    }
    let mut used = BTreeSet::new();
    idents(self_ty.to_token_stream(), &mut used);
    let mut kept = generics.clone();
    kept.params = generics
        .params
        .iter()
        .filter(|param| {
            let ident = match param {
                syn::GenericParam::Lifetime(l) => &l.lifetime.ident,
                syn::GenericParam::Type(t) => &t.ident,
                syn::GenericParam::Const(c) => &c.ident,
            };
            used.contains(&ident.to_string())
        })
        .cloned()
        .collect();
    if kept.params.len() != generics.params.len() {
        kept.where_clause = None;
    }
    kept
}

/// Checks one function's signature. Returns the handler (when its event type can be told)
/// and whether the signature is right.
fn check_handler<'a>(sig: &'a syn::Signature, cx: &mut Ctxt) -> (Option<Handler<'a>>, bool) {
    let mut ok = true;
    let mut fail = |cx: &mut Ctxt, tokens: &dyn ToTokens, message: String| {
        cx.error_spanned(tokens, message);
        ok = false;
    };
    if let Some(asyncness) = &sig.asyncness {
        fail(
            cx,
            asyncness,
            format!("an #[apply] handler cannot be async; {SIGNATURE}"),
        );
    }
    if !sig.generics.params.is_empty() {
        fail(
            cx,
            &sig.generics,
            format!("an #[apply] handler cannot be generic; {SIGNATURE}"),
        );
    }
    let mut inputs = sig.inputs.iter();
    match inputs.next() {
        // `&mut self` and `self: &mut Self` alike: syn gives both the type `&mut Self`.
        Some(syn::FnArg::Receiver(r)) if matches!(&*r.ty, syn::Type::Reference(t) if t.mutability.is_some()) =>
            {}
        Some(syn::FnArg::Receiver(r)) => fail(
            cx,
            r,
            format!(
                "an #[apply] handler changes the aggregate, so it takes `&mut self`; {SIGNATURE}"
            ),
        ),
        _ => fail(
            cx,
            &sig.ident,
            format!(
                "`{}` has no `&mut self` receiver; {SIGNATURE}; helper functions belong in another `impl` block",
                sig.ident
            ),
        ),
    }
    let event = match sig
        .inputs
        .iter()
        .find(|a| matches!(a, syn::FnArg::Typed(_)))
    {
        Some(syn::FnArg::Typed(arg)) => match &*arg.ty {
            syn::Type::Reference(r) if r.mutability.is_none() => Some(&*r.elem),
            syn::Type::Reference(r) => {
                fail(
                    cx,
                    r,
                    format!(
                        "the event is only read: borrow it as `&{}`; {SIGNATURE}",
                        r.elem.to_token_stream()
                    ),
                );
                Some(&*r.elem)
            }
            other => {
                fail(
                    cx,
                    other,
                    format!(
                        "the handler borrows the event: write `&{}`; {SIGNATURE}",
                        other.to_token_stream()
                    ),
                );
                Some(other)
            }
        },
        _ => {
            fail(
                cx,
                &sig.ident,
                format!("`{}` takes no event; {SIGNATURE}", sig.ident),
            );
            None
        }
    };
    let typed: Vec<_> = sig
        .inputs
        .iter()
        .filter(|a| matches!(a, syn::FnArg::Typed(_)))
        .collect();
    for extra in typed.iter().skip(1) {
        fail(
            cx,
            extra,
            format!("an #[apply] handler takes exactly one event argument; {SIGNATURE}"),
        );
    }
    drop(inputs);
    if let syn::ReturnType::Type(_, ty) = &sig.output {
        let unit = matches!(&**ty, syn::Type::Tuple(t) if t.elems.is_empty());
        if !unit {
            fail(
                cx,
                ty,
                format!(
                    "an #[apply] handler returns nothing: applying an event cannot fail, so decide in the command instead; {SIGNATURE}"
                ),
            );
        }
    }
    (
        event.map(|event| Handler {
            method: &sig.ident,
            event,
        }),
        ok,
    )
}
