//! The transactional catch-up of the subscription benchmark: a projection whose handler
//! writes one row per event into a table of the store's own database, in the
//! transaction that moves the checkpoint (`#[projection(sqlite)]` and
//! `#[projection(postgres)]`).
//!
//! Each round empties the table, starts the projection from the beginning of the feed and
//! times it until it has handled the first `events` events (it is stopped there).

use crate::subscription_bench::Ticked;
use eventsource::error::BoxError;
use eventsource::prelude::*;
use eventsource::store::sqlite::rusqlite::Transaction;
use eventsource::{
    RecordedEvent,
    subscription::{StartFrom, SubscriptionOptions, SubscriptionRunner, TransactionalStore},
};
use std::time::{Duration, Instant};

/// The SQL of the table both projections write (SQLite and PostgreSQL alike).
pub const CREATE_TICKS: &str =
    "CREATE TABLE IF NOT EXISTS bench_ticks (position BIGINT NOT NULL, n BIGINT NOT NULL)";

/// How long a transactional catch-up may take.
const PATIENCE: Duration = Duration::from_secs(600);

/// Writes one row per tick into `bench_ticks` of the SQLite database.
#[derive(Debug, Default)]
pub struct SqliteTicks;

#[projection(name = "bench_ticks", sqlite)]
impl SqliteTicks {
    fn ticked(
        &mut self,
        event: &Ticked,
        envelope: &RecordedEvent,
        tx: &Transaction<'_>,
    ) -> Result<(), BoxError> {
        tx.prepare_cached("INSERT INTO bench_ticks (position, n) VALUES (?1, ?2)")?
            .execute((i64::try_from(envelope.position)?, i64::try_from(event.n)?))?;
        Ok(())
    }
}

/// Writes one row per tick into `bench_ticks` of a PostgreSQL schema.
#[cfg(feature = "postgres")]
#[derive(Debug)]
pub struct PostgresTicks {
    insert: String,
}

#[cfg(feature = "postgres")]
impl PostgresTicks {
    /// The projection for the table `bench_ticks` of `schema`.
    pub fn in_schema(schema: &str) -> Self {
        PostgresTicks {
            insert: format!("INSERT INTO \"{schema}\".bench_ticks (position, n) VALUES ($1, $2)"),
        }
    }
}

#[cfg(feature = "postgres")]
#[projection(name = "bench_ticks", postgres)]
impl PostgresTicks {
    async fn ticked(
        &mut self,
        event: &Ticked,
        envelope: &RecordedEvent,
        tx: &eventsource::store::postgres::tokio_postgres::Transaction<'_>,
    ) -> Result<(), BoxError> {
        let position = i64::try_from(envelope.position)?;
        let n = i64::try_from(event.n)?;
        tx.execute(&self.insert, &[&position, &n]).await?;
        Ok(())
    }
}

/// One transactional catch-up: `projection` from the beginning of the feed until it has
/// handled the event at `until` (the `events`th of the feed). Returns the time.
pub async fn catch_up_in_transaction<S, P>(store: &S, projection: P, until: u64) -> Duration
where
    S: TransactionalStore<P>,
    P: Send + 'static,
{
    let mut runner = SubscriptionRunner::new(store.clone());
    let started = Instant::now();
    let options = SubscriptionOptions::new().start_from(StartFrom::Beginning);
    let mut handle = runner
        .start_transactional(projection, options)
        .expect("starting the projection");
    let status = tokio::time::timeout(PATIENCE, handle.wait_for(|s| s.position >= until))
        .await
        .expect("catching up in time");
    let elapsed = started.elapsed();
    assert!(status.position >= until, "{status:?}");
    handle.stop().await.expect("stopping");
    runner.shutdown().await;
    elapsed
}

/// The position of the `n`th event of the feed (`n` from 1).
pub async fn nth_position<S: EventStore>(store: &S, n: usize) -> u64 {
    let events = store.read_all(0, n).await.expect("read_all");
    assert_eq!(events.len(), n, "the feed holds {n} events");
    events.last().map_or(0, |event| event.position)
}
