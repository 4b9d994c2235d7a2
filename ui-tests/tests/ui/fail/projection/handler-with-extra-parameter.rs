use eventsource::RecordedEvent;
use eventsource::prelude::*;

#[event]
pub struct TaskCreated {
    pub title: String,
}

#[derive(Default)]
pub struct OpenTasks {
    pub open: usize,
}

#[projection]
impl OpenTasks {
    fn created(&mut self, _: &TaskCreated, _: &RecordedEvent, by: &str) {
        let _ = by;
        self.open += 1;
    }
}

fn main() {
    let _ = OpenTasks::NAME;
}
