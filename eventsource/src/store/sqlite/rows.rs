//! Turning stored rows back into records, trusting nothing: a NULL, a value of the wrong
//! type, a negative number or a malformed UUID becomes [`Error::Corrupt`] naming the
//! stream, the version and (once known) the event type, never a panic.

use super::error::backend;
use crate::codec::{Codec, PayloadRef};
use crate::error::{Error, Result};
use crate::event::EventMetadata;
use crate::store::Snapshot;
use crate::store::backend::EventCells;
use crate::store::backend::from_micros;
use crate::store::{EventRef, RecordedEvent, StreamId};
use rusqlite::Row;
use rusqlite::types::ValueRef;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The event columns every read selects from `eventsource_events e`, in this order;
/// `read_all` adds the stream's type and id after them.
pub(super) const EVENT_COLUMNS: &str = "e.position, e.version, e.event_id, e.event_type, \
     e.schema_version, e.payload, e.correlation_id, e.causation_id, e.extra, e.occurred_at, \
     e.codec, e.payload_binary";

/// The index of the first column after [`EVENT_COLUMNS`].
pub(super) const STREAM_COLUMNS_AT: usize = 12;

/// Reads the event columns of a row of the stream `aggregate_type`/`aggregate_id`.
/// `expected_version` names the event in an error when the stored version itself is
/// unreadable.
pub(super) fn event_cells<'r>(
    row: &'r Row<'r>,
    aggregate_type: &str,
    aggregate_id: &str,
    expected_version: u64,
) -> Result<EventCells<'r>> {
    let mut cell = Cells {
        row,
        aggregate_type,
        aggregate_id,
        version: expected_version,
        event_type: None,
    };
    cell.version = cell.unsigned(1, "version")?;
    let position = cell.unsigned(0, "position")?;
    let event_type = cell.text(3, "event_type")?;
    cell.event_type = Some(event_type);
    let event_id = cell.uuid(2, "event_id")?;
    let schema_version = cell.unsigned(4, "schema_version")?;
    let schema_version = u32::try_from(schema_version)
        .map_err(|_| cell.corrupt(format!("schema_version {schema_version} is out of range")))?;
    let (codec, payload, binary) = cell.payload(5, 10, 11)?;
    let correlation_id = cell.optional_uuid(6, "correlation_id")?;
    let causation_id = cell.optional_uuid(7, "causation_id")?;
    let extra = cell.extra(8)?;
    let occurred_at = from_micros(cell.integer(9, "occurred_at")?);
    Ok(EventCells {
        position,
        version: cell.version,
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

/// Reads one row of `stream`. `expected_version` names the event in an error when the
/// stored version itself is unreadable.
pub(super) fn record(
    row: &Row<'_>,
    stream: StreamId,
    expected_version: u64,
) -> Result<RecordedEvent> {
    let cells = event_cells(
        row,
        &stream.aggregate_type,
        &stream.aggregate_id,
        expected_version,
    )?;
    Ok(cells.into_record(stream))
}

/// Reads a replay row (`version, event_type, schema_version, payload, codec,
/// payload_binary`) of `stream`,
/// borrowing its text from the row.
pub(super) fn event_ref<'a>(
    row: &'a Row<'a>,
    stream: &StreamId,
    expected_version: u64,
) -> Result<EventRef<'a>> {
    let mut cell = Cells {
        row,
        aggregate_type: &stream.aggregate_type,
        aggregate_id: &stream.aggregate_id,
        version: expected_version,
        event_type: None,
    };
    cell.version = cell.unsigned(0, "version")?;
    let event_type = cell.text(1, "event_type")?;
    cell.event_type = Some(event_type);
    let schema_version = cell.unsigned(2, "schema_version")?;
    let schema_version = u32::try_from(schema_version)
        .map_err(|_| cell.corrupt(format!("schema_version {schema_version} is out of range")))?;
    let (codec, payload, binary) = cell.payload(3, 4, 5)?;
    Ok(EventRef {
        version: cell.version,
        event_type,
        schema_version,
        payload,
        codec,
        binary,
    })
}

/// Reads the stream's type and id of a feed row; `position` names the row in an error,
/// since its stream is what is unreadable.
pub(super) fn stream_of<'r>(row: &'r Row<'r>, position: u64) -> Result<(&'r str, &'r str)> {
    let text = |index| match row.get_ref(index) {
        Ok(ValueRef::Text(bytes)) => std::str::from_utf8(bytes).ok(),
        _ => None,
    };
    if let (Some(aggregate_type), Some(aggregate_id)) =
        (text(STREAM_COLUMNS_AT), text(STREAM_COLUMNS_AT + 1))
    {
        return Ok((aggregate_type, aggregate_id));
    }
    // The slow path, only for a bad row: name what is wrong.
    let unknown = format!("at feed position {position}");
    let cell = Cells {
        row,
        aggregate_type: "<unreadable>",
        aggregate_id: &unknown,
        version: 0,
        event_type: None,
    };
    let aggregate_type = cell.text(STREAM_COLUMNS_AT, "aggregate_type")?;
    let aggregate_id = cell.text(STREAM_COLUMNS_AT + 1, "aggregate_id")?;
    Ok((aggregate_type, aggregate_id))
}

/// Reads a snapshot row (`version, schema_version, state, taken_at, codec, state_binary`)
/// of `stream`; an
/// unreadable cell is [`Error::Corrupt`] with a reason that starts `snapshot:`.
pub(super) fn snapshot(row: &Row<'_>, stream: StreamId) -> Result<Snapshot> {
    let mut cell = Cells {
        row,
        aggregate_type: &stream.aggregate_type,
        aggregate_id: &stream.aggregate_id,
        version: 0,
        event_type: None,
    };
    let read = (|| {
        cell.version = cell.unsigned(0, "version")?;
        let schema_version = cell.unsigned(1, "schema_version")?;
        let schema_version = u32::try_from(schema_version).map_err(|_| {
            cell.corrupt(format!("schema_version {schema_version} is out of range"))
        })?;
        let (codec, state, binary) = cell.payload(2, 4, 5)?;
        let state = PayloadRef::from_parts(codec, state, binary).to_owned();
        let taken_at = from_micros(cell.integer(3, "taken_at")?);
        Ok((cell.version, schema_version, state, taken_at))
    })();
    match read {
        Ok((version, schema_version, state, taken_at)) => Ok(Snapshot::new(
            stream,
            version,
            schema_version,
            state,
            taken_at,
        )),
        Err(Error::UnknownCodec {
            stream,
            version,
            codec,
            ..
        }) => Err(Error::Corrupt {
            stream,
            version,
            reason: format!("snapshot: unknown codec `{codec}`"),
        }),
        Err(Error::Corrupt {
            stream,
            version,
            reason,
        }) => Err(Error::Corrupt {
            stream,
            version,
            reason: format!("snapshot: {reason}"),
        }),
        Err(other) => Err(other),
    }
}

/// Reads a stored version found by a query on the stream (its last, or a stored event
/// id's).
pub(super) fn stream_version(stream: &StreamId, value: ValueRef<'_>) -> Result<u64> {
    match value {
        ValueRef::Integer(version) => u64::try_from(version).map_err(|_| Error::Corrupt {
            stream: stream.clone(),
            version: 0,
            reason: format!("column `version` holds {version}"),
        }),
        other => Err(Error::Corrupt {
            stream: stream.clone(),
            version: 0,
            reason: format!(
                "column `version` holds {}, not an integer",
                type_name(other)
            ),
        }),
    }
}

/// The cells of one row, with what is known so far to name it in an error.
struct Cells<'a, 's> {
    row: &'a Row<'a>,
    aggregate_type: &'s str,
    aggregate_id: &'s str,
    version: u64,
    event_type: Option<&'a str>,
}

impl<'a> Cells<'a, '_> {
    fn corrupt(&self, reason: String) -> Error {
        let reason = match &self.event_type {
            Some(event_type) => format!("event type `{event_type}`: {reason}"),
            None => reason,
        };
        Error::Corrupt {
            stream: StreamId::new(self.aggregate_type, self.aggregate_id),
            version: self.version,
            reason,
        }
    }

    fn value(&self, index: usize) -> Result<ValueRef<'a>> {
        self.row.get_ref(index).map_err(backend)
    }

    fn integer(&self, index: usize, column: &str) -> Result<i64> {
        match self.value(index)? {
            ValueRef::Integer(n) => Ok(n),
            other => Err(self.corrupt(format!(
                "column `{column}` holds {}, not an integer",
                type_name(other)
            ))),
        }
    }

    fn unsigned(&self, index: usize, column: &str) -> Result<u64> {
        let n = self.integer(index, column)?;
        u64::try_from(n).map_err(|_| self.corrupt(format!("column `{column}` holds {n}")))
    }

    fn optional_text(&self, index: usize, column: &str) -> Result<Option<&'a str>> {
        match self.value(index)? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(bytes) => std::str::from_utf8(bytes)
                .map(Some)
                .map_err(|_| self.corrupt(format!("column `{column}` is not valid UTF-8"))),
            other => Err(self.corrupt(format!(
                "column `{column}` holds {}, not text",
                type_name(other)
            ))),
        }
    }

    fn text(&self, index: usize, column: &str) -> Result<&'a str> {
        self.optional_text(index, column)?
            .ok_or_else(|| self.corrupt(format!("column `{column}` is NULL")))
    }

    /// The payload's codec (column `codec`) and its text (`text`, for JSON) or bytes
    /// (`binary`, for a binary codec). An unknown codec is [`Error::UnknownCodec`].
    fn payload(
        &self,
        text: usize,
        codec: usize,
        binary: usize,
    ) -> Result<(Codec, &'a str, &'a [u8])> {
        let id = self.text(codec, "codec")?;
        let codec = Codec::from_id(id).ok_or_else(|| Error::UnknownCodec {
            stream: StreamId::new(self.aggregate_type, self.aggregate_id),
            version: self.version,
            event_type: self.event_type.unwrap_or_default().to_owned(),
            codec: id.to_owned(),
        })?;
        if codec.is_text() {
            return Ok((codec, self.text(text, "payload")?, &[]));
        }
        match self.value(binary)? {
            ValueRef::Blob(bytes) => Ok((codec, "", bytes)),
            other => Err(self.corrupt(format!(
                "column `{}` of a `{codec}` row holds {}, not a blob",
                if text == 2 {
                    "state_binary"
                } else {
                    "payload_binary"
                },
                type_name(other)
            ))),
        }
    }

    fn optional_uuid(&self, index: usize, column: &str) -> Result<Option<Uuid>> {
        self.optional_text(index, column)?
            .map(|text| {
                Uuid::try_parse(text).map_err(|_| {
                    self.corrupt(format!("column `{column}` holds `{text}`, not a UUID"))
                })
            })
            .transpose()
    }

    fn uuid(&self, index: usize, column: &str) -> Result<Uuid> {
        self.optional_uuid(index, column)?
            .ok_or_else(|| self.corrupt(format!("column `{column}` is NULL")))
    }

    fn extra(&self, index: usize) -> Result<BTreeMap<String, String>> {
        let text = self.text(index, "extra")?;
        if text == "{}" {
            return Ok(BTreeMap::new());
        }
        serde_json::from_str(text).map_err(|error| {
            self.corrupt(format!(
                "column `extra` is not a JSON object of strings: {error}"
            ))
        })
    }
}

fn type_name(value: ValueRef<'_>) -> &'static str {
    match value {
        ValueRef::Null => "NULL",
        ValueRef::Integer(_) => "an integer",
        ValueRef::Real(_) => "a real number",
        ValueRef::Text(_) => "text",
        ValueRef::Blob(_) => "a blob",
    }
}

/// Writes `id` as lower-case hyphenated text into `buffer`, without allocating.
pub(super) fn uuid_text<'b>(id: &Uuid, buffer: &'b mut [u8; 36]) -> &'b str {
    id.hyphenated().encode_lower(buffer)
}
