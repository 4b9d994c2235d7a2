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
    fn created(&mut self, _: &TaskCreated) -> usize {
        self.open += 1;
        self.open
    }
}

fn main() {}
