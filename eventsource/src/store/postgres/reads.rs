//! Reading one stream: its events, a replay that builds no records, and its version.

use super::errors::backend;
use super::rows::{column, corrupt, decode_event, decode_rows, payload_cells, stream_version_from};
use super::sql::Sql;
use crate::error::Result;
use crate::store::backend::check_next_version;
use crate::store::{EventRef, RecordedEvent, StreamId};
use deadpool_postgres::Object;
use futures_core::Stream;
use std::future::poll_fn;
use std::pin::pin;
use tokio_postgres::types::ToSql;

/// The stream's events with a version above `after`, in order.
pub(super) async fn read_stream(
    client: &Object,
    sql: &Sql,
    stream: &StreamId,
    after: i64,
) -> Result<Vec<RecordedEvent>> {
    let statement = client
        .prepare_cached(&sql.read_stream)
        .await
        .map_err(backend)?;
    let params: [&(dyn ToSql + Sync); 3] = [&stream.aggregate_type, &stream.aggregate_id, &after];
    let mut expected = u64::try_from(after).unwrap_or(0);
    decode_rows(client, &statement, params, |row| {
        let record = decode_event(row, 0, stream.clone())?;
        expected += 1;
        check_next_version(stream, expected, record.version)?;
        Ok(record)
    })
    .await
}

/// Applies the stream's events after `after` to `state` as their rows arrive, reading
/// only the columns a load needs and building no record.
pub(super) async fn replay<T, F>(
    client: &Object,
    sql: &Sql,
    stream: &StreamId,
    after: i64,
    mut state: T,
    mut apply: F,
) -> Result<T>
where
    F: FnMut(&mut T, EventRef<'_>) -> Result<()>,
{
    let statement = client
        .prepare_cached(&sql.replay_stream)
        .await
        .map_err(backend)?;
    let params: [&(dyn ToSql + Sync); 3] = [&stream.aggregate_type, &stream.aggregate_id, &after];
    let rows = client
        .query_raw(&statement, params)
        .await
        .map_err(backend)?;
    let mut rows = pin!(rows);
    let mut expected = u64::try_from(after).unwrap_or(0);
    while let Some(row) = poll_fn(|cx| rows.as_mut().poll_next(cx)).await {
        let row = row.map_err(backend)?;
        let version = stream_version_from(column(&row, 0, stream, 0, "version")?, stream)?;
        expected += 1;
        check_next_version(stream, expected, version)?;
        let schema_version: i64 = column(&row, 2, stream, version, "schema_version")?;
        let schema_version = u32::try_from(schema_version).map_err(|_| {
            corrupt(
                stream,
                version,
                format!("schema version {schema_version} out of range"),
            )
        })?;
        let event_type = column(&row, 1, stream, version, "event_type")?;
        let (codec, payload, binary) = payload_cells(&row, [3, 4, 5], stream, version, event_type)?;
        let event = EventRef {
            version,
            event_type,
            schema_version,
            payload,
            codec,
            binary,
        };
        apply(&mut state, event)?;
    }
    Ok(state)
}

/// The stream's current version; 0 when it does not exist.
pub(super) async fn stream_version(client: &Object, sql: &Sql, stream: &StreamId) -> Result<u64> {
    let statement = client
        .prepare_cached(&sql.stream_version)
        .await
        .map_err(backend)?;
    let row = client
        .query_opt(&statement, &[&stream.aggregate_type, &stream.aggregate_id])
        .await
        .map_err(backend)?;
    match row {
        None => Ok(0),
        Some(row) => stream_version_from(row.try_get(0).map_err(backend)?, stream),
    }
}

/// The one nullable `bigint` `sql` returns; a negative one is [`Error::Corrupt`] (of no
/// stream in particular).
pub(super) async fn optional_number(
    client: &Object,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<u64>> {
    let statement = client.prepare_cached(sql).await.map_err(backend)?;
    let value: Option<i64> = client
        .query_one(&statement, params)
        .await
        .map_err(backend)?
        .try_get(0)
        .map_err(backend)?;
    value
        .map(|n| {
            u64::try_from(n).map_err(|_| crate::error::Error::Corrupt {
                stream: StreamId::new("<feed>", "<index>"),
                version: 0,
                reason: format!("a stored position or version is negative ({n})"),
            })
        })
        .transpose()
}
