use eventsource::prelude::*;

#[event(crate = "event source")]
pub struct TaskCreated;

fn main() {}
