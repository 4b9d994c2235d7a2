//! The loop that feeds one subscription: claim it, read the feed after the checkpoint,
//! hand the events to the projection ([`Target`]), store the checkpoint, wait for
//! appends.

pub(super) use super::core::{Core, Progress, Stopped};
use super::status::SubscriptionState;
use crate::error::Result;
use crate::store::{EventStore, FeedPage, SubscriptionClaim, SubscriptionStore};
use std::future::Future;
use tracing::Instrument;

/// How a subscription hands events over: one by one to a plain projection
/// ([`super::target::Plain`]), or batch by batch inside a database transaction
/// ([`super::target::InTransaction`]).
pub(super) trait Target<S>: Send + 'static {
    /// What the subscription hands back when it ends.
    type Output: Send + 'static;

    /// The subscription's name.
    fn name(&self) -> &'static str;

    /// The stored event type names the projection handles.
    fn event_types(&self) -> &'static [&'static str];

    /// Delivers one page of feed entries, moving `progress` past each entry it is done
    /// with.
    fn deliver_batch(
        &mut self,
        core: &mut Core<S>,
        entries: FeedPage,
        progress: &mut Progress,
    ) -> impl Future<Output = Result<(), Stopped>> + Send;

    /// The projection.
    fn finish(self) -> Self::Output;
}

/// One subscription while it runs.
pub(super) struct Worker<S, T> {
    pub(super) core: Core<S>,
    pub(super) target: T,
    /// A second handle to the store, to read the next page while a batch is delivered.
    pub(super) reader: S,
}

impl<S, T> Worker<S, T>
where
    S: EventStore + SubscriptionStore,
    T: Target<S>,
{
    /// Runs until a stop is asked for or an event stops it; returns the projection.
    pub(super) async fn run(mut self) -> (T::Output, Result<()>) {
        let result = self.run_claimed().await;
        let state = match &result {
            Ok(()) => SubscriptionState::Stopped,
            Err(error) => SubscriptionState::Failed(error.to_string()),
        };
        self.core.set(|status| status.state = state);
        (self.target.finish(), result)
    }

    /// Claims the subscription, runs it while the claim holds, and claims it again when
    /// it is lost.
    async fn run_claimed(&mut self) -> Result<()> {
        loop {
            let Some(mut claim) = self.core.claim().await else {
                return Ok(()); // stopped while in standby
            };
            let lost = self.run_while_claimed(&mut claim).await?;
            if !lost {
                return Ok(());
            }
            tracing::warn!(
                subscription = self.core.name,
                "the subscription's claim was lost; in standby until it is claimed again"
            );
        }
    }

    /// Returns `true` when the claim was lost (the loop stopped without storing anything
    /// more), `false` when a stop was asked for.
    async fn run_while_claimed(&mut self, claim: &mut SubscriptionClaim) -> Result<bool> {
        let core = &mut self.core;
        let name = core.name;
        let mut progress = core.start().await?;
        let mut signal = match core.store.append_signal().await {
            Ok(signal) => signal,
            Err(error) => {
                tracing::warn!(subscription = name, %error, "no append wake-ups; polling");
                None
            }
        };
        let batch_size = core.options.batch_size.get();
        let mut prefetched = None;
        while !core.stop_requested() {
            if claim.is_lost() {
                return Ok(true);
            }
            let read = match prefetched.take() {
                Some(read) => read,
                None => core.store.read_feed(progress.position, batch_size).await,
            };
            let entries = match read {
                Ok(entries) => entries,
                Err(error) => {
                    tracing::warn!(subscription = name, %error, "reading the feed failed; retrying");
                    core.wait_for_appends(None).await;
                    continue;
                }
            };
            let Some((first, last)) = entries.first_position().zip(entries.last_position()) else {
                core.caught_up(&mut progress).await;
                core.wait_for_appends(signal.as_mut()).await;
                continue;
            };
            let (count, head) = (entries.len(), entries.head());
            let span = tracing::info_span!(
                "eventsource.subscription.batch",
                subscription = name,
                first,
                last,
                count
            );
            // A full batch means more is stored: read the next page while this one is
            // handled (the reading connection and the handlers run side by side).
            let delivery = self
                .target
                .deliver_batch(core, entries, &mut progress)
                .instrument(span);
            let delivered = if count == batch_size {
                let (delivered, next) =
                    tokio::join!(delivery, self.reader.read_feed(last, batch_size));
                prefetched = Some(next);
                delivered
            } else {
                delivery.await
            };
            delivered.map_err(|Stopped(error)| error)?;
            if progress.position != last {
                // Stopped, or the batch is to be read again: the next page does not follow.
                prefetched = None;
            }
            let position = progress.position;
            core.set(|s| {
                s.position = position;
                s.head = s.head.max(position);
            });
            if count == batch_size {
                core.maybe_fell_behind(&progress, head).await;
            }
        }
        core.store_checkpoint(&mut progress).await;
        Ok(false)
    }
}
