//! The futures of the locking and caching repositories and of `load_at` are `Send`, so
//! they run on any task (checked at compile time; the test only has to build).

use eventsource::prelude::*;
use eventsource::repository::CacheOptions;
use eventsource_tests::fixtures::{Account, Deposited};
use eventsource_tests::sqlite::TempSqliteStore;
use std::convert::Infallible;

fn assert_send<T: Send>(_: &T) {}

#[tokio::test]
async fn repository_kinds_futures_are_send() {
    let store = TempSqliteStore::new().await.unwrap();
    let deposit = |_: &Account| Ok::<_, Infallible>(Deposited { amount: 1 });
    let id = Uuid::now_v7();
    let locking = Repository::<Account, _>::new(store.clone())
        .locking()
        .across_processes(store.aggregate_locks().unwrap());
    assert_send(&locking.lock(id));
    assert_send(&locking.lock_or_create(id));
    assert_send(&locking.update(id, deposit));
    assert_send(&locking.create_or_update(id, deposit));
    let mut held = locking.lock_or_create(id).await.unwrap();
    assert_send(&held.save());
    drop(held);

    let caching = Repository::<Account, _>::new(store.clone()).caching(CacheOptions::new(1));
    let mut root = caching.repository().create_new(id);
    assert_send(&caching.load(id));
    assert_send(&caching.load_or_create(id));
    assert_send(&caching.save(&mut root));
    assert_send(&caching.update(id, deposit));
    assert_send(&caching.create_or_update(id, deposit));
    assert_send(&caching.repository().load_at(id, 1));
}
