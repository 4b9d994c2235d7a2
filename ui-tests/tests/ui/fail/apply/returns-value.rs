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
    fn created(&mut self, event: &TaskCreated) -> bool {
        self.title = event.title.clone();
        true
    }
}

fn main() {}
