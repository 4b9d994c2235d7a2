use eventsource::prelude::*;

#[event]
pub struct TaskCreated;

// `crate` takes the path as a string, as serde's attribute does.
#[derive(Aggregate, Default)]
#[aggregate(crate = eventsource)]
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
