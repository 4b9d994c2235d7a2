use eventsource::prelude::*;

#[event]
pub struct TaskCreated {
    pub title: String,
}

#[derive(Default)]
pub struct OpenTasks {
    pub open: usize,
}

pub trait Handlers {
    fn created(&mut self, event: &TaskCreated);
}

#[projection]
impl Handlers for OpenTasks {
    fn created(&mut self, _: &TaskCreated) {
        self.open += 1;
    }
}

fn main() {}
