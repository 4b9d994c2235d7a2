//! Every macro under the strictest lints: the expansions add no warning and document every
//! item they generate.

#![deny(warnings, unused_qualifications, missing_docs)]

use eventsource::prelude::*;

/// The domain, public so that `missing_docs` checks the generated items too.
pub mod domain {
    use eventsource::prelude::*;

    /// A task was created.
    #[event]
    pub struct TaskCreated {
        /// Its title.
        pub title: String,
    }

    /// A task's status changed.
    #[event(name = "TaskStatus", version = 3, upcast_json = status_from_v1_or_v2)]
    pub enum TaskStatus {
        /// It is open.
        Open,
        /// It is closed.
        Closed,
    }

    /// Versions 1 and 2 stored the same payload as version 3.
    pub fn status_from_v1_or_v2(
        event: &mut eventsource::evolution::JsonEvent<'_>,
    ) -> Result<(), eventsource::error::BoxError> {
        event.schema_version = 3;
        Ok(())
    }

    /// A task was archived.
    #[event(aliases("TaskShelved"))]
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct TaskArchived;

    /// A task.
    #[derive(Aggregate, Debug, Default)]
    #[aggregate(name = "Task")]
    pub struct Task {
        /// Its title.
        pub title: String,
        /// Whether it is open.
        pub open: bool,
        /// Whether it is archived.
        pub archived: bool,
    }

    #[apply]
    impl Task {
        fn created(&mut self, event: &TaskCreated) {
            self.title.clone_from(&event.title);
            self.open = true;
        }

        fn status(&mut self, event: &TaskStatus) {
            self.open = *event == TaskStatus::Open;
        }

        fn archived(&mut self, _: &TaskArchived) {
            self.archived = true;
        }
    }

    impl Task {
        /// Closes and archives the task.
        pub fn close(&self) -> Result<(TaskStatus, TaskArchived), String> {
            if self.archived {
                return Err("already archived".into());
            }
            Ok((TaskStatus::Closed, TaskArchived))
        }
    }
}

use domain::{Task, TaskCreated, TaskEvent};

fn main() {
    let mut task = AggregateRoot::<Task>::new(Uuid::now_v7());
    task.record(TaskCreated {
        title: "Lint".into(),
    });
    task.execute(Task::close).unwrap();
    assert!(!task.open);
    assert!(task.archived);
    assert_eq!(task.version(), 3);
    assert!(task.execute(Task::close).is_err());
    assert_eq!(task.version(), 3);
    assert!(matches!(
        task.pending_events()[2].event,
        TaskEvent::TaskArchived(_)
    ));
}
