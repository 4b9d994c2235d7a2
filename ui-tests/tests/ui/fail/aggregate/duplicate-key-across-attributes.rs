use eventsource::prelude::*;

#[event]
pub struct TaskCreated;

#[derive(Aggregate, Default)]
#[aggregate(name = "Task")]
#[aggregate(name = "Todo")]
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
