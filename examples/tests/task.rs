//! The tutorial's task aggregate, tested with given/when/then: each command's decision
//! on each state, without a store.

use eventsource::EventContext;
use eventsource::prelude::*;
use eventsource::testing::given;
use eventsource_examples::task::{
    Status, Task, TaskAssigned, TaskCompleted, TaskCreated, TaskError,
};

fn created() -> TaskCreated {
    TaskCreated {
        title: "Learn repositories".into(),
        description: "Complete tutorial 5".into(),
    }
}

fn completed(by: Uuid) -> TaskCompleted {
    TaskCompleted { completed_by: by }
}

#[test]
fn a_new_task_is_created_pending_with_its_title_and_description() {
    given::<Task>(())
        .when(|t| t.create("Learn repositories", "Complete tutorial 5"))
        .then_expect_events(created())
        .then_expect_state(|t| {
            t.title == "Learn repositories"
                && t.description == "Complete tutorial 5"
                && t.status == Status::Pending
        });
}

#[test]
fn creating_a_task_twice_is_refused() {
    given::<Task>(created())
        .when(|t| t.create("Again", ""))
        .then_expect_error(TaskError::AlreadyExists);
}

#[test]
fn a_task_that_was_never_created_cannot_be_assigned_or_completed() {
    let user = Uuid::now_v7();
    let nothing = given::<Task>(());
    nothing
        .when(|t| t.assign(user))
        .then_expect_error(TaskError::NotFound);
    nothing
        .when(|t| t.complete(user))
        .then_expect_error(TaskError::NotFound);
}

#[test]
fn assigning_records_the_assignee() {
    let user = Uuid::now_v7();
    given::<Task>(created())
        .when(|t| t.assign(user))
        .then_expect_events(TaskAssigned { assigned_to: user })
        .then_expect_state(|t| t.assigned_to == Some(user));
}

#[test]
fn completing_records_who_completed_it() {
    let user = Uuid::now_v7();
    given::<Task>((created(), TaskAssigned { assigned_to: user }))
        .when(|t| t.complete(user))
        .then_expect_events(completed(user))
        .then_expect_state(|t| t.status == Status::Completed && t.completed_by == Some(user));
}

#[test]
fn a_completed_task_cannot_be_completed_again() {
    let user = Uuid::now_v7();
    given::<Task>((created(), completed(user)))
        .when(|t| t.complete(Uuid::now_v7()))
        .then_expect_error_matching(|e| *e == TaskError::AlreadyCompleted);
}

#[test]
fn a_completed_task_can_still_be_reassigned() {
    let (user, other) = (Uuid::now_v7(), Uuid::now_v7());
    given::<Task>((created(), completed(user)))
        .when(|t| t.assign(other))
        .then_expect_events(TaskAssigned { assigned_to: other })
        .then_expect_state(|t| t.status == Status::Completed && t.assigned_to == Some(other));
}

#[test]
fn the_history_of_the_tutorial_builds_its_final_state() {
    let (user, later) = (Uuid::now_v7(), Uuid::now_v7());
    given::<Task>((
        created(),
        TaskAssigned { assigned_to: user },
        completed(user),
        TaskAssigned { assigned_to: later },
    ))
    .then_expect_state(|t| {
        t.status == Status::Completed
            && t.assigned_to == Some(later)
            && t.completed_by == Some(user)
    });
}

#[tokio::test]
async fn completing_through_a_repository_keeps_the_request_ids() {
    let (user, request, command) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let context = EventContext::new()
        .correlation_id(request)
        .causation_id(command);
    given::<Task>(created())
        .when_saved(Uuid::now_v7(), &context, |t| t.complete(user))
        .await
        .then_expect_events(completed(user))
        .then_expect_correlation_id(request)
        .then_expect_causation_id(command);
}
