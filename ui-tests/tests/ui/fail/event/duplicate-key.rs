use eventsource::prelude::*;

#[event(name = "TaskCreated", name = "TaskOpened")]
pub struct TaskCreated {
    pub title: String,
}

fn main() {}
