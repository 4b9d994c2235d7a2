use eventsource::prelude::*;

#[event(version = 0)]
pub struct TaskCreated {
    pub title: String,
}

fn main() {}
