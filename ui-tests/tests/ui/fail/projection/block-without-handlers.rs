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
impl OpenTasks {}

fn main() {
    let _ = OpenTasks::NAME;
}
