//! Every macro under `deny(warnings, unused_qualifications, clippy::all)`: the expansions
//! must not add a single warning to a user's crate (clippy runs this file with
//! `cargo clippy --all-targets`).

#![deny(warnings, unused_qualifications, clippy::all)]

use eventsource::prelude::*;
use eventsource::{EventSet, StreamId};

/// A task was created.
#[event(name = "TaskCreated", version = 2)]
pub struct TaskCreated {
    /// Its title.
    pub title: String,
}

/// A task was completed.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskCompleted;

/// A task's priority changed.
#[event]
pub enum PriorityChanged {
    /// Low.
    Low,
    /// High, with a reason.
    High {
        /// Why.
        reason: String,
    },
}

/// A task.
#[derive(Aggregate, Debug, Default)]
#[aggregate(
    name = "Task",
    id = String,
    events(TaskCreated, TaskCompleted, PriorityChanged),
    event_enum = TaskChange
)]
pub struct Task {
    title: String,
    done: bool,
    urgent: bool,
}

#[apply]
impl Task {
    fn created(&mut self, event: &TaskCreated) {
        self.title.clone_from(&event.title);
    }

    fn completed(&mut self, _: &TaskCompleted) {
        self.done = true;
    }

    fn priority(&mut self, event: &PriorityChanged) {
        self.urgent = matches!(event, PriorityChanged::High { .. });
    }
}

impl Task {
    /// Completes the task, dropping its urgency.
    pub fn complete(&self) -> Result<(Option<PriorityChanged>, TaskCompleted), &'static str> {
        if self.done {
            return Err("already done");
        }
        Ok((self.urgent.then_some(PriorityChanged::Low), TaskCompleted))
    }
}

#[test]
fn the_macros_expand_without_warnings_and_work() {
    let mut task = AggregateRoot::<Task>::new("t-1".to_owned());
    task.record(TaskCreated {
        title: "Ship".into(),
    });
    task.record(PriorityChanged::High {
        reason: "release".into(),
    });
    assert!(task.urgent);

    task.execute(Task::complete).unwrap();
    assert!(task.done);
    assert!(!task.urgent);
    assert_eq!(task.title, "Ship");
    assert_eq!(task.version(), 4);
    assert_eq!(task.stream(), StreamId::new("Task", "t-1"));
    assert_eq!(task.execute(Task::complete), Err("already done"));

    let first = &task.pending_events()[0].event;
    assert_eq!(first.event_type(), "TaskCreated");
    assert_eq!(first.schema_version(), 2);
    let decoded = TaskChange::decode("TaskCreated", 2, &first.encode().unwrap()).unwrap();
    assert_eq!(&decoded, first);
    assert_eq!(
        TaskChange::EVENT_TYPES,
        ["TaskCreated", "TaskCompleted", "PriorityChanged"]
    );
}
