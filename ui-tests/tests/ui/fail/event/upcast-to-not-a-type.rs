use eventsource::prelude::*;

#[event(name = "TaskCompleted", version = 1, upcast_to = "TaskCompleted")]
pub struct TaskCompletedV1 {
    pub by: String,
}

fn main() {}
