//! Runs the quickstart program twice on one database file: the second run continues the
//! first run's history and shows it.

use std::process::Command;

fn run_quickstart(database: &std::path::Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .arg(database)
        .output()
        .expect("run the quickstart");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    assert!(
        output.status.success(),
        "quickstart failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn second_run_continues_the_first_runs_history() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("board.db");

    let first = run_quickstart(&database);
    assert!(first.contains(&database.display().to_string()), "{first}");
    assert!(first.contains("Run 1: a new board."), "{first}");
    assert!(first.contains("History (1 stored event,"), "{first}");
    assert!(
        first.contains("v1   added task #1 \"Water the plants\""),
        "{first}"
    );

    let second = run_quickstart(&database);
    assert!(
        second.contains("Run 2: loaded the board from its 1 stored event."),
        "{second}"
    );
    assert!(second.contains("completing task #1"), "{second}");
    assert!(second.contains("History (3 stored events,"), "{second}");
    // The first run's event, then this run's two.
    let history = second.split("History").nth(1).unwrap();
    let lines: Vec<_> = history.lines().skip(1).take(3).collect();
    assert!(
        lines[0].contains("v1   added task #1 \"Water the plants\""),
        "{second}"
    );
    assert!(lines[1].contains("v2   completed task #1"), "{second}");
    assert!(lines[2].contains("v3   added task #2"), "{second}");
    assert!(second.contains("Open tasks: #2."), "{second}");
}

#[test]
fn the_database_can_be_chosen_by_environment_variable() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("from-env.db");
    let output = Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .env("EVENTSOURCE_DB", &database)
        .output()
        .expect("run the quickstart");
    assert!(output.status.success());
    assert!(database.exists());
    assert!(String::from_utf8_lossy(&output.stdout).contains(&database.display().to_string()));
}
