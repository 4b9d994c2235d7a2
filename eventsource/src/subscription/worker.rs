//! The loop that feeds one subscription: claim it, read the feed after the checkpoint,
//! hand the events to the projection ([`Target`]), store the checkpoint, wait for
//! appends.

pub(super) use super::core::{Core, Progress, Stopped};
use super::status::SubscriptionState;
use crate::error::Result;
use crate::store::{EventStore, FeedEntryRef, FeedPage, SubscriptionClaim, SubscriptionStore};
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

    /// Delivers one batch of feed entries, moving `progress` past each entry it is done
    /// with.
    fn deliver_batch(
        &mut self,
        core: &mut Core<S>,
        entries: Batch<'_>,
        progress: &mut Progress,
    ) -> impl Future<Output = Result<(), Stopped>> + Send;

    /// The projection.
    fn finish(self) -> Self::Output;
}

/// Pages of the feed are read at least this large: each read's round trip is paid once
/// a page, and a page is delivered in batches of `SubscriptionOptions::batch_size`.
const MIN_PAGE: usize = 4096;

/// Entries of a page delivered together: one transaction of a transactional projection,
/// one status update.
#[derive(Clone, Copy)]
pub(super) struct Batch<'a> {
    page: &'a FeedPage,
    start: usize,
    end: usize,
}

impl<'a> Batch<'a> {
    /// The batch's entries in position order.
    pub(super) fn items(&self) -> impl ExactSizeIterator<Item = FeedEntryRef<'a>> + 'a {
        self.page.range(self.start..self.end)
    }

    /// The position of its last entry.
    pub(super) fn last_position(&self) -> Option<u64> {
        self.end
            .checked_sub(1)
            .and_then(|last| self.page.get(last))
            .map(|item| item.position())
    }
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
        let page_size = batch_size.max(MIN_PAGE);
        let mut prefetched = None;
        while !core.stop_requested() {
            if claim.is_lost() {
                return Ok(true);
            }
            let read = match prefetched.take() {
                Some(read) => read,
                None => core.store.read_feed(progress.position, page_size).await,
            };
            let page = match read {
                Ok(page) => page,
                Err(error) => {
                    tracing::warn!(subscription = name, %error, "reading the feed failed; retrying");
                    core.wait_for_appends(None).await;
                    continue;
                }
            };
            let Some(last) = page.last_position() else {
                core.caught_up(&mut progress).await;
                core.wait_for_appends(signal.as_mut()).await;
                continue;
            };
            let full = page.len() == page_size;
            if full || page.head().is_some() {
                core.maybe_fell_behind(&progress, page.head()).await;
            }
            // A full page means more is stored: read the next one while this one is
            // handled (the reading connection and the handlers run side by side).
            let delivery = deliver_page(&mut self.target, core, &page, batch_size, &mut progress);
            let delivered = if full {
                let (delivered, next) =
                    tokio::join!(delivery, self.reader.read_feed(last, page_size));
                prefetched = Some(next);
                delivered
            } else {
                delivery.await
            };
            delivered.map_err(|Stopped(error)| error)?;
            if progress.position != last {
                // Stopped, or a batch is to be read again: the next page does not follow.
                prefetched = None;
            }
        }
        core.store_checkpoint(&mut progress).await;
        Ok(false)
    }
}

/// Delivers `page` in batches of `batch_size`, moving the status on after each; ends early
/// when a batch did not get through (a stop, or a batch to be read again).
async fn deliver_page<S, T>(
    target: &mut T,
    core: &mut Core<S>,
    page: &FeedPage,
    batch_size: usize,
    progress: &mut Progress,
) -> Result<(), Stopped>
where
    S: EventStore + SubscriptionStore,
    T: Target<S>,
{
    let mut start = 0;
    while start < page.len() {
        let end = page.len().min(start.saturating_add(batch_size));
        let batch = Batch { page, start, end };
        let first = page.get(start).map_or(0, |item| item.position());
        let last = batch.last_position().unwrap_or(first);
        let span = tracing::info_span!(
            "eventsource.subscription.batch",
            subscription = core.name,
            first,
            last,
            count = end - start
        );
        target
            .deliver_batch(core, batch, progress)
            .instrument(span)
            .await?;
        if progress.position != last {
            return Ok(());
        }
        let position = progress.position;
        core.set(|s| {
            s.position = position;
            s.head = s.head.max(position);
        });
        start = end;
    }
    Ok(())
}
