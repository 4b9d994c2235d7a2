//! Upcasting: reading a payload stored with an older schema version as the current event.
//!
//! Two mechanisms, which compose: a typed chain of older shapes (each one a plain type
//! with the fields of its version, converted to the next by `From` or `TryFrom`), and a
//! JSON upcaster for what types cannot say (a value taken from the stored metadata, a
//! field moved in from elsewhere).

use crate::error::{BoxError, DecodeError, UpcastError};
use crate::event::{DomainEvent, OlderPayload};

/// One step of a typed upcasting chain: the shape of one schema version turned into the
/// shape of the next. Implemented for every `P` that `N` converts from, with `From` (an
/// upcast that cannot fail) or `TryFrom` (one that can).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be upcast to `{N}`, the next version of its event",
    label = "no conversion from `{Self}` to `{N}`",
    note = "implement `From<{Self}> for {N}`, or `TryFrom<{Self}> for {N}` when the upcast can fail"
)]
pub trait UpcastsTo<N>: Sized {
    /// The conversion.
    fn upcast_to(self) -> Result<N, BoxError>;
}

impl<P, N> UpcastsTo<N> for P
where
    N: TryFrom<P>,
    N::Error: Into<BoxError>,
{
    fn upcast_to(self) -> Result<N, BoxError> {
        N::try_from(self).map_err(Into::into)
    }
}

/// An older shape of an event: a type with the fields of one older schema version,
/// marked `#[event(name = "...", version = N, upcast_to = Next)]`, listed in
/// `upcast_from(...)` of the current event. It is read, never written.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is listed in `upcast_from(...)` but is not an older shape of an event",
    label = "not marked as an older shape",
    note = "an older shape is a type with the fields of its version, marked `#[event(name = \"...\", version = N, upcast_to = NextVersion)]`"
)]
pub trait OlderShape: DomainEvent {
    /// The shape of the next schema version (or the current event), from `upcast_to`.
    type Next: DomainEvent;

    /// [`DomainEvent::EVENT_TYPE`].
    const SHAPE_NAME: &'static str = <Self as DomainEvent>::EVENT_TYPE;

    /// [`DomainEvent::SCHEMA_VERSION`].
    const SHAPE_VERSION: u32 = <Self as DomainEvent>::SCHEMA_VERSION;

    /// The schema version of [`Next`](Self::Next).
    const NEXT_VERSION: u32 = <Self::Next as DomainEvent>::SCHEMA_VERSION;

    /// The payload deserialised as this shape.
    fn read_shape(older: OlderPayload<'_>) -> Result<Self, DecodeError> {
        older.deserialize()
    }

    /// This shape converted to the next ([`upcast_step`]).
    fn upcast_next(self) -> Result<Self::Next, DecodeError>;
}

/// The links from an older shape up to the event `C`: implemented by every event for
/// itself (the end of a chain), and by an older shape for every `C` its `upcast_to` leads
/// to.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not upcast to `{C}`",
    label = "its `upcast_to` links do not lead to `{C}`",
    note = "each older shape names the next in `upcast_to`; the last one names `{C}`"
)]
pub trait UpcastChain<C>: Sized {
    /// This shape converted, link by link, to `C`.
    fn climb(self) -> Result<C, DecodeError>;
}

/// The link from an older shape to the shape its `upcast_to` names, `N`, on the way to the
/// current event `C`. `Link<true>` hands `N` on, to climb the rest of the chain;
/// `Link<false>` is a link to a version that is not newer, which the older shape's own
/// `const` assertion reports: it stands in `C` itself, so that the chain from `N` to `C`
/// is not required (and reported) as well. A program with such a link does not compile, so
/// it never runs.
pub struct Link<const NEWER: bool>;

/// What a [`Link`] hands on: `N`, or (for a link the build already fails on) `C`.
pub trait LinkTo<N, C> {
    /// `N` or `C`.
    type Next;

    /// The next shape, handed on.
    fn next(next: N) -> Self::Next;
}

impl<N, C> LinkTo<N, C> for Link<true> {
    type Next = N;

    fn next(next: N) -> N {
        next
    }
}

impl<N, C> LinkTo<N, C> for Link<false> {
    type Next = C;

    fn next(_: N) -> C {
        unreachable!("a link to a version that is not newer fails the build")
    }
}

/// Upcasts the shape `P` to the next shape `N`; a failure is [`DecodeError::Upcast`]
/// naming both schema versions.
pub fn upcast_step<P, N>(shape: P) -> Result<N, DecodeError>
where
    P: DomainEvent + UpcastsTo<N>,
    N: DomainEvent,
{
    shape.upcast_to().map_err(|source| {
        DecodeError::Upcast(UpcastError::boxed(
            P::SCHEMA_VERSION,
            N::SCHEMA_VERSION,
            source,
        ))
    })
}
