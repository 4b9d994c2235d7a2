//! `#[projection(postgres)]`: plain and `async` handlers and `clear` methods, compiled
//! only (running them needs a PostgreSQL server); `main` checks the constants.

use eventsource::prelude::*;
use eventsource::store::postgres::tokio_postgres::{self, Transaction};
use eventsource::{RecordedEvent, subscription::PostgresProjection};

#[event]
pub struct TaskCreated {
    pub title: String,
}

#[event(name = "TaskDone")]
pub struct TaskCompleted;

/// The open tasks, in the table `open_tasks`.
pub struct OpenTasks;

#[projection(name = "open_tasks", postgres, clear = clear_tasks)]
impl OpenTasks {
    /// `async`, fallible.
    async fn created(
        &mut self,
        event: &TaskCreated,
        envelope: &RecordedEvent,
        tx: &Transaction<'_>,
    ) -> Result<(), tokio_postgres::Error> {
        tx.execute(
            "INSERT INTO open_tasks (id, title) VALUES ($1, $2)",
            &[&envelope.stream.aggregate_id, &event.title],
        )
        .await?;
        Ok(())
    }

    /// Plain, returning nothing.
    fn completed(&mut self, _: &TaskCompleted, _: &RecordedEvent, _: &Transaction<'_>) {}
}

impl OpenTasks {
    /// An `async` `clear`.
    async fn clear_tasks(&mut self, tx: &Transaction<'_>) -> Result<(), tokio_postgres::Error> {
        tx.execute("DELETE FROM open_tasks", &[]).await?;
        Ok(())
    }
}

/// A plain `clear`, returning `()`.
pub struct Titles;

#[projection(postgres, clear = forget)]
impl Titles {
    fn created(&mut self, _: &TaskCreated, _: &RecordedEvent, _: &Transaction<'_>) {}
}

impl Titles {
    fn forget(&mut self, _: &Transaction<'_>) {}
}

/// Without `clear`.
pub struct Counter;

#[projection(postgres)]
impl Counter {
    async fn created(&mut self, _: &TaskCreated, _: &RecordedEvent, _: &Transaction<'_>) {}
}

/// The transactional store's requirement on the projection.
fn is_postgres_projection<P: PostgresProjection>() {}

fn main() {
    is_postgres_projection::<OpenTasks>();
    is_postgres_projection::<Titles>();
    is_postgres_projection::<Counter>();
    assert_eq!(OpenTasks::NAME, "open_tasks");
    assert_eq!(OpenTasks::EVENT_TYPES, ["TaskCreated", "TaskDone"]);
    assert_eq!(Titles::NAME, "Titles");
    assert_eq!(Counter::EVENT_TYPES, ["TaskCreated"]);
}
