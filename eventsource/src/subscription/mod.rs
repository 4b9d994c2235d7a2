//! The read side: projections fed from the global feed.
//!
//! A [`Projection`] (declared with `#[projection]`) handles the events it names. A
//! subscription feeds it every event of the store's global feed in position order,
//! at least once, and keeps a checkpoint of how far it got.

mod projection;

pub use projection::{EventEnvelope, HandleError, HandlerOutcome, Projection};
