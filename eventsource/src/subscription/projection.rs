//! [`Projection`]: a read model fed from the global feed, what `#[projection]` implements.

use crate::error::{BoxError, Error};
use crate::future::BoxFuture;
use crate::store::RecordedEvent;

/// What a projection handler sees besides the event: the stored record — stream
/// (aggregate type and id), version, global position, event type and schema version, and
/// the metadata (event id, time, correlation and causation ids, extra pairs).
pub type EventEnvelope = RecordedEvent;

/// A read model built from events, fed by a [`SubscriptionRunner`](super::SubscriptionRunner).
///
/// Implement it with `#[projection]` on an `impl` block whose methods are the handlers:
///
/// ```ignore
/// use eventsource::prelude::*;
/// use eventsource::subscription::EventEnvelope;
/// # #[event] pub struct TaskCreated { pub title: String }
/// # #[event] pub struct TaskCompleted;
///
/// #[derive(Default)]
/// pub struct OpenTasks { open: usize, last_position: u64 }
///
/// #[projection(name = "open_tasks")]
/// impl OpenTasks {
///     fn created(&mut self, _: &TaskCreated, envelope: &EventEnvelope) {
///         self.open += 1;
///         self.last_position = envelope.position;
///     }
///     fn completed(&mut self, _: &TaskCompleted) {
///         self.open -= 1;
///     }
/// }
/// ```
///
/// Each handler is `fn(&mut self, &E)` or `fn(&mut self, &E, &EventEnvelope)`, plain or
/// `async`, returning `()` or `Result<(), E>` for any error `E` that converts into
/// [`BoxError`]. Events of any aggregate type can feed one projection: a handler for `E`
/// receives every stored event whose type name is `E`'s. Events without a handler are
/// passed over without decoding their payload.
pub trait Projection: Send + 'static {
    /// The name the subscription's checkpoint and parked events are kept under. Renaming
    /// it starts the projection afresh.
    const NAME: &'static str;

    /// The stored event type names the projection has handlers for.
    const EVENT_TYPES: &'static [&'static str];

    /// Handles one event: decodes it when the projection has a handler for its type and
    /// runs the handler; does nothing for other types.
    fn handle<'a>(&'a mut self, event: &'a EventEnvelope)
    -> BoxFuture<'a, Result<(), HandleError>>;
}

/// Why a projection could not handle an event.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandleError {
    /// The stored event could not be decoded as the handler's event type
    /// ([`Error::Decode`], naming stream, version and event type). Retrying cannot help.
    #[error(transparent)]
    Decode(Error),
    /// The handler returned an error. It is retried with backoff.
    #[error("handler failed: {0}")]
    Handler(#[source] BoxError),
}

impl HandleError {
    /// True when a retry may succeed (a handler error, not an undecodable event).
    pub fn is_retryable(&self) -> bool {
        matches!(self, HandleError::Handler(_))
    }
}

/// What a projection handler may return: `()` or `Result<(), E>` with `E: Into<BoxError>`.
pub trait HandlerOutcome {
    /// The outcome as a result.
    fn into_outcome(self) -> Result<(), HandleError>;
}

impl HandlerOutcome for () {
    fn into_outcome(self) -> Result<(), HandleError> {
        Ok(())
    }
}

impl<E: Into<BoxError>> HandlerOutcome for Result<(), E> {
    fn into_outcome(self) -> Result<(), HandleError> {
        self.map_err(|error| HandleError::Handler(error.into()))
    }
}
