use eventsource::prelude::*;

#[event(name = "TaskFinished", aliases())]
pub struct TaskFinished;

fn main() {}
