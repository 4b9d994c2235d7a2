// Every mistake in the attribute is reported at once, each at its own token, and the
// handlers add nothing.
use eventsource::prelude::*;

#[event]
pub struct TaskCreated;

#[derive(Aggregate, Default)]
#[aggregate(nmae = "Task", id, event_enum = TaskEvents)]
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
