use eventsource::prelude::*;

#[event(name = "TaskFinished", aliases(TaskCompleted))]
pub struct TaskFinished;

fn main() {}
