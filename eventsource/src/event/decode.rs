//! Decoding stored payloads as typed events, with schema versions, stored names and
//! upcasting.
//!
//! Decoding one stored payload as the event `E` ([`decode_stored`]):
//!
//! - the stored schema version is `E`'s: the payload is deserialised as `E`;
//! - it is newer: [`DecodeError::NewerSchemaVersion`];
//! - it is older: `E`'s JSON upcaster runs first when it has one
//!   ([`DomainEvent::upcast_json`], `#[event(upcast_json = f)]`), then the typed chain of
//!   its older shapes ([`DomainEvent::upcast`], `#[event(upcast_from(V1, V2))]`) brings
//!   the payload to `E`.

use super::{DomainEvent, JsonEvent, OlderPayload};
use crate::codec::StoredPayload;
use crate::error::{DecodeError, UpcastError};

/// Decodes one stored payload as `E`, upcasting an older schema version first. Without
/// metadata; see [`decode_stored`].
pub fn decode_event<E: DomainEvent>(schema_version: u32, payload: &str) -> Result<E, DecodeError> {
    decode_stored(StoredPayload::new(E::EVENT_TYPE, schema_version, payload))
}

/// Decodes one stored event as `E`: as it is when it has `E`'s schema version, through
/// `E`'s upcasters when it is older (see [`evolution`](crate::evolution)).
pub fn decode_stored<E: DomainEvent>(stored: StoredPayload<'_>) -> Result<E, DecodeError> {
    use std::cmp::Ordering;
    let supported = E::SCHEMA_VERSION;
    match stored.schema_version.cmp(&supported) {
        Ordering::Equal => Ok(stored.payload_ref().decode()?),
        Ordering::Greater => Err(DecodeError::NewerSchemaVersion {
            stored: stored.schema_version,
            supported,
        }),
        Ordering::Less if E::UPCASTS_JSON => {
            let metadata = stored.metadata.ok_or(DecodeError::MetadataUnavailable)?;
            let mut event = JsonEvent {
                event_type: stored.event_type,
                schema_version: stored.schema_version,
                // Whatever codec wrote the row, the upcaster sees it as JSON.
                payload: stored.payload_ref().to_json_value()?,
                metadata,
            };
            E::upcast_json(&mut event).map_err(|source| {
                DecodeError::JsonUpcast(UpcastError::boxed(
                    stored.schema_version,
                    supported,
                    source,
                ))
            })?;
            match event.schema_version.cmp(&supported) {
                Ordering::Equal => Ok(serde_json::from_value(event.payload)?),
                Ordering::Greater => Err(DecodeError::NewerSchemaVersion {
                    stored: event.schema_version,
                    supported,
                }),
                Ordering::Less => {
                    E::upcast(OlderPayload::json(event.schema_version, event.payload))
                }
            }
        }
        Ordering::Less => E::upcast(OlderPayload::stored(
            stored.schema_version,
            stored.payload_ref(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::BoxError;
    use crate::event::EventMetadata;
    use crate::prelude::*;

    #[event(name = "Noted", version = 1, upcast_to = NotedV2)]
    struct NotedV1 {
        text: String,
    }

    #[event(name = "Noted", version = 2, upcast_to = Noted)]
    struct NotedV2 {
        text: String,
        author: String,
    }

    /// Version 3 reads version 1 rows by JSON (their author is in the metadata), which
    /// leaves them at version 2 for the typed chain.
    #[event(name = "Noted", version = 3, upcast_json = author_from_metadata, upcast_from(NotedV1, NotedV2))]
    struct Noted {
        text: String,
        author: String,
        edited: bool,
    }

    impl From<NotedV1> for NotedV2 {
        fn from(v1: NotedV1) -> Self {
            NotedV2 {
                text: v1.text,
                author: "unknown".into(),
            }
        }
    }

    impl From<NotedV2> for Noted {
        fn from(v2: NotedV2) -> Self {
            Noted {
                text: v2.text,
                author: v2.author,
                edited: false,
            }
        }
    }

    fn author_from_metadata(event: &mut JsonEvent<'_>) -> Result<(), BoxError> {
        if event.schema_version == 1 {
            let author = event.metadata.extra.get("user").ok_or("no user")?;
            event.payload["author"] = author.clone().into();
            event.schema_version = if author == "future" { 4 } else { 2 };
        }
        Ok(())
    }

    fn metadata(user: &str) -> EventMetadata {
        let mut metadata = EventMetadata::new();
        metadata.extra.insert("user".into(), user.into());
        metadata
    }

    #[test]
    fn what_the_json_upcaster_leaves_older_goes_through_the_typed_chain() {
        let metadata = metadata("ann");
        let stored = StoredPayload::new("Noted", 1, r#"{"text":"hi"}"#).with_metadata(&metadata);
        let noted: Noted = decode_stored(stored).unwrap();
        assert_eq!(
            noted,
            Noted {
                text: "hi".into(),
                author: "ann".into(),
                edited: false
            }
        );
        // A version 2 row: the upcaster leaves it as it is, the chain converts it.
        let stored = StoredPayload::new("Noted", 2, r#"{"text":"yo","author":"bob"}"#)
            .with_metadata(&metadata);
        let noted: Noted = decode_stored(stored).unwrap();
        assert_eq!(noted.author, "bob");
    }

    #[test]
    fn a_json_upcaster_producing_a_newer_version_than_the_event_is_refused() {
        let metadata = metadata("future");
        let stored = StoredPayload::new("Noted", 1, r#"{"text":"hi"}"#).with_metadata(&metadata);
        assert!(matches!(
            decode_stored::<Noted>(stored),
            Err(DecodeError::NewerSchemaVersion {
                stored: 4,
                supported: 3
            })
        ));
    }

    #[test]
    fn a_failing_json_upcaster_names_the_versions() {
        let metadata = EventMetadata::new();
        let stored = StoredPayload::new("Noted", 1, r#"{"text":"hi"}"#).with_metadata(&metadata);
        match decode_stored::<Noted>(stored) {
            Err(DecodeError::JsonUpcast(failure)) => {
                assert_eq!((failure.from, failure.to), (1, 3));
                assert_eq!(failure.source.to_string(), "no user");
            }
            other => panic!("expected a JSON upcast error, got {other:?}"),
        }
    }
}
