//! The conformance suites and the snapshot behaviour suite on the in-memory stores.

eventsource::event_store_conformance!(async { Some(eventsource::InMemoryEventStore::new()) });

mod snapshots {
    eventsource::snapshot_store_conformance!(async {
        Some(eventsource::snapshot::InMemorySnapshotStore::new())
    });
}

mod snapshot_behaviour {
    eventsource::snapshot_behaviour_conformance!(async {
        Some((
            eventsource::InMemoryEventStore::new(),
            eventsource::snapshot::InMemorySnapshotStore::new(),
        ))
    });
}

/// The same suite through the object-safe form: a store chosen at run time.
mod dyn_store {
    use eventsource::store::DynEventStore;
    use std::sync::Arc;

    eventsource::event_store_conformance!(async {
        Some(Arc::new(eventsource::InMemoryEventStore::new()) as Arc<dyn DynEventStore>)
    });
}

mod subscriptions {
    eventsource_tests::subscription_suite!(async { Some(eventsource::InMemoryEventStore::new()) });
}

mod codecs {
    eventsource_tests::codec_suite!(async { Some(eventsource::InMemoryEventStore::new()) });
}

mod evolution {
    eventsource_tests::evolution_suite!(async { Some(eventsource::InMemoryEventStore::new()) });
}
