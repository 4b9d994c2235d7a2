use eventsource::prelude::*;
use eventsource::subscription::EventEnvelope;

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
    fn completed(&mut self, _: &TaskCompleted, _: &EventEnvelope) {
        self.count += 1;
    }

    fn finished(&mut self, _: &TaskFinished, _: &EventEnvelope) {
        self.count += 1;
    }
}

fn main() {}
