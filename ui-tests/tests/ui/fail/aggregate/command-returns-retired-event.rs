use eventsource::prelude::*;

#[event]
pub struct TaskCreated;

#[event(retired)]
pub struct TaskArchived;

#[derive(Aggregate, Default)]
pub struct Task {
    pub archived: bool,
}

#[apply]
impl Task {
    fn created(&mut self, _: &TaskCreated) {}

    fn archived(&mut self, _: &TaskArchived) {
        self.archived = true;
    }
}

impl Task {
    pub fn archive(&self) -> Result<TaskArchived, String> {
        Ok(TaskArchived)
    }
}

fn main() {
    let mut task = AggregateRoot::<Task>::new(Uuid::now_v7());
    task.execute(Task::archive).unwrap();
}
