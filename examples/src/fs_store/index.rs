//! [`Index`]: where each event is in the log, by feed position and by stream. It is
//! rebuilt from the log on open and kept in memory; the log is the only file written.

use eventsource::StreamId;
use eventsource::prelude::Uuid;
use std::collections::HashMap;

/// Where one event's line is in the log.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Location {
    /// Byte offset of the line.
    pub offset: u64,
    /// Length of the line, its line feed included.
    pub len: usize,
}

/// One stream's events: their feed indexes in version order, and their ids.
#[derive(Debug, Default)]
pub(crate) struct StreamIndex {
    pub feed: Vec<usize>,
    pub ids: HashMap<Uuid, u64>,
}

/// The global feed (position `p` is `feed[p - 1]`: positions have no gaps) and the
/// streams.
#[derive(Debug, Default)]
pub(crate) struct Index {
    pub feed: Vec<Location>,
    pub streams: HashMap<StreamId, StreamIndex>,
}

impl Index {
    /// The stream's version: 0 when it has no events.
    pub fn version(&self, stream: &StreamId) -> u64 {
        self.streams.get(stream).map_or(0, |s| s.feed.len() as u64)
    }

    /// The position the next event gets.
    pub fn next_position(&self) -> u64 {
        self.feed.len() as u64 + 1
    }

    /// Records that the event `event_id` of `stream` at the next version is at `location`.
    pub fn push(&mut self, stream: &StreamId, event_id: Uuid, location: Location) {
        let entries = self.streams.entry(stream.clone()).or_default();
        entries.ids.insert(event_id, entries.feed.len() as u64 + 1);
        entries.feed.push(self.feed.len());
        self.feed.push(location);
    }

    /// The locations of the stream's events after `after_version`, in version order.
    pub fn stream_tail(&self, stream: &StreamId, after_version: u64) -> Vec<Location> {
        let feed = self.streams.get(stream).map_or(&[][..], |s| &s.feed[..]);
        let start = usize::try_from(after_version).map_or(feed.len(), |v| v.min(feed.len()));
        feed[start..].iter().map(|&i| self.feed[i]).collect()
    }

    /// `(id, version)` of those of `ids` the stream stores.
    pub fn stored_ids(&self, stream: &StreamId, ids: &[Uuid]) -> Vec<(Uuid, u64)> {
        let Some(entries) = self.streams.get(stream) else {
            return Vec::new();
        };
        ids.iter()
            .filter_map(|id| entries.ids.get(id).map(|&version| (*id, version)))
            .collect()
    }
}
