use eventsource::prelude::*;

#[event]
pub struct TaskCreated {
    pub title: String,
}

#[derive(Aggregate, Default)]
#[aggregate(events(TaskCreated, TaskCreated))]
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
