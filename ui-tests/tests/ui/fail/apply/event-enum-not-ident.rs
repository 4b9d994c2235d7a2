use eventsource::prelude::*;

#[event]
pub struct TaskCreated;

#[derive(Aggregate, Default)]
pub struct Task {
    pub created: bool,
}

#[apply(event_enum = "TaskEvents")]
impl Task {
    fn created(&mut self, _: &TaskCreated) {
        self.created = true;
    }
}

fn main() {}
