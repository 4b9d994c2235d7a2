use eventsource::prelude::*;

#[event(retired = true)]
pub struct TaskArchived;

fn main() {}
