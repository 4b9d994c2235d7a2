//! The PostgreSQL store against a real server (`DATABASE_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`), each test in a schema of its own.
//! Unreachable server: skipped with a printed line, or a failure under `CI=true`.

#![cfg(feature = "postgres")]

use eventsource_tests::postgres::pg_store;

eventsource::event_store_conformance!(async { pg_store().await });

mod snapshots {
    eventsource::snapshot_store_conformance!(async {
        eventsource_tests::postgres::pg_snapshot_store().await
    });
}

mod subscriptions {
    eventsource_tests::subscription_suite!(eventsource_tests::postgres::pg_store());
}

mod codecs {
    eventsource_tests::codec_suite!(eventsource_tests::postgres::pg_store());
}

mod evolution {
    eventsource_tests::evolution_suite!(eventsource_tests::postgres::pg_store());
}

mod snapshot_behaviour {
    eventsource::snapshot_behaviour_conformance!(eventsource_tests::postgres::pg_backend());
}

use eventsource::prelude::*;
use eventsource::store::postgres::tokio_postgres::error::SqlState;
use eventsource::store::postgres::{BATCH_LIMIT, PostgresConfig, tokio_postgres};
use eventsource::{
    Error, EventMetadata,
    error::{ConfigKind, SchemaKind},
};
use eventsource::{
    RecordedEvent, StreamId,
    store::{FeedEntry, NewEvent, ParkedEvent, SubscriptionClaim, SubscriptionStore},
};
use eventsource_tests::fixtures::{Task, raw, raw_events, task_stream};
use eventsource_tests::postgres::{
    PgTestStore, SchemaGuard, admin, database_url, fresh_schema_name, pg_config, pg_store_with,
    pg_store_with_connection,
};
use eventsource_tests::process::ChildProcess;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The `tokio_postgres` error inside a backend error.
fn pg_error(error: &Error) -> &tokio_postgres::Error {
    match error {
        Error::Backend(source) => source
            .downcast_ref::<tokio_postgres::Error>()
            .unwrap_or_else(|| panic!("not a PostgreSQL error: {source}")),
        other => panic!("expected a backend error, got {other:?}"),
    }
}

/// Appends three events to a new stream and corrupts the metadata of the second (an
/// object whose value is not a string); returns the three records as appended.
async fn store_with_corrupt_metadata_at_version_two(store: &PgTestStore) -> Vec<RecordedEvent> {
    let records = store
        .append(&task_stream(), ExpectedVersion::NoStream, raw_events(3))
        .await
        .unwrap()
        .records;
    admin_of(store)
        .await
        .execute(
            &format!(
                "UPDATE \"{}\".events SET metadata = '{{\"n\": 1}}' WHERE version = 2",
                store.schema_name()
            ),
            &[],
        )
        .await
        .unwrap();
    records
}

#[tokio::test]
async fn an_unknown_codec_on_a_row_is_an_error_naming_stream_version_and_type() {
    let Some(store) = pg_store().await else {
        return;
    };
    let stream = task_stream();
    let records = store
        .append(&stream, ExpectedVersion::NoStream, raw_events(3))
        .await
        .unwrap()
        .records;
    let damage = |sql: &'static str| {
        let store = &store;
        async move {
            let sql = sql.replace("{s}", store.schema_name());
            admin_of(store).await.execute(&sql, &[]).await.unwrap();
        }
    };
    damage("UPDATE \"{s}\".events SET codec = 'zstd' WHERE version = 2").await;
    let expected = (
        stream.clone(),
        2,
        "TaskAssigned".to_owned(),
        "zstd".to_owned(),
    );
    let unknown = |result: eventsource::Result<()>| match result {
        Err(Error::UnknownCodec {
            stream,
            version,
            event_type,
            codec,
        }) => (stream, version, event_type, codec),
        other => panic!("expected an unknown codec error, got {other:?}"),
    };
    assert_eq!(
        unknown(store.read_stream(&stream, 0).await.map(drop)),
        expected
    );
    let replayed = store
        .store()
        .replay_stream(&stream, 0, (), |_, _| Ok(()))
        .await;
    assert_eq!(unknown(replayed), expected);
    let entries = store.store().read_feed(0, 10).await.unwrap().into_entries();
    assert!(matches!(
        &entries[1],
        FeedEntry::Unreadable { position, error: Error::UnknownCodec { .. } }
            if *position == records[1].position
    ));

    // A binary row without its bytes is corrupt, naming the event type.
    damage("UPDATE \"{s}\".events SET codec = 'msgpack' WHERE version = 3").await;
    match store
        .store()
        .replay_stream(&stream, 0, (), |_, _| Ok(()))
        .await
    {
        Err(Error::UnknownCodec { .. }) => {}
        other => panic!("version 2 fails first, got {other:?}"),
    }
    match store.read_stream(&stream, 2).await {
        Err(Error::Corrupt {
            version: 3, reason, ..
        }) => assert!(reason.contains("TaskAssigned"), "{reason}"),
        other => panic!("expected a corrupt stream, got {other:?}"),
    }
}

async fn admin_of(store: &PgTestStore) -> tokio_postgres::Client {
    admin(store.config()).await.expect("admin connection")
}

/// A trigger in the test schema that sleeps `seconds` before inserting an event of type
/// `event_type`: it holds the appending transaction open, after its position is taken.
async fn hold_events_of_type(store: &PgTestStore, event_type: &str, seconds: &str) {
    let s = store.schema_name();
    admin_of(store)
        .await
        .batch_execute(&format!(
            "CREATE FUNCTION \"{s}\".hold() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.event_type = '{event_type}' THEN PERFORM pg_sleep({seconds}); END IF; \
             RETURN NEW; END $$; \
             CREATE TRIGGER hold BEFORE INSERT ON \"{s}\".events \
             FOR EACH ROW EXECUTE FUNCTION \"{s}\".hold();"
        ))
        .await
        .expect("create the holding trigger");
}

/// The store's public futures can be spawned on a multi-threaded runtime.
#[allow(dead_code)]
fn public_futures_are_send(
    store: &eventsource::PostgresEventStore,
    wakeups: &mut eventsource::store::postgres::FeedWakeups,
) {
    fn send<T: Send>(_: T) {}
    send(PostgresConfig::from_url(database_url()).connect());
    send(eventsource::PostgresEventStore::connect("postgres://x"));
    send(store.subscribe_notifications());
    send(store.append(&task_stream(), ExpectedVersion::Any, Vec::new()));
    send(store.read_all(0, 1));
    send(wakeups.wait());
}

#[tokio::test]
async fn schema_name_carrying_sql_is_refused() {
    for schema in [
        "x; drop table",
        "x\"; drop schema public cascade; --",
        "Events",
    ] {
        let result = PostgresConfig::from_url(database_url())
            .schema(schema)
            .connect()
            .await;
        assert!(
            matches!(result, Err(Error::Config { kind: ConfigKind::SchemaName, ref reason }) if reason.contains("schema name")),
            "{schema:?}: {result:?}"
        );
    }
}

#[tokio::test]
async fn invalid_connection_string_is_a_config_error() {
    let result = PostgresConfig::from_url("postgres://[not-a-url")
        .schema("fine")
        .connect()
        .await;
    assert!(
        matches!(
            result,
            Err(Error::Config {
                kind: ConfigKind::Connection,
                ..
            })
        ),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_starting_together_migrate_once() {
    let Some(config) = pg_config().await else {
        return;
    };
    let schema = fresh_schema_name();
    let _guard = SchemaGuard::new(config.clone(), schema.clone());
    let starters: Vec<_> = (0..4)
        .map(|_| {
            let (config, schema) = (config.clone(), schema.clone());
            tokio::spawn(async move {
                PostgresConfig::from_pg_config(config)
                    .schema(schema)
                    .max_connections(1)
                    .connect()
                    .await
            })
        })
        .collect();
    for starter in starters {
        starter.await.unwrap().expect("every starter connects");
    }
    let client = admin(&config).await.unwrap();
    let versions: Vec<i32> = client
        .query(
            &format!("SELECT version FROM \"{schema}\".schema_migrations ORDER BY version"),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(versions, [1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn schema_of_a_newer_library_is_refused() {
    let Some(store) = pg_store().await else {
        return;
    };
    admin_of(&store)
        .await
        .execute(
            &format!(
                "INSERT INTO \"{}\".schema_migrations (version, description) VALUES (999, 'future')",
                store.schema_name()
            ),
            &[],
        )
        .await
        .unwrap();
    let result = store.reconnect(|c| c).await;
    assert!(
        matches!(result, Err(Error::Schema { kind: SchemaKind::Newer { found: 999, .. }, ref reason }) if reason.contains("999")),
        "{result:?}"
    );
}

#[tokio::test]
async fn positions_stay_ahead_of_restored_ones() {
    let Some(store) = pg_store().await else {
        return;
    };
    // A row as a dump from a cluster with a much older transaction counter would bring.
    let restored = store
        .append(&task_stream(), ExpectedVersion::NoStream, raw_events(1))
        .await
        .unwrap()
        .records[0]
        .position
        + (1 << 40);
    admin_of(&store)
        .await
        .execute(
            &format!(
                "UPDATE \"{}\".events SET position = $1",
                store.schema_name()
            ),
            &[&(restored as i64)],
        )
        .await
        .unwrap();
    let restarted = store.reconnect(|c| c).await.unwrap();
    let outcome = restarted
        .append(&task_stream(), ExpectedVersion::NoStream, raw_events(2))
        .await
        .unwrap();
    assert!(outcome.records[0].position > restored);
    let feed = restarted.read_all(0, 10).await.unwrap();
    assert_eq!(feed.len(), 3);
    assert_eq!(feed[0].position, restored);
}

#[tokio::test]
async fn batch_above_the_limit_is_refused_and_writes_nothing() {
    let Some(store) = pg_store().await else {
        return;
    };
    let stream = task_stream();
    let events = raw_events(BATCH_LIMIT as u64 + 1);
    let result = store.append(&stream, ExpectedVersion::Any, events).await;
    assert!(
        matches!(
            result,
            Err(Error::Config {
                kind: ConfigKind::OutOfRange,
                ..
            })
        ),
        "{result:?}"
    );
    assert_eq!(store.stream_version(&stream).await.unwrap(), 0);
}

#[tokio::test]
async fn corrupt_row_is_a_typed_error_naming_stream_and_version() {
    let Some(store) = pg_store().await else {
        return;
    };
    let stream = task_stream();
    store
        .append(&stream, ExpectedVersion::NoStream, raw_events(3))
        .await
        .unwrap();
    admin_of(&store)
        .await
        .execute(
            &format!(
                "UPDATE \"{}\".events SET metadata = '[1, 2]' WHERE version = 2",
                store.schema_name()
            ),
            &[],
        )
        .await
        .unwrap();
    for result in [
        store.read_stream(&stream, 0).await,
        store.read_all(0, 10).await,
    ] {
        match result {
            Err(Error::Corrupt {
                stream: s, version, ..
            }) => {
                assert_eq!(s, stream);
                assert_eq!(version, 2);
            }
            other => panic!("expected a corrupt-row error, got {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_wakes_a_listener() {
    let Some(store) = pg_store().await else {
        return;
    };
    let mut wakeups = store.subscribe_notifications().await.unwrap();
    assert!(!wakeups.try_wait().unwrap());
    let writer = store.reconnect(|c| c).await.unwrap();
    writer
        .append(&task_stream(), ExpectedVersion::NoStream, raw_events(2))
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), wakeups.wait())
        .await
        .expect("woken within 10 s")
        .unwrap();
}

#[tokio::test]
async fn notifications_need_connection_settings_with_a_given_pool() {
    let Some(store) = pg_store().await else {
        return;
    };
    let borrowed = PostgresConfig::from_pool(store.pool().clone())
        .schema(store.schema_name())
        .connect()
        .await
        .unwrap();
    let result = borrowed.subscribe_notifications().await;
    assert!(
        matches!(
            result,
            Err(Error::Config {
                kind: ConfigKind::Connection,
                ..
            })
        ),
        "{result:?}"
    );
    // The given pool works for everything else.
    borrowed
        .append(&task_stream(), ExpectedVersion::NoStream, raw_events(1))
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// Two OS processes append to one stream.

const CHILD_ENV: &str = "EVENTSOURCE_PG_CROSS_PROCESS_CHILD";
const EVENTS_PER_PROCESS: u64 = 150;

fn child_event_id(writer: u64, n: u64) -> Uuid {
    Uuid::from_u64_pair(0x6576_656e_7473_0000 + writer, n)
}

/// The child side of `two_processes_append_to_one_stream`: does nothing unless started by
/// it (the env var names the schema, the stream, the writer and a start time).
#[test]
fn cross_process_child_writer() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let parts: Vec<&str> = spec.split(':').collect();
    let [schema, stream_id, writer, start_ms] = parts[..] else {
        panic!("bad {CHILD_ENV}: {spec}");
    };
    let writer: u64 = writer.parse().unwrap();
    let start_ms: u64 = start_ms.parse().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = PostgresConfig::from_url(database_url())
            .schema(schema)
            .max_connections(2)
            .connect()
            .await
            .expect("child connects");
        let stream = StreamId::new("Task", stream_id);
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        tokio::time::sleep(Duration::from_millis(start_ms.saturating_sub(now_ms))).await;
        let mut conflicts = 0;
        for n in 0..EVENTS_PER_PROCESS {
            let mut event = raw(
                "TaskAssigned",
                1,
                &format!(r#"{{"writer":{writer},"n":{n}}}"#),
            );
            // A fixed id: re-sending after an unclear failure cannot store it twice.
            event.metadata.event_id = child_event_id(writer, n);
            loop {
                let current = store.stream_version(&stream).await.unwrap();
                match store
                    .append(
                        &stream,
                        ExpectedVersion::Exact(current),
                        vec![event.clone()],
                    )
                    .await
                {
                    Ok(_) => break,
                    Err(error) if error.is_conflict() => conflicts += 1,
                    Err(error) => panic!("child {writer} append failed: {error}"),
                }
            }
        }
        println!("child {writer}: {EVENTS_PER_PROCESS} events, {conflicts} conflicts retried");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_append_to_one_stream() {
    let Some(store) = pg_store().await else {
        return;
    };
    let stream = task_stream();
    let exe = std::env::current_exe().unwrap();
    let start_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
        + 700;
    let children: Vec<_> = (1..=2u64)
        .map(|writer| {
            std::process::Command::new(&exe)
                .args(["cross_process_child_writer", "--exact", "--nocapture"])
                .args(["--test-threads", "1"])
                .env(
                    CHILD_ENV,
                    format!(
                        "{}:{}:{writer}:{start_ms}",
                        store.schema_name(),
                        stream.aggregate_id
                    ),
                )
                .env("DATABASE_URL", database_url())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("start a child process")
        })
        .collect();
    for child in children {
        let output = tokio::task::spawn_blocking(move || child.wait_with_output())
            .await
            .unwrap()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "child failed: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            stdout.contains("conflicts retried"),
            "child did not run: {stdout}"
        );
    }
    let read = store.read_stream(&stream, 0).await.unwrap();
    assert_eq!(read.len() as u64, 2 * EVENTS_PER_PROCESS);
    assert!(read.iter().zip(1..).all(|(r, v)| r.version == v));
    let ids: BTreeSet<Uuid> = read.iter().map(|r| r.metadata.event_id).collect();
    let expected: BTreeSet<Uuid> = (1..=2)
        .flat_map(|w| (0..EVENTS_PER_PROCESS).map(move |n| child_event_id(w, n)))
        .collect();
    assert_eq!(ids, expected);
}

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

// ---------------------------------------------------------------------------------------
// The read side: migration 2, checkpoints, parked events, the feed as entries, wake-ups.
// Called on `store()`, the PostgreSQL store itself: the test holder forwards only the
// methods it knows of, and these must run the store's own implementations.

/// A schema as a version-1 store left it: the later versions' tables and records removed.
async fn downgrade_to_version_one(store: &PgTestStore) {
    let s = store.schema_name();
    admin_of(store)
        .await
        .batch_execute(&format!(
            "DROP TABLE \"{s}\".checkpoints; DROP TABLE \"{s}\".parked; \
             DROP TABLE \"{s}\".states; DROP INDEX \"{s}\".events_occurred_at; \
             ALTER TABLE \"{s}\".events DROP COLUMN codec, DROP COLUMN payload_binary; \
             ALTER TABLE \"{s}\".snapshots DROP COLUMN codec, DROP COLUMN state_binary; \
             DELETE FROM \"{s}\".schema_migrations WHERE version > 1;"
        ))
        .await
        .expect("downgrade the schema to version 1");
}

#[tokio::test]
async fn a_version_one_schema_upgrades_and_keeps_its_events() {
    let Some(store) = pg_store().await else {
        return;
    };
    let stream = task_stream();
    store
        .append(&stream, ExpectedVersion::NoStream, raw_events(2))
        .await
        .unwrap();
    downgrade_to_version_one(&store).await;
    let upgraded = store.reconnect(|c| c).await.unwrap();
    let versions: Vec<i32> = admin_of(&store)
        .await
        .query(
            &format!(
                "SELECT version FROM \"{}\".schema_migrations ORDER BY version",
                store.schema_name()
            ),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(versions, [1, 2, 3, 4, 5]);
    assert_eq!(upgraded.read_stream(&stream, 0).await.unwrap().len(), 2);
    upgraded.store_checkpoint("upgraded", 7).await.unwrap();
    assert_eq!(upgraded.checkpoint("upgraded").await.unwrap(), Some(7));
}

#[tokio::test]
async fn checkpoints_are_stored_replaced_and_deleted() {
    let Some(store) = pg_store().await else {
        return;
    };
    assert_eq!(store.checkpoint("projection").await.unwrap(), None);
    store.store_checkpoint("projection", 5).await.unwrap();
    store.store_checkpoint("other", 9).await.unwrap();
    assert_eq!(store.checkpoint("projection").await.unwrap(), Some(5));
    store.store_checkpoint("projection", 12).await.unwrap();
    assert_eq!(store.checkpoint("projection").await.unwrap(), Some(12));
    store.delete_checkpoint("projection").await.unwrap();
    assert_eq!(store.checkpoint("projection").await.unwrap(), None);
    assert_eq!(store.checkpoint("other").await.unwrap(), Some(9));
    // Names are values, never SQL.
    let odd = "x'); DROP TABLE checkpoints; --";
    store.store_checkpoint(odd, 1).await.unwrap();
    assert_eq!(store.checkpoint(odd).await.unwrap(), Some(1));
    let result = store.store_checkpoint("huge", u64::MAX).await;
    assert!(
        matches!(
            result,
            Err(Error::Config {
                kind: ConfigKind::OutOfRange,
                ..
            })
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_negative_stored_checkpoint_is_a_typed_error() {
    let Some(store) = pg_store().await else {
        return;
    };
    store.store_checkpoint("projection", 3).await.unwrap();
    admin_of(&store)
        .await
        .batch_execute(&format!(
            "UPDATE \"{}\".checkpoints SET position = -3",
            store.schema_name()
        ))
        .await
        .unwrap();
    let result = store.checkpoint("projection").await;
    assert!(
        matches!(
            result,
            Err(Error::Schema {
                kind: SchemaKind::Damaged,
                ..
            })
        ),
        "{result:?}"
    );
}

fn parked(subscription: &str, position: u64, error: &str, attempts: u32) -> ParkedEvent {
    ParkedEvent {
        subscription: subscription.to_owned(),
        position,
        stream: Some(task_stream()),
        version: Some(position),
        event_type: Some("TaskAssigned".to_owned()),
        error: error.to_owned(),
        attempts,
        parked_at: EventMetadata::time_from_micros(1_700_000_000_123_456),
    }
}

#[tokio::test]
async fn parked_events_are_upserted_listed_in_order_and_discarded() {
    let Some(store) = pg_store().await else {
        return;
    };
    let late = parked("projection", 30, "boom", 3);
    let early = parked("projection", 10, "bang", 1);
    // A feed row that could not be read: nothing known but its position.
    let unreadable = ParkedEvent {
        stream: None,
        version: None,
        event_type: None,
        ..parked("projection", 20, "corrupt row", 0)
    };
    for event in [&late, &early, &unreadable, &parked("other", 15, "x", 1)] {
        store.park(event).await.unwrap();
    }
    assert_eq!(
        store.parked("projection").await.unwrap(),
        [early.clone(), unreadable.clone(), late.clone()]
    );
    let retried = ParkedEvent {
        error: "boom again".to_owned(),
        attempts: 6,
        ..late.clone()
    };
    store.park(&retried).await.unwrap();
    assert_eq!(
        store.parked("projection").await.unwrap(),
        [early.clone(), unreadable.clone(), retried]
    );
    assert!(store.discard_parked("projection", 20).await.unwrap());
    assert!(!store.discard_parked("projection", 20).await.unwrap());
    assert!(!store.discard_parked("projection", u64::MAX).await.unwrap());
    assert_eq!(store.parked("projection").await.unwrap().len(), 2);
    assert_eq!(store.parked("other").await.unwrap().len(), 1);
    assert!(store.parked("nobody").await.unwrap().is_empty());
}

#[tokio::test]
async fn head_position_is_the_newest_appended_position() {
    let Some(store) = pg_store().await else {
        return;
    };
    assert_eq!(store.store().head_position().await.unwrap(), 0);
    store
        .append(&task_stream(), ExpectedVersion::NoStream, raw_events(2))
        .await
        .unwrap();
    let last = store
        .append(&task_stream(), ExpectedVersion::NoStream, raw_events(3))
        .await
        .unwrap()
        .records[2]
        .position;
    assert_eq!(store.store().head_position().await.unwrap(), last);
    let feed = store.read_all(0, 100).await.unwrap();
    assert_eq!(feed.last().map(|r| r.position), Some(last));
}

#[tokio::test]
async fn read_feed_hands_over_a_corrupt_row_and_read_all_still_fails_on_it() {
    let Some(store) = pg_store().await else {
        return;
    };
    let records = store_with_corrupt_metadata_at_version_two(&store).await;
    let stream = records[0].stream.clone();
    let entries = store.store().read_feed(0, 10).await.unwrap().into_entries();
    assert_eq!(entries.len(), 3, "{entries:?}");
    match &entries[..] {
        [
            FeedEntry::Event(first),
            FeedEntry::Unreadable { position, error },
            FeedEntry::Event(third),
        ] => {
            assert_eq!(first, &records[0]);
            assert_eq!(*position, records[1].position);
            assert!(
                matches!(error, Error::Corrupt { stream: s, version: 2, .. } if *s == stream),
                "{error:?}"
            );
            assert_eq!(third, &records[2]);
        }
        other => panic!("expected event, unreadable, event: {other:?}"),
    }
    // Reading on after the bad row gives only what follows it.
    let after = store
        .store()
        .read_feed(records[1].position, 10)
        .await
        .unwrap()
        .into_entries();
    assert!(matches!(&after[..], [FeedEntry::Event(r)] if *r == records[2]));
    let result = store.read_all(0, 10).await;
    assert!(
        matches!(result, Err(Error::Corrupt { version: 2, .. })),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn append_signal_wakes_after_an_append_from_another_store() {
    let Some(store) = pg_store().await else {
        return;
    };
    let mut signal = store
        .store()
        .append_signal()
        .await
        .unwrap()
        .expect("a signal when notifications are on");
    let writer = store.reconnect(|c| c).await.unwrap();
    writer
        .append(&task_stream(), ExpectedVersion::NoStream, raw_events(1))
        .await
        .unwrap();
    let woken = tokio::time::timeout(Duration::from_secs(10), signal.wait())
        .await
        .expect("woken within 10 s");
    assert!(woken);
}

#[tokio::test]
async fn append_signal_is_none_without_notifications() {
    let Some(store) = pg_store_with(|c| c.notifications(false)).await else {
        return;
    };
    assert!(store.store().append_signal().await.unwrap().is_none());
}

// ---------------------------------------------------------------------------------------
// Subscription claims: one owner per name, across connections and processes. The test
// holder (`Guarded`) does not forward `claim`, so these call the store itself.

/// Claims `name`, retrying every 50 ms for up to `within`: the server releases a lock only
/// once it has seen its connection close.
async fn claim_within(
    store: &impl SubscriptionStore,
    name: &str,
    within: Duration,
) -> SubscriptionClaim {
    let deadline = Instant::now() + within;
    loop {
        if let Some(claim) = store.claim(name).await.expect("claim") {
            return claim;
        }
        assert!(
            Instant::now() < deadline,
            "`{name}` still claimed after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The server processes of `application` holding a (one-`bigint`) advisory lock.
async fn advisory_lock_holders(admin: &tokio_postgres::Client, application: &str) -> Vec<i32> {
    admin
        .query(
            "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
               AND a.application_name = $1",
            &[&application],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// Waits up to `within` for the claim to report itself lost.
async fn assert_lost_within(claim: &mut SubscriptionClaim, within: Duration) {
    tokio::time::timeout(within, claim.lost())
        .await
        .unwrap_or_else(|_| panic!("the claim was not lost within {within:?}"));
    assert!(claim.is_lost());
}

#[tokio::test]
async fn a_second_claim_of_a_name_waits_until_the_first_is_dropped() {
    let Some(store) = pg_store().await else {
        return;
    };
    let first = store
        .store()
        .claim("orders")
        .await
        .unwrap()
        .expect("the first claim");
    assert!(!first.is_lost());
    assert!(store.store().claim("orders").await.unwrap().is_none());
    // Another store (another pool) on the schema is refused too.
    let other = store.reconnect(|c| c.notifications(false)).await.unwrap();
    assert!(other.claim("orders").await.unwrap().is_none());
    assert!(
        store.store().claim("orders").await.unwrap().is_none(),
        "still held"
    );

    drop(first);
    let second = claim_within(store.store(), "orders", Duration::from_secs(5)).await;
    assert!(!second.is_lost());
    assert!(other.claim("orders").await.unwrap().is_none());
}

#[tokio::test]
async fn claims_of_other_names_and_other_schemas_are_independent() {
    let Some(store) = pg_store().await else {
        return;
    };
    let Some(elsewhere) = pg_store().await else {
        return;
    };
    let orders = store
        .store()
        .claim("orders")
        .await
        .unwrap()
        .expect("orders");
    let invoices = store
        .store()
        .claim("invoices")
        .await
        .unwrap()
        .expect("invoices");
    let orders_elsewhere = elsewhere
        .store()
        .claim("orders")
        .await
        .unwrap()
        .expect("the same name in another schema");
    assert!(store.store().claim("orders").await.unwrap().is_none());
    assert!(store.store().claim("invoices").await.unwrap().is_none());
    assert!(elsewhere.store().claim("orders").await.unwrap().is_none());
    assert!(elsewhere.store().claim("invoices").await.unwrap().is_some());
    assert_eq!(
        advisory_lock_holders(&admin_of(&store).await, store.schema_name())
            .await
            .len(),
        2
    );
    drop((orders, invoices, orders_elsewhere));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_whose_connection_is_killed_is_lost_and_can_be_taken_again() {
    let Some(store) = pg_store().await else {
        return;
    };
    let mut claim = store.store().claim("orders").await.unwrap().expect("claim");
    let admin = admin_of(&store).await;
    let holders = advisory_lock_holders(&admin, store.schema_name()).await;
    let [pid] = holders[..] else {
        panic!("expected one holder of the claim's lock, found {holders:?}");
    };
    let killed: bool = admin
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .unwrap()
        .get(0);
    assert!(killed);
    assert_lost_within(&mut claim, Duration::from_secs(5)).await;
    let again = claim_within(store.store(), "orders", Duration::from_secs(5)).await;
    assert!(!again.is_lost());
}

/// A store given a pool alone claims on a connection taken out of that pool.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_only_store_claims_on_a_connection_taken_from_its_pool() {
    let Some(store) = pg_store_with(|c| c.max_connections(2)).await else {
        return;
    };
    let borrowed = PostgresConfig::from_pool(store.pool().clone())
        .schema(store.schema_name())
        .connect()
        .await
        .unwrap();
    let mut claim = borrowed.claim("orders").await.unwrap().expect("claim");
    assert!(borrowed.claim("orders").await.unwrap().is_none());
    assert!(store.store().claim("orders").await.unwrap().is_none());
    // The taken connection left room in the pool: both of its slots still serve.
    let (a, b) = (store.pool().get().await, store.pool().get().await);
    assert!(a.is_ok() && b.is_ok());
    drop((a, b));

    let admin = admin_of(&store).await;
    let holders = advisory_lock_holders(&admin, store.schema_name()).await;
    let [pid] = holders[..] else {
        panic!("expected one holder of the claim's lock, found {holders:?}");
    };
    admin
        .execute("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .unwrap();
    assert_lost_within(&mut claim, Duration::from_secs(5)).await;
    let again = claim_within(&borrowed, "orders", Duration::from_secs(5)).await;
    drop(again);
    let _third = claim_within(&borrowed, "orders", Duration::from_secs(5)).await;
}

/// A `claim_holder` process (tests/src/bin/claim_holder.rs), killed when dropped.
fn claim_holder(schema: &str, subscription: &str) -> ChildProcess {
    ChildProcess::start(env!("CARGO_BIN_EXE_claim_holder"), &[schema, subscription])
}

/// The bound on a takeover after the holder process is killed.
const TAKEOVER_BOUND: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_process_hands_its_claim_to_a_standby_process() {
    let Some(store) = pg_store().await else {
        return;
    };
    let schema = store.schema_name();
    let mut a = claim_holder(schema, "orders");
    a.expect_line("claimed", Duration::from_secs(20)).await;
    let mut b = claim_holder(schema, "orders");
    b.expect_line("standby", Duration::from_secs(20)).await;
    // B stays on standby while A lives.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(b.lines.try_recv().is_err(), "B must still be on standby");
    assert!(store.store().claim("orders").await.unwrap().is_none());

    let killed_at = Instant::now();
    a.kill();
    b.expect_line("claimed", TAKEOVER_BOUND).await;
    let takeover = killed_at.elapsed();
    eprintln!("claim takeover after SIGKILL of its holder: {takeover:?} (B retries every 100 ms)");
    assert!(
        store.store().claim("orders").await.unwrap().is_none(),
        "B holds it"
    );
    drop(b);
    let _claim = claim_within(store.store(), "orders", Duration::from_secs(5)).await;
}

/// One subscription name runs in one place at a time: a second runner on another
/// connection pool (as another process would have) stands by while the first holds the
/// claim, and takes over from the first's checkpoint when it stops.
mod one_owner_per_subscription {
    use super::*;
    use eventsource::subscription::{SubscriptionOptions, SubscriptionRunner, SubscriptionState};
    use eventsource_tests::subscription_suite::Recorder;

    fn options() -> SubscriptionOptions {
        SubscriptionOptions::new()
            .poll_interval(Duration::from_millis(100))
            .claim_retry(Duration::from_millis(100))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_second_runner_stands_by_then_takes_over_from_the_checkpoint() {
        let Some(store) = pg_store().await else {
            return;
        };
        let other = store.reconnect(|config| config).await.unwrap();
        store
            .append(&task_stream(), ExpectedVersion::NoStream, raw_events(5))
            .await
            .unwrap();
        let first_head = store.head_position().await.unwrap();

        let mut first_runner = SubscriptionRunner::new(store.clone());
        let (first, first_seen) = Recorder::new();
        let mut first = first_runner.start(first, options()).unwrap();
        tokio::time::timeout(
            Duration::from_secs(30),
            first.wait_for(|s| s.is_live() && s.position == first_head),
        )
        .await
        .unwrap();

        let mut second_runner = SubscriptionRunner::new(other.clone());
        let (second, second_seen) = Recorder::new();
        let mut second = second_runner.start(second, options()).unwrap();
        let status = tokio::time::timeout(
            Duration::from_secs(30),
            second.wait_for(|s| s.state == SubscriptionState::Standby),
        )
        .await
        .unwrap();
        assert_eq!(status.state, SubscriptionState::Standby);

        store
            .append(&task_stream(), ExpectedVersion::NoStream, raw_events(3))
            .await
            .unwrap();
        let middle_head = store.head_position().await.unwrap();
        tokio::time::timeout(
            Duration::from_secs(30),
            first.wait_for(|s| s.is_live() && s.position == middle_head),
        )
        .await
        .unwrap();
        assert_eq!(second.status().state, SubscriptionState::Standby);
        first.stop().await.unwrap();
        let started = Instant::now();

        store
            .append(&task_stream(), ExpectedVersion::NoStream, raw_events(2))
            .await
            .unwrap();
        let head = store.head_position().await.unwrap();
        tokio::time::timeout(
            Duration::from_secs(30),
            second.wait_for(|s| s.is_live() && s.position == head),
        )
        .await
        .unwrap();
        eprintln!("takeover after a stop: {:?}", started.elapsed());
        second.stop().await.unwrap();

        let first_positions = first_seen.lock().unwrap().positions.clone();
        let second_positions = second_seen.lock().unwrap().positions.clone();
        assert_eq!(first_positions.len(), 8, "{first_positions:?}");
        assert_eq!(
            second_positions.len(),
            2,
            "from the checkpoint: {second_positions:?}"
        );
        assert!(second_positions.iter().all(|p| *p > middle_head));
        first_runner.shutdown().await;
        second_runner.shutdown().await;
    }
}

/// A feed row that cannot be read is parked by a subscription with its typed error (and
/// skipped), or stops it at the row with the stop policy.
mod corrupt_rows_in_the_feed {
    use super::*;
    use eventsource_tests::subscription_suite;

    /// Three events, the second with corrupt metadata: the store, the three positions.
    async fn store_with_a_corrupt_second_event() -> Option<(PgTestStore, [u64; 3])> {
        let store = pg_store().await?;
        let records = store_with_corrupt_metadata_at_version_two(&store).await;
        let positions = [
            records[0].position,
            records[1].position,
            records[2].position,
        ];
        Some((store, positions))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn is_parked_with_its_error_and_skipped() {
        let Some((store, [_, corrupt, head])) = store_with_a_corrupt_second_event().await else {
            return;
        };
        subscription_suite::unreadable_row_is_parked_and_skipped(store, corrupt, head, "corrupt")
            .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stops_the_subscription_with_the_stop_policy() {
        let Some((store, [before, corrupt, _])) = store_with_a_corrupt_second_event().await else {
            return;
        };
        subscription_suite::unreadable_row_stops_the_subscription_with_the_stop_policy(
            store, corrupt, before, "corrupt",
        )
        .await;
    }
}

/// A server error's message reaches the error's `Display`, not only its `source()`.
#[tokio::test]
async fn a_server_error_displays_what_the_server_said() {
    let Some(store) = pg_store().await else {
        return;
    };
    // PostgreSQL's text holds no NUL character; the store passes event types through.
    let mut events = raw_events(1);
    events[0].event_type = "Task\0Created".into();
    let error = store
        .append(&task_stream(), ExpectedVersion::NoStream, events)
        .await
        .expect_err("a NUL in a text column is refused by the server");
    let shown = error.to_string();
    // The severity and SQLSTATE (22021, character not in repertoire) lead the server's
    // message.
    assert!(
        shown.starts_with("event store backend error: ERROR 22021: invalid byte sequence"),
        "{shown}"
    );
}

/// A stored stream with a gap (versions 1, 2, 4) is corrupt, with the same wording as on
/// SQLite, both when read and when replayed for a load: never a shorter aggregate.
#[tokio::test]
async fn a_version_gap_is_a_corrupt_stream_in_the_shared_wording() {
    let Some(store) = pg_store().await else {
        return;
    };
    let stream = task_stream();
    store
        .append(&stream, ExpectedVersion::NoStream, raw_events(4))
        .await
        .unwrap();
    let deleted = admin_of(&store)
        .await
        .execute(
            &format!(
                "DELETE FROM \"{}\".events WHERE aggregate_id = $1 AND version = 3",
                store.schema_name()
            ),
            &[&stream.aggregate_id],
        )
        .await
        .unwrap();
    assert_eq!(deleted, 1);
    let wording = "version 3 is missing: the next stored event is version 4";
    let read = store.read_stream(&stream, 0).await;
    assert!(
        matches!(&read, Err(Error::Corrupt { version: 3, reason, .. }) if reason == wording),
        "{read:?}"
    );
    let replayed = store
        .replay_stream(&stream, 0, 0u64, |count: &mut u64, _| {
            *count += 1;
            Ok(())
        })
        .await;
    assert!(
        matches!(&replayed, Err(Error::Corrupt { version: 3, reason, .. }) if reason == wording),
        "{replayed:?}"
    );
    // After the gap's start, reads still refuse the gap.
    let after_two = store.read_stream(&stream, 2).await;
    assert!(
        matches!(after_two, Err(Error::Corrupt { version: 3, .. })),
        "{after_two:?}"
    );
}

/// A negative stream version in the database (a corrupt row) is a typed error on append,
/// never a version wrapped around to a huge number.
#[tokio::test]
async fn a_negative_stored_stream_version_is_corrupt_on_append() {
    let Some(store) = pg_store().await else {
        return;
    };
    let stream = task_stream();
    store
        .append(&stream, ExpectedVersion::NoStream, raw_events(1))
        .await
        .unwrap();
    let changed = admin_of(&store)
        .await
        .execute(
            &format!(
                "UPDATE \"{}\".streams SET version = -5 WHERE aggregate_id = $1",
                store.schema_name()
            ),
            &[&stream.aggregate_id],
        )
        .await
        .unwrap();
    assert_eq!(changed, 1);
    let appended = store
        .append(&stream, ExpectedVersion::Any, raw_events(1))
        .await;
    assert!(
        matches!(&appended, Err(Error::Corrupt { reason, .. }) if reason.contains("the append returned a negative version")),
        "{appended:?}"
    );
}
