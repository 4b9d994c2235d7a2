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
    let runs = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..tasks)
        .map(|_| {
            let (repo, runs) = (repo.clone(), Arc::clone(&runs));
            tokio::spawn(async move {
                let mut failed = 0;
                for _ in 0..commands {
                    let result = repo
                        .create_or_update(id, |_| {
                            runs.fetch_add(1, Ordering::Relaxed);
                            Ok::<_, Infallible>(Deposited { amount: 1 })
                        })
                        .await;
                    if let Err(error) = result {
                        eprintln!("a locked command failed: {error}");
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
    let runs = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..tasks)
        .map(|_| {
            let (repo, runs) = (repo.clone(), Arc::clone(&runs));
            tokio::spawn(async move {
                let mut failed = 0;
                for _ in 0..commands {
                    let result = repo
                        .create_or_update(id, |_| {
                            runs.fetch_add(1, Ordering::Relaxed);
                            Ok::<_, Infallible>(Deposited { amount: 1 })
                        })
                        .await;
                    if result.is_err() {
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
