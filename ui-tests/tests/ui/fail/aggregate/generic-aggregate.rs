use eventsource::prelude::*;

#[event]
pub struct TaskCreated;

#[derive(Aggregate, Default)]
pub struct Task<T> {
    pub tag: T,
}

fn main() {}
