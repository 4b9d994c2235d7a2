//! [`CodecError`]: why a payload could not be encoded or decoded by its codec.

use super::BoxError;

/// Why a payload could not be encoded or decoded by its [`Codec`](crate::Codec).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The JSON codec failed.
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    /// A binary codec failed.
    #[error("{codec}: {source}")]
    Binary {
        /// The codec's id ([`Codec::id`](crate::Codec::id)).
        codec: &'static str,
        /// Its error.
        #[source]
        source: BoxError,
    },
    /// The payload was written by a codec this program is built without.
    #[error("codec `{codec}` is not built in (cargo feature `{feature}`)")]
    Unavailable {
        /// The codec's id.
        codec: &'static str,
        /// The cargo feature of `eventsource` that builds it in.
        feature: &'static str,
    },
}
