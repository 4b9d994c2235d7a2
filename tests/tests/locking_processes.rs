//! Locks across OS processes (tests/src/bin/lock_worker.rs): two processes of four tasks
//! each, 200 locked commands per task on one aggregate, never conflict and end at version
//! 1,600; a holder killed with SIGKILL mid-command (loaded, decided, not saved) lets the
//! others in, and what it had not saved is not stored. On one SQLite file and on one
//! PostgreSQL schema.

use eventsource::LockingRepository;
use eventsource::lock::AggregateLocks;
use eventsource::prelude::*;
use eventsource_tests::fixtures::Account;
use eventsource_tests::locking::{assert_lock_timeout, versions};
use eventsource_tests::process::ChildProcess;
use eventsource_tests::sqlite::TempSqliteStore;
use std::time::Duration;

const WORKER: &str = env!("CARGO_BIN_EXE_lock_worker");
const WITHIN: Duration = Duration::from_secs(120);

/// Runs two worker processes on `place` and checks what they did.
async fn two_processes_take_turns(kind: &str, place: &str, store: &impl EventStore) {
    let id = Uuid::now_v7().to_string();
    let args = [kind, place, id.as_str(), "run", "4", "200"];
    let mut first = ChildProcess::start(WORKER, &args);
    let mut second = ChildProcess::start(WORKER, &args);
    first.expect_line("done 800 800 0", WITHIN).await;
    second.expect_line("done 800 800 0", WITHIN).await;
    let id = id.parse().unwrap();
    assert_eq!(versions(store, id).await, (1..=1600).collect::<Vec<_>>());
}

/// A holder process locks and records, and is killed before it saves.
async fn a_killed_holder_lets_the_others_in<S: EventStore + Clone>(
    kind: &str,
    place: &str,
    repo: LockingRepository<Account, S>,
) {
    let id = Uuid::now_v7();
    let mut holder = ChildProcess::start(WORKER, &[kind, place, &id.to_string(), "hold"]);
    holder.expect_line("locked", WITHIN).await;
    let brief = repo.clone().lock_timeout(Duration::from_millis(200));
    assert_lock_timeout(brief.lock_or_create(id).await, id);
    holder.kill();
    let mut account = repo.lock_or_create(id).await.unwrap();
    assert_eq!(account.version(), 0, "the killed holder saved nothing");
    account.record(eventsource_tests::fixtures::Deposited { amount: 1 });
    account.save().await.unwrap();
    drop(account);
    assert_eq!(versions(repo.repository().store(), id).await, vec![1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_two_processes_on_one_file_never_conflict() {
    let store = TempSqliteStore::new().await.unwrap();
    let path = store.dir().join("events.db");
    two_processes_take_turns("sqlite", path.to_str().unwrap(), &store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_holder_killed_mid_command_lets_the_others_in() {
    let store = TempSqliteStore::new().await.unwrap();
    let path = store.dir().join("events.db");
    let locks = store.aggregate_locks().unwrap();
    let repo = Repository::<Account, _>::new(store.clone())
        .locking()
        .across_processes(locks.clone())
        .lock_timeout(WITHIN);
    a_killed_holder_lets_the_others_in("sqlite", path.to_str().unwrap(), repo).await;
    // And the lock file itself is free again.
    let stream = eventsource::StreamId::new("Account", "any");
    drop(locks.lock(&stream, Duration::from_secs(5)).await.unwrap());
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_processes_never_conflict() {
    let Some(store) = eventsource_tests::postgres::pg_store().await else {
        return;
    };
    let schema = store.schema_name().to_owned();
    two_processes_take_turns("postgres", &schema, &store).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_holder_killed_mid_command_lets_the_others_in() {
    let Some(store) = eventsource_tests::postgres::pg_store().await else {
        return;
    };
    let schema = store.schema_name().to_owned();
    let repo = Repository::<Account, _>::new(store.clone())
        .locking()
        .across_processes(store.store().aggregate_locks().unwrap())
        .lock_timeout(WITHIN);
    a_killed_holder_lets_the_others_in("postgres", &schema, repo).await;
}
