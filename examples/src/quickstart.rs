//! Quickstart: a task board kept in a SQLite file, so every run continues the last one.
//!
//! ```text
//! cargo run -p eventsource-examples [-- DATABASE]
//! ```
//!
//! The database is the first argument, else `$EVENTSOURCE_DB`, else
//! `eventsource-quickstart.db` in the current directory. Each run completes the oldest open
//! task (if there is one), adds a new task, and prints the board's whole history: run it
//! twice and the second run shows the first run's events. Delete the file to start over.

use eventsource::prelude::*;
use std::path::PathBuf;

const DEFAULT_DATABASE: &str = "eventsource-quickstart.db";

/// How many of the latest events the history shows.
const HISTORY_SHOWN: usize = 12;

/// The one board this program keeps (a fixed id, so every run finds it).
const BOARD: Uuid = Uuid::from_u128(0x0193_6b1e_7c2a_7000_8000_0000_0000_0001);

const TITLES: &[&str] = &[
    "Water the plants",
    "Write the release notes",
    "Fix the flaky test",
    "Book the team lunch",
    "Review the pull request",
    "Back up the database",
];

#[event]
pub struct TaskAdded {
    pub number: u32,
    pub title: String,
}

#[event]
pub struct TaskCompleted {
    pub number: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub number: u32,
    pub title: String,
    pub done: bool,
}

#[derive(Aggregate, Debug, Default)]
#[aggregate(name = "Board")]
pub struct Board {
    pub tasks: Vec<Task>,
}

#[apply]
impl Board {
    fn added(&mut self, e: &TaskAdded) {
        self.tasks.push(Task {
            number: e.number,
            title: e.title.clone(),
            done: false,
        });
    }

    fn completed(&mut self, e: &TaskCompleted) {
        if let Some(task) = self.tasks.iter_mut().find(|t| t.number == e.number) {
            task.done = true;
        }
    }
}

impl Board {
    /// Adds the next task.
    pub fn add(&self) -> TaskAdded {
        let number = self.tasks.len() as u32 + 1;
        let title = TITLES[(number as usize - 1) % TITLES.len()].to_owned();
        TaskAdded { number, title }
    }

    /// Completes the oldest open task; `None` when every task is done.
    pub fn complete_oldest(&self) -> Option<TaskCompleted> {
        let oldest = self.tasks.iter().find(|t| !t.done)?;
        Some(TaskCompleted {
            number: oldest.number,
        })
    }

    fn title(&self, number: u32) -> &str {
        self.tasks
            .iter()
            .find(|t| t.number == number)
            .map_or("?", |t| t.title.as_str())
    }
}

fn events(count: u64) -> String {
    match count {
        1 => "1 stored event".to_owned(),
        n => format!("{n} stored events"),
    }
}

fn database_path() -> PathBuf {
    std::env::args_os()
        .nth(1)
        .or_else(|| std::env::var_os("EVENTSOURCE_DB"))
        .map_or_else(|| PathBuf::from(DEFAULT_DATABASE), PathBuf::from)
}

#[tokio::main]
async fn main() -> eventsource::Result<()> {
    let path = database_path();
    let absolute = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
    println!(
        "eventsource quickstart: SQLite database {}",
        absolute.display()
    );

    let store = SqliteEventStore::open(&path).await?;
    let repo = Repository::<Board, _>::new(store.clone());
    let mut board = repo.load_or_create(BOARD).await?;
    let run = board.tasks.len() + 1;
    if board.version() == 0 {
        println!("Run 1: a new board.");
    } else {
        println!(
            "Run {run}: loaded the board from its {}.",
            events(board.version())
        );
    }

    if let Some(completed) = board.complete_oldest() {
        println!(
            "  completing task #{} \"{}\"",
            completed.number,
            board.title(completed.number)
        );
        board.record(completed);
    }
    let added = board.add();
    println!("  adding task #{} \"{}\"", added.number, added.title);
    board.record(added);
    repo.save(&mut board).await?;

    let history = store.read_stream(&board.stream(), 0).await?;
    let shown = history.len().saturating_sub(HISTORY_SHOWN);
    println!("History ({}, oldest first):", events(history.len() as u64));
    if shown > 0 {
        println!("  ... {} before these", events(shown as u64));
    }
    for record in &history[shown..] {
        let what = match Board::decode_event(record)? {
            BoardEvent::TaskAdded(e) => format!("added task #{} \"{}\"", e.number, e.title),
            BoardEvent::TaskCompleted(e) => format!("completed task #{}", e.number),
        };
        println!("  v{:<3} {}", record.version, what);
    }
    let open: Vec<_> = board
        .tasks
        .iter()
        .filter(|t| !t.done)
        .map(|t| format!("#{}", t.number))
        .collect();
    println!(
        "Open tasks: {}. Run again to continue; delete {} to start over.",
        open.join(", "),
        path.display()
    );
    Ok(())
}

impl Board {
    fn decode_event(record: &eventsource::RecordedEvent) -> eventsource::Result<BoardEvent> {
        use eventsource::aggregate::EventSet;
        BoardEvent::decode_stored(record.into()).map_err(|source| eventsource::Error::Decode {
            stream: record.stream.clone(),
            version: record.version,
            event_type: record.event_type.clone(),
            schema_version: record.schema_version,
            source,
        })
    }
}
