use eventsource::prelude::*;

#[event]
pub struct TaskCreated {
    pub title: String,
}

#[derive(Aggregate, Default)]
pub struct Task {
    pub title: String,
}

#[apply]
impl Task {
    fn created<T>(&mut self, event: &TaskCreated) {
        self.title = event.title.clone();
    }
}

fn main() {}
