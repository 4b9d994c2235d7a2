//! The event store's SQL: appends, stream reads and feed reads, run on a connection
//! worker's thread.

use super::error::backend;
use super::rows::{self, EVENT_COLUMNS, uuid_text};
use crate::error::{Error, Result};
use crate::store::backend::{self as kit, BatchIdentity, classify_batch};
use crate::store::{
    AppendOutcome, EventRef, ExpectedVersion, FeedPage, NewEvent, RecordedEvent, StreamId,
};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, Transaction, params};
use std::borrow::Cow;

/// The stream's version: its largest stored version, one descent of the unique index.
const SELECT_VERSION: &str = "SELECT version FROM eventsource_events \
     WHERE aggregate_type = ?1 AND aggregate_id = ?2 ORDER BY version DESC LIMIT 1";

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

/// The stream's current version; 0 when it has no events.
pub(super) fn stream_version(connection: &Connection, stream: &StreamId) -> Result<u64> {
    let mut statement = connection.prepare_cached(SELECT_VERSION).map_err(backend)?;
    let mut found = statement
        .query(params![stream.aggregate_type, stream.aggregate_id])
        .map_err(backend)?;
    match found.next().map_err(backend)? {
        Some(row) => rows::stream_version(stream, row.get_ref(0).map_err(backend)?),
        None => Ok(0),
    }
}

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
pub(super) fn append(
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
pub(super) fn append_exact_in(
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

/// The stream's events after `after_version`, at most `limit` of them.
///
/// The events must run from `after_version + 1` without a gap: a lost or renumbered row
/// is [`Error::Corrupt`], never a silently shorter stream.
pub(super) fn read_stream_range(
    connection: &Connection,
    stream: &StreamId,
    after_version: u64,
    limit: Option<u64>,
) -> Result<Vec<RecordedEvent>> {
    let mut statement = connection
        .prepare_cached(&select_range())
        .map_err(backend)?;
    let mut found = statement
        .query(params![
            stream.aggregate_type,
            stream.aggregate_id,
            to_sql_int(after_version),
            limit.map_or(-1, to_sql_int),
        ])
        .map_err(backend)?;
    // The stream's version sizes the result up front: a long stream is then built without
    // moving its records as the vector grows. (A hint only; the SELECT decides.)
    let expected = stream_version(connection, stream)?.saturating_sub(after_version);
    let capacity = limit
        .map_or(expected, |limit| limit.min(expected))
        .min(1 << 16);
    let mut records = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    while let Some(row) = found.next().map_err(backend)? {
        let expected_version = after_version + records.len() as u64 + 1;
        let record = rows::record(row, stream.clone(), expected_version)?;
        kit::check_next_version(stream, expected_version, record.version)?;
        records.push(record);
    }
    Ok(records)
}

/// Feeds the stream's events after `after_version` to `apply` straight from SQLite's row
/// buffers: only the columns a replay needs, nothing copied. Versions must run without a
/// gap, as in [`read_stream_range`].
pub(super) fn replay_stream<T>(
    connection: &Connection,
    stream: &StreamId,
    after_version: u64,
    state: &mut T,
    mut apply: impl FnMut(&mut T, EventRef<'_>) -> Result<()>,
) -> Result<()> {
    let mut statement = connection.prepare_cached(SELECT_REPLAY).map_err(backend)?;
    let mut found = statement
        .query(params![
            stream.aggregate_type,
            stream.aggregate_id,
            to_sql_int(after_version),
        ])
        .map_err(backend)?;
    let mut expected_version = after_version;
    while let Some(row) = found.next().map_err(backend)? {
        expected_version += 1;
        let event = rows::event_ref(row, stream, expected_version)?;
        kit::check_next_version(stream, expected_version, event.version)?;
        apply(state, event)?;
    }
    Ok(())
}

/// A stream's events after a version (`?3`), at most `?4` of them (-1: all).
fn select_range() -> String {
    format!(
        "SELECT {EVENT_COLUMNS} FROM eventsource_events e \
         WHERE e.aggregate_type = ?1 AND e.aggregate_id = ?2 AND e.version > ?3 \
         ORDER BY e.version LIMIT ?4"
    )
}

/// What a replay reads of a stream's events after a version (`?3`). Like
/// [`select_range`], it descends the (stream, version) index to the first event after the
/// version: a load from a snapshot costs the same whatever the length of the history.
const SELECT_REPLAY: &str = "SELECT version, event_type, schema_version, payload, codec, \
     payload_binary FROM eventsource_events \
     WHERE aggregate_type = ?1 AND aggregate_id = ?2 AND version > ?3 ORDER BY version";

/// At most `limit` entries of the feed after `after_position`; a row that cannot be read
/// is an [`FeedEntry::Unreadable`] in its place.
pub(super) fn read_feed(
    connection: &Connection,
    after_position: u64,
    limit: usize,
) -> Result<FeedPage> {
    read_feed_until(connection, after_position, u64::MAX, limit)
}

/// Like [`read_feed`], of the events at positions up to `until` only.
pub(super) fn read_feed_until(
    connection: &Connection,
    after_position: u64,
    until: u64,
    limit: usize,
) -> Result<FeedPage> {
    if limit == 0 {
        return Ok(FeedPage::new());
    }
    let sql = format!(
        "SELECT {EVENT_COLUMNS}, e.aggregate_type, e.aggregate_id FROM eventsource_events e \
         WHERE e.position > ?1 AND e.position <= ?2 ORDER BY e.position LIMIT ?3"
    );
    let mut statement = connection.prepare_cached(&sql).map_err(backend)?;
    // Room for a page of small events; the buffers grow for larger ones.
    let expected = limit.min(PAGE_ROWS_RESERVED);
    let mut page = FeedPage::with_capacity(expected, expected * PAGE_TEXT_PER_ROW);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut found = statement
        .query(params![
            to_sql_int(after_position),
            to_sql_int(until),
            limit
        ])
        .map_err(backend)?;
    while let Some(row) = found.next().map_err(backend)? {
        push_feed_row(row, &mut page)?;
    }
    drop(found);
    // Outside a transaction each statement reads its own snapshot: the head comes after
    // the page's rows, so it is never before its last entry.
    page.set_head(head_position_of(connection)?);
    Ok(page)
}

/// Rows a feed page makes room for before it reads (more grow the page).
const PAGE_ROWS_RESERVED: usize = 4096;
/// Text bytes a feed page makes room for per row: stream, event type, a small payload.
const PAGE_TEXT_PER_ROW: usize = 96;

/// Adds one feed row to `page`: the event, or the typed reason it cannot be read. Only a
/// failure to read the row at all fails the read.
fn push_feed_row(row: &rusqlite::Row<'_>, page: &mut FeedPage) -> Result<()> {
    let position = match row.get_ref(0).map_err(backend)? {
        ValueRef::Integer(p) => u64::try_from(p).unwrap_or(0),
        _ => 0,
    };
    let read = rows::stream_of(row, position).and_then(|(aggregate_type, aggregate_id)| {
        rows::event_cells(row, aggregate_type, aggregate_id, 0)
            .map(|cells| (aggregate_type, aggregate_id, cells))
    });
    match read {
        Ok((aggregate_type, aggregate_id, cells)) => {
            page.push_event(cells.record_ref(aggregate_type, aggregate_id))
        }
        Err(error @ (Error::Corrupt { .. } | Error::UnknownCodec { .. })) => {
            page.push_unreadable(position, error)
        }
        Err(other) => return Err(other),
    }
    Ok(())
}

/// The position before the first event (in feed order) recorded at or after `micros`; the
/// head when none is.
pub(super) fn feed_position_at(connection: &Connection, micros: i64) -> Result<u64> {
    let first: Option<i64> = connection
        .prepare_cached("SELECT min(position) FROM eventsource_events WHERE occurred_at >= ?1")
        .and_then(|mut statement| statement.query_row([micros], |row| row.get(0)))
        .map_err(backend)?;
    match first {
        Some(position) => Ok(u64::try_from(position).unwrap_or(0).saturating_sub(1)),
        None => head_position_of(connection),
    }
}

/// The stream's version before its first event recorded at or after `micros`; its
/// version when none is.
pub(super) fn stream_version_at(
    connection: &Connection,
    stream: &StreamId,
    micros: i64,
) -> Result<u64> {
    let first: Option<i64> = connection
        .prepare_cached(
            "SELECT min(version) FROM eventsource_events \
             WHERE aggregate_type = ?1 AND aggregate_id = ?2 AND occurred_at >= ?3",
        )
        .and_then(|mut statement| {
            statement.query_row(
                params![stream.aggregate_type, stream.aggregate_id, micros],
                |row| row.get(0),
            )
        })
        .map_err(backend)?;
    match first {
        Some(version) => Ok(u64::try_from(version).unwrap_or(0).saturating_sub(1)),
        None => stream_version(connection, stream),
    }
}

/// The newest feed position; 0 for an empty store.
pub(super) fn head_position_of(connection: &Connection) -> Result<u64> {
    let head: Option<i64> = connection
        .prepare_cached("SELECT max(position) FROM eventsource_events")
        .and_then(|mut statement| statement.query_row([], |row| row.get(0)))
        .map_err(backend)?;
    Ok(head.and_then(|p| u64::try_from(p).ok()).unwrap_or(0))
}

/// Whether versions `after + 1 ..= after + count` fit SQLite's integers.
fn storable(after: u64, count: usize) -> bool {
    after
        .checked_add(count as u64)
        .is_some_and(|last| i64::try_from(last).is_ok())
}

/// SQLite integers are `i64`; larger values (never reached by a real stream) saturate.
fn to_sql_int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::super::migrations::migrate;
    use super::*;

    /// SQLite's plan for `sql` on the store's schema: one line per step.
    fn plan(sql: &str) -> Vec<String> {
        let mut connection = Connection::open_in_memory().unwrap();
        migrate(&mut connection).unwrap();
        let mut statement = connection
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        let nulls = vec![rusqlite::types::Null; statement.parameter_count()];
        statement
            .query_map(rusqlite::params_from_iter(nulls), |row| row.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    /// Reads after a version start at that version in the index, in index order: no scan
    /// of the stream, no sort. Loads from a snapshot stay flat as histories grow.
    #[test]
    fn reads_after_a_version_seek_the_stream_version_index() {
        let seek = "USING INDEX eventsource_events_stream_version \
                    (aggregate_type=? AND aggregate_id=? AND version>?)";
        assert_eq!(
            plan(SELECT_REPLAY),
            [format!("SEARCH eventsource_events {seek}")]
        );
        assert_eq!(plan(&select_range()), [format!("SEARCH e {seek}")]);
    }

    /// The stream's version is one descent of the same index.
    #[test]
    fn the_stream_version_is_one_index_descent() {
        assert_eq!(
            plan(SELECT_VERSION),
            ["SEARCH eventsource_events USING COVERING INDEX \
              eventsource_events_stream_version (aggregate_type=? AND aggregate_id=?)"]
        );
    }
}
