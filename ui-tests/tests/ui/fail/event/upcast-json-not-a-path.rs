use eventsource::prelude::*;

#[event(name = "TaskCompleted", version = 2, upcast_json = "fill")]
pub struct TaskCompleted {
    pub by: String,
}

fn main() {}
