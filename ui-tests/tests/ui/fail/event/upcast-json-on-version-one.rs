use eventsource::prelude::*;

fn fill(event: &mut eventsource::evolution::JsonEvent<'_>) -> Result<(), eventsource::error::BoxError> {
    event.schema_version = 1;
    Ok(())
}

#[event(name = "TaskCompleted", upcast_json = fill)]
pub struct TaskCompleted {
    pub by: String,
}

fn main() {}
