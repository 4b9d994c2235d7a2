//! Checks on the parsed event list that emit no tokens.

use super::{AggregateDef, ListedEvent};
use crate::ctxt::{Ctxt, path_text};
use crate::snapshot::{self};
use std::collections::BTreeMap;

/// Checks that need only the event list itself: an event listed twice, two events that
/// would become the same enum variant.
pub(super) fn validate(def: &AggregateDef, cx: &mut Ctxt) {
    if let Some(snapshot) = &def.snapshot {
        snapshot::validate(snapshot, &def.input.ident, cx);
    }
    let mut by_path: BTreeMap<String, &ListedEvent> = BTreeMap::new();
    let mut by_variant: BTreeMap<String, &ListedEvent> = BTreeMap::new();
    for event in &def.events {
        let key = path_text(&event.path);
        if by_path.insert(key.clone(), event).is_some() {
            cx.error_spanned(
                &event.path,
                format!("event `{key}` is listed twice in `events(...)`"),
            );
            continue;
        }
        if !event.path.segments.iter().all(|s| s.arguments.is_none()) {
            cx.error_spanned(
                &event.path,
                "events cannot be generic: list a concrete event type",
            );
        }
        if let Some(first) = by_variant.insert(event.variant.to_string(), event) {
            cx.error_spanned(
                &event.path,
                format!(
                    "`{}` and `{}` would both be the variant `{}` of `{}`; rename one type",
                    path_text(&first.path),
                    path_text(&event.path),
                    event.variant,
                    def.event_enum
                ),
            );
        }
    }
}
