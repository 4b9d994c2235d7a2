// Every wrong handler is reported at once, each at its own token, and nothing else.
use eventsource::prelude::*;

#[event]
pub struct TaskCreated {
    pub title: String,
}

#[event]
pub struct TaskRenamed {
    pub title: String,
}

#[derive(Aggregate, Default)]
pub struct Task {
    pub title: String,
}

#[apply]
impl Task {
    fn created(&self, event: TaskCreated) -> bool {
        event.title.is_empty()
    }

    fn renamed(&mut self, event: &TaskRenamed, extra: u32) {
        self.title = format!("{}{extra}", event.title);
    }
}

fn main() {}
