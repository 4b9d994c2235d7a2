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
use rusqlite::{Connection, ErrorCode, Transaction, TransactionBehavior, params};
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

/// Appends in one `BEGIN IMMEDIATE` transaction: taking the write lock first makes the
/// version check and the insert one step, across connections and processes.
pub(super) fn append(
    connection: &mut Connection,
    stream: &StreamId,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
) -> Result<AppendOutcome> {
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)?;
    let actual = stream_version(&tx, stream)?;
    let batch_ids: Vec<_> = events.iter().map(|e| e.metadata.event_id).collect();
    let mut stored = Vec::new();
    if actual > 0 {
        let mut statement = tx.prepare_cached(SELECT_STORED_ID).map_err(backend)?;
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
        let records = read_stream_range(&tx, stream, first_version - 1, Some(events.len() as u64))?;
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
    let records = insert_events(&tx, stream, expected, actual, events)?;
    tx.commit().map_err(backend)?;
    Ok(AppendOutcome {
        records,
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
    insert_events(tx, stream, ExpectedVersion::Exact(expected), actual, events).map(Ok)
}

fn insert_events(
    tx: &Transaction<'_>,
    stream: &StreamId,
    expected: ExpectedVersion,
    actual: u64,
    events: Vec<NewEvent>,
) -> Result<Vec<RecordedEvent>> {
    let mut statement = tx.prepare_cached(INSERT_EVENT).map_err(backend)?;
    let mut records = Vec::with_capacity(events.len());
    let (mut id_text, mut correlation_text, mut causation_text) = ([0; 36], [0; 36], [0; 36]);
    for (event, version) in events.into_iter().zip(actual + 1..) {
        let metadata = &event.metadata;
        let extra: Cow<'_, str> = if metadata.extra.is_empty() {
            Cow::Borrowed("{}")
        } else {
            let json = serde_json::to_string(&metadata.extra).map_err(|source| Error::Encode {
                stream: stream.clone(),
                event_type: event.event_type.clone(),
                source: source.into(),
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
        statement
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
            .map_err(|error| conflict_or_backend(tx, error, stream, expected))?;
        let position = u64::try_from(tx.last_insert_rowid()).map_err(|_| Error::Corrupt {
            stream: stream.clone(),
            version,
            reason: "SQLite assigned a negative feed position".into(),
        })?;
        records.push(kit::record(event, stream.clone(), version, position));
    }
    Ok(records)
}

/// The unique keys stop a write that the version check should have refused, should
/// something other than this store write to the tables. Report it as the conflict it is,
/// with the version the stream's events actually reach.
fn conflict_or_backend(
    tx: &Transaction<'_>,
    error: rusqlite::Error,
    stream: &StreamId,
    expected: ExpectedVersion,
) -> Error {
    if error.sqlite_error_code() != Some(ErrorCode::ConstraintViolation) {
        return backend(error);
    }
    let actual = tx.query_row(
        "SELECT coalesce(max(version), 0) FROM eventsource_events \
         WHERE aggregate_type = ?1 AND aggregate_id = ?2",
        params![stream.aggregate_type, stream.aggregate_id],
        |row| row.get::<_, i64>(0),
    );
    match actual {
        Ok(actual) => Error::Conflict {
            stream: stream.clone(),
            expected,
            actual: u64::try_from(actual).unwrap_or(0),
        },
        Err(_) => backend(error),
    }
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
