//! [`FeedPage`]: a page of the global feed as [`EventStore::read_feed`](super::EventStore::read_feed)
//! hands it over — every text of the page in one buffer, so that reading a page costs a
//! few allocations, not several per event.

use super::record::{FeedEntry, RecordedEvent};
use super::record_ref::RecordRef;
use crate::codec::Codec;
use crate::error::Error;
use crate::event::EventMetadata;

/// A page of the global feed, in position order: events, and rows that cannot be read
/// (see [`FeedEntry::Unreadable`]).
///
/// The texts of all its events (stream, event type, payload) live in one buffer; each
/// event is seen through a borrowed [`RecordRef`]. [`FeedPage::into_entries`] turns the
/// page into owned [`FeedEntry`] values.
///
/// ```
/// use eventsource::store::{FeedEntryRef, FeedPage, RecordRef};
/// use eventsource::{Codec, EventMetadata};
///
/// let metadata = EventMetadata::new();
/// let mut page = FeedPage::new();
/// page.push_event(RecordRef {
///     position: 7,
///     aggregate_type: "Task",
///     aggregate_id: "t-1",
///     version: 1,
///     event_type: "TaskCreated",
///     schema_version: 1,
///     payload: r#"{"title":"Write docs"}"#,
///     codec: Codec::Json,
///     binary: &[],
///     metadata: &metadata,
/// });
/// assert_eq!((page.len(), page.last_position()), (1, Some(7)));
/// let Some(FeedEntryRef::Event(event)) = page.iter().next() else { panic!() };
/// assert_eq!((event.aggregate_id, event.payload), ("t-1", r#"{"title":"Write docs"}"#));
/// assert_eq!(event.to_record().stream.aggregate_type, "Task");
/// ```
#[derive(Debug, Default)]
pub struct FeedPage {
    text: String,
    /// The payloads of binary codecs, one after another.
    binary: Vec<u8>,
    rows: Vec<Row>,
    head: Option<u64>,
}

#[derive(Debug)]
enum Row {
    Event(EventRow),
    Unreadable { position: u64, error: Error },
}

/// An event of the page: its numbers and metadata, and where its texts are in the
/// page's buffer (aggregate type, aggregate id, event type, payload, one after another).
#[derive(Debug)]
struct EventRow {
    position: u64,
    version: u64,
    schema_version: u32,
    start: usize,
    ends: [usize; 4],
    codec: Codec,
    binary: std::ops::Range<usize>,
    metadata: EventMetadata,
}

/// One entry of a [`FeedPage`], borrowed: a [`FeedEntry`](super::FeedEntry) that borrows the
/// page.
#[derive(Debug, Clone, Copy)]
pub enum FeedEntryRef<'a> {
    /// A readable event.
    Event(RecordRef<'a>),
    /// The row at `position` cannot be read: the typed error names what is wrong.
    Unreadable {
        /// The row's position in the feed.
        position: u64,
        /// What is wrong with it.
        error: &'a Error,
    },
}

impl FeedEntryRef<'_> {
    /// The entry's position in the feed.
    pub fn position(&self) -> u64 {
        match self {
            FeedEntryRef::Event(event) => event.position,
            FeedEntryRef::Unreadable { position, .. } => *position,
        }
    }
}

impl FeedPage {
    /// An empty page.
    pub fn new() -> Self {
        FeedPage::default()
    }

    /// An empty page with room for `events` events whose texts take `text_bytes` bytes.
    pub fn with_capacity(events: usize, text_bytes: usize) -> Self {
        FeedPage {
            text: String::with_capacity(text_bytes),
            binary: Vec::new(),
            rows: Vec::with_capacity(events),
            head: None,
        }
    }

    /// Notes the newest position of the feed when the page was read (at or after its last
    /// entry): readers learn how far behind they are without asking again.
    pub fn set_head(&mut self, head: u64) {
        self.head = Some(head);
    }

    /// The newest position of the feed when the page was read, if the store noted it.
    pub fn head(&self) -> Option<u64> {
        self.head
    }

    /// Adds an event after the others (the caller keeps position order).
    pub fn push_event(&mut self, event: RecordRef<'_>) {
        let start = self.text.len();
        let mut ends = [0; 4];
        for (end, text) in ends.iter_mut().zip([
            event.aggregate_type,
            event.aggregate_id,
            event.event_type,
            event.payload,
        ]) {
            self.text.push_str(text);
            *end = self.text.len();
        }
        let binary_start = self.binary.len();
        self.binary.extend_from_slice(event.binary);
        self.rows.push(Row::Event(EventRow {
            position: event.position,
            version: event.version,
            schema_version: event.schema_version,
            start,
            ends,
            codec: event.codec,
            binary: binary_start..self.binary.len(),
            metadata: event.metadata.clone(),
        }));
    }

    /// Adds a row at `position` that cannot be read, with what is wrong with it.
    pub fn push_unreadable(&mut self, position: u64, error: Error) {
        self.rows.push(Row::Unreadable { position, error });
    }

    /// Adds an owned entry.
    pub fn push_entry(&mut self, entry: FeedEntry) {
        match entry {
            FeedEntry::Event(record) => self.push_event((&record).into()),
            FeedEntry::Unreadable { position, error } => self.push_unreadable(position, error),
        }
    }

    /// Adds the entries of `later`, a page that starts after this one's last entry, and
    /// takes its head.
    pub fn extend_with(&mut self, later: FeedPage) {
        let offset = self.text.len();
        self.text.push_str(&later.text);
        let binary_offset = self.binary.len();
        self.binary.extend_from_slice(&later.binary);
        self.rows.reserve(later.rows.len());
        for row in later.rows {
            self.rows.push(match row {
                Row::Event(mut event) => {
                    event.start += offset;
                    for end in &mut event.ends {
                        *end += offset;
                    }
                    event.binary =
                        event.binary.start + binary_offset..event.binary.end + binary_offset;
                    Row::Event(event)
                }
                unreadable => unreadable,
            });
        }
        if later.head.is_some() {
            self.head = later.head;
        }
    }

    /// The number of entries (events and unreadable rows).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when the page holds no entry: the reader is at the head of the feed.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The entries in position order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = FeedEntryRef<'_>> + '_ {
        self.rows.iter().map(|row| self.item(row))
    }

    /// The entries at the indexes of `range` (none past the end).
    pub fn range(
        &self,
        range: std::ops::Range<usize>,
    ) -> impl ExactSizeIterator<Item = FeedEntryRef<'_>> + '_ {
        let end = range.end.min(self.rows.len());
        let rows = self.rows.get(range.start.min(end)..end).unwrap_or_default();
        rows.iter().map(|row| self.item(row))
    }

    /// The entry at `index`.
    pub fn get(&self, index: usize) -> Option<FeedEntryRef<'_>> {
        self.rows.get(index).map(|row| self.item(row))
    }

    /// The position of the first entry.
    pub fn first_position(&self) -> Option<u64> {
        self.rows.first().map(row_position)
    }

    /// The position of the last entry: where the next page starts after.
    pub fn last_position(&self) -> Option<u64> {
        self.rows.last().map(row_position)
    }

    /// The entries as owned values.
    pub fn into_entries(self) -> Vec<FeedEntry> {
        let FeedPage {
            text,
            binary,
            rows,
            head,
        } = self;
        let page = FeedPage {
            text,
            binary,
            rows: Vec::new(),
            head,
        };
        rows.into_iter()
            .map(|row| match row {
                Row::Event(event) => FeedEntry::Event(page.event(&event).to_record()),
                Row::Unreadable { position, error } => FeedEntry::Unreadable { position, error },
            })
            .collect()
    }

    fn item<'a>(&'a self, row: &'a Row) -> FeedEntryRef<'a> {
        match row {
            Row::Event(event) => FeedEntryRef::Event(self.event(event)),
            Row::Unreadable { position, error } => FeedEntryRef::Unreadable {
                position: *position,
                error,
            },
        }
    }

    fn event<'a>(&'a self, event: &'a EventRow) -> RecordRef<'a> {
        let [a, b, c, d] = event.ends;
        // The spans were cut at `str` boundaries when the texts were pushed.
        let text = |from: usize, to: usize| self.text.get(from..to).unwrap_or_default();
        RecordRef {
            position: event.position,
            aggregate_type: text(event.start, a),
            aggregate_id: text(a, b),
            version: event.version,
            event_type: text(b, c),
            schema_version: event.schema_version,
            payload: text(c, d),
            codec: event.codec,
            binary: self.binary.get(event.binary.clone()).unwrap_or_default(),
            metadata: &event.metadata,
        }
    }
}

fn row_position(row: &Row) -> u64 {
    match row {
        Row::Event(event) => event.position,
        Row::Unreadable { position, .. } => *position,
    }
}

impl From<Vec<RecordedEvent>> for FeedPage {
    fn from(records: Vec<RecordedEvent>) -> Self {
        let text_bytes = records.iter().map(text_len).sum();
        let mut page = FeedPage::with_capacity(records.len(), text_bytes);
        for record in &records {
            page.push_event(record.into());
        }
        page
    }
}

impl From<Vec<FeedEntry>> for FeedPage {
    fn from(entries: Vec<FeedEntry>) -> Self {
        let mut page = FeedPage::new();
        for entry in entries {
            page.push_entry(entry);
        }
        page
    }
}

fn text_len(record: &RecordedEvent) -> usize {
    record.stream.aggregate_type.len()
        + record.stream.aggregate_id.len()
        + record.event_type.len()
        + record.payload.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::StreamId;

    fn record(position: u64, id: &str, payload: &str) -> RecordedEvent {
        RecordedEvent {
            position,
            stream: StreamId::new("Tâche", id),
            version: position,
            event_type: "Créée".into(),
            schema_version: 2,
            payload: payload.into(),
            codec: Codec::Json,
            binary: Vec::new(),
            metadata: EventMetadata::new(),
        }
    }

    /// A record whose payload a binary codec wrote.
    fn binary(position: u64, id: &str, bytes: &[u8]) -> RecordedEvent {
        let mut record = record(position, id, "");
        (record.codec, record.binary) = (Codec::MessagePack, bytes.to_vec());
        record
    }

    #[test]
    fn a_page_gives_back_every_entry_as_it_was_pushed() {
        let first = record(1, "t-1", r#"{"titre":"é"}"#);
        let third = record(3, "t-22", "{}");
        let mut page = FeedPage::new();
        page.push_event((&first).into());
        page.push_unreadable(2, Error::backend("bad row"));
        page.push_event((&third).into());
        assert_eq!(page.len(), 3);
        assert_eq!(
            (page.first_position(), page.last_position()),
            (Some(1), Some(3))
        );
        let positions: Vec<u64> = page.iter().map(|item| item.position()).collect();
        assert_eq!(positions, [1, 2, 3]);
        assert!(matches!(
            page.get(1),
            Some(FeedEntryRef::Unreadable { position: 2, .. })
        ));
        match page.into_entries().as_slice() {
            [
                FeedEntry::Event(a),
                FeedEntry::Unreadable { position: 2, error },
                FeedEntry::Event(c),
            ] => {
                assert_eq!((a, c), (&first, &third));
                assert!(error.to_string().contains("bad row"), "{error}");
            }
            other => panic!("expected event, unreadable, event: {other:?}"),
        }
    }

    #[test]
    fn a_page_extended_with_a_later_one_reads_as_one() {
        // Binary payloads on both sides of the join: their spans move with the page.
        let records: Vec<RecordedEvent> = (1..=5)
            .map(|n| match n % 2 {
                0 => binary(n, &format!("t-{n}"), &[0x81, n as u8, 0xc0]),
                _ => record(n, &format!("t-{n}"), &format!("{{\"n\":{n}}}")),
            })
            .collect();
        let mut page = FeedPage::from(records[..2].to_vec());
        let mut later = FeedPage::from(records[2..].to_vec());
        later.push_unreadable(6, Error::backend("bad row"));
        later.set_head(9);
        page.extend_with(later);
        assert_eq!(
            (page.len(), page.head(), page.last_position()),
            (6, Some(9), Some(6))
        );
        let events: Vec<RecordedEvent> = page
            .range(0..5)
            .map(|item| match item {
                FeedEntryRef::Event(event) => event.to_record(),
                FeedEntryRef::Unreadable { position, .. } => panic!("unreadable at {position}"),
            })
            .collect();
        assert_eq!(events, records);
        assert_eq!(page.range(4..99).len(), 2);
    }

    #[test]
    fn an_empty_page_has_no_positions() {
        let page = FeedPage::from(Vec::<RecordedEvent>::new());
        assert!(page.is_empty());
        assert_eq!((page.first_position(), page.last_position()), (None, None));
        assert!(page.get(0).is_none());
    }
}
