//! Stored names and aliases, compared and collected in `const` contexts: the expansions'
//! `EVENT_TYPES` and their compile-time clash checks use these.

/// True when `event_type` is `name` or one of `aliases`: [`reads_name`] at run time, where
/// comparing with `==` is several times faster than the byte loop a `const fn` needs.
pub fn is_read_as(event_type: &str, name: &str, aliases: &[&str]) -> bool {
    event_type == name || aliases.contains(&event_type)
}

/// True when `event_type` is `name` or one of `aliases`, in `const` contexts (the
/// expansions' compile-time checks); [`is_read_as`] at run time.
pub const fn reads_name(event_type: &str, name: &str, aliases: &[&str]) -> bool {
    if str_eq(event_type, name) {
        return true;
    }
    let mut i = 0;
    while i < aliases.len() {
        if str_eq(event_type, aliases[i]) {
            return true;
        }
        i += 1;
    }
    false
}

/// True when two events (a name and its aliases each) share a stored name: they could
/// not be told apart when read back.
pub const fn names_overlap(
    a_name: &str,
    a_aliases: &[&str],
    b_name: &str,
    b_aliases: &[&str],
) -> bool {
    if reads_name(b_name, a_name, a_aliases) {
        return true;
    }
    let mut i = 0;
    while i < b_aliases.len() {
        if reads_name(b_aliases[i], a_name, a_aliases) {
            return true;
        }
        i += 1;
    }
    false
}

/// How many names [`flatten_names`] returns for `events` (a name and its aliases each).
pub const fn names_len(events: &[(&'static str, &'static [&'static str])]) -> usize {
    let mut len = 0;
    let mut i = 0;
    while i < events.len() {
        len += 1 + events[i].1.len();
        i += 1;
    }
    len
}

/// Every name of `events`, in order: each event's name, then its aliases. `N` is
/// [`names_len`] of `events`; a wrong `N` fails the `const` evaluation.
pub const fn flatten_names<const N: usize>(
    events: &[(&'static str, &'static [&'static str])],
) -> [&'static str; N] {
    let mut out = [""; N];
    let mut at = 0;
    let mut i = 0;
    while i < events.len() {
        out[at] = events[i].0;
        at += 1;
        let mut j = 0;
        while j < events[i].1.len() {
            out[at] = events[i].1[j];
            at += 1;
            j += 1;
        }
        i += 1;
    }
    assert!(at == N, "flatten_names: N is not names_len(events)");
    out
}

/// String equality usable in `const` assertions.
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_time_check_reads_what_the_const_one_reads() {
        let aliases = ["TaskDone", "Finished"];
        for stored in [
            "TaskCompleted",
            "TaskDone",
            "Finished",
            "Task",
            "",
            "taskcompleted",
        ] {
            assert_eq!(
                is_read_as(stored, "TaskCompleted", &aliases),
                reads_name(stored, "TaskCompleted", &aliases),
                "{stored}"
            );
        }
        assert!(is_read_as("Finished", "TaskCompleted", &aliases));
        assert!(!is_read_as("Task", "TaskCompleted", &[]));
    }

    #[test]
    fn names_are_flattened_with_their_aliases_in_order() {
        const EVENTS: &[(&str, &[&str])] = &[("A", &["A0", "A1"]), ("B", &[])];
        const ALL: [&str; names_len(EVENTS)] = flatten_names(EVENTS);
        assert_eq!(ALL, ["A", "A0", "A1", "B"]);
    }

    #[test]
    fn an_alias_of_one_event_overlaps_the_name_of_another() {
        assert!(names_overlap(
            "TaskFinished",
            &["TaskCompleted"],
            "TaskCompleted",
            &[]
        ));
        assert!(names_overlap("A", &["X"], "B", &["Y", "X"]));
        assert!(!names_overlap("A", &["X"], "B", &["Y"]));
        assert!(reads_name("X", "A", &["X"]));
        assert!(!reads_name("Z", "A", &["X"]));
    }
}
