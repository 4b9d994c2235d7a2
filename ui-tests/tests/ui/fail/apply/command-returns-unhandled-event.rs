// `TaskCompleted` is returned by a command but has no handler: reported at the call that
// records the command's events.
use eventsource::prelude::*;

#[event]
pub struct TaskCreated {
    pub title: String,
}

#[event]
pub struct TaskCompleted;

#[derive(Aggregate, Default)]
pub struct Task {
    pub title: String,
    pub done: bool,
}

#[apply]
impl Task {
    fn created(&mut self, event: &TaskCreated) {
        self.title = event.title.clone();
    }
}

impl Task {
    pub fn complete(&self) -> Result<TaskCompleted, String> {
        Ok(TaskCompleted)
    }
}

fn main() {
    let mut task = AggregateRoot::<Task>::new(Uuid::now_v7());
    task.execute(Task::complete).unwrap();
}
