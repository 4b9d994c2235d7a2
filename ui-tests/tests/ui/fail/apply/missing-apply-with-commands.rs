// A forgotten `#[apply]` with commands and a repository in use: the one error is at the
// derive; the code using the aggregate adds none.
use eventsource::prelude::*;

#[event]
pub struct TaskCreated {
    pub title: String,
}

#[derive(Aggregate, Default)]
pub struct Task {
    pub title: String,
}

impl Task {
    fn created(&mut self, event: &TaskCreated) {
        self.title = event.title.clone();
    }

    pub fn create(&self, title: String) -> Result<TaskCreated, String> {
        Ok(TaskCreated { title })
    }
}

#[tokio::main]
async fn main() {
    let repo = Repository::<Task, _>::new(InMemoryEventStore::new());
    let id = Uuid::now_v7();
    let task = repo.create(id, |t| t.create("x".into())).await.unwrap();
    let mut root = AggregateRoot::<Task>::new(id);
    root.execute(|t| t.create("y".into())).unwrap();
    let _ = (task.title.len(), root.version());
    let mut copy = Task::default();
    copy.created(&TaskCreated { title: String::new() });
}
