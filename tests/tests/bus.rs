//! The in-memory bus: typed and catch-all subscriptions, delivery after commit, and
//! failing handlers that never fail the save.

use eventsource::prelude::*;
use eventsource::store::NewEvent;
use eventsource::{RecordedEvent, bus::Envelope, error::BoxError};
use eventsource_tests::fixtures::{Task, TaskAssigned, TaskCompleted, TaskCreated};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

fn created(title: &str) -> TaskCreated {
    TaskCreated {
        title: title.into(),
        description: String::new(),
    }
}

#[tokio::test]
async fn typed_handler_receives_only_its_event_type_with_its_envelope() {
    let bus = InMemoryEventBus::new();
    let seen: Arc<Mutex<Vec<Envelope<TaskCreated>>>> = Arc::default();
    let sink = Arc::clone(&seen);
    bus.subscribe::<TaskCreated, _, _>(move |envelope| {
        let sink = Arc::clone(&sink);
        async move {
            sink.lock().unwrap().push(envelope);
            Ok::<_, BoxError>(())
        }
    });
    let repo = Repository::<Task, _>::new(InMemoryEventStore::new()).with_publisher(bus.clone());
    let id = Uuid::now_v7();
    let mut task = repo.create_new(id);
    task.record((
        created("bus"),
        TaskAssigned {
            assigned_to: Uuid::nil(),
        },
    ));
    let created_id = task.pending_events()[0].metadata.event_id;
    repo.save(&mut task).await.unwrap();

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].event, created("bus"));
    assert_eq!(seen[0].stream, task.stream());
    assert_eq!(seen[0].version, 1);
    assert_eq!(seen[0].metadata.event_id, created_id);
    assert!(seen[0].position >= 1);
}

#[tokio::test]
async fn catch_all_handler_receives_every_event_in_commit_order() {
    let bus = InMemoryEventBus::new();
    let seen: Arc<Mutex<Vec<RecordedEvent>>> = Arc::default();
    let sink = Arc::clone(&seen);
    bus.subscribe_all(move |record| {
        let sink = Arc::clone(&sink);
        async move {
            sink.lock().unwrap().push(record);
            Ok(())
        }
    });
    let store = InMemoryEventStore::new();
    let repo = Repository::<Task, _>::new(store.clone()).with_publisher(bus);
    let mut task = repo.create_new(Uuid::now_v7());
    task.record(created("all"));
    repo.save(&mut task).await.unwrap();
    task.record(TaskCompleted {
        completed_by: Uuid::nil(),
    });
    repo.save(&mut task).await.unwrap();
    let stored = store.read_all(0, 10).await.unwrap();
    assert_eq!(*seen.lock().unwrap(), stored);
}

#[tokio::test]
async fn nothing_is_published_when_the_append_fails() {
    let bus = InMemoryEventBus::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    bus.subscribe_all(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        async { Ok(()) }
    });
    let repo = Repository::<Task, _>::new(InMemoryEventStore::new()).with_publisher(bus);
    let id = Uuid::now_v7();
    let mut first = repo.create_new(id);
    let mut second = repo.create_new(id);
    first.record(created("first"));
    second.record(created("second"));
    repo.save(&mut first).await.unwrap();
    assert!(repo.save(&mut second).await.unwrap_err().is_conflict());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

/// Counts WARN events, to see that a failing handler is reported through `tracing`.
struct WarnCounter(Arc<AtomicUsize>);

impl tracing::Subscriber for WarnCounter {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if *event.metadata().level() == tracing::Level::WARN {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test(flavor = "current_thread")]
async fn failing_handler_never_fails_the_save_and_is_reported() {
    let warnings = Arc::new(AtomicUsize::new(0));
    let _guard = tracing::subscriber::set_default(WarnCounter(Arc::clone(&warnings)));

    let bus = InMemoryEventBus::new();
    bus.subscribe::<TaskCreated, _, _>(|_| async { Err::<(), BoxError>("handler broke".into()) });
    let delivered = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&delivered);
    bus.subscribe::<TaskCreated, _, _>(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        async { Ok(()) }
    });
    let repo = Repository::<Task, _>::new(InMemoryEventStore::new()).with_publisher(bus.clone());
    let id = Uuid::now_v7();
    let mut task = repo.create_new(id);
    task.record(created("fails"));
    repo.save(&mut task).await.unwrap();

    assert_eq!(repo.get_version(&id).await.unwrap(), 1);
    assert_eq!(
        delivered.load(Ordering::SeqCst),
        1,
        "the other handler still ran"
    );
    assert_eq!(bus.failed_deliveries(), 1);
    assert_eq!(warnings.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn subscriber_count_counts_handlers() {
    let bus = InMemoryEventBus::new();
    assert_eq!(bus.subscriber_count(), 0);
    bus.subscribe::<TaskCreated, _, _>(|_| async { Ok(()) });
    bus.subscribe_all(|_| async { Ok(()) });
    assert_eq!(bus.subscriber_count(), 2);
}

/// Old rows reach typed handlers as today's events: a row under a renamed event's old
/// name, and an older schema version through the typed chain.
#[tokio::test]
async fn typed_handlers_receive_old_names_and_older_versions_upcast() {
    use eventsource::{EventMetadata, StreamId, bus::EventPublisher};
    use eventsource_tests::evolution::{TaskCompleted as Completed, TaskRetitled};

    let bus = InMemoryEventBus::new();
    let titles: Arc<Mutex<Vec<String>>> = Arc::default();
    let completions: Arc<Mutex<Vec<(String, u32)>>> = Arc::default();
    let sink = Arc::clone(&titles);
    bus.subscribe::<TaskRetitled, _, _>(move |envelope| {
        let sink = Arc::clone(&sink);
        async move {
            sink.lock().unwrap().push(envelope.event.title);
            Ok::<_, BoxError>(())
        }
    });
    let sink = Arc::clone(&completions);
    bus.subscribe::<Completed, _, _>(move |envelope| {
        let sink = Arc::clone(&sink);
        async move {
            sink.lock()
                .unwrap()
                .push((envelope.event.by, envelope.event.minutes));
            Ok::<_, BoxError>(())
        }
    });
    let stream = StreamId::new("EvolvingTask", Uuid::now_v7().to_string());
    let record = |version: u64, event_type: &str, schema_version: u32, payload: &str| {
        RecordedEvent::new(
            NewEvent::new(event_type, schema_version, payload, EventMetadata::new()),
            stream.clone(),
            version,
            version,
        )
    };
    let records = [
        record(1, "TaskRenamed", 1, r#"{"title":"Old name"}"#),
        record(2, "TaskCompleted", 1, r#"{"by":"ann"}"#),
        record(3, "TaskRetitled", 1, r#"{"title":"New name"}"#),
    ];
    bus.publish(&records).await.unwrap();

    assert_eq!(*titles.lock().unwrap(), ["Old name", "New name"]);
    assert_eq!(*completions.lock().unwrap(), [("ann".to_owned(), 0)]);
    assert_eq!(bus.failed_deliveries(), 0);
}
