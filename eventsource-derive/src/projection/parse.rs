//! Parsing `#[projection(...)]` and the block's handlers into a [`ProjectionDef`].

use super::{Args, Handler, Mode, ProjectionDef};
use crate::ctxt::{Ctxt, SeenKeys, parse_crate, parse_name_as, value};
use crate::handler_block;
use crate::symbol::{CLEAR, CRATE, NAME, POSTGRES, PROJECTION, PROJECTION_KEYS, SQLITE};
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt;

const SIGNATURE: &str = "expected `fn name(&mut self, event: &EventType)` or `fn name(&mut self, event: &EventType, record: &RecordedEvent)`, plain or `async`";
const SQLITE_SIGNATURE: &str = "expected `fn name(&mut self, event: &EventType, record: &RecordedEvent, tx: &Transaction<'_>)`, not `async`, with rusqlite's `Transaction`";
const POSTGRES_SIGNATURE: &str = "expected `fn name(&mut self, event: &EventType, record: &RecordedEvent, tx: &Transaction<'_>)`, plain or `async`, with tokio_postgres's `Transaction`";

/// How `#[projection]`'s messages name it and its handlers in `mode`.
fn rules(mode: Mode) -> handler_block::Rules<'static> {
    handler_block::Rules {
        attribute: "#[projection]",
        handler_changes: "a #[projection] handler updates the read model",
        signature: signature(mode),
    }
}

/// The handlers' signature in `mode`, for messages.
fn signature(mode: Mode) -> &'static str {
    match mode {
        Mode::Plain => SIGNATURE,
        Mode::Sqlite => SQLITE_SIGNATURE,
        Mode::Postgres => POSTGRES_SIGNATURE,
    }
}

/// `#[projection(...)]` as parsed so far: each key with the path it was given at.
#[derive(Default)]
struct Entries {
    name: Option<syn::LitStr>,
    mode: Option<(Mode, syn::Path)>,
    clear: Option<(syn::Path, syn::Ident)>,
    krate: Option<syn::Path>,
}

/// What `#[projection(...)]` says (the right parts of it; the rest is reported).
pub(super) fn parse_args(args: TokenStream, cx: &mut Ctxt) -> Args {
    let mut entries = Entries::default();
    let mut seen = SeenKeys::new(PROJECTION, PROJECTION_KEYS);
    let parser = syn::meta::parser(|meta| {
        let result = parse_entry(&meta, &mut entries, &mut seen);
        cx.recover(meta.input, result)
    });
    if let Err(error) = syn::parse::Parser::parse2(parser, args) {
        cx.push(error);
    }
    if let (Some((key, _)), None) = (&entries.clear, &entries.mode) {
        cx.error_spanned(
            key,
            "`clear` names the method that empties the read model of a `sqlite` or `postgres` projection for a rebuild; add one of those flags, as in `#[projection(name = \"task_board\", sqlite, clear = clear_board)]`",
        );
    }
    Args {
        name: entries.name,
        mode: entries.mode.as_ref().map_or(Mode::Plain, |(mode, _)| *mode),
        flag: entries
            .mode
            .as_ref()
            .map_or_else(proc_macro2::Span::call_site, |(_, flag)| {
                syn::spanned::Spanned::span(flag)
            }),
        clear: entries.clear.map(|(_, method)| method),
        krate: entries.krate,
    }
}

/// One entry of `#[projection(...)]`: `name = "..."`, a flag, or `clear = method`.
fn parse_entry(
    meta: &syn::meta::ParseNestedMeta,
    entries: &mut Entries,
    seen: &mut SeenKeys,
) -> syn::Result<()> {
    match seen.check(&meta.path)?.as_str() {
        NAME => entries.name = Some(parse_name_as(meta, "name = \"open_tasks\"")?),
        CRATE => entries.krate = Some(parse_crate(meta)?),
        flag @ (SQLITE | POSTGRES) => {
            if !meta.input.is_empty() && !meta.input.peek(syn::Token![,]) {
                return Err(syn::Error::new_spanned(
                    &meta.path,
                    format!(
                        "`{flag}` is a flag, without a value, as in `#[projection(name = \"task_board\", {flag})]`"
                    ),
                ));
            }
            if let Some((_, first)) = &entries.mode {
                return Err(syn::Error::new_spanned(
                    &meta.path,
                    format!(
                        "a projection's read model is in one database: `{}` is given already, so `{flag}` cannot be too",
                        crate::ctxt::path_text(first)
                    ),
                ));
            }
            let mode = if flag == SQLITE {
                Mode::Sqlite
            } else {
                Mode::Postgres
            };
            entries.mode = Some((mode, meta.path.clone()));
        }
        CLEAR => {
            const EXAMPLE: &str = "clear = clear_board";
            let expr: syn::Expr = value(meta, EXAMPLE)?.parse()?;
            let method = match &expr {
                syn::Expr::Path(p) if p.qself.is_none() && p.attrs.is_empty() => {
                    p.path.get_ident().cloned()
                }
                _ => None,
            };
            let method = method.ok_or_else(|| {
                syn::Error::new_spanned(
                    &expr,
                    format!("expected the name of a method of this type, as in `{EXAMPLE}`"),
                )
            })?;
            entries.clear = Some((meta.path.clone(), method));
        }
        _ => unreachable!("SeenKeys admits only PROJECTION_KEYS"),
    }
    Ok(())
}

pub(super) fn parse<'a>(block: &'a syn::ItemImpl, args: Args, cx: &mut Ctxt) -> ProjectionDef<'a> {
    let block_ok = handler_block::check_block(
        block,
        &rules(args.mode),
        (
            ": it implements `Projection` itself",
            ": a projection is one concrete type",
        ),
        cx,
    );
    let mut handlers = Vec::new();
    let mut functions = 0;
    for item in &block.items {
        let syn::ImplItem::Fn(f) = item else { continue };
        functions += 1;
        if args.clear.as_ref() == Some(&f.sig.ident) {
            cx.error_spanned(
                &f.sig.ident,
                format!(
                    "`{}` is the `clear` method, but every function of a #[projection] block is a handler; move it to another `impl` block of the type",
                    f.sig.ident
                ),
            );
        }
        if let Some(handler) = check_handler(&f.sig, args.mode, cx) {
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
        name: args
            .name
            .map(|n| n.value())
            .unwrap_or_else(|| type_name(&block.self_ty)),
        mode: args.mode,
        flag: args.flag,
        clear: args.clear,
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
fn check_handler<'a>(sig: &'a syn::Signature, mode: Mode, cx: &mut Ctxt) -> Option<Handler<'a>> {
    let signature = signature(mode);
    if let (Mode::Sqlite, Some(asyncness)) = (mode, &sig.asyncness) {
        cx.error_spanned(
            asyncness,
            "a SQLite projection's handlers run on the database's thread inside its transaction, so they cannot be `async`",
        );
    }
    if let Some(unsafety) = &sig.unsafety {
        cx.error_spanned(
            unsafety,
            format!("a #[projection] handler cannot be `unsafe`; {signature}"),
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
                "a #[projection] handler cannot be generic: its event type says which stored events it handles; {signature}"
            ),
        );
    }
    handler_block::check_receiver(sig, &rules(mode), cx);
    let mut typed = handler_block::typed_arguments(sig).into_iter();
    let event_arg = typed.next();
    if let Some(syn::Type::Reference(r)) = event_arg.map(|arg| &*arg.ty)
        && let syn::Type::ImplTrait(generic) = &*r.elem
    {
        cx.error_spanned(
            generic,
            format!("a #[projection] handler cannot be generic: name the event type; {signature}"),
        );
    }
    let event = handler_block::event_type(sig, event_arg, &rules(mode), cx);
    let envelope = typed.next().map(|arg| {
        handler_block::borrowed(
            arg,
            (
                "the record is only read: borrow it as",
                "the handler borrows the record: write",
            ),
            signature,
            cx,
        )
    });
    let tx = if mode == Mode::Plain {
        None
    } else {
        let tx = typed.next().map(|arg| {
            handler_block::borrowed(
                arg,
                (
                    "the transaction is lent to the handler shared: write",
                    "the handler borrows the transaction: write",
                ),
                signature,
                cx,
            )
        });
        if event.is_some() && tx.is_none() {
            let missing = if envelope.is_none() {
                "no record and no transaction"
            } else {
                "no transaction"
            };
            cx.error_spanned(
                &sig.ident,
                format!(
                    "`{}` takes {missing}: {}'s handler takes the event, its record and the transaction it writes the read model in; {signature}",
                    sig.ident,
                    mode.projection()
                ),
            );
        }
        tx
    };
    let nothing_more = match mode {
        Mode::Plain => {
            "a #[projection] handler takes the event and, optionally, the stored record, nothing more"
                .to_owned()
        }
        mode => format!(
            "{}'s handler takes the event, the record and the transaction, nothing more",
            mode.projection()
        ),
    };
    for extra in typed {
        cx.error_spanned(extra, format!("{nothing_more}; {signature}"));
    }
    let output = match &sig.output {
        syn::ReturnType::Default => None,
        syn::ReturnType::Type(_, ty) => Some(&**ty),
    };
    event.map(|event| Handler {
        method: &sig.ident,
        event,
        envelope,
        tx,
        is_async: sig.asyncness.is_some(),
        output,
    })
}
