use eventsource::prelude::*;

#[event(version = "2")]
pub struct TaskCreated {
    pub title: String,
}

fn main() {}
