use eventsource::prelude::*;

#[event]
pub struct TaskCreated {
    pub title: String,
}

#[derive(Default)]
pub struct OpenTasks {
    pub open: usize,
}

#[projection(name = "open_tasks", clear = clear_tasks)]
impl OpenTasks {
    fn created(&mut self, _: &TaskCreated) {
        self.open += 1;
    }
}

impl OpenTasks {
    fn clear_tasks(&mut self) {
        self.open = 0;
    }
}

fn main() {
    let _ = OpenTasks::NAME;
}
