//! The [`Aggregate`] trait `#[derive(Aggregate)]` implements, and the traits that connect
//! an aggregate to its events.

use crate::applied::{EventOf, HandledEvent};
use crate::codec::EventSet;
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

/// What a command may return: one event the aggregate's `#[apply]` block handles, the event enum, several of them
/// (`Vec`, `Option`, arrays, tuples) or nothing (`()`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not something a command of `{A}` can return",
    label = "not an event `{A}` emits",
    note = "a command returns events that the `#[apply]` block of `{A}` handles (one, or several in a `Vec`, `Option`, array or tuple), the event enum, or `()`; a retired event is read but never emitted"
)]
pub trait IntoEvents<A: Aggregate> {
    /// Appends the events to `out`, in order.
    fn into_events(self, out: &mut Vec<A::Event>);

    /// Hands the events to `each`, in order: [`into_events`](Self::into_events) without
    /// the vector (recording the one event of a command allocates nothing for it). The
    /// derive's impls and this crate's provide it; the default goes through a vector.
    #[doc(hidden)]
    fn each_event(self, each: &mut dyn FnMut(A::Event))
    where
        Self: Sized,
    {
        let mut out = Vec::new();
        self.into_events(&mut out);
        out.into_iter().for_each(each);
    }
}

impl<A: Aggregate> IntoEvents<A> for () {
    fn into_events(self, _: &mut Vec<A::Event>) {}

    fn each_event(self, _: &mut dyn FnMut(A::Event)) {}
}

impl<A: Aggregate, T: IntoEvents<A>> IntoEvents<A> for Vec<T> {
    fn into_events(self, out: &mut Vec<A::Event>) {
        for item in self {
            item.into_events(out);
        }
    }

    fn each_event(self, each: &mut dyn FnMut(A::Event)) {
        for item in self {
            item.each_event(each);
        }
    }
}

impl<A: Aggregate, T: IntoEvents<A>, const N: usize> IntoEvents<A> for [T; N] {
    fn into_events(self, out: &mut Vec<A::Event>) {
        for item in self {
            item.into_events(out);
        }
    }

    fn each_event(self, each: &mut dyn FnMut(A::Event)) {
        for item in self {
            item.each_event(each);
        }
    }
}

impl<A: Aggregate, T: IntoEvents<A>> IntoEvents<A> for Option<T> {
    fn into_events(self, out: &mut Vec<A::Event>) {
        if let Some(item) = self {
            item.into_events(out);
        }
    }

    fn each_event(self, each: &mut dyn FnMut(A::Event)) {
        if let Some(item) = self {
            item.each_event(each);
        }
    }
}

macro_rules! tuple_into_events {
    ($($name:ident),+) => {
        impl<A: Aggregate, $($name: IntoEvents<A>),+> IntoEvents<A> for ($($name,)+) {
            #[allow(non_snake_case)]
            fn into_events(self, out: &mut Vec<A::Event>) {
                let ($($name,)+) = self;
                $($name.into_events(out);)+
            }

            #[allow(non_snake_case)]
            fn each_event(self, each: &mut dyn FnMut(A::Event)) {
                let ($($name,)+) = self;
                $($name.each_event(each);)+
            }
        }
    };
}

tuple_into_events!(T1);
tuple_into_events!(T1, T2);
tuple_into_events!(T1, T2, T3);
tuple_into_events!(T1, T2, T3, T4);
tuple_into_events!(T1, T2, T3, T4, T5);
tuple_into_events!(T1, T2, T3, T4, T5, T6);

/// One event: the aggregate's event enum wraps it when the `#[apply]` block handles it.
impl<A: Aggregate, E: HandledEvent> IntoEvents<A> for E
where
    A::Event: EventOf<A, E>,
{
    fn into_events(self, out: &mut Vec<A::Event>) {
        out.push(<A::Event as EventOf<A, E>>::wrap(self));
    }

    fn each_event(self, each: &mut dyn FnMut(A::Event)) {
        each(<A::Event as EventOf<A, E>>::wrap(self));
    }
}

/// An event a command may return: every `#[event]` type except a retired one
/// (`#[event(retired)]`), which is read from stored streams but never emitted. The
/// `#[apply]` block's conversions into the event enum require it, so a command returning
/// a retired event does not compile. A hand-written [`DomainEvent`](crate::DomainEvent) implements
/// it too, unless the event is retired.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is a retired event: it is read from stored streams but never emitted",
    label = "retired",
    note = "return a current event instead; `#[event(retired)]` keeps `{Self}` readable only"
)]
pub trait Emittable {}

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
