//! Decoding rows into records: every value read is checked, and a row that breaks the
//! store's rules is [`Error::Corrupt`], naming the stream and version.

use super::errors::backend;
use crate::error::{Error, Result};
use crate::event::EventMetadata;
use crate::store::{RecordedEvent, StreamId};
use deadpool_postgres::Object;
use futures_core::Stream;
use std::collections::BTreeMap;
use std::future::poll_fn;
use std::pin::pin;
use std::time::SystemTime;
use tokio_postgres::types::{FromSql, ToSql};
use tokio_postgres::{Row, Statement};
use uuid::Uuid;

/// Runs `statement` and decodes each row as it arrives, while the next ones are still on
/// their way: a 10,000-event load spends its decoding time during the transfer.
pub(super) async fn decode_rows<T, const N: usize>(
    client: &Object,
    statement: &Statement,
    params: [&(dyn ToSql + Sync); N],
    mut decode: impl FnMut(&Row) -> Result<T>,
) -> Result<Vec<T>> {
    let rows = client.query_raw(statement, params).await.map_err(backend)?;
    let mut rows = pin!(rows);
    let mut decoded = Vec::new();
    while let Some(row) = poll_fn(|cx| rows.as_mut().poll_next(cx)).await {
        decoded.push(decode(&row.map_err(backend)?)?);
    }
    Ok(decoded)
}

/// Reads the event columns of [`EVENT_COLUMNS`](super::sql::EVENT_COLUMNS) starting at
/// column `at`.
pub(super) fn decode_event(row: &Row, at: usize, stream: StreamId) -> Result<RecordedEvent> {
    let position: i64 = column(row, at, &stream, 0, "position")?;
    let version: i64 = column(row, at + 1, &stream, 0, "version")?;
    let Ok(version) = u64::try_from(version) else {
        return Err(corrupt(&stream, 0, format!("negative version {version}")));
    };
    let position = u64::try_from(position)
        .map_err(|_| corrupt(&stream, version, format!("negative position {position}")))?;
    let event_id: Uuid = column(row, at + 2, &stream, version, "event_id")?;
    let event_type: String = column(row, at + 3, &stream, version, "event_type")?;
    let schema_version: i64 = column(row, at + 4, &stream, version, "schema_version")?;
    let schema_version = u32::try_from(schema_version).map_err(|_| {
        corrupt(
            &stream,
            version,
            format!("schema version {schema_version} out of range"),
        )
    })?;
    let payload: String = column(row, at + 5, &stream, version, "payload")?;
    let occurred_at: SystemTime = column(row, at + 6, &stream, version, "occurred_at")?;
    let correlation_id: Option<Uuid> = column(row, at + 7, &stream, version, "correlation_id")?;
    let causation_id: Option<Uuid> = column(row, at + 8, &stream, version, "causation_id")?;
    let metadata: Option<&str> = column(row, at + 9, &stream, version, "metadata")?;
    let extra = match metadata {
        None | Some("{}") => BTreeMap::new(),
        Some(metadata) => serde_json::from_str(metadata).map_err(|e| {
            corrupt(
                &stream,
                version,
                format!("metadata is not a JSON object of strings: {e}"),
            )
        })?,
    };
    Ok(RecordedEvent {
        position,
        stream,
        version,
        event_type,
        schema_version,
        payload,
        metadata: EventMetadata {
            event_id,
            occurred_at,
            correlation_id,
            causation_id,
            extra,
        },
    })
}

/// Column `index`, or [`Error::Corrupt`] naming the column when it cannot be read as `T`.
pub(super) fn column<'a, T: FromSql<'a>>(
    row: &'a Row,
    index: usize,
    stream: &StreamId,
    version: u64,
    name: &str,
) -> Result<T> {
    row.try_get(index)
        .map_err(|e| corrupt(stream, version, format!("unreadable column `{name}`: {e}")))
}

pub(super) fn corrupt(stream: &StreamId, version: u64, reason: String) -> Error {
    Error::Corrupt {
        stream: stream.clone(),
        version,
        reason,
    }
}

/// A version read from a bigint column: never negative in a sound store.
pub(super) fn stream_version_from(version: i64, stream: &StreamId) -> Result<u64> {
    u64::try_from(version).map_err(|_| corrupt(stream, 0, format!("negative version {version}")))
}
