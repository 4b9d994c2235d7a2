//! [`SnapshotPolicy`]: when the repository takes snapshots, and how.

use crate::stream::StreamId;
use std::num::NonZeroU64;

/// How the repository takes the snapshots its policy calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SnapshotMode {
    /// Right after the save that crosses a multiple of the threshold: `save` returns once
    /// the snapshot is stored. A failing snapshot store is logged, never returned.
    #[default]
    Sync,
    /// On a tokio task: `save` serialises the state, hands the write to the task and
    /// returns without waiting. A failure is logged. At most four writes run at once, a
    /// stream's one at a time; a stream keeps one snapshot waiting, the newest (a later
    /// one replaces it), and past 1,024 waiting snapshots a new one is dropped and logged.
    /// [`Repository::wait_for_snapshots`](crate::Repository::wait_for_snapshots) awaits
    /// the pending writes (for tests and shutdown).
    Background,
    /// Never automatically: only
    /// [`Repository::create_snapshot`](crate::Repository::create_snapshot) takes one.
    Manual,
}

/// When the repository takes snapshots: every `N` events, in a [`SnapshotMode`], with an
/// optional per-aggregate jitter.
///
/// The crossing rule: a save of `k` events that moves an aggregate from version `v − k`
/// to `v` takes one snapshot (at `v`) when `v / N > (v − k) / N`. So a save that never
/// lands on a multiple of `N` still takes one when it passes it, and a save that passes
/// several multiples takes one.
///
/// ```
/// use eventsource::snapshot::{SnapshotMode, SnapshotPolicy};
/// # use eventsource::StreamId;
/// # let stream = StreamId::new("Task", "1");
/// let policy = SnapshotPolicy::every(5);
/// assert!(policy.should_snapshot(&stream, 3, 6)); // passes 5
/// assert!(policy.should_snapshot(&stream, 0, 10)); // passes 5 and 10: one snapshot
/// assert!(!policy.should_snapshot(&stream, 5, 9));
///
/// let policy = SnapshotPolicy::every(100).background().jitter(20);
/// assert_eq!(policy.mode(), SnapshotMode::Background);
/// assert!(!SnapshotPolicy::manual().should_snapshot(&stream, 0, 1_000));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[must_use]
pub struct SnapshotPolicy {
    threshold: Option<NonZeroU64>,
    mode: SnapshotMode,
    jitter: u64,
}

impl SnapshotPolicy {
    /// A snapshot every `events` events, taken in [`SnapshotMode::Sync`].
    /// `every(0)` takes none automatically.
    pub fn every(events: u64) -> Self {
        SnapshotPolicy {
            threshold: NonZeroU64::new(events),
            ..Self::default()
        }
    }

    /// Snapshots only through
    /// [`Repository::create_snapshot`](crate::Repository::create_snapshot).
    pub fn manual() -> Self {
        Self::default().with_mode(SnapshotMode::Manual)
    }

    /// Takes the snapshots in `mode`.
    pub fn with_mode(mut self, mode: SnapshotMode) -> Self {
        self.mode = mode;
        self
    }

    /// Takes the snapshots on a tokio task: [`SnapshotMode::Background`].
    pub fn background(self) -> Self {
        self.with_mode(SnapshotMode::Background)
    }

    /// Shifts each aggregate's snapshot points by a fixed number of events below `max`
    /// (and below the threshold), derived from its stream: with `every(100).jitter(20)`,
    /// one aggregate snapshots at versions 100, 200, …, another at 93, 193, ….
    ///
    /// Aggregates that grow in step (a bulk import, a batch job) then do not all snapshot
    /// on the same save. Each still snapshots once per `N` events, and every process
    /// computes the same points.
    pub fn jitter(mut self, max: u64) -> Self {
        self.jitter = max;
        self
    }

    /// Events between two snapshots, if snapshots are taken automatically at all.
    pub fn threshold(&self) -> Option<u64> {
        self.threshold.map(NonZeroU64::get)
    }

    /// How snapshots are taken.
    pub fn mode(&self) -> SnapshotMode {
        self.mode
    }

    /// The jitter bound given to [`jitter`](Self::jitter); 0 for none.
    pub fn max_jitter(&self) -> u64 {
        self.jitter
    }

    /// Does a save that moved `stream` from version `from` to version `to` call for an
    /// automatic snapshot? Never in [`SnapshotMode::Manual`] or without a threshold.
    pub fn should_snapshot(&self, stream: &StreamId, from: u64, to: u64) -> bool {
        let Some(threshold) = self.threshold else {
            return false;
        };
        if self.mode == SnapshotMode::Manual || to <= from {
            return false;
        }
        let n = threshold.get();
        let shift = self.shift(stream, n);
        to.saturating_add(shift) / n > from.saturating_add(shift) / n
    }

    /// The stream's offset in `0..min(jitter, n)`: a stable hash, the same in every process.
    fn shift(&self, stream: &StreamId, n: u64) -> u64 {
        let bound = self.jitter.min(n);
        if bound <= 1 {
            return 0;
        }
        stream_hash(stream) % bound
    }
}

/// FNV-1a over the stream's type, a 0xff byte and its id: stable across processes and
/// releases, unlike the standard library's hasher.
fn stream_hash(stream: &StreamId) -> u64 {
    crate::hash::fnv1a([
        stream.aggregate_type.as_bytes(),
        &[0xff],
        stream.aggregate_id.as_bytes(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(id: &str) -> StreamId {
        StreamId::new("Task", id)
    }

    #[test]
    fn default_takes_no_automatic_snapshot_in_sync_mode() {
        let policy = SnapshotPolicy::default();
        assert_eq!(policy.threshold(), None);
        assert_eq!(policy.mode(), SnapshotMode::Sync);
        assert!(!policy.should_snapshot(&stream("a"), 0, 1_000));
    }

    #[test]
    fn every_zero_takes_no_automatic_snapshot() {
        assert_eq!(SnapshotPolicy::every(0).threshold(), None);
        assert!(!SnapshotPolicy::every(0).should_snapshot(&stream("a"), 0, 10));
    }

    #[test]
    fn crossing_rule() {
        let p = SnapshotPolicy::every(5);
        let s = stream("a");
        assert!(!p.should_snapshot(&s, 0, 4));
        assert!(p.should_snapshot(&s, 4, 5));
        assert!(p.should_snapshot(&s, 3, 6));
        assert!(!p.should_snapshot(&s, 5, 9));
        assert!(p.should_snapshot(&s, 0, 10));
        assert!(!p.should_snapshot(&s, 7, 7));
    }

    #[test]
    fn manual_mode_never_snapshots_automatically() {
        let p = SnapshotPolicy::every(1).with_mode(SnapshotMode::Manual);
        assert!(!p.should_snapshot(&stream("a"), 0, 100));
    }

    #[test]
    fn jitter_keeps_one_snapshot_per_threshold_and_spreads_aggregates() {
        let p = SnapshotPolicy::every(100).jitter(50);
        let mut first_points = std::collections::BTreeSet::new();
        for i in 0..64 {
            let s = stream(&format!("aggregate-{i}"));
            let points: Vec<u64> = (1..=1_000)
                .filter(|&v| p.should_snapshot(&s, v - 1, v))
                .collect();
            assert_eq!(points.len(), 10, "one snapshot per 100 events: {points:?}");
            assert!(points.windows(2).all(|w| w[1] - w[0] == 100));
            assert!((51..=100).contains(&points[0]), "{points:?}");
            first_points.insert(points[0]);
        }
        assert!(first_points.len() > 10, "jitter spreads: {first_points:?}");
    }

    #[test]
    fn jitter_is_stable() {
        let p = SnapshotPolicy::every(100).jitter(30);
        let s = stream("same");
        assert_eq!(p.shift(&s, 100), p.shift(&s.clone(), 100));
        let expected = (0xcbf2_9ce4_8422_2325_u64 ^ 0xff).wrapping_mul(0x0000_0100_0000_01b3);
        assert_eq!(stream_hash(&StreamId::new("", "")), expected);
    }
}
