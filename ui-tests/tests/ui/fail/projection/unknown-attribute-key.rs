use eventsource::prelude::*;

#[event]
pub struct TaskCreated {
    pub title: String,
}

#[derive(Default)]
pub struct OpenTasks {
    pub open: usize,
}

#[projection(nmae = "open_tasks")]
impl OpenTasks {
    fn created(&mut self, _: &TaskCreated) {
        self.open += 1;
    }
}

fn main() {
    let _ = OpenTasks::NAME;
}
