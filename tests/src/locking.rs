//! The locking repository's workloads, shared by the in-process tests, the process tests'
//! worker (tests/src/bin/lock_worker.rs) and the benchmark.

use crate::fixtures::{Account, Deposited};
use eventsource::prelude::*;
use eventsource::{Error, LockingRepository, StreamId};
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// What a contended run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contended {
    /// Commands that were saved.
    pub saved: u64,
    /// Times a command ran (a run beyond one per saved command was a conflict's rerun).
    pub runs: u64,
    /// Commands that failed.
    pub failed: u64,
}

impl Contended {
    /// Reruns after a conflict.
    pub fn conflicts(&self) -> u64 {
        self.runs - self.saved
    }
}

/// `tasks` tasks each saving `commands` one-cent deposits on aggregate `id` through
/// `repo`'s locks (creating it if needed).
pub async fn deposit_under_locks<S>(
    repo: &LockingRepository<Account, S>,
    id: Uuid,
    tasks: u64,
    commands: u64,
) -> Contended
where
    S: EventStore + Clone,
{
    let repo = repo.clone();
    contend(tasks, commands, move |runs| {
        let repo = repo.clone();
        async move {
            repo.create_or_update(id, counted(&runs))
                .await
                .map(drop)
                .map_err(|error| error.to_string())
        }
    })
    .await
}

/// The same workload through optimistic [`Repository::create_or_update`] (for the
/// benchmark's comparison).
pub async fn deposit_optimistically<S>(
    repo: &Repository<Account, S>,
    id: Uuid,
    tasks: u64,
    commands: u64,
) -> Contended
where
    S: EventStore + Clone,
{
    let repo = repo.clone();
    contend(tasks, commands, move |runs| {
        let repo = repo.clone();
        async move {
            repo.create_or_update(id, counted(&runs))
                .await
                .map(drop)
                .map_err(|error| error.to_string())
        }
    })
    .await
}

/// A one-cent deposit that counts its runs.
fn counted(runs: &Arc<AtomicU64>) -> impl Fn(&Account) -> Result<Deposited, Infallible> + use<> {
    let runs = Arc::clone(runs);
    move |_| {
        runs.fetch_add(1, Ordering::Relaxed);
        Ok(Deposited { amount: 1 })
    }
}

/// Runs `command` `commands` times on each of `tasks` tasks; it is handed the run counter.
async fn contend<F, Fut>(tasks: u64, commands: u64, command: F) -> Contended
where
    F: Fn(Arc<AtomicU64>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let runs = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..tasks)
        .map(|_| {
            let (command, runs) = (command.clone(), Arc::clone(&runs));
            tokio::spawn(async move {
                let mut failed = 0;
                for _ in 0..commands {
                    if let Err(error) = command(Arc::clone(&runs)).await {
                        eprintln!("a command failed: {error}");
                        failed += 1;
                    }
                }
                failed
            })
        })
        .collect();
    let mut failed = 0;
    for worker in workers {
        failed += worker.await.unwrap_or(commands);
    }
    Contended {
        saved: tasks * commands - failed,
        runs: runs.load(Ordering::Relaxed),
        failed,
    }
}

/// The stored versions of the account's stream, in order.
pub async fn versions(store: &impl EventStore, id: Uuid) -> Vec<u64> {
    store
        .read_stream(&StreamId::new("Account", id.to_string()), 0)
        .await
        .unwrap()
        .iter()
        .map(|r| r.version)
        .collect()
}

/// Asserts that `result` is a lock timeout naming the account `id`.
pub fn assert_lock_timeout<T: std::fmt::Debug>(result: eventsource::Result<T>, id: Uuid) {
    match result {
        Err(Error::LockTimeout { stream, .. }) => {
            assert_eq!(stream, StreamId::new("Account", id.to_string()));
        }
        other => panic!("expected a lock timeout on account {id}, got {other:?}"),
    }
}
