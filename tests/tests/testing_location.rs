//! A failed expectation of the given/when/then kit is reported at the test's line, not
//! inside the kit (one test in its own binary: it installs a panic hook).

use eventsource::prelude::*;
use eventsource::testing::given;
use eventsource_tests::fixtures::{Task, TaskCompleted};
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::sync::{Arc, Mutex};

#[test]
fn a_failure_is_reported_at_the_callers_line() {
    let seen: Arc<Mutex<Option<(String, u32)>>> = Arc::default();
    let hook_seen = Arc::clone(&seen);
    std::panic::set_hook(Box::new(move |info| {
        if let Some(location) = info.location() {
            *hook_seen.lock().unwrap() = Some((location.file().to_owned(), location.line()));
        }
    }));
    let outcome = given::<Task>(()).when(|t| t.complete(Uuid::nil()));
    let other = TaskCompleted {
        completed_by: Uuid::max(),
    };
    let expected_line = line!() + 1;
    let failed = catch_unwind(AssertUnwindSafe(|| outcome.then_expect_events(other)));
    let _ = std::panic::take_hook();
    assert!(failed.is_err());
    let (file, line) = seen
        .lock()
        .unwrap()
        .clone()
        .expect("the panic had a location");
    assert_eq!(file, Location::caller().file());
    assert_eq!(line, expected_line);
}
