use eventsource::prelude::*;

#[event]
pub struct TaskCreated<T> {
    pub title: T,
}

fn main() {}
