use eventsource::prelude::*;

#[event(name = "TaskCompleted", version = 1, upcast_to = TaskCompleted)]
pub struct TaskCompletedV1 {
    pub by: String,
}

// Upcasting goes to newer versions: version 2 cannot become version 1.
#[event(name = "TaskCompleted", version = 2, upcast_to = TaskCompletedV1)]
pub struct TaskCompletedV2 {
    pub by: String,
    pub note: String,
}

impl From<TaskCompletedV1> for TaskCompleted {
    fn from(v1: TaskCompletedV1) -> Self {
        TaskCompleted { by: v1.by }
    }
}

impl From<TaskCompletedV2> for TaskCompletedV1 {
    fn from(v2: TaskCompletedV2) -> Self {
        TaskCompletedV1 { by: v2.by }
    }
}

#[event(name = "TaskCompleted", version = 3, upcast_from(TaskCompletedV1, TaskCompletedV2))]
pub struct TaskCompleted {
    pub by: String,
}

fn main() {}
