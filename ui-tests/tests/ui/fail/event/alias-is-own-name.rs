use eventsource::prelude::*;

#[event(name = "TaskFinished", aliases("TaskFinished"))]
pub struct TaskFinished;

fn main() {}
