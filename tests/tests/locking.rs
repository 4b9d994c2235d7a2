//! The locking repository on every store: writers that go through the lock take turns and
//! never conflict; a lock wait times out with an error naming the aggregate; a guard
//! dropped without a save writes nothing and lets the next writer in. The cross-process
//! locks (SQLite files, PostgreSQL advisory locks) are also checked between two
//! repositories with lock tables of their own, as two processes would be.

use eventsource::lock::AggregateLocks;
use eventsource::prelude::*;
use eventsource::{LockingRepository, StreamId};
use eventsource_tests::fixtures::{Account, Deposited};
use eventsource_tests::locking::{assert_lock_timeout, deposit_under_locks, versions};
use eventsource_tests::sqlite::TempSqliteStore;
use std::convert::Infallible;
use std::time::Duration;

const TASKS: u64 = 8;
const COMMANDS: u64 = 200;
const BRIEF: Duration = Duration::from_millis(100);

async fn eight_tasks_of_two_hundred_locked_commands_never_conflict<S>(
    repo: LockingRepository<Account, S>,
    name: &str,
) where
    S: EventStore + Clone,
{
    let id = Uuid::now_v7();
    let run = deposit_under_locks(&repo, id, TASKS, COMMANDS).await;
    eprintln!("{name}: {run:?}");
    assert_eq!(run.failed, 0);
    assert_eq!(run.conflicts(), 0, "{name}: every command ran once");
    let account = repo.repository().load(id).await.unwrap();
    assert_eq!(account.version(), TASKS * COMMANDS);
    assert_eq!(account.balance, (TASKS * COMMANDS) as i64);
    assert_eq!(
        versions(repo.repository().store(), id).await,
        (1..=TASKS * COMMANDS).collect::<Vec<_>>()
    );
    assert_eq!(
        repo.in_process_locks().entries(),
        0,
        "the lock table empties"
    );
}

/// While one repository holds the aggregate, another (with a lock table of its own) waits
/// and times out naming it; a guard dropped without saving writes nothing, and the other
/// then gets in.
async fn a_held_lock_keeps_others_out_until_dropped_and_writes_nothing<S>(
    holder: LockingRepository<Account, S>,
    other: LockingRepository<Account, S>,
) where
    S: EventStore + Clone,
{
    let id = Uuid::now_v7();
    other
        .create_or_update(id, |_| Ok::<_, Infallible>(Deposited { amount: 1 }))
        .await
        .unwrap();
    let mut held = holder.lock(id).await.unwrap();
    held.execute(|_| Ok::<_, Infallible>(Deposited { amount: 100 }))
        .unwrap();
    assert_lock_timeout(other.clone().lock_timeout(BRIEF).lock(id).await, id);
    let blocked = other
        .clone()
        .lock_timeout(BRIEF)
        .update(id, |_| Ok::<_, Infallible>(Deposited { amount: 1 }))
        .await;
    assert!(
        matches!(
            blocked,
            Err(UpdateError::Failed(eventsource::Error::LockTimeout { .. }))
        ),
        "{blocked:?}"
    );
    drop(held);
    let account = other.lock(id).await.unwrap();
    assert_eq!(
        (account.version(), account.balance),
        (1, 1),
        "nothing saved"
    );
    drop(account);
    assert_eq!(versions(holder.repository().store(), id).await, vec![1]);
    // A lock on another aggregate is not held up.
    let elsewhere = holder.lock_or_create(Uuid::now_v7()).await.unwrap();
    assert_eq!(elsewhere.version(), 0);
}

/// A guard saves through itself and keeps the lock across saves.
async fn a_guard_saves_and_holds_across_saves<S>(
    holder: LockingRepository<Account, S>,
    other: LockingRepository<Account, S>,
) where
    S: EventStore + Clone,
{
    let id = Uuid::now_v7();
    let mut held = holder.lock_or_create(id).await.unwrap();
    held.record(Deposited { amount: 2 });
    held.save().await.unwrap();
    assert_lock_timeout(other.clone().lock_timeout(BRIEF).lock(id).await, id);
    held.record(Deposited { amount: 3 });
    held.save().await.unwrap();
    let root = held.into_root();
    assert_eq!((root.version(), root.balance), (2, 5));
    let account = other.lock(id).await.unwrap();
    assert_eq!((account.version(), account.balance), (2, 5));
}

/// A writer that bypasses the lock is caught by the optimistic check: `update` reloads
/// under the lock and decides again.
async fn a_writer_bypassing_the_lock_is_caught_and_the_command_reruns<S>(
    repo: LockingRepository<Account, S>,
) where
    S: EventStore + Clone,
{
    let id = Uuid::now_v7();
    let plain = repo.repository().clone();
    plain
        .create(id, |_| Ok::<_, Infallible>(Deposited { amount: 1 }))
        .await
        .unwrap();
    let interfered = std::sync::atomic::AtomicBool::new(false);
    let seen = std::sync::Mutex::new(Vec::new());
    let saved = repo
        .update(id, |account| {
            seen.lock().unwrap().push(account.balance);
            if !interfered.swap(true, std::sync::atomic::Ordering::SeqCst) {
                // The bypassing write lands between this load and this save.
                let plain = plain.clone();
                std::thread::spawn(move || {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap()
                        .block_on(
                            plain.update(id, |_| Ok::<_, Infallible>(Deposited { amount: 10 })),
                        )
                        .unwrap();
                })
                .join()
                .unwrap();
            }
            Ok::<_, Infallible>(Deposited { amount: 100 })
        })
        .await
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![1, 11]);
    assert_eq!((saved.version(), saved.balance), (3, 111));
}

mod in_memory {
    use super::*;

    fn repo(store: &InMemoryEventStore) -> LockingRepository<Account, InMemoryEventStore> {
        Repository::new(store.clone()).locking()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn eight_tasks_of_two_hundred_commands() {
        let store = InMemoryEventStore::new();
        eight_tasks_of_two_hundred_locked_commands_never_conflict(repo(&store), "in-memory").await;
    }

    #[tokio::test]
    async fn a_held_lock_keeps_others_out() {
        let store = InMemoryEventStore::new();
        let holder = repo(&store);
        a_held_lock_keeps_others_out_until_dropped_and_writes_nothing(holder.clone(), holder).await;
    }

    #[tokio::test]
    async fn a_guard_holds_across_saves() {
        let store = InMemoryEventStore::new();
        let holder = repo(&store);
        a_guard_saves_and_holds_across_saves(holder.clone(), holder).await;
    }

    #[tokio::test]
    async fn a_bypassing_writer_is_caught() {
        a_writer_bypassing_the_lock_is_caught_and_the_command_reruns(repo(
            &InMemoryEventStore::new(),
        ))
        .await;
    }
}

mod sqlite {
    use super::*;
    use eventsource::store::sqlite::SqliteLocks;

    fn repo(store: &TempSqliteStore) -> LockingRepository<Account, TempSqliteStore> {
        Repository::new(store.clone())
            .locking()
            .across_processes(store.aggregate_locks().unwrap())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn eight_tasks_of_two_hundred_commands() {
        let store = TempSqliteStore::new().await.unwrap();
        eight_tasks_of_two_hundred_locked_commands_never_conflict(repo(&store), "SQLite").await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_held_lock_keeps_another_lock_table_out() {
        let store = TempSqliteStore::new().await.unwrap();
        a_held_lock_keeps_others_out_until_dropped_and_writes_nothing(repo(&store), repo(&store))
            .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_guard_holds_across_saves() {
        let store = TempSqliteStore::new().await.unwrap();
        a_guard_saves_and_holds_across_saves(repo(&store), repo(&store)).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_bypassing_writer_is_caught() {
        let store = TempSqliteStore::new().await.unwrap();
        a_writer_bypassing_the_lock_is_caught_and_the_command_reruns(repo(&store)).await;
    }

    #[tokio::test]
    async fn the_file_locks_hold_between_handles_and_release_on_drop() {
        let store = TempSqliteStore::new().await.unwrap();
        let (a, b) = (
            store.aggregate_locks().unwrap(),
            SqliteLocks::beside(&store.dir().join("events.db")).unwrap(),
        );
        assert_eq!(a.dir(), b.dir());
        let stream = StreamId::new("Account", "1");
        let held = a.lock(&stream, BRIEF).await.unwrap();
        assert!(b.file_of(&stream).exists());
        match b.lock(&stream, BRIEF).await {
            Err(eventsource::Error::LockTimeout { stream: named, .. }) => {
                assert_eq!(named, stream);
            }
            other => panic!("expected a lock timeout, got {other:?}"),
        }
        // The same handle is held off too: each lock is its own open file.
        assert!(a.lock(&stream, BRIEF).await.is_err());
        drop(held);
        let _again = b.lock(&stream, BRIEF).await.unwrap();
    }

    #[tokio::test]
    async fn an_in_memory_database_has_no_cross_process_locks() {
        let store = SqliteEventStore::in_memory().await.unwrap();
        assert!(matches!(
            store.aggregate_locks(),
            Err(eventsource::Error::Config {
                kind: eventsource::error::ConfigKind::Database,
                ..
            })
        ));
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;
    use eventsource_tests::postgres::{PgTestStore, pg_store};

    fn repo(store: &PgTestStore) -> LockingRepository<Account, PgTestStore> {
        Repository::new(store.clone())
            .locking()
            .across_processes(store.store().aggregate_locks().unwrap())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn eight_tasks_of_two_hundred_commands() {
        let Some(store) = pg_store().await else {
            return;
        };
        eight_tasks_of_two_hundred_locked_commands_never_conflict(repo(&store), "PostgreSQL").await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_held_lock_keeps_another_lock_table_out() {
        let Some(store) = pg_store().await else {
            return;
        };
        a_held_lock_keeps_others_out_until_dropped_and_writes_nothing(repo(&store), repo(&store))
            .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_guard_holds_across_saves() {
        let Some(store) = pg_store().await else {
            return;
        };
        a_guard_saves_and_holds_across_saves(repo(&store), repo(&store)).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_bypassing_writer_is_caught() {
        let Some(store) = pg_store().await else {
            return;
        };
        a_writer_bypassing_the_lock_is_caught_and_the_command_reruns(repo(&store)).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_advisory_lock_is_released_on_drop_and_keyed_by_schema() {
        let Some(store) = pg_store().await else {
            return;
        };
        let (a, b) = (
            store.store().aggregate_locks().unwrap(),
            store.store().aggregate_locks_with(1).unwrap(),
        );
        let stream = StreamId::new("Account", "1");
        assert_eq!(a.key_of(&stream), b.key_of(&stream));
        let held = a.lock(&stream, BRIEF).await.unwrap();
        match b.lock(&stream, BRIEF).await {
            Err(eventsource::Error::LockTimeout { stream: named, .. }) => {
                assert_eq!(named, stream);
            }
            other => panic!("expected a lock timeout, got {other:?}"),
        }
        drop(held);
        // The unlock runs in a task; the next lock waits for it, within its timeout.
        let again = b.lock(&stream, Duration::from_secs(10)).await.unwrap();
        drop(again);
        let _after = b.lock(&stream, Duration::from_secs(10)).await.unwrap();
        let other = pg_store().await.unwrap();
        let there = other.store().aggregate_locks().unwrap();
        assert_ne!(there.key_of(&stream), a.key_of(&stream), "per schema");
    }
}
