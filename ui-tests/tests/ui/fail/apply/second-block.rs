// The handlers of an aggregate are in one `#[apply]` block: a second block is an error.
use eventsource::prelude::*;

#[event]
pub struct TaskCreated {
    pub title: String,
}

#[event]
pub struct TaskRenamed {
    pub title: String,
}

#[derive(Aggregate, Default)]
pub struct Task {
    pub title: String,
}

#[apply]
impl Task {
    fn created(&mut self, event: &TaskCreated) {
        self.title = event.title.clone();
    }
}

#[apply]
impl Task {
    fn renamed(&mut self, event: &TaskRenamed) {
        self.title = event.title.clone();
    }
}

fn main() {}
