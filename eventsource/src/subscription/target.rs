//! The two ways a subscription hands events over: [`Plain`] (one by one, checkpoint every
//! interval, at least once) and [`InTransaction`] (a batch and its checkpoint in one
//! database transaction, exactly once).

use super::projection::{HandleError, Projection};
use super::snapshots::SnapshotWorker;
use super::transactional::{BatchFailure, TransactionalStore};
use super::worker::{Batch, Core, Progress, Stopped, Target};
use crate::aggregate::Aggregate;
use crate::event::EventSet;
use crate::snapshot::{SnapshotMode, Snapshottable};
use crate::store::{EventStore, FeedEntryRef, RecordedEvent, SubscriptionStore};
use crate::stream::StreamId;
use std::str::FromStr;

/// A [`Projection`], fed one event at a time.
pub(super) struct Plain<P> {
    projection: P,
    /// The event handed to the handler, its buffers reused from one event to the next.
    record: Option<RecordedEvent>,
}

impl<P> Plain<P> {
    pub(super) fn new(projection: P) -> Self {
        Plain {
            projection,
            record: None,
        }
    }
}

impl<S, P> Target<S> for Plain<P>
where
    S: EventStore + SubscriptionStore,
    P: Projection,
{
    type Output = P;

    fn name(&self) -> &'static str {
        P::NAME
    }

    fn event_types(&self) -> &'static [&'static str] {
        P::EVENT_TYPES
    }

    async fn deliver_batch(
        &mut self,
        core: &mut Core<S>,
        entries: Batch<'_>,
        progress: &mut Progress,
    ) -> Result<(), Stopped> {
        for entry in entries.items() {
            if core.stop_requested() {
                break;
            }
            let position = entry.position();
            match entry {
                FeedEntryRef::Event(event) if core.wants(&event) => {
                    let record = event.copy_into_slot(&mut self.record);
                    match handle_with_retries(&mut self.projection, core, record).await {
                        Ok(()) => core.forget_parked(position, progress).await,
                        Err((error, attempts)) => {
                            let error = error.to_string();
                            core.park(Some(record), position, error, attempts, progress)
                                .await?;
                        }
                    }
                }
                FeedEntryRef::Event(_) => {}
                FeedEntryRef::Unreadable { error, .. } => {
                    core.park(None, position, error.to_string(), 0, progress)
                        .await?;
                }
            }
            progress.advance(position);
            if core.checkpoint_due(progress) {
                core.store_checkpoint(progress).await;
            }
        }
        Ok(())
    }

    fn finish(self) -> P {
        self.projection
    }
}

async fn handle_with_retries<S, P: Projection>(
    projection: &mut P,
    core: &Core<S>,
    record: &RecordedEvent,
) -> Result<(), (HandleError, u32)> {
    let mut attempts = core.options.retry.start();
    loop {
        match projection.handle(record).await {
            Ok(()) => return Ok(()),
            Err(error) => {
                tracing::debug!(
                    subscription = P::NAME,
                    position = record.position,
                    attempt = attempts.made(),
                    %error,
                    "handler failed"
                );
                if !attempts.retry(error.is_retryable()).await {
                    return Err((error, attempts.made()));
                }
            }
        }
    }
}

/// A projection whose writes commit with the checkpoint, batch by batch.
///
/// A batch runs in one transaction. If any of its events fails, nothing of the batch is
/// kept and its events are delivered again one transaction each, with retries, so that
/// only the failing event is parked.
pub(super) struct InTransaction<P> {
    /// `None` only while a transaction has it.
    pub(super) projection: Option<P>,
    pub(super) name: &'static str,
    pub(super) event_types: &'static [&'static str],
}

impl<S, P> Target<S> for InTransaction<P>
where
    S: TransactionalStore<P>,
    P: Send + 'static,
{
    type Output = Option<P>;

    fn name(&self) -> &'static str {
        self.name
    }

    fn event_types(&self) -> &'static [&'static str] {
        self.event_types
    }

    async fn deliver_batch(
        &mut self,
        core: &mut Core<S>,
        entries: Batch<'_>,
        progress: &mut Progress,
    ) -> Result<(), Stopped> {
        let last = entries.last_position().unwrap_or(progress.position);
        let readable = entries.items().all(|e| matches!(e, FeedEntryRef::Event(_)));
        if readable && !core.stop_requested() {
            let wanted: Vec<RecordedEvent> = entries
                .items()
                .filter_map(|entry| match entry {
                    FeedEntryRef::Event(event) if core.wants(&event) => Some(event.to_record()),
                    _ => None,
                })
                .collect();
            match self.commit(core, wanted, last).await {
                Ok(()) => {
                    progress.stored_at_position(last);
                    core.forget_parked_up_to(last, progress).await;
                    return Ok(());
                }
                Err(BatchFailure::Handler { position, error }) => tracing::debug!(
                    subscription = self.name,
                    position,
                    %error,
                    "a batch failed; delivering its events one by one"
                ),
                Err(BatchFailure::Store(error)) => {
                    // Nothing was kept: the loop reads the batch again after a pause.
                    tracing::warn!(subscription = self.name, %error, "committing a batch failed; retrying");
                    core.wait_for_appends(None).await;
                    return Ok(());
                }
            }
        }
        self.deliver_one_by_one(core, entries, progress).await
    }

    fn finish(self) -> Option<P> {
        self.projection
    }
}

impl<P: Send + 'static> InTransaction<P> {
    async fn commit<S: TransactionalStore<P>>(
        &mut self,
        core: &Core<S>,
        events: Vec<RecordedEvent>,
        checkpoint: u64,
    ) -> Result<(), BatchFailure> {
        let Some(projection) = self.projection.take() else {
            return Err(BatchFailure::Store(crate::error::Error::backend(
                "the projection was lost by an earlier transaction",
            )));
        };
        let (projection, result) = core
            .store
            .commit_batch(projection, events, checkpoint)
            .await;
        self.projection = projection;
        result
    }

    async fn deliver_one_by_one<S: TransactionalStore<P>>(
        &mut self,
        core: &mut Core<S>,
        entries: Batch<'_>,
        progress: &mut Progress,
    ) -> Result<(), Stopped> {
        for entry in entries.items() {
            if core.stop_requested() {
                break;
            }
            let position = entry.position();
            match entry {
                FeedEntryRef::Event(event) if core.wants(&event) => {
                    let record = event.to_record();
                    let mut attempts = core.options.retry.start();
                    loop {
                        match self.commit(core, vec![record.clone()], position).await {
                            Ok(()) => {
                                progress.stored_at_position(position);
                                core.forget_parked(position, progress).await;
                                break;
                            }
                            Err(failure) => {
                                tracing::debug!(
                                    subscription = self.name,
                                    position,
                                    attempt = attempts.made(),
                                    ?failure,
                                    "committing the event failed"
                                );
                                if attempts.retry(retryable(&failure)).await {
                                    continue;
                                }
                                let error = match failure {
                                    BatchFailure::Handler { error, .. } => error.to_string(),
                                    BatchFailure::Store(error) => error.to_string(),
                                };
                                let made = attempts.made();
                                core.park(Some(&record), position, error, made, progress)
                                    .await?;
                                break;
                            }
                        }
                    }
                }
                FeedEntryRef::Event(_) => {}
                FeedEntryRef::Unreadable { error, .. } => {
                    core.park(None, position, error.to_string(), 0, progress)
                        .await?;
                }
            }
            progress.advance(position);
        }
        // Skipped and parked events move the checkpoint outside a transaction: nothing of
        // the read model depends on them.
        core.store_checkpoint(progress).await;
        Ok(())
    }
}

/// A decode error fails again whatever the retries; a handler or database error may not.
fn retryable(failure: &BatchFailure) -> bool {
    match failure {
        BatchFailure::Handler { error, .. } => error.is_retryable(),
        BatchFailure::Store(_) => true,
    }
}

/// The snapshot worker: notes the aggregates whose stream crossed the threshold, then
/// snapshots them after the batch.
impl<St, A, S> Target<St> for SnapshotWorker<A, S>
where
    St: EventStore + SubscriptionStore,
    A: Snapshottable,
    A::Id: FromStr,
    S: EventStore,
{
    type Output = SnapshotWorker<A, S>;

    fn name(&self) -> &'static str {
        self.name
    }

    fn event_types(&self) -> &'static [&'static str] {
        <<A as Aggregate>::Event as EventSet>::EVENT_TYPES
    }

    async fn deliver_batch(
        &mut self,
        core: &mut Core<St>,
        entries: Batch<'_>,
        progress: &mut Progress,
    ) -> Result<(), Stopped> {
        // The repository's own policy is manual (the worker alone snapshots); its
        // threshold and jitter decide here.
        let policy = self
            .repository
            .snapshot_policy()
            .with_mode(SnapshotMode::Sync);
        for entry in entries.items() {
            let position = entry.position();
            if let FeedEntryRef::Event(event) = entry
                && event.aggregate_type == A::TYPE
                && core.wants(&event)
            {
                let stream = StreamId::new(event.aggregate_type, event.aggregate_id);
                if policy.should_snapshot(&stream, event.version - 1, event.version) {
                    self.crossed.insert(stream.aggregate_id);
                }
            }
            progress.advance(position);
        }
        self.take_snapshots().await;
        if core.checkpoint_due(progress) {
            core.store_checkpoint(progress).await;
        }
        Ok(())
    }

    fn finish(self) -> Self {
        self
    }
}
