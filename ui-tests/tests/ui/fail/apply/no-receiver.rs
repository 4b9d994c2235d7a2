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
    fn created(event: &TaskCreated) {
        let _ = &event.title;
    }
}

fn main() {}
