//! The [`Aggregate`] trait `#[derive(Aggregate)]` implements, and what an aggregate id
//! needs.

use crate::event::EventSet;
use std::any::Any;
use std::fmt::{Debug, Display};
use uuid::Uuid;

/// An aggregate's state and how events change it.
///
/// Derive it, and write its handlers in one `#[apply]` block: `#[derive(Aggregate)]` gives
/// what belongs to the struct (its stored name, id type and snapshot schema), and the
/// `#[apply]` handlers are its events: the block generates the event enum
/// ([`Self::Event`]), the stored names and the apply dispatch. The state starts as
/// [`Default`] and changes only by applying events.
pub trait Aggregate: Default + Send + Sync + 'static {
    /// The aggregate's id type (`Uuid` unless `#[aggregate(id = ...)]` says otherwise).
    type Id: AggregateId;

    /// The enum of the aggregate's events.
    type Event: EventSet;

    /// The aggregate type name stored with its streams.
    const TYPE: &'static str;

    /// Applies one event to the state. Applying cannot fail: commands decide, events are
    /// facts.
    fn apply(&mut self, event: &Self::Event);
}

/// What an aggregate id needs: it is cloned, printed in errors and stored as text (its
/// [`Display`] form). `Uuid`, `String`, integers and user newtypes with `Display` all fit.
pub trait AggregateId: Clone + Debug + Display + Send + Sync + 'static {}

impl<T: Clone + Debug + Display + Send + Sync + 'static> AggregateId for T {}

/// An id's text, as its [`Display`] writes it. A `Uuid`, the usual id, is written
/// directly: through the formatting machinery it costs several times as much, and every
/// load and save names its stream.
pub(crate) fn id_text<I: AggregateId>(id: &I) -> String {
    match (id as &dyn Any).downcast_ref::<Uuid>() {
        Some(uuid) => uuid
            .hyphenated()
            .encode_lower(&mut Uuid::encode_buffer())
            .to_owned(),
        None => id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::id_text;
    use uuid::Uuid;

    #[test]
    fn an_id_text_is_its_display_form() {
        let uuid = Uuid::now_v7();
        assert_eq!(id_text(&uuid), uuid.to_string());
        assert_eq!(id_text(&Uuid::nil()), Uuid::nil().to_string());
        assert_eq!(id_text(&42_u64), "42");
        assert_eq!(id_text(&"order-7".to_owned()), "order-7");
    }
}
