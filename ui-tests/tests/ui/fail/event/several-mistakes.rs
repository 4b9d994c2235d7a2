// Every mistake in the arguments is reported at once, each at its own token.
use eventsource::prelude::*;

#[event(nmae = "TaskCreated", version = 0)]
pub struct TaskCreated<T> {
    pub title: T,
}

fn main() {}
