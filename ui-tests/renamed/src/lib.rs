//! Every macro with `crate = "es"` (the prelude's serde derives with
//! `#[serde(crate = "es::serde")]`), in a crate that depends on `eventsource` only as `es`:
//! it compiles only if no expansion names `::eventsource`.

#![deny(warnings, unused_qualifications, clippy::all)]

use es::prelude::*;

/// A task was created.
#[event(
    crate = "es",
    name = "TaskCreated",
    version = 2,
    upcast_from(TaskCreatedV1)
)]
pub struct TaskCreated {
    /// Its title.
    pub title: String,
}

/// A task was created, as version 1 stored it.
#[event(crate = "es", name = "TaskCreated", version = 1, upcast_to = TaskCreated)]
pub struct TaskCreatedV1 {
    /// Its title.
    pub name: String,
}

impl From<TaskCreatedV1> for TaskCreated {
    fn from(v1: TaskCreatedV1) -> Self {
        TaskCreated { title: v1.name }
    }
}

/// A task was completed.
#[event(crate = "es", aliases("TaskDone"))]
pub struct TaskCompleted;

/// A task.
#[derive(Aggregate, Debug, Default, Serialize, Deserialize)]
#[serde(crate = "es::serde")]
#[aggregate(
    crate = "es",
    id = String,
    snapshot(version = 1)
)]
pub struct Task {
    title: String,
    done: bool,
}

#[apply(crate = "es")]
impl Task {
    fn created(&mut self, event: &TaskCreated) {
        self.title.clone_from(&event.title);
    }

    fn completed(&mut self, _: &TaskCompleted) {
        self.done = true;
    }
}

impl Task {
    /// Completes the task.
    pub fn complete(&self) -> Result<TaskCompleted, &'static str> {
        if self.done {
            return Err("already done");
        }
        Ok(TaskCompleted)
    }
}

/// A page of a generic type, through the prelude's derives with the renamed crate.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(crate = "es::serde", rename_all = "camelCase")]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Where the next page starts.
    pub next_cursor: Option<u32>,
}

/// Counts open tasks.
#[derive(Debug, Default)]
pub struct OpenTasks {
    open: usize,
}

#[projection(crate = "es", name = "open_tasks")]
impl OpenTasks {
    fn created(&mut self, _: &TaskCreated) {
        self.open += 1;
    }

    fn completed(&mut self, _: &TaskCompleted) {
        self.open -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use es::Projection;
    use es::aggregate::EventSet;

    #[test]
    fn every_expansion_works_through_the_renamed_dependency() {
        let mut task = AggregateRoot::<Task>::new("t-1".to_owned());
        task.record(TaskCreated {
            title: "Ship".into(),
        });
        task.execute(Task::complete).unwrap();
        assert!(task.done);
        assert_eq!(task.title, "Ship");
        assert_eq!(
            TaskEvent::decode("TaskCreated", 1, r#"{"name":"Old"}"#).unwrap(),
            TaskEvent::TaskCreated(TaskCreated {
                title: "Old".into()
            })
        );
        assert_eq!(<Task as es::snapshot::Snapshottable>::SNAPSHOT_VERSION, 1);
        assert_eq!(OpenTasks::NAME, "open_tasks");
        assert_eq!(OpenTasks::default().open, 0);
        let page = Page {
            items: vec![TaskCompleted],
            next_cursor: Some(2),
        };
        let json = es::serde_json::to_string(&page).unwrap();
        assert_eq!(json, r#"{"items":[null],"nextCursor":2}"#);
        assert_eq!(
            es::serde_json::from_str::<Page<TaskCompleted>>(&json).unwrap(),
            page
        );
    }
}
