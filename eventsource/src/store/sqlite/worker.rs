//! What drives one connection: a thread of its own with a job queue, or tokio's blocking
//! pool behind a mutex.

use super::config::Threading;
use super::group::{self, GroupedWrite, MOST_PER_GROUP, Pending};
use crate::error::{ConfigKind, Error, Result};
use rusqlite::Connection;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{self, error::TryRecvError};
use tokio::sync::oneshot;

/// The most jobs waiting for one connection.
const QUEUE: usize = 256;

/// How long a connection's thread keeps looking for its next job before it sleeps.
///
/// Waking a sleeping thread costs tens of microseconds on a virtual machine, as much as
/// a whole append at `synchronous = NORMAL`; a caller's next request usually follows its
/// previous answer within that time. Looking costs the thread's core for at most this
/// long after each job, and nothing while the store is idle.
const LOOK_FOR_WORK: Duration = Duration::from_micros(50);

/// A job for a connection's thread.
pub(super) enum Job {
    /// Runs on its own, managing its own transaction if it needs one.
    Alone(Box<dyn FnOnce(&mut Connection) + Send>),
    /// Runs inside a transaction the thread opens, with the other appends queued with it.
    Grouped(Box<dyn GroupedWrite>),
}

/// Drives one connection.
#[derive(Debug)]
pub(super) enum Worker {
    /// A thread that owns the connection and runs jobs in order, from a queue of at most
    /// [`QUEUE`] jobs: a caller waits for room (backpressure) instead of piling up work.
    /// It ends, closing the connection, when the last handle is dropped.
    Thread(mpsc::Sender<Job>),
    /// The connection behind a mutex, used from tokio's blocking pool.
    Blocking(Arc<Mutex<Connection>>),
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Job::Alone(_) => "Job::Alone",
            Job::Grouped(_) => "Job::Grouped",
        })
    }
}

fn stopped() -> Error {
    Error::backend("the SQLite connection worker stopped")
}

fn needs_runtime() -> Error {
    Error::config(
        ConfigKind::Runtime,
        "Threading::SpawnBlocking needs a tokio runtime",
    )
}

impl Worker {
    /// Opens the connection with `open` off the async runtime and starts the worker.
    pub(super) async fn start(
        threading: Threading,
        name: &str,
        open: impl FnOnce() -> Result<Connection> + Send + 'static,
    ) -> Result<Self> {
        match threading {
            Threading::DedicatedThread => {
                let (jobs, queue) = mpsc::channel::<Job>(QUEUE);
                let (opened_tx, opened) = oneshot::channel();
                std::thread::Builder::new()
                    .name(name.to_owned())
                    .spawn(move || match open() {
                        Ok(connection) => {
                            let _ = opened_tx.send(Ok(()));
                            serve(connection, queue);
                        }
                        Err(error) => {
                            let _ = opened_tx.send(Err(error));
                        }
                    })
                    .map_err(Error::backend)?;
                opened.await.map_err(|_| stopped())??;
                Ok(Worker::Thread(jobs))
            }
            Threading::SpawnBlocking => {
                if tokio::runtime::Handle::try_current().is_err() {
                    return Err(needs_runtime());
                }
                let connection = tokio::task::spawn_blocking(open)
                    .await
                    .map_err(|_| stopped())??;
                Ok(Worker::Blocking(Arc::new(Mutex::new(connection))))
            }
        }
    }

    /// Runs `job` on the connection and hands back its result (or its panic).
    pub(super) async fn call<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        match self {
            Worker::Thread(jobs) => {
                let (reply, answer) = oneshot::channel();
                let job = Job::Alone(Box::new(move |connection: &mut Connection| {
                    // A job that panics (a user's apply handler in a replay) must not take
                    // the connection down: the panic goes back to the caller, and rusqlite
                    // has rolled back any transaction on the way out.
                    let _ = reply.send(catch_unwind(AssertUnwindSafe(|| job(connection))));
                }));
                jobs.send(job).await.map_err(|_| stopped())?;
                answered(answer).await
            }
            Worker::Blocking(connection) => {
                on_blocking_pool(connection, move |connection| job(connection)).await
            }
        }
    }

    /// Runs `job` inside a transaction, shared with the other grouped jobs queued at the
    /// same moment on a connection's thread (see [`super::group`]).
    pub(super) async fn call_grouped<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let write: Box<dyn GroupedWrite> = Box::new(Pending::new(job, reply));
        match self {
            Worker::Thread(jobs) => {
                jobs.send(Job::Grouped(write))
                    .await
                    .map_err(|_| stopped())?;
            }
            Worker::Blocking(connection) => {
                // The blocking pool runs one job at a time per connection: a group of one.
                on_blocking_pool(connection, move |connection| {
                    group::run(connection, vec![write]);
                    Ok(())
                })
                .await?;
            }
        }
        answered(answer).await
    }
}

impl Worker {
    /// How many jobs wait in the thread's queue (0 on the blocking pool).
    #[cfg(test)]
    pub(super) fn queued(&self) -> usize {
        match self {
            Worker::Thread(jobs) => QUEUE - jobs.capacity(),
            Worker::Blocking(_) => 0,
        }
    }
}

/// The job's result, or its panic raised again in the caller.
async fn answered<T>(answer: oneshot::Receiver<std::thread::Result<Result<T>>>) -> Result<T> {
    match answer.await {
        Ok(Ok(result)) => result,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => Err(stopped()),
    }
}

/// Runs `job` on tokio's blocking pool with the connection locked.
async fn on_blocking_pool<T, F>(connection: &Arc<Mutex<Connection>>, job: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
{
    let connection = Arc::clone(connection);
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| needs_runtime())?;
    runtime
        .spawn_blocking(move || {
            // A job that panicked left no transaction open (rusqlite rolls back on drop,
            // a group rolls back its own), so the connection is still usable; the panic
            // itself goes back to the caller through the join handle.
            let mut connection = connection
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            job(&mut connection)
        })
        .await
        .unwrap_or_else(|error| match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(_) => Err(stopped()),
        })
}

/// A connection's thread: runs jobs in order until the last handle is dropped, grouping
/// the appends that queued together into one transaction.
fn serve(mut connection: Connection, mut queue: mpsc::Receiver<Job>) {
    let mut held = None;
    loop {
        let job = match held.take() {
            Some(job) => job,
            None => match next_job(&mut queue) {
                Some(job) => job,
                None => return,
            },
        };
        match job {
            Job::Alone(run) => run(&mut connection),
            Job::Grouped(first) => {
                let mut writes = vec![first];
                while writes.len() < MOST_PER_GROUP {
                    match queue.try_recv() {
                        Ok(Job::Grouped(write)) => writes.push(write),
                        Ok(other) => {
                            held = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                group::run(&connection, writes);
            }
        }
    }
}

/// The next job: looked for during [`LOOK_FOR_WORK`], then waited for asleep. `None`
/// when every handle is gone.
fn next_job(queue: &mut mpsc::Receiver<Job>) -> Option<Job> {
    let since = Instant::now();
    loop {
        match queue.try_recv() {
            Ok(job) => return Some(job),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) if since.elapsed() < LOOK_FOR_WORK => {
                std::hint::spin_loop();
            }
            Err(TryRecvError::Empty) => return queue.blocking_recv(),
        }
    }
}
