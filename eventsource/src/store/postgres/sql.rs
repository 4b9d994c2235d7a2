//! The event store's SQL statements, written once per store for its schema.

use super::batch::Batch;
use super::feed::{FeedSql, POSITION_SHIFT};
use super::schema::SchemaName;

/// The statements of one store, for its schema.
pub(super) struct Sql {
    pub(super) stream_version: String,
    pub(super) lock_stream: String,
    pub(super) stored_ids: String,
    pub(super) read_stream: String,
    /// The columns a load needs (version, type, schema version, payload, codec, binary
    /// payload).
    pub(super) replay_stream: String,
    pub(super) read_range: String,
    /// Indexed by [`StreamCheck`]: for one event, and for a batch.
    write_one: [String; 4],
    write_many: [String; 4],
    pub(super) feed: FeedSql,
}

/// How the write statement checks the stream's version.
#[derive(Debug, Clone, Copy)]
pub(super) enum StreamCheck {
    /// Creates the stream or moves it on, whatever its version.
    Any = 0,
    /// Creates the stream; writes nothing if it exists.
    New = 1,
    /// Moves an existing stream on.
    Existing = 2,
    /// Moves the stream on from exactly the version in the last parameter.
    Exact = 3,
}

/// The columns [`decode_event`](super::rows::decode_event) reads, in its order.
pub(super) const EVENT_COLUMNS: &str = "position, version, event_id, event_type, \
     schema_version, payload, occurred_at, correlation_id, causation_id, metadata::text, \
     codec, payload_binary";

impl Sql {
    pub(super) fn new(schema: &SchemaName) -> Self {
        let s = schema.ident();
        let stream_version = format!(
            "SELECT version FROM {s}.streams WHERE aggregate_type = $1 AND aggregate_id = $2"
        );
        let stream_rows = format!(
            "SELECT {EVENT_COLUMNS} FROM {s}.events \
             WHERE aggregate_type = $1 AND aggregate_id = $2 AND version > $3 ORDER BY version"
        );
        // One event binds scalars; a batch binds one array per column and unnests them.
        let one = (
            "1",
            "(VALUES ($3::uuid, $4::text, $5::bigint, $6::text, $7::timestamptz, $8::uuid, \
               $9::uuid, $10::text, $11::text, $12::bytea, 1::bigint))",
        );
        let many = (
            "cardinality($3::uuid[])",
            "unnest($3::uuid[], $4::text[], $5::bigint[], $6::text[], $7::timestamptz[], \
               $8::uuid[], $9::uuid[], $10::text[], $11::text[], $12::bytea[]) WITH ORDINALITY",
        );
        let write = |(count, source): (&str, &str)| {
            [
                StreamCheck::Any,
                StreamCheck::New,
                StreamCheck::Existing,
                StreamCheck::Exact,
            ]
            .map(|check| write_sql(&s, check, count, source))
        };
        Sql {
            lock_stream: format!("{stream_version} FOR UPDATE"),
            stored_ids: format!(
                "SELECT event_id, version FROM {s}.events \
                 WHERE aggregate_type = $1 AND aggregate_id = $2 AND event_id = ANY($3)"
            ),
            replay_stream: format!(
                "SELECT version, event_type, schema_version, payload, codec, payload_binary \
                 FROM {s}.events \
                 WHERE aggregate_type = $1 AND aggregate_id = $2 AND version > $3 ORDER BY version"
            ),
            read_range: format!("{stream_rows} LIMIT $4"),
            read_stream: stream_rows,
            stream_version,
            write_one: write(one),
            write_many: write(many),
            feed: FeedSql::new(&s),
        }
    }

    /// The write statement for `batch` that checks the version as `check` says.
    pub(super) fn write(&self, check: StreamCheck, batch: &Batch<'_>) -> &str {
        let statements = match batch {
            Batch::One { .. } => &self.write_one,
            Batch::Many { .. } => &self.write_many,
        };
        &statements[check as usize]
    }
}

/// The write statement: `$1`, `$2` the stream, `$3` to `$12` the events' columns (scalars
/// or arrays), `$13` the transaction-id offset, `$14` the exact expected version.
///
/// The `streams` statement locks the stream's row and checks its version in one step; the
/// insert sees a row from it (`base`, the version before the batch) only when the check
/// passed, so a failed check writes nothing and returns no row.
fn write_sql(s: &str, check: StreamCheck, count: &str, source: &str) -> String {
    let stream_cte = match check {
        StreamCheck::Any => format!(
            "INSERT INTO {s}.streams AS st (aggregate_type, aggregate_id, version) \
             VALUES ($1, $2, {count}) \
             ON CONFLICT (aggregate_type, aggregate_id) \
             DO UPDATE SET version = st.version + excluded.version \
             RETURNING st.version - {count} AS base"
        ),
        StreamCheck::New => format!(
            "INSERT INTO {s}.streams (aggregate_type, aggregate_id, version) \
             VALUES ($1, $2, {count}) \
             ON CONFLICT (aggregate_type, aggregate_id) DO NOTHING \
             RETURNING 0::bigint AS base"
        ),
        StreamCheck::Existing => format!(
            "UPDATE {s}.streams SET version = version + {count} \
             WHERE aggregate_type = $1 AND aggregate_id = $2 \
             RETURNING version - {count} AS base"
        ),
        StreamCheck::Exact => format!(
            "UPDATE {s}.streams SET version = version + {count} \
             WHERE aggregate_type = $1 AND aggregate_id = $2 AND version = $14::bigint \
             RETURNING version - {count} AS base"
        ),
    };
    let insert = format!(
        "INSERT INTO {s}.events (position, aggregate_type, aggregate_id, version, \
           event_id, event_type, schema_version, payload, occurred_at, \
           correlation_id, causation_id, metadata, codec, payload_binary) \
         SELECT ((pg_current_xact_id()::text::bigint + $13::bigint) << {shift}) + u.ord, \
           $1, $2, s.base + u.ord, u.event_id, u.event_type, u.schema_version, \
           u.payload, u.occurred_at, u.correlation_id, u.causation_id, u.metadata::json, \
           u.codec, u.payload_binary \
         FROM s, {source} AS u(event_id, event_type, schema_version, payload, \
           occurred_at, correlation_id, causation_id, metadata, codec, payload_binary, ord)",
        shift = POSITION_SHIFT,
    );
    if count == "1" {
        // One row: the insert is the statement and returns what the caller needs.
        return format!("WITH s AS ({stream_cte}) {insert} RETURNING version - 1, position - 1");
    }
    format!(
        "WITH s AS ({stream_cte}), ins AS ({insert} RETURNING 1) \
         SELECT s.base, (pg_current_xact_id()::text::bigint + $13::bigint) << {shift}, \
           (SELECT count(*) FROM ins) \
         FROM s",
        shift = POSITION_SHIFT,
    )
}
