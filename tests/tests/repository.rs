//! The repository's behaviour, ported from the reference library's repository tests.

use eventsource::StreamId;
use eventsource::prelude::*;
use eventsource::{
    BoxFuture, Error, EventMetadata, RecordedEvent, bus::EventPublisher, error::BoxError,
};
use eventsource_tests::fixtures::{
    ItemAdded, Order, OrderPlaced, Shipped, Task, TaskAssigned, TaskCompleted, TaskCreated,
    TaskError,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn repo() -> (Repository<Task, InMemoryEventStore>, InMemoryEventStore) {
    let store = InMemoryEventStore::new();
    (Repository::new(store.clone()), store)
}

fn created(title: &str) -> TaskCreated {
    TaskCreated {
        title: title.into(),
        description: String::new(),
    }
}

fn assigned() -> TaskAssigned {
    TaskAssigned {
        assigned_to: Uuid::now_v7(),
    }
}

/// A task saved with `n` events (created, then assignments).
async fn saved_task(repo: &Repository<Task, InMemoryEventStore>, n: usize) -> Uuid {
    let id = Uuid::now_v7();
    let mut task = repo.create_new(id);
    task.record(created("saved"));
    for _ in 1..n {
        task.record(assigned());
    }
    repo.save(&mut task).await.unwrap();
    id
}

/// Collects what a publisher receives.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<RecordedEvent>>>);

impl Recorder {
    fn events(&self) -> Vec<RecordedEvent> {
        self.0.lock().unwrap().clone()
    }
}

impl EventPublisher for Recorder {
    fn publish<'a>(&'a self, events: &'a [RecordedEvent]) -> BoxFuture<'a, Result<(), BoxError>> {
        self.0.lock().unwrap().extend_from_slice(events);
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn accessors_expose_store_type_and_publisher() {
    let store = InMemoryEventStore::new();
    let plain = Repository::<Task, _>::new(store.clone());
    assert_eq!(plain.aggregate_type(), "Task");
    assert!(plain.publisher().is_none());
    let published = Repository::<Task, _>::new(store.clone()).with_publisher(Recorder::default());
    assert!(published.publisher().is_some());
    let id = saved_task(&published, 1).await;
    // The accessor returns the very store the repository writes to.
    assert_eq!(
        plain
            .store()
            .stream_version(&StreamId::new("Task", id.to_string()))
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn load_existing_aggregate_at_version_three() {
    let (repo, _) = repo();
    let id = saved_task(&repo, 3).await;
    let task = repo.load(id).await.unwrap();
    assert_eq!(task.version(), 3);
    assert_eq!(*task.id(), id);
    assert_eq!(task.title, "saved");
    assert!(task.assigned_to.is_some());
}

#[tokio::test]
async fn load_missing_aggregate_is_not_found_with_type_and_id() {
    let (repo, _) = repo();
    let id = Uuid::now_v7();
    match repo.load(id).await {
        Err(Error::NotFound {
            aggregate_type,
            aggregate_id,
        }) => {
            assert_eq!(aggregate_type, "Task");
            assert_eq!(aggregate_id, id.to_string());
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[tokio::test]
async fn loaded_aggregate_has_nothing_pending() {
    let (repo, _) = repo();
    let id = saved_task(&repo, 2).await;
    let task = repo.load(id).await.unwrap();
    assert!(!task.has_pending_events());
    assert_eq!(task.committed_version(), 2);
}

#[tokio::test]
async fn load_or_create_loads_an_existing_aggregate() {
    let (repo, _) = repo();
    let id = saved_task(&repo, 2).await;
    let task = repo.load_or_create(id).await.unwrap();
    assert_eq!(task.version(), 2);
    assert_eq!(task.title, "saved");
}

#[tokio::test]
async fn load_or_create_gives_a_new_aggregate_and_writes_nothing() {
    let (repo, store) = repo();
    let id = Uuid::now_v7();
    let mut task = repo.load_or_create(id).await.unwrap();
    assert_eq!(task.version(), 0);
    assert!(!task.has_pending_events());
    assert!(store.read_all(0, 10).await.unwrap().is_empty());
    task.execute(|t| t.create("new")).unwrap();
    repo.save(&mut task).await.unwrap();
    assert_eq!(repo.load(id).await.unwrap().title, "new");
}

#[tokio::test]
async fn get_or_raise_loads_or_fails_like_load() {
    let (repo, _) = repo();
    let id = saved_task(&repo, 1).await;
    assert_eq!(repo.get_or_raise(id).await.unwrap().version(), 1);
    assert!(matches!(
        repo.get_or_raise(Uuid::now_v7()).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn save_new_aggregate_with_two_events_stores_a_stream_of_two() {
    let (repo, store) = repo();
    let id = Uuid::now_v7();
    let mut task = repo.create_new(id);
    task.record((created("two"), assigned()));
    repo.save(&mut task).await.unwrap();
    let stream = store.read_stream(&task.stream(), 0).await.unwrap();
    assert_eq!(stream.len(), 2);
    assert_eq!(store.stream_version(&task.stream()).await.unwrap(), 2);
    assert_eq!(stream[0].event_type, "TaskCreated");
    assert_eq!(stream[1].event_type, "TaskAssigned");
}

#[tokio::test]
async fn save_clears_pending_but_keeps_state_and_version() {
    let (repo, _) = repo();
    let mut task = repo.create_new(Uuid::now_v7());
    task.record((created("kept"), assigned()));
    let state_before = task.state().clone();
    repo.save(&mut task).await.unwrap();
    assert!(!task.has_pending_events());
    assert_eq!(task.version(), 2);
    assert_eq!(task.state(), &state_before);
}

#[tokio::test]
async fn save_with_nothing_pending_writes_nothing_and_creates_no_stream() {
    let store = InMemoryEventStore::new();
    let recorder = Recorder::default();
    let repo = Repository::<Task, _>::new(store.clone()).with_publisher(recorder.clone());
    let mut task = repo.create_new(Uuid::now_v7());
    repo.save(&mut task).await.unwrap();
    assert_eq!(store.stream_version(&task.stream()).await.unwrap(), 0);
    assert!(store.read_all(0, 10).await.unwrap().is_empty());
    assert!(recorder.events().is_empty());
    assert!(!repo.exists(task.id()).await.unwrap());
}

#[tokio::test]
async fn load_add_save_reaches_version_two() {
    let (repo, _) = repo();
    let id = saved_task(&repo, 1).await;
    let mut task = repo.load(id).await.unwrap();
    task.record(assigned());
    repo.save(&mut task).await.unwrap();
    assert_eq!(task.version(), 2);
    assert_eq!(repo.load(id).await.unwrap().version(), 2);
}

#[tokio::test]
async fn second_of_two_concurrent_saves_conflicts_with_expected_and_actual() {
    let (repo, _) = repo();
    let id = saved_task(&repo, 1).await;
    let mut first = repo.load(id).await.unwrap();
    let mut second = repo.load(id).await.unwrap();
    first.record(assigned());
    second.record(assigned());
    repo.save(&mut first).await.unwrap();
    match repo.save(&mut second).await {
        Err(Error::Conflict {
            stream,
            expected,
            actual,
        }) => {
            assert_eq!(stream, StreamId::new("Task", id.to_string()));
            assert_eq!(expected, ExpectedVersion::Exact(1));
            assert_eq!(actual, 2);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    // The loser keeps its pending event, and the store keeps only the winner's.
    assert_eq!(second.pending_events().len(), 1);
    assert_eq!(repo.get_version(&id).await.unwrap(), 2);
}

#[tokio::test]
async fn expected_version_is_version_minus_pending() {
    let (repo, _) = repo();
    let id = saved_task(&repo, 3).await;
    let mut task = repo.load(id).await.unwrap();
    task.record((assigned(), assigned()));
    assert_eq!(task.version(), 5);
    assert_eq!(task.committed_version(), 3);
    repo.save(&mut task).await.unwrap();
    assert_eq!(task.version(), 5);
    assert_eq!(repo.load(id).await.unwrap().version(), 5);
}

#[tokio::test]
async fn publisher_receives_exactly_the_saved_events_after_commit() {
    let store = InMemoryEventStore::new();
    let recorder = Recorder::default();
    let repo = Repository::<Task, _>::new(store.clone()).with_publisher(recorder.clone());
    let id = Uuid::now_v7();
    let mut task = repo.create_new(id);
    task.record((created("pub"), assigned()));
    repo.save(&mut task).await.unwrap();
    let published = recorder.events();
    assert_eq!(
        published,
        store.read_stream(&task.stream(), 0).await.unwrap()
    );
    // Saving again with nothing new publishes nothing.
    repo.save(&mut task).await.unwrap();
    assert_eq!(recorder.events().len(), 2);
}

/// A retried save whose events are stored already (a lost reply, say) publishes them
/// again, with the same ids: publishing is at least once, and a subscriber tells a
/// repeat by the event id.
#[tokio::test]
async fn a_retried_save_publishes_its_events_again_with_the_same_ids() {
    let store = InMemoryEventStore::new();
    let recorder = Recorder::default();
    let repo = Repository::<Task, _>::new(store.clone()).with_publisher(recorder.clone());
    let mut task = repo.create_new(Uuid::now_v7());
    task.record(created("again"));
    let mut retry = task.clone();
    repo.save(&mut task).await.unwrap();
    repo.save(&mut retry).await.unwrap();
    let published = recorder.events();
    assert_eq!(published.len(), 2);
    assert_eq!(published[0], published[1]);
    assert_eq!(store.read_stream(&task.stream(), 0).await.unwrap().len(), 1);
}

#[tokio::test]
async fn conflicting_save_publishes_nothing() {
    let store = InMemoryEventStore::new();
    let recorder = Recorder::default();
    let repo = Repository::<Task, _>::new(store.clone()).with_publisher(recorder.clone());
    let id = saved_task(&repo, 1).await;
    let mut stale = repo.load(id).await.unwrap();
    let mut fresh = repo.load(id).await.unwrap();
    fresh.record(assigned());
    repo.save(&mut fresh).await.unwrap();
    stale.record(assigned());
    assert!(repo.save(&mut stale).await.is_err());
    assert_eq!(recorder.events().len(), 2);
}

#[tokio::test]
async fn save_without_publisher_works() {
    let (repo, _) = repo();
    let id = saved_task(&repo, 2).await;
    assert_eq!(repo.load(id).await.unwrap().version(), 2);
}

#[tokio::test]
async fn exists_is_true_only_for_saved_aggregates() {
    let (repo, _) = repo();
    let id = saved_task(&repo, 1).await;
    assert!(repo.exists(&id).await.unwrap());
    assert!(!repo.exists(&Uuid::now_v7()).await.unwrap());
}

#[tokio::test]
async fn get_version_is_three_for_three_events_and_zero_when_missing() {
    let (repo, _) = repo();
    let id = saved_task(&repo, 3).await;
    assert_eq!(repo.get_version(&id).await.unwrap(), 3);
    assert_eq!(repo.get_version(&Uuid::now_v7()).await.unwrap(), 0);
}

#[tokio::test]
async fn create_new_is_version_zero_with_nothing_pending() {
    let (repo, store) = repo();
    let id = Uuid::now_v7();
    let task = repo.create_new(id);
    assert_eq!(task.version(), 0);
    assert!(!task.has_pending_events());
    assert_eq!(task.state(), &Task::default());
    assert_eq!(store.stream_version(&task.stream()).await.unwrap(), 0);
}

#[tokio::test]
async fn order_lifecycle_reaches_version_four_with_correct_totals() {
    let repo = Repository::<Order, _>::new(InMemoryEventStore::new());
    let id = Uuid::now_v7();
    let mut order = repo.create_new(id);
    order.record(ItemAdded {
        sku: "book".into(),
        quantity: 2,
        price_cents: 1500,
    });
    repo.save(&mut order).await.unwrap();
    let mut order = repo.load(id).await.unwrap();
    order.record(ItemAdded {
        sku: "pen".into(),
        quantity: 3,
        price_cents: 200,
    });
    order.record(OrderPlaced);
    repo.save(&mut order).await.unwrap();
    let mut order = repo.load(id).await.unwrap();
    order.record(Shipped {
        tracking: "TRACK-1".into(),
    });
    repo.save(&mut order).await.unwrap();

    let order = repo.load(id).await.unwrap();
    assert_eq!(order.version(), 4);
    assert_eq!(order.items, 5);
    assert_eq!(order.total_cents, 2 * 1500 + 3 * 200);
    assert!(order.placed);
    assert_eq!(order.tracking.as_deref(), Some("TRACK-1"));
}

#[tokio::test]
async fn two_aggregates_in_one_repository_stay_independent() {
    let (repo, _) = repo();
    let a = saved_task(&repo, 1).await;
    let b = saved_task(&repo, 3).await;
    let mut task_a = repo.load(a).await.unwrap();
    task_a.execute(|t| t.complete(Uuid::nil())).unwrap();
    repo.save(&mut task_a).await.unwrap();
    let (task_a, task_b) = (repo.load(a).await.unwrap(), repo.load(b).await.unwrap());
    assert_eq!((task_a.version(), task_a.completed), (2, true));
    assert_eq!((task_b.version(), task_b.completed), (3, false));
}

#[tokio::test]
async fn ten_incremental_saves_reach_version_ten() {
    let (repo, _) = repo();
    let id = saved_task(&repo, 1).await;
    for expected in 2..=10 {
        let mut task = repo.load(id).await.unwrap();
        task.record(assigned());
        repo.save(&mut task).await.unwrap();
        assert_eq!(task.version(), expected);
    }
    assert_eq!(repo.get_version(&id).await.unwrap(), 10);
}

#[tokio::test]
async fn two_repositories_for_two_aggregate_types_share_one_store() {
    let store = InMemoryEventStore::new();
    let tasks = Repository::<Task, _>::new(store.clone());
    let orders = Repository::<Order, _>::new(store.clone());
    let id = Uuid::now_v7();
    let mut task = tasks.create_new(id);
    task.record(created("shared"));
    tasks.save(&mut task).await.unwrap();
    let mut order = orders.create_new(id);
    order.record((
        OrderPlaced,
        Shipped {
            tracking: "T".into(),
        },
    ));
    orders.save(&mut order).await.unwrap();

    assert_eq!(tasks.get_version(&id).await.unwrap(), 1);
    assert_eq!(orders.get_version(&id).await.unwrap(), 2);
    assert_eq!(store.read_all(0, 10).await.unwrap().len(), 3);
    assert_eq!(
        orders.load(id).await.unwrap().tracking.as_deref(),
        Some("T")
    );
}

#[tokio::test]
async fn one_hundred_events_in_one_save() {
    let (repo, store) = repo();
    let id = Uuid::now_v7();
    let mut task = repo.create_new(id);
    task.record(created("many"));
    task.record((0..99).map(|_| assigned()).collect::<Vec<_>>());
    repo.save(&mut task).await.unwrap();
    assert_eq!(
        store.read_stream(&task.stream(), 0).await.unwrap().len(),
        100
    );
    assert_eq!(repo.load(id).await.unwrap().version(), 100);
}

#[tokio::test]
async fn execute_records_nothing_when_the_command_refuses() {
    let (repo, _) = repo();
    let id = saved_task(&repo, 1).await;
    let mut task = repo.load(id).await.unwrap();
    task.execute(|t| t.complete(Uuid::nil())).unwrap();
    assert_eq!(
        task.execute(|t| t.complete(Uuid::nil())),
        Err(TaskError::AlreadyCompleted)
    );
    assert_eq!(task.pending_events().len(), 1);
    assert_eq!(task.version(), 2);
}

#[tokio::test]
async fn a_command_may_return_several_events_or_none() {
    let (repo, _) = repo();
    let mut task = repo.create_new(Uuid::now_v7());
    task.execute(|_| Ok::<_, TaskError>(vec![created("a"), created("b")]))
        .unwrap();
    task.execute(|_| Ok::<_, TaskError>(())).unwrap();
    task.execute(|_| Ok::<_, TaskError>(None::<TaskAssigned>))
        .unwrap();
    task.execute(|_| {
        Ok::<_, TaskError>((
            assigned(),
            TaskCompleted {
                completed_by: Uuid::nil(),
            },
        ))
    })
    .unwrap();
    assert_eq!(task.version(), 4);
    assert_eq!(task.title, "b");
    assert!(task.completed);
}

#[tokio::test]
async fn update_loads_decides_and_saves() {
    let (repo, _) = repo();
    let id = saved_task(&repo, 1).await;
    let task = repo.update(id, |t| t.complete(Uuid::nil())).await.unwrap();
    assert_eq!(task.version(), 2);
    assert!(repo.load(id).await.unwrap().completed);
}

#[tokio::test]
async fn update_returns_the_command_error_and_saves_nothing() {
    let (repo, _) = repo();
    let id = saved_task(&repo, 1).await;
    repo.update(id, |t| t.complete(Uuid::nil())).await.unwrap();
    match repo.update(id, |t| t.complete(Uuid::nil())).await {
        Err(UpdateError::Rejected(TaskError::AlreadyCompleted)) => {}
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(repo.get_version(&id).await.unwrap(), 2);
}

#[tokio::test]
async fn update_of_a_missing_aggregate_is_not_found() {
    let (repo, _) = repo();
    let result = repo
        .update(Uuid::now_v7(), |t| t.complete(Uuid::nil()))
        .await;
    assert!(
        matches!(result, Err(UpdateError::Failed(Error::NotFound { .. }))),
        "{result:?}"
    );
}

/// A store that lets another writer in before the first `n` appends, forcing conflicts.
#[derive(Clone)]
struct InterferingStore {
    inner: InMemoryEventStore,
    interferences: Arc<Mutex<u32>>,
}

impl EventStore for InterferingStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<eventsource::store::NewEvent>,
    ) -> eventsource::Result<eventsource::store::AppendOutcome> {
        let interfere = {
            let mut left = self.interferences.lock().unwrap();
            let go = *left > 0;
            *left = left.saturating_sub(1);
            go
        };
        if interfere {
            let other = eventsource::store::NewEvent::new(
                "TaskAssigned",
                1,
                format!(r#"{{"assigned_to":"{}"}}"#, Uuid::nil()),
                EventMetadata::new(),
            );
            self.inner
                .append(stream, ExpectedVersion::Any, vec![other])
                .await?;
        }
        self.inner.append(stream, expected, events).await
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        after: u64,
    ) -> eventsource::Result<Vec<RecordedEvent>> {
        self.inner.read_stream(stream, after).await
    }

    async fn stream_version(&self, stream: &StreamId) -> eventsource::Result<u64> {
        self.inner.stream_version(stream).await
    }

    async fn read_all(&self, after: u64, limit: usize) -> eventsource::Result<Vec<RecordedEvent>> {
        self.inner.read_all(after, limit).await
    }
}

async fn interfering_repo(
    interferences: u32,
    attempts: u32,
) -> (Repository<Task, InterferingStore>, Uuid) {
    let inner = InMemoryEventStore::new();
    let seed = Repository::<Task, _>::new(inner.clone());
    let id = Uuid::now_v7();
    let mut task = seed.create_new(id);
    task.record(created("contended"));
    seed.save(&mut task).await.unwrap();
    let store = InterferingStore {
        inner,
        interferences: Arc::new(Mutex::new(interferences)),
    };
    let retry = eventsource::RetryPolicy::new(attempts)
        .unwrap()
        .backoff(Duration::ZERO, Duration::ZERO);
    (Repository::new(store).with_retry(retry), id)
}

#[tokio::test]
async fn update_retries_after_a_conflict() {
    let (repo, id) = interfering_repo(2, 3).await;
    let task = repo.update(id, |t| t.complete(Uuid::nil())).await.unwrap();
    // Created, two interfering assignments, then the completion on the third attempt.
    assert_eq!(task.version(), 4);
    assert!(repo.load(id).await.unwrap().completed);
}

#[tokio::test]
async fn update_gives_up_after_the_configured_attempts() {
    let (repo, id) = interfering_repo(5, 2).await;
    let result = repo.update(id, |t| t.complete(Uuid::nil())).await;
    match result {
        Err(UpdateError::Failed(error)) => assert!(error.is_conflict(), "{error:?}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(!repo.load(id).await.unwrap().completed);
}

#[tokio::test]
async fn save_with_context_sets_correlation_causation_and_extra_on_every_event() {
    let (repo, store) = repo();
    let (correlation, causation) = (Uuid::now_v7(), Uuid::now_v7());
    let mut task = repo.create_new(Uuid::now_v7());
    task.record((created("ctx"), assigned()));
    let ids: Vec<_> = task
        .pending_events()
        .iter()
        .map(|p| p.metadata.event_id)
        .collect();
    let context = EventContext::new()
        .correlation_id(correlation)
        .causation_id(causation)
        .with("user", "alice");
    repo.save_with(&mut task, &context).await.unwrap();
    let stored = store.read_stream(&task.stream(), 0).await.unwrap();
    for (record, id) in stored.iter().zip(&ids) {
        assert_eq!(record.metadata.event_id, *id);
        assert_eq!(record.metadata.correlation_id, Some(correlation));
        assert_eq!(record.metadata.causation_id, Some(causation));
        assert_eq!(
            record.metadata.extra.get("user").map(String::as_str),
            Some("alice")
        );
    }
}

#[tokio::test]
async fn event_ids_are_uuid_v7_and_distinct() {
    let mut task = AggregateRoot::<Task>::new(Uuid::now_v7());
    task.record((created("ids"), assigned(), assigned()));
    let ids: Vec<_> = task
        .pending_events()
        .iter()
        .map(|p| p.metadata.event_id)
        .collect();
    assert!(ids.iter().all(|id| id.get_version_num() == 7));
    assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
}

#[tokio::test]
async fn retrying_a_save_whose_append_committed_stores_nothing_twice() {
    let (repo, store) = repo();
    let mut task = repo.create_new(Uuid::now_v7());
    task.record(created("retry"));
    let mut copy = task.clone();
    repo.save(&mut task).await.unwrap();
    // The same pending events (same ids) saved again, as a client retrying after a lost
    // reply would: a no-op, not a duplicate and not a conflict.
    repo.save(&mut copy).await.unwrap();
    assert_eq!(store.read_stream(&task.stream(), 0).await.unwrap().len(), 1);
}
