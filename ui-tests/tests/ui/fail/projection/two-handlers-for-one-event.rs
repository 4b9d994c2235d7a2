use eventsource::prelude::*;

#[event]
pub struct TaskCreated {
    pub title: String,
}

#[derive(Default)]
pub struct OpenTasks {
    pub open: usize,
}

#[projection]
impl OpenTasks {
    fn created(&mut self, _: &TaskCreated) {
        self.open += 1;
    }

    fn counted(&mut self, _: &TaskCreated) {
        self.open += 1;
    }
}

fn main() {
    let _ = OpenTasks::NAME;
}
