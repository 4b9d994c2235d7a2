//! The subscription benchmark workloads, generic over the stores so that every backend
//! runs the same ones. Used by the criterion bench `tests/benches/subscriptions.rs` and by
//! the `bench_subscriptions` program (which prints the table).
//!
//! - Catch-up: `N` stored [`Ticked`] events over streams of [`EVENTS_PER_STREAM`], read
//!   from the beginning by a projection whose one handler counts ([`Counter`]), timed from
//!   `SubscriptionRunner::start` until the subscription reports itself live at the head.
//!   Beside it, the raw feed read a user would write without the library, on the same
//!   rows in the same process: [`raw_in_memory`] (`read_all` pages, each payload decoded
//!   with `serde_json`), [`raw_sqlite`] (one plain rusqlite `SELECT` of the rows in
//!   position order on the same file), [`raw_postgres`] (one plain tokio-postgres
//!   `SELECT` likewise). The raw reads take every column of the envelope a handler sees
//!   and decode each into a plain value, the payload into [`Ticked`]
//!   ([`RawColumns::Envelope`], the target's baseline); the SQL ones are also measured
//!   taking only position, type and payload ([`RawColumns::Narrow`]), for scale.
//! - Live latency: with a [`Probe`] subscription live, one event at a time is appended
//!   with `EventStore::append`; the time from the append returning to the handler running
//!   (the handler sends `Instant::now()` over a channel, paired by the event's number).

use eventsource::prelude::*;
use eventsource::store::sqlite::rusqlite::{Connection, Row};
use eventsource::subscription::{
    CheckpointEvery, StartFrom, SubscriptionOptions, SubscriptionRunner,
};
use eventsource::{EventMetadata, InMemoryEventStore};
use eventsource::{
    StreamId,
    store::{NewEvent, SubscriptionStore},
};
use std::fmt::Write;
use std::num::NonZeroUsize;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Stored events in the catch-up when the program is given no count.
pub const DEFAULT_EVENTS: u64 = 200_000;

/// Events per stream while seeding (one append each): 200,000 events are 4,000 streams.
pub const EVENTS_PER_STREAM: u64 = 50;

/// The `SubscriptionOptions::batch_size` values the catch-up is measured with.
pub const BATCH_SIZES: [usize; 2] = [500, 5000];

/// How long a subscription may take to reach the state a workload waits for.
const PATIENCE: Duration = Duration::from_secs(300);

/// The small event of the benchmark.
#[event]
pub struct Ticked {
    /// Its number.
    pub n: u64,
}

/// The no-op projection: its one handler counts.
#[derive(Debug, Default)]
pub struct Counter {
    /// Events handled.
    pub count: u64,
}

#[projection(name = "bench_counter")]
impl Counter {
    fn ticked(&mut self, _: &Ticked) {
        self.count += 1;
    }
}

/// The live-latency probe: sends each event's number and the time its handler ran.
pub struct Probe {
    seen: mpsc::UnboundedSender<(u64, Instant)>,
}

#[projection(name = "bench_probe")]
impl Probe {
    fn ticked(&mut self, event: &Ticked) {
        let _ = self.seen.send((event.n, Instant::now()));
    }
}

/// What a workload needs of a store.
pub trait Store: EventStore + SubscriptionStore + Clone {}
impl<S: EventStore + SubscriptionStore + Clone> Store for S {}

/// Events `first..first + count` as stored events of type `Ticked`.
pub fn ticks(first: u64, count: u64) -> Vec<NewEvent> {
    (first..first + count)
        .map(|n| {
            NewEvent::new(
                Ticked::EVENT_TYPE,
                Ticked::SCHEMA_VERSION,
                serde_json::to_string(&Ticked { n }).expect("encoding"),
                EventMetadata::new(),
            )
        })
        .collect()
}

fn stream() -> StreamId {
    StreamId::new("Clock", Uuid::now_v7().to_string())
}

/// Stores `events` ticks in new streams of [`EVENTS_PER_STREAM`] (one append each);
/// returns the feed's head.
pub async fn seed<S: EventStore>(store: &S, events: u64) -> u64 {
    let mut stored = 0;
    while stored < events {
        let count = EVENTS_PER_STREAM.min(events - stored);
        store
            .append(&stream(), ExpectedVersion::NoStream, ticks(stored, count))
            .await
            .expect("seeding");
        stored += count;
    }
    store.head_position().await.expect("head_position")
}

fn options(batch_size: usize) -> SubscriptionOptions {
    SubscriptionOptions::new()
        .start_from(StartFrom::Beginning)
        .batch_size(NonZeroUsize::new(batch_size).unwrap_or(NonZeroUsize::MIN))
}

/// One catch-up: a [`Counter`] from the beginning of the feed until it is live at `head`,
/// which must take `events` events. Returns the time from start to live.
pub async fn catch_up<S: Store>(store: &S, batch_size: usize, head: u64, events: u64) -> Duration {
    catch_up_with(store, options(batch_size), head, events).await
}

/// [`catch_up`] with other options (they should start from the beginning).
pub async fn catch_up_with<S: Store>(
    store: &S,
    options: SubscriptionOptions,
    head: u64,
    events: u64,
) -> Duration {
    let mut runner = SubscriptionRunner::new(store.clone());
    let started = Instant::now();
    let mut handle = runner
        .start(Counter::default(), options)
        .expect("starting the subscription");
    let status = tokio::time::timeout(
        PATIENCE,
        handle.wait_for(|s| s.is_live() && s.position >= head),
    )
    .await
    .expect("catching up in time");
    let elapsed = started.elapsed();
    assert!(status.is_live(), "{status:?}");
    let counter = handle.stop().await.expect("stopping");
    assert_eq!(counter.count, events, "every stored event handled once");
    runner.shutdown().await;
    elapsed
}

fn decode(payload: &str) -> Ticked {
    serde_json::from_str(payload).expect("decoding")
}

/// The raw read of the in-memory feed: `read_all` pages of `page` events from the
/// beginning, each payload decoded. Returns the events read and the time.
pub async fn raw_in_memory(store: &InMemoryEventStore, page: usize) -> (u64, Duration) {
    let started = Instant::now();
    let (mut after, mut read) = (0, 0u64);
    loop {
        let records = store.read_all(after, page).await.expect("read_all");
        let Some(last) = records.last() else { break };
        after = last.position;
        for record in &records {
            std::hint::black_box(decode(&record.payload));
            read += 1;
        }
    }
    (read, started.elapsed())
}

/// An open plain rusqlite connection on the store's database file, with the settings the
/// store's connections have that matter for reads (WAL, 32 MiB page cache).
pub fn raw_sqlite_connection(path: &Path) -> Connection {
    let connection = Connection::open(path).expect("opening the file");
    connection
        .execute_batch("PRAGMA journal_mode = WAL; PRAGMA cache_size = -32768;")
        .expect("pragmas");
    connection
}

/// What a raw feed read takes of each row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawColumns {
    /// Every column of the envelope a handler sees (stream, version, position, event id,
    /// type, schema version, payload, time, correlation and causation ids, extra pairs),
    /// each decoded into a plain Rust value: the texts borrowed, the ids parsed, the
    /// payload decoded into [`Ticked`]. The catch-up target is measured against it.
    Envelope,
    /// Only the position, the event type and the payload (decoded): the least a reader
    /// can take. Shown beside the target, for scale.
    Narrow,
}

impl RawColumns {
    /// How the table names the read.
    pub fn describe(self) -> &'static str {
        match self {
            RawColumns::Envelope => "every envelope column",
            RawColumns::Narrow => "position, event type, payload",
        }
    }
}

/// The envelope columns of the raw reads, in the order [`decode_envelope`] takes them.
const ENVELOPE_COLUMNS: &str = "position, aggregate_type, aggregate_id, version, event_id, \
     event_type, schema_version, payload, correlation_id, causation_id";

/// The decoded values of an envelope row, kept from the optimiser.
#[allow(clippy::too_many_arguments)]
fn keep_envelope(
    numbers: [i64; 3],
    texts: [&str; 3],
    event_id: Uuid,
    ids: [Option<Uuid>; 2],
    occurred_at: std::time::SystemTime,
    extra: &str,
    payload: &str,
) {
    std::hint::black_box((numbers, texts, event_id, ids, occurred_at));
    if extra != "{}" {
        let pairs: std::collections::BTreeMap<String, String> =
            serde_json::from_str(extra).expect("extra pairs");
        std::hint::black_box(pairs);
    }
    std::hint::black_box(decode(payload));
}

/// The raw read of the SQLite feed: one plain rusqlite `SELECT ... ORDER BY position` of
/// every event with the `columns` asked for, each row decoded.
pub fn raw_sqlite(connection: &Connection, columns: RawColumns) -> (u64, Duration) {
    let started = Instant::now();
    let sql = match columns {
        RawColumns::Envelope => format!(
            "SELECT {ENVELOPE_COLUMNS}, extra, occurred_at FROM eventsource_events \
             ORDER BY position"
        ),
        RawColumns::Narrow => {
            "SELECT position, event_type, payload FROM eventsource_events ORDER BY position"
                .to_owned()
        }
    };
    let mut select = connection.prepare_cached(&sql).expect("prepare");
    let mut rows = select.query([]).expect("select");
    let mut read = 0u64;
    fn text<'r>(row: &'r Row<'_>, i: usize) -> &'r str {
        row.get_ref(i).expect("text").as_str().expect("text")
    }
    fn uuid(row: &Row<'_>, i: usize) -> Option<Uuid> {
        let text = row.get_ref(i).expect("id").as_str_or_null().expect("id")?;
        Some(Uuid::try_parse(text).expect("a UUID"))
    }
    while let Some(row) = rows.next().expect("row") {
        let position: i64 = row.get(0).expect("position");
        if columns == RawColumns::Narrow {
            std::hint::black_box((position, text(row, 1)));
            std::hint::black_box(decode(text(row, 2)));
        } else {
            let version: i64 = row.get(3).expect("version");
            let schema_version: i64 = row.get(6).expect("schema_version");
            let micros: i64 = row.get(11).expect("occurred_at");
            let occurred_at = std::time::UNIX_EPOCH
                + Duration::from_micros(u64::try_from(micros).expect("a time"));
            keep_envelope(
                [position, version, schema_version],
                [text(row, 1), text(row, 2), text(row, 5)],
                uuid(row, 4).expect("an event id"),
                [uuid(row, 8), uuid(row, 9)],
                occurred_at,
                text(row, 10),
                text(row, 7),
            );
        }
        read += 1;
    }
    (read, started.elapsed())
}

/// The raw read of the PostgreSQL feed: one plain tokio-postgres `SELECT ... ORDER BY
/// position` of every event of `schema` with the `columns` asked for, each row decoded
/// (the extra pairs read as `metadata::text`).
#[cfg(feature = "postgres")]
pub async fn raw_postgres(
    client: &eventsource::store::postgres::tokio_postgres::Client,
    schema: &str,
    columns: RawColumns,
) -> (u64, Duration) {
    let started = Instant::now();
    let sql = match columns {
        RawColumns::Envelope => format!(
            "SELECT {ENVELOPE_COLUMNS}, metadata::text, occurred_at FROM \"{schema}\".events \
             ORDER BY position"
        ),
        RawColumns::Narrow => format!(
            "SELECT position, event_type, payload FROM \"{schema}\".events ORDER BY position"
        ),
    };
    let rows = client.query(&sql, &[]).await.expect("select");
    let mut read = 0u64;
    for row in &rows {
        let position: i64 = row.get(0);
        if columns == RawColumns::Narrow {
            let (event_type, payload): (&str, &str) = (row.get(1), row.get(2));
            std::hint::black_box((position, event_type));
            std::hint::black_box(decode(payload));
        } else {
            keep_envelope(
                [position, row.get(3), row.get(6)],
                [row.get(1), row.get(2), row.get(5)],
                row.get(4),
                [row.get(8), row.get(9)],
                row.get(11),
                row.get::<_, Option<&str>>(10).unwrap_or("{}"),
                row.get(7),
            );
        }
        read += 1;
    }
    (read, started.elapsed())
}

/// Live latency: starts a [`Probe`] at the end of the feed, waits until it is live, then
/// appends `count` events one at a time (each to a new stream), `pause` apart, and returns
/// for each the time from the append returning to its handler running (zero when the
/// handler ran before the append returned to the caller).
pub async fn live_latencies<S: Store>(store: &S, count: u64, pause: Duration) -> Vec<Duration> {
    let (sender, mut seen) = mpsc::unbounded_channel();
    let mut runner = SubscriptionRunner::new(store.clone());
    let options = SubscriptionOptions::new().start_from(StartFrom::End);
    let mut handle = runner
        .start(Probe { seen: sender }, options)
        .expect("starting the probe");
    let status = tokio::time::timeout(PATIENCE, handle.wait_for(|s| s.is_live()))
        .await
        .expect("going live");
    assert!(status.is_live(), "{status:?}");
    let mut latencies = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    // Numbers above the seeded ones, so that nothing seeded is mistaken for a probe event.
    let base = 1 << 40;
    for n in base..base + count {
        store
            .append(&stream(), ExpectedVersion::NoStream, ticks(n, 1))
            .await
            .expect("appending");
        let returned = Instant::now();
        let handled = loop {
            let (seen_n, at) = tokio::time::timeout(PATIENCE, seen.recv())
                .await
                .expect("the handler ran in time")
                .expect("the probe is running");
            if seen_n == n {
                break at;
            }
        };
        latencies.push(handled.saturating_duration_since(returned));
        tokio::time::sleep(pause).await;
    }
    handle.stop().await.expect("stopping the probe");
    runner.shutdown().await;
    latencies
}

/// The median of some timings.
pub fn median(values: &[Duration]) -> Duration {
    percentile(values, 50)
}

/// The `p`th percentile (nearest rank) of some timings.
pub fn percentile(values: &[Duration], p: usize) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (sorted.len() * p).div_ceil(100).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Events per second for `events` in `time`.
pub fn rate(events: u64, time: Duration) -> f64 {
    events as f64 / time.as_secs_f64()
}

/// One backend's figures.
#[derive(Debug, Clone)]
pub struct Figures {
    /// The backend, as the table names it.
    pub store: String,
    /// What the raw feed read is, as the table names it.
    pub raw_kind: String,
    /// Events in the catch-up.
    pub events: u64,
    /// Median catch-up rate (events/s) per batch size in [`BATCH_SIZES`].
    pub catch_up: Vec<(usize, f64)>,
    /// Median raw feed-read rate (events/s), every envelope column.
    pub raw: f64,
    /// Median raw rate of the narrow read ([`RawColumns::Narrow`]), where the store has one.
    pub narrow: Option<f64>,
    /// Live latencies, append returned to handler ran.
    pub latencies: Vec<Duration>,
    /// The target for the median latency.
    pub latency_target: Duration,
}

/// How much of the work each figure does.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Stored events in the catch-up.
    pub events: u64,
    /// Interleaved rounds (raw, then each batch size); medians are printed.
    pub rounds: usize,
    /// Live events appended for the latency.
    pub live_events: u64,
    /// Pause between two live appends.
    pub pause: Duration,
}

/// Measures one backend: seeds `store` with `settings.events` ticks, then in each round
/// runs `raw` (the raw feed read of the same rows with the columns asked for; it returns
/// the events read and the time, `None` when the store has no such read) for each of
/// [`RawColumns`], and a catch-up per batch size; then the live latency.
pub async fn measure<S, F>(
    name: &str,
    raw_kind: &str,
    store: &S,
    mut raw: impl FnMut(RawColumns) -> F,
    latency_target: Duration,
    settings: Settings,
) -> Figures
where
    S: Store,
    F: Future<Output = Option<(u64, Duration)>>,
{
    let head = seed(store, settings.events).await;
    let mut raw_times = Vec::new();
    let mut narrow_times = Vec::new();
    let mut ours = vec![Vec::new(); BATCH_SIZES.len()];
    for _ in 0..settings.rounds {
        for (columns, times) in [
            (RawColumns::Envelope, &mut raw_times),
            (RawColumns::Narrow, &mut narrow_times),
        ] {
            if let Some((read, time)) = raw(columns).await {
                assert_eq!(read, settings.events, "the raw read reads every event");
                times.push(time);
            }
        }
        for (batch, times) in BATCH_SIZES.iter().zip(&mut ours) {
            times.push(catch_up(store, *batch, head, settings.events).await);
        }
    }
    let latencies = live_latencies(store, settings.live_events, settings.pause).await;
    Figures {
        store: name.to_owned(),
        raw_kind: raw_kind.to_owned(),
        events: settings.events,
        catch_up: BATCH_SIZES
            .iter()
            .zip(&ours)
            .map(|(batch, times)| (*batch, rate(settings.events, median(times))))
            .collect(),
        raw: rate(settings.events, median(&raw_times)),
        narrow: (!narrow_times.is_empty()).then(|| rate(settings.events, median(&narrow_times))),
        latencies,
        latency_target,
    }
}

/// The catch-up target: the no-op projection at 70% of the raw feed-read rate at least.
pub const CATCH_UP_TARGET: f64 = 0.70;

/// `value` rounded, with thousands separators.
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// The table of every backend's figures, Markdown-style.
pub fn format_table(figures: &[Figures]) -> String {
    let mut rows: Vec<[String; 4]> = vec![[
        "figure".into(),
        "eventsource".into(),
        "raw".into(),
        "ratio / target".into(),
    ]];
    for f in figures {
        for (batch, ours) in &f.catch_up {
            let ratio = ours / f.raw;
            rows.push([
                format!(
                    "{}: catch-up of {} events, batch_size {batch}",
                    f.store,
                    thousands(f.events as f64)
                ),
                format!("{} events/s", thousands(*ours)),
                format!(
                    "{} events/s ({}, {})",
                    thousands(f.raw),
                    f.raw_kind,
                    RawColumns::Envelope.describe()
                ),
                format!(
                    "{:.0}% of raw ({} ≥ {:.0}%)",
                    100.0 * ratio,
                    if ratio >= CATCH_UP_TARGET {
                        "meets"
                    } else {
                        "misses"
                    },
                    100.0 * CATCH_UP_TARGET
                ),
            ]);
        }
        if let Some(narrow) = f.narrow {
            let ratios: Vec<String> = f
                .catch_up
                .iter()
                .map(|(batch, ours)| format!("{:.0}% ({batch})", 100.0 * ours / narrow))
                .collect();
            rows.push([
                format!("{}: the narrow raw read, for scale", f.store),
                String::new(),
                format!(
                    "{} events/s ({}, {})",
                    thousands(narrow),
                    f.raw_kind,
                    RawColumns::Narrow.describe()
                ),
                format!("catch-up at {} of it", ratios.join(", ")),
            ]);
        }
        let p50 = median(&f.latencies);
        let p99 = percentile(&f.latencies, 99);
        rows.push([
            format!(
                "{}: live latency, append → handler ({} events)",
                f.store,
                f.latencies.len()
            ),
            format!("p50 {}, p99 {}", millis(p50), millis(p99)),
            String::new(),
            format!(
                "p50 {} ≤ {}",
                if p50 <= f.latency_target {
                    "meets"
                } else {
                    "misses"
                },
                millis(f.latency_target)
            ),
        ]);
    }
    let widths: Vec<usize> = (0..4)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (n, row) in rows.iter().enumerate() {
        let _ = writeln!(
            out,
            "| {:<w0$} | {:>w1$} | {:>w2$} | {:>w3$} |",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
        if n == 0 {
            let _ = writeln!(
                out,
                "|{}|{}|{}|{}|",
                "-".repeat(widths[0] + 2),
                "-".repeat(widths[1] + 2),
                "-".repeat(widths[2] + 2),
                "-".repeat(widths[3] + 2)
            );
        }
    }
    out
}

/// Where a catch-up's time goes: the same feed taken through the library's parts one at a
/// time, each step adding one part to the one before. Each figure is the median time of
/// `rounds` passes over the whole feed.
#[derive(Debug, Clone, Copy)]
pub struct Phases {
    /// `read_feed` pages of `batch_size`, nothing else.
    pub read_feed: Duration,
    /// ... and `Projection::handle` of the [`Counter`] on each event (decode + handler).
    pub handle: Duration,
    /// ... and `store_checkpoint` every 100 events, as the default options do.
    pub checkpoints: Duration,
    /// ... and a `watch` status update per event with a task waiting on it, as the runner
    /// does for its handle.
    pub status: Duration,
    /// The whole subscription, as [`catch_up`] times it.
    pub subscription: Duration,
    /// The same subscription storing its checkpoint every 5,000 events instead of 100.
    pub sparse_checkpoints: Duration,
}

/// Measures [`Phases`] for a seeded store (`head` and `events` as [`seed`] left them).
pub async fn phases<S: Store>(
    store: &S,
    batch_size: usize,
    head: u64,
    events: u64,
    rounds: usize,
) -> Phases {
    use eventsource::store::FeedEntryRef;
    use eventsource::subscription::{SubscriptionState, SubscriptionStatus};
    #[derive(Clone, Copy, PartialEq)]
    enum Step {
        Read,
        Handle,
        Checkpoint,
        Status,
    }
    async fn pass<S: Store>(store: &S, batch_size: usize, head: u64, step: Step) -> Duration {
        let (status, mut waiter) = tokio::sync::watch::channel(SubscriptionStatus {
            name: "bench_phases".into(),
            position: 0,
            head: 0,
            state: SubscriptionState::CatchingUp,
        });
        let waiting = tokio::spawn(async move {
            if step == Step::Status {
                let _ = waiter.wait_for(|s| s.position >= head).await;
            }
        });
        let started = Instant::now();
        let mut counter = Counter::default();
        let mut reused: Option<eventsource::RecordedEvent> = None;
        let (mut after, mut since) = (0, 0);
        loop {
            let entries = store.read_feed(after, batch_size).await.expect("read_feed");
            let Some(last) = entries.last_position() else {
                break;
            };
            after = last;
            if step == Step::Read {
                std::hint::black_box(&entries);
                continue;
            }
            for entry in entries.iter() {
                if let FeedEntryRef::Event(event) = entry {
                    // Reusing one record's buffers, as the subscription does.
                    let record = event.copy_into_slot(&mut reused);
                    counter.handle(record).await.expect("handle");
                    since += 1;
                    if step != Step::Handle && since == 100 {
                        store
                            .store_checkpoint("bench_phases", record.position)
                            .await
                            .expect("checkpoint");
                        since = 0;
                    }
                    if step == Step::Status {
                        let position = record.position;
                        status.send_modify(|s| s.position = position);
                    }
                }
            }
        }
        let elapsed = started.elapsed();
        drop(status);
        let _ = waiting.await;
        elapsed
    }
    let mut times = vec![Vec::new(); 6];
    for _ in 0..rounds {
        for (i, step) in [Step::Read, Step::Handle, Step::Checkpoint, Step::Status]
            .into_iter()
            .enumerate()
        {
            times[i].push(pass(store, batch_size, head, step).await);
        }
        times[4].push(catch_up(store, batch_size, head, events).await);
        let sparse = options(batch_size).checkpoint_every(CheckpointEvery::Events(
            NonZeroUsize::new(5000).unwrap_or(NonZeroUsize::MIN),
        ));
        times[5].push(catch_up_with(store, sparse, head, events).await);
    }
    Phases {
        read_feed: median(&times[0]),
        handle: median(&times[1]),
        checkpoints: median(&times[2]),
        status: median(&times[3]),
        subscription: median(&times[4]),
        sparse_checkpoints: median(&times[5]),
    }
}

/// [`Phases`] as lines of text, each step with its rate and its share of the
/// subscription's time.
pub fn format_phases(name: &str, batch_size: usize, events: u64, p: &Phases) -> String {
    let total = p.subscription.as_secs_f64();
    let line = |what: &str, d: Duration| {
        format!(
            "  {what:<58} {:>9}  {:>12} events/s  {:>4.0}% of the subscription's time\n",
            millis(d),
            thousands(rate(events, d)),
            100.0 * d.as_secs_f64() / total
        )
    };
    let mut out = format!("{name}, batch_size {batch_size}, {events} events:\n");
    out += &line("read_feed pages only", p.read_feed);
    out += &line("+ Projection::handle (decode + no-op handler)", p.handle);
    out += &line("+ store_checkpoint every 100 events", p.checkpoints);
    out += &line("+ a watch status update per event, one waiter", p.status);
    out += &line(
        "the subscription (start until live at the head)",
        p.subscription,
    );
    out += &line(
        "the subscription, a checkpoint every 5,000 events",
        p.sparse_checkpoints,
    );
    out
}
