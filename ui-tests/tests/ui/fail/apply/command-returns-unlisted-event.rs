// `TaskCompleted` is handled and returned by commands but not listed: reported at the
// handler, and again at each `execute` (`IntoEvents<Task>` exists for listed events only).
use eventsource::prelude::*;

#[event]
pub struct TaskCreated {
    pub title: String,
}

#[event]
pub struct TaskCompleted;

#[derive(Aggregate, Default)]
#[aggregate(events(TaskCreated))]
pub struct Task {
    pub title: String,
    pub done: bool,
}

#[apply]
impl Task {
    fn created(&mut self, event: &TaskCreated) {
        self.title = event.title.clone();
    }

    fn completed(&mut self, _: &TaskCompleted) {
        self.done = true;
    }
}

impl Task {
    pub fn complete(&self) -> Result<TaskCompleted, String> {
        Ok(TaskCompleted)
    }

    pub fn complete_twice(&self) -> Result<Vec<TaskCompleted>, String> {
        Ok(vec![TaskCompleted, TaskCompleted])
    }

    pub fn create_and_complete(&self) -> Result<(TaskCreated, Option<TaskCompleted>), String> {
        Ok((TaskCreated { title: String::new() }, Some(TaskCompleted)))
    }
}

fn main() {
    let mut task = AggregateRoot::<Task>::new(Uuid::now_v7());
    task.execute(Task::complete).unwrap();
    task.execute(Task::complete_twice).unwrap();
    task.execute(Task::create_and_complete).unwrap();
}
