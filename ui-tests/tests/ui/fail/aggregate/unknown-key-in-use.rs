// A misspelt key in an aggregate that commands and the event enum use: the key is the
// only error, not also "`Task: Aggregate` is not satisfied" wherever `Task` is used.
use eventsource::prelude::*;

#[event]
pub struct TaskCreated {
    pub title: String,
}

#[event]
pub struct TaskCompleted;

#[derive(Aggregate, Default)]
#[aggregate(nmae = "Task")]
pub struct Task {
    pub done: bool,
}

#[apply]
impl Task {
    fn created(&mut self, _: &TaskCreated) {}

    fn completed(&mut self, _: &TaskCompleted) {
        self.done = true;
    }
}

impl Task {
    pub fn create(&self, title: &str) -> Result<TaskCreated, &'static str> {
        Ok(TaskCreated {
            title: title.to_owned(),
        })
    }

    pub fn complete(&self) -> Result<(TaskCompleted, Option<TaskCreated>), &'static str> {
        Ok((TaskCompleted, None))
    }
}

fn main() {
    let mut task = AggregateRoot::<Task>::new(Uuid::now_v7());
    task.execute(|t| t.create("Ship")).unwrap();
    task.execute(Task::complete).unwrap();
    let _: TaskEvent = TaskCompleted.into();
    let _ = TaskEvent::TaskCreated(TaskCreated {
        title: String::new(),
    });
}
