//! [`Projection`]: a read model fed from the global feed, what `#[projection]` implements.

use crate::error::{BoxError, Error};
use crate::future::BoxFuture;
use crate::store::RecordedEvent;

/// A read model built from events, fed by a [`SubscriptionRunner`](super::SubscriptionRunner).
///
/// Implement it with `#[projection]` on an `impl` block whose methods are the handlers:
///
/// ```
/// use eventsource::prelude::*;
/// use eventsource::{RecordedEvent, store::NewEvent};
/// use eventsource::{EventMetadata, StreamId};
/// # #[event] pub struct TaskCreated { pub title: String }
/// # #[event] pub struct TaskCompleted;
///
/// #[derive(Default)]
/// pub struct OpenTasks { open: usize, last_position: u64 }
///
/// #[projection(name = "open_tasks")]
/// impl OpenTasks {
///     fn created(&mut self, _: &TaskCreated, envelope: &RecordedEvent) {
///         self.open += 1;
///         self.last_position = envelope.position;
///     }
///     fn completed(&mut self, _: &TaskCompleted) {
///         self.open -= 1;
///     }
/// }
///
/// assert_eq!(OpenTasks::NAME, "open_tasks");
/// assert_eq!(OpenTasks::EVENT_TYPES, ["TaskCreated", "TaskCompleted"]);
///
/// // A subscription does this for every event of the feed.
/// let event = NewEvent::new("TaskCreated", 1, r#"{"title":"Write docs"}"#, EventMetadata::new());
/// let created = RecordedEvent::new(event, StreamId::new("Task", "t-1"), 1, 7);
/// let mut tasks = OpenTasks::default();
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// tasks.handle(&created).await.unwrap();
/// # });
/// assert_eq!((tasks.open, tasks.last_position), (1, 7));
/// ```
///
/// Each handler is `fn(&mut self, &E)` or `fn(&mut self, &E, &RecordedEvent)`, plain or
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
    fn handle<'a>(&'a mut self, event: &'a RecordedEvent)
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
///
/// A handler's error stops the subscription at that event, to be retried; an event that
/// does not decode is reported apart, since a retry cannot help:
///
/// ```
/// use eventsource::prelude::*;
/// use eventsource::{RecordedEvent, store::NewEvent};
/// use eventsource::subscription::HandleError;
/// use eventsource::{EventMetadata, StreamId};
/// # #[event] pub struct Deposited { pub amount: i64 }
///
/// #[derive(Default)]
/// pub struct Ledger { total: i64 }
///
/// #[projection]
/// impl Ledger {
///     async fn deposited(&mut self, event: &Deposited) -> Result<(), String> {
///         if event.amount <= 0 {
///             return Err(format!("a deposit of {}", event.amount));
///         }
///         self.total += event.amount;
///         Ok(())
///     }
/// }
///
/// let record = |payload: &str| {
///     let event = NewEvent::new("Deposited", 1, payload, EventMetadata::new());
///     RecordedEvent::new(event, StreamId::new("Account", "a-1"), 1, 1)
/// };
/// let mut ledger = Ledger::default();
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let failed = ledger.handle(&record(r#"{"amount":-5}"#)).await.unwrap_err();
/// assert!(matches!(failed, HandleError::Handler(_)) && failed.is_retryable());
///
/// let undecodable = ledger.handle(&record(r#"{"amount":"five"}"#)).await.unwrap_err();
/// assert!(matches!(undecodable, HandleError::Decode(_)) && !undecodable.is_retryable());
/// # });
/// assert_eq!((Ledger::NAME, ledger.total), ("Ledger", 0));
/// ```
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
