use eventsource::prelude::*;

#[event(nmae = "TaskCreated")]
pub struct TaskCreated {
    pub title: String,
}

fn main() {}
