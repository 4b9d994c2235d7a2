use eventsource::prelude::*;

#[event(name = "TaskCompleted", version = 1, upcast_to = TaskCompletedV2)]
pub struct TaskCompletedV1 {
    pub by: String,
}

// An older shape lists no shapes: the current event lists them all.
#[event(
    name = "TaskCompleted",
    version = 2,
    upcast_to = TaskCompleted,
    upcast_from(TaskCompletedV1)
)]
pub struct TaskCompletedV2 {
    pub by: String,
}

impl From<TaskCompletedV1> for TaskCompletedV2 {
    fn from(v1: TaskCompletedV1) -> Self {
        TaskCompletedV2 { by: v1.by }
    }
}

impl From<TaskCompletedV2> for TaskCompleted {
    fn from(v2: TaskCompletedV2) -> Self {
        TaskCompleted { by: v2.by }
    }
}

#[event(name = "TaskCompleted", version = 3, upcast_from(TaskCompletedV1, TaskCompletedV2))]
pub struct TaskCompleted {
    pub by: String,
}

fn main() {}
