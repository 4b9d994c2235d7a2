use eventsource::prelude::*;

#[event(name)]
pub struct TaskCreated {
    pub title: String,
}

fn main() {}
