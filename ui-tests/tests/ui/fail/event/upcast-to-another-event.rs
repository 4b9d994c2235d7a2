use eventsource::prelude::*;

#[event]
pub struct TaskReopened;

// Upcasts to another event than the one listing it.
#[event(name = "TaskCompleted", version = 1, upcast_to = TaskReopened)]
pub struct TaskCompletedV1 {
    pub by: String,
}

impl From<TaskCompletedV1> for TaskReopened {
    fn from(_: TaskCompletedV1) -> Self {
        TaskReopened
    }
}

#[event(name = "TaskCompleted", version = 2, upcast_from(TaskCompletedV1))]
pub struct TaskCompleted {
    pub by: String,
}

fn main() {}
