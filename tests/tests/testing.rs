//! The given/when/then kit itself: each expectation passes when it holds, and each kind of
//! mismatch fails with the message it is meant to print.

use eventsource::EventContext;
use eventsource::prelude::*;
use eventsource::testing::given;
use eventsource_tests::fixtures::{Task, TaskAssigned, TaskCompleted, TaskCreated, TaskError};
use std::panic::{AssertUnwindSafe, catch_unwind};

fn created() -> TaskCreated {
    TaskCreated {
        title: "t".into(),
        description: String::new(),
    }
}

fn user(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// The message of the panic `check` raises.
fn panic_message(check: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(check)).expect_err("the expectation passed");
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast::<&str>()
            .map(|m| m.to_string())
            .unwrap_or_default(),
    }
}

#[test]
fn expected_events_pass_and_chain_with_the_state() {
    given::<Task>(created())
        .when(|t| t.complete(user(1)))
        .then_expect_events(TaskCompleted {
            completed_by: user(1),
        })
        .then_expect_state(|t| t.completed && t.created);
}

#[test]
fn several_given_events_are_applied_in_order() {
    let past = given::<Task>((
        created(),
        TaskAssigned {
            assigned_to: user(7),
        },
    ));
    assert_eq!(past.events().len(), 2);
    past.then_expect_state(|t| t.assigned_to == Some(user(7)));
}

#[test]
fn a_command_deciding_nothing_passes_no_events() {
    given::<Task>(created())
        .when(|_| Ok::<_, TaskError>(()))
        .then_expect_no_events()
        .then_expect_state(|t| !t.completed);
}

#[test]
fn expected_errors_pass() {
    let outcome = given::<Task>((
        created(),
        TaskCompleted {
            completed_by: user(1),
        },
    ))
    .when(|t| t.complete(user(2)));
    outcome
        .then_expect_error(TaskError::AlreadyCompleted)
        .then_expect_error_matching(|e| matches!(e, TaskError::AlreadyCompleted));
    assert!(outcome.result().is_err());
    assert!(outcome.state().completed);
}

#[test]
#[should_panic(expected = "the command decided other events than expected")]
fn other_events_fail() {
    given::<Task>(created())
        .when(|t| t.complete(user(1)))
        .then_expect_events(TaskCompleted {
            completed_by: user(2),
        });
}

#[test]
fn the_diff_shows_both_sides_one_line_per_event_and_marks_the_differing_lines() {
    let message = panic_message(|| {
        given::<Task>(())
            .when(|t| {
                Ok::<_, TaskError>((
                    t.create("t")?,
                    TaskAssigned {
                        assigned_to: user(3),
                    },
                ))
            })
            .then_expect_events((
                created(),
                TaskCompleted {
                    completed_by: user(3),
                },
                TaskCompleted {
                    completed_by: user(4),
                },
            ));
    });
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines[0], "the command decided other events than expected:");
    assert!(lines[1].trim_start().starts_with("expected"), "{message}");
    assert!(lines[1].ends_with("| actual"), "{message}");
    let created_line = r#"TaskCreated {"title":"t","description":""}"#;
    assert!(lines[2].starts_with("     1 TaskCreated"), "{message}");
    assert_eq!(lines[2].matches(created_line).count(), 2, "{message}");
    assert!(lines[3].starts_with("  ✗  2 TaskCompleted"), "{message}");
    assert!(lines[3].contains(&format!(
        "| TaskAssigned {{\"assigned_to\":\"{}\"}}",
        user(3)
    )));
    assert!(lines[4].starts_with("  ✗  3 TaskCompleted"), "{message}");
    assert!(lines[4].ends_with("| (no event)"), "{message}");
    assert_eq!(lines.len(), 5, "{message}");
    // The columns line up: every row has its separator at the same place.
    let bar = |line: &str| line.find(" | ").map(|at| line[..at].chars().count());
    assert!(
        lines[2..].iter().all(|l| bar(l) == bar(lines[1])),
        "{message}"
    );
}

#[test]
#[should_panic(
    expected = "the command was rejected, but events were expected\n  error: AlreadyCompleted"
)]
fn a_rejection_fails_an_expectation_of_events() {
    given::<Task>((
        created(),
        TaskCompleted {
            completed_by: user(1),
        },
    ))
    .when(|t| t.complete(user(1)))
    .then_expect_events(TaskCompleted {
        completed_by: user(1),
    });
}

#[test]
#[should_panic(expected = "the command decided other events than expected")]
fn events_fail_an_expectation_of_none() {
    given::<Task>(created())
        .when(|t| t.complete(user(1)))
        .then_expect_no_events();
}

#[test]
#[should_panic(
    expected = "the command was rejected with another error\n  expected: AlreadyCreated\n  actual:   AlreadyCompleted"
)]
fn another_error_fails() {
    given::<Task>((
        created(),
        TaskCompleted {
            completed_by: user(1),
        },
    ))
    .when(|t| t.complete(user(1)))
    .then_expect_error(TaskError::AlreadyCreated);
}

#[test]
#[should_panic(
    expected = "the command decided events, but the error AlreadyCompleted was expected"
)]
fn success_fails_an_expectation_of_an_error() {
    given::<Task>(created())
        .when(|t| t.complete(user(1)))
        .then_expect_error(TaskError::AlreadyCompleted);
}

#[test]
#[should_panic(
    expected = "the command was rejected with an error the predicate refuses: AlreadyCreated"
)]
fn an_error_the_predicate_refuses_fails() {
    given::<Task>(created())
        .when(|t| t.create("again"))
        .then_expect_error_matching(|e| *e == TaskError::AlreadyCompleted);
}

#[test]
#[should_panic(expected = "the command decided events, but a rejection was expected")]
fn success_fails_an_error_predicate() {
    given::<Task>(created())
        .when(|t| t.complete(user(1)))
        .then_expect_error_matching(|_| true);
}

#[test]
#[should_panic(expected = "the state after the command does not satisfy the predicate")]
fn a_state_the_predicate_refuses_fails() {
    given::<Task>(created())
        .when(|t| t.complete(user(1)))
        .then_expect_state(|t| !t.completed);
}

#[test]
#[should_panic(expected = "the command was rejected, so there is no new state to check")]
fn a_rejection_fails_an_expectation_of_state() {
    given::<Task>(created())
        .when(|t| t.create("again"))
        .then_expect_state(|_| true);
}

#[test]
#[should_panic(expected = "the state of the given events does not satisfy the predicate")]
fn given_events_with_another_state_fail() {
    given::<Task>(created()).then_expect_state(|t| t.completed);
}

#[tokio::test]
async fn async_commands_are_awaited() {
    given::<Task>(created())
        .when_async(async |t| {
            tokio::task::yield_now().await;
            t.complete(user(5))
        })
        .await
        .then_expect_events(TaskCompleted {
            completed_by: user(5),
        });
}

#[tokio::test]
async fn a_save_carries_the_context_to_every_event_it_stores() {
    let (correlation, causation) = (Uuid::now_v7(), Uuid::now_v7());
    let context = EventContext::new()
        .correlation_id(correlation)
        .causation_id(causation)
        .with("user", "alice");
    let saved = given::<Task>(created())
        .when_saved(Uuid::now_v7(), &context, |t| {
            Ok::<_, TaskError>((
                TaskAssigned {
                    assigned_to: user(1),
                },
                t.complete(user(1))?,
            ))
        })
        .await;
    saved
        .then_expect_events((
            TaskAssigned {
                assigned_to: user(1),
            },
            TaskCompleted {
                completed_by: user(1),
            },
        ))
        .then_expect_correlation_id(correlation)
        .then_expect_causation_id(causation)
        .then_expect_extra("user", "alice");
    let versions: Vec<u64> = saved.records().iter().map(|r| r.version).collect();
    assert_eq!(versions, [2, 3]);
}

#[tokio::test]
async fn another_correlation_id_fails_and_lists_every_saved_event() {
    let context = EventContext::new().correlation_id(user(1));
    let saved = given::<Task>(())
        .when_saved(Uuid::now_v7(), &context, |t| t.create("t"))
        .await;
    let message = panic_message(|| {
        saved.then_expect_correlation_id(user(2));
    });
    assert_eq!(
        message,
        format!(
            "saved events carry another correlation id than Some({:?}):\n  ✗ v1 TaskCreated: Some({:?})\n",
            user(2),
            user(1)
        )
    );
}

#[tokio::test]
#[should_panic(expected = "saved events carry another causation id than")]
async fn a_missing_causation_id_fails() {
    let saved = given::<Task>(created())
        .when_saved(Uuid::now_v7(), &EventContext::new(), |t| {
            t.complete(user(1))
        })
        .await;
    saved.then_expect_causation_id(user(9));
}

#[tokio::test]
#[should_panic(expected = "the save stored other events than expected")]
async fn other_stored_events_fail() {
    given::<Task>(created())
        .when_saved(Uuid::now_v7(), &EventContext::new(), |t| {
            t.complete(user(1))
        })
        .await
        .then_expect_events(TaskCompleted {
            completed_by: user(2),
        });
}

#[tokio::test]
#[should_panic(expected = "the command was not saved: Rejected(AlreadyCreated)")]
async fn a_rejected_save_fails_its_expectations() {
    given::<Task>(created())
        .when_saved(Uuid::now_v7(), &EventContext::new(), |t| t.create("again"))
        .await
        .then_expect_correlation_id(user(1));
}

#[tokio::test]
#[should_panic(expected = "the save stored no event, so none carries the correlation id")]
async fn a_save_of_nothing_fails_a_metadata_expectation() {
    given::<Task>(created())
        .when_saved(Uuid::now_v7(), &EventContext::new(), |_| {
            Ok::<_, TaskError>(())
        })
        .await
        .then_expect_correlation_id(user(1));
}
