use eventsource::prelude::*;

// Takes the payload alone: a JSON upcaster takes `&mut JsonEvent`.
fn fill(payload: &mut eventsource::serde_json::Value) {
    payload["by"] = "someone".into();
}

#[event(name = "TaskCompleted", version = 2, upcast_json = fill)]
pub struct TaskCompleted {
    pub by: String,
}

fn main() {}
