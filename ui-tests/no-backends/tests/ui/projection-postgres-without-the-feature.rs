// `#[projection(postgres)]` in a build without eventsource's `postgres` feature.
use eventsource::prelude::*;

#[event]
pub struct TaskCreated;

/// The transaction type, as the handler's code names it.
pub struct Transaction<'a>(&'a ());

#[derive(Default)]
pub struct Counts;

#[projection(postgres)]
impl Counts {
    fn created(&mut self, _: &TaskCreated, _: &RecordedEvent, _: &Transaction<'_>) {}
}

fn main() {}
