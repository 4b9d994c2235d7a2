//! Decoding rows into records: every value read is checked, and a row that breaks the
//! store's rules is [`Error::Corrupt`], naming the stream and version.

use super::errors::backend;
use crate::codec::Codec;
use crate::error::{Error, Result};
use crate::event::EventMetadata;
use crate::store::backend::EventCells;
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
/// column `at`, of a row of the stream `aggregate_type`/`aggregate_id`.
pub(super) fn event_cells<'r>(
    row: &'r Row,
    at: usize,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<EventCells<'r>> {
    let bad = |version: u64, reason: String| Error::Corrupt {
        stream: StreamId::new(aggregate_type, aggregate_id),
        version,
        reason,
    };
    fn get<'r, T: FromSql<'r>>(
        row: &'r Row,
        index: usize,
        name: &str,
        version: u64,
        bad: impl Fn(u64, String) -> Error,
    ) -> Result<T> {
        row.try_get(index)
            .map_err(|e| bad(version, format!("unreadable column `{name}`: {e}")))
    }
    let position: i64 = get(row, at, "position", 0, bad)?;
    let version: i64 = get(row, at + 1, "version", 0, bad)?;
    let Ok(version) = u64::try_from(version) else {
        return Err(bad(0, format!("negative version {version}")));
    };
    let position = u64::try_from(position)
        .map_err(|_| bad(version, format!("negative position {position}")))?;
    let event_id: Uuid = get(row, at + 2, "event_id", version, bad)?;
    let event_type: &str = get(row, at + 3, "event_type", version, bad)?;
    let schema_version: i64 = get(row, at + 4, "schema_version", version, bad)?;
    let schema_version = u32::try_from(schema_version).map_err(|_| {
        bad(
            version,
            format!("schema version {schema_version} out of range"),
        )
    })?;
    let (codec, payload, binary) = payload_cells(
        row,
        [at + 5, at + 10, at + 11],
        &StreamId::new(aggregate_type, aggregate_id),
        version,
        event_type,
    )?;
    let occurred_at: SystemTime = get(row, at + 6, "occurred_at", version, bad)?;
    let correlation_id: Option<Uuid> = get(row, at + 7, "correlation_id", version, bad)?;
    let causation_id: Option<Uuid> = get(row, at + 8, "causation_id", version, bad)?;
    let metadata: Option<&str> = get(row, at + 9, "metadata", version, bad)?;
    let extra = match metadata {
        None | Some("{}") => BTreeMap::new(),
        Some(metadata) => serde_json::from_str(metadata).map_err(|e| {
            bad(
                version,
                format!("metadata is not a JSON object of strings: {e}"),
            )
        })?,
    };
    Ok(EventCells {
        position,
        version,
        event_type,
        schema_version,
        payload,
        codec,
        binary,
        metadata: EventMetadata {
            event_id,
            occurred_at,
            correlation_id,
            causation_id,
            extra,
        },
    })
}

/// Reads a payload from the columns `[payload, codec, payload_binary]` (`columns`, by
/// index) of a row of `stream`: the codec, the text (JSON) and the bytes (a binary
/// codec). A codec this library does not know is [`Error::UnknownCodec`].
pub(super) fn payload_cells<'r>(
    row: &'r Row,
    [text, codec, binary]: [usize; 3],
    stream: &StreamId,
    version: u64,
    event_type: &str,
) -> Result<(Codec, &'r str, &'r [u8])> {
    let unreadable = |name: &str, e: tokio_postgres::Error| {
        corrupt(
            stream,
            version,
            format!("event type `{event_type}`: unreadable column `{name}`: {e}"),
        )
    };
    let id: &str = row.try_get(codec).map_err(|e| unreadable("codec", e))?;
    let codec = Codec::from_id(id).ok_or_else(|| Error::UnknownCodec {
        stream: stream.clone(),
        version,
        event_type: event_type.to_owned(),
        codec: id.to_owned(),
    })?;
    if codec.is_text() {
        let payload = row.try_get(text).map_err(|e| unreadable("payload", e))?;
        return Ok((codec, payload, &[]));
    }
    let bytes: Option<&[u8]> = row.try_get(binary).map_err(|e| unreadable("binary", e))?;
    let bytes = bytes.ok_or_else(|| {
        corrupt(
            stream,
            version,
            format!("event type `{event_type}`: a `{codec}` row without its binary payload"),
        )
    })?;
    Ok((codec, "", bytes))
}

/// Reads the event columns of [`EVENT_COLUMNS`](super::sql::EVENT_COLUMNS) starting at
/// column `at`, as an owned record of `stream`.
pub(super) fn decode_event(row: &Row, at: usize, stream: StreamId) -> Result<RecordedEvent> {
    let cells = event_cells(row, at, &stream.aggregate_type, &stream.aggregate_id)?;
    Ok(cells.into_record(stream))
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
