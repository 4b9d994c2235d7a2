use eventsource::prelude::*;

// An event, but not marked as an older shape (`upcast_to`).
#[event(name = "TaskCompleted", version = 1)]
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
