//! The conformance suite on the in-memory store.

eventsource_tests::store_conformance_suite!(async { Some(eventsource::InMemoryEventStore::new()) });
