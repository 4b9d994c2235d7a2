use eventsource::prelude::*;

#[derive(Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
}

fn main() {}
