//! `#[projection(sqlite)]`: handlers writing a table inside the transaction they are given,
//! a `clear` method emptying it, run through `SqliteProjection` on an in-memory database.

use eventsource::prelude::*;
use eventsource::{RecordedEvent, store::NewEvent};
use eventsource::store::sqlite::rusqlite::{self, Connection, Transaction};
use eventsource::subscription::{HandleError, SqliteProjection};
use eventsource::{aggregate::EventSet, EventMetadata, StreamId};

#[event]
pub struct TaskCreated {
    pub title: String,
}

#[event(name = "TaskDone")]
pub struct TaskCompleted;

#[event]
pub struct TaskArchived;

#[derive(Aggregate, Default)]
#[aggregate(name = "Task")]
pub struct Task;

#[apply]
impl Task {
    fn created(&mut self, _: &TaskCreated) {}
    fn completed(&mut self, _: &TaskCompleted) {}
    fn archived(&mut self, _: &TaskArchived) {}
}

/// The open tasks, in the table `open_tasks`.
#[derive(Default)]
pub struct OpenTasks {
    /// Handled events, kept in `self` (not rolled back with a transaction).
    seen: usize,
}

#[projection(name = "open_tasks", sqlite, clear = clear_tasks)]
impl OpenTasks {
    /// Returns `()`.
    fn created(&mut self, event: &TaskCreated, envelope: &RecordedEvent, tx: &Transaction<'_>) {
        self.seen += 1;
        tx.execute(
            "INSERT INTO open_tasks (id, title) VALUES (?1, ?2)",
            (&envelope.stream.aggregate_id, &event.title),
        )
        .unwrap();
    }

    /// Fallible: a task that is not open is an error.
    fn completed(
        &mut self,
        _: &TaskCompleted,
        envelope: &RecordedEvent,
        tx: &Transaction<'_>,
    ) -> Result<(), rusqlite::Error> {
        self.seen += 1;
        let removed = tx.execute(
            "DELETE FROM open_tasks WHERE id = ?1",
            [&envelope.stream.aggregate_id],
        )?;
        if removed == 0 {
            return Err(rusqlite::Error::QueryReturnedNoRows);
        }
        Ok(())
    }
}

impl OpenTasks {
    fn clear_tasks(&mut self, tx: &Transaction<'_>) -> Result<(), rusqlite::Error> {
        self.seen = 0;
        tx.execute("DELETE FROM open_tasks", [])?;
        Ok(())
    }
}

/// A projection without `clear` and with a handler returning `()`: `clear` does nothing.
#[derive(Default)]
pub struct Titles;

#[projection(sqlite)]
impl Titles {
    fn created(&mut self, _: &TaskCreated, _: &RecordedEvent, _: &Transaction<'_>) {}
}

fn record(position: u64, id: &str, event: impl Into<<Task as Aggregate>::Event>) -> RecordedEvent {
    let event: <Task as Aggregate>::Event = event.into();
    RecordedEvent::new(NewEvent::new(event.event_type().to_owned(), event.schema_version(), event.encode().unwrap(), EventMetadata::new()), StreamId::new(Task::TYPE, id), 1, position)
}

fn titles(db: &Connection) -> Vec<String> {
    let mut query = db.prepare("SELECT title FROM open_tasks ORDER BY id").unwrap();
    query
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn main() {
    assert_eq!(OpenTasks::NAME, "open_tasks");
    assert_eq!(OpenTasks::EVENT_TYPES, ["TaskCreated", "TaskDone"]);
    assert_eq!(<Titles as SqliteProjection>::NAME, "Titles");

    let mut db = Connection::open_in_memory().unwrap();
    db.execute("CREATE TABLE open_tasks (id TEXT PRIMARY KEY, title TEXT NOT NULL)", [])
        .unwrap();
    let mut tasks = OpenTasks::default();

    let tx = db.transaction().unwrap();
    tasks
        .handle_in(&record(1, "t-1", TaskCreated { title: "Ship".into() }), &tx)
        .unwrap();
    tasks
        .handle_in(&record(2, "t-2", TaskCreated { title: "Test".into() }), &tx)
        .unwrap();
    tasks.handle_in(&record(3, "t-1", TaskCompleted), &tx).unwrap();
    // An event type without a handler is passed over, its payload not even decoded.
    let mut archived = record(4, "t-2", TaskArchived);
    archived.payload = "not JSON at all".into();
    tasks.handle_in(&archived, &tx).unwrap();
    tx.commit().unwrap();
    assert_eq!(titles(&db), ["Test"]);
    assert_eq!(tasks.seen, 3);

    // A failing handler: a handler error.
    let tx = db.transaction().unwrap();
    let error = tasks.handle_in(&record(5, "t-9", TaskCompleted), &tx).unwrap_err();
    assert!(matches!(error, HandleError::Handler(_)), "{error:?}");
    drop(tx);
    assert_eq!(titles(&db), ["Test"]);

    // `clear` runs the named method.
    let tx = db.transaction().unwrap();
    SqliteProjection::clear(&mut tasks, &tx).unwrap();
    tx.commit().unwrap();
    assert!(titles(&db).is_empty());
    assert_eq!(tasks.seen, 0);

    let tx = db.transaction().unwrap();
    let mut titles = Titles;
    titles
        .handle_in(&record(6, "t-3", TaskCreated { title: "Docs".into() }), &tx)
        .unwrap();
    SqliteProjection::clear(&mut titles, &tx).unwrap();
}
