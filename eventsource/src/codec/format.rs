//! [`Codec`]: the serializer that turns events and snapshot states into stored bytes, and
//! the payloads it makes ([`Payload`], borrowed as [`PayloadRef`]).
//!
//! Every stored row records the codec that wrote it, so a reader decodes each row with its
//! own codec whatever the writer is configured with: a store holds rows of both, and
//! switching codecs never breaks an old row. The set of codecs is therefore closed and
//! known to every reader; a repository picks the one it writes with
//! ([`Repository::with_codec`](crate::Repository::with_codec)).

use crate::error::CodecError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;

/// A serializer for stored payloads (events and snapshot states).
///
/// - [`Codec::Json`], the default: `serde_json` text, queryable as JSON in PostgreSQL
///   (`payload::jsonb`) and SQLite (`json_extract`).
/// - [`Codec::MessagePack`]: MessagePack through `rmp-serde`, structs as maps of field
///   names, so `#[serde(default)]`, removed fields and `#[serde(alias)]` are tolerated as
///   with JSON, and a stored payload can be turned into a JSON value for
///   [`upcast_json`](crate::DomainEvent::upcast_json). Written only with the cargo
///   feature `msgpack`; a program without it reads such a row as a typed error
///   ([`CodecError::Unavailable`](crate::error::CodecError::Unavailable)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Codec {
    /// JSON text (`serde_json`).
    #[default]
    Json,
    /// MessagePack (`rmp-serde`, structs as maps).
    MessagePack,
}

/// An encoded payload, owned: what a codec writes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Payload {
    /// JSON text.
    Json(String),
    /// MessagePack bytes.
    MessagePack(Vec<u8>),
}

/// An encoded payload, borrowed from a record or a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadRef<'a> {
    /// JSON text.
    Json(&'a str),
    /// MessagePack bytes.
    MessagePack(&'a [u8]),
}

impl Codec {
    /// Every codec, JSON first.
    pub const ALL: [Codec; 2] = [Codec::Json, Codec::MessagePack];

    /// The id a store records on each row: `json` or `msgpack`.
    pub const fn id(self) -> &'static str {
        match self {
            Codec::Json => "json",
            Codec::MessagePack => "msgpack",
        }
    }

    /// The codec recorded as `id`, if this library knows it.
    pub fn from_id(id: &str) -> Option<Codec> {
        Codec::ALL.into_iter().find(|codec| codec.id() == id)
    }

    /// True when its payloads are text (stored in the text column).
    pub const fn is_text(self) -> bool {
        matches!(self, Codec::Json)
    }

    /// The cargo feature that builds the codec in (JSON is always there).
    pub const fn feature(self) -> Option<&'static str> {
        match self {
            Codec::Json => None,
            Codec::MessagePack => Some("msgpack"),
        }
    }

    /// Encodes `value`.
    pub fn encode<T: Serialize + ?Sized>(self, value: &T) -> Result<Payload, CodecError> {
        match self {
            Codec::Json => Ok(Payload::Json(serde_json::to_string(value)?)),
            Codec::MessagePack => msgpack::encode(value).map(Payload::MessagePack),
        }
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Payload {
    /// The codec that wrote it.
    pub fn codec(&self) -> Codec {
        self.as_ref().codec()
    }

    /// The payload borrowed.
    pub fn as_ref(&self) -> PayloadRef<'_> {
        match self {
            Payload::Json(text) => PayloadRef::Json(text),
            Payload::MessagePack(bytes) => PayloadRef::MessagePack(bytes),
        }
    }

    /// Splits the payload into a record's two columns: the text (JSON) and the bytes
    /// (binary codecs); the other one is empty.
    pub(crate) fn into_parts(self) -> (Codec, String, Vec<u8>) {
        match self {
            Payload::Json(text) => (Codec::Json, text, Vec::new()),
            Payload::MessagePack(bytes) => (Codec::MessagePack, String::new(), bytes),
        }
    }
}

impl From<String> for Payload {
    fn from(json: String) -> Self {
        Payload::Json(json)
    }
}

impl From<&str> for Payload {
    fn from(json: &str) -> Self {
        Payload::Json(json.to_owned())
    }
}

impl<'a> PayloadRef<'a> {
    /// A record's payload from its columns: `text` for a text codec, else `bytes`.
    pub fn from_parts(codec: Codec, text: &'a str, bytes: &'a [u8]) -> Self {
        match codec {
            Codec::Json => PayloadRef::Json(text),
            Codec::MessagePack => PayloadRef::MessagePack(bytes),
        }
    }

    /// The codec that wrote it.
    pub fn codec(self) -> Codec {
        match self {
            PayloadRef::Json(_) => Codec::Json,
            PayloadRef::MessagePack(_) => Codec::MessagePack,
        }
    }

    /// The JSON text, when the payload is JSON.
    pub fn as_json(self) -> Option<&'a str> {
        match self {
            PayloadRef::Json(text) => Some(text),
            PayloadRef::MessagePack(_) => None,
        }
    }

    /// Its size in bytes, as stored.
    pub fn len(self) -> usize {
        match self {
            PayloadRef::Json(text) => text.len(),
            PayloadRef::MessagePack(bytes) => bytes.len(),
        }
    }

    /// True for an empty payload.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// Decodes the payload as `T`, by the codec that wrote it.
    pub fn decode<T: DeserializeOwned>(self) -> Result<T, CodecError> {
        match self {
            PayloadRef::Json(text) => Ok(serde_json::from_str(text)?),
            PayloadRef::MessagePack(bytes) => msgpack::decode(bytes),
        }
    }

    /// The payload as a JSON value, whatever codec wrote it: what a JSON-level upcaster
    /// works on.
    pub fn to_json_value(self) -> Result<serde_json::Value, CodecError> {
        self.decode()
    }

    /// An owned copy.
    pub fn to_owned(self) -> Payload {
        match self {
            PayloadRef::Json(text) => Payload::Json(text.to_owned()),
            PayloadRef::MessagePack(bytes) => Payload::MessagePack(bytes.to_vec()),
        }
    }
}

#[cfg(feature = "msgpack")]
mod msgpack {
    use super::{Codec, CodecError};

    fn error(source: impl std::error::Error + Send + Sync + 'static) -> CodecError {
        CodecError::Binary {
            codec: Codec::MessagePack.id(),
            source: Box::new(source),
        }
    }

    /// Structs as maps of field names (`to_vec_named`): a reader tolerates added, removed
    /// and renamed (aliased) fields as it does with JSON.
    pub(super) fn encode<T: serde::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CodecError> {
        rmp_serde::to_vec_named(value).map_err(error)
    }

    pub(super) fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
        rmp_serde::from_slice(bytes).map_err(error)
    }
}

#[cfg(not(feature = "msgpack"))]
mod msgpack {
    use super::{Codec, CodecError};

    const UNAVAILABLE: CodecError = CodecError::Unavailable {
        codec: Codec::MessagePack.id(),
        feature: "msgpack",
    };

    pub(super) fn encode<T: serde::Serialize + ?Sized>(_: &T) -> Result<Vec<u8>, CodecError> {
        Err(UNAVAILABLE)
    }

    pub(super) fn decode<T>(_: &[u8]) -> Result<T, CodecError> {
        Err(UNAVAILABLE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_each_codec_once() {
        for codec in Codec::ALL {
            assert_eq!(Codec::from_id(codec.id()), Some(codec));
        }
        assert_eq!(Codec::from_id("JSON"), None);
        assert_eq!(Codec::from_id("cbor"), None);
    }

    #[test]
    fn json_round_trips_as_text() {
        let payload = Codec::Json
            .encode(&serde_json::json!({"a": [1, 2]}))
            .unwrap();
        assert_eq!(payload, Payload::Json(r#"{"a":[1,2]}"#.into()));
        let value: serde_json::Value = payload.as_ref().decode().unwrap();
        assert_eq!(value["a"][1], 2);
    }

    #[cfg(feature = "msgpack")]
    #[test]
    fn message_pack_keeps_field_names_and_reads_as_json() {
        #[derive(Serialize)]
        struct Old {
            title: String,
            removed: u32,
        }
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct New {
            #[serde(alias = "title")]
            name: String,
            #[serde(default)]
            added: bool,
        }
        let payload = Codec::MessagePack
            .encode(&Old {
                title: "t".into(),
                removed: 7,
            })
            .unwrap();
        assert_eq!(payload.codec(), Codec::MessagePack);
        let new: New = payload.as_ref().decode().unwrap();
        assert_eq!(
            new,
            New {
                name: "t".into(),
                added: false
            }
        );
        let json = payload.as_ref().to_json_value().unwrap();
        assert_eq!(json, serde_json::json!({"title": "t", "removed": 7}));
    }

    #[cfg(feature = "msgpack")]
    #[test]
    fn a_truncated_message_pack_payload_is_a_codec_error() {
        let Payload::MessagePack(bytes) = Codec::MessagePack.encode(&[1u32, 2, 3]).unwrap() else {
            panic!("a MessagePack payload")
        };
        let error = PayloadRef::MessagePack(&bytes[..2])
            .decode::<Vec<u32>>()
            .unwrap_err();
        assert!(matches!(
            error,
            CodecError::Binary {
                codec: "msgpack",
                ..
            }
        ));
    }
}
