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

#[derive(Default)]
pub struct Done {
    pub count: u32,
}

// Handles the older shape instead of the current event.
#[projection(name = "done")]
impl Done {
    fn completed(&mut self, _: &TaskCompletedV1) {
        self.count += 1;
    }
}

fn main() {}
