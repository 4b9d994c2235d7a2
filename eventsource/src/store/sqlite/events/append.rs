//! Appends: the one-statement insert for the common cases, and the careful path that
//! tells a conflict from a retried batch.

use super::{read_stream_range, storable, stream_version, to_sql_int};
use crate::error::{Error, Result};
use crate::store::backend::{self as kit, BatchIdentity, classify_batch};
use crate::store::sqlite::error::backend;
use crate::store::sqlite::rows::{self, uuid_text};
use crate::store::{AppendOutcome, ExpectedVersion, NewEvent, RecordedEvent, StreamId};
use rusqlite::{Connection, ErrorCode, Transaction, params};
use std::borrow::Cow;

const SELECT_STORED_ID: &str = "SELECT version FROM eventsource_events \
     WHERE aggregate_type = ?1 AND aggregate_id = ?2 AND event_id = ?3";

const INSERT_EVENT: &str = "INSERT INTO eventsource_events (aggregate_type, aggregate_id, \
     version, event_id, event_type, schema_version, payload, correlation_id, causation_id, \
     extra, occurred_at, codec, payload_binary) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

/// [`INSERT_EVENT`] only if the stream holds the version before (`?3 - 1`): the version
/// check and the insert in one statement, one descent of the (stream, version) index.
const INSERT_EVENT_AFTER: &str = "INSERT INTO eventsource_events (aggregate_type, \
     aggregate_id, version, event_id, event_type, schema_version, payload, correlation_id, \
     causation_id, extra, occurred_at, codec, payload_binary) \
     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13 WHERE EXISTS (SELECT 1 FROM \
     eventsource_events WHERE aggregate_type = ?1 AND aggregate_id = ?2 AND version = ?3 - 1)";

/// Appends inside the transaction the writer opened for it (`BEGIN IMMEDIATE`, see
/// [`super::group`]): taking the write lock first makes the version check and the insert
/// one step, across connections and processes. On an error the writer rolls back whatever
/// this wrote.
///
/// The common cases take the short way, one statement per event: a new stream
/// (`NoStream`, `Exact(0)`) is inserted at version 1 with no lookup, and for `Exact(n)` the
/// first event is inserted at `n + 1` only if version `n` is stored; the unique keys on
/// (stream, version) and (stream, event id) refuse what a lookup of the version and the
/// ids would have found (a version past `n`, an id stored already). Only when a key
/// refuses an insert, or version `n` is missing, does the careful way tell a retry from a
/// duplicate from a conflict.
pub(in crate::store::sqlite) fn append(
    connection: &Connection,
    stream: &StreamId,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
) -> Result<AppendOutcome> {
    let base = match expected {
        _ if events.is_empty() => None,
        ExpectedVersion::NoStream => Some(0),
        // Only versions SQLite can store: beyond them the careful way reports the conflict.
        ExpectedVersion::Exact(n) if storable(n, events.len()) => Some(n),
        _ => None,
    };
    if let Some(base) = base
        && let Some(positions) = insert_unless_refused(connection, stream, base, &events)?
    {
        return Ok(AppendOutcome {
            records: records(events, stream, base, positions),
            already_stored: false,
        });
    }
    append_carefully(connection, stream, expected, events)
}

/// Inserts `events` after version `base`; `None`, having written nothing, when version
/// `base` is not stored (for `base > 0`) or a unique key refuses one of them. A batch of several events is inserted under a savepoint of
/// its own, so that a refusal takes back the events inserted before it.
fn insert_unless_refused(
    connection: &Connection,
    stream: &StreamId,
    base: u64,
    events: &[NewEvent],
) -> Result<Option<Vec<u64>>> {
    let several = events.len() > 1;
    if several {
        connection
            .execute_batch("SAVEPOINT eventsource_insert")
            .map_err(backend)?;
    }
    let inserted = insert_rows(connection, stream, base, true, events);
    let refused = matches!(&inserted, Err(Insert::Refused(_) | Insert::NoBase));
    if several {
        let end = if refused {
            "ROLLBACK TO eventsource_insert; RELEASE eventsource_insert"
        } else {
            "RELEASE eventsource_insert"
        };
        connection.execute_batch(end).map_err(backend)?;
    }
    match inserted {
        Ok(positions) => Ok(Some(positions)),
        Err(Insert::Refused(_) | Insert::NoBase) => Ok(None),
        Err(Insert::Failed(error)) => Err(error),
    }
}

/// The careful way: look the stream's version and the batch's ids up, then decide.
fn append_carefully(
    connection: &Connection,
    stream: &StreamId,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
) -> Result<AppendOutcome> {
    let actual = stream_version(connection, stream)?;
    let batch_ids: Vec<_> = events.iter().map(|e| e.metadata.event_id).collect();
    let mut stored = Vec::new();
    if actual > 0 {
        let mut statement = connection
            .prepare_cached(SELECT_STORED_ID)
            .map_err(backend)?;
        let mut buffer = [0; 36];
        for id in &batch_ids {
            let mut found = statement
                .query(params![
                    stream.aggregate_type,
                    stream.aggregate_id,
                    uuid_text(id, &mut buffer)
                ])
                .map_err(backend)?;
            if let Some(row) = found.next().map_err(backend)? {
                let version = rows::stream_version(stream, row.get_ref(0).map_err(backend)?)?;
                stored.push((*id, version));
            }
        }
    }
    if let BatchIdentity::Retry { first_version } =
        classify_batch(stream, expected, &batch_ids, &stored)?
    {
        let records = read_stream_range(
            connection,
            stream,
            first_version - 1,
            Some(events.len() as u64),
        )?;
        return Ok(AppendOutcome {
            records,
            already_stored: true,
        });
    }
    kit::check_version(stream, expected, actual)?;
    if events.is_empty() {
        return Ok(AppendOutcome {
            records: Vec::new(),
            already_stored: false,
        });
    }
    let positions = insert_rows(connection, stream, actual, false, &events)
        .map_err(|insert| insert.into_error(connection, stream, expected))?;
    Ok(AppendOutcome {
        records: records(events, stream, actual, positions),
        already_stored: false,
    })
}

/// Appends `events` at versions `expected + 1 ..` inside `tx`, for a logging state store:
/// `Ok(Err(actual))`, writing nothing, when the stream's version is `actual`, not
/// `expected`.
pub(in crate::store::sqlite) fn append_exact_in(
    tx: &Transaction<'_>,
    stream: &StreamId,
    expected: u64,
    events: Vec<NewEvent>,
) -> Result<std::result::Result<Vec<RecordedEvent>, u64>> {
    let actual = stream_version(tx, stream)?;
    if actual != expected {
        return Ok(Err(actual));
    }
    let positions = insert_rows(tx, stream, actual, false, &events)
        .map_err(|insert| insert.into_error(tx, stream, ExpectedVersion::Exact(expected)))?;
    Ok(Ok(records(events, stream, actual, positions)))
}

/// Why an insert stopped.
enum Insert {
    /// A unique key refused a row.
    Refused(rusqlite::Error),
    /// The version the first row follows is not stored.
    NoBase,
    /// Anything else.
    Failed(Error),
}

impl Insert {
    /// The error a caller sees: a refused row is the conflict it is, with the version the
    /// stream's events actually reach (a key stops a write the version check should have
    /// refused only when something other than this store writes to the table).
    fn into_error(
        self,
        connection: &Connection,
        stream: &StreamId,
        expected: ExpectedVersion,
    ) -> Error {
        match self {
            Insert::Failed(error) => error,
            Insert::NoBase => match stream_version(connection, stream) {
                Ok(actual) => Error::Conflict {
                    stream: stream.clone(),
                    expected,
                    actual,
                },
                Err(error) => error,
            },
            Insert::Refused(error) => match stream_version(connection, stream) {
                Ok(actual) => Error::Conflict {
                    stream: stream.clone(),
                    expected,
                    actual,
                },
                Err(_) => backend(error),
            },
        }
    }
}

/// Inserts `events` at versions `base + 1 ..`: their feed positions, in order. With
/// `check_base` (and `base > 0`), the first only if version `base` is stored.
fn insert_rows(
    connection: &Connection,
    stream: &StreamId,
    base: u64,
    check_base: bool,
    events: &[NewEvent],
) -> std::result::Result<Vec<u64>, Insert> {
    let prepare = |sql| {
        connection
            .prepare_cached(sql)
            .map_err(|error| Insert::Failed(backend(error)))
    };
    let mut statement = prepare(INSERT_EVENT)?;
    let mut first = if check_base && base > 0 {
        Some(prepare(INSERT_EVENT_AFTER)?)
    } else {
        None
    };
    let mut positions = Vec::with_capacity(events.len());
    let (mut id_text, mut correlation_text, mut causation_text) = ([0; 36], [0; 36], [0; 36]);
    for (event, version) in events.iter().zip(base + 1..) {
        let metadata = &event.metadata;
        let extra: Cow<'_, str> = if metadata.extra.is_empty() {
            Cow::Borrowed("{}")
        } else {
            let json = serde_json::to_string(&metadata.extra).map_err(|source| {
                Insert::Failed(Error::Encode {
                    stream: stream.clone(),
                    event_type: event.event_type.clone(),
                    source: source.into(),
                })
            })?;
            Cow::Owned(json)
        };
        let correlation = metadata
            .correlation_id
            .as_ref()
            .map(|id| uuid_text(id, &mut correlation_text));
        let causation = metadata
            .causation_id
            .as_ref()
            .map(|id| uuid_text(id, &mut causation_text));
        let inserted = first
            .take()
            .as_mut()
            .unwrap_or(&mut statement)
            .execute(params![
                stream.aggregate_type,
                stream.aggregate_id,
                to_sql_int(version),
                uuid_text(&metadata.event_id, &mut id_text),
                event.event_type,
                event.schema_version,
                event.payload,
                correlation,
                causation,
                extra,
                metadata.occurred_at_micros(),
                event.codec.id(),
                (!event.codec.is_text()).then_some(&event.binary[..]),
            ])
            .map_err(|error| {
                if error.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) {
                    Insert::Refused(error)
                } else {
                    Insert::Failed(backend(error))
                }
            })?;
        if inserted == 0 {
            return Err(Insert::NoBase);
        }
        let position = u64::try_from(connection.last_insert_rowid()).map_err(|_| {
            Insert::Failed(Error::Corrupt {
                stream: stream.clone(),
                version,
                reason: "SQLite assigned a negative feed position".into(),
            })
        })?;
        positions.push(position);
    }
    Ok(positions)
}

/// The records of `events`, stored at versions `base + 1 ..` and `positions`.
fn records(
    events: Vec<NewEvent>,
    stream: &StreamId,
    base: u64,
    positions: Vec<u64>,
) -> Vec<RecordedEvent> {
    events
        .into_iter()
        .zip(base + 1..)
        .zip(positions)
        .map(|((event, version), position)| kit::record(event, stream.clone(), version, position))
        .collect()
}
