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

#[event(name = "TaskCompleted", version = 2, upcast_from(TaskCompletedV1))]
pub struct TaskCompleted {
    pub by: String,
}

// The older shape is listed instead of the current event.
#[derive(Aggregate, Default)]
pub struct Task {
    pub done: bool,
}

#[apply]
impl Task {
    fn completed(&mut self, _: &TaskCompletedV1) {
        self.done = true;
    }
}

fn main() {}
