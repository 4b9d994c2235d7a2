//! Parsing `#[event(...)]` into [`EventArgs`].

use crate::ctxt::{Ctxt, SeenKeys, parse_crate, parse_name, path_text, value};
use crate::symbol::{
    ALIASES, CRATE, EVENT_KEYS, NAME, RETIRED, UPCAST_FROM, UPCAST_JSON, UPCAST_TO, VERSION,
};
use proc_macro2::TokenStream;

/// What `#[event(...)]` says, after parsing.
#[derive(Default)]
pub(super) struct EventArgs {
    pub(super) name: Option<syn::LitStr>,
    /// The version and its literal, where version errors point.
    pub(super) version: Option<(u32, syn::LitInt)>,
    /// The `aliases` key and the older names.
    pub(super) aliases: Option<(syn::Path, Vec<syn::LitStr>)>,
    /// The `retired` key.
    pub(super) retired: Option<syn::Path>,
    /// The `upcast_from` key and the older shapes.
    pub(super) upcast_from: Option<(syn::Path, Vec<syn::Path>)>,
    /// The `upcast_to` key and the next version's type: this is an older shape.
    pub(super) upcast_to: Option<(syn::Path, syn::Path)>,
    /// The `upcast_json` key and the function's path.
    pub(super) upcast_json: Option<(syn::Path, syn::Path)>,
    /// True when `upcast_from` or `upcast_json` was given, even with a mistake (already
    /// reported): a missing upcaster is then not reported as well.
    pub(super) upcaster_given: bool,
    /// `crate = "..."`: the path of the `eventsource` crate.
    pub(super) krate: Option<syn::Path>,
}

pub(super) fn parse_args(args: TokenStream, cx: &mut Ctxt) -> EventArgs {
    let mut parsed = EventArgs::default();
    let mut seen = SeenKeys::new("event", EVENT_KEYS);
    let parser = syn::meta::parser(|meta| {
        let result = parse_entry(&meta, &mut parsed, &mut seen);
        cx.recover(meta.input, result)
    });
    if let Err(error) = syn::parse::Parser::parse2(parser, args) {
        cx.push(error);
    }
    parsed
}

/// One entry of `#[event(...)]`.
fn parse_entry(
    meta: &syn::meta::ParseNestedMeta,
    parsed: &mut EventArgs,
    seen: &mut SeenKeys,
) -> syn::Result<()> {
    let key = seen.check(&meta.path)?;
    if key == UPCAST_FROM || key == UPCAST_JSON {
        parsed.upcaster_given = true;
    }
    match key.as_str() {
        NAME => parsed.name = Some(parse_name(meta)?),
        CRATE => parsed.krate = Some(parse_crate(meta)?),
        VERSION => parsed.version = Some(parse_version_literal(meta)?),
        ALIASES => {
            let content = list(meta, "aliases(\"TaskCompleted\")")?;
            let mut names = Vec::new();
            while !content.is_empty() {
                let Ok(name) = content.parse::<syn::LitStr>() else {
                    let rest: TokenStream = content.parse()?;
                    return Err(syn::Error::new_spanned(
                        rest,
                        "expected the older stored names as string literals, as in `aliases(\"TaskCompleted\")`",
                    ));
                };
                names.push(name);
                if !content.is_empty() {
                    content.parse::<syn::Token![,]>()?;
                }
            }
            parsed.aliases = Some((meta.path.clone(), names));
        }
        RETIRED => {
            if !meta.input.is_empty() && !meta.input.peek(syn::Token![,]) {
                return Err(syn::Error::new_spanned(
                    &meta.path,
                    "`retired` takes no value: write `#[event(retired)]`",
                ));
            }
            parsed.retired = Some(meta.path.clone());
        }
        UPCAST_FROM => {
            let content = list(meta, "upcast_from(TaskCompletedV1, TaskCompletedV2)")?;
            let shapes =
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated(
                    &content,
                )?;
            parsed.upcast_from = Some((meta.path.clone(), shapes.into_iter().collect()));
        }
        UPCAST_TO => {
            let next = parse_path(
                meta,
                "the type of the next version",
                "upcast_to = TaskCompleted",
            )?;
            parsed.upcast_to = Some((meta.path.clone(), next));
        }
        UPCAST_JSON => {
            let function = parse_path(
                meta,
                "the path of a function",
                "upcast_json = fill_completed_by",
            )?;
            parsed.upcast_json = Some((meta.path.clone(), function));
        }
        _ => unreachable!("SeenKeys admits only EVENT_KEYS"),
    }
    Ok(())
}

/// Parses `= path`; anything else is an error saying it expected `what`, as in `example`.
fn parse_path(
    meta: &syn::meta::ParseNestedMeta,
    what: &str,
    example: &str,
) -> syn::Result<syn::Path> {
    match value(meta, example)?.parse::<syn::Expr>()? {
        syn::Expr::Path(p) if p.qself.is_none() => Ok(p.path),
        other => Err(syn::Error::new_spanned(
            other,
            format!("expected {what}, as in `{example}`"),
        )),
    }
}

/// The parenthesised list after `key`; without parentheses, an error showing `example`.
fn list<'a>(
    meta: &syn::meta::ParseNestedMeta<'a>,
    example: &str,
) -> syn::Result<syn::parse::ParseBuffer<'a>> {
    if !meta.input.peek(syn::token::Paren) {
        return Err(syn::Error::new_spanned(
            &meta.path,
            format!(
                "`{}` takes a list in parentheses, as in `{example}`",
                path_text(&meta.path)
            ),
        ));
    }
    let content;
    syn::parenthesized!(content in meta.input);
    Ok(content)
}

/// Parses `= N`: a schema version, an integer from 1.
pub fn parse_version(meta: &syn::meta::ParseNestedMeta) -> syn::Result<u32> {
    parse_version_literal(meta).map(|(version, _)| version)
}

/// [`parse_version`], with the literal.
fn parse_version_literal(meta: &syn::meta::ParseNestedMeta) -> syn::Result<(u32, syn::LitInt)> {
    let expr: syn::Expr = value(meta, "version = 2")?.parse()?;
    let syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Int(int),
        ..
    }) = expr
    else {
        return Err(syn::Error::new_spanned(
            expr,
            "expected an integer schema version, as in `version = 2`",
        ));
    };
    match int.base10_parse::<u32>() {
        Ok(0) => Err(syn::Error::new_spanned(
            int,
            "schema versions start at 1; `version = 0` is not allowed",
        )),
        Ok(version) => Ok((version, int)),
        Err(_) => Err(syn::Error::new_spanned(
            int,
            "the schema version must be an integer from 1 to 4294967295",
        )),
    }
}
