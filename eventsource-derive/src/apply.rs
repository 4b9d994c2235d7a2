//! `#[apply]`: every function of the `impl` block becomes the handler of the event it
//! borrows. The block itself is emitted unchanged.

use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use std::collections::BTreeMap;
use syn::spanned::Spanned;

const SIGNATURE: &str = "an #[apply] handler has the signature `fn(&mut self, event: &EventType)`";

/// One handler found in the block.
struct Handler<'a> {
    method: &'a syn::Ident,
    event: &'a syn::Type,
}

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    if !args.is_empty() {
        cx.error_spanned(&args, "#[apply] takes no arguments");
    }
    let block = match syn::parse2::<syn::ItemImpl>(item.clone()) {
        Ok(block) => block,
        Err(_) => {
            let error = syn::Error::new(
                proc_macro2::Span::call_site(),
                "#[apply] applies to an inherent `impl` block of an aggregate, as in `#[apply] impl Task { ... }`",
            )
            .into_compile_error();
            return quote!(#item #error);
        }
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
        if ok {
            handlers.push(handler)
        } else {
            stubs.push(handler.event)
        }
    }

    let impls = handlers.iter().map(|h| {
        let (method, event) = (h.method, h.event);
        let trait_path = quote_spanned!(event.span()=> ::eventsource::ApplyEvent<#event>);
        quote! {
            #[automatically_derived]
            impl #trait_path for #self_ty {
                #[inline]
                fn apply_event(&mut self, event: &#event) {
                    #self_ty::#method(self, event)
                }
            }
        }
    });
    let stubs = stubs.iter().map(|event| {
        quote! {
            #[automatically_derived]
            impl ::eventsource::ApplyEvent<#event> for #self_ty {
                fn apply_event(&mut self, _: &#event) {}
            }
        }
    });
    let errors = cx.into_compile_errors();
    quote! {
        #block
        #( #impls )*
        #( #stubs )*
        #errors
    }
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
        Some(syn::FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_some() => {}
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
                "`{}` has no `&mut self` receiver; {SIGNATURE}. Helper functions belong in a separate `impl` block",
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
