use eventsource::prelude::*;

#[event]
pub struct TaskCreated;

#[derive(Aggregate)]
#[aggregate(events(TaskCreated))]
pub union Task {
    pub id: u64,
}

fn main() {}
