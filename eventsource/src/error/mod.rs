//! The errors besides [`Error`] (the repository's and the stores', at the
//! crate root): [`DecodeError`] for a stored payload that does not decode, its
//! [`UpcastError`], a codec's [`CodecError`], and the kinds that classify configuration
//! and schema errors.

mod chain;
mod codec;
mod decode;
pub(crate) mod failure;
mod kinds;
mod retryable;

pub use codec::CodecError;
pub use decode::{DecodeError, UpcastError};
pub use kinds::{ConfigKind, SchemaKind};

/// A boxed error from a backend, a handler or a user command.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

pub(crate) use failure::{Error, Result};
