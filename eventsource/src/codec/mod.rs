//! Wire formats: the [`Codec`] a row is written with (JSON, or MessagePack
//! with the `msgpack` feature), the [`Payload`] it produces, and the stored payload a
//! decoder reads ([`StoredPayload`]).

pub(crate) mod format;
mod stored;

pub use format::{Payload, PayloadRef};
pub use stored::StoredPayload;

pub(crate) use format::Codec;
