use eventsource::prelude::*;

#[event]
pub struct TaskCreated {
    pub title: String,
}

#[event]
pub struct TaskCompleted;

#[derive(Aggregate, Default)]
#[aggregate(events(TaskCreated, TaskCompleted))]
pub struct Task {
    pub title: String,
}

#[apply]
impl Task {
    fn created(&mut self, event: &TaskCreated) {
        self.title = event.title.clone();
    }
}

fn main() {}
