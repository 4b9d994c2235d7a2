//! [`SqliteStateStore`]: aggregate states in a table of a SQLite store's database.

use super::SqliteEventStore;
use super::connection::Database;
use super::error::backend;
use super::events;
use crate::error::{ConfigKind, Error, Result};
use crate::future::BoxFuture;
use crate::state::contract::{StateStore, StoredState};
use crate::store::backend::check_stream;
use crate::store::backend::{log_mismatch, state_conflict, unlogged_records};
use crate::store::{AppendNotifier, NewEvent, RecordedEvent};
use crate::stream::StreamId;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::fmt;
use std::sync::Arc;

const INSERT: &str = "INSERT INTO eventsource_states \
     (aggregate_type, aggregate_id, version, schema_version, state) VALUES (?1, ?2, ?3, ?4, ?5) \
     ON CONFLICT (aggregate_type, aggregate_id) DO NOTHING";

const UPDATE: &str = "UPDATE eventsource_states SET version = ?3, schema_version = ?4, state = ?5 \
     WHERE aggregate_type = ?1 AND aggregate_id = ?2 AND version = ?6";

const SELECT: &str = "SELECT version, schema_version, state FROM eventsource_states \
     WHERE aggregate_type = ?1 AND aggregate_id = ?2";

/// Aggregate states in the `eventsource_states` table of a SQLite store's database (one
/// row per aggregate: type, id, version, state schema version, state as JSON). It shares
/// the event store's connections; several processes may use one file, and of two saves at
/// one version exactly one wins (each save is one statement under SQLite's write lock).
///
/// With [`with_event_log`](Self::with_event_log), each save also appends its events to
/// the aggregate's stream in `eventsource_events`, in the same transaction.
#[derive(Clone)]
pub struct SqliteStateStore {
    db: Arc<Database>,
    appended: Arc<AppendNotifier>,
    logged: bool,
}

impl fmt::Debug for SqliteStateStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStateStore").finish_non_exhaustive()
    }
}

impl SqliteEventStore {
    /// The state store of this database, for a
    /// [`StateStoredRepository`](crate::StateStoredRepository). Its table
    /// (`eventsource_states`) is made by the store's migrations.
    pub async fn state_store(&self) -> Result<SqliteStateStore> {
        Ok(SqliteStateStore {
            db: Arc::clone(&self.db),
            appended: Arc::clone(&self.appended),
            logged: false,
        })
    }
}

impl SqliteStateStore {
    /// This store, appending the events of every save to the aggregate's stream in the
    /// event store of the same database, at the versions the state reached, in the
    /// transaction that stores the state: a save stores both or neither. The event
    /// store's feed, subscriptions and projections then see them, and the event-sourced
    /// repository can load the aggregate from them.
    pub fn with_event_log(mut self) -> Self {
        self.logged = true;
        self
    }
}

fn to_i64(stream: &StreamId, version: u64) -> Result<i64> {
    i64::try_from(version).map_err(|_| {
        Error::config(
            ConfigKind::OutOfRange,
            format!("version {version} of {stream} is beyond what the store can keep"),
        )
    })
}

impl StateStore for SqliteStateStore {
    fn load<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<Option<StoredState>>> {
        let stream = stream.clone();
        Box::pin(self.db.read(move |connection| {
            check_stream(&stream)?;
            let row = connection
                .prepare_cached(SELECT)
                .and_then(|mut select| {
                    select
                        .query_row(params![stream.aggregate_type, stream.aggregate_id], |row| {
                            Ok((
                                row.get::<_, i64>(0)?,
                                row.get::<_, i64>(1)?,
                                row.get::<_, String>(2)?,
                            ))
                        })
                        .optional()
                })
                .map_err(backend)?;
            let Some((version, schema_version, state)) = row else {
                return Ok(None);
            };
            let corrupt = |what: &str| Error::Corrupt {
                stream: stream.clone(),
                version: u64::try_from(version).unwrap_or(0),
                reason: format!("the stored state's {what} is out of range"),
            };
            Ok(Some(StoredState {
                version: u64::try_from(version).map_err(|_| corrupt("version"))?,
                schema_version: u32::try_from(schema_version)
                    .map_err(|_| corrupt("schema version"))?,
                state,
                stream,
            }))
        }))
    }

    fn save<'a>(
        &'a self,
        state: &'a StoredState,
        expected: u64,
        events: Vec<NewEvent>,
    ) -> BoxFuture<'a, Result<Vec<RecordedEvent>>> {
        let state = state.clone();
        let logged = self.logged;
        Box::pin(async move {
            let records = self
                .db
                .write(move |connection| {
                    check_stream(&state.stream)?;
                    if !logged {
                        write_state(connection, &state, expected)?;
                        return Ok(unlogged_records(&state.stream, expected, events));
                    }
                    let tx = connection
                        .transaction_with_behavior(TransactionBehavior::Immediate)
                        .map_err(backend)?;
                    write_state(&tx, &state, expected)?;
                    let stream = &state.stream;
                    let records = events::append_exact_in(&tx, stream, expected, events)?
                        .map_err(|logged| log_mismatch(stream, expected, logged))?;
                    tx.commit().map_err(backend)?;
                    Ok(records)
                })
                .await?;
            if logged && !records.is_empty() {
                self.appended.notify();
            }
            Ok(records)
        })
    }
}

/// Replaces the stored state if its version is `expected`; [`Error::Conflict`] otherwise.
fn write_state(connection: &Connection, state: &StoredState, expected: u64) -> Result<()> {
    let stream = &state.stream;
    let (version, expected_at) = (to_i64(stream, state.version)?, to_i64(stream, expected)?);
    let sql = if expected == 0 { INSERT } else { UPDATE };
    let changed = connection
        .prepare_cached(sql)
        .and_then(|mut statement| {
            let values = params![
                stream.aggregate_type,
                stream.aggregate_id,
                version,
                state.schema_version,
                state.state,
                expected_at,
            ];
            if expected == 0 {
                statement.execute(&values[..5])
            } else {
                statement.execute(values)
            }
        })
        .map_err(backend)?;
    if changed == 1 {
        return Ok(());
    }
    let actual: Option<i64> = connection
        .prepare_cached(
            "SELECT version FROM eventsource_states WHERE aggregate_type = ?1 AND aggregate_id = ?2",
        )
        .and_then(|mut select| {
            select
                .query_row(params![stream.aggregate_type, stream.aggregate_id], |row| {
                    row.get(0)
                })
                .optional()
        })
        .map_err(backend)?;
    let actual = actual.and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
    Err(state_conflict(stream, expected, actual))
}
