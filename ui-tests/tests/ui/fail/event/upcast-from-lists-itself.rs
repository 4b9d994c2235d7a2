use eventsource::prelude::*;

#[event(name = "TaskCompleted", version = 2, upcast_from(TaskCompleted))]
pub struct TaskCompleted {
    pub by: String,
}

fn main() {}
