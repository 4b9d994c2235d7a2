//! Transactional projections on SQLite and PostgreSQL: the read model's writes and the
//! checkpoint commit in one transaction, so every event takes effect exactly once. The
//! board table's key is the event's position: an event applied twice would fail its
//! insert and be parked, so "every position once, nothing parked" is exactly-once.

use eventsource::RetryPolicy;
use eventsource::prelude::*;
use eventsource::store::SubscriptionStore;
use eventsource::store::sqlite::rusqlite::Connection;
use eventsource::subscription::{
    SubscriptionHandle, SubscriptionOptions, SubscriptionRunner, TransactionalStore, rebuild,
};
use eventsource_tests::board::{CREATE_BOARD, SqliteBoard};
use eventsource_tests::fixtures::{append_task_events, raw_events, task_stream};
use eventsource_tests::sqlite::TempSqliteStore;
use std::num::NonZeroUsize;
use std::time::Duration;

/// A store with a board table, and how to read it.
trait Harness {
    type Store: TransactionalStore<Self::Board>;
    type Board: Send + 'static;
    fn store(&self) -> Self::Store;
    fn board(&self, fail_at: Option<u64>) -> Self::Board;
    async fn rows(&self) -> Vec<u64>;
}

fn options() -> SubscriptionOptions {
    SubscriptionOptions::new()
        .poll_interval(Duration::from_millis(100))
        .batch_size(NonZeroUsize::new(100).unwrap())
        .retry(
            RetryPolicy::new(3)
                .unwrap()
                .backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
}

async fn live_at<P>(handle: &mut SubscriptionHandle<P>, position: u64) {
    let status = tokio::time::timeout(
        Duration::from_secs(60),
        handle.wait_for(|s| s.is_live() && s.position == position),
    )
    .await
    .unwrap_or_else(|_| panic!("not live at {position}: {:?}", handle.status()));
    assert_eq!(status.position, position, "{status:?}");
}

async fn every_event_takes_effect_once_with_its_checkpoint<H: Harness>(h: H) {
    let store = h.store();
    let feed = append_task_events(&store, 1_000, 50).await;
    let mut runner = SubscriptionRunner::new(store.clone());
    let mut handle = runner
        .start_transactional(h.board(None), options())
        .unwrap();
    live_at(&mut handle, *feed.last().unwrap()).await;
    handle.stop().await.unwrap();
    assert_eq!(h.rows().await, feed);
    assert_eq!(
        store.checkpoint("board").await.unwrap(),
        feed.last().copied()
    );
    assert!(store.parked("board").await.unwrap().is_empty());
    runner.shutdown().await;
}

async fn a_failing_event_rolls_back_its_batch_and_only_it_is_parked<H: Harness>(h: H) {
    let store = h.store();
    let feed = append_task_events(&store, 300, 50).await;
    let failing = feed[142];
    let mut runner = SubscriptionRunner::new(store.clone());
    let mut handle = runner
        .start_transactional(h.board(Some(failing)), options())
        .unwrap();
    live_at(&mut handle, *feed.last().unwrap()).await;
    handle.stop().await.unwrap();
    let expected: Vec<u64> = feed.iter().copied().filter(|&p| p != failing).collect();
    assert_eq!(
        h.rows().await,
        expected,
        "the rest of its batch is kept, once"
    );
    let parked = store.parked("board").await.unwrap();
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert_eq!((parked[0].position, parked[0].attempts), (failing, 3));
    assert!(parked[0].error.contains("refusing"), "{}", parked[0].error);
    runner.shutdown().await;
}

async fn a_restart_resumes_after_the_committed_batch<H: Harness>(h: H) {
    let store = h.store();
    append_task_events(&store, 120, 50).await;
    let mut runner = SubscriptionRunner::new(store.clone());
    let mut handle = runner
        .start_transactional(h.board(None), options())
        .unwrap();
    live_at(&mut handle, store.head_position().await.unwrap()).await;
    handle.stop().await.unwrap();
    let feed = append_task_events(&store, 30, 50).await;
    let mut handle = runner
        .start_transactional(h.board(None), options())
        .unwrap();
    live_at(&mut handle, *feed.last().unwrap()).await;
    handle.stop().await.unwrap();
    assert_eq!(h.rows().await, feed);
    assert!(
        store.parked("board").await.unwrap().is_empty(),
        "nothing applied twice"
    );
    runner.shutdown().await;
}

async fn rebuild_clears_the_read_model_and_replays_it<H: Harness>(h: H) {
    let store = h.store();
    let feed = append_task_events(&store, 80, 50).await;
    let mut runner = SubscriptionRunner::new(store.clone());
    let mut handle = runner
        .start_transactional(h.board(None), options())
        .unwrap();
    live_at(&mut handle, *feed.last().unwrap()).await;
    let board = handle.stop().await.unwrap();
    rebuild(&store, board).await.unwrap();
    assert!(h.rows().await.is_empty());
    assert_eq!(store.checkpoint("board").await.unwrap(), None);
    let mut handle = runner
        .start_transactional(h.board(None), options())
        .unwrap();
    live_at(&mut handle, *feed.last().unwrap()).await;
    handle.stop().await.unwrap();
    assert_eq!(h.rows().await, feed);
    runner.shutdown().await;
}

/// Exactly once with the transactional checkpoint: 8 writers append while the projection
/// follows live.
async fn concurrent_writers_while_live_take_effect_exactly_once<H: Harness>(h: H) {
    let store = h.store();
    let mut runner = SubscriptionRunner::new(store.clone());
    let mut handle = runner
        .start_transactional(h.board(None), options())
        .unwrap();
    live_at(&mut handle, 0).await;
    let writers: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                for _ in 0..25 {
                    store
                        .append(&task_stream(), ExpectedVersion::NoStream, raw_events(2))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let feed = append_task_events(&store, 0, 50).await;
    assert_eq!(feed.len(), 400);
    live_at(&mut handle, *feed.last().unwrap()).await;
    handle.stop().await.unwrap();
    assert_eq!(h.rows().await, feed);
    assert!(store.parked("board").await.unwrap().is_empty());
    runner.shutdown().await;
}

macro_rules! cases {
    ($harness:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn every_event_takes_effect_once_with_its_checkpoint() {
            if let Some(h) = $harness.await {
                super::every_event_takes_effect_once_with_its_checkpoint(h).await;
            }
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_failing_event_rolls_back_its_batch_and_only_it_is_parked() {
            if let Some(h) = $harness.await {
                super::a_failing_event_rolls_back_its_batch_and_only_it_is_parked(h).await;
            }
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_restart_resumes_after_the_committed_batch() {
            if let Some(h) = $harness.await {
                super::a_restart_resumes_after_the_committed_batch(h).await;
            }
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn concurrent_writers_while_live_take_effect_exactly_once() {
            if let Some(h) = $harness.await {
                super::concurrent_writers_while_live_take_effect_exactly_once(h).await;
            }
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn rebuild_clears_the_read_model_and_replays_it() {
            if let Some(h) = $harness.await {
                super::rebuild_clears_the_read_model_and_replays_it(h).await;
            }
        }
    };
}

/// A SQLite database file with the board table.
pub struct Sqlite(TempSqliteStore);

impl Sqlite {
    async fn new() -> Option<Self> {
        let store = TempSqliteStore::new().await.unwrap();
        raw(&store).execute_batch(CREATE_BOARD).unwrap();
        Some(Sqlite(store))
    }
}

fn raw(store: &TempSqliteStore) -> Connection {
    Connection::open(store.dir().join("events.db")).unwrap()
}

impl Harness for Sqlite {
    type Store = TempSqliteStore;
    type Board = SqliteBoard;

    fn store(&self) -> TempSqliteStore {
        self.0.clone()
    }

    fn board(&self, fail_at: Option<u64>) -> SqliteBoard {
        SqliteBoard {
            fail_at,
            delay: None,
        }
    }

    async fn rows(&self) -> Vec<u64> {
        let connection = raw(&self.0);
        let mut statement = connection
            .prepare("SELECT position FROM board ORDER BY position")
            .unwrap();
        statement
            .query_map([], |row| row.get::<_, i64>(0))
            .unwrap()
            .map(|p| u64::try_from(p.unwrap()).unwrap())
            .collect()
    }
}

mod sqlite {
    cases!(super::Sqlite::new());
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::Harness;
    use eventsource_tests::board::{CREATE_BOARD, PostgresBoard};
    use eventsource_tests::postgres::{PgTestStore, pg_store};

    /// A PostgreSQL test schema with the board table.
    pub struct Postgres(PgTestStore);

    impl Postgres {
        pub async fn new() -> Option<Self> {
            let store = pg_store().await?;
            let create =
                CREATE_BOARD.replace("board", &format!("\"{}\".board", store.schema_name()));
            let client = store.pool().get().await.unwrap();
            client.batch_execute(&create).await.unwrap();
            Some(Postgres(store))
        }
    }

    impl Harness for Postgres {
        type Store = PgTestStore;
        type Board = PostgresBoard;

        fn store(&self) -> PgTestStore {
            self.0.clone()
        }

        fn board(&self, fail_at: Option<u64>) -> PostgresBoard {
            PostgresBoard {
                fail_at,
                ..PostgresBoard::in_schema(self.0.schema_name())
            }
        }

        async fn rows(&self) -> Vec<u64> {
            let client = self.0.pool().get().await.unwrap();
            let sql = format!(
                "SELECT position FROM \"{}\".board ORDER BY position",
                self.0.schema_name()
            );
            client
                .query(&sql, &[])
                .await
                .unwrap()
                .iter()
                .map(|row| u64::try_from(row.get::<_, i64>(0)).unwrap())
                .collect()
        }
    }

    cases!(Postgres::new());
}
