//! Aggregates: what an aggregate's id needs ([`AggregateId`]), the set of its events
//! ([`EventSet`], the enum its `#[apply]` block generates), the events a command records
//! and a save has not yet stored ([`PendingEvent`]), and which events a command may not
//! return ([`Emittable`]). The [`Aggregate`] trait and [`IntoEvents`]
//! are at the crate root.

pub(crate) mod into_events;
mod pending;
pub(crate) mod traits;

pub use crate::event::EventSet;
pub use into_events::Emittable;
pub use pending::PendingEvent;
pub use traits::AggregateId;

pub(crate) use into_events::IntoEvents;
pub(crate) use traits::{Aggregate, id_text};
