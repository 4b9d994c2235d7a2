//! [`DecodedCell`]: where a store that keeps its events in the process keeps each event's
//! decoded value beside its payload, so that a replay decodes an event once, not on every
//! load.

use std::any::Any;
use std::fmt;
use std::ops::Deref;
use std::sync::OnceLock;

/// The decoded value of one stored event, kept beside its payload by a store that lives
/// in the process (the in-memory store keeps one per event), handed to a replay by
/// [`EventStore::replay_stream_decoded`](super::EventStore::replay_stream_decoded).
///
/// The cell is filled by the first reader that decodes the event, with what its decoding
/// gave, and hands that value to later readers that decode into the same Rust type. Any
/// other reader (another aggregate type reading the stream) decodes the payload itself.
/// The payload stays what is stored: feeds, subscriptions and stream reads never see the
/// cell. So a value from the cell is exactly what decoding the event would give, as long
/// as decoding is a function of the stored event (its type name, schema version and
/// payload), which holds for serde decoding and for upcasters.
#[derive(Default)]
pub struct DecodedCell {
    value: OnceLock<Box<dyn Any + Send + Sync>>,
}

impl fmt::Debug for DecodedCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodedCell")
            .field("filled", &self.value.get().is_some())
            .finish()
    }
}

impl DecodedCell {
    /// An empty cell.
    pub fn new() -> Self {
        Self::default()
    }

    /// The event decoded as `E`: the value in the cell when a reader decoded it as `E`
    /// before, otherwise what `decode` gives, which is kept in the cell when it is empty.
    /// A failed decoding is not kept: the next reader decodes again (and fails alike).
    pub fn get_or_decode<E, Err>(
        &self,
        decode: impl Fn() -> Result<E, Err>,
    ) -> Result<Decoded<'_, E>, Err>
    where
        E: Any + Send + Sync,
    {
        if let Some(value) = self.value.get() {
            return match value.downcast_ref::<E>() {
                Some(kept) => Ok(Decoded::Kept(kept)),
                None => decode().map(Decoded::Owned),
            };
        }
        let decoded = decode()?;
        match self.value.set(Box::new(decoded)) {
            Ok(()) => match self.value.get().and_then(|v| v.downcast_ref::<E>()) {
                Some(kept) => Ok(Decoded::Kept(kept)),
                // Not reached: the cell was just filled with an `E`.
                None => decode().map(Decoded::Owned),
            },
            // Another reader filled it meanwhile: ours is handed back.
            Err(ours) => match ours.downcast::<E>() {
                Ok(ours) => Ok(Decoded::Owned(*ours)),
                Err(_) => decode().map(Decoded::Owned),
            },
        }
    }

    /// Whether a reader decoded the event into the cell already.
    pub fn is_filled(&self) -> bool {
        self.value.get().is_some()
    }
}

/// An event as [`DecodedCell::get_or_decode`] gives it: kept in the cell, or decoded for
/// this reader alone. Either way it dereferences to the event.
#[derive(Debug)]
pub enum Decoded<'a, E> {
    /// The value kept in the cell.
    Kept(&'a E),
    /// Decoded for this reader (the cell holds another type, or another reader filled it
    /// first).
    Owned(E),
}

impl<E> Deref for Decoded<'_, E> {
    type Target = E;

    fn deref(&self) -> &E {
        match self {
            Decoded::Kept(kept) => kept,
            Decoded::Owned(owned) => owned,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Decoded, DecodedCell};
    use std::cell::Cell;

    #[test]
    fn the_first_decoding_is_kept_and_handed_to_readers_of_the_same_type() {
        let cell = DecodedCell::new();
        let calls = Cell::new(0);
        let decode = || {
            calls.set(calls.get() + 1);
            Ok::<_, ()>(String::from("decoded"))
        };
        assert!(matches!(cell.get_or_decode(decode), Ok(Decoded::Kept(s)) if s == "decoded"));
        assert!(matches!(cell.get_or_decode(decode), Ok(Decoded::Kept(s)) if s == "decoded"));
        assert_eq!(calls.get(), 1);
        assert!(cell.is_filled());
    }

    #[test]
    fn a_reader_of_another_type_decodes_itself() {
        let cell = DecodedCell::new();
        let _ = cell.get_or_decode(|| Ok::<_, ()>(String::from("text")));
        let other = cell.get_or_decode(|| Ok::<_, ()>(7u32));
        assert!(matches!(other, Ok(Decoded::Owned(7))));
    }

    #[test]
    fn a_failed_decoding_is_not_kept() {
        let cell = DecodedCell::new();
        assert!(cell.get_or_decode(|| Err::<String, _>("bad")).is_err());
        assert!(!cell.is_filled());
        let later = cell.get_or_decode(|| Ok::<_, ()>(String::from("ok")));
        assert!(matches!(later, Ok(Decoded::Kept(s)) if s == "ok"));
    }
}
