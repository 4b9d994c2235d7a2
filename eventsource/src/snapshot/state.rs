//! [`Snapshottable`]: the opt-in an aggregate declares to be snapshotted, and the JSON form
//! of its state.

use crate::aggregate::Aggregate;
use crate::codec::{Codec, Payload, PayloadRef};
use crate::error::CodecError;
use serde::de::DeserializeOwned;
use serde::{Serialize, Serializer};

/// An aggregate whose state can be stored as a [`Snapshot`](crate::Snapshot).
///
/// Opt in through the derive, which implements this trait:
///
/// - `#[aggregate(..., snapshot(version = 1))]` stores the aggregate itself, so it must
///   implement serde's `Serialize` and `Deserialize`;
/// - `#[aggregate(..., snapshot(version = 1, with = TaskSnapshot))]` stores `TaskSnapshot`
///   instead (a compact form of the state), converted with `From<&Task> for TaskSnapshot`
///   and `From<TaskSnapshot> for Task`, which you write.
///
/// Raise the version whenever the stored form changes its shape or its meaning (including
/// a change to what an `#[apply]` handler does with the state): a stored snapshot of
/// another version is ignored on load, and the aggregate is replayed from its events.
///
/// Only a `Snapshottable` aggregate can be given a snapshot store
/// ([`Repository::with_snapshots`](crate::Repository::with_snapshots)); for any other, that
/// call does not compile.
#[diagnostic::on_unimplemented(
    message = "aggregate `{Self}` does not take snapshots",
    label = "`{Self}` has no `snapshot(...)` in its `#[aggregate(...)]`",
    note = "add `snapshot(version = 1)` to `#[aggregate(...)]` on `{Self}`, and derive `Serialize` and `Deserialize` for it"
)]
pub trait Snapshottable: Aggregate {
    /// The snapshot schema version, from 1. A stored snapshot of another version is
    /// ignored.
    const SNAPSHOT_VERSION: u32;

    /// The stored form: the aggregate itself, or the type named by `with = ...`.
    type Snapshot: Serialize + DeserializeOwned;

    /// Serialises the state in its stored form, [`Self::Snapshot`].
    ///
    /// It borrows the state: the derive serialises `self` directly (or the
    /// `Self::Snapshot` made by `From<&Self>`), so taking a snapshot never clones the
    /// aggregate.
    fn serialize_snapshot<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;

    /// Rebuilds the state from its stored form.
    fn from_snapshot(snapshot: Self::Snapshot) -> Self;
}

/// Serialises `A`'s stored form. The derive's `serialize_snapshot` calls it, so that the
/// `Serialize` bound is checked once, on [`Snapshottable::Snapshot`].
pub fn serialize_snapshot<A: Snapshottable, S: Serializer>(
    stored: &A::Snapshot,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    stored.serialize(serializer)
}

/// The stored form of an aggregate's state, serialised without a copy.
struct Stored<'a, A>(&'a A);

impl<A: Snapshottable> Serialize for Stored<'_, A> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_snapshot(serializer)
    }
}

/// The state of `aggregate` as a snapshot payload written by `codec`.
pub(crate) fn encode_state<A: Snapshottable>(
    aggregate: &A,
    codec: Codec,
) -> Result<Payload, CodecError> {
    codec.encode(&Stored(aggregate))
}

/// The state of `aggregate` as JSON text (the state-stored repository's table).
pub(crate) fn encode_state_json<A: Snapshottable>(aggregate: &A) -> Result<String, CodecError> {
    Ok(serde_json::to_string(&Stored(aggregate))?)
}

/// The aggregate whose state `state` holds, decoded by the codec that wrote it.
pub(crate) fn decode_state<A: Snapshottable>(state: PayloadRef<'_>) -> Result<A, CodecError> {
    state.decode::<A::Snapshot>().map(A::from_snapshot)
}
