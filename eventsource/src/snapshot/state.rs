//! [`Snapshottable`]: the opt-in an aggregate declares to be snapshotted, and the JSON form
//! of its state.

use crate::aggregate::Aggregate;
use crate::codec::{Codec, Payload, PayloadRef};
use crate::error::CodecError;
use serde::de::DeserializeOwned;
use serde::{Serialize, Serializer};

/// An aggregate whose state can be stored as a [`Snapshot`](crate::snapshot::Snapshot).
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

    /// The stored form: the aggregate itself, or the type named by `with = ...`. It
    /// implements serde's `Serialize` and `Deserialize`.
    type Snapshot: SnapshotState;

    /// Serialises the state in its stored form, [`Self::Snapshot`].
    ///
    /// It borrows the state: the derive serialises `self` directly (or the
    /// `Self::Snapshot` made by `From<&Self>`), so taking a snapshot never clones the
    /// aggregate.
    fn serialize_snapshot<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;

    /// Rebuilds the state from its stored form.
    fn from_snapshot(snapshot: Self::Snapshot) -> Self;
}

/// What a snapshot's stored form implements: serde's `Serialize` and `Deserialize`, behind
/// one bound, so that a state lacking them is reported once rather than once for each.
/// Implemented for every type that has both.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "the snapshot state `{Self}` is not serialisable: it needs serde's `Serialize` and `Deserialize`",
    label = "stored in snapshots, but not both `Serialize` and `Deserialize`",
    note = "derive `Serialize` and `Deserialize` for `{Self}`; to store a type of your own instead, name it in `snapshot(version = N, with = ...)`"
)]
pub trait SnapshotState: Sized {
    /// `Serialize::serialize`.
    fn serialize_state<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;

    /// The state decoded from a payload, by the codec that wrote it.
    fn decode_state(state: PayloadRef<'_>) -> Result<Self, CodecError>;
}

#[diagnostic::do_not_recommend]
impl<T: Serialize + DeserializeOwned> SnapshotState for T {
    fn serialize_state<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.serialize(serializer)
    }

    fn decode_state(state: PayloadRef<'_>) -> Result<Self, CodecError> {
        state.decode()
    }
}

/// The stored form of an aggregate's state made with `snapshot(version = N, with = S)`:
/// `From<&A> for S` and `From<S> for A`, behind one bound, so that a stored form lacking
/// them is reported once, naming both. Implemented for every type that has both.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}`, the snapshot form of `{A}`, needs `From<&{A}> for {Self}` and `From<{Self}> for {A}`",
    label = "`with` names `{Self}`, which does not convert from and to `{A}`",
    note = "implement both conversions: `From<&{A}> for {Self}` takes the snapshot, `From<{Self}> for {A}` restores the state"
)]
pub trait SnapshotForm<A>: Sized {
    /// `From<&A>::from`.
    fn take(state: &A) -> Self;

    /// `A::from`.
    fn restore(self) -> A;
}

#[diagnostic::do_not_recommend]
impl<A, S> SnapshotForm<A> for S
where
    S: for<'a> From<&'a A>,
    A: From<S>,
{
    fn take(state: &A) -> Self {
        S::from(state)
    }

    fn restore(self) -> A {
        A::from(self)
    }
}

/// Serialises `A`'s stored form. The derive's `serialize_snapshot` calls it, so that the
/// stored form is required to be serialisable once, on [`Snapshottable::Snapshot`].
pub fn serialize_snapshot<A: Snapshottable, S: Serializer>(
    stored: &A::Snapshot,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    stored.serialize_state(serializer)
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
    A::Snapshot::decode_state(state).map(A::from_snapshot)
}
