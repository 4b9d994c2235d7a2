use eventsource::prelude::*;

#[event(name = "TaskFinished", aliases("TaskCompleted", "TaskCompleted"))]
pub struct TaskFinished;

fn main() {}
