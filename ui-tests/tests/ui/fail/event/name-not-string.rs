use eventsource::prelude::*;

#[event(name = TaskCreated)]
pub struct TaskCreated {
    pub title: String,
}

fn main() {}
