//! Typed upcasting (`From` and `TryFrom` steps), a JSON upcaster, an alias and a retired
//! event, decoded through the generated event set.

use eventsource::prelude::*;
use eventsource::{aggregate::EventSet, error::DecodeError};

#[event(name = "TaskCompleted", version = 1, upcast_to = TaskCompletedV2)]
pub struct TaskCompletedV1 {
    pub by: String,
}

#[event(name = "TaskCompleted", version = 2, upcast_to = TaskFinished)]
pub struct TaskCompletedV2 {
    pub by: String,
    pub minutes: Option<u32>,
}

#[event(
    name = "TaskFinished",
    version = 3,
    aliases("TaskCompleted"),
    upcast_from(TaskCompletedV1, TaskCompletedV2)
)]
pub struct TaskFinished {
    pub by: String,
    pub minutes: u32,
}

impl From<TaskCompletedV1> for TaskCompletedV2 {
    fn from(v1: TaskCompletedV1) -> Self {
        TaskCompletedV2 {
            by: v1.by,
            minutes: None,
        }
    }
}

impl TryFrom<TaskCompletedV2> for TaskFinished {
    type Error = String;

    fn try_from(v2: TaskCompletedV2) -> Result<Self, String> {
        if v2.by.is_empty() {
            return Err("completed by nobody".into());
        }
        Ok(TaskFinished {
            by: v2.by,
            minutes: v2.minutes.unwrap_or(0),
        })
    }
}

#[event(retired)]
pub struct TaskArchived;

#[event(version = 2, upcast_json = titled_v1)]
pub struct TaskTitled {
    pub title: String,
}

fn titled_v1(event: &mut eventsource::evolution::JsonEvent<'_>) -> Result<(), eventsource::error::BoxError> {
    let name = event.payload["name"].take();
    event.payload = eventsource::serde_json::json!({ "title": name });
    event.schema_version = 2;
    Ok(())
}

#[derive(Aggregate, Default)]
pub struct Task {
    pub done: bool,
    pub archived: bool,
    pub title: String,
}

#[apply]
impl Task {
    fn finished(&mut self, _: &TaskFinished) {
        self.done = true;
    }

    fn archived(&mut self, _: &TaskArchived) {
        self.archived = true;
    }

    fn titled(&mut self, event: &TaskTitled) {
        self.title.clone_from(&event.title);
    }
}

fn main() {
    let finished = |by: &str, minutes| {
        TaskEvent::TaskFinished(TaskFinished {
            by: by.into(),
            minutes,
        })
    };
    let v1 = TaskEvent::decode("TaskCompleted", 1, r#"{"by":"ann"}"#).unwrap();
    assert_eq!(v1, finished("ann", 0));
    let v2 = TaskEvent::decode("TaskCompleted", 2, r#"{"by":"bob","minutes":5}"#).unwrap();
    assert_eq!(v2, finished("bob", 5));
    let v3 = TaskEvent::decode("TaskFinished", 3, r#"{"by":"cy","minutes":7}"#).unwrap();
    assert_eq!(v3, finished("cy", 7));
    match TaskEvent::decode("TaskCompleted", 1, r#"{"by":""}"#) {
        Err(DecodeError::Upcast(failure)) => {
            assert_eq!((failure.from, failure.to), (2, 3));
            assert_eq!(failure.source.to_string(), "completed by nobody");
        }
        other => panic!("expected an upcast error, got {other:?}"),
    }
    assert!(matches!(
        TaskEvent::decode("TaskFinished", 4, "{}"),
        Err(DecodeError::NewerSchemaVersion { stored: 4, supported: 3 })
    ));
    assert_eq!(
        TaskEvent::EVENT_TYPES,
        ["TaskFinished", "TaskCompleted", "TaskArchived", "TaskTitled"]
    );
    assert!(<TaskEvent as EventSet>::READS_METADATA);
    let archived = TaskEvent::decode("TaskArchived", 1, "null").unwrap();
    assert!(archived.is_retired());
    assert!(!v3.is_retired());
    // Without its metadata, the JSON upcaster's event cannot be read at an older version.
    assert!(matches!(
        TaskEvent::decode("TaskTitled", 1, r#"{"name":"Old"}"#),
        Err(DecodeError::MetadataUnavailable)
    ));
    let metadata = eventsource::EventMetadata::new();
    let stored = eventsource::codec::StoredPayload::new("TaskTitled", 1, r#"{"name":"Old"}"#)
        .with_metadata(&metadata);
    assert_eq!(
        TaskEvent::decode_stored(stored).unwrap(),
        TaskEvent::TaskTitled(TaskTitled {
            title: "Old".into()
        })
    );
}
