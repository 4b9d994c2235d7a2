//! The in-memory store keeps each event's decoded value beside its payload: a load
//! decodes an event once, and what it applies is always what decoding gives (for another
//! reader type, an older schema version, a payload that does not round-trip, a payload
//! that does not decode).

use eventsource::prelude::*;
use eventsource::store::{DynEventStore, NewEvent};
use eventsource::{EventMetadata, StreamId};
use eventsource_tests::memory_bench::Uncached;
use std::cell::Cell;
use std::sync::Arc;

thread_local! {
    /// Payloads decoded on this thread (a test's current-thread runtime).
    static DECODED: Cell<usize> = const { Cell::new(0) };
}

fn decoded() -> usize {
    DECODED.with(Cell::get)
}

/// Deserialises a `u64`, counting the call.
fn counted<'de, D: eventsource::serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    DECODED.with(|n| n.set(n.get() + 1));
    <u64 as Deserialize>::deserialize(d)
}

/// Schema 1 stored whole units as `amount`.
#[event(name = "Added", version = 1, upcast_to = Added)]
pub struct AddedV1 {
    pub amount: u64,
}

/// Counted on every decoding; `local` is never stored (it does not round-trip). Schema 2
/// stores cents.
#[event(name = "Added", version = 2, upcast_from(AddedV1))]
pub struct Added {
    #[serde(deserialize_with = "counted")]
    pub cents: u64,
    #[serde(skip)]
    pub local: u64,
}

impl From<AddedV1> for Added {
    fn from(v1: AddedV1) -> Self {
        Added {
            cents: v1.amount * 100,
            local: 0,
        }
    }
}

#[derive(Aggregate, Debug, Default, PartialEq)]
#[aggregate(name = "Counter")]
pub struct Counter {
    pub cents: u64,
    pub local: u64,
    pub events: u64,
}

#[apply]
impl Counter {
    fn added(&mut self, e: &Added) {
        self.cents += e.cents;
        self.local += e.local;
        self.events += 1;
    }
}

/// Another aggregate type reading the same streams, with its own event enum.
#[derive(Aggregate, Debug, Default, PartialEq)]
#[aggregate(name = "Counter")]
pub struct CounterView {
    pub cents: u64,
    pub events: u64,
}

#[apply]
impl CounterView {
    fn added(&mut self, e: &Added) {
        self.cents += e.cents;
        self.events += 1;
    }
}

/// A counter of `n` events saved through `repo`, each recorded with `local = 7`.
async fn counter(repo: &Repository<Counter, InMemoryEventStore>, n: u64) -> Uuid {
    let id = Uuid::now_v7();
    let mut root = repo.create_new(id);
    for cents in 1..=n {
        root.record(Added { cents, local: 7 });
    }
    assert_eq!(root.local, 7 * n, "the writer applied its own values");
    repo.save(&mut root).await.expect("save");
    id
}

/// The same store read through a wrapper that hands over no cells: every load decodes,
/// as a load from a database does.
fn decoding<A: Aggregate>(
    store: &InMemoryEventStore,
) -> Repository<A, Uncached<InMemoryEventStore>> {
    Repository::new(Uncached(store.clone()))
}

/// Behind the object-safe form (a store chosen at run time), the store's kept values are
/// still used.
#[tokio::test]
async fn a_boxed_store_decodes_an_event_once() {
    let store = InMemoryEventStore::new();
    let id = counter(&Repository::new(store.clone()), 20).await;
    let boxed: Arc<dyn DynEventStore> = Arc::new(store.clone());
    let repo = Repository::<Counter, _>::new(boxed);
    let before = decoded();
    let first = repo.load(id).await.expect("load");
    assert_eq!(decoded() - before, 20, "the first load decodes every event");
    let before = decoded();
    let second = repo.load(id).await.expect("load");
    assert_eq!(
        decoded() - before,
        0,
        "the second load takes the kept values"
    );
    assert_eq!(first.state(), second.state());
    let plain = decoding::<Counter>(&store).load(id).await.expect("load");
    assert_eq!(second.state(), plain.state());
}

#[tokio::test]
async fn a_second_load_decodes_nothing_and_equals_a_decoding_load() {
    let store = InMemoryEventStore::new();
    let repo = Repository::<Counter, _>::new(store.clone());
    let id = counter(&repo, 50).await;
    let stream = StreamId::new("Counter", id.to_string());
    let rows_before = store.read_stream(&stream, 0).await.expect("read");

    let before = decoded();
    let first = repo.load(id).await.expect("load");
    assert_eq!(decoded() - before, 50, "the first load decodes every event");
    let before = decoded();
    let second = repo.load(id).await.expect("load");
    assert_eq!(
        decoded() - before,
        0,
        "the second load takes the kept values"
    );

    let plain = decoding::<Counter>(&store).load(id).await.expect("load");
    assert_eq!(first.state(), plain.state());
    assert_eq!(second.state(), plain.state());
    assert_eq!(second.version(), 50);
    assert_eq!(
        store.read_stream(&stream, 0).await.expect("read"),
        rows_before,
        "the stored rows are unchanged"
    );
}

#[tokio::test]
async fn a_payload_that_does_not_round_trip_loads_as_decoding_gives_it() {
    let store = InMemoryEventStore::new();
    let repo = Repository::<Counter, _>::new(store.clone());
    let id = counter(&repo, 3).await;
    for _ in 0..2 {
        let loaded = repo.load(id).await.expect("load");
        // `local` is not stored: decoding gives 0, never the writer's 7.
        assert_eq!((loaded.cents, loaded.local, loaded.events), (6, 0, 3));
    }
}

#[tokio::test]
async fn another_aggregate_type_reading_the_stream_decodes_for_itself() {
    let store = InMemoryEventStore::new();
    let repo = Repository::<Counter, _>::new(store.clone());
    let view = Repository::<CounterView, _>::new(store.clone());
    let id = counter(&repo, 10).await;
    repo.load(id).await.expect("load");

    let before = decoded();
    let seen = view.load(id).await.expect("load as the other type");
    assert_eq!(
        decoded() - before,
        10,
        "another type does not take the kept values"
    );
    let plain = decoding::<CounterView>(&store)
        .load(id)
        .await
        .expect("load");
    assert_eq!(seen.state(), plain.state());
    assert_eq!((seen.cents, seen.events), (55, 10));

    let before = decoded();
    let again = repo.load(id).await.expect("load");
    assert_eq!(
        decoded() - before,
        0,
        "the first type's values are still kept"
    );
    assert_eq!(again.cents, 55);
}

#[tokio::test]
async fn an_older_schema_version_is_kept_as_upcast() {
    let store = InMemoryEventStore::new();
    let id = Uuid::now_v7();
    let stream = StreamId::new("Counter", id.to_string());
    let old = NewEvent::new("Added", 1, r#"{"amount":3}"#, EventMetadata::new());
    store
        .append(&stream, ExpectedVersion::NoStream, vec![old])
        .await
        .expect("append");
    let repo = Repository::<Counter, _>::new(store.clone());
    let mut root = repo.load(id).await.expect("load");
    assert_eq!(root.cents, 300, "upcast from schema 1");
    root.record(Added { cents: 5, local: 0 });
    repo.save(&mut root).await.expect("save");

    let before = decoded();
    let loaded = repo.load(id).await.expect("load");
    assert_eq!(decoded() - before, 1, "only the new event is decoded");
    let plain = decoding::<Counter>(&store).load(id).await.expect("load");
    assert_eq!(loaded.state(), plain.state());
    assert_eq!(loaded.cents, 305);
    let stored = store.read_stream(&stream, 0).await.expect("read");
    assert_eq!(
        (stored[0].schema_version, stored[0].payload.as_str()),
        (1, r#"{"amount":3}"#),
        "the stored row is still the old schema"
    );
}

#[tokio::test]
async fn a_payload_that_does_not_decode_fails_every_load() {
    let store = InMemoryEventStore::new();
    let id = Uuid::now_v7();
    let stream = StreamId::new("Counter", id.to_string());
    let bad = NewEvent::new("Added", 2, r#"{"cents":"many"}"#, EventMetadata::new());
    store
        .append(&stream, ExpectedVersion::NoStream, vec![bad])
        .await
        .expect("append");
    let repo = Repository::<Counter, _>::new(store);
    for _ in 0..2 {
        let error = repo.load(id).await.expect_err("an undecodable payload");
        assert!(
            matches!(error, eventsource::Error::Decode { version: 1, .. }),
            "{error:?}"
        );
    }
}
