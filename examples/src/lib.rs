//! Code the example programs share: the tutorial's task aggregate, and a file-system
//! event store written on the conformance kit (the tutorial "Writing your own event
//! store").

pub mod fs_store;
pub mod task;
