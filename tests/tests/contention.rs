//! Commands under contention, on every store: 8 tasks each running 100 commands on ONE
//! aggregate with the repository's default retry policy. None gives up, the versions are
//! contiguous, and the figures (retries, time) are printed.

use eventsource::prelude::*;
use eventsource::{Error, StreamId};
use eventsource_tests::fixtures::{Account, Deposited};
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

const TASKS: u64 = 8;
const COMMANDS: u64 = 100;

async fn eight_tasks_of_a_hundred_commands_on_one_aggregate_all_succeed<S>(store: S, name: &str)
where
    S: EventStore + Clone,
{
    let repo = Repository::<Account, _>::new(store.clone());
    let id = Uuid::now_v7();
    repo.create(id, |_| Ok::<_, Infallible>(Deposited { amount: 0 }))
        .await
        .unwrap();
    let runs = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (repo, runs) = (repo.clone(), Arc::clone(&runs));
            tokio::spawn(async move {
                let mut gave_up = 0;
                for _ in 0..COMMANDS {
                    let result = repo
                        .update(id, |_| {
                            runs.fetch_add(1, Ordering::Relaxed);
                            Ok::<_, Infallible>(Deposited { amount: 1 })
                        })
                        .await;
                    if result.is_err() {
                        gave_up += 1;
                    }
                }
                gave_up
            })
        })
        .collect();
    let mut gave_up = 0;
    for task in tasks {
        gave_up += task.await.unwrap();
    }
    let elapsed = started.elapsed();
    let runs = runs.load(Ordering::Relaxed);
    eprintln!(
        "{name}: {} commands, {} retries, {gave_up} gave up, {elapsed:?}",
        TASKS * COMMANDS,
        runs - TASKS * COMMANDS
    );
    assert_eq!(gave_up, 0);
    let account = repo.load(id).await.unwrap();
    assert_eq!(account.version(), 1 + TASKS * COMMANDS);
    assert_eq!(account.balance, (TASKS * COMMANDS) as i64);
    let versions: Vec<u64> = store
        .read_stream(&StreamId::new("Account", id.to_string()), 0)
        .await
        .unwrap()
        .iter()
        .map(|r| r.version)
        .collect();
    assert_eq!(versions, (1..=1 + TASKS * COMMANDS).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory() {
    eight_tasks_of_a_hundred_commands_on_one_aggregate_all_succeed(
        InMemoryEventStore::new(),
        "in-memory",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    let store = eventsource_tests::sqlite::TempSqliteStore::new()
        .await
        .unwrap();
    eight_tasks_of_a_hundred_commands_on_one_aggregate_all_succeed(store, "SQLite").await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    let Some(store) = eventsource_tests::postgres::pg_store().await else {
        return;
    };
    eight_tasks_of_a_hundred_commands_on_one_aggregate_all_succeed(store, "PostgreSQL").await;
}

#[tokio::test]
async fn create_refuses_a_stored_id_and_create_or_update_takes_either() {
    let repo = Repository::<Account, _>::new(InMemoryEventStore::new());
    let id = Uuid::now_v7();
    let deposit = |amount| move |_: &Account| Ok::<_, Infallible>(Deposited { amount });
    let created = repo.create(id, deposit(5)).await.unwrap();
    assert_eq!(created.version(), 1);
    match repo.create(id, deposit(1)).await {
        Err(UpdateError::Failed(Error::AlreadyExists {
            aggregate_type,
            aggregate_id,
        })) => {
            assert_eq!(aggregate_type, "Account");
            assert_eq!(aggregate_id, id.to_string());
        }
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    let other = Uuid::now_v7();
    assert_eq!(
        repo.create_or_update(other, deposit(2))
            .await
            .unwrap()
            .version(),
        1
    );
    assert_eq!(
        repo.create_or_update(other, deposit(3))
            .await
            .unwrap()
            .balance,
        5
    );
    match repo.update(Uuid::now_v7(), deposit(1)).await {
        Err(UpdateError::Failed(Error::NotFound { .. })) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[tokio::test]
async fn an_async_command_runs_again_on_the_fresh_state_after_a_conflict() {
    let store = InMemoryEventStore::new();
    let repo = Repository::<Account, _>::new(store.clone());
    let id = Uuid::now_v7();
    repo.create(id, |_| Ok::<_, Infallible>(Deposited { amount: 1 }))
        .await
        .unwrap();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let interfered = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let other = repo.clone();
    let result = repo
        .update_async(id, async |account: &Account| {
            seen.lock().unwrap().push(account.balance);
            // The first run lets another writer save before it decides: a conflict.
            if !interfered.swap(true, Ordering::SeqCst) {
                other
                    .update(id, |_| Ok::<_, Infallible>(Deposited { amount: 10 }))
                    .await
                    .unwrap();
            }
            tokio::task::yield_now().await;
            Ok::<_, Infallible>(Deposited { amount: 100 })
        })
        .await
        .unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        vec![1, 11],
        "re-run on the fresh state"
    );
    assert_eq!((result.version(), result.balance), (3, 111));
}

#[test]
fn a_policy_of_zero_attempts_is_refused() {
    assert!(eventsource::RetryPolicy::new(0).is_none());
    assert_eq!(eventsource::RetryPolicy::new(1).unwrap().attempts(), 1);
}
