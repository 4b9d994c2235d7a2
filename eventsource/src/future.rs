//! [`BoxFuture`]: the future type of the object-safe traits.

use std::future::Future;
use std::pin::Pin;

/// A boxed, `Send` future, as object-safe traits return
/// ([`SnapshotStore`](crate::snapshot::SnapshotStore), [`EventPublisher`](crate::bus::EventPublisher),
/// [`DynEventStore`](crate::store::DynEventStore)).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
