//! What an `#[apply]` block implements and `#[derive(Aggregate)]` relies on: the link
//! between the struct, whose derive knows its name and id, and the block, whose handlers
//! are its events. Named by the expansions only, through `__private`.

use crate::codec::StoredPayload;
use crate::error::DecodeError;
use crate::event::EventSet;
use std::convert::Infallible;
use std::fmt;

/// Implemented by an `#[apply]` block's event enum for its aggregate `A`. The derive asserts
/// it, so an aggregate without a block is one error at the derive.
#[diagnostic::on_unimplemented(
    message = "`{A}` has no #[apply] block: its handlers are the events of `{A}`",
    label = "`{A}` derives `Aggregate`, but no `#[apply] impl {A}` block in this module handles its events",
    note = "add `#[apply] impl {A} {{ fn created(&mut self, event: &TaskCreated) {{ ... }} }}` beside the struct, one handler per event"
)]
pub trait Applied<A> {}

/// The derive's check that an `#[apply]` block exists for `A`: `T` is the event enum the
/// block declares, or [`NoApplyBlock`] when there is none.
pub const fn assert_applied<A, T: Applied<A>>() {}

/// The apply dispatch of an event enum: calls the handler of the variant's event.
pub trait Dispatch<A> {
    /// Applies the event to `aggregate`.
    fn dispatch(&self, aggregate: &mut A);
}

/// The event enum of `A` wraps the event `E`: `A`'s `#[apply]` block handles `E` and `E`
/// is not retired. What makes a single event something a command of `A` may return.
#[diagnostic::on_unimplemented(
    message = "`{E}` is not an event of `{A}`: no #[apply] handler of `{A}` takes it",
    label = "a command of `{A}` cannot return `{E}`",
    note = "a command returns events that the `#[apply]` block of `{A}` handles; add `fn(&mut self, event: &{E})` to it, or return another event"
)]
pub trait EventOf<A, E> {
    /// `E` as a variant of the enum.
    fn wrap(event: E) -> Self;
}

/// What the derive names as the event enum when the module has no `#[apply]` block for
/// the aggregate: it has every impl an event enum has, so that nothing but
/// [`assert_applied`] reports the missing block. It has no values.
pub struct NoApplyBlock {
    never: Infallible,
}

impl NoApplyBlock {
    fn never(&self) -> ! {
        match self.never {}
    }
}

impl fmt::Debug for NoApplyBlock {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.never()
    }
}

impl Clone for NoApplyBlock {
    fn clone(&self) -> Self {
        self.never()
    }
}

impl PartialEq for NoApplyBlock {
    fn eq(&self, _: &Self) -> bool {
        self.never()
    }
}

impl EventSet for NoApplyBlock {
    const EVENT_TYPES: &'static [&'static str] = &[];

    fn event_type(&self) -> &'static str {
        self.never()
    }

    fn schema_version(&self) -> u32 {
        self.never()
    }

    fn encode(&self) -> Result<String, serde_json::Error> {
        self.never()
    }

    fn decode_stored(_: StoredPayload<'_>) -> Result<Self, DecodeError> {
        Err(DecodeError::UnknownEventType)
    }
}

impl<A> Dispatch<A> for NoApplyBlock {
    fn dispatch(&self, _: &mut A) {
        self.never()
    }
}

impl<A, E> EventOf<A, E> for NoApplyBlock {
    fn wrap(_: E) -> Self {
        // Never compiled into a program: the derive's `assert_applied` fails the build.
        unreachable!("an aggregate without an #[apply] block does not compile")
    }
}

/// Everything the expansion of `#[apply]` needs of a handled event, behind one bound. A
/// handled type that is not an event is then reported once, as not implementing
/// [`DomainEvent`](crate::DomainEvent), rather than once for each trait the
/// expansion uses (`Debug`, `Clone`, `PartialEq`, `Serialize`, ...).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an event",
    label = "not an `#[event]` type",
    note = "mark `{Self}` with `#[event]`, or implement `eventsource::DomainEvent` for it"
)]
pub trait HandledEvent: Sized {
    /// [`DomainEvent::EVENT_TYPE`](crate::DomainEvent::EVENT_TYPE).
    const EVENT_TYPE: &'static str;
    /// [`DomainEvent::SCHEMA_VERSION`](crate::DomainEvent::SCHEMA_VERSION).
    const SCHEMA_VERSION: u32;
    /// [`DomainEvent::ALIASES`](crate::DomainEvent::ALIASES).
    const ALIASES: &'static [&'static str];
    /// [`DomainEvent::RETIRED`](crate::DomainEvent::RETIRED).
    const RETIRED: bool;
    /// [`DomainEvent::UPCASTS_JSON`](crate::DomainEvent::UPCASTS_JSON).
    const UPCASTS_JSON: bool;
    /// [`DomainEvent::OLDER_SHAPE`](crate::DomainEvent::OLDER_SHAPE).
    const OLDER_SHAPE: bool;
    /// True when `event_type` is the event's stored name or one of its aliases.
    fn reads(event_type: &str) -> bool {
        crate::event::names::is_read_as(event_type, Self::EVENT_TYPE, Self::ALIASES)
    }
    /// The event as `Debug`.
    fn as_debug(&self) -> &dyn ::core::fmt::Debug;
    /// `Clone::clone`.
    fn clone_event(&self) -> Self;
    /// `PartialEq::eq`.
    fn eq_event(&self, other: &Self) -> bool;
    /// The JSON payload.
    fn encode_event(&self) -> Result<String, serde_json::Error>;
    /// The payload written by `codec`.
    fn encode_event_with(
        &self,
        codec: crate::codec::Codec,
    ) -> Result<crate::codec::Payload, crate::error::CodecError>;
    /// [`decode_stored`](crate::evolution::decode_stored).
    fn decode_event(stored: StoredPayload<'_>) -> Result<Self, DecodeError>;
}

impl<E: crate::event::DomainEvent> HandledEvent for E {
    const EVENT_TYPE: &'static str = E::EVENT_TYPE;
    const SCHEMA_VERSION: u32 = E::SCHEMA_VERSION;
    const ALIASES: &'static [&'static str] = E::ALIASES;
    const RETIRED: bool = E::RETIRED;
    const UPCASTS_JSON: bool = E::UPCASTS_JSON;
    const OLDER_SHAPE: bool = E::OLDER_SHAPE;

    fn as_debug(&self) -> &dyn ::core::fmt::Debug {
        self
    }

    fn clone_event(&self) -> Self {
        self.clone()
    }

    fn eq_event(&self, other: &Self) -> bool {
        self == other
    }

    fn encode_event(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    fn encode_event_with(
        &self,
        codec: crate::codec::Codec,
    ) -> Result<crate::codec::Payload, crate::error::CodecError> {
        codec.encode(self)
    }

    fn decode_event(stored: StoredPayload<'_>) -> Result<Self, DecodeError> {
        crate::event::decode_stored(stored)
    }
}
