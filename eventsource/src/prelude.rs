//! The names most programs need: `use eventsource::prelude::*;`.

#[cfg(feature = "sqlite")]
pub use crate::SqliteEventStore;
pub use crate::bus::InMemoryEventBus;
pub use crate::snapshot::{InMemorySnapshotStore, SnapshotMode, SnapshotPolicy};
pub use crate::{
    Aggregate, AggregateRoot, CachingRepository, DomainEvent, EventContext, EventStore,
    ExpectedVersion, InMemoryEventStore, LockingRepository, Projection, Repository, UpdateError,
    apply, event, projection,
};
/// Derives serde's `Deserialize` through this crate: no serde dependency and no
/// `#[serde(crate = ...)]` attribute needed. `#[serde(...)]` attributes mean what they
/// mean on serde's own derive, and so do generic parameters: a generic type gets the
/// bounds serde's derive would give it (`T: Deserialize<'de>` for each type parameter in
/// a deserialized field, `T: Default` for a defaulted one, `'de: 'a` for each borrowed
/// lifetime), or those of `#[serde(bound = "...")]` where given.
///
/// With the dependency renamed (`es = { package = "eventsource", ... }` in `Cargo.toml`),
/// say where serde is as for serde's own derive, `#[serde(crate = "es::serde")]`: a plain
/// name is an extern crate (`::es`), a path starting with `crate::`, `self::` or `super::`
/// reaches a re-export in your crate, as for the other macros' `crate = "es"`.
///
/// ```
/// # extern crate eventsource as es;
/// use es::prelude::*;
///
/// #[derive(Debug, PartialEq, Serialize, Deserialize)]
/// #[serde(crate = "es::serde", rename_all = "camelCase")]
/// pub struct Page<T> {
///     pub items: Vec<T>,
///     pub next_cursor: Option<u32>,
/// }
///
/// # fn main() {
/// let page = Page { items: vec![1u8, 2], next_cursor: None };
/// let json = es::serde_json::to_string(&page).unwrap();
/// assert_eq!(json, r#"{"items":[1,2],"nextCursor":null}"#);
/// assert_eq!(es::serde_json::from_str::<Page<u8>>(&json).unwrap(), page);
/// # }
/// ```
pub use eventsource_derive::Deserialize;
/// Derives serde's `Serialize` through this crate: no serde dependency and no
/// `#[serde(crate = ...)]` attribute needed. A generic type gets the bounds serde's own
/// derive would give it (`T: Serialize` for each type parameter in a serialized field),
/// and a renamed dependency takes `#[serde(crate = "es::serde")]` (see
/// [`Deserialize`](macro@Deserialize)).
pub use eventsource_derive::Serialize;
pub use serde::de::Deserialize;
pub use serde::ser::Serialize;
pub use uuid::Uuid;
