//! The evolution example stores version 1 and 2 rows of `TaskCompleted` and reads all of
//! them, with the version 3 row it writes, through the typed chain.

use std::process::Command;

#[test]
fn old_rows_load_through_the_chain_and_new_ones_are_written_at_version_three() {
    let output = Command::new(env!("CARGO_BIN_EXE_evolution"))
        .output()
        .expect("run the evolution example");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    assert!(
        output.status.success(),
        "evolution failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for line in [
        "v2 TaskCompleted (schema version 1)",
        "v3 TaskCompleted (schema version 2)",
        "v4 TaskCompleted (schema version 3)",
        "Loaded `Write the changelog` at version 4:",
        "completion 1: by ann, 0 minutes, Done, remark None",
        "completion 2: by bob, 25 minutes, Done, remark None",
        "completion 3: by ann, 5 minutes, WontDo, remark Some(\"nothing left to do\")",
    ] {
        assert!(stdout.contains(line), "missing `{line}` in:\n{stdout}");
    }
}
