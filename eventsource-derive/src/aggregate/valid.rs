//! Checks of `#[aggregate(...)]` that emit no tokens.

use super::AggregateDef;
use crate::ctxt::Ctxt;
use crate::snapshot;

/// What `snapshot(...)` says is checked against the aggregate.
pub(super) fn validate(def: &AggregateDef, cx: &mut Ctxt) {
    if let Some(snapshot) = &def.snapshot {
        snapshot::validate(snapshot, &def.input.ident, cx);
    }
}
