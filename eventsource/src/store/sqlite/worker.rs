//! What drives one connection: a thread of its own with a job queue, or tokio's blocking
//! pool behind a mutex.

use super::config::Threading;
use super::group::{self, GroupedWrite, MOST_PER_GROUP, Pending};
use crate::error::{ConfigKind, Error, Result};
use rusqlite::Connection;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
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

/// How long a caller keeps looking for its answer before it awaits it, when the
/// connection's recent jobs took less than that: a caller that awaits is put to sleep by
/// the runtime, and waking it costs as much again. Looking holds the caller's runtime
/// thread for at most this long, within tokio's guidance for work between two awaits.
/// Only on a machine of more than one core (on one, the look would delay the job).
const WAIT_FOR_ANSWER: Duration = Duration::from_micros(60);

/// How long a connection's recent jobs took: a moving average of their times, read by
/// callers to decide whether to look for their answer (see [`WAIT_FOR_ANSWER`]).
#[derive(Debug)]
pub(super) struct Pace {
    micros: AtomicU64,
    several_cores: bool,
}

impl Pace {
    fn new() -> Self {
        Pace {
            micros: AtomicU64::new(u64::MAX),
            several_cores: std::thread::available_parallelism().is_ok_and(|n| n.get() > 1),
        }
    }

    /// Adds one job's time to the average (an eighth of its weight).
    fn record(&self, took: Duration) {
        let took = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let old = self.micros.load(Ordering::Relaxed);
        let new = if old == u64::MAX {
            took
        } else {
            old - old / 8 + took / 8
        };
        self.micros.store(new, Ordering::Relaxed);
    }

    fn answers_soon(&self) -> bool {
        self.several_cores
            && self.micros.load(Ordering::Relaxed) < WAIT_FOR_ANSWER.as_micros() as u64
    }
}

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
    Thread(mpsc::Sender<Job>, Arc<Pace>),
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
                let pace = Arc::new(Pace::new());
                let recorder = Arc::clone(&pace);
                std::thread::Builder::new()
                    .name(name.to_owned())
                    .spawn(move || match open() {
                        Ok(connection) => {
                            let _ = opened_tx.send(Ok(()));
                            serve(connection, queue, &recorder);
                        }
                        Err(error) => {
                            let _ = opened_tx.send(Err(error));
                        }
                    })
                    .map_err(Error::backend)?;
                opened.await.map_err(|_| stopped())??;
                Ok(Worker::Thread(jobs, pace))
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
            Worker::Thread(jobs, pace) => {
                let (reply, answer) = oneshot::channel();
                let job = Job::Alone(Box::new(move |connection: &mut Connection| {
                    // A job that panics (a user's apply handler in a replay) must not take
                    // the connection down: the panic goes back to the caller, and rusqlite
                    // has rolled back any transaction on the way out.
                    let _ = reply.send(catch_unwind(AssertUnwindSafe(|| job(connection))));
                }));
                jobs.send(job).await.map_err(|_| stopped())?;
                answered(answer, looks(jobs, pace)).await
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
        let look = match self {
            Worker::Thread(jobs, pace) => {
                jobs.send(Job::Grouped(write))
                    .await
                    .map_err(|_| stopped())?;
                looks(jobs, pace)
            }
            Worker::Blocking(connection) => {
                // The blocking pool runs one job at a time per connection: a group of one.
                on_blocking_pool(connection, move |connection| {
                    group::run(connection, vec![write]);
                    Ok(())
                })
                .await?;
                false
            }
        };
        answered(answer, look).await
    }
}

impl Worker {
    /// How many jobs wait in the thread's queue (0 on the blocking pool).
    #[cfg(test)]
    pub(super) fn queued(&self) -> usize {
        match self {
            Worker::Thread(jobs, _) => QUEUE - jobs.capacity(),
            Worker::Blocking(_) => 0,
        }
    }
}

/// Whether a caller whose job was just queued looks for its answer before awaiting it:
/// when its job is the only one queued and the recent ones were quick.
fn looks(jobs: &mpsc::Sender<Job>, pace: &Pace) -> bool {
    QUEUE - jobs.capacity() <= 1 && pace.answers_soon()
}

/// The job's result, or its panic raised again in the caller.
async fn answered<T>(
    mut answer: oneshot::Receiver<std::thread::Result<Result<T>>>,
    look: bool,
) -> Result<T> {
    if look {
        let since = Instant::now();
        while since.elapsed() < WAIT_FOR_ANSWER {
            match answer.try_recv() {
                Ok(Ok(result)) => return result,
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                Err(oneshot::error::TryRecvError::Closed) => return Err(stopped()),
                Err(oneshot::error::TryRecvError::Empty) => std::thread::yield_now(),
            }
        }
    }
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
fn serve(mut connection: Connection, mut queue: mpsc::Receiver<Job>, pace: &Pace) {
    let mut held = None;
    loop {
        let job = match held.take() {
            Some(job) => job,
            None => match next_job(&mut queue) {
                Some(job) => job,
                None => return,
            },
        };
        let started = Instant::now();
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
        pace.record(started.elapsed());
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
                // Yielding, not spinning: on a single core the caller gets to run.
                std::thread::yield_now();
            }
            Err(TryRecvError::Empty) => return queue.blocking_recv(),
        }
    }
}
