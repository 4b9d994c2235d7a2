use eventsource::prelude::*;
use eventsource::RecordedEvent;

#[event]
pub struct TaskCompleted;

#[event(aliases("TaskCompleted"))]
pub struct TaskFinished;

#[derive(Default)]
pub struct Done {
    pub count: u32,
}

#[projection(name = "done")]
impl Done {
    fn completed(&mut self, _: &TaskCompleted, _: &RecordedEvent) {
        self.count += 1;
    }

    fn finished(&mut self, _: &TaskFinished, _: &RecordedEvent) {
        self.count += 1;
    }
}

fn main() {}
