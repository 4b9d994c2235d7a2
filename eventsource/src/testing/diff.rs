//! The expected and the actual events side by side, one line per event, the lines that
//! differ marked: what a failed expectation prints.

use crate::event::EventSet;
use std::fmt::Write;

/// The mark of a line whose two sides differ.
pub(crate) const DIFFERS: &str = "✗";

/// One event on one line: its stored type name and its JSON payload (JSON has no line
/// breaks), or its `Debug` form if it does not encode.
pub(crate) fn event_line<E: EventSet>(event: &E) -> String {
    match event.encode() {
        Ok(payload) => format!("{} {payload}", event.event_type()),
        Err(_) => format!("{event:?}"),
    }
}

/// The two lists of events in two columns, headed `expected` and `actual`; a line is
/// marked [`DIFFERS`] when the events at that index are not equal or one side has none.
pub(crate) fn side_by_side<E: EventSet>(expected: &[E], actual: &[E]) -> String {
    let rows = expected.len().max(actual.len());
    let left: Vec<String> = (0..rows)
        .map(|i| expected.get(i).map_or_else(nothing, event_line))
        .collect();
    let width = left
        .iter()
        .map(|line| line.chars().count())
        .chain(["expected".len()])
        .max()
        .unwrap_or(0);
    let mut table = format!("       {:<width$} | actual\n", "expected");
    if rows == 0 {
        let _ = writeln!(table, "       {:<width$} | {}", nothing(), nothing());
    }
    for (i, line) in left.iter().enumerate() {
        let same = matches!((expected.get(i), actual.get(i)), (Some(e), Some(a)) if e == a);
        let mark = if same { " " } else { DIFFERS };
        let right = actual.get(i).map_or_else(nothing, event_line);
        let _ = writeln!(table, "  {mark} {:>2} {line:<width$} | {right}", i + 1);
    }
    table
}

/// How a missing event is shown.
fn nothing() -> String {
    "(no event)".to_owned()
}
