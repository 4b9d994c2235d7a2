// `#[projection(sqlite)]` in a build without eventsource's `sqlite` feature.
use eventsource::prelude::*;

#[event]
pub struct TaskCreated;

/// The transaction type, as the handler's code names it.
pub struct Transaction<'a>(&'a ());

#[derive(Default)]
pub struct Counts;

#[projection(sqlite)]
impl Counts {
    fn created(&mut self, _: &TaskCreated, _: &RecordedEvent, _: &Transaction<'_>) {}
}

fn main() {}
