//! Through the repository: what the store hands back decodes, or fails with a typed error.

use super::support::*;
use crate::error::{DecodeError, Error};
use crate::event::DomainEvent;
use crate::repository::Repository;
use crate::root::AggregateRoot;
use crate::store::{ExpectedVersion, NewEvent, StreamId};
use crate::testkit::fixtures::{Task, TaskCreated, raw};
use uuid::Uuid;

async fn load_task<S: Store>(store: &S, id: Uuid) -> Result<AggregateRoot<Task>, Error> {
    Repository::<Task, _>::new(store.clone()).load(id).await
}

async fn task_with_bad_third_event<S: Store>(store: &S, bad: NewEvent) -> (Uuid, StreamId) {
    let id = Uuid::now_v7();
    let stream = StreamId::new("Task", id.to_string());
    let good = serde_json::json!({ "title": "t", "description": "d" }).to_string();
    let assigned = serde_json::json!({ "assigned_to": Uuid::nil() }).to_string();
    let events = vec![
        raw("TaskCreated", 1, &good),
        raw("TaskAssigned", 1, &assigned),
        bad,
    ];
    append(store, &stream, ExpectedVersion::NoStream, events)
        .await
        .unwrap();
    (id, stream)
}

fn assert_decode_error(
    result: Result<AggregateRoot<Task>, Error>,
    stream: &StreamId,
    event_type: &str,
    check: impl Fn(&DecodeError) -> bool,
) {
    match result {
        Err(Error::Decode {
            stream: s,
            version,
            event_type: t,
            source,
            ..
        }) => {
            assert_eq!(&s, stream);
            assert_eq!(version, 3);
            assert_eq!(t, event_type);
            assert!(check(&source), "unexpected cause: {source:?}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

/// A payload that does not decode fails the load, naming stream, version and type.
///
/// No aggregate is returned.
pub async fn undecodable_payload_is_a_typed_error<S: Store>(store: S) {
    let (id, stream) =
        task_with_bad_third_event(&store, raw("TaskCompleted", 1, "{not json")).await;
    assert_decode_error(load_task(&store, id).await, &stream, "TaskCompleted", |e| {
        matches!(e, DecodeError::Payload(_))
    });
}

/// A stored type name the aggregate does not list fails the load.
pub async fn unknown_event_type_is_a_typed_error<S: Store>(store: S) {
    let (id, stream) = task_with_bad_third_event(&store, raw("OrderShipped", 1, "{}")).await;
    assert_decode_error(load_task(&store, id).await, &stream, "OrderShipped", |e| {
        matches!(e, DecodeError::UnknownEventType)
    });
}

/// A schema version newer than the code knows fails the load.
pub async fn newer_schema_version_is_a_typed_error<S: Store>(store: S) {
    let payload = serde_json::json!({ "completed_by": Uuid::nil() }).to_string();
    let (id, stream) = task_with_bad_third_event(&store, raw("TaskCompleted", 2, &payload)).await;
    assert_decode_error(load_task(&store, id).await, &stream, "TaskCompleted", |e| {
        matches!(
            e,
            DecodeError::NewerSchemaVersion {
                stored: 2,
                supported: 1
            }
        )
    });
}

/// The repository saves and loads through the store.
pub async fn repository_round_trip_through_the_store<S: Store>(store: S) {
    let repo = Repository::<Task, _>::new(store.clone());
    let id = Uuid::now_v7();
    let mut task = repo.create_new(id);
    task.execute(|t| t.create("conformance")).unwrap();
    task.execute(|t| t.complete(Uuid::nil())).unwrap();
    repo.save(&mut task).await.unwrap();
    let loaded = repo.load(id).await.unwrap();
    assert_eq!(loaded.version(), 2);
    assert_eq!(loaded.state(), task.state());
    let stored = store.read_stream(&loaded.stream(), 0).await.unwrap();
    let types: Vec<_> = stored.iter().map(|r| r.event_type.as_str()).collect();
    assert_eq!(types, ["TaskCreated", "TaskCompleted"]);
    assert_eq!(TaskCreated::EVENT_TYPE, "TaskCreated");
}

/// An id with events only under another aggregate type loads as `NotFound` of this type.
///
/// A stream is (type, id); the error names the type asked for.
pub async fn id_of_another_aggregate_type_loads_as_not_found<S: Store>(store: S) {
    let id = Uuid::now_v7();
    let order = StreamId::new("Order", id.to_string());
    let item = serde_json::json!({ "sku": "a", "quantity": 1, "price_cents": 5 }).to_string();
    append(
        &store,
        &order,
        ExpectedVersion::NoStream,
        vec![raw("ItemAdded", 1, &item)],
    )
    .await
    .unwrap();
    match load_task(&store, id).await {
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
