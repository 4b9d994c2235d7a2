//! Changing events safely: the tutorial's `TaskCompleted` evolved across three schema
//! versions, rows of the older two written as older code wrote them, then loaded through
//! the typed upcasting chain.
//!
//! - version 1 is the tutorial's: `{ completed_by }`;
//! - version 2 added the minutes spent, unknown for older rows: `minutes_spent: Option<u32>`;
//! - version 3, the current one, always has the minutes (0 when unknown) and says how the
//!   task ended: `outcome`.
//!
//! Run with `cargo run -p eventsource-examples --bin evolution`.

use eventsource::prelude::*;
use eventsource::store::NewEvent;
use eventsource::{EventMetadata, StreamId};
use std::error::Error;

/// A task was created (unchanged since the tutorial).
#[event]
pub struct TaskCreated {
    /// Its title.
    pub title: String,
}

/// Version 1 of `TaskCompleted`, as the tutorial wrote it.
#[event(name = "TaskCompleted", version = 1, upcast_to = TaskCompletedV2)]
pub struct TaskCompletedV1 {
    /// Who completed it.
    pub completed_by: Uuid,
}

/// Version 2 of `TaskCompleted`: the minutes spent, when known.
#[event(name = "TaskCompleted", version = 2, upcast_to = TaskCompleted)]
pub struct TaskCompletedV2 {
    /// Who completed it.
    pub completed_by: Uuid,
    /// Minutes spent, when known.
    pub minutes_spent: Option<u32>,
}

/// How a task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// It was done.
    Done,
    /// It was dropped.
    WontDo,
}

/// `TaskCompleted` as this code writes it: version 3, listing its older shapes.
#[event(
    name = "TaskCompleted",
    version = 3,
    upcast_from(TaskCompletedV1, TaskCompletedV2)
)]
pub struct TaskCompleted {
    /// Who completed it.
    pub completed_by: Uuid,
    /// Minutes spent (0 when unknown).
    pub minutes_spent: u32,
    /// How it ended.
    pub outcome: Outcome,
    /// A remark, added later without a new version: rows without it read as `None`.
    #[serde(default)]
    pub remark: Option<String>,
}

impl From<TaskCompletedV1> for TaskCompletedV2 {
    fn from(v1: TaskCompletedV1) -> Self {
        TaskCompletedV2 {
            completed_by: v1.completed_by,
            minutes_spent: None,
        }
    }
}

impl From<TaskCompletedV2> for TaskCompleted {
    fn from(v2: TaskCompletedV2) -> Self {
        TaskCompleted {
            completed_by: v2.completed_by,
            minutes_spent: v2.minutes_spent.unwrap_or(0),
            // Before version 3 a task could only be completed by doing it.
            outcome: Outcome::Done,
            remark: None,
        }
    }
}

/// A task with every completion it went through (reopening is left out).
#[derive(Aggregate, Debug, Default)]
#[aggregate(name = "Task")]
pub struct Task {
    /// Its title.
    pub title: String,
    /// Every completion, oldest first.
    pub completions: Vec<TaskCompleted>,
}

#[apply]
impl Task {
    fn created(&mut self, e: &TaskCreated) {
        self.title.clone_from(&e.title);
    }

    fn completed(&mut self, e: &TaskCompleted) {
        self.completions.push(e.clone());
    }
}

impl Task {
    /// Completes the task (again): the current version is always written.
    pub fn complete(&self, by: Uuid, minutes: u32) -> Result<TaskCompleted, String> {
        Ok(TaskCompleted {
            completed_by: by,
            minutes_spent: minutes,
            outcome: Outcome::WontDo,
            remark: Some("nothing left to do".into()),
        })
    }
}

/// A row as older code stored it: the shape of its version, with that version's name and
/// number.
fn old_row<E: DomainEvent>(event: &E) -> Result<NewEvent, Box<dyn Error>> {
    Ok(NewEvent::new(
        E::EVENT_TYPE.to_owned(),
        E::SCHEMA_VERSION,
        serde_json::to_string(event)?,
        EventMetadata::new(),
    ))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let store = InMemoryEventStore::new();
    let id = Uuid::now_v7();
    let stream = StreamId::new("Task", id.to_string());
    let (ann, bob) = (Uuid::now_v7(), Uuid::now_v7());

    // What older versions of the program stored.
    let rows = vec![
        old_row(&TaskCreated {
            title: "Write the changelog".into(),
        })?,
        old_row(&TaskCompletedV1 { completed_by: ann })?,
        old_row(&TaskCompletedV2 {
            completed_by: bob,
            minutes_spent: Some(25),
        })?,
    ];
    store
        .append(&stream, ExpectedVersion::NoStream, rows)
        .await?;

    // This version of the program completes it once more, writing version 3.
    let repo = Repository::<Task, _>::new(store.clone());
    repo.update(id, |task| task.complete(ann, 5)).await?;

    println!("Stored rows:");
    for record in store.read_stream(&stream, 0).await? {
        println!(
            "  v{} {} (schema version {}): {}",
            record.version, record.event_type, record.schema_version, record.payload
        );
    }

    let task = repo.load(id).await?;
    println!("\nLoaded `{}` at version {}:", task.title, task.version());
    for (n, completed) in task.completions.iter().enumerate() {
        let who = if completed.completed_by == ann {
            "ann"
        } else {
            "bob"
        };
        println!(
            "  completion {}: by {who}, {} minutes, {:?}, remark {:?}",
            n + 1,
            completed.minutes_spent,
            completed.outcome,
            completed.remark
        );
    }
    Ok(())
}
