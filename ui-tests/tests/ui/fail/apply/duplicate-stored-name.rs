use eventsource::prelude::*;

#[event(name = "Same")]
pub struct TaskCreated {
    pub title: String,
}

#[event(name = "Same")]
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

    fn completed(&mut self, _: &TaskCompleted) {
        self.done = true;
    }
}

fn main() {}
