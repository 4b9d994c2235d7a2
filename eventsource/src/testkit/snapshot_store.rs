//! The snapshot store cases: one async function per rule of
//! [`SnapshotStore`], generic over the store; each function's
//! one-line doc is the rule. Run them all with
//! [`snapshot_store_conformance!`](crate::snapshot_store_conformance), or call one.

use crate::codec::{Payload, PayloadRef};
use crate::event::EventMetadata;
use crate::snapshot::{Snapshot, SnapshotStore};
use crate::store::StreamId;
use crate::testkit::fixtures::{assert_refused, streams_outside_the_rule};
use uuid::Uuid;

/// Runs every [snapshot store case](crate::testkit::snapshot_store) as a test of its own:
/// one `#[test]` function per case, named for it, on a two-thread tokio runtime.
///
/// `$factory` is an async expression evaluating to `Option<store>`: a fresh
/// [`SnapshotStore`](crate::snapshot::SnapshotStore) for each case, or `None` when the backend is
/// unavailable (the case then prints a `SKIPPED` line and passes).
///
/// ```
/// mod in_memory {
///     eventsource::snapshot_store_conformance!(async {
///         Some(eventsource::snapshot::InMemorySnapshotStore::new())
///     });
/// }
/// ```
#[macro_export]
macro_rules! snapshot_store_conformance {
    ($factory:expr) => {
        $crate::__testkit_cases!($factory; MultiThread; $crate::testkit::one; snapshot_store;
            missing_snapshot_loads_as_none,
            saved_snapshot_loads_back_unchanged,
            newer_snapshot_replaces_older,
            older_snapshot_never_replaces_newer,
            equal_version_snapshot_replaces,
            snapshots_are_per_stream,
            delete_removes_only_that_stream,
            delete_of_missing_snapshot_is_ok,
            large_unicode_state_round_trips,
            binary_state_round_trips_and_is_replaced_by_either_codec,
            streams_outside_the_id_rule_are_refused,
        );
    };
}

fn stream() -> StreamId {
    StreamId::new("Task", Uuid::now_v7().to_string())
}

fn snapshot(stream: &StreamId, version: u64, state: &str) -> Snapshot {
    Snapshot::new(
        stream.clone(),
        version,
        1,
        state,
        EventMetadata::time_from_micros(1_700_000_000_000_001 + version as i64),
    )
}

/// No snapshot stored: `None`.
pub async fn missing_snapshot_loads_as_none<S: SnapshotStore>(store: S) {
    assert_eq!(store.load(&stream()).await.unwrap(), None);
}

/// Every field comes back as saved.
pub async fn saved_snapshot_loads_back_unchanged<S: SnapshotStore>(store: S) {
    let s = stream();
    let mut saved = snapshot(&s, 5, r#"{"title":"t"}"#);
    saved.schema_version = 3;
    store.save(&saved).await.unwrap();
    assert_eq!(store.load(&s).await.unwrap(), Some(saved));
}

/// A later version replaces the stored snapshot.
pub async fn newer_snapshot_replaces_older<S: SnapshotStore>(store: S) {
    let s = stream();
    store.save(&snapshot(&s, 5, "5")).await.unwrap();
    store.save(&snapshot(&s, 9, "9")).await.unwrap();
    assert_eq!(store.load(&s).await.unwrap().map(|x| x.version), Some(9));
}

/// An earlier version is dropped: the newer snapshot stays.
pub async fn older_snapshot_never_replaces_newer<S: SnapshotStore>(store: S) {
    let s = stream();
    store.save(&snapshot(&s, 9, "9")).await.unwrap();
    store.save(&snapshot(&s, 5, "5")).await.unwrap();
    let loaded = store.load(&s).await.unwrap().unwrap();
    assert_eq!((loaded.version, loaded.state.as_str()), (9, "9"));
}

/// The same version replaces (a retaken snapshot, say after a schema change).
pub async fn equal_version_snapshot_replaces<S: SnapshotStore>(store: S) {
    let s = stream();
    store.save(&snapshot(&s, 4, "old")).await.unwrap();
    let mut retaken = snapshot(&s, 4, "new");
    retaken.schema_version = 2;
    store.save(&retaken).await.unwrap();
    assert_eq!(store.load(&s).await.unwrap(), Some(retaken));
}

/// Two streams keep two snapshots; the same id under two types too.
pub async fn snapshots_are_per_stream<S: SnapshotStore>(store: S) {
    let a = stream();
    let b = StreamId::new("Order", a.aggregate_id.clone());
    store.save(&snapshot(&a, 1, "a")).await.unwrap();
    store.save(&snapshot(&b, 2, "b")).await.unwrap();
    assert_eq!(store.load(&a).await.unwrap().unwrap().state, "a");
    assert_eq!(store.load(&b).await.unwrap().unwrap().state, "b");
}

/// Deleting one stream's snapshot leaves the others.
pub async fn delete_removes_only_that_stream<S: SnapshotStore>(store: S) {
    let (a, b) = (stream(), stream());
    store.save(&snapshot(&a, 1, "a")).await.unwrap();
    store.save(&snapshot(&b, 1, "b")).await.unwrap();
    store.delete(&a).await.unwrap();
    assert_eq!(store.load(&a).await.unwrap(), None);
    assert!(store.load(&b).await.unwrap().is_some());
}

/// Deleting what is not there succeeds.
pub async fn delete_of_missing_snapshot_is_ok<S: SnapshotStore>(store: S) {
    store.delete(&stream()).await.unwrap();
}

/// A large state with non-ASCII and control characters is kept byte for byte.
pub async fn large_unicode_state_round_trips<S: SnapshotStore>(store: S) {
    let s = StreamId::new("Task", "ünïcödé id ✓");
    let text = format!("{}\u{1F600}\u{0007}\n'\";--", "é".repeat(300_000));
    let state = serde_json::json!({ "text": text }).to_string();
    store.save(&snapshot(&s, 1, &state)).await.unwrap();
    assert_eq!(store.load(&s).await.unwrap().unwrap().state, state);
}

/// A state a binary codec wrote comes back as it was saved, with its codec; a JSON
/// snapshot replaces it and a binary one replaces that, each leaving nothing of the other.
pub async fn binary_state_round_trips_and_is_replaced_by_either_codec<S: SnapshotStore>(store: S) {
    let s = stream();
    let bytes: Vec<u8> = vec![0x82, 0xa1, b'a', 0x00, 0xa1, b'b', 0xc4, 2, 0xff, 0x00];
    let binary = |version| {
        Snapshot::new(
            s.clone(),
            version,
            1,
            Payload::MessagePack(bytes.clone()),
            EventMetadata::time_from_micros(1_700_000_000_000_001),
        )
    };
    store.save(&binary(2)).await.unwrap();
    let loaded = store.load(&s).await.unwrap().unwrap();
    assert_eq!(loaded, binary(2));
    assert_eq!(loaded.state_ref(), PayloadRef::MessagePack(&bytes));
    let json = snapshot(&s, 3, r#"{"title":"t"}"#);
    store.save(&json).await.unwrap();
    assert_eq!(store.load(&s).await.unwrap(), Some(json));
    store.save(&binary(4)).await.unwrap();
    assert_eq!(store.load(&s).await.unwrap(), Some(binary(4)));
}

/// The stream rule of the event stores holds for snapshots too: an aggregate id over
/// [`MAX_AGGREGATE_ID_BYTES`](crate::store::MAX_AGGREGATE_ID_BYTES), a type over [`MAX_AGGREGATE_TYPE_BYTES`](crate::store::MAX_AGGREGATE_TYPE_BYTES), or a NUL in
/// either is refused by `save`, `load` and `delete` with [`Error::InvalidStream`](crate::Error::InvalidStream) naming
/// the limit, and nothing is stored.
pub async fn streams_outside_the_id_rule_are_refused<S: SnapshotStore>(store: S) {
    for (stream, named) in streams_outside_the_rule() {
        let refused = |result, operation: &str| assert_refused(result, &stream, named, operation);
        refused(store.save(&snapshot(&stream, 3, "{}")).await, "save");
        refused(store.load(&stream).await.map(drop), "load");
        refused(store.delete(&stream).await, "delete");
    }
}
