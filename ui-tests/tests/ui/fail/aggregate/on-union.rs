use eventsource::prelude::*;

#[event]
pub struct TaskCreated;

#[derive(Aggregate)]
pub union Task {
    pub id: u64,
}

fn main() {}
