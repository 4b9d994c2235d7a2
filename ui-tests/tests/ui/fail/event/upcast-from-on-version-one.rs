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

// Version 1 (the default) has no older versions.
#[event(name = "TaskCompleted", upcast_from(TaskCompletedV1))]
pub struct TaskCompleted {
    pub by: String,
}

fn main() {}
