use eventsource::prelude::*;

// Version 2, but nothing reads the version 1 rows.
#[event(name = "TaskCompleted", version = 2)]
pub struct TaskCompleted {
    pub by: String,
}

fn main() {}
