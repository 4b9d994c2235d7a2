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
    fn created(&mut self, event: TaskCreated) {
        let _ = event.title;
        self.open += 1;
    }
}

fn main() {
    let _ = OpenTasks::NAME;
}
