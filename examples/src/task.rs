//! The task aggregate of tutorial 5 ("Repositories"): its events, its state, and the
//! commands that decide. `tests/task.rs` tests its decisions with
//! [`eventsource::testing`].

use eventsource::prelude::*;
use std::fmt;

// ---------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------

/// A task was created.
#[event]
pub struct TaskCreated {
    /// Its title.
    pub title: String,
    /// What is to be done.
    pub description: String,
}

/// A task was given to someone.
#[event]
pub struct TaskAssigned {
    /// The assignee.
    pub assigned_to: Uuid,
}

/// A task was done.
#[event]
pub struct TaskCompleted {
    /// Who completed it.
    pub completed_by: Uuid,
}

// ---------------------------------------------------------------------------------------
// Aggregate
// ---------------------------------------------------------------------------------------

/// Where a task stands.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not done yet.
    #[default]
    Pending,
    /// Done.
    Completed,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Pending => "pending",
            Status::Completed => "completed",
        })
    }
}

/// A to-do item.
#[derive(Aggregate, Debug, Default)]
#[aggregate(name = "Task")]
pub struct Task {
    /// Its title.
    pub title: String,
    /// What is to be done.
    pub description: String,
    /// The assignee, if any.
    pub assigned_to: Option<Uuid>,
    /// Pending or completed.
    pub status: Status,
    /// Who completed it.
    pub completed_by: Option<Uuid>,
    created: bool,
}

#[apply]
impl Task {
    fn created(&mut self, e: &TaskCreated) {
        self.title = e.title.clone();
        self.description = e.description.clone();
        self.status = Status::Pending;
        self.created = true;
    }

    fn assigned(&mut self, e: &TaskAssigned) {
        self.assigned_to = Some(e.assigned_to);
    }

    fn completed(&mut self, e: &TaskCompleted) {
        self.status = Status::Completed;
        self.completed_by = Some(e.completed_by);
    }
}

/// Why a task command was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum TaskError {
    /// `create` on a task that exists.
    AlreadyExists,
    /// A command on a task that was never created.
    NotFound,
    /// `complete` on a completed task.
    AlreadyCompleted,
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskError::AlreadyExists => "task already exists",
            TaskError::NotFound => "task does not exist",
            TaskError::AlreadyCompleted => "task already completed",
        })
    }
}

impl std::error::Error for TaskError {}

impl Task {
    /// Creates the task.
    pub fn create(&self, title: &str, description: &str) -> Result<TaskCreated, TaskError> {
        if self.created {
            return Err(TaskError::AlreadyExists);
        }
        Ok(TaskCreated {
            title: title.into(),
            description: description.into(),
        })
    }

    /// Assigns the task to `user`, also when it is completed.
    pub fn assign(&self, user: Uuid) -> Result<TaskAssigned, TaskError> {
        if !self.created {
            return Err(TaskError::NotFound);
        }
        // Reassigning a completed task is allowed: step 6 does exactly that.
        Ok(TaskAssigned { assigned_to: user })
    }

    /// Completes the task, once.
    pub fn complete(&self, by: Uuid) -> Result<TaskCompleted, TaskError> {
        if !self.created {
            return Err(TaskError::NotFound);
        }
        if self.status == Status::Completed {
            return Err(TaskError::AlreadyCompleted);
        }
        Ok(TaskCompleted { completed_by: by })
    }
}
