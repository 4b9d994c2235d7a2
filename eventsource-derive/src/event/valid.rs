//! Checks on `#[event(...)]` that need only the attribute itself; they emit no tokens.
//! What needs the older shapes' own attributes is checked by the expansion's `const`
//! assertions ([`chain`](super::chain)).

use super::parse::EventArgs;
use crate::ctxt::{Ctxt, path_text};
use std::collections::BTreeSet;

/// Reports the mistakes; returns whether `upcast_from(...)` is usable (it is expanded only
/// then, so that one mistake is one error).
pub(super) fn validate(args: &EventArgs, ident: &syn::Ident, name: &str, cx: &mut Ctxt) -> bool {
    validate_aliases(args, name, cx);
    if let Some((_, next)) = &args.upcast_to {
        return validate_older_shape(args, ident, next, cx);
    }
    let version = args.version.as_ref().map_or(1, |(v, _)| *v);
    if let Some((key, _)) = &args.upcast_json
        && version == 1
    {
        cx.error_spanned(
            key,
            format!(
                "`{ident}` is at schema version 1: there is no older version for `upcast_json` to read"
            ),
        );
    }
    let Some((key, shapes)) = &args.upcast_from else {
        if let Some((version, literal)) = &args.version
            && *version > 1
            && !args.upcaster_given
        {
            cx.error_spanned(
                literal,
                format!(
                    "`{ident}` is at schema version {version}, but nothing reads {}: list {}, or give an `upcast_json = ...` function",
                    older_versions(*version),
                    if *version == 2 {
                        "its shape in `upcast_from(...)`"
                    } else {
                        "their shapes in `upcast_from(...)`"
                    }
                ),
            );
        }
        return false;
    };
    if version == 1 {
        cx.error_spanned(
            key,
            format!("`{ident}` is at schema version 1: there is no older version to upcast from"),
        );
        return false;
    }
    let before = cx.has_errors();
    let mut seen = BTreeSet::new();
    for shape in shapes {
        let text = path_text(shape);
        if shape.is_ident(ident) {
            cx.error_spanned(
                shape,
                format!(
                    "`upcast_from(...)` of `{ident}` lists `{ident}` itself; list its older shapes"
                ),
            );
        } else if !seen.insert(text.clone()) {
            cx.error_spanned(
                shape,
                format!(
                    "`{text}` is listed twice in `upcast_from(...)` of `{ident}`: each older version has a shape of its own"
                ),
            );
        }
    }
    let needed = (version - 1) as usize;
    if shapes.len() != needed {
        let listed = match shapes.len() {
            0 => "none".to_owned(),
            1 => "1 shape".to_owned(),
            n => format!("{n} shapes"),
        };
        cx.error_spanned(
            key,
            format!(
                "`{ident}` is at schema version {version}: `upcast_from(...)` needs one shape for each of {}, and lists {listed}",
                older_versions(version)
            ),
        );
    }
    cx.has_errors() == before
}

/// An older shape (`upcast_to`): it is read through the current event, which lists it and
/// runs the upcasters; it has none of its own.
fn validate_older_shape(
    args: &EventArgs,
    ident: &syn::Ident,
    next: &syn::Path,
    cx: &mut Ctxt,
) -> bool {
    if next.is_ident(ident) {
        cx.error_spanned(
            next,
            format!("`upcast_to` of `{ident}` names `{ident}` itself; name the shape of the next version"),
        );
    }
    if let Some((from, _)) = &args.upcast_from {
        cx.error_spanned(
            from,
            format!(
                "`{ident}` is an older shape (`upcast_to`), so it lists no shapes itself: list every older shape in `upcast_from(...)` of the current event"
            ),
        );
    }
    if let Some((json, _)) = &args.upcast_json {
        cx.error_spanned(
            json,
            format!(
                "`{ident}` is an older shape (`upcast_to`), read through the current event: give the current event the `upcast_json` function"
            ),
        );
    }
    false
}

/// "version 1" or "versions 1 to N-1".
fn older_versions(version: u32) -> String {
    match version - 1 {
        1 => "version 1".to_owned(),
        last => format!("versions 1 to {last}"),
    }
}

fn validate_aliases(args: &EventArgs, name: &str, cx: &mut Ctxt) {
    let Some((key, aliases)) = &args.aliases else {
        return;
    };
    if aliases.is_empty() {
        cx.error_spanned(
            key,
            "`aliases()` is empty: list the names the event was stored under before, as in `aliases(\"TaskCompleted\")`",
        );
    }
    let mut seen = BTreeSet::new();
    for alias in aliases {
        let text = alias.value();
        if text.trim().is_empty() {
            cx.error_spanned(alias, "an alias must not be empty");
        } else if text == name {
            cx.error_spanned(
                alias,
                format!("`{text}` is the event's own stored name; an alias is a name it was stored under before"),
            );
        } else if !seen.insert(text.clone()) {
            cx.error_spanned(alias, format!("the alias `{text}` is given twice"));
        }
    }
}
