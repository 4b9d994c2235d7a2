//! The aggregates, events and raw events the cases store: a `Task` (also usable in a
//! backend's own tests) and an `Account` that takes snapshots.

use crate::event::EventMetadata;
use crate::prelude::*;
use crate::store::{NewEvent, StreamId};

/// A task was created.
#[event]
pub struct TaskCreated {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
}

/// A task was assigned.
#[event]
pub struct TaskAssigned {
    /// The assignee.
    pub assigned_to: Uuid,
}

/// A task was completed.
#[event]
pub struct TaskCompleted {
    /// Who completed it.
    pub completed_by: Uuid,
}

/// A to-do item.
#[derive(Aggregate, Debug, Default, Clone, PartialEq)]
#[aggregate(name = "Task")]
pub struct Task {
    /// Title.
    pub title: String,
    /// Assignee.
    pub assigned_to: Option<Uuid>,
    /// Completed?
    pub completed: bool,
    /// Created?
    pub created: bool,
}

#[apply]
impl Task {
    fn on_created(&mut self, e: &TaskCreated) {
        self.title = e.title.clone();
        self.created = true;
    }
    fn on_assigned(&mut self, e: &TaskAssigned) {
        self.assigned_to = Some(e.assigned_to);
    }
    fn on_completed(&mut self, _: &TaskCompleted) {
        self.completed = true;
    }
}

/// Why a task command was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum TaskError {
    /// The task exists already.
    AlreadyCreated,
    /// The task was completed already.
    AlreadyCompleted,
}

impl std::fmt::Display for TaskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for TaskError {}

impl Task {
    /// Creates the task.
    pub fn create(&self, title: &str) -> Result<TaskCreated, TaskError> {
        if self.created {
            return Err(TaskError::AlreadyCreated);
        }
        Ok(TaskCreated {
            title: title.into(),
            description: String::new(),
        })
    }

    /// Completes the task.
    pub fn complete(&self, by: Uuid) -> Result<TaskCompleted, TaskError> {
        if self.completed {
            return Err(TaskError::AlreadyCompleted);
        }
        Ok(TaskCompleted { completed_by: by })
    }
}

/// A stream of the `Task` type with a fresh id.
pub fn task_stream() -> StreamId {
    StreamId::new("Task", Uuid::now_v7().to_string())
}

/// A raw event with a fresh id and a small JSON payload naming `n`.
pub fn raw_event(n: u64) -> NewEvent {
    NewEvent::new(
        "TaskAssigned",
        1,
        format!(r#"{{"assigned_to":"{}","n":{n}}}"#, Uuid::nil()),
        EventMetadata::new(),
    )
}

/// `count` raw events.
pub fn raw_events(count: u64) -> Vec<NewEvent> {
    (1..=count).map(raw_event).collect()
}

/// A raw event with the given type name, schema version and payload.
pub fn raw(event_type: &str, schema_version: u32, payload: &str) -> NewEvent {
    NewEvent::new(event_type, schema_version, payload, EventMetadata::new())
}

/// Money was paid in.
#[event]
pub struct Deposited {
    /// Amount in cents.
    pub amount: i64,
}

/// Money was paid out.
#[event]
pub struct Withdrawn {
    /// Amount in cents.
    pub amount: i64,
}

/// A bank account that takes snapshots of its whole state.
#[derive(Aggregate, Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(crate = "eventsource::serde")]
#[aggregate(name = "Account", snapshot(version = 1))]
pub struct Account {
    /// Balance in cents.
    pub balance: i64,
    /// Number of deposits.
    pub deposits: u64,
    /// Number of withdrawals.
    pub withdrawals: u64,
}

#[apply]
impl Account {
    fn on_deposited(&mut self, e: &Deposited) {
        self.balance += e.amount;
        self.deposits += 1;
    }
    fn on_withdrawn(&mut self, e: &Withdrawn) {
        self.balance -= e.amount;
        self.withdrawals += 1;
    }
}

/// `count` deposits of 1 cent.
pub fn deposits(count: u64) -> Vec<Deposited> {
    (0..count).map(|_| Deposited { amount: 1 }).collect()
}

/// Streams outside the stream rule, each with the words its refusal must contain: an id
/// over [`MAX_AGGREGATE_ID_BYTES`](crate::store::MAX_AGGREGATE_ID_BYTES), a type over
/// [`MAX_AGGREGATE_TYPE_BYTES`](crate::store::MAX_AGGREGATE_TYPE_BYTES), a NUL in either.
pub(crate) fn streams_outside_the_rule() -> [(StreamId, &'static str); 4] {
    use crate::store::{MAX_AGGREGATE_ID_BYTES, MAX_AGGREGATE_TYPE_BYTES};
    [
        (
            StreamId::new("Task", "i".repeat(MAX_AGGREGATE_ID_BYTES + 1)),
            "1024 bytes",
        ),
        (
            StreamId::new("T".repeat(MAX_AGGREGATE_TYPE_BYTES + 1), "t-1"),
            "255 bytes",
        ),
        (StreamId::new("Task", "t\0-1"), "NUL"),
        (StreamId::new("Ta\0sk", "t-1"), "NUL"),
    ]
}

/// Asserts that `operation` on `stream` was refused with [`Error::InvalidStream`] naming
/// `stream` and a reason containing `named`.
pub(crate) fn assert_refused(
    result: Result<(), crate::Error>,
    stream: &StreamId,
    named: &str,
    operation: &str,
) {
    match result {
        Err(crate::Error::InvalidStream { stream: s, reason }) => {
            assert_eq!(&s, stream, "{operation}");
            assert!(reason.contains(named), "{operation}: {reason}");
        }
        other => panic!(
            "{operation} on {}: expected InvalidStream, got {other:?}",
            stream.short()
        ),
    }
}
