//! The state-stored repository on every state store (in memory, SQLite, PostgreSQL): the
//! repository behaviours that apply to a stored state, and one aggregate type served by
//! the event-sourced and the state-stored repository in one program; and state stores
//! that also keep an event log.

use eventsource::prelude::*;
use eventsource::state::{InMemoryStateStore, StateStore, StoredState};
use eventsource::{
    BoxFuture, Error, EventMetadata, EventStore, ExpectedVersion, StateStoredRepository, StreamId,
    bus::EventPublisher, error::BoxError,
};
use eventsource::{RecordedEvent, store::NewEvent};
use eventsource_tests::fixtures::{Account, Deposited, Withdrawn};
use eventsource_tests::sqlite::TempSqliteStore;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

/// Keeps what it is given; fails every publish when `fail` is set.
#[derive(Clone, Default)]
struct Recorder {
    published: Arc<Mutex<Vec<RecordedEvent>>>,
    fail: bool,
}

impl EventPublisher for Recorder {
    fn publish<'a>(&'a self, events: &'a [RecordedEvent]) -> BoxFuture<'a, Result<(), BoxError>> {
        self.published.lock().unwrap().extend_from_slice(events);
        let fail = self.fail;
        Box::pin(async move {
            if fail {
                Err("the subscriber is down".into())
            } else {
                Ok(())
            }
        })
    }
}

fn deposit(amount: i64) -> impl Fn(&Account) -> Result<Deposited, Infallible> {
    move |_| Ok(Deposited { amount })
}

async fn state_stored_behaviours<T: StateStore + Clone>(store: T) {
    let recorder = Recorder::default();
    let repo =
        StateStoredRepository::<Account, _>::new(store.clone()).with_publisher(recorder.clone());
    let id = Uuid::now_v7();
    let stream = StreamId::new("Account", id.to_string());

    // Not found, nothing pending.
    assert!(matches!(repo.load(id).await, Err(Error::NotFound { .. })));
    let mut empty = repo.create_new(id);
    repo.save(&mut empty).await.unwrap();
    assert!(
        !repo.exists(&id).await.unwrap(),
        "nothing pending writes nothing"
    );
    assert!(recorder.published.lock().unwrap().is_empty());

    // Create, load, save.
    let mut account = repo.create_new(id);
    account.record((Deposited { amount: 10 }, Withdrawn { amount: 3 }));
    repo.save(&mut account).await.unwrap();
    assert!(!account.has_pending_events());
    let loaded = repo.load(id).await.unwrap();
    assert_eq!(
        (loaded.version(), loaded.balance, loaded.withdrawals),
        (2, 7, 1)
    );
    assert_eq!(repo.get_version(&id).await.unwrap(), 2);
    let published: Vec<(u64, String, u64)> = recorder
        .published
        .lock()
        .unwrap()
        .iter()
        .map(|r| (r.version, r.event_type.clone(), r.position))
        .collect();
    assert_eq!(
        published,
        vec![(1, "Deposited".into(), 0), (2, "Withdrawn".into(), 0)],
        "published after the commit, with no feed position"
    );

    // Conflict: two writers loaded at version 2; the second keeps its pending event.
    let mut first = repo.load(id).await.unwrap();
    let mut second = repo.load(id).await.unwrap();
    first.record(Deposited { amount: 1 });
    repo.save(&mut first).await.unwrap();
    second.record(Deposited { amount: 100 });
    match repo.save(&mut second).await {
        Err(Error::Conflict {
            stream: named,
            expected,
            actual,
        }) => {
            assert_eq!(
                (named, expected, actual),
                (stream.clone(), ExpectedVersion::Exact(2), 3)
            );
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(second.pending_events().len(), 1);
    assert_eq!(
        repo.load(id).await.unwrap().balance,
        8,
        "the loser wrote nothing"
    );

    // Two creators of one id: exactly one wins.
    let other = Uuid::now_v7();
    let (mut a, mut b) = (repo.create_new(other), repo.create_new(other));
    a.record(Deposited { amount: 1 });
    b.record(Deposited { amount: 2 });
    repo.save(&mut a).await.unwrap();
    assert!(repo.save(&mut b).await.unwrap_err().is_conflict());
    assert!(matches!(
        repo.create(other, deposit(1)).await,
        Err(UpdateError::Failed(Error::AlreadyExists { .. }))
    ));
    assert!(matches!(
        repo.update(Uuid::now_v7(), deposit(1)).await,
        Err(UpdateError::Failed(Error::NotFound { .. }))
    ));

    // A failing publisher never fails the save.
    let failing =
        StateStoredRepository::<Account, _>::new(store.clone()).with_publisher(Recorder {
            fail: true,
            ..Recorder::default()
        });
    assert_eq!(failing.update(id, deposit(1)).await.unwrap().version(), 4);

    // A state of another schema version is refused, naming the stream.
    let alien = StreamId::new("Account", Uuid::now_v7().to_string());
    let stored = StoredState::new(alien.clone(), 1, 99, "{}");
    store.save(&stored, 0, Vec::new()).await.unwrap();
    let alien_id: Uuid = alien.aggregate_id.parse().unwrap();

    // The stream rule of the event stores: refused before any I/O, naming the limit.
    let invalid = StreamId::new(
        "Account",
        "x".repeat(eventsource::store::MAX_AGGREGATE_ID_BYTES + 1),
    );
    let mut state = stored.clone();
    state.stream = invalid.clone();
    for result in [
        store.save(&state, 0, Vec::new()).await.map(drop),
        store.load(&invalid).await.map(drop),
    ] {
        match result {
            Err(Error::InvalidStream { stream, reason }) => {
                assert_eq!(stream, invalid);
                assert!(reason.contains("1024 bytes"), "{reason}");
            }
            other => panic!("expected InvalidStream, got {other:?}"),
        }
    }
    match repo.load(alien_id).await {
        Err(Error::Corrupt { stream: named, .. }) => assert_eq!(named, alien),
        other => panic!("expected a corrupt state, got {other:?}"),
    }
}

/// 8 tasks of 50 updates on one aggregate: conflicts are retried, none is lost.
async fn updates_under_contention_are_retried<T: StateStore + Clone>(store: T) {
    let repo = StateStoredRepository::<Account, _>::new(store);
    let id = Uuid::now_v7();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let repo = repo.clone();
            tokio::spawn(async move {
                for _ in 0..50 {
                    repo.create_or_update(id, deposit(1)).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let account = repo.load(id).await.unwrap();
    assert_eq!((account.version(), account.balance), (400, 400));
}

#[tokio::test]
async fn in_memory_behaviours() {
    state_stored_behaviours(InMemoryStateStore::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_contention() {
    updates_under_contention_are_retried(InMemoryStateStore::new()).await;
}

#[tokio::test]
async fn sqlite_behaviours() {
    let store = TempSqliteStore::new().await.unwrap();
    state_stored_behaviours(store.state_store().await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_contention() {
    let store = TempSqliteStore::new().await.unwrap();
    updates_under_contention_are_retried(store.state_store().await.unwrap()).await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_behaviours() {
    let Some(store) = eventsource_tests::postgres::pg_store().await else {
        return;
    };
    state_stored_behaviours(store.store().state_store().await.unwrap()).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_contention() {
    let Some(store) = eventsource_tests::postgres::pg_store().await else {
        return;
    };
    updates_under_contention_are_retried(store.store().state_store().await.unwrap()).await;
}

/// One aggregate type, one database: accounts kept as events and accounts kept as state,
/// side by side, each repository unaware of the other's.
#[tokio::test]
async fn one_aggregate_type_is_served_by_both_repositories_in_one_program() {
    let store = TempSqliteStore::new().await.unwrap();
    let events = Repository::<Account, _>::new(store.clone());
    let states = StateStoredRepository::<Account, _>::new(store.state_store().await.unwrap());
    let (sourced, stated) = (Uuid::now_v7(), Uuid::now_v7());
    events.create_or_update(sourced, deposit(5)).await.unwrap();
    states.create_or_update(stated, deposit(7)).await.unwrap();
    events.update(sourced, deposit(1)).await.unwrap();
    states.update(stated, deposit(1)).await.unwrap();
    assert_eq!(events.load(sourced).await.unwrap().balance, 6);
    assert_eq!(states.load(stated).await.unwrap().balance, 8);
    assert!(!states.exists(&sourced).await.unwrap());
    assert!(!events.exists(&stated).await.unwrap());
    // The state opened again from the file.
    let reopened = SqliteEventStore::open(store.dir().join("events.db"))
        .await
        .unwrap();
    let again = StateStoredRepository::<Account, _>::new(reopened.state_store().await.unwrap());
    assert_eq!(again.load(stated).await.unwrap().version(), 2);
}

/// A state store with an event log on top of event store `events`: every save appends
/// its events to the aggregate's stream with the state, or neither.
async fn logged_state_behaviours<T, S>(states: T, events: S)
where
    T: StateStore + Clone,
    S: EventStore + Clone,
{
    let recorder = Recorder::default();
    let repo =
        StateStoredRepository::<Account, _>::new(states.clone()).with_publisher(recorder.clone());
    let id = Uuid::now_v7();
    let stream = StreamId::new("Account", id.to_string());
    let feed_before = events.head_position().await.unwrap();

    repo.create(id, deposit(10)).await.unwrap();
    repo.update(id, |_: &Account| {
        Ok::<_, Infallible>((Deposited { amount: 5 }, Withdrawn { amount: 2 }))
    })
    .await
    .unwrap();

    // The log holds the aggregate's events at the state's versions, in the feed.
    let logged = events.read_stream(&stream, 0).await.unwrap();
    let shape: Vec<_> = logged
        .iter()
        .map(|e| (e.version, e.event_type.as_str()))
        .collect();
    assert_eq!(
        shape,
        [(1, "Deposited"), (2, "Deposited"), (3, "Withdrawn")]
    );
    let feed: Vec<_> = events
        .read_all(feed_before, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.stream == stream)
        .map(|e| (e.position, e.version))
        .collect();
    assert_eq!(feed.len(), 3, "the feed carries every logged event");
    assert!(feed.iter().all(|(position, _)| *position > feed_before));
    // The publisher gets them as recorded, with their feed positions.
    let published: Vec<_> = recorder
        .published
        .lock()
        .unwrap()
        .iter()
        .map(|e| (e.position, e.version))
        .collect();
    assert_eq!(published, feed);

    // The event-sourced repository loads the same aggregate from the log.
    let sourced = Repository::<Account, _>::new(events.clone())
        .load(id)
        .await
        .unwrap();
    let stated = repo.load(id).await.unwrap();
    assert_eq!(
        (sourced.version(), sourced.balance),
        (stated.version(), stated.balance)
    );
    assert_eq!((stated.version(), stated.balance), (3, 13));

    // A conflict writes neither the state nor the events.
    let mut first = repo.load(id).await.unwrap();
    let mut second = repo.load(id).await.unwrap();
    first.execute(deposit(1)).unwrap();
    second.execute(deposit(100)).unwrap();
    repo.save(&mut first).await.unwrap();
    assert!(matches!(
        repo.save(&mut second).await,
        Err(Error::Conflict { actual: 4, .. })
    ));
    assert_eq!(events.stream_version(&stream).await.unwrap(), 4);
    assert_eq!(repo.load(id).await.unwrap().balance, 14);

    // A log that does not hold the aggregate's history refuses the save, naming the
    // stream, and nothing is written.
    events
        .append(
            &stream,
            ExpectedVersion::Exact(4),
            vec![NewEvent::new(
                "Deposited",
                1,
                r#"{"amount":1000}"#,
                EventMetadata::new(),
            )],
        )
        .await
        .unwrap();
    match repo.update(id, deposit(1)).await {
        Err(UpdateError::Failed(Error::Corrupt { stream: named, .. })) => {
            assert_eq!(named, stream)
        }
        other => panic!("expected a log mismatch, got {other:?}"),
    }
    assert_eq!(repo.get_version(&id).await.unwrap(), 4);
    assert_eq!(events.stream_version(&stream).await.unwrap(), 5);

    // Under contention every command lands once in both, at the same versions.
    let busy = Uuid::now_v7();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let repo = repo.clone();
            tokio::spawn(async move {
                for _ in 0..25 {
                    repo.create_or_update(busy, deposit(1)).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let busy_stream = StreamId::new("Account", busy.to_string());
    let versions: Vec<_> = events
        .read_stream(&busy_stream, 0)
        .await
        .unwrap()
        .iter()
        .map(|e| e.version)
        .collect();
    assert_eq!(versions, (1..=200).collect::<Vec<_>>());
    assert_eq!(repo.get_version(&busy).await.unwrap(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_state_with_an_event_log() {
    let events = InMemoryEventStore::new();
    let states = InMemoryStateStore::new().with_event_log(events.clone());
    logged_state_behaviours(states, events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_state_with_an_event_log() {
    let store = TempSqliteStore::new().await.unwrap();
    let states = store.state_store().await.unwrap().with_event_log();
    logged_state_behaviours(states, store.clone()).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_state_with_an_event_log() {
    let Some(store) = eventsource_tests::postgres::pg_store().await else {
        return;
    };
    let states = store.store().state_store().await.unwrap().with_event_log();
    logged_state_behaviours(states, store.store().clone()).await;
}
