use eventsource::prelude::*;

// No `From<TaskCompletedV1> for TaskCompleted`.
#[event(name = "TaskCompleted", version = 1, upcast_to = TaskCompleted)]
pub struct TaskCompletedV1 {
    pub by: String,
}

#[event(name = "TaskCompleted", version = 2, upcast_from(TaskCompletedV1))]
pub struct TaskCompleted {
    pub by: String,
}

fn main() {}
