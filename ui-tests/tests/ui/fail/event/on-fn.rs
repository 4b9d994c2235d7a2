use eventsource::prelude::*;

#[event]
pub fn task_created() {}

fn main() {}
