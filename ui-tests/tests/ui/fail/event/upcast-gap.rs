use eventsource::prelude::*;

#[event(name = "TaskCompleted", version = 1, upcast_to = TaskCompleted)]
pub struct TaskCompletedV1 {
    pub by: String,
}

impl From<TaskCompletedV1> for TaskCompleted {
    fn from(v1: TaskCompletedV1) -> Self {
        TaskCompleted { by: v1.by }
    }
}

// Version 3 needs a shape for versions 1 and 2; version 2 is missing.
#[event(name = "TaskCompleted", version = 3, upcast_from(TaskCompletedV1))]
pub struct TaskCompleted {
    pub by: String,
}

fn main() {}
