//! Checks of the handlers against each other, emitting no tokens.

use super::ProjectionDef;
use crate::ctxt::Ctxt;
use crate::handler_block;

/// One handler per event type: a second one for the same type could never run.
pub(super) fn validate(def: &ProjectionDef, cx: &mut Ctxt) {
    handler_block::one_per_event(
        &def.handlers,
        |h| (h.method, h.event),
        "a projection has one handler per event",
        cx,
    );
}
