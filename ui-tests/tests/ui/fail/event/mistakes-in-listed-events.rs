// A mistake in an event's `#[event]` is reported once: the aggregate that handles the event
// adds nothing.
use eventsource::prelude::*;

#[event(version = 0)]
pub struct TaskCreated {
    pub title: String,
}

#[event(nmae = "TaskDone")]
pub struct TaskCompleted;

#[event]
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TaskRenamed {
    pub title: String,
}

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

    fn renamed(&mut self, event: &TaskRenamed) {
        self.title = event.title.clone();
    }
}

fn main() {}
