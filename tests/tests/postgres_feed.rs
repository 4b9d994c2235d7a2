//! The PostgreSQL store against a real server (`DATABASE_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`), each test in a schema of its own.
//! Unreachable server: skipped with a printed line, or a failure under `CI=true`.
//!
//! The feed under concurrent writers, and faults: killed connections, timeouts, restarts.

#![cfg(feature = "postgres")]

use eventsource::EventMetadata;
use eventsource::prelude::*;
use eventsource::store::postgres::tokio_postgres;
use eventsource::store::postgres::tokio_postgres::error::SqlState;
use eventsource::{RecordedEvent, StreamId, store::NewEvent};
use eventsource_tests::fixtures::{Task, raw, raw_events, task_stream};
use eventsource_tests::postgres::{PgTestStore, pg_store_with, pg_store_with_connection};
use eventsource_tests::postgres::{admin_of, hold_events_of_type, pg_error, pg_store};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------
// The feed under concurrent writers.

/// 8 writers append for a few seconds; some transactions are held open after their
/// positions are taken, so later positions commit first. A reader following the feed must
/// end with exactly the committed events, in position order, each once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_follower_sees_every_commit_once_in_order_under_concurrent_writers() {
    let Some(store) = pg_store_with(|c| c.max_connections(10)).await else {
        return;
    };
    hold_events_of_type(&store, "Held", "0.05 + random() * 0.25").await;
    let writing_for = Duration::from_secs(3);
    let done = Arc::new(AtomicBool::new(false));
    let started = Instant::now();

    let writers: Vec<_> = (0..8u64)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                let stream = task_stream();
                let mut committed = Vec::new();
                let mut round = 0u64;
                while started.elapsed() < writing_for {
                    let size = 1 + round % 3;
                    let mut events = raw_events(size);
                    if (round + w).is_multiple_of(7) {
                        events[0].event_type = "Held".into();
                    }
                    let outcome = store
                        .append(&stream, ExpectedVersion::Any, events)
                        .await
                        .expect("append");
                    let at = Instant::now();
                    committed.extend(outcome.records.into_iter().map(|r| (r, at)));
                    round += 1;
                }
                committed
            })
        })
        .collect();

    let reader = {
        let (store, done) = (store.clone(), done.clone());
        tokio::spawn(async move {
            let mut seen: Vec<RecordedEvent> = Vec::new();
            let mut checkpoint = 0;
            let mut empty_after_done = false;
            loop {
                let writers_done = done.load(Ordering::SeqCst);
                let page = store.read_all(checkpoint, 50).await.expect("read_all");
                for event in &page {
                    assert!(
                        event.position > checkpoint,
                        "position {} after {checkpoint}",
                        event.position
                    );
                    checkpoint = event.position;
                }
                if page.is_empty() {
                    if writers_done {
                        if empty_after_done {
                            break;
                        }
                        empty_after_done = true;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                seen.extend(page);
            }
            seen
        })
    };

    let mut committed = Vec::new();
    for writer in writers {
        committed.extend(writer.await.unwrap());
    }
    done.store(true, Ordering::SeqCst);
    let seen = reader.await.unwrap();

    // The run did exercise the hard case: a smaller position committed after a larger one.
    let out_of_order = committed.iter().any(|(a, a_at)| {
        committed
            .iter()
            .any(|(b, b_at)| a.position < b.position && a_at > b_at)
    });
    assert!(
        out_of_order,
        "no transaction committed out of position order"
    );

    let mut expected: Vec<RecordedEvent> = committed.into_iter().map(|(r, _)| r).collect();
    expected.sort_by_key(|r| r.position);
    assert!(
        expected.len() > 100,
        "only {} events written",
        expected.len()
    );
    let seen_positions: Vec<u64> = seen.iter().map(|r| r.position).collect();
    let expected_positions: Vec<u64> = expected.iter().map(|r| r.position).collect();
    assert_eq!(
        seen_positions.len(),
        expected_positions.len(),
        "the reader saw {} events of {} committed",
        seen_positions.len(),
        expected_positions.len()
    );
    assert_eq!(seen_positions, expected_positions);
    assert_eq!(seen, expected);
    assert_eq!(store.read_all(0, usize::MAX).await.unwrap(), expected);
}

// ---------------------------------------------------------------------------------------
// Faults.

/// The server process of the store's connection running a statement that sleeps.
async fn sleeping_backend(admin: &tokio_postgres::Client, application: &str) -> i32 {
    for _ in 0..500 {
        let row = admin
            .query_opt(
                "SELECT pid FROM pg_stat_activity \
                 WHERE application_name = $1 AND wait_event = 'PgSleep' LIMIT 1",
                &[&application],
            )
            .await
            .unwrap();
        if let Some(row) = row {
            return row.get(0);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the append never reached its held insert");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_connection_mid_batch_writes_nothing_and_the_pool_recovers() {
    let Some(store) = pg_store().await else {
        return;
    };
    hold_events_of_type(&store, "Stall", "30").await;
    let stream = task_stream();
    let mut batch = raw_events(500);
    batch[250].event_type = "Stall".into();
    let append = {
        let (store, stream) = (store.clone(), stream.clone());
        tokio::spawn(async move {
            store
                .append(&stream, ExpectedVersion::NoStream, batch)
                .await
        })
    };
    let admin = admin_of(&store).await;
    let pid = sleeping_backend(&admin, store.schema_name()).await;
    let killed: bool = admin
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .unwrap()
        .get(0);
    assert!(killed);

    let error = append.await.unwrap().expect_err("the killed append fails");
    // Closed, shut down by the administrator, or reset: any of them, as a typed error
    // that says so.
    pg_error(&error);
    let shown = error.to_string();
    assert!(
        shown.starts_with("event store backend error: connection lost: "),
        "{shown}"
    );
    assert_eq!(store.stream_version(&stream).await.unwrap(), 0);
    assert!(store.read_stream(&stream, 0).await.unwrap().is_empty());
    assert!(store.read_all(0, usize::MAX).await.unwrap().is_empty());

    let outcome = store
        .append(&stream, ExpectedVersion::NoStream, raw_events(3))
        .await
        .expect("the next append works");
    assert_eq!(outcome.version(), Some(3));
}

async fn task_with_events(store: &PgTestStore, count: u64) -> Uuid {
    let id = Uuid::now_v7();
    let stream = StreamId::new("Task", id.to_string());
    let created = raw(
        "TaskCreated",
        1,
        &serde_json::json!({ "title": "t", "description": "d" }).to_string(),
    );
    let mut events = vec![created];
    events.extend(raw_events(count - 1));
    store
        .append(&stream, ExpectedVersion::NoStream, events)
        .await
        .unwrap();
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_timeout_during_a_load_is_a_typed_error() {
    let Some(store) =
        pg_store_with_connection(|c| c.options("-c statement_timeout=300"), |c| c).await
    else {
        return;
    };
    let id = task_with_events(&store, 200).await;
    let repo = Repository::<Task, _>::new(store.clone());
    assert_eq!(repo.load(id).await.unwrap().version(), 200);

    // Another session locks the table: the load waits until its statement times out.
    let mut admin = admin_of(&store).await;
    let tx = admin.transaction().await.unwrap();
    tx.batch_execute(&format!(
        "LOCK TABLE \"{}\".events IN ACCESS EXCLUSIVE MODE",
        store.schema_name()
    ))
    .await
    .unwrap();
    let started = Instant::now();
    let error = repo.load(id).await.expect_err("the load times out");
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert_eq!(pg_error(&error).code(), Some(&SqlState::QUERY_CANCELED));
    tx.rollback().await.unwrap();

    assert_eq!(repo.load(id).await.unwrap().version(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_restart_during_loads_is_a_typed_error_and_the_pool_recovers() {
    let Some(store) = pg_store_with(|c| c.max_connections(4)).await else {
        return;
    };
    let id = task_with_events(&store, 3000).await;
    let repo = Arc::new(Repository::<Task, _>::new(store.clone()));

    // Loads that are surely running when the server goes: they wait behind a lock.
    let mut admin = admin_of(&store).await;
    let tx = admin.transaction().await.unwrap();
    tx.batch_execute(&format!(
        "LOCK TABLE \"{}\".events IN ACCESS EXCLUSIVE MODE",
        store.schema_name()
    ))
    .await
    .unwrap();
    let loads: Vec<_> = (0..3)
        .map(|_| {
            let repo = repo.clone();
            tokio::spawn(async move { repo.load(id).await.map(|task| task.version()) })
        })
        .collect();
    // At least one load is inside the server, waiting for the lock.
    let mut waiting = 0;
    for _ in 0..500 {
        waiting = tx
            .query_one(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE application_name = $1 AND wait_event_type = 'Lock'",
                &[&store.schema_name()],
            )
            .await
            .unwrap()
            .get::<_, i64>(0);
        if waiting > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(waiting > 0, "no load reached the server");

    // What a restart does to the store's connections: every one of them is terminated
    // (the real server stays up for the other tests).
    tx.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = $1 AND pid <> pg_backend_pid()",
        &[&store.schema_name()],
    )
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    // Each load fails with a typed error, or, if it had not reached the server yet,
    // succeeds on a new connection; none panics.
    let mut failed = 0;
    for load in loads {
        match load.await.expect("no load panicked") {
            Ok(version) => assert_eq!(version, 3000),
            Err(error) => {
                pg_error(&error);
                failed += 1;
            }
        }
    }
    assert!(failed > 0, "no load was interrupted");

    let mut recovered = None;
    for _ in 0..5 {
        match repo.load(id).await {
            Ok(task) => {
                recovered = Some(task.version());
                break;
            }
            Err(error) => {
                pg_error(&error);
            }
        }
    }
    assert_eq!(recovered, Some(3000), "the pool did not recover");
}

#[tokio::test]
async fn metadata_keeps_every_string_the_payload_every_byte() {
    let Some(store) = pg_store().await else {
        return;
    };
    let stream = task_stream();
    // Whitespace, key order and number spelling that jsonb would rewrite.
    let payload = "{ \"b\": 1.50, \"a\" : [1e3,  2], \"b\": \"dup\", \"nul\": \"\\u0000\" }";
    let mut event: NewEvent = raw("TaskAssigned", 3, payload);
    event.metadata.extra = BTreeMap::from([
        ("nul \u{0}".to_owned(), "\u{0} inside".to_owned()),
        ("quote".to_owned(), "'\";--".to_owned()),
    ]);
    event.metadata.occurred_at = EventMetadata::time_from_micros(-1_234_567);
    store
        .append(&stream, ExpectedVersion::NoStream, vec![event.clone()])
        .await
        .unwrap();
    let read = store.read_stream(&stream, 0).await.unwrap();
    assert_eq!(read[0].payload, payload);
    assert_eq!(read[0].metadata, event.metadata);
}
