//! Every repository kind (event-sourced, caching, locking, state-stored) has the same six
//! command forms — `update`, `create`, `create_or_update`, each also with a command that
//! awaits — with the same rules: which ids each accepts, and an awaiting command run again
//! on the fresh state after a conflict.

use eventsource::lock::AggregateLocks;
use eventsource::prelude::*;
use eventsource::state::InMemoryStateStore;
use eventsource::{Error, StateStoredRepository, StreamId, repository::CacheOptions};
use eventsource_tests::fixtures::{Account, Deposited};
use std::convert::Infallible;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

fn deposit(amount: i64) -> impl Fn(&Account) -> Result<Deposited, Infallible> {
    move |_| Ok(Deposited { amount })
}

fn assert_already_exists<T: std::fmt::Debug>(result: Result<T, UpdateError<Infallible>>, id: Uuid) {
    match result {
        Err(UpdateError::Failed(Error::AlreadyExists {
            aggregate_type,
            aggregate_id,
        })) => assert_eq!(
            (aggregate_type, aggregate_id),
            ("Account".to_string(), id.to_string())
        ),
        other => panic!("expected AlreadyExists for {id}, got {other:?}"),
    }
}

fn assert_not_found<T: std::fmt::Debug>(result: Result<T, UpdateError<Infallible>>) {
    match result {
        Err(UpdateError::Failed(Error::NotFound { .. })) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

/// The six forms on `$repo`; `$interfere` is an expression that saves a deposit of 10 to
/// the given id behind `$repo`'s back (through another repository), so that `$repo`'s
/// next save of it conflicts.
macro_rules! the_six_forms {
    ($repo:expr, $interfere:expr) => {{
        let repo = $repo;
        let interfere = $interfere;

        // create / create_async: new ids only.
        let id = Uuid::now_v7();
        assert_eq!(repo.create(id, deposit(5)).await.unwrap().balance, 5);
        assert_already_exists(repo.create(id, deposit(1)).await, id);
        assert_already_exists(
            repo.create_async(id, async |_: &Account| Ok(Deposited { amount: 1 }))
                .await,
            id,
        );
        let other = Uuid::now_v7();
        let created = repo
            .create_async(other, async |account: &Account| {
                tokio::task::yield_now().await;
                Ok::<_, Infallible>(Deposited {
                    amount: account.balance + 7,
                })
            })
            .await
            .unwrap();
        assert_eq!((created.version(), created.balance), (1, 7));

        // update / update_async: stored ids only.
        assert_not_found(repo.update(Uuid::now_v7(), deposit(1)).await);
        assert_not_found(
            repo.update_async(Uuid::now_v7(), async |_: &Account| {
                Ok(Deposited { amount: 1 })
            })
            .await,
        );
        let updated = repo
            .update_async(id, async |account: &Account| {
                Ok::<_, Infallible>(Deposited {
                    amount: account.balance,
                })
            })
            .await
            .unwrap();
        assert_eq!((updated.version(), updated.balance), (2, 10));

        // create_or_update / create_or_update_async: either.
        let third = Uuid::now_v7();
        let first = repo
            .create_or_update_async(third, async |_: &Account| {
                Ok::<_, Infallible>(Deposited { amount: 2 })
            })
            .await
            .unwrap();
        assert_eq!((first.version(), first.balance), (1, 2));
        let second = repo
            .create_or_update_async(third, async |_: &Account| {
                Ok::<_, Infallible>(Deposited { amount: 3 })
            })
            .await
            .unwrap();
        assert_eq!((second.version(), second.balance), (2, 5));

        // A rejected command writes nothing and is returned as such.
        match repo
            .update_async(third, async |_: &Account| Err::<Deposited, _>("no"))
            .await
        {
            Err(UpdateError::Rejected("no")) => {}
            other => panic!("expected the command's own error, got {other:?}"),
        }

        // After a conflict, the awaiting command runs again on the fresh state.
        let seen = Mutex::new(Vec::new());
        let interfered = AtomicBool::new(false);
        let saved = repo
            .update_async(third, async |account: &Account| {
                seen.lock().unwrap().push(account.balance);
                if !interfered.swap(true, Ordering::SeqCst) {
                    interfere(third).await;
                }
                Ok::<_, Infallible>(Deposited { amount: 100 })
            })
            .await
            .unwrap();
        assert_eq!(
            *seen.lock().unwrap(),
            vec![5, 15],
            "run again on the fresh state"
        );
        assert_eq!((saved.version(), saved.balance), (4, 115));
    }};
}

#[tokio::test]
async fn the_event_sourced_repository_has_the_six_forms() {
    let repo = Repository::<Account, _>::new(InMemoryEventStore::new());
    let behind = repo.clone();
    the_six_forms!(repo, async |id| {
        behind.update(id, deposit(10)).await.unwrap();
    });
}

#[tokio::test]
async fn the_caching_repository_has_the_six_forms() {
    let store = InMemoryEventStore::new();
    let repo = Repository::<Account, _>::new(store.clone()).caching(CacheOptions::new(100));
    let behind = Repository::<Account, _>::new(store);
    the_six_forms!(&repo, async |id| {
        behind.update(id, deposit(10)).await.unwrap();
    });
    assert!(
        repo.stats().stale_conflicts >= 1,
        "the interfering save made the cached entry stale: {:?}",
        repo.stats()
    );
}

#[tokio::test]
async fn the_locking_repository_has_the_six_forms() {
    let store = InMemoryEventStore::new();
    let repo = Repository::<Account, _>::new(store.clone()).locking();
    // A plain repository bypasses the lock, so it can save while the command holds it.
    let behind = Repository::<Account, _>::new(store);
    the_six_forms!(&repo, async |id| {
        behind.update(id, deposit(10)).await.unwrap();
    });
}

#[tokio::test]
async fn the_state_stored_repository_has_the_six_forms() {
    let store = InMemoryStateStore::new();
    let repo = StateStoredRepository::<Account, _>::new(store.clone());
    let behind = StateStoredRepository::<Account, _>::new(store);
    the_six_forms!(&repo, async |id| {
        behind.update(id, deposit(10)).await.unwrap();
    });
}

#[tokio::test]
async fn a_locking_command_holds_the_lock_across_its_retries() {
    let store = InMemoryEventStore::new();
    let repo = Repository::<Account, _>::new(store.clone()).locking();
    let id = Uuid::now_v7();
    repo.create(id, deposit(1)).await.unwrap();
    let behind = Repository::<Account, _>::new(store);
    let waiting = Mutex::new(None);
    let saved = repo
        .update_async(id, async |account: &Account| {
            let stream = StreamId::new("Account", id.to_string());
            assert!(
                repo.in_process_locks()
                    .lock(&stream, Duration::from_millis(5))
                    .await
                    .is_err(),
                "the aggregate's lock is held while the command runs"
            );
            if account.balance == 1 {
                // First run: another locking writer queues for the lock, then a writer that
                // bypasses it saves, so this run's save conflicts.
                let other = repo.clone();
                let queued = tokio::spawn(async move { other.update(id, deposit(1000)).await });
                tokio::time::sleep(Duration::from_millis(20)).await;
                *waiting.lock().unwrap() = Some(queued);
                behind.update(id, deposit(10)).await.unwrap();
            }
            Ok::<_, Infallible>(Deposited { amount: 100 })
        })
        .await
        .unwrap();
    // The retry ran under the same lock: the queued writer came after it, not in between.
    assert_eq!((saved.version(), saved.balance), (3, 111));
    let queued = waiting
        .lock()
        .unwrap()
        .take()
        .expect("the first run queued a writer");
    let after = queued.await.unwrap().unwrap();
    assert_eq!((after.version(), after.balance), (4, 1111));
}
