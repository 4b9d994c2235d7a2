//! Checks of the handlers against each other, emitting no tokens.

use super::ApplyDef;
use crate::ctxt::{Ctxt, path_text};
use crate::handler_block;
use std::collections::BTreeMap;

/// At least one handler; one handler per event; each event a concrete type named by a
/// path; no two events that would be one variant of the enum.
pub(super) fn validate(def: &ApplyDef, block: &syn::ItemImpl, cx: &mut Ctxt) {
    if def.handlers.is_empty() && !cx.has_errors() {
        cx.error_spanned(
            &block.self_ty,
            format!(
                "an #[apply] block needs at least one handler, as in `fn created(&mut self, event: &TaskCreated)`: its handlers are the events of `{}`",
                def.aggregate
            ),
        );
    }
    let kept = handler_block::one_per_event(
        &def.handlers,
        |h| (&h.method, &h.event),
        "an event has one handler",
        cx,
    );
    let mut by_variant: BTreeMap<String, &syn::Path> = BTreeMap::new();
    for handler in kept {
        let Some(path) = &handler.path else {
            cx.error_spanned(
                &handler.event,
                "an event is an `#[event]` type named by its path, as in `&TaskCreated`",
            );
            continue;
        };
        if !path.segments.iter().all(|s| s.arguments.is_none()) {
            cx.error_spanned(
                &handler.event,
                "events cannot be generic: handle a concrete event type",
            );
            continue;
        }
        let Some(variant) = handler.variant() else {
            continue;
        };
        if let Some(first) = by_variant.insert(variant.to_string(), path) {
            cx.error_spanned(
                path,
                format!(
                    "`{}` and `{}` would both be the variant `{variant}` of `{}`; import one under another name (`use ... as ...;`)",
                    path_text(first),
                    path_text(path),
                    def.event_enum
                ),
            );
        }
    }
}
