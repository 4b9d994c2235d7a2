//! The conformance suites and the snapshot behaviour suite on the in-memory stores.

eventsource_tests::store_conformance_suite!(async { Some(eventsource::InMemoryEventStore::new()) });

mod snapshots {
    eventsource_tests::snapshot_store_conformance_suite!(async {
        Some(eventsource::InMemorySnapshotStore::new())
    });
}

mod snapshot_behaviour {
    eventsource_tests::snapshot_behaviour_suite!(async {
        Some((
            eventsource::InMemoryEventStore::new(),
            eventsource::InMemorySnapshotStore::new(),
        ))
    });
}
