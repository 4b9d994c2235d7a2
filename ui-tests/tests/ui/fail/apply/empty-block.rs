use eventsource::prelude::*;

#[derive(Aggregate, Default)]
pub struct Task {
    pub title: String,
}

#[apply]
impl Task {}

fn main() {}
