//! Runs the task board example twice on one database file: the second run's projection
//! handles only the events after the first run's checkpoint, and the board's counts add up.

use std::process::Command;

fn run_task_board(database: &std::path::Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_task_board"))
        .arg(database)
        .output()
        .expect("run the task board example");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    assert!(
        output.status.success(),
        "task_board failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn a_second_run_continues_from_the_first_runs_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("board.db");

    let first = run_task_board(&database);
    assert!(first.contains("A new board."), "{first}");
    // Created and assigned: feed positions 1 and 2; nothing to complete yet.
    assert!(
        first.contains("handled feed positions 1 to 2 (checkpoint now 2)"),
        "{first}"
    );
    assert!(first.contains("open         1 tasks"), "{first}");
    assert!(
        first.contains("bob          1 open,   0 completed"),
        "{first}"
    );

    let second = run_task_board(&database);
    assert!(
        second.contains("The board was last brought up to feed position 2."),
        "{second}"
    );
    // A new task, its assignment, and the completion of the first run's task.
    assert!(
        second.contains("handled feed positions 3 to 5 (checkpoint now 5)"),
        "{second}"
    );
    assert!(second.contains("completed    1 tasks"), "{second}");
    assert!(second.contains("open         1 tasks"), "{second}");
    assert!(
        second.contains("alice        1 open,   0 completed"),
        "{second}"
    );
    assert!(
        second.contains("bob          0 open,   1 completed"),
        "{second}"
    );
}
