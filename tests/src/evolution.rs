//! A task whose events changed over time, as the evolution suite stores and reads them:
//! `TaskCompleted` in three schema versions (typed chain, one step that can fail), a renamed
//! event read under its old name, a retired event, and a note whose older version takes a
//! value from the stored metadata (a JSON upcaster).

use eventsource::prelude::*;
use eventsource::{EventMetadata, error::BoxError, evolution::JsonEvent};
use eventsource::{StreamId, store::NewEvent};

/// The aggregate type the suite's streams belong to.
pub const EVOLVING_TASK: &str = "EvolvingTask";

/// Version 1: who completed the task, by name.
#[event(name = "TaskCompleted", version = 1, upcast_to = TaskCompletedV2)]
pub struct TaskCompletedV1 {
    /// Who.
    pub by: String,
}

/// Version 2 added the time spent, unknown for older rows.
#[event(name = "TaskCompleted", version = 2, upcast_to = TaskCompleted)]
pub struct TaskCompletedV2 {
    /// Who.
    pub by: String,
    /// Minutes spent, when known.
    pub minutes: Option<u32>,
}

/// Version 3, the current one: the time is always there (0 when unknown), and a note,
/// added later without a version change (`#[serde(default)]`).
#[event(
    name = "TaskCompleted",
    version = 3,
    upcast_from(TaskCompletedV1, TaskCompletedV2)
)]
pub struct TaskCompleted {
    /// Who.
    pub by: String,
    /// Minutes spent.
    pub minutes: u32,
    /// A remark; rows written before it existed read as empty.
    #[serde(default)]
    pub note: String,
}

impl From<TaskCompletedV1> for TaskCompletedV2 {
    fn from(v1: TaskCompletedV1) -> Self {
        TaskCompletedV2 {
            by: v1.by,
            minutes: None,
        }
    }
}

/// The one step that can fail: version 3 needs someone who completed the task.
impl TryFrom<TaskCompletedV2> for TaskCompleted {
    type Error = String;

    fn try_from(v2: TaskCompletedV2) -> Result<Self, String> {
        if v2.by.is_empty() {
            return Err("a completion without anybody who completed it".into());
        }
        Ok(TaskCompleted {
            by: v2.by,
            minutes: v2.minutes.unwrap_or(0),
            note: String::new(),
        })
    }
}

/// Renamed from `TaskRenamed`: old rows are read, new ones are written as `TaskRetitled`.
#[event(name = "TaskRetitled", aliases("TaskRenamed"))]
pub struct TaskRetitled {
    /// The new title.
    pub title: String,
}

/// No longer produced, still read from old streams.
#[event(retired)]
pub struct TaskArchived;

/// A completed task's state, as far as the suite checks it.
#[derive(Aggregate, Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(crate = "eventsource::serde")]
#[aggregate(name = "EvolvingTask", snapshot(version = 1))]
pub struct EvolvingTask {
    /// Every completion, `(by, minutes)`, in order.
    pub completions: Vec<(String, u32)>,
    /// The title.
    pub title: String,
    /// Archived (an old event)?
    pub archived: bool,
}

#[apply]
impl EvolvingTask {
    fn completed(&mut self, event: &TaskCompleted) {
        self.completions.push((event.by.clone(), event.minutes));
    }

    fn retitled(&mut self, event: &TaskRetitled) {
        self.title.clone_from(&event.title);
    }

    fn archived(&mut self, _: &TaskArchived) {
        self.archived = true;
    }
}

impl EvolvingTask {
    /// Renames the task.
    pub fn retitle(&self, title: &str) -> Result<TaskRetitled, String> {
        Ok(TaskRetitled {
            title: title.into(),
        })
    }
}

/// Version 2 of a note: its author is in the payload.
#[event(name = "NoteWritten", version = 2, upcast_json = author_from_metadata)]
pub struct NoteWritten {
    /// The text.
    pub text: String,
    /// Who wrote it.
    pub author: String,
}

/// Version 1 kept the author in the metadata (`extra["user"]`): moved into the payload.
/// A version 1 row without it cannot be read.
fn author_from_metadata(event: &mut JsonEvent<'_>) -> Result<(), BoxError> {
    let author = event
        .metadata
        .extra
        .get("user")
        .ok_or("a version 1 note without a `user` in its metadata")?;
    event.payload["author"] = author.clone().into();
    event.schema_version = 2;
    Ok(())
}

/// A notebook, loaded with its events' metadata (its note has a JSON upcaster).
#[derive(Aggregate, Debug, Default, Clone, PartialEq)]
#[aggregate(name = "Notebook")]
pub struct Notebook {
    /// `(author, text)` of every note.
    pub notes: Vec<(String, String)>,
}

#[apply]
impl Notebook {
    fn written(&mut self, event: &NoteWritten) {
        self.notes.push((event.author.clone(), event.text.clone()));
    }
}

/// A fresh stream of `aggregate_type`, and its id.
pub fn stream_of(aggregate_type: &str) -> (Uuid, StreamId) {
    let id = Uuid::now_v7();
    (id, StreamId::new(aggregate_type, id.to_string()))
}

/// A stored row as older code wrote it.
pub fn row(event_type: &str, schema_version: u32, payload: &str) -> NewEvent {
    NewEvent::new(event_type, schema_version, payload, EventMetadata::new())
}

/// A `TaskCompleted` row of each schema version: `ann` (v1), `bob` after 5 minutes (v2),
/// `cy` after 7 minutes with a note (v3).
pub fn completions_of_every_version() -> Vec<NewEvent> {
    vec![
        row("TaskCompleted", 1, r#"{"by":"ann"}"#),
        row("TaskCompleted", 2, r#"{"by":"bob","minutes":5}"#),
        row(
            "TaskCompleted",
            3,
            r#"{"by":"cy","minutes":7,"note":"done"}"#,
        ),
    ]
}

/// What [`completions_of_every_version`] reads as.
pub fn completions_read() -> Vec<(String, u32)> {
    vec![("ann".into(), 0), ("bob".into(), 5), ("cy".into(), 7)]
}
