use eventsource::prelude::*;

#[event]
pub union TaskCreated {
    pub id: u64,
    pub bits: f64,
}

fn main() {}
