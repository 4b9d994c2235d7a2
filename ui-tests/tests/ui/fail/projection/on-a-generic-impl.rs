use eventsource::prelude::*;

#[event]
pub struct TaskCreated {
    pub title: String,
}

#[derive(Default)]
pub struct Count<T> {
    pub count: usize,
    pub of: T,
}

#[projection]
impl<T: Send + 'static> Count<T> {
    fn created(&mut self, _: &TaskCreated) {
        self.count += 1;
    }
}

fn main() {}
