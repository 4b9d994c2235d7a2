use eventsource::prelude::*;

#[event]
pub struct TaskCompleted;

// Reads rows stored as `TaskCompleted`, which `TaskCompleted` reads too.
#[event(aliases("TaskCompleted"))]
pub struct TaskFinished;

#[derive(Aggregate, Default)]
pub struct Task {
    pub done: bool,
}

#[apply]
impl Task {
    fn completed(&mut self, _: &TaskCompleted) {
        self.done = true;
    }

    fn finished(&mut self, _: &TaskFinished) {
        self.done = true;
    }
}

fn main() {}
