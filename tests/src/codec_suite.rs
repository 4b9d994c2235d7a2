//! The codec suite: a store holding rows of both codecs. Events written in JSON, then by
//! MessagePack after the repository switched codecs, load as one stream; binary rows of
//! older schema versions go through the typed chain and the JSON upcaster; snapshots
//! written by MessagePack load. Each backend's test file calls
//! [`codec_suite!`](crate::codec_suite) with a factory of fresh stores.

use crate::evolution::{
    EVOLVING_TASK, EvolvingTask, Notebook, TaskCompleted, completions_read, row, stream_of,
};
use eventsource::prelude::*;
use eventsource::{Codec, EventMetadata, codec::Payload};
use eventsource::{
    EventStore,
    snapshot::SnapshotStore,
    store::{FeedEntryRef, NewEvent},
};

/// Generates one `#[tokio::test]` per case for a store factory (`async { Option<S> }`,
/// `None` when the backend is unavailable).
#[macro_export]
macro_rules! codec_suite {
    ($factory:expr) => {
        $crate::codec_suite!(@cases $factory;
            a_stream_written_in_json_then_in_message_pack_loads_whole,
            binary_rows_of_older_versions_go_through_the_chain_and_the_json_upcaster,
            a_snapshot_written_in_message_pack_loads,
        );
    };
    (@cases $factory:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                match $factory.await {
                    Some(store) => $crate::codec_suite::$case(store).await,
                    None => eprintln!("SKIPPED {}: store backend unavailable", stringify!($case)),
                }
            }
        )*
    };
}

/// What every case needs of a store.
pub trait Store: EventStore + Clone {}
impl<S: EventStore + Clone> Store for S {}

/// A stored row whose payload MessagePack wrote.
fn binary_row(event_type: &str, schema_version: u32, value: serde_json::Value) -> NewEvent {
    let payload = Codec::MessagePack
        .encode(&value)
        .expect("MessagePack encodes a JSON value");
    NewEvent::new(event_type, schema_version, payload, EventMetadata::new())
}

/// The codecs of the stream's rows, in version order.
async fn codecs_of<S: Store>(store: &S, aggregate_type: &str, id: Uuid) -> Vec<Codec> {
    let stream = eventsource::StreamId::new(aggregate_type, id.to_string());
    let rows = store
        .read_stream(&stream, 0)
        .await
        .expect("read the stream");
    rows.iter().map(|r| r.codec).collect()
}

/// Events saved in JSON, then by a repository switched to MessagePack, load as one
/// stream through either repository; each row keeps its codec, and the old rows their
/// bytes.
pub async fn a_stream_written_in_json_then_in_message_pack_loads_whole<S: Store>(store: S) {
    let json = Repository::<EvolvingTask, _>::new(store.clone());
    let binary = Repository::<EvolvingTask, _>::new(store.clone()).with_codec(Codec::MessagePack);
    let id = Uuid::now_v7();
    let mut task = json.create_new(id);
    task.record(TaskCompleted {
        by: "ann".into(),
        minutes: 3,
        note: String::new(),
    });
    json.save(&mut task).await.unwrap();
    json.update(id, |t| t.retitle("first")).await.unwrap();
    let stream = eventsource::StreamId::new(EVOLVING_TASK, id.to_string());
    let before = store.read_stream(&stream, 0).await.unwrap();

    binary.update(id, |t| t.retitle("second")).await.unwrap();
    let mut task = binary.load(id).await.unwrap();
    task.record(TaskCompleted {
        by: "bob".into(),
        minutes: 8,
        note: "binary".into(),
    });
    binary.save(&mut task).await.unwrap();

    assert_eq!(
        codecs_of(&store, EVOLVING_TASK, id).await,
        [
            Codec::Json,
            Codec::Json,
            Codec::MessagePack,
            Codec::MessagePack
        ]
    );
    let after = store.read_stream(&stream, 0).await.unwrap();
    assert_eq!(after[..2], before[..], "the JSON rows are kept as written");
    assert!(after[2].payload.is_empty() && !after[2].binary.is_empty());
    for repository in [&json, &binary] {
        let task = repository.load(id).await.unwrap();
        assert_eq!(task.version(), 4);
        assert_eq!(task.title, "second");
        assert_eq!(
            task.completions,
            [("ann".to_owned(), 3), ("bob".to_owned(), 8)]
        );
    }
    // The feed hands over rows of both codecs too.
    let page = store.read_feed(0, 10_000).await.unwrap();
    let fed: Vec<Codec> = page
        .iter()
        .filter_map(|item| match item {
            FeedEntryRef::Event(e) if e.aggregate_id == stream.aggregate_id => Some(e.codec),
            _ => None,
        })
        .collect();
    assert_eq!(fed, codecs_of(&store, EVOLVING_TASK, id).await);
}

/// Rows of schema versions 1 and 2 that MessagePack wrote load through the typed chain;
/// a version 1 note it wrote goes through the JSON upcaster, which reads it as JSON.
pub async fn binary_rows_of_older_versions_go_through_the_chain_and_the_json_upcaster<S: Store>(
    store: S,
) {
    let (id, stream) = stream_of(EVOLVING_TASK);
    let rows = vec![
        binary_row("TaskCompleted", 1, serde_json::json!({"by": "ann"})),
        binary_row(
            "TaskCompleted",
            2,
            serde_json::json!({"by": "bob", "minutes": 5}),
        ),
        row("TaskCompleted", 3, r#"{"by":"cy","minutes":7}"#),
    ];
    store
        .append(&stream, ExpectedVersion::NoStream, rows)
        .await
        .unwrap();
    let task = Repository::<EvolvingTask, _>::new(store.clone())
        .load(id)
        .await
        .unwrap();
    assert_eq!(task.completions, completions_read());

    let (id, stream) = stream_of("Notebook");
    let mut old = binary_row("NoteWritten", 1, serde_json::json!({"text": "first"}));
    old.metadata.extra.insert("user".into(), "ann".into());
    let current = binary_row(
        "NoteWritten",
        2,
        serde_json::json!({"text": "second", "author": "bob"}),
    );
    store
        .append(&stream, ExpectedVersion::NoStream, vec![old, current])
        .await
        .unwrap();
    let notebook = Repository::<Notebook, _>::new(store)
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
}

/// A repository writing MessagePack stores its snapshots in MessagePack, and a load starts
/// from one (its state is marked with a title no event gives).
pub async fn a_snapshot_written_in_message_pack_loads<S: Store>(store: S) {
    let snapshots = InMemorySnapshotStore::new();
    let repository = Repository::<EvolvingTask, _>::new(store)
        .with_codec(Codec::MessagePack)
        .with_snapshots(snapshots.clone(), SnapshotPolicy::manual());
    let id = Uuid::now_v7();
    let mut task = repository.create_new(id);
    task.record(TaskCompleted {
        by: "ann".into(),
        minutes: 1,
        note: String::new(),
    });
    repository.save(&mut task).await.unwrap();
    let mut snapshot = repository.create_snapshot(&task).await.unwrap();
    assert_eq!(snapshot.codec, Codec::MessagePack);
    assert!(snapshot.state.is_empty());
    let mut marked = task.state().clone();
    marked.title = "from the snapshot".into();
    let Payload::MessagePack(bytes) = Codec::MessagePack.encode(&marked).unwrap() else {
        panic!("a MessagePack state")
    };
    snapshot.binary = bytes;
    snapshots.save(&snapshot).await.unwrap();
    let loaded = repository.load(id).await.unwrap();
    assert_eq!(loaded.title, "from the snapshot");
    assert_eq!(loaded.version(), 1);
}
