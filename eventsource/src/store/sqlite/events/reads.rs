//! Stream reads: a range of a stream's events, a replay, and a stream's version at a time.

use super::{stream_version, to_sql_int};
use crate::error::Result;
use crate::store::backend as kit;
use crate::store::sqlite::error::backend;
use crate::store::sqlite::rows::{self, EVENT_COLUMNS};
use crate::store::{EventRef, RecordedEvent, StreamId};
use rusqlite::{Connection, params};

/// The stream's events after `after_version`, at most `limit` of them.
///
/// The events must run from `after_version + 1` without a gap: a lost or renumbered row
/// is [`Error::Corrupt`], never a silently shorter stream.
pub(in crate::store::sqlite) fn read_stream_range(
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
pub(in crate::store::sqlite) fn replay_stream<T>(
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
pub(super) fn select_range() -> String {
    format!(
        "SELECT {EVENT_COLUMNS} FROM eventsource_events e \
         WHERE e.aggregate_type = ?1 AND e.aggregate_id = ?2 AND e.version > ?3 \
         ORDER BY e.version LIMIT ?4"
    )
}

/// What a replay reads of a stream's events after a version (`?3`). Like
/// [`select_range`], it descends the (stream, version) index to the first event after the
/// version: a load from a snapshot costs the same whatever the length of the history.
pub(super) const SELECT_REPLAY: &str = "SELECT version, event_type, schema_version, payload, codec, \
     payload_binary FROM eventsource_events \
     WHERE aggregate_type = ?1 AND aggregate_id = ?2 AND version > ?3 ORDER BY version";

/// The stream's version before its first event recorded at or after `micros`; its
/// version when none is.
pub(in crate::store::sqlite) fn stream_version_at(
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
