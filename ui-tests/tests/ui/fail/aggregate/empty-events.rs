use eventsource::prelude::*;

#[derive(Aggregate, Default)]
#[aggregate(events())]
pub struct Task {
    pub created: bool,
}

fn main() {}
