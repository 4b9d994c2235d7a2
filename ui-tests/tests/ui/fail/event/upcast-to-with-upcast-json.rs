use eventsource::prelude::*;

fn fill(_: &mut eventsource::evolution::JsonEvent<'_>) -> Result<(), eventsource::error::BoxError> {
    Ok(())
}

// The current event runs the upcasters, not an older shape.
#[event(name = "TaskCompleted", version = 1, upcast_to = TaskCompleted, upcast_json = fill)]
pub struct TaskCompletedV1 {
    pub by: String,
}

impl From<TaskCompletedV1> for TaskCompleted {
    fn from(v1: TaskCompletedV1) -> Self {
        TaskCompleted { by: v1.by }
    }
}

#[event(name = "TaskCompleted", version = 2, upcast_from(TaskCompletedV1))]
pub struct TaskCompleted {
    pub by: String,
}

fn main() {}
