use eventsource::prelude::*;

#[event(version = 4294967296)]
pub struct TaskCreated {
    pub title: String,
}

fn main() {}
