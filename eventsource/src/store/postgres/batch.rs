//! A batch of events as the write statement binds it, and what the statement reports back.

use crate::event::EventMetadata;
use crate::store::backend::record;
use crate::store::{NewEvent, RecordedEvent, StreamId};
use std::time::SystemTime;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

/// A batch as the write statement binds it.
pub(super) enum Batch<'a> {
    One {
        event: &'a NewEvent,
        schema_version: i64,
        metadata: Option<String>,
        codec: &'static str,
        binary: Option<&'a [u8]>,
    },
    Many {
        ids: Vec<Uuid>,
        event_types: Vec<&'a str>,
        schema_versions: Vec<i64>,
        payloads: Vec<&'a str>,
        occurred_at: Vec<SystemTime>,
        correlation_ids: Vec<Option<Uuid>>,
        causation_ids: Vec<Option<Uuid>>,
        metadata: Vec<Option<String>>,
        codecs: Vec<&'static str>,
        binaries: Vec<Option<&'a [u8]>>,
    },
}

/// The bytes bound for `payload_binary`: none (SQL `NULL`) for a JSON event.
fn binary_of(event: &NewEvent) -> Option<&[u8]> {
    (!event.codec.is_text()).then_some(&event.binary[..])
}

impl<'a> Batch<'a> {
    pub(super) fn new(events: &'a [NewEvent]) -> Self {
        if let [event] = events {
            return Batch::One {
                event,
                schema_version: i64::from(event.schema_version),
                metadata: encode_extra(&event.metadata),
                codec: event.codec.id(),
                binary: binary_of(event),
            };
        }
        Batch::Many {
            ids: events.iter().map(|e| e.metadata.event_id).collect(),
            event_types: events.iter().map(|e| e.event_type.as_str()).collect(),
            schema_versions: events.iter().map(|e| i64::from(e.schema_version)).collect(),
            payloads: events.iter().map(|e| e.payload.as_str()).collect(),
            occurred_at: events.iter().map(|e| e.metadata.occurred_at).collect(),
            correlation_ids: events.iter().map(|e| e.metadata.correlation_id).collect(),
            causation_ids: events.iter().map(|e| e.metadata.causation_id).collect(),
            metadata: events.iter().map(|e| encode_extra(&e.metadata)).collect(),
            codecs: events.iter().map(|e| e.codec.id()).collect(),
            binaries: events.iter().map(binary_of).collect(),
        }
    }

    /// The batch's event ids.
    pub(super) fn ids(&self) -> Vec<Uuid> {
        match self {
            Batch::One { event, .. } => vec![event.metadata.event_id],
            Batch::Many { ids, .. } => ids.clone(),
        }
    }

    /// Parameters `$1` to `$13` of the write statements.
    pub(super) fn params<'p>(
        &'p self,
        stream: &'p StreamId,
        xid_offset: &'p i64,
    ) -> Vec<&'p (dyn ToSql + Sync)> {
        match self {
            Batch::One {
                event,
                schema_version,
                metadata,
                codec,
                binary,
            } => vec![
                &stream.aggregate_type,
                &stream.aggregate_id,
                &event.metadata.event_id,
                &event.event_type,
                schema_version,
                &event.payload,
                &event.metadata.occurred_at,
                &event.metadata.correlation_id,
                &event.metadata.causation_id,
                metadata,
                codec,
                binary,
                xid_offset,
            ],
            Batch::Many {
                ids,
                event_types,
                schema_versions,
                payloads,
                occurred_at,
                correlation_ids,
                causation_ids,
                metadata,
                codecs,
                binaries,
            } => vec![
                &stream.aggregate_type,
                &stream.aggregate_id,
                ids,
                event_types,
                schema_versions,
                payloads,
                occurred_at,
                correlation_ids,
                causation_ids,
                metadata,
                codecs,
                binaries,
                xid_offset,
            ],
        }
    }
}

/// The extra pairs as a JSON object; none (SQL `NULL`) when there are none, which also
/// spares every read a column value.
fn encode_extra(metadata: &EventMetadata) -> Option<String> {
    if metadata.extra.is_empty() {
        return None;
    }
    // A map of strings always serialises.
    serde_json::to_string(&metadata.extra).ok()
}

/// What a successful write statement reports.
pub(super) struct Written {
    /// The stream's version before the batch.
    base: i64,
    /// The batch's position base: event `i` (from 1) is at `position_base + i`.
    position_base: i64,
}

impl Written {
    pub(super) fn from_row(row: &Row) -> Result<Self, tokio_postgres::Error> {
        Ok(Written {
            base: row.try_get(0)?,
            position_base: row.try_get(1)?,
        })
    }

    /// The records of the written batch; a negative version or position base from the
    /// server (a corrupt stream) is [`Error::Corrupt`](crate::Error::Corrupt).
    pub(super) fn records(
        &self,
        stream: &StreamId,
        events: Vec<NewEvent>,
    ) -> crate::error::Result<Vec<RecordedEvent>> {
        let corrupt = |what: &str, value: i64| crate::error::Error::Corrupt {
            stream: stream.clone(),
            version: 0,
            reason: format!("the append returned a negative {what} ({value})"),
        };
        let base = u64::try_from(self.base).map_err(|_| corrupt("version", self.base))?;
        let position_base = u64::try_from(self.position_base)
            .map_err(|_| corrupt("position", self.position_base))?;
        Ok(events
            .into_iter()
            .zip(1u64..)
            .map(|(event, i)| record(event, stream.clone(), base + i, position_base + i))
            .collect())
    }
}
