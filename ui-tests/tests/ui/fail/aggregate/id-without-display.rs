// The id type must be printable: `AggregateId` needs `Display`.
use eventsource::prelude::*;

#[derive(Debug, Clone)]
pub struct TaskId(u64);

#[event]
pub struct TaskCreated;

#[derive(Aggregate, Default)]
#[aggregate(id = TaskId)]
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
