//! [`Core`]: what every delivery target of a subscription shares — the store, the
//! options, the status, the stop signal — and the steps they share: claiming, starting
//! from the checkpoint, parking, storing checkpoints, waiting for appends.

use super::options::{CheckpointEvery, OnFailure, StartFrom, SubscriptionOptions};
use super::status::{SubscriptionState, SubscriptionStatus};
use crate::error::{Error, Result};
use crate::store::{
    AppendSignal, EventStore, ParkedEvent, RecordRef, RecordedEvent, SubscriptionClaim,
    SubscriptionStore,
};
use crate::time::now_micros;
use std::collections::BTreeSet;
use std::time::Instant;
use tokio::sync::watch;

/// Why delivering ended the subscription.
pub(super) struct Stopped(pub(super) Error);

/// What every target shares: the store, the options, the status and the stop signal.
pub(super) struct Core<S> {
    pub(super) store: S,
    pub(super) options: SubscriptionOptions,
    pub(super) status: watch::Sender<SubscriptionStatus>,
    pub(super) stop: watch::Receiver<bool>,
    pub(super) name: &'static str,
    pub(super) event_types: &'static [&'static str],
}

/// Where the loop is.
pub(super) struct Progress {
    /// The last position the subscription is done with.
    pub(super) position: u64,
    /// The checkpoint known to be stored.
    pub(super) stored: Option<u64>,
    pub(super) since_stored: usize,
    pub(super) stored_at: Instant,
    /// Parked positions after the checkpoint (left by a stop at them): handled at last,
    /// their parked entries go.
    pub(super) parked_ahead: BTreeSet<u64>,
}

impl Progress {
    /// Done with the entry at `position`.
    pub(super) fn advance(&mut self, position: u64) {
        self.position = position;
        self.since_stored += 1;
    }

    /// The checkpoint at `position` was stored (by a transaction, say).
    pub(super) fn stored_at_position(&mut self, position: u64) {
        self.position = position;
        self.stored = Some(position);
        self.since_stored = 0;
        self.stored_at = Instant::now();
    }
}

impl<S> Core<S>
where
    S: EventStore + SubscriptionStore,
{
    /// Waits for the claim, in standby while another holder has it; `None` when a stop
    /// was asked for meanwhile.
    pub(super) async fn claim(&mut self) -> Option<SubscriptionClaim> {
        let mut announced = false;
        loop {
            if self.stop_requested() {
                return None;
            }
            match self.store.claim(self.name).await {
                Ok(Some(claim)) => return Some(claim),
                Ok(None) => {
                    if !announced {
                        tracing::info!(
                            subscription = self.name,
                            "subscription in standby: claimed elsewhere"
                        );
                        self.set(|s| s.state = SubscriptionState::Standby);
                        announced = true;
                    }
                }
                Err(error) => {
                    tracing::warn!(subscription = self.name, %error, "claiming the subscription failed; retrying");
                }
            }
            let mut stop = self.stop.clone();
            tokio::select! {
                () = tokio::time::sleep(self.options.claim_retry) => {}
                _ = stop.wait_for(|stop| *stop) => {}
            }
        }
    }

    /// Reads the checkpoint and decides where to start.
    pub(super) async fn start(&mut self) -> Result<Progress> {
        self.set(|s| s.state = SubscriptionState::Starting);
        let stored = self.store.checkpoint(self.name).await?;
        let position = match self.options.start {
            StartFrom::Checkpoint => stored.unwrap_or(0),
            StartFrom::Beginning => 0,
            StartFrom::End => self.store.head_position().await?,
        };
        // Later restarts after a lost claim resume from the checkpoint.
        self.options.start = StartFrom::Checkpoint;
        let parked_ahead = self
            .store
            .parked(self.name)
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
        self.set(|s| {
            s.position = position;
            s.state = SubscriptionState::CatchingUp;
        });
        Ok(progress)
    }

    /// Does the projection want this event (a handler, and the options' filters)?
    pub(super) fn wants(&self, record: &RecordRef<'_>) -> bool {
        let listed = |types: &Option<Vec<String>>, value: &str| {
            types
                .as_ref()
                .is_none_or(|types| types.iter().any(|t| t == value))
        };
        self.event_types.contains(&record.event_type)
            && listed(&self.options.aggregate_types, record.aggregate_type)
            && listed(&self.options.event_types, record.event_type)
    }

    /// Parks what could not be handled; with [`OnFailure::Stop`] the subscription then
    /// ends before it.
    pub(super) async fn park(
        &mut self,
        record: Option<&RecordedEvent>,
        position: u64,
        error: String,
        attempts: u32,
        progress: &mut Progress,
    ) -> Result<(), Stopped> {
        let parked = ParkedEvent {
            subscription: self.name.to_owned(),
            position,
            stream: record.map(|r| r.stream.clone()),
            version: record.map(|r| r.version),
            event_type: record.map(|r| r.event_type.clone()),
            error,
            attempts,
            parked_at: now_micros(),
        };
        tracing::warn!(
            subscription = self.name,
            position,
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
                    subscription: self.name.to_owned(),
                    position,
                    reason: parked.error,
                }))
            }
        }
    }

    /// An event parked by an earlier stop is handled now: its parked entry goes.
    pub(super) async fn forget_parked(&mut self, position: u64, progress: &mut Progress) {
        if progress.parked_ahead.remove(&position)
            && let Err(error) = self.store.discard_parked(self.name, position).await
        {
            tracing::warn!(subscription = self.name, position, %error, "could not discard a parked event that is now handled");
        }
    }

    /// Forgets the parked entries at or before `position` (all handled by a batch).
    pub(super) async fn forget_parked_up_to(&mut self, position: u64, progress: &mut Progress) {
        let handled: Vec<u64> = progress.parked_ahead.range(..=position).copied().collect();
        for at in handled {
            self.forget_parked(at, progress).await;
        }
    }

    pub(super) fn checkpoint_due(&self, progress: &Progress) -> bool {
        match self.options.checkpoint {
            CheckpointEvery::Event => true,
            CheckpointEvery::Events(n) => progress.since_stored >= n.get(),
            CheckpointEvery::Interval(interval) => progress.stored_at.elapsed() >= interval,
        }
    }

    /// Stores the checkpoint if it moved. A failure is logged and tried again at the next
    /// checkpoint: the position is kept, so at worst more events are redelivered.
    pub(super) async fn store_checkpoint(&mut self, progress: &mut Progress) {
        if progress.stored == Some(progress.position) {
            return;
        }
        match self
            .store
            .store_checkpoint(self.name, progress.position)
            .await
        {
            Ok(()) => progress.stored_at_position(progress.position),
            Err(error) => tracing::warn!(
                subscription = self.name,
                position = progress.position,
                %error,
                "storing the checkpoint failed; trying again later"
            ),
        }
    }

    pub(super) async fn caught_up(&mut self, progress: &mut Progress) {
        self.store_checkpoint(progress).await;
        if self.status.borrow().state != SubscriptionState::Live {
            tracing::info!(
                subscription = self.name,
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

    /// Before delivering a page: learn the head (from the page when its store noted it,
    /// else by asking), and leave live mode when far behind.
    pub(super) async fn maybe_fell_behind(&mut self, progress: &Progress, head: Option<u64>) {
        let head = match head {
            Some(head) => head,
            None => match self.store.head_position().await {
                Ok(head) => head,
                Err(_) => return,
            },
        };
        let behind = head.saturating_sub(progress.position) > self.options.batch_size.get() as u64;
        let was_live = self.status.borrow().state == SubscriptionState::Live;
        if was_live && behind {
            tracing::info!(
                subscription = self.name,
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
    pub(super) async fn wait_for_appends(&mut self, signal: Option<&mut AppendSignal>) {
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

    pub(super) fn stop_requested(&self) -> bool {
        *self.stop.borrow()
    }

    pub(super) fn set(&self, change: impl FnOnce(&mut SubscriptionStatus)) {
        self.status.send_modify(change);
    }
}
