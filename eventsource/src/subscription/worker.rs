//! The loop that feeds one projection: read the feed after the checkpoint, hand each event
//! to the projection (retrying, parking), store the checkpoint, wait for appends.

use super::options::{CheckpointEvery, OnFailure, StartFrom, SubscriptionOptions};
use super::projection::{HandleError, Projection};
use super::status::{SubscriptionState, SubscriptionStatus};
use crate::error::{Error, Result};
use crate::store::{
    AppendSignal, EventStore, FeedEntry, ParkedEvent, RecordedEvent, SubscriptionStore,
};
use crate::time::now_micros;
use std::collections::BTreeSet;
use std::time::Instant;
use tokio::sync::watch;
use tracing::Instrument;

/// One subscription's state while it runs.
pub(super) struct Worker<S, P> {
    pub(super) store: S,
    pub(super) projection: P,
    pub(super) options: SubscriptionOptions,
    pub(super) status: watch::Sender<SubscriptionStatus>,
    pub(super) stop: watch::Receiver<bool>,
}

/// Where the loop is, besides the projection.
struct Progress {
    position: u64,
    stored: Option<u64>,
    since_stored: usize,
    stored_at: Instant,
    /// Parked positions after the checkpoint (left by a stop at them): handled at last,
    /// their parked entries go.
    parked_ahead: BTreeSet<u64>,
}

/// Why delivering one event ended the subscription.
struct Stopped(Error);

impl<S, P> Worker<S, P>
where
    S: EventStore + SubscriptionStore,
    P: Projection,
{
    /// Runs until a stop is asked for or an event stops it; returns the projection.
    pub(super) async fn run(mut self) -> (P, Result<()>) {
        let result = self.run_inner().await;
        let state = match &result {
            Ok(()) => SubscriptionState::Stopped,
            Err(error) => SubscriptionState::Failed(error.to_string()),
        };
        self.status.send_modify(|status| status.state = state);
        (self.projection, result)
    }

    async fn run_inner(&mut self) -> Result<()> {
        let name = P::NAME;
        let stored = self.store.checkpoint(name).await?;
        let position = match self.options.start {
            StartFrom::Checkpoint => stored.unwrap_or(0),
            StartFrom::Beginning => 0,
            StartFrom::End => self.store.head_position().await?,
        };
        let parked_ahead = self
            .store
            .parked(name)
            .await?
            .into_iter()
            .map(|parked| parked.position)
            .filter(|&p| p > position)
            .collect();
        let mut progress = Progress {
            position,
            stored,
            since_stored: 0,
            stored_at: Instant::now(),
            parked_ahead,
        };
        if stored != Some(position) {
            self.store_checkpoint(&mut progress).await;
        }
        let mut signal = match self.store.append_signal().await {
            Ok(signal) => signal,
            Err(error) => {
                tracing::warn!(subscription = name, %error, "no append wake-ups; polling");
                None
            }
        };
        self.set(|s| {
            s.position = position;
            s.state = SubscriptionState::CatchingUp;
        });
        let batch_size = self.options.batch_size.get();
        while !self.stop_requested() {
            let entries = match self.store.read_feed(progress.position, batch_size).await {
                Ok(entries) => entries,
                Err(error) => {
                    tracing::warn!(subscription = name, %error, "reading the feed failed; retrying");
                    self.wait_for_appends(None).await;
                    continue;
                }
            };
            let Some((first, last)) = entries.first().zip(entries.last()) else {
                self.caught_up(&mut progress).await;
                self.wait_for_appends(signal.as_mut()).await;
                continue;
            };
            let (first, last, count) = (first.position(), last.position(), entries.len());
            let span = tracing::info_span!(
                "eventsource.subscription.batch",
                subscription = name,
                first,
                last,
                count
            );
            self.deliver_batch(entries, &mut progress)
                .instrument(span)
                .await
                .map_err(|Stopped(error)| error)?;
            if count == batch_size {
                self.maybe_fell_behind(&progress).await;
            }
        }
        self.store_checkpoint(&mut progress).await;
        Ok(())
    }

    async fn deliver_batch(
        &mut self,
        entries: Vec<FeedEntry>,
        progress: &mut Progress,
    ) -> Result<(), Stopped> {
        for entry in entries {
            if self.stop_requested() {
                break;
            }
            let position = entry.position();
            self.deliver(entry, progress).await?;
            progress.position = position;
            progress.since_stored += 1;
            self.set(|s| s.position = position);
            if self.checkpoint_due(progress) {
                self.store_checkpoint(progress).await;
            }
        }
        let position = progress.position;
        self.set(|s| {
            s.position = position;
            s.head = s.head.max(position);
        });
        Ok(())
    }

    /// Hands one entry to the projection: retried, then parked, per the options.
    async fn deliver(&mut self, entry: FeedEntry, progress: &mut Progress) -> Result<(), Stopped> {
        let (record, error, attempts) = match entry {
            FeedEntry::Event(record) => {
                if !self.wants(&record) {
                    return Ok(());
                }
                match self.handle_with_retries(&record).await {
                    Ok(()) => {
                        self.forget_parked(record.position, progress).await;
                        return Ok(());
                    }
                    Err((error, attempts)) => (Some(record), error.to_string(), attempts),
                }
            }
            FeedEntry::Unreadable { position, error } => {
                let parked = ParkedEvent {
                    subscription: P::NAME.to_owned(),
                    position,
                    stream: None,
                    version: None,
                    event_type: None,
                    error: error.to_string(),
                    attempts: 0,
                    parked_at: now_micros(),
                };
                return self.park(parked, progress).await;
            }
        };
        let record = record.as_ref();
        let parked = ParkedEvent {
            subscription: P::NAME.to_owned(),
            position: record.map_or(0, |r| r.position),
            stream: record.map(|r| r.stream.clone()),
            version: record.map(|r| r.version),
            event_type: record.map(|r| r.event_type.clone()),
            error,
            attempts,
            parked_at: now_micros(),
        };
        self.park(parked, progress).await
    }

    async fn handle_with_retries(
        &mut self,
        record: &RecordedEvent,
    ) -> Result<(), (HandleError, u32)> {
        let retry = self.options.retry;
        let mut attempt = 1;
        loop {
            match self.projection.handle(record).await {
                Ok(()) => return Ok(()),
                Err(error) if error.is_retryable() && attempt < retry.attempts() => {
                    tracing::debug!(
                        subscription = P::NAME,
                        position = record.position,
                        attempt,
                        %error,
                        "handler failed; retrying"
                    );
                    tokio::time::sleep(retry.delay_before_retry(attempt)).await;
                    attempt += 1;
                }
                Err(error) => return Err((error, attempt)),
            }
        }
    }

    /// Parks an event; with [`OnFailure::Stop`] the subscription then ends before it.
    async fn park(&mut self, parked: ParkedEvent, progress: &mut Progress) -> Result<(), Stopped> {
        tracing::warn!(
            subscription = P::NAME,
            position = parked.position,
            event_type = parked.event_type.as_deref().unwrap_or("<unreadable>"),
            error = %parked.error,
            "event parked"
        );
        // An event that cannot be recorded as parked is never skipped.
        self.store.park(&parked).await.map_err(Stopped)?;
        match self.options.on_failure {
            OnFailure::ParkAndSkip => Ok(()),
            OnFailure::Stop => {
                self.store_checkpoint(progress).await;
                Err(Stopped(Error::SubscriptionStopped {
                    subscription: P::NAME.to_owned(),
                    position: parked.position,
                    reason: parked.error,
                }))
            }
        }
    }

    async fn forget_parked(&mut self, position: u64, progress: &mut Progress) {
        if progress.parked_ahead.remove(&position)
            && let Err(error) = self.store.discard_parked(P::NAME, position).await
        {
            tracing::warn!(subscription = P::NAME, position, %error, "could not discard a parked event that is now handled");
        }
    }

    fn wants(&self, record: &RecordedEvent) -> bool {
        let listed = |types: &Option<Vec<String>>, value: &str| {
            types
                .as_ref()
                .is_none_or(|types| types.iter().any(|t| t == value))
        };
        P::EVENT_TYPES.contains(&record.event_type.as_str())
            && listed(&self.options.aggregate_types, &record.stream.aggregate_type)
            && listed(&self.options.event_types, &record.event_type)
    }

    fn checkpoint_due(&self, progress: &Progress) -> bool {
        match self.options.checkpoint {
            CheckpointEvery::Event => true,
            CheckpointEvery::Events(n) => progress.since_stored >= n.get(),
            CheckpointEvery::Interval(interval) => progress.stored_at.elapsed() >= interval,
        }
    }

    /// Stores the checkpoint if it moved. A failure is logged and tried again at the next
    /// checkpoint: the position is kept, so at worst more events are redelivered.
    async fn store_checkpoint(&mut self, progress: &mut Progress) {
        if progress.stored == Some(progress.position) {
            return;
        }
        match self
            .store
            .store_checkpoint(P::NAME, progress.position)
            .await
        {
            Ok(()) => {
                progress.stored = Some(progress.position);
                progress.since_stored = 0;
                progress.stored_at = Instant::now();
            }
            Err(error) => tracing::warn!(
                subscription = P::NAME,
                position = progress.position,
                %error,
                "storing the checkpoint failed; trying again later"
            ),
        }
    }

    async fn caught_up(&mut self, progress: &mut Progress) {
        self.store_checkpoint(progress).await;
        if self.status.borrow().state != SubscriptionState::Live {
            tracing::info!(
                subscription = P::NAME,
                position = progress.position,
                "subscription caught up"
            );
        }
        let position = progress.position;
        self.set(|s| {
            s.position = position;
            s.head = s.head.max(position);
            s.state = SubscriptionState::Live;
        });
    }

    /// After a full batch: learn the head, and leave live mode when far behind.
    async fn maybe_fell_behind(&mut self, progress: &Progress) {
        let Ok(head) = self.store.head_position().await else {
            return;
        };
        let behind = head.saturating_sub(progress.position) > self.options.batch_size.get() as u64;
        let was_live = self.status.borrow().state == SubscriptionState::Live;
        if was_live && behind {
            tracing::info!(
                subscription = P::NAME,
                position = progress.position,
                head,
                "subscription fell behind"
            );
        }
        self.set(|s| {
            s.head = s.head.max(head);
            if was_live && behind {
                s.state = SubscriptionState::CatchingUp;
            }
        });
    }

    /// Waits for a wake-up, the poll interval or a stop, whichever comes first.
    async fn wait_for_appends(&mut self, signal: Option<&mut AppendSignal>) {
        let poll = tokio::time::sleep(self.options.poll_interval);
        let mut stop = self.stop.clone();
        let woken = async {
            let woken = match signal {
                Some(signal) => signal.wait().await,
                None => false,
            };
            if !woken {
                // No (more) wake-ups: the poll interval alone decides.
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            () = poll => {}
            () = woken => {}
            _ = stop.wait_for(|stop| *stop) => {}
        }
    }

    fn stop_requested(&self) -> bool {
        *self.stop.borrow()
    }

    fn set(&self, change: impl FnOnce(&mut SubscriptionStatus)) {
        self.status.send_modify(change);
    }
}
