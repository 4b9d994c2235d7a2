//! The write path: one statement when the stream's version matches, and a careful
//! transaction under the stream's row lock when it does not or an event id is taken.

use super::batch::{Batch, Written};
use super::errors::{backend, is_unique_violation};
use super::notify::Notifier;
use super::reads::stream_version;
use super::rows::{decode_event, stream_version_from};
use super::sql::{Sql, StreamCheck};
use crate::error::{Error, Result};
use crate::store::backend::{BatchIdentity, check_version, classify_batch};
use crate::store::{AppendOutcome, ExpectedVersion, NewEvent, StreamId};
use deadpool_postgres::{GenericClient, Object};
use tokio_postgres::types::ToSql;
use uuid::Uuid;

/// How many times the careful path re-runs when a concurrent writer created the stream
/// between its check and its write.
const SLOW_PATH_ATTEMPTS: usize = 3;

/// What the write path needs of its store.
pub(super) struct Appender<'s> {
    pub(super) sql: &'s Sql,
    pub(super) xid_offset: i64,
    pub(super) notifier: Option<&'s Notifier>,
}

/// How the careful path ended, when it did not fail.
enum CarefulWrite {
    /// It wrote the batch.
    Written(Written),
    /// The stream stores the batch already: a retry, answered with the stored records.
    AlreadyStored(AppendOutcome),
}

impl Appender<'_> {
    /// Appends `events` on `client`: the fast path first, the careful one if it wrote
    /// nothing.
    pub(super) async fn append(
        &self,
        client: &mut Object,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome> {
        if events.is_empty() {
            let actual = stream_version(client, self.sql, stream).await?;
            check_version(stream, expected, actual)?;
            return Ok(AppendOutcome {
                records: Vec::new(),
                already_stored: false,
            });
        }
        let batch = Batch::new(&events);
        let written = match self.try_write(client, stream, expected, &batch).await {
            Ok(Some(written)) => written,
            Err(error) if !is_unique_violation(&error) => return Err(backend(error)),
            // The version did not match, or an id is stored already: look closer.
            Ok(None) | Err(_) => {
                match self
                    .append_carefully(client, stream, expected, &batch)
                    .await?
                {
                    CarefulWrite::Written(written) => written,
                    CarefulWrite::AlreadyStored(retry) => return Ok(retry),
                }
            }
        };
        drop(batch);
        if let Some(notifier) = self.notifier {
            notifier.appended();
        }
        Ok(AppendOutcome {
            records: written.records(stream, events)?,
            already_stored: false,
        })
    }

    /// One statement, one round trip: `Ok(None)` when the version did not match. On a
    /// pooled client or inside a transaction (a logging state store's save).
    pub(super) async fn try_write(
        &self,
        client: &impl GenericClient,
        stream: &StreamId,
        expected: ExpectedVersion,
        batch: &Batch<'_>,
    ) -> Result<Option<Written>, tokio_postgres::Error> {
        let exact_version;
        let (check, exact) = match expected {
            ExpectedVersion::Any => (StreamCheck::Any, None),
            ExpectedVersion::NoStream | ExpectedVersion::Exact(0) => (StreamCheck::New, None),
            ExpectedVersion::StreamExists => (StreamCheck::Existing, None),
            ExpectedVersion::Exact(n) => {
                // A version beyond bigint cannot be stored, so it cannot match.
                let Ok(n) = i64::try_from(n) else {
                    return Ok(None);
                };
                exact_version = n;
                (StreamCheck::Exact, Some(&exact_version))
            }
        };
        let statement = client.prepare_cached(self.sql.write(check, batch)).await?;
        let mut params = batch.params(stream, &self.xid_offset);
        params.extend(exact.map(|v| v as &(dyn ToSql + Sync)));
        let row = client.query_opt(&statement, &params).await?;
        row.map(|row| Written::from_row(&row)).transpose()
    }

    /// The careful path: under the stream's row lock, tell a retry from a duplicate from a
    /// conflict, and write when none of them.
    async fn append_carefully(
        &self,
        client: &mut Object,
        stream: &StreamId,
        expected: ExpectedVersion,
        batch: &Batch<'_>,
    ) -> Result<CarefulWrite> {
        let sql = self.sql;
        let batch_ids = batch.ids();
        let mut last_actual = 0;
        for _ in 0..SLOW_PATH_ATTEMPTS {
            let tx = client.transaction().await.map_err(backend)?;
            let lock = tx.prepare_cached(&sql.lock_stream).await.map_err(backend)?;
            let locked: Option<i64> = tx
                .query_opt(&lock, &[&stream.aggregate_type, &stream.aggregate_id])
                .await
                .map_err(backend)?
                .map(|row| row.try_get(0))
                .transpose()
                .map_err(backend)?;
            let actual = match locked {
                Some(v) => stream_version_from(v, stream)?,
                None => 0,
            };
            last_actual = actual;
            let stored_ids = tx.prepare_cached(&sql.stored_ids).await.map_err(backend)?;
            let stored = tx
                .query(
                    &stored_ids,
                    &[&stream.aggregate_type, &stream.aggregate_id, &batch_ids],
                )
                .await
                .map_err(backend)?
                .iter()
                .map(|row| {
                    let id: Uuid = row.try_get(0).map_err(backend)?;
                    let version: i64 = row.try_get(1).map_err(backend)?;
                    Ok((id, stream_version_from(version, stream)?))
                })
                .collect::<Result<Vec<_>>>()?;
            if let BatchIdentity::Retry { first_version } =
                classify_batch(stream, expected, &batch_ids, &stored)?
            {
                let range = tx.prepare_cached(&sql.read_range).await.map_err(backend)?;
                let rows = tx
                    .query(
                        &range,
                        &[
                            &stream.aggregate_type,
                            &stream.aggregate_id,
                            &to_i64(first_version - 1),
                            &to_i64(batch_ids.len() as u64),
                        ],
                    )
                    .await
                    .map_err(backend)?;
                let records = rows
                    .iter()
                    .map(|row| decode_event(row, 0, stream.clone()))
                    .collect::<Result<Vec<_>>>()?;
                tx.commit().await.map_err(backend)?;
                return Ok(CarefulWrite::AlreadyStored(AppendOutcome {
                    records,
                    already_stored: true,
                }));
            }
            check_version(stream, expected, actual)?;
            // The row is locked (or absent): write at exactly the version seen.
            let check = match locked {
                Some(_) => StreamCheck::Exact,
                None => StreamCheck::New,
            };
            let statement = tx
                .prepare_cached(sql.write(check, batch))
                .await
                .map_err(backend)?;
            let mut params = batch.params(stream, &self.xid_offset);
            params.extend(locked.as_ref().map(|v| v as &(dyn ToSql + Sync)));
            match tx.query_opt(&statement, &params).await {
                Ok(Some(row)) => {
                    let written = Written::from_row(&row).map_err(backend)?;
                    tx.commit().await.map_err(backend)?;
                    return Ok(CarefulWrite::Written(written));
                }
                // Another writer created the stream meanwhile, or stored one of the ids:
                // look again.
                Ok(None) => {}
                Err(error) if is_unique_violation(&error) => {}
                Err(error) => return Err(backend(error)),
            }
        }
        // Every attempt lost the race to create the stream: a conflict whatever `expected`
        // says (not `check_version`, which would let `Any` pass).
        Err(Error::Conflict {
            stream: stream.clone(),
            expected,
            actual: last_actual,
        })
    }
}

/// Versions and counts the store handles fit in bigint: they come from bigint columns.
fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
