use eventsource::prelude::*;

pub struct TaskCreated;

#[derive(Aggregate, Default)]
pub struct Task {
    pub created: bool,
}

#[apply]
impl Task {
    fn created(&mut self, _: &TaskCreated) {
        self.created = true;
    }
}

fn main() {}
