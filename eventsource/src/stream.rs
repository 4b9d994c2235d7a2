//! Streams and the expectations a writer states about them: [`StreamId`] and
//! [`ExpectedVersion`].

use std::fmt;

/// The longest aggregate id every store accepts, in bytes of UTF-8.
pub const MAX_AGGREGATE_ID_BYTES: usize = 1024;

/// The longest aggregate type name every store accepts, in bytes of UTF-8.
pub const MAX_AGGREGATE_TYPE_BYTES: usize = 255;

/// The stream of one aggregate: its type and its id.
///
/// Every store accepts the same streams: an aggregate type of at most
/// [`MAX_AGGREGATE_TYPE_BYTES`] and an id of at most [`MAX_AGGREGATE_ID_BYTES`], neither
/// holding a NUL character. Any other stream is refused with
/// [`Error::InvalidStream`](crate::Error::InvalidStream) before the store is touched.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamId {
    /// The aggregate type, as in `#[aggregate(name = ...)]`.
    pub aggregate_type: String,
    /// The aggregate id, as text.
    pub aggregate_id: String,
}

impl StreamId {
    /// The stream of aggregate `aggregate_id` of type `aggregate_type`.
    pub fn new(aggregate_type: impl Into<String>, aggregate_id: impl Into<String>) -> Self {
        StreamId {
            aggregate_type: aggregate_type.into(),
            aggregate_id: aggregate_id.into(),
        }
    }
}

impl StreamId {
    /// Why no store accepts this stream, if one breaks the rule (see [`StreamId`]).
    pub fn invalid_reason(&self) -> Option<String> {
        let parts = [
            (
                "aggregate type",
                &self.aggregate_type,
                MAX_AGGREGATE_TYPE_BYTES,
            ),
            ("aggregate id", &self.aggregate_id, MAX_AGGREGATE_ID_BYTES),
        ];
        for (what, text, limit) in parts {
            if text.len() > limit {
                return Some(format!(
                    "the {what} is {} bytes long; every store accepts at most {limit} bytes",
                    text.len()
                ));
            }
            if text.contains('\0') {
                return Some(format!(
                    "the {what} contains a NUL character, which no store accepts"
                ));
            }
        }
        None
    }

    /// The stream for a message: an id longer than 64 characters is cut, with its length.
    pub fn short(&self) -> impl fmt::Display + '_ {
        Short(self)
    }
}

struct Short<'a>(&'a StreamId);

impl fmt::Display for Short<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let StreamId {
            aggregate_type,
            aggregate_id,
        } = self.0;
        match aggregate_id.char_indices().nth(64) {
            Some((cut, _)) => write!(
                f,
                "{} {}… ({} bytes)",
                aggregate_type.escape_debug(),
                aggregate_id[..cut].escape_debug(),
                aggregate_id.len()
            ),
            None => write!(
                f,
                "{} {}",
                aggregate_type.escape_debug(),
                aggregate_id.escape_debug()
            ),
        }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.aggregate_type, self.aggregate_id)
    }
}

/// What a writer expects of a stream's version before its append. Versions count from 1;
/// a stream that does not exist is at version 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpectedVersion {
    /// Append whatever the version.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream must exist (have at least one event).
    StreamExists,
    /// The stream must be at exactly this version (`Exact(0)` means it must not exist).
    Exact(u64),
}

impl ExpectedVersion {
    /// Does a stream at version `actual` satisfy this expectation?
    pub fn is_satisfied_by(self, actual: u64) -> bool {
        match self {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => actual == 0,
            ExpectedVersion::StreamExists => actual > 0,
            ExpectedVersion::Exact(n) => actual == n,
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedVersion::Any => f.write_str("any"),
            ExpectedVersion::NoStream => f.write_str("no stream"),
            ExpectedVersion::StreamExists => f.write_str("stream exists"),
            ExpectedVersion::Exact(n) => write!(f, "{n}"),
        }
    }
}
