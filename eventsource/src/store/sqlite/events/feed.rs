//! Feed reads: pages of the global feed, its head, and the position at a time.

use super::to_sql_int;
use crate::error::{Error, Result};
use crate::store::FeedPage;
use crate::store::sqlite::error::backend;
use crate::store::sqlite::rows::{self, EVENT_COLUMNS};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, params};

/// At most `limit` entries of the feed after `after_position`; a row that cannot be read
/// is an [`FeedEntry::Unreadable`] in its place.
pub(in crate::store::sqlite) fn read_feed(
    connection: &Connection,
    after_position: u64,
    limit: usize,
) -> Result<FeedPage> {
    read_feed_until(connection, after_position, u64::MAX, limit)
}

/// Like [`read_feed`], of the events at positions up to `until` only.
pub(in crate::store::sqlite) fn read_feed_until(
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
pub(in crate::store::sqlite) fn feed_position_at(
    connection: &Connection,
    micros: i64,
) -> Result<u64> {
    let first: Option<i64> = connection
        .prepare_cached("SELECT min(position) FROM eventsource_events WHERE occurred_at >= ?1")
        .and_then(|mut statement| statement.query_row([micros], |row| row.get(0)))
        .map_err(backend)?;
    match first {
        Some(position) => Ok(u64::try_from(position).unwrap_or(0).saturating_sub(1)),
        None => head_position_of(connection),
    }
}

/// The newest feed position; 0 for an empty store.
pub(in crate::store::sqlite) fn head_position_of(connection: &Connection) -> Result<u64> {
    let head: Option<i64> = connection
        .prepare_cached("SELECT max(position) FROM eventsource_events")
        .and_then(|mut statement| statement.query_row([], |row| row.get(0)))
        .map_err(backend)?;
    Ok(head.and_then(|p| u64::try_from(p).ok()).unwrap_or(0))
}
