//! The evolution suite: events stored by older code (older schema versions, an old name,
//! a retired event, a value kept in the metadata) read through the typed upcasting chain,
//! the aliases and the JSON upcaster, wherever events are decoded: a load, a load after a
//! snapshot, a projection fed by a subscription. Each backend's test file calls
//! [`evolution_suite!`](crate::evolution_suite) with a factory of fresh stores.

use crate::evolution::{
    EVOLVING_TASK, EvolvingTask, NoteWritten, Notebook, TaskCompleted, TaskRetitled,
    completions_of_every_version, completions_read, row, stream_of,
};
use eventsource::prelude::*;
use eventsource::{Error, EventMetadata, StreamId, aggregate::EventSet, error::DecodeError};
use eventsource::{EventStore, snapshot::SnapshotStore, store::SubscriptionStore};
use eventsource::{
    RecordedEvent,
    subscription::{SubscriptionOptions, SubscriptionRunner},
};
use std::time::Duration;

/// Generates one `#[tokio::test]` per case for a store factory (`async { Option<S> }`,
/// `None` when the backend is unavailable).
#[macro_export]
macro_rules! evolution_suite {
    ($factory:expr) => {
        $crate::evolution_suite!(@cases $factory;
            every_older_version_loads_through_the_typed_chain,
            older_versions_after_a_snapshot_load_through_the_chain,
            rows_under_an_alias_load_and_new_rows_take_the_new_name,
            a_retired_event_is_read_and_a_save_of_it_is_refused,
            a_newer_stored_version_is_an_error_naming_type_and_versions,
            a_failing_upcast_is_an_error_naming_stream_version_and_type,
            a_json_upcaster_reads_the_stored_metadata_on_load,
            a_projection_reads_older_versions_and_aliases,
        );
    };
    (@cases $factory:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                match $factory.await {
                    Some(store) => $crate::evolution_suite::$case(store).await,
                    None => eprintln!("SKIPPED {}: store backend unavailable", stringify!($case)),
                }
            }
        )*
    };
}

/// What every case needs of a store.
pub trait Store: EventStore + SubscriptionStore + Clone {}
impl<S: EventStore + SubscriptionStore + Clone> Store for S {}

/// Stores `rows` in a new stream of `aggregate_type`; returns the aggregate's id and stream.
async fn stored<S: Store>(
    store: &S,
    aggregate_type: &str,
    rows: Vec<eventsource::store::NewEvent>,
) -> (Uuid, StreamId) {
    let (id, stream) = stream_of(aggregate_type);
    store
        .append(&stream, ExpectedVersion::NoStream, rows)
        .await
        .expect("append the old rows");
    (id, stream)
}

/// Rows of schema versions 1, 2 and 3 load as the current `TaskCompleted`.
pub async fn every_older_version_loads_through_the_typed_chain<S: Store>(store: S) {
    let (id, _) = stored(&store, EVOLVING_TASK, completions_of_every_version()).await;
    let task = Repository::<EvolvingTask, _>::new(store)
        .load(id)
        .await
        .unwrap();
    assert_eq!(task.completions, completions_read());
    assert_eq!(task.version(), 3);
}

/// The events after a snapshot go through the chain too. The snapshot's state is marked
/// (a title no event gives), so the load is seen to start from it.
pub async fn older_versions_after_a_snapshot_load_through_the_chain<S: Store>(store: S) {
    let (id, stream) = stored(&store, EVOLVING_TASK, completions_of_every_version()).await;
    let snapshots = InMemorySnapshotStore::new();
    let repository = Repository::<EvolvingTask, _>::new(store.clone())
        .with_snapshots(snapshots.clone(), SnapshotPolicy::manual());
    let task = repository.load(id).await.unwrap();
    let mut snapshot = repository.create_snapshot(&task).await.unwrap();
    let mut marked = task.state().clone();
    marked.title = "from the snapshot".into();
    snapshot.state = serde_json::to_string(&marked).unwrap();
    snapshots.save(&snapshot).await.unwrap();
    store
        .append(
            &stream,
            ExpectedVersion::Exact(3),
            vec![
                row("TaskCompleted", 1, r#"{"by":"dee"}"#),
                row("TaskCompleted", 2, r#"{"by":"eve","minutes":9}"#),
            ],
        )
        .await
        .unwrap();

    let task = repository.load(id).await.unwrap();
    assert_eq!(task.title, "from the snapshot");
    let mut expected = completions_read();
    expected.extend([("dee".into(), 0), ("eve".into(), 9)]);
    assert_eq!(task.completions, expected);
    assert_eq!(task.version(), 5);
}

/// A row stored under the old name loads as the renamed event; a new one is stored under
/// the new name, and both are read back.
pub async fn rows_under_an_alias_load_and_new_rows_take_the_new_name<S: Store>(store: S) {
    let (id, stream) = stored(
        &store,
        EVOLVING_TASK,
        vec![row("TaskRenamed", 1, r#"{"title":"Old name"}"#)],
    )
    .await;
    let repository = Repository::<EvolvingTask, _>::new(store.clone());
    let mut task = repository.load(id).await.unwrap();
    assert_eq!(task.title, "Old name");
    task.execute(|t| t.retitle("New name")).unwrap();
    repository.save(&mut task).await.unwrap();

    let names: Vec<_> = store
        .read_stream(&stream, 0)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.event_type)
        .collect();
    assert_eq!(names, ["TaskRenamed", "TaskRetitled"]);
    assert_eq!(repository.load(id).await.unwrap().title, "New name");
    assert!(<EvolvingTask as Aggregate>::Event::EVENT_TYPES.contains(&"TaskRenamed"));
}

/// A retired event in an old stream is applied on load; a save holding one (the enum's
/// variant, since a command cannot return it) is refused and writes nothing.
pub async fn a_retired_event_is_read_and_a_save_of_it_is_refused<S: Store>(store: S) {
    let (id, stream) = stored(&store, EVOLVING_TASK, vec![row("TaskArchived", 1, "null")]).await;
    let repository = Repository::<EvolvingTask, _>::new(store.clone());
    let mut task = repository.load(id).await.unwrap();
    assert!(task.archived);

    task.record(<EvolvingTask as Aggregate>::Event::TaskArchived(
        crate::evolution::TaskArchived,
    ));
    match repository.save(&mut task).await {
        Err(Error::RetiredEvent {
            stream: refused,
            event_type,
        }) => {
            assert_eq!(refused, stream);
            assert_eq!(event_type, "TaskArchived");
        }
        other => panic!("expected a retired event error, got {other:?}"),
    }
    assert_eq!(store.stream_version(&stream).await.unwrap(), 1);
}

/// A row written by newer code fails the load with the type and both versions.
pub async fn a_newer_stored_version_is_an_error_naming_type_and_versions<S: Store>(store: S) {
    let (id, stream) = stored(
        &store,
        EVOLVING_TASK,
        vec![row("TaskCompleted", 4, r#"{"by":"zed","minutes":1}"#)],
    )
    .await;
    let error = Repository::<EvolvingTask, _>::new(store)
        .load(id)
        .await
        .unwrap_err();
    match &error {
        Error::Decode {
            stream: failed,
            version: 1,
            event_type,
            schema_version: 4,
            source:
                DecodeError::NewerSchemaVersion {
                    stored: 4,
                    supported: 3,
                },
        } if *failed == stream && event_type == "TaskCompleted" => {}
        other => panic!("expected a newer-version decode error, got {other:?}"),
    }
    let text = error.to_string();
    assert!(text.contains("TaskCompleted") && text.contains('4') && text.contains('3'));
}

/// The failing step of the chain fails the load, naming stream, version and event type,
/// and the step's versions and error.
pub async fn a_failing_upcast_is_an_error_naming_stream_version_and_type<S: Store>(store: S) {
    let (id, stream) = stored(
        &store,
        EVOLVING_TASK,
        vec![
            row("TaskCompleted", 1, r#"{"by":"ann"}"#),
            row("TaskCompleted", 1, r#"{"by":""}"#),
        ],
    )
    .await;
    let error = Repository::<EvolvingTask, _>::new(store)
        .load(id)
        .await
        .unwrap_err();
    match &error {
        Error::Decode {
            stream: failed,
            version: 2,
            event_type,
            schema_version: 1,
            source: DecodeError::Upcast(failure),
        } if *failed == stream && event_type == "TaskCompleted" => {
            assert_eq!((failure.from, failure.to), (2, 3));
            assert_eq!(
                failure.source.to_string(),
                "a completion without anybody who completed it"
            );
        }
        other => panic!("expected an upcast decode error, got {other:?}"),
    }
}

/// The JSON upcaster takes the author of a version 1 note from the stored metadata.
pub async fn a_json_upcaster_reads_the_stored_metadata_on_load<S: Store>(store: S) {
    let mut old = row("NoteWritten", 1, r#"{"text":"first"}"#);
    old.metadata = EventMetadata::new();
    old.metadata.extra.insert("user".into(), "ann".into());
    let current = row("NoteWritten", 2, r#"{"text":"second","author":"bob"}"#);
    let (id, _) = stored(&store, "Notebook", vec![old, current]).await;
    let notebook = Repository::<Notebook, _>::new(store.clone())
        .load(id)
        .await
        .unwrap();
    assert_eq!(
        notebook.notes,
        [
            ("ann".to_owned(), "first".to_owned()),
            ("bob".to_owned(), "second".to_owned())
        ]
    );

    // Without the value it needs, the upcaster's error names the event.
    let (id, stream) = stored(
        &store,
        "Notebook",
        vec![row("NoteWritten", 1, r#"{"text":"lost"}"#)],
    )
    .await;
    match Repository::<Notebook, _>::new(store).load(id).await {
        Err(Error::Decode {
            stream: failed,
            version: 1,
            event_type,
            source: DecodeError::JsonUpcast(failure),
            ..
        }) if failed == stream && event_type == "NoteWritten" => {
            assert_eq!((failure.from, failure.to), (1, 2));
        }
        other => panic!("expected a JSON upcast decode error, got {other:?}"),
    }
}

/// What the projection saw: completions `(by, minutes)`, titles and note authors.
#[derive(Debug, Default)]
pub struct Journal {
    /// Completions in feed order.
    pub completions: Vec<(String, u32)>,
    /// Titles in feed order.
    pub titles: Vec<String>,
    /// Note authors in feed order.
    pub authors: Vec<String>,
}

#[projection(name = "evolution_journal")]
impl Journal {
    fn completed(&mut self, event: &TaskCompleted) {
        self.completions.push((event.by.clone(), event.minutes));
    }

    fn retitled(&mut self, event: &TaskRetitled, _: &RecordedEvent) {
        self.titles.push(event.title.clone());
    }

    fn noted(&mut self, event: &NoteWritten) {
        self.authors.push(event.author.clone());
    }
}

/// A subscription feeds the projection every old row upcast, the renamed event's old rows
/// included (the projection's types list the alias).
pub async fn a_projection_reads_older_versions_and_aliases<S: Store>(store: S) {
    stored(&store, EVOLVING_TASK, completions_of_every_version()).await;
    stored(
        &store,
        EVOLVING_TASK,
        vec![
            row("TaskRenamed", 1, r#"{"title":"Old name"}"#),
            row("TaskRetitled", 1, r#"{"title":"New name"}"#),
        ],
    )
    .await;
    let mut note = row("NoteWritten", 1, r#"{"text":"first"}"#);
    note.metadata.extra.insert("user".into(), "ann".into());
    stored(&store, "Notebook", vec![note]).await;
    assert!(Journal::EVENT_TYPES.contains(&"TaskRenamed"));

    let head = store.head_position().await.unwrap();
    let mut runner = SubscriptionRunner::new(store.clone());
    let options = SubscriptionOptions::new().poll_interval(Duration::from_millis(100));
    let mut handle = runner.start(Journal::default(), options).unwrap();
    let reached = tokio::time::timeout(
        Duration::from_secs(60),
        handle.wait_for(|s| s.position >= head),
    )
    .await;
    assert!(reached.is_ok(), "timed out: {:?}", handle.status());
    let journal = handle.stop().await.unwrap();
    assert_eq!(journal.completions, completions_read());
    assert_eq!(journal.titles, ["Old name", "New name"]);
    assert_eq!(journal.authors, ["ann"]);
}
