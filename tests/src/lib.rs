//! Shared test code: domain fixtures and the store conformance suite that every
//! [`EventStore`](eventsource::EventStore) backend runs unchanged.

pub mod conformance;
pub mod fixtures;
