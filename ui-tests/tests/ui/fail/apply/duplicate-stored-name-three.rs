// Each event whose stored name an earlier event already has is reported.
use eventsource::prelude::*;

#[event(name = "Same")]
pub struct TaskCreated;

#[event]
pub struct TaskRenamed;

#[event(name = "Same")]
pub struct TaskCompleted;

#[event(name = "TaskRenamed")]
pub struct TaskRetitled;

#[derive(Aggregate, Default)]
pub struct Task {
    pub changes: u32,
}

#[apply]
impl Task {
    fn created(&mut self, _: &TaskCreated) {
        self.changes += 1;
    }

    fn renamed(&mut self, _: &TaskRenamed) {
        self.changes += 1;
    }

    fn completed(&mut self, _: &TaskCompleted) {
        self.changes += 1;
    }

    fn retitled(&mut self, _: &TaskRetitled) {
        self.changes += 1;
    }
}

fn main() {}
