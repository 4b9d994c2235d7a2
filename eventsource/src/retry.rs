//! [`RetryPolicy`]: how often and how patiently a failing step is tried again.

use std::num::NonZeroU32;
use std::time::Duration;

/// Attempts with exponential backoff: the delay before retry `n` (from 1) is
/// `initial_delay × 2^(n−1)`, capped at `max_delay`.
///
/// ```
/// # use eventsource::RetryPolicy;
/// # use std::time::Duration;
/// let policy = RetryPolicy::new(5).unwrap().backoff(Duration::from_millis(10), Duration::from_secs(1));
/// assert_eq!(policy.delay_before_retry(1), Duration::from_millis(10));
/// assert_eq!(policy.delay_before_retry(3), Duration::from_millis(40));
/// assert!(RetryPolicy::new(0).is_none(), "at least one attempt");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    attempts: NonZeroU32,
    initial_delay: Duration,
    max_delay: Duration,
}

impl RetryPolicy {
    /// `attempts` tries in all (the first and `attempts − 1` retries), starting 10 ms
    /// apart and backing off to at most 1 s; `None` for 0 attempts, which would never run.
    pub fn new(attempts: u32) -> Option<Self> {
        Some(RetryPolicy {
            attempts: NonZeroU32::new(attempts)?,
            initial_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(1),
        })
    }

    /// One attempt, no retry.
    pub fn never() -> Self {
        RetryPolicy {
            attempts: NonZeroU32::MIN,
            initial_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        }
    }

    /// Sets the first delay and the cap.
    pub fn backoff(mut self, initial_delay: Duration, max_delay: Duration) -> Self {
        self.initial_delay = initial_delay;
        self.max_delay = max_delay.max(initial_delay);
        self
    }

    /// How many tries in all.
    pub fn attempts(&self) -> u32 {
        self.attempts.get()
    }

    /// The policy [`Repository`](crate::Repository) commands use unless told otherwise:
    /// up to 50 attempts, backing off from 1 ms to at most 100 ms with jitter. Under heavy
    /// contention on one aggregate (8 writers, each saving as fast as it can) no command
    /// gives up on any of the built-in stores.
    pub fn for_commands() -> Self {
        RetryPolicy {
            attempts: NonZeroU32::new(50).unwrap_or(NonZeroU32::MIN),
            initial_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(100),
        }
    }

    /// [`delay_before_retry`](Self::delay_before_retry) with jitter: a random point in
    /// its upper half, so that writers that met in one conflict do not meet again in the
    /// next.
    pub fn jittered_delay_before_retry(&self, retry: u32) -> Duration {
        let delay = self.delay_before_retry(retry);
        let half = delay / 2;
        let random = uuid::Uuid::new_v4().as_u128() as u64;
        let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(if nanos == 0 { 0 } else { random % nanos })
    }

    /// The delay before retry `retry` (1 for the first retry).
    pub fn delay_before_retry(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        self.initial_delay
            .saturating_mul(factor)
            .min(self.max_delay)
    }
}

/// The attempts of one operation under a [`RetryPolicy`]: the one rule every retry loop
/// of the crate follows (retry a retryable failure while attempts are left, after the
/// backoff).
#[derive(Debug)]
pub(crate) struct Attempts {
    policy: RetryPolicy,
    made: u32,
    jitter: bool,
}

impl Attempts {
    /// The attempts made so far, the current one included.
    pub(crate) fn made(&self) -> u32 {
        self.made
    }

    /// After a failed attempt: `false` when the failure is not worth retrying or no
    /// attempt is left; otherwise waits the backoff and returns `true`.
    pub(crate) async fn retry(&mut self, retryable: bool) -> bool {
        if !retryable || self.made >= self.policy.attempts() {
            return false;
        }
        let delay = if self.jitter {
            self.policy.jittered_delay_before_retry(self.made)
        } else {
            self.policy.delay_before_retry(self.made)
        };
        tokio::time::sleep(delay).await;
        self.made += 1;
        true
    }
}

impl RetryPolicy {
    /// The first attempt of an operation, backing off by the exact delays.
    pub(crate) fn start(self) -> Attempts {
        Attempts {
            policy: self,
            made: 1,
            jitter: false,
        }
    }

    /// The first attempt of an operation, backing off with jitter.
    pub(crate) fn start_jittered(self) -> Attempts {
        Attempts {
            jitter: true,
            ..self.start()
        }
    }
}

impl Default for RetryPolicy {
    /// Three attempts, 10 ms then 20 ms apart.
    fn default() -> Self {
        RetryPolicy {
            attempts: NonZeroU32::new(3).unwrap_or(NonZeroU32::MIN),
            initial_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(1),
        }
    }
}
