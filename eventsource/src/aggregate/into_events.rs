//! What a command may return ([`IntoEvents`]), and which events it may not
//! ([`Emittable`]).

use super::traits::Aggregate;
use crate::applied::{EventOf, HandledEvent};

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
