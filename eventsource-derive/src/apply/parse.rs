//! Parsing `#[apply(...)]` and the block's handlers.

use super::{Args, Handler};
use crate::ctxt::{Ctxt, SeenKeys, parse_crate, value};
use crate::handler_block;
use crate::symbol::{APPLY_KEYS, CRATE, EVENT_ENUM};
use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use std::collections::BTreeSet;

const SIGNATURE: &str = "expected `fn name(&mut self, event: &EventType)`";

/// `#[apply(...)]`: `event_enum = Name` and `crate = "..."`.
pub(super) fn parse_args(args: TokenStream, cx: &mut Ctxt) -> Args {
    let mut parsed = Args {
        event_enum: None,
        krate: None,
    };
    let mut seen = SeenKeys::new("apply", APPLY_KEYS);
    let parser = syn::meta::parser(|meta| {
        let result = seen.check(&meta.path).and_then(|key| {
            match key.as_str() {
                CRATE => parsed.krate = Some(parse_crate(&meta)?),
                EVENT_ENUM => parsed.event_enum = Some(parse_event_enum(&meta)?),
                _ => unreachable!("SeenKeys admits only APPLY_KEYS"),
            }
            Ok(())
        });
        cx.recover(meta.input, result)
    });
    if let Err(error) = syn::parse::Parser::parse2(parser, args) {
        cx.push(error);
    }
    parsed
}

/// `event_enum = TaskEvent`: a plain name.
fn parse_event_enum(meta: &syn::meta::ParseNestedMeta) -> syn::Result<syn::Ident> {
    let expr: syn::Expr = value(meta, "event_enum = TaskEvent")?.parse()?;
    match &expr {
        syn::Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some() => {
            Ok(p.path.get_ident().cloned().expect("checked: one ident"))
        }
        _ => Err(syn::Error::new_spanned(
            expr,
            "expected the name of the generated enum, as in `event_enum = TaskEvent`",
        )),
    }
}

/// How `#[apply]`'s messages name it and its handlers.
const RULES: handler_block::Rules = handler_block::Rules {
    attribute: "#[apply]",
    handler_changes: "an #[apply] handler changes the aggregate",
    signature: SIGNATURE,
};

/// The block itself: inherent, not generic.
pub(super) fn check_block(block: &syn::ItemImpl, cx: &mut Ctxt) {
    handler_block::check_block(block, &RULES, ("", ""), cx);
}

/// The aggregate's name, the last segment of the self type, when that is a plain path
/// (anything else is reported, unless the block is reported already).
pub(super) fn aggregate_name(self_ty: &syn::Type, cx: &mut Ctxt) -> Option<syn::Ident> {
    let name = match self_ty {
        syn::Type::Path(p) if p.qself.is_none() => p
            .path
            .segments
            .last()
            .filter(|last| last.arguments.is_none())
            .map(|last| last.ident.clone()),
        _ => None,
    };
    if name.is_none() && !cx.has_errors() {
        cx.error_spanned(
            self_ty,
            "#[apply] applies to an `impl` block of an aggregate named by its path, as in `#[apply] impl Task { ... }`",
        );
    }
    name
}

/// The block's handlers, each function's signature checked. A handler that takes `&self`
/// or `self` is handed back taking `&mut self`, the receiver its body was written for, so
/// that the signature's error is the only one.
pub(super) fn handlers(block: &mut syn::ItemImpl, cx: &mut Ctxt) -> Vec<Handler> {
    let mut handlers = Vec::new();
    for item in &mut block.items {
        let syn::ImplItem::Fn(f) = item else { continue };
        if let Some(handler) = check_handler(&f.sig, cx) {
            handlers.push(handler);
        }
        if let Some(syn::FnArg::Receiver(r)) = f.sig.inputs.first_mut() {
            let by_ref_mut = matches!(&*r.ty, syn::Type::Reference(t) if t.mutability.is_some());
            if !by_ref_mut && r.colon_token.is_none() {
                let span = r.self_token.span;
                *r = syn::parse_quote_spanned!(span=> &mut self);
            }
        }
    }
    handlers
}

/// The block's generic parameters that its self type uses. A (wrongly) generic block is
/// already reported; its stub impls keep only these, so as not to add "unconstrained type
/// parameter" or "type annotations needed" errors to that report.
pub(super) fn constrained_generics(generics: &syn::Generics, self_ty: &syn::Type) -> syn::Generics {
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

/// Checks one function's signature, reporting what is wrong. Returns the handler when its
/// event type can be told, even with a wrong signature (for the checks across handlers).
fn check_handler(sig: &syn::Signature, cx: &mut Ctxt) -> Option<Handler> {
    if let Some(asyncness) = &sig.asyncness {
        cx.error_spanned(
            asyncness,
            format!("an #[apply] handler cannot be async; {SIGNATURE}"),
        );
    }
    if !sig.generics.params.is_empty() {
        cx.error_spanned(
            &sig.generics,
            format!("an #[apply] handler cannot be generic; {SIGNATURE}"),
        );
    }
    handler_block::check_receiver(sig, &RULES, cx);
    let typed = handler_block::typed_arguments(sig);
    let event = handler_block::event_type(sig, typed.first().copied(), &RULES, cx);
    for extra in typed.iter().skip(1) {
        cx.error_spanned(
            extra,
            format!("an #[apply] handler takes exactly one event argument; {SIGNATURE}"),
        );
    }
    if let syn::ReturnType::Type(_, ty) = &sig.output {
        let unit = matches!(&**ty, syn::Type::Tuple(t) if t.elems.is_empty());
        if !unit {
            cx.error_spanned(ty,
                format!(
                    "an #[apply] handler returns nothing: applying an event cannot fail, so decide in the command instead; {SIGNATURE}"
                ),
            );
        }
    }
    event.map(|event| Handler {
        method: sig.ident.clone(),
        event: event.clone(),
        path: match event {
            syn::Type::Path(p) if p.qself.is_none() => Some(p.path.clone()),
            _ => None,
        },
    })
}
