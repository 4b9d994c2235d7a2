//! The caching repository: a hit reads nothing from the store; a stale entry (another
//! repository saved since) makes the save conflict, is dropped, and `update` reloads, so
//! no write is ever lost; 8 tasks x 200 updates through the cache end at version 1,600 on
//! every store; capacity, weight and time-to-idle bound the cache.

use eventsource::prelude::*;
use eventsource::{CachingRepository, RetryPolicy, repository::CacheOptions};
use eventsource_tests::counting::Counting;
use eventsource_tests::fixtures::{Account, Deposited};
use eventsource_tests::sqlite::TempSqliteStore;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

fn deposit(amount: i64) -> impl Fn(&Account) -> Result<Deposited, Infallible> {
    move |_| Ok(Deposited { amount })
}

#[tokio::test]
async fn a_hit_reads_nothing_from_the_store() {
    let store = Counting::new(InMemoryEventStore::new());
    let repo = Repository::<Account, _>::new(store.clone()).caching(CacheOptions::new(100));
    let id = Uuid::now_v7();
    repo.create_or_update(id, deposit(5)).await.unwrap();
    let (reads, appends) = (store.reads(), store.appends());
    assert_eq!(appends, 1);

    let account = repo.load(id).await.unwrap();
    assert_eq!((account.version(), account.balance), (1, 5));
    let saved = repo.update(id, deposit(7)).await.unwrap();
    assert_eq!((saved.version(), saved.balance), (2, 12));
    assert_eq!(store.reads(), reads, "hits read nothing");
    assert_eq!(store.appends(), appends + 1, "the save appends");
    let stats = repo.stats();
    assert_eq!(
        (stats.hits, stats.stale_conflicts, stats.entries),
        (2, 0, 1)
    );

    repo.evict(&id);
    let account = repo.load(id).await.unwrap();
    assert_eq!(account.balance, 12);
    assert!(store.reads() > reads, "a miss reads the store");
    assert_eq!(repo.stats().misses, stats.misses + 1);
}

/// A plain repository and a second cache write the aggregate while `cached` holds it:
/// every write survives, and `cached` saw its entry go stale.
async fn a_write_through_another_repository_is_never_lost<S: EventStore + Clone>(store: S) {
    let cached = Repository::<Account, _>::new(store.clone()).caching(CacheOptions::new(100));
    let other_cache = Repository::<Account, _>::new(store.clone()).caching(CacheOptions::new(100));
    let plain = Repository::<Account, _>::new(store);
    let id = Uuid::now_v7();
    cached.create_or_update(id, deposit(1)).await.unwrap();
    plain.update(id, deposit(10)).await.unwrap();
    let saved = cached.update(id, deposit(100)).await.unwrap();
    assert_eq!((saved.version(), saved.balance), (3, 111));
    assert_eq!(cached.stats().stale_conflicts, 1);

    // Two caches taking turns: each one's entry is stale at every other turn.
    for n in 0..20 {
        let (first, second) = if n % 2 == 0 {
            (&cached, &other_cache)
        } else {
            (&other_cache, &cached)
        };
        first.update(id, deposit(1)).await.unwrap();
        second.update(id, deposit(1)).await.unwrap();
    }
    let account = plain.load(id).await.unwrap();
    assert_eq!((account.version(), account.balance), (43, 151));
    assert!(cached.stats().stale_conflicts > 1);
    // A stale entry is served by `load`, and the store's state by the repository.
    assert_eq!(cached.repository().load(id).await.unwrap().balance, 151);
}

/// 8 tasks of 200 updates on one aggregate through one cache.
async fn eight_tasks_of_two_hundred_cached_updates<S: EventStore + Clone>(store: S, name: &str) {
    // What is tested is that no write is lost through the cache, not how long the
    // default policy holds out: on a loaded 2-core machine, 8 writers of one aggregate
    // through a cache that drops its entry on every conflict once ran out of the
    // default 50 attempts. The default policy's own test is `contention.rs`.
    let patient = RetryPolicy::new(500)
        .expect("a policy of 500 attempts")
        .backoff(Duration::from_millis(1), Duration::from_millis(50));
    let repo: CachingRepository<Account, S> = Repository::new(store.clone())
        .with_retry(patient)
        .caching(CacheOptions::new(100));
    let id = Uuid::now_v7();
    let runs = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (repo, runs) = (repo.clone(), Arc::clone(&runs));
            tokio::spawn(async move {
                for _ in 0..200 {
                    repo.create_or_update(id, |_| {
                        runs.fetch_add(1, Ordering::Relaxed);
                        Ok::<_, Infallible>(Deposited { amount: 1 })
                    })
                    .await
                    .unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let stats = repo.stats();
    eprintln!("{name}: {stats:?}, {} runs", runs.load(Ordering::Relaxed));
    let account = Repository::<Account, _>::new(store).load(id).await.unwrap();
    assert_eq!((account.version(), account.balance), (1600, 1600));
    let cached = repo.load(id).await.unwrap();
    assert_eq!(cached.version(), 1600, "the cache holds the newest save");
    assert!(stats.hits > 0);
}

#[tokio::test]
async fn capacity_and_weight_bound_the_cache() {
    let store = Counting::new(InMemoryEventStore::new());
    let repo = Repository::<Account, _>::new(store.clone()).caching(CacheOptions::new(2));
    for _ in 0..10 {
        repo.create_or_update(Uuid::now_v7(), deposit(1))
            .await
            .unwrap();
    }
    let stats = repo.stats();
    assert!(stats.entries <= 2, "{stats:?}");
    assert!(stats.evictions >= 8, "{stats:?}");

    // Weighed by balance: an account heavier than the whole capacity is never kept.
    let weighed = Repository::<Account, _>::new(store.clone())
        .caching(CacheOptions::new(10).weigh(|account: &Account| account.balance as u32));
    let (light, heavy) = (Uuid::now_v7(), Uuid::now_v7());
    weighed.create_or_update(light, deposit(5)).await.unwrap();
    weighed.create_or_update(heavy, deposit(50)).await.unwrap();
    // The cache applies its bounds in its housekeeping, which reading the stats runs.
    assert!(weighed.stats().evictions >= 1);
    let reads = store.reads();
    weighed.load(light).await.unwrap();
    assert_eq!(store.reads(), reads, "the light one is cached");
    weighed.load(heavy).await.unwrap();
    assert_eq!(store.reads(), reads + 1, "the heavy one is not");
}

/// Saves replace the cached state in place; with a weigher they enter it anew, so that an
/// aggregate that grows past the capacity through its saves is weighed again and dropped.
#[tokio::test]
async fn saves_replace_the_entry_and_a_weighed_one_is_weighed_again() {
    let store = Counting::new(InMemoryEventStore::new());
    let repo = Repository::<Account, _>::new(store.clone()).caching(CacheOptions::new(10));
    let id = Uuid::now_v7();
    repo.create_or_update(id, deposit(1)).await.unwrap();
    for _ in 0..5 {
        repo.update(id, deposit(2)).await.unwrap();
    }
    let reads = store.reads();
    let account = repo.load(id).await.unwrap();
    assert_eq!((account.version(), account.balance), (6, 11));
    assert_eq!(
        store.reads(),
        reads,
        "the newest state is served from the cache"
    );

    let weighed = Repository::<Account, _>::new(store.clone())
        .caching(CacheOptions::new(10).weigh(|account: &Account| account.balance as u32));
    let grows = Uuid::now_v7();
    weighed.create_or_update(grows, deposit(4)).await.unwrap();
    weighed.update(grows, deposit(4)).await.unwrap();
    let reads = store.reads();
    weighed.load(grows).await.unwrap();
    assert_eq!(store.reads(), reads, "at weight 8 it is cached");
    weighed.update(grows, deposit(4)).await.unwrap();
    assert!(weighed.stats().evictions >= 1, "at weight 12 it is dropped");
    let reads = store.reads();
    let account = weighed.load(grows).await.unwrap();
    assert_eq!(account.balance, 12);
    assert_eq!(store.reads(), reads + 1, "and read from the store again");
}

#[tokio::test]
async fn an_idle_entry_expires() {
    let store = Counting::new(InMemoryEventStore::new());
    let repo = Repository::<Account, _>::new(store.clone())
        .caching(CacheOptions::new(100).time_to_idle(Duration::from_millis(50)));
    let id = Uuid::now_v7();
    repo.create_or_update(id, deposit(1)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let reads = store.reads();
    assert_eq!(repo.load(id).await.unwrap().balance, 1);
    assert_eq!(store.reads(), reads + 1, "expired: read again");
    assert_eq!(repo.stats().evictions, 1);
}

#[tokio::test]
async fn a_missing_aggregate_is_not_found_and_not_cached() {
    let repo =
        Repository::<Account, _>::new(InMemoryEventStore::new()).caching(CacheOptions::new(10));
    let id = Uuid::now_v7();
    assert!(matches!(
        repo.load(id).await,
        Err(eventsource::Error::NotFound { .. })
    ));
    assert!(matches!(
        repo.update(id, deposit(1)).await,
        Err(UpdateError::Failed(eventsource::Error::NotFound { .. }))
    ));
    assert_eq!(repo.load_or_create(id).await.unwrap().version(), 0);
    assert_eq!(repo.stats().entries, 0);
}

mod in_memory {
    use super::*;

    #[tokio::test]
    async fn a_write_through_another_repository_is_never_lost() {
        super::a_write_through_another_repository_is_never_lost(InMemoryEventStore::new()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn eight_tasks_of_two_hundred_updates() {
        eight_tasks_of_two_hundred_cached_updates(InMemoryEventStore::new(), "in-memory").await;
    }
}

mod sqlite {
    use super::*;

    #[tokio::test]
    async fn a_write_through_another_repository_is_never_lost() {
        let store = TempSqliteStore::new().await.unwrap();
        super::a_write_through_another_repository_is_never_lost(store).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn eight_tasks_of_two_hundred_updates() {
        let store = TempSqliteStore::new().await.unwrap();
        eight_tasks_of_two_hundred_cached_updates(store, "SQLite").await;
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;
    use eventsource_tests::postgres::pg_store;

    #[tokio::test]
    async fn a_write_through_another_repository_is_never_lost() {
        let Some(store) = pg_store().await else {
            return;
        };
        super::a_write_through_another_repository_is_never_lost(store).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn eight_tasks_of_two_hundred_updates() {
        let Some(store) = pg_store().await else {
            return;
        };
        eight_tasks_of_two_hundred_cached_updates(store, "PostgreSQL").await;
    }
}
