//! [`SubscriptionOptions`]: where a subscription starts, what it reads, how often it
//! stores its checkpoint, and what it does with an event it cannot handle.

use crate::retry::RetryPolicy;
use std::num::NonZeroUsize;
use std::time::Duration;

/// Where a subscription starts reading the feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartFrom {
    /// After its stored checkpoint; from the beginning when it has none (the default).
    #[default]
    Checkpoint,
    /// From the first event, whatever its checkpoint says.
    Beginning,
    /// After the newest event when it starts: only events appended later.
    End,
}

/// How often the checkpoint is stored while events flow. It is also stored whenever the
/// subscription has caught up and when it stops. A crash redelivers at most the events of
/// one interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointEvery {
    /// After every event.
    Event,
    /// After this many events (handled or passed over).
    Events(NonZeroUsize),
    /// When this much time has passed since the last stored checkpoint.
    Interval(Duration),
}

impl Default for CheckpointEvery {
    /// Every 5,000 events. Each checkpoint is a committed write (an fsync on SQLite, a
    /// commit on PostgreSQL): at 1,000 events they took about 30% of a SQLite catch-up.
    /// At full catch-up speed 5,000 events are a few milliseconds of work, and a live
    /// subscription stores its checkpoint whenever it has caught up anyway, so a crash
    /// redelivers little either way.
    fn default() -> Self {
        CheckpointEvery::Events(NonZeroUsize::new(5000).unwrap_or(NonZeroUsize::MIN))
    }
}

/// What a subscription does with an event whose handler still fails after the retries, or
/// with a feed row that cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnFailure {
    /// Park the event with its error (see [`SubscriptionStore::parked`]) and go on with
    /// the next one (the default).
    ///
    /// [`SubscriptionStore::parked`]: crate::store::SubscriptionStore::parked
    #[default]
    ParkAndSkip,
    /// Park the event with its error and stop the subscription at it: its checkpoint stays
    /// before the event, so a restart tries it again.
    Stop,
}

/// How a subscription runs. Start from [`SubscriptionOptions::default`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct SubscriptionOptions {
    pub(super) start: StartFrom,
    pub(super) batch_size: NonZeroUsize,
    pub(super) checkpoint: CheckpointEvery,
    pub(super) retry: RetryPolicy,
    pub(super) on_failure: OnFailure,
    pub(super) poll_interval: Duration,
    pub(super) aggregate_types: Option<Vec<String>>,
    pub(super) event_types: Option<Vec<String>>,
    pub(super) claim_retry: Duration,
}

impl Default for SubscriptionOptions {
    fn default() -> Self {
        SubscriptionOptions {
            start: StartFrom::default(),
            batch_size: NonZeroUsize::new(500).unwrap_or(NonZeroUsize::MIN),
            checkpoint: CheckpointEvery::default(),
            retry: RetryPolicy::default(),
            on_failure: OnFailure::default(),
            poll_interval: Duration::from_secs(1),
            aggregate_types: None,
            event_types: None,
            claim_retry: Duration::from_secs(1),
        }
    }
}

impl SubscriptionOptions {
    /// The default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Where to start.
    pub fn start_from(mut self, start: StartFrom) -> Self {
        self.start = start;
        self
    }

    /// How many events one read of the feed takes (default 500).
    pub fn batch_size(mut self, size: NonZeroUsize) -> Self {
        self.batch_size = size;
        self
    }

    /// How often the checkpoint is stored (default every 5,000 events).
    pub fn checkpoint_every(mut self, every: CheckpointEvery) -> Self {
        self.checkpoint = every;
        self
    }

    /// How a failing handler is retried (default: 3 attempts, 10 ms then 20 ms apart).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// What happens to an event that still fails after the retries.
    pub fn on_failure(mut self, on_failure: OnFailure) -> Self {
        self.on_failure = on_failure;
        self
    }

    /// How often a caught-up subscription looks at the feed without a wake-up (default
    /// 1 s): the safety net that sees writers in other processes on stores whose
    /// wake-ups are in-process only.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// How often a subscription in standby (another process holds its claim) asks for the
    /// claim again (default 1 s): with the time the store needs to notice that a holder
    /// died, this bounds how long a takeover takes.
    pub fn claim_retry(mut self, interval: Duration) -> Self {
        self.claim_retry = interval;
        self
    }

    /// Only events of these aggregate types reach the projection; others are passed over
    /// (the checkpoint still moves past them).
    pub fn aggregate_types<I, T>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.aggregate_types = Some(types.into_iter().map(Into::into).collect());
        self
    }

    /// Only events of these stored type names reach the projection (besides the
    /// projection's own choice of handlers).
    pub fn event_types<I, T>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.event_types = Some(types.into_iter().map(Into::into).collect());
        self
    }
}
