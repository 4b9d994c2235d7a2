//! Publishing after the commit: the [`EventPublisher`] a repository hands saved events to,
//! and [`InMemoryEventBus`], an in-process one that hands them to subscribed handlers,
//! fire and forget, each typed event in an [`Envelope`].

use crate::codec::StoredPayload;
use crate::error::BoxError;
use crate::event::decode_stored;
use crate::event::names::is_read_as;
use crate::event::{DomainEvent, EventMetadata};
use crate::future::BoxFuture;
use crate::store::RecordedEvent;
use crate::stream::StreamId;
use std::future::Future;
use std::sync::{Arc, RwLock};

pub use crate::publish::EventPublisher;
/// A typed event with what was stored about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope<E> {
    /// The event.
    pub event: E,
    /// The stream it belongs to.
    pub stream: StreamId,
    /// Its version in the stream.
    pub version: u64,
    /// Its position in the global feed.
    pub position: u64,
    /// Its metadata.
    pub metadata: EventMetadata,
}

type Handler =
    Arc<dyn Fn(&RecordedEvent) -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync>;

/// An event's stored name and its aliases.
type EventNames = (&'static str, &'static [&'static str]);

struct Subscriber {
    /// The event's names; `None` for a subscriber to every event.
    event_type: Option<EventNames>,
    handler: Handler,
}

/// An in-process publisher: handlers subscribe to one event type or to all events.
///
/// Each event is delivered to its handlers in subscription order; a handler that fails
/// (or an event that cannot be decoded for a typed handler) is reported through `tracing`
/// at WARN level and counted in [`failed_deliveries`](Self::failed_deliveries); the other
/// handlers still run. Cloning gives another handle to the same bus.
#[derive(Clone, Default)]
pub struct InMemoryEventBus {
    inner: Arc<BusInner>,
}

#[derive(Default)]
struct BusInner {
    subscribers: RwLock<Vec<Subscriber>>,
    failures: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for InMemoryEventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemoryEventBus")
            .field("subscribers", &self.subscriber_count())
            .field("failed_deliveries", &self.failed_deliveries())
            .finish()
    }
}

impl InMemoryEventBus {
    /// A bus without subscribers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Subscribes `handler` to events of type `E`.
    pub fn subscribe<E, F, Fut>(&self, handler: F)
    where
        E: DomainEvent,
        F: Fn(Envelope<E>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |record: &RecordedEvent| {
            match decode_stored::<E>(StoredPayload::from(record)) {
                Ok(event) => {
                    let envelope = Envelope {
                        event,
                        stream: record.stream.clone(),
                        version: record.version,
                        position: record.position,
                        metadata: record.metadata.clone(),
                    };
                    Box::pin(handler(envelope))
                }
                Err(error) => Box::pin(std::future::ready(Err(error.into()))),
            }
        });
        self.add(Some((E::EVENT_TYPE, E::ALIASES)), handler);
    }

    /// Subscribes `handler` to every event, as stored.
    pub fn subscribe_all<F, Fut>(&self, handler: F)
    where
        F: Fn(RecordedEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        let handler: Handler =
            Arc::new(move |record: &RecordedEvent| Box::pin(handler(record.clone())));
        self.add(None, handler);
    }

    /// How many handlers are subscribed.
    pub fn subscriber_count(&self) -> usize {
        self.read_subscribers(|s| s.len())
    }

    /// How many deliveries failed since the bus was created.
    pub fn failed_deliveries(&self) -> u64 {
        self.inner
            .failures
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    fn add(&self, event_type: Option<EventNames>, handler: Handler) {
        let mut subscribers = self
            .inner
            .subscribers
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        subscribers.push(Subscriber {
            event_type,
            handler,
        });
    }

    fn read_subscribers<T>(&self, f: impl FnOnce(&[Subscriber]) -> T) -> T {
        let subscribers = self
            .inner
            .subscribers
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&subscribers)
    }

    /// The handlers for one event, cloned so no lock is held while they run.
    fn handlers_for(&self, event_type: &str) -> Vec<Handler> {
        self.read_subscribers(|subscribers| {
            subscribers
                .iter()
                .filter(|s| {
                    s.event_type
                        .is_none_or(|(name, aliases)| is_read_as(event_type, name, aliases))
                })
                .map(|s| Arc::clone(&s.handler))
                .collect()
        })
    }
}

impl EventPublisher for InMemoryEventBus {
    fn publish<'a>(&'a self, events: &'a [RecordedEvent]) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move {
            for record in events {
                for handler in self.handlers_for(&record.event_type) {
                    if let Err(error) = handler(record).await {
                        self.inner
                            .failures
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        tracing::warn!(
                            stream = %record.stream,
                            version = record.version,
                            event_type = %record.event_type,
                            error = %error,
                            "event handler failed"
                        );
                    }
                }
            }
            Ok(())
        })
    }
}
