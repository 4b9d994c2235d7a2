use eventsource::prelude::*;

#[event]
#[derive(serde::Serialize)]
pub struct TaskCreated {
    pub title: String,
}

fn main() {}
