//! Streams and the expectations a writer states about them: [`StreamId`] and
//! [`ExpectedVersion`].

use std::fmt;

/// The stream of one aggregate: its type and its id.
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
