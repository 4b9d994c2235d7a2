use eventsource::prelude::*;

#[event]
pub struct TaskCreated {
    pub title: String,
}

#[derive(Aggregate, Default)]
#[aggregate(events(TaskCreated))]
pub struct Task {
    pub title: String,
}

#[event]
pub struct TaskCompleted;

#[apply]
impl Task {
    fn created(&mut self, event: &TaskCreated) {
        self.title = event.title.clone();
    }

    fn completed(&mut self, _: &TaskCompleted) {}
}

fn main() {}
