//! Checks of the handlers against each other, emitting no tokens.

use super::{Handler, ProjectionDef};
use crate::ctxt::Ctxt;
use quote::ToTokens;
use std::collections::BTreeMap;

/// One handler per event type: a second one for the same type could never run.
pub(super) fn validate(def: &ProjectionDef, cx: &mut Ctxt) {
    let mut by_event: BTreeMap<String, &Handler> = BTreeMap::new();
    for handler in &def.handlers {
        let key = handler.event.to_token_stream().to_string().replace(' ', "");
        if let Some(first) = by_event.get(&key) {
            cx.error_spanned(
                handler.event,
                format!(
                    "event `{key}` already has the handler `{}`; a projection has one handler per event",
                    first.method
                ),
            );
        } else {
            by_event.insert(key, handler);
        }
    }
}
