use eventsource::prelude::*;

// No `name`: stored as `TaskCompletedV1`, not `TaskCompleted`.
#[event(version = 1, upcast_to = TaskCompleted)]
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
