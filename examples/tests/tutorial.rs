//! The tutorial program reproduces the reference output of the repositories tutorial.

use std::process::Command;

/// Normalises as the acceptance material says: no blank lines, trimmed lines, UUIDs
/// replaced by `[UUID]`, `true`/`false` compared without regard to case.
fn normalise(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            replace_uuids(line)
                .replace("True", "true")
                .replace("False", "false")
        })
        .collect()
}

fn replace_uuids(line: &str) -> String {
    let groups = [8, 4, 4, 4, 12];
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    'scan: while i < chars.len() {
        let mut j = i;
        for (n, len) in groups.iter().enumerate() {
            if n > 0 {
                if chars.get(j) != Some(&'-') {
                    out.push(chars[i]);
                    i += 1;
                    continue 'scan;
                }
                j += 1;
            }
            for _ in 0..*len {
                if !chars.get(j).is_some_and(char::is_ascii_hexdigit) {
                    out.push(chars[i]);
                    i += 1;
                    continue 'scan;
                }
                j += 1;
            }
        }
        out.push_str("[UUID]");
        i = j;
    }
    out
}

#[test]
fn uuid_normalisation_replaces_only_whole_uuids() {
    assert_eq!(
        replace_uuids("id: 0190a5c2-3b4d-7e8f-9a0b-1c2d3e4f5a6b."),
        "id: [UUID]."
    );
    assert_eq!(
        replace_uuids("v1: TaskCreated 12-34"),
        "v1: TaskCreated 12-34"
    );
}

#[test]
fn tutorial_output_matches_the_reference() {
    let output = Command::new(env!("CARGO_BIN_EXE_tutorial"))
        .output()
        .expect("the tutorial binary runs");
    assert!(
        output.status.success(),
        "tutorial failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let actual = normalise(&String::from_utf8_lossy(&output.stdout));
    let expected = normalise(include_str!("fixtures/tutorial_05.expected"));
    assert_eq!(actual, expected);
}
