//! A task board read model, kept by a transactional projection in the same SQLite file as
//! the events, so that every run continues where the last one stopped.
//!
//! ```text
//! cargo run -p eventsource-examples --bin task_board [-- DATABASE]
//! ```
//!
//! The database is the first argument, else `eventsource-task-board.db` in the current
//! directory. Each run records a little work with the tutorial's task events (a new task,
//! an assignment, a completion), then lets the `TaskBoard` projection catch up: its
//! handlers update the `board_status` and `board_assignees` tables in the transaction that
//! also moves its checkpoint, so each event counts exactly once, even if the program is
//! killed half-way. The second run handles only the events the first did not see.

use eventsource::prelude::*;
use eventsource::store::SubscriptionStore;
use eventsource::store::sqlite::rusqlite::{self, Connection, Transaction};
use eventsource::{
    RecordedEvent,
    subscription::{SubscriptionOptions, SubscriptionRunner},
};
use std::path::PathBuf;

const DEFAULT_DATABASE: &str = "eventsource-task-board.db";

const PEOPLE: [(&str, Uuid); 2] = [
    (
        "alice",
        Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_00a1),
    ),
    (
        "bob",
        Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_00b0),
    ),
];

#[event]
pub struct TaskCreated {
    pub title: String,
    pub description: String,
}

#[event]
pub struct TaskAssigned {
    pub assigned_to: Uuid,
}

#[event]
pub struct TaskCompleted {
    pub completed_by: Uuid,
}

#[derive(Aggregate, Debug, Default)]
#[aggregate(name = "Task")]
pub struct Task {
    pub title: String,
    pub assigned_to: Option<Uuid>,
    pub completed: bool,
}

#[apply]
impl Task {
    fn created(&mut self, e: &TaskCreated) {
        self.title = e.title.clone();
    }
    fn assigned(&mut self, e: &TaskAssigned) {
        self.assigned_to = Some(e.assigned_to);
    }
    fn completed(&mut self, _: &TaskCompleted) {
        self.completed = true;
    }
}

/// The read model: tasks per status and per assignee, in tables of the events' database.
#[derive(Default)]
pub struct TaskBoard;

const CREATE_TABLES: &str = "
    CREATE TABLE IF NOT EXISTS board_status (
        status TEXT PRIMARY KEY, tasks INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS board_assignees (
        assignee TEXT PRIMARY KEY, open INTEGER NOT NULL, completed INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS board_tasks (
        task TEXT PRIMARY KEY, assignee TEXT, completed INTEGER NOT NULL);";

fn name_of(person: &Uuid) -> String {
    PEOPLE
        .iter()
        .find(|(_, id)| id == person)
        .map_or_else(|| person.to_string(), |(name, _)| (*name).to_owned())
}

fn add_status(tx: &Transaction<'_>, status: &str, delta: i64) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO board_status (status, tasks) VALUES (?1, ?2) \
         ON CONFLICT (status) DO UPDATE SET tasks = tasks + excluded.tasks",
        (status, delta),
    )
    .map(drop)
}

fn add_assignee(tx: &Transaction<'_>, who: &str, open: i64, done: i64) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO board_assignees (assignee, open, completed) VALUES (?1, ?2, ?3) \
         ON CONFLICT (assignee) DO UPDATE SET \
           open = open + excluded.open, completed = completed + excluded.completed",
        (who, open, done),
    )
    .map(drop)
}

#[projection(name = "task_board", sqlite, clear = clear_board)]
impl TaskBoard {
    fn created(
        &mut self,
        _: &TaskCreated,
        envelope: &RecordedEvent,
        tx: &Transaction<'_>,
    ) -> rusqlite::Result<()> {
        tx.execute(
            "INSERT INTO board_tasks (task, assignee, completed) VALUES (?1, NULL, 0)",
            [&envelope.stream.aggregate_id],
        )?;
        add_status(tx, "open", 1)
    }

    fn assigned(
        &mut self,
        e: &TaskAssigned,
        envelope: &RecordedEvent,
        tx: &Transaction<'_>,
    ) -> rusqlite::Result<()> {
        let task = &envelope.stream.aggregate_id;
        let previous: Option<String> = tx.query_row(
            "SELECT assignee FROM board_tasks WHERE task = ?1",
            [task],
            |row| row.get(0),
        )?;
        if let Some(previous) = previous {
            add_assignee(tx, &previous, -1, 0)?;
        }
        let who = name_of(&e.assigned_to);
        tx.execute(
            "UPDATE board_tasks SET assignee = ?2 WHERE task = ?1",
            (task, &who),
        )?;
        add_assignee(tx, &who, 1, 0)
    }

    fn completed(
        &mut self,
        _: &TaskCompleted,
        envelope: &RecordedEvent,
        tx: &Transaction<'_>,
    ) -> rusqlite::Result<()> {
        let task = &envelope.stream.aggregate_id;
        let assignee: Option<String> = tx.query_row(
            "UPDATE board_tasks SET completed = 1 WHERE task = ?1 RETURNING assignee",
            [task],
            |row| row.get(0),
        )?;
        if let Some(who) = assignee {
            add_assignee(tx, &who, -1, 1)?;
        }
        add_status(tx, "open", -1)?;
        add_status(tx, "completed", 1)
    }
}

impl TaskBoard {
    fn clear_board(&mut self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        tx.execute_batch(
            "DELETE FROM board_status; DELETE FROM board_assignees; DELETE FROM board_tasks;",
        )
    }
}

/// One run's work: a new task, an assignment of the newest unassigned one, and the
/// completion of the oldest open one.
async fn record_some_work(
    repo: &Repository<Task, SqliteEventStore>,
    raw: &Connection,
    run: usize,
) -> eventsource::Result<()> {
    let id = Uuid::now_v7();
    let mut task = repo.create_new(id);
    task.record(TaskCreated {
        title: format!("Task of run {run}"),
        description: "recorded by the task board example".into(),
    });
    repo.save(&mut task).await?;
    let (who, person) = PEOPLE[run % PEOPLE.len()];
    repo.update(id, |_| {
        Ok::<_, std::convert::Infallible>(TaskAssigned {
            assigned_to: person,
        })
    })
    .await
    .map_err(|e| eventsource::Error::backend(e.to_string()))?;
    println!("Recorded: task {id} created and assigned to {who}.");
    let oldest_open: Option<String> = raw
        .query_row(
            "SELECT task FROM board_tasks WHERE completed = 0 ORDER BY rowid LIMIT 1",
            [],
            |row| row.get(0),
        )
        .ok();
    if let Some(oldest) = oldest_open.and_then(|t| t.parse::<Uuid>().ok()) {
        repo.update(oldest, |_| {
            Ok::<_, std::convert::Infallible>(TaskCompleted {
                completed_by: person,
            })
        })
        .await
        .map_err(|e| eventsource::Error::backend(e.to_string()))?;
        println!("Recorded: task {oldest} completed by {who}.");
    }
    Ok(())
}

fn print_board(raw: &Connection) -> rusqlite::Result<()> {
    println!("Board:");
    let mut statuses = raw.prepare("SELECT status, tasks FROM board_status ORDER BY status")?;
    for row in statuses.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (status, tasks) = row?;
        println!("  {status:<10} {tasks:>3} tasks");
    }
    let mut people =
        raw.prepare("SELECT assignee, open, completed FROM board_assignees ORDER BY assignee")?;
    for row in people.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })? {
        let (who, open, done) = row?;
        println!("  {who:<10} {open:>3} open, {done:>3} completed");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from(DEFAULT_DATABASE), PathBuf::from);
    let store = SqliteEventStore::open(&path).await?;
    let raw = Connection::open(&path)?;
    raw.execute_batch(CREATE_TABLES)?;
    let checkpoint = store.checkpoint("task_board").await?;
    let run = raw.query_row("SELECT count(*) FROM board_tasks", [], |r| {
        r.get::<_, i64>(0)
    })?;
    let run = usize::try_from(run).unwrap_or(0) + 1;
    println!("Database: {}", path.display());
    match checkpoint {
        Some(position) => println!("The board was last brought up to feed position {position}."),
        None => println!("A new board."),
    }

    let repo = Repository::<Task, _>::new(store.clone());
    record_some_work(&repo, &raw, run).await?;

    let mut runner = SubscriptionRunner::new(store.clone());
    let mut board = runner.start_transactional(TaskBoard, SubscriptionOptions::new())?;
    let head = store.head_position().await?;
    let status = board.wait_for(|s| s.is_live() && s.position >= head).await;
    board.stop().await?;
    runner.shutdown().await;
    let handled_from = checkpoint.unwrap_or(0);
    println!(
        "The projection handled feed positions {} to {} (checkpoint now {}).",
        handled_from + 1,
        status.position,
        status.position
    );
    print_board(&raw)?;
    Ok(())
}
