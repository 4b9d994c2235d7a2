use eventsource::prelude::*;

#[event]
pub struct TaskCreated {
    pub title: String,
}

#[derive(Aggregate, Default)]
pub struct Task {
    pub title: String,
}

pub trait Handle {
    fn created(&mut self, event: &TaskCreated);
}

#[apply]
impl Handle for Task {
    fn created(&mut self, event: &TaskCreated) {
        self.title = event.title.clone();
    }
}

fn main() {}
