//! Parsing `#[projection(...)]` and the block's handlers into a [`ProjectionDef`].

use super::{Handler, ProjectionDef};
use crate::ctxt::{Ctxt, SeenKeys, parse_name_as};
use crate::symbol::{NAME, PROJECTION, PROJECTION_KEYS};
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt;

const SIGNATURE: &str = "expected `fn name(&mut self, event: &EventType)` or `fn name(&mut self, event: &EventType, envelope: &EventEnvelope)`, plain or `async`";

/// The `name = "..."` of `#[projection(...)]`, if given (and right).
pub(super) fn parse_args(args: TokenStream, cx: &mut Ctxt) -> Option<syn::LitStr> {
    let mut name = None;
    let mut seen = SeenKeys::new(PROJECTION, PROJECTION_KEYS);
    let parser = syn::meta::parser(|meta| {
        let result = parse_entry(&meta, &mut name, &mut seen);
        cx.recover(meta.input, result)
    });
    if let Err(error) = syn::parse::Parser::parse2(parser, args) {
        cx.push(error);
    }
    name
}

/// One `key = value` of `#[projection(...)]`.
fn parse_entry(
    meta: &syn::meta::ParseNestedMeta,
    name: &mut Option<syn::LitStr>,
    seen: &mut SeenKeys,
) -> syn::Result<()> {
    match seen.check(&meta.path)?.as_str() {
        NAME => *name = Some(parse_name_as(meta, "name = \"open_tasks\"")?),
        _ => unreachable!("SeenKeys admits only PROJECTION_KEYS"),
    }
    Ok(())
}

pub(super) fn parse<'a>(
    block: &'a syn::ItemImpl,
    name: Option<syn::LitStr>,
    cx: &mut Ctxt,
) -> ProjectionDef<'a> {
    let mut block_ok = true;
    if let Some((_, path, _)) = &block.trait_ {
        block_ok = false;
        cx.error_spanned(
            path,
            "#[projection] applies to an inherent `impl` block, not to a trait implementation: it implements `Projection` itself",
        );
    }
    if !block.generics.params.is_empty() || block.generics.where_clause.is_some() {
        block_ok = false;
        cx.error_spanned(
            &block.generics,
            "#[projection] does not support generic `impl` blocks: a projection is one concrete type",
        );
    }
    let mut handlers = Vec::new();
    let mut functions = 0;
    for item in &block.items {
        let syn::ImplItem::Fn(f) = item else { continue };
        functions += 1;
        if let Some(handler) = check_handler(&f.sig, cx) {
            handlers.push(handler);
        }
    }
    if functions == 0 && block_ok {
        cx.error_spanned(
            &block.self_ty,
            "a projection needs at least one handler: add one to this block, as in `fn created(&mut self, event: &TaskCreated)`",
        );
    }
    ProjectionDef {
        block,
        name: name
            .map(|n| n.value())
            .unwrap_or_else(|| type_name(&block.self_ty)),
        block_ok,
        handlers,
    }
}

/// The default `NAME`: the type's name as written, without its path (`OpenTasks` for
/// `impl read::OpenTasks`) but with its generic arguments, if any.
fn type_name(ty: &syn::Type) -> String {
    let text = match ty {
        syn::Type::Path(p) if p.qself.is_none() => match p.path.segments.last() {
            Some(last) => format!("{}{}", last.ident.unraw(), last.arguments.to_token_stream()),
            None => ty.to_token_stream().to_string(),
        },
        other => other.to_token_stream().to_string(),
    };
    text.replace(' ', "")
}

/// Checks one function's signature. Returns the handler when its event type can be told.
fn check_handler<'a>(sig: &'a syn::Signature, cx: &mut Ctxt) -> Option<Handler<'a>> {
    if let Some(unsafety) = &sig.unsafety {
        cx.error_spanned(
            unsafety,
            format!("a #[projection] handler cannot be `unsafe`; {SIGNATURE}"),
        );
    }
    // Lifetime parameters are harmless; type and const parameters leave the event unknown.
    if sig
        .generics
        .params
        .iter()
        .any(|p| !matches!(p, syn::GenericParam::Lifetime(_)))
    {
        cx.error_spanned(&sig.generics,
            format!(
                "a #[projection] handler cannot be generic: its event type says which stored events it handles; {SIGNATURE}"
            ),
        );
    }
    let mut typed = Vec::new();
    let mut receiver = None;
    for (i, input) in sig.inputs.iter().enumerate() {
        match input {
            syn::FnArg::Receiver(r) if i == 0 => receiver = Some(r),
            syn::FnArg::Receiver(_) => {}
            syn::FnArg::Typed(arg) => typed.push(arg),
        }
    }
    match receiver {
        Some(r) if matches!(&*r.ty, syn::Type::Reference(t) if t.mutability.is_some()) => {}
        Some(r) => cx.error_spanned(r,
            format!(
                "a #[projection] handler updates the read model, so it takes `&mut self`; {SIGNATURE}"
            ),
        ),
        None => cx.error_spanned(&sig.ident,
            format!(
                "`{}` has no `&mut self` receiver; {SIGNATURE}; helper functions belong in another `impl` block",
                sig.ident
            ),
        ),
    }
    let mut typed = typed.into_iter();
    let event = match typed.next() {
        Some(arg) => match &*arg.ty {
            syn::Type::Reference(r) if r.mutability.is_none() => {
                if let syn::Type::ImplTrait(generic) = &*r.elem {
                    cx.error_spanned(generic,
                        format!(
                            "a #[projection] handler cannot be generic: name the event type; {SIGNATURE}"
                        ),
                    );
                }
                Some(&*r.elem)
            }
            syn::Type::Reference(r) => {
                cx.error_spanned(
                    r,
                    format!(
                        "the event is only read: borrow it as `&{}`; {SIGNATURE}",
                        r.elem.to_token_stream()
                    ),
                );
                Some(&*r.elem)
            }
            other => {
                cx.error_spanned(
                    other,
                    format!(
                        "the handler borrows the event: write `&{}`; {SIGNATURE}",
                        other.to_token_stream()
                    ),
                );
                Some(other)
            }
        },
        None => {
            cx.error_spanned(
                &sig.ident,
                format!(
                    "`{}` takes no event: a handler borrows the event it handles; {SIGNATURE}",
                    sig.ident
                ),
            );
            None
        }
    };
    let envelope = typed.next().map(|arg| match &*arg.ty {
        syn::Type::Reference(r) if r.mutability.is_none() => &*r.elem,
        syn::Type::Reference(r) => {
            cx.error_spanned(
                r,
                format!(
                    "the envelope is only read: borrow it as `&{}`; {SIGNATURE}",
                    r.elem.to_token_stream()
                ),
            );
            &*r.elem
        }
        other => {
            cx.error_spanned(
                other,
                format!(
                    "the handler borrows the envelope: write `&{}`; {SIGNATURE}",
                    other.to_token_stream()
                ),
            );
            other
        }
    });
    for extra in typed {
        cx.error_spanned(extra,
            format!(
                "a #[projection] handler takes the event and, optionally, the envelope, nothing more; {SIGNATURE}"
            ),
        );
    }
    let output = match &sig.output {
        syn::ReturnType::Default => None,
        syn::ReturnType::Type(_, ty) => Some(&**ty),
    };
    event.map(|event| Handler {
        method: &sig.ident,
        event,
        envelope,
        is_async: sig.asyncness.is_some(),
        output,
    })
}
