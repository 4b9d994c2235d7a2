//! Every macro under `deny(warnings, unused_qualifications, clippy::all)`: the expansions
//! must not add a single warning to a user's crate (clippy runs this file with
//! `cargo clippy --all-targets`).

#![deny(warnings, unused_qualifications, clippy::all)]

use eventsource::prelude::*;
use eventsource::store::postgres::tokio_postgres;
use eventsource::store::sqlite::rusqlite;
use eventsource::subscription::{PostgresProjection, SqliteProjection};
use eventsource::{EventMetadata, StreamId, aggregate::EventSet};
use eventsource::{RecordedEvent, store::NewEvent};

/// A task was created.
#[event(name = "TaskCreated", version = 2, upcast_from(TaskCreatedV1))]
pub struct TaskCreated {
    /// Its title.
    pub title: String,
}

/// A task was created, as version 1 stored it.
#[event(name = "TaskCreated", version = 1, upcast_to = TaskCreated)]
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
#[event(aliases("TaskDone"))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskCompleted;

/// A task was archived: no longer emitted, still read.
#[event(retired, version = 2, upcast_json = archived_v1)]
pub struct TaskArchived {
    /// Who archived it.
    pub by: String,
}

/// Version 1 had no `by`: the user in the metadata did it.
fn archived_v1(
    event: &mut eventsource::evolution::JsonEvent<'_>,
) -> Result<(), eventsource::error::BoxError> {
    let by = event
        .metadata
        .extra
        .get("user")
        .cloned()
        .unwrap_or_default();
    event.payload["by"] = by.into();
    event.schema_version = 2;
    Ok(())
}

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
    id = String
)]
pub struct Task {
    title: String,
    done: bool,
    urgent: bool,
}

#[apply(event_enum = TaskChange)]
impl Task {
    fn created(&mut self, event: &TaskCreated) {
        self.title.clone_from(&event.title);
    }

    fn completed(&mut self, _: &TaskCompleted) {
        self.done = true;
    }

    fn archived(&mut self, _: &TaskArchived) {
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

/// Open tasks and urgent ones, from the task events.
#[derive(Debug, Default)]
pub struct TaskBoard {
    open: usize,
    urgent: usize,
    last_position: u64,
}

#[projection(name = "task_board")]
impl TaskBoard {
    fn created(&mut self, _: &TaskCreated, envelope: &RecordedEvent) {
        self.open += 1;
        self.last_position = envelope.position;
    }

    fn completed(&mut self, _: &TaskCompleted) -> Result<(), &'static str> {
        self.open = self.open.checked_sub(1).ok_or("no open task")?;
        Ok(())
    }

    async fn priority(&mut self, event: &PriorityChanged) -> Result<(), std::io::Error> {
        tokio::task::yield_now().await;
        if matches!(event, PriorityChanged::High { .. }) {
            self.urgent += 1;
        }
        Ok(())
    }
}

/// Task titles, in SQLite.
#[derive(Debug, Default)]
pub struct SqliteTitles {
    cleared: bool,
}

#[projection(name = "titles", sqlite, clear = clear_titles)]
impl SqliteTitles {
    fn created(
        &mut self,
        event: &TaskCreated,
        envelope: &RecordedEvent,
        tx: &rusqlite::Transaction<'_>,
    ) -> Result<(), rusqlite::Error> {
        tx.execute(
            "INSERT INTO titles (id, title) VALUES (?1, ?2)",
            (&envelope.stream.aggregate_id, &event.title),
        )?;
        Ok(())
    }

    fn completed(&mut self, _: &TaskCompleted, _: &RecordedEvent, _: &rusqlite::Transaction<'_>) {}
}

impl SqliteTitles {
    fn clear_titles(&mut self, tx: &rusqlite::Transaction<'_>) -> Result<(), rusqlite::Error> {
        self.cleared = true;
        tx.execute("DELETE FROM titles", [])?;
        Ok(())
    }
}

/// Task titles, in PostgreSQL (compiled only).
#[derive(Debug, Default)]
pub struct PostgresTitles;

#[projection(name = "titles", postgres, clear = clear_titles)]
impl PostgresTitles {
    async fn created(
        &mut self,
        event: &TaskCreated,
        envelope: &RecordedEvent,
        tx: &tokio_postgres::Transaction<'_>,
    ) -> Result<(), tokio_postgres::Error> {
        tx.execute(
            "INSERT INTO titles (id, title) VALUES ($1, $2)",
            &[&envelope.stream.aggregate_id, &event.title],
        )
        .await?;
        Ok(())
    }

    fn completed(
        &mut self,
        _: &TaskCompleted,
        _: &RecordedEvent,
        _: &tokio_postgres::Transaction<'_>,
    ) {
    }
}

impl PostgresTitles {
    async fn clear_titles(
        &mut self,
        tx: &tokio_postgres::Transaction<'_>,
    ) -> Result<(), tokio_postgres::Error> {
        tx.execute("DELETE FROM titles", &[]).await?;
        Ok(())
    }
}

/// A PostgreSQL projection whose `clear` is plain.
#[derive(Debug, Default)]
pub struct PostgresCount;

#[projection(postgres, clear = reset)]
impl PostgresCount {
    fn created(&mut self, _: &TaskCreated, _: &RecordedEvent, _: &tokio_postgres::Transaction<'_>) {
    }
}

impl PostgresCount {
    fn reset(&mut self, _: &tokio_postgres::Transaction<'_>) {}
}

#[test]
fn transactional_projections_expand_without_warnings() {
    fn postgres<P: PostgresProjection>() -> &'static str {
        P::NAME
    }
    assert_eq!(postgres::<PostgresTitles>(), "titles");
    assert_eq!(postgres::<PostgresCount>(), "PostgresCount");

    let mut task = AggregateRoot::<Task>::new("t-1".to_owned());
    task.record(TaskCreated {
        title: "Ship".into(),
    });
    let event = &task.pending_events()[0].event;
    let record = RecordedEvent::new(
        NewEvent::new(
            event.event_type().to_owned(),
            event.schema_version(),
            event.encode().unwrap(),
            EventMetadata::new(),
        ),
        task.stream(),
        1,
        1,
    );
    let mut db = rusqlite::Connection::open_in_memory().unwrap();
    db.execute("CREATE TABLE titles (id TEXT, title TEXT)", [])
        .unwrap();
    let mut titles = SqliteTitles::default();
    let tx = db.transaction().unwrap();
    titles.handle_in(&record, &tx).unwrap();
    SqliteProjection::clear(&mut titles, &tx).unwrap();
    tx.commit().unwrap();
    assert!(titles.cleared);
    assert_eq!(
        <SqliteTitles as SqliteProjection>::EVENT_TYPES,
        ["TaskCreated", "TaskCompleted", "TaskDone"]
    );
}

#[test]
fn a_projection_expands_without_warnings_and_handles_events() {
    let mut task = AggregateRoot::<Task>::new("t-1".to_owned());
    task.record(TaskCreated {
        title: "Ship".into(),
    });
    task.record(PriorityChanged::High {
        reason: "release".into(),
    });
    task.record(TaskCompleted);
    let mut board = TaskBoard::default();
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            for (position, pending) in (1..).zip(task.pending_events()) {
                let event = &pending.event;
                let record = RecordedEvent::new(
                    NewEvent::new(
                        event.event_type().to_owned(),
                        event.schema_version(),
                        event.encode().unwrap(),
                        EventMetadata::new(),
                    ),
                    task.stream(),
                    position,
                    position,
                );
                board.handle(&record).await.unwrap();
            }
        });
    assert_eq!((board.open, board.urgent, board.last_position), (0, 1, 1));
    assert_eq!(TaskBoard::NAME, "task_board");
    assert_eq!(
        TaskBoard::EVENT_TYPES,
        [
            "TaskCreated",
            "TaskCompleted",
            "TaskDone",
            "PriorityChanged"
        ]
    );
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
    let v1 = TaskChange::decode("TaskCreated", 1, r#"{"name":"Old"}"#).unwrap();
    assert_eq!(
        v1,
        TaskChange::TaskCreated(TaskCreated {
            title: "Old".into()
        })
    );
    assert_eq!(
        TaskChange::decode("TaskDone", 1, "null").unwrap(),
        TaskChange::TaskCompleted(TaskCompleted)
    );
    assert_eq!(
        TaskChange::EVENT_TYPES,
        [
            "TaskCreated",
            "TaskCompleted",
            "TaskDone",
            "TaskArchived",
            "PriorityChanged"
        ]
    );
}
