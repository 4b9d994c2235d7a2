//! Every macro used in a module that shadows the standard prelude and the crate names the
//! expansions use: the generated code must name everything by absolute path.

mod shadowed {
    #![allow(dead_code)]

    use ::eventsource::prelude::*;

    pub struct Result;
    pub struct Option;
    pub struct Ok;
    pub struct Err;
    pub struct Some;
    pub struct None;
    pub struct Box;
    pub struct String;
    pub struct Vec;
    pub struct From;
    pub struct Into;
    pub struct Default;
    pub struct Clone;
    pub struct Debug;
    pub struct PartialEq;
    pub struct Send;
    pub struct Sync;
    pub struct Sized;
    pub struct Uuid;
    pub mod core {}
    pub mod std {}
    pub mod serde {}
    pub mod serde_json {}
    pub mod eventsource {}
    pub mod _serde {}

    #[event]
    pub struct TaskCreated {
        pub title: ::std::string::String,
    }

    #[event(name = "TaskStatusChanged", version = 2, upcast_from(StatusChangedV1))]
    pub enum StatusChanged {
        Opened,
        Closed { reason: ::std::string::String },
    }

    /// Version 1 closed tasks without a reason.
    #[event(name = "TaskStatusChanged", version = 1, upcast_to = StatusChanged)]
    pub enum StatusChangedV1 {
        Opened,
        Closed,
    }

    impl ::core::convert::From<StatusChangedV1> for StatusChanged {
        fn from(v1: StatusChangedV1) -> Self {
            match v1 {
                StatusChangedV1::Opened => StatusChanged::Opened,
                StatusChangedV1::Closed => StatusChanged::Closed {
                    reason: ::std::string::String::new(),
                },
            }
        }
    }

    #[event(aliases("TaskShelved"))]
    pub struct TaskArchived;

    #[derive(Aggregate, ::core::default::Default)]
    #[aggregate(
        name = "Task",
        id = ::std::string::String
    )]
    pub struct Task {
        pub title: ::std::string::String,
        pub open: bool,
        pub archived: bool,
    }

    #[apply(event_enum = TaskEvent)]
    impl Task {
        fn created(&mut self, event: &TaskCreated) {
            self.title = ::core::clone::Clone::clone(&event.title);
            self.open = true;
        }

        fn status_changed(&mut self, event: &StatusChanged) {
            self.open = ::core::matches!(event, StatusChanged::Opened);
        }

        fn archived(&mut self, _: &TaskArchived) {
            self.archived = true;
        }
    }

    #[derive(::core::default::Default)]
    pub struct OpenTasks {
        pub open: usize,
        pub archived: usize,
    }

    #[projection(name = "open_tasks")]
    impl OpenTasks {
        fn created(&mut self, _: &TaskCreated) {
            self.open += 1;
        }

        async fn status_changed(
            &mut self,
            event: &StatusChanged,
            _: &::eventsource::RecordedEvent,
        ) -> ::core::result::Result<(), ::std::string::String> {
            match event {
                StatusChanged::Opened => self.open += 1,
                StatusChanged::Closed { .. } => self.open -= 1,
            }
            ::core::result::Result::Ok(())
        }

        fn archived(&mut self, _: &TaskArchived) -> ::core::result::Result<(), ::std::io::Error> {
            self.archived += 1;
            ::core::result::Result::Ok(())
        }
    }
}

use eventsource::aggregate::EventSet;
use eventsource::prelude::*;
use eventsource::{RecordedEvent, store::NewEvent};
use eventsource::{EventMetadata, StreamId};
use shadowed::{OpenTasks, StatusChanged, Task, TaskArchived, TaskCreated, TaskEvent};

fn main() {
    let mut task = AggregateRoot::<Task>::new("task-1".to_string());
    task.record(TaskCreated {
        title: "Write docs".into(),
    });
    task.record(StatusChanged::Closed {
        reason: "done".into(),
    });
    task.execute(|_| Ok::<_, ()>((TaskArchived, Some(StatusChanged::Opened))))
        .unwrap();
    assert_eq!(task.title, "Write docs");
    assert!(task.open);
    assert!(task.archived);
    assert_eq!(task.version(), 4);

    let stored = &task.pending_events()[1].event;
    assert_eq!(stored.event_type(), "TaskStatusChanged");
    assert_eq!(stored.schema_version(), 2);
    let payload = stored.encode().unwrap();
    let decoded = TaskEvent::decode("TaskStatusChanged", 2, &payload).unwrap();
    assert_eq!(&decoded, stored);
    assert!(TaskEvent::decode("Nope", 1, &payload).is_err());
    let v1 = TaskEvent::decode("TaskStatusChanged", 1, "\"Closed\"").unwrap();
    assert_eq!(
        v1,
        TaskEvent::StatusChanged(StatusChanged::Closed {
            reason: ::std::string::String::new()
        })
    );
    assert_eq!(
        TaskEvent::decode("TaskShelved", 1, "null").unwrap(),
        TaskEvent::TaskArchived(TaskArchived)
    );

    assert_eq!(OpenTasks::NAME, "open_tasks");
    assert_eq!(
        OpenTasks::EVENT_TYPES,
        ["TaskCreated", "TaskStatusChanged", "TaskArchived", "TaskShelved"]
    );
    let mut open = OpenTasks::default();
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            for (position, pending) in task.pending_events().iter().enumerate() {
                let event = &pending.event;
                let record = RecordedEvent::new(NewEvent::new(event.event_type(), event.schema_version(), event.encode().unwrap(), EventMetadata::new()), task.stream(), position as u64 + 1, position as u64 + 1);
                open.handle(&record).await.unwrap();
            }
        });
    assert_eq!((open.open, open.archived), (1, 1));
    assert_eq!(task.stream(), StreamId::new("Task", "task-1"));
}
