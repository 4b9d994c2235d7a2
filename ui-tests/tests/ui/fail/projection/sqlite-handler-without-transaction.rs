use eventsource::prelude::*;
use eventsource::subscription::EventEnvelope;

#[event]
pub struct TaskCreated {
    pub title: String,
}

#[derive(Default)]
pub struct OpenTasks {
    pub open: usize,
}

#[projection(sqlite)]
impl OpenTasks {
    fn created(&mut self, _: &TaskCreated, _: &EventEnvelope) {
        self.open += 1;
    }
}

fn main() {
    let _ = <OpenTasks as eventsource::subscription::SqliteProjection>::NAME;
}
