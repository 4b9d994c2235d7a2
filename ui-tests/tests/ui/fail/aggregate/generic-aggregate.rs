use eventsource::prelude::*;

#[event]
pub struct TaskCreated;

#[derive(Aggregate, Default)]
#[aggregate(events(TaskCreated))]
pub struct Task<T> {
    pub tag: T,
}

fn main() {}
