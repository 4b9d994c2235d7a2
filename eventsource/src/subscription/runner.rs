//! [`SubscriptionRunner`]: runs subscriptions on tokio tasks, and the
//! [`SubscriptionHandle`] of each.

use super::options::SubscriptionOptions;
use super::projection::Projection;
use super::snapshots::SnapshotWorker;
use super::status::{SubscriptionState, SubscriptionStatus};
use super::target::{InTransaction, Plain};
use super::transactional::TransactionalStore;
use super::worker::{Core, Target, Worker};
use crate::error::{ConfigKind, Error, Result};
use crate::snapshot::Snapshottable;
use crate::store::{EventStore, SubscriptionStore};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

/// Runs the subscriptions of one process: each projection on a tokio task of its own,
/// reading the store's global feed after its checkpoint.
///
/// ```ignore
/// use eventsource::prelude::*;
/// use eventsource::subscription::{SubscriptionOptions, SubscriptionRunner};
/// # #[event] pub struct Deposited { pub cents: u64 }
/// # #[derive(Aggregate, Default)]
/// # pub struct Account { balance: u64 }
/// # #[apply] impl Account { fn deposited(&mut self, e: &Deposited) { self.balance += e.cents; } }
///
/// #[derive(Default)]
/// pub struct TotalDeposits { cents: u64 }
///
/// #[projection(name = "total_deposits")]
/// impl TotalDeposits {
///     fn deposited(&mut self, e: &Deposited) { self.cents += e.cents; }
/// }
///
/// # async fn run() -> eventsource::Result<()> {
/// let store = InMemoryEventStore::new();
/// let repo = Repository::<Account, _>::new(store.clone());
/// let mut runner = SubscriptionRunner::new(store.clone());
/// let mut totals = runner.start(TotalDeposits::default(), SubscriptionOptions::new())?;
///
/// let mut account = repo.create_new(Uuid::now_v7());
/// account.record([Deposited { cents: 250 }, Deposited { cents: 100 }]);
/// repo.save(&mut account).await?;
///
/// totals.wait_for(|status| status.position == 2 && status.is_live()).await;
/// let totals = totals.stop().await?;       // stores the checkpoint, hands the projection back
/// assert_eq!(totals.cents, 350);
/// # runner.shutdown().await;
/// # Ok(()) }
/// # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
/// ```
///
/// Dropping the runner does not stop its subscriptions: call
/// [`shutdown`](Self::shutdown), or [`SubscriptionHandle::stop`] on each.
pub struct SubscriptionRunner<S> {
    store: S,
    running: Vec<Running>,
}

/// What the runner keeps of each subscription it started.
struct Running {
    status: watch::Receiver<SubscriptionStatus>,
    stop: Arc<watch::Sender<bool>>,
    task: JoinHandle<()>,
}

impl<S> fmt::Debug for SubscriptionRunner<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubscriptionRunner")
            .field("subscriptions", &self.running.len())
            .finish_non_exhaustive()
    }
}

impl<S> SubscriptionRunner<S>
where
    S: EventStore + SubscriptionStore + Clone,
{
    /// A runner reading `store`'s feed and keeping checkpoints in it.
    pub fn new(store: S) -> Self {
        SubscriptionRunner {
            store,
            running: Vec::new(),
        }
    }

    /// Starts feeding `projection` on a tokio task (call it within a tokio runtime).
    ///
    /// Fails with [`Error::Config`] when a subscription of the same
    /// [name](Projection::NAME) is already running in this runner.
    pub fn start<P: Projection>(
        &mut self,
        projection: P,
        options: SubscriptionOptions,
    ) -> Result<SubscriptionHandle<P>> {
        self.spawn(Plain::new(projection), options, |projection, result| {
            result.map(|()| projection)
        })
    }

    /// Starts a projection whose read model lives in the store's own database: each batch
    /// of its handlers and the checkpoint commit in one transaction, so every event takes
    /// effect exactly once, even across crashes. See
    /// [`SqliteProjection`](super::SqliteProjection) and
    /// [`PostgresProjection`](super::PostgresProjection).
    ///
    /// The checkpoint moves with every committed batch, whatever
    /// [`CheckpointEvery`](super::CheckpointEvery) says.
    pub fn start_transactional<P>(
        &mut self,
        projection: P,
        options: SubscriptionOptions,
    ) -> Result<SubscriptionHandle<P>>
    where
        P: Send + 'static,
        S: TransactionalStore<P>,
    {
        let target = InTransaction {
            projection: Some(projection),
            name: self.store.subscription_name(),
            event_types: self.store.handled_event_types(),
        };
        self.spawn(target, options, |projection, result| match projection {
            Some(projection) => result.map(|()| projection),
            None => Err(result.err().unwrap_or_else(|| {
                Error::backend("the projection was lost in a failed transaction")
            })),
        })
    }

    /// Starts a [`SnapshotWorker`]: snapshots for the aggregates whose streams cross the
    /// threshold, taken by this process while writers in others (or this one) save.
    pub fn start_snapshots<A, R>(
        &mut self,
        worker: SnapshotWorker<A, R>,
        options: SubscriptionOptions,
    ) -> Result<SubscriptionHandle<SnapshotWorker<A, R>>>
    where
        A: Snapshottable,
        A::Id: FromStr,
        R: EventStore,
    {
        if worker.repository().snapshot_store().is_none() {
            return Err(Error::NoSnapshotStore {
                aggregate_type: A::TYPE.to_owned(),
            });
        }
        self.spawn(worker, options, |worker, result| result.map(|()| worker))
    }

    fn spawn<T, P>(
        &mut self,
        target: T,
        options: SubscriptionOptions,
        finish: fn(T::Output, Result<()>) -> Result<P>,
    ) -> Result<SubscriptionHandle<P>>
    where
        T: Target<S>,
        P: Send + 'static,
    {
        let name = target.name();
        // A subscription that reported its end is done, though its task may still be
        // finishing.
        self.running.retain(|running| {
            !running.task.is_finished()
                && !matches!(
                    running.status.borrow().state,
                    SubscriptionState::Stopped | SubscriptionState::Failed(_)
                )
        });
        if self.running.iter().any(|r| r.status.borrow().name == name) {
            return Err(Error::config(
                ConfigKind::SubscriptionName,
                format!("a subscription named `{name}` is already running"),
            ));
        }
        let (status, status_rx) = watch::channel(SubscriptionStatus {
            name: name.to_owned(),
            position: 0,
            head: 0,
            state: SubscriptionState::Starting,
        });
        let (stop, stop_rx) = watch::channel(false);
        let stop = Arc::new(stop);
        let (done, done_rx) = oneshot::channel();
        let worker = Worker {
            core: Core {
                store: self.store.clone(),
                options,
                status,
                stop: stop_rx,
                name,
                event_types: target.event_types(),
            },
            target,
            reader: self.store.clone(),
        };
        let task = tokio::spawn(async move {
            let (output, result) = worker.run().await;
            // The handle may be gone; the projection then goes with the task.
            let _ = done.send(finish(output, result));
        });
        self.running.push(Running {
            status: status_rx.clone(),
            stop: Arc::clone(&stop),
            task,
        });
        Ok(SubscriptionHandle {
            status: status_rx,
            stop,
            done: done_rx,
        })
    }

    /// The status of every subscription this runner started.
    pub fn statuses(&self) -> Vec<SubscriptionStatus> {
        self.running
            .iter()
            .map(|running| running.status.borrow().clone())
            .collect()
    }

    /// The store the subscriptions read.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Stops every subscription (each finishes the event in hand and stores its
    /// checkpoint) and waits until all have ended.
    pub async fn shutdown(self) {
        for running in &self.running {
            running.stop.send_replace(true);
        }
        for running in self.running {
            if let Err(error) = running.task.await {
                tracing::error!(%error, "a subscription task panicked");
            }
        }
    }
}

/// One running subscription: its status, and the way to stop it and get its projection
/// back.
#[must_use = "dropping the handle leaves the subscription running without a way to stop it but the runner's shutdown"]
pub struct SubscriptionHandle<P> {
    status: watch::Receiver<SubscriptionStatus>,
    stop: Arc<watch::Sender<bool>>,
    done: oneshot::Receiver<Result<P>>,
}

impl<P> fmt::Debug for SubscriptionHandle<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubscriptionHandle")
            .field("status", &*self.status.borrow())
            .finish_non_exhaustive()
    }
}

impl<P> SubscriptionHandle<P> {
    /// The subscription's status now.
    pub fn status(&self) -> SubscriptionStatus {
        self.status.borrow().clone()
    }

    /// Waits until `condition` holds for the status, or the subscription ended; returns the
    /// status then.
    pub async fn wait_for(
        &mut self,
        mut condition: impl FnMut(&SubscriptionStatus) -> bool,
    ) -> SubscriptionStatus {
        let ended = |s: &SubscriptionStatus| {
            matches!(
                s.state,
                SubscriptionState::Stopped | SubscriptionState::Failed(_)
            )
        };
        let found = match self.status.wait_for(|s| condition(s) || ended(s)).await {
            Ok(status) => Some(status.clone()),
            Err(_) => None,
        };
        found.unwrap_or_else(|| self.status.borrow().clone())
    }

    /// Asks the subscription to stop: it finishes the event in hand, stores its checkpoint
    /// and ends. Returns the projection, or the error that had stopped it already.
    pub async fn stop(self) -> Result<P> {
        self.stop.send_replace(true);
        self.join().await
    }

    /// Waits for the subscription to end by itself (an event that stops it), without
    /// asking it to stop.
    pub async fn join(self) -> Result<P> {
        match self.done.await {
            Ok(result) => result,
            Err(_) => Err(Error::backend(
                "the subscription task ended without a result",
            )),
        }
    }
}
