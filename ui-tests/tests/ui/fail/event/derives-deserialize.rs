use eventsource::prelude::*;
use serde::Deserialize;

#[event]
#[derive(Debug, Deserialize)]
pub struct TaskCreated {
    pub title: String,
}

fn main() {}
