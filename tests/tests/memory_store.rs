//! The conformance suite on the in-memory store.

eventsource_tests::store_conformance_suite!(async { Some(eventsource::InMemoryEventStore::new()) });

mod snapshots {
    eventsource_tests::snapshot_store_conformance_suite!(async {
        Some(eventsource::InMemorySnapshotStore::new())
    });
}
