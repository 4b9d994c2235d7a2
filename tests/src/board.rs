//! Transactional test projections: one row per handled event in a `board` table of the
//! store's own database, written in the transaction that moves the checkpoint. The row's
//! key is the event's position, so an event taking effect twice would fail the insert:
//! a test that finds every position once and nothing parked has seen exactly-once.

use crate::fixtures::TaskAssigned;
use eventsource::RecordedEvent;
use eventsource::error::BoxError;
use eventsource::prelude::*;
use eventsource::store::sqlite::rusqlite::{self, Transaction};
use std::time::Duration;

/// The SQL that makes the `board` table (SQLite and PostgreSQL alike).
pub const CREATE_BOARD: &str =
    "CREATE TABLE IF NOT EXISTS board (position BIGINT PRIMARY KEY, process BIGINT NOT NULL)";

/// The SQLite board.
#[derive(Debug, Default)]
pub struct SqliteBoard {
    /// Refuses the event at this position, every time.
    pub fail_at: Option<u64>,
    /// Sleeps this long in each handler (to be killed in the middle of a catch-up).
    pub delay: Option<Duration>,
}

#[projection(name = "board", sqlite, clear = clear_board)]
impl SqliteBoard {
    fn assigned(
        &mut self,
        _: &TaskAssigned,
        envelope: &RecordedEvent,
        tx: &Transaction<'_>,
    ) -> Result<(), BoxError> {
        if self.fail_at == Some(envelope.position) {
            return Err(format!("refusing position {}", envelope.position).into());
        }
        if let Some(delay) = self.delay {
            std::thread::sleep(delay);
        }
        let position = i64::try_from(envelope.position)?;
        tx.execute(
            "INSERT INTO board (position, process) VALUES (?1, ?2)",
            (position, i64::from(std::process::id())),
        )?;
        Ok(())
    }
}

impl SqliteBoard {
    fn clear_board(&mut self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        tx.execute("DELETE FROM board", []).map(drop)
    }
}

/// The PostgreSQL board.
#[cfg(feature = "postgres")]
#[derive(Debug, Default)]
pub struct PostgresBoard {
    /// The table, qualified by the test's schema (`"schema".board`).
    pub table: String,
    /// Refuses the event at this position, every time.
    pub fail_at: Option<u64>,
    /// Sleeps this long in each handler.
    pub delay: Option<Duration>,
}

#[cfg(feature = "postgres")]
#[projection(name = "board", postgres, clear = clear_board)]
impl PostgresBoard {
    async fn assigned(
        &mut self,
        _: &TaskAssigned,
        envelope: &RecordedEvent,
        tx: &eventsource::store::postgres::tokio_postgres::Transaction<'_>,
    ) -> Result<(), BoxError> {
        if self.fail_at == Some(envelope.position) {
            return Err(format!("refusing position {}", envelope.position).into());
        }
        if let Some(delay) = self.delay {
            tokio::time::sleep(delay).await;
        }
        let position = i64::try_from(envelope.position)?;
        let insert = format!(
            "INSERT INTO {} (position, process) VALUES ($1, $2)",
            self.table
        );
        tx.execute(&insert, &[&position, &i64::from(std::process::id())])
            .await?;
        Ok(())
    }
}

#[cfg(feature = "postgres")]
impl PostgresBoard {
    /// A board in the table `board` of `schema`.
    pub fn in_schema(schema: &str) -> Self {
        PostgresBoard {
            table: format!("\"{schema}\".board"),
            ..Self::default()
        }
    }

    async fn clear_board(
        &mut self,
        tx: &eventsource::store::postgres::tokio_postgres::Transaction<'_>,
    ) -> Result<(), BoxError> {
        tx.execute(&format!("DELETE FROM {}", self.table), &[])
            .await?;
        Ok(())
    }
}
