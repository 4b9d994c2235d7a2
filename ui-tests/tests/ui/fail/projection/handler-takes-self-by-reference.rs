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
    fn created(&self, _: &TaskCreated) {}
}

fn main() {
    let _ = OpenTasks::NAME;
}
