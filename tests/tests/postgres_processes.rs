//! The PostgreSQL store against a real server (`DATABASE_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`), each test in a schema of its own.
//! Unreachable server: skipped with a printed line, or a failure under `CI=true`.
//!
//! Processes sharing the store: two OS processes appending to one stream, and
//! subscription claims (one owner per name, across connections and processes).

#![cfg(feature = "postgres")]

use eventsource::prelude::*;
use eventsource::store::postgres::{PostgresConfig, tokio_postgres};
use eventsource::{
    StreamId,
    store::{SubscriptionClaim, SubscriptionStore},
};
use eventsource_tests::fixtures::{raw, raw_events, task_stream};
use eventsource_tests::postgres::{admin_of, pg_store};
use eventsource_tests::postgres::{database_url, pg_store_with};
use eventsource_tests::process::ChildProcess;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

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
