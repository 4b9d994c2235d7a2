//! The event store's SQL, run on a connection worker's thread: appends, stream reads and
//! feed reads, a file each, and what they share.

mod append;
mod feed;
mod reads;

pub(super) use append::{append, append_exact_in};
pub(super) use feed::{feed_position_at, head_position_of, read_feed, read_feed_until};
pub(super) use reads::{read_stream_range, replay_stream, stream_version_at};

use super::error::backend;
use super::rows;
use crate::error::Result;
use crate::store::StreamId;
use rusqlite::{Connection, params};

/// The stream's version: its largest stored version, one descent of the unique index.
const SELECT_VERSION: &str = "SELECT version FROM eventsource_events \
     WHERE aggregate_type = ?1 AND aggregate_id = ?2 ORDER BY version DESC LIMIT 1";

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
    use super::reads::{SELECT_REPLAY, select_range};
    use super::*;
    use crate::store::sqlite::migrations::migrate;

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
