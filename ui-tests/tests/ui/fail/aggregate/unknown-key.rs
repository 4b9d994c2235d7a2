use eventsource::prelude::*;

#[event]
pub struct TaskCreated;

#[derive(Aggregate, Default)]
#[aggregate(nmae = "Task")]
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
