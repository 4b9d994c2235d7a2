//! The in-memory store's CPU workloads, shared by the `bench` program
//! (`cargo run --release -p eventsource-examples --bin bench -- --store memory`), which
//! prints them beside their raw figures, and the criterion bench
//! (`cargo bench -p eventsource-tests --bench memory`).
//!
//! - commands: one-event commands on existing aggregates (each stores an event before),
//!   through [`Repository::update`] and through load + execute + save, against
//!   [`RawMemory`]: a `HashMap<String, Vec<String>>` append of the same JSON payload under
//!   the same version rule;
//! - load: an aggregate of [`HISTORY`] events loaded through the repository, against
//!   decoding its payloads with serde_json and applying them by hand;
//! - replay: the repository's decoding path (a store that keeps no decoded copy,
//!   [`Uncached`]) against the same raw decoding;
//! - dispatch: the derive's `EventSet::decode` and `Aggregate::apply` against a
//!   hand-written `match` on the stored name ([`hand_decode`], [`hand_apply`]).

use eventsource::aggregate::EventSet;
use eventsource::prelude::*;
use eventsource::{
    RecordedEvent, StreamId,
    store::{AppendOutcome, AppendSignal, EventRef, FeedPage, NewEvent},
};
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

/// Money paid in.
#[event]
pub struct Deposited {
    /// Amount in cents.
    pub cents: u64,
    /// What for.
    pub note: String,
}

/// Money paid out.
#[event]
pub struct Withdrawn {
    /// Amount in cents.
    pub cents: u64,
    /// What for.
    pub note: String,
}

/// A bank account of two event types.
#[derive(Aggregate, Debug, Default, Clone, PartialEq)]
#[aggregate(name = "Account")]
pub struct Account {
    /// Balance in cents.
    pub balance: i64,
    /// Events applied.
    pub movements: u64,
}

#[apply]
impl Account {
    fn deposited(&mut self, e: &Deposited) {
        self.balance += e.cents as i64;
        self.movements += 1;
    }
    fn withdrawn(&mut self, e: &Withdrawn) {
        self.balance -= e.cents as i64;
        self.movements += 1;
    }
}

impl Account {
    /// The command the benchmarks run: a deposit, never refused.
    pub fn deposit(&self, n: u64) -> Result<Deposited, Infallible> {
        Ok(deposit(n))
    }
}

/// The `n`th deposit: a payload of about 50 bytes.
pub fn deposit(n: u64) -> Deposited {
    Deposited {
        cents: 100 + n % 900,
        note: format!("salary for month {n}"),
    }
}

/// The `n`th event of a history: every tenth is a withdrawal, so both arms dispatch.
pub fn movement(n: u64) -> AccountEvent {
    if n % 10 == 9 {
        AccountEvent::Withdrawn(Withdrawn {
            cents: 50,
            note: format!("rent for month {n}"),
        })
    } else {
        AccountEvent::Deposited(deposit(n))
    }
}

/// The events of the loaded aggregate.
pub const HISTORY: u64 = 10_000;

/// Saves one deposit to each of `count` new aggregates and returns their ids: the
/// aggregates the command workloads run on.
pub async fn existing_accounts<S: EventStore>(
    repo: &Repository<Account, S>,
    count: usize,
) -> Vec<Uuid> {
    let mut ids = Vec::with_capacity(count);
    for n in 0..count as u64 {
        let id = Uuid::now_v7();
        let mut account = repo.create_new(id);
        account.record(deposit(n));
        repo.save(&mut account).await.expect("an in-memory save");
        ids.push(id);
    }
    ids
}

/// Runs one deposit command on each of `ids` through [`Repository::update`].
pub async fn updates<S: EventStore>(repo: &Repository<Account, S>, ids: &[Uuid]) {
    for (n, id) in ids.iter().enumerate() {
        let saved = repo
            .update(*id, |account| account.deposit(n as u64))
            .await
            .expect("an in-memory update");
        black_box(saved);
    }
}

/// Runs one deposit command on each of `ids` as load, execute and save.
pub async fn load_execute_save<S: EventStore>(repo: &Repository<Account, S>, ids: &[Uuid]) {
    for (n, id) in ids.iter().enumerate() {
        let mut account = repo.load(*id).await.expect("an in-memory load");
        let Ok(()) = account.execute(|a| a.deposit(n as u64));
        repo.save(&mut account).await.expect("an in-memory save");
    }
}

/// The raw limit of the command workloads: streams of JSON payloads in a `HashMap`, an
/// append checking the expected version as the store does.
#[derive(Debug, Default)]
pub struct RawMemory {
    streams: HashMap<String, Vec<String>>,
}

impl RawMemory {
    /// Streams named as `ids`, each holding one encoded deposit (as
    /// [`existing_accounts`]).
    pub fn with_streams(ids: &[Uuid]) -> (Self, Vec<String>) {
        let mut raw = RawMemory::default();
        let keys: Vec<String> = ids.iter().map(|id| format!("Account {id}")).collect();
        for (n, key) in keys.iter().enumerate() {
            raw.append(key, 0, encode(&deposit(n as u64)))
                .expect("a new stream");
        }
        (raw, keys)
    }

    /// Appends `payload` to `stream` if the stream is at version `expected`.
    pub fn append(&mut self, stream: &str, expected: usize, payload: String) -> Result<(), usize> {
        let events = match self.streams.get_mut(stream) {
            Some(events) => events,
            None => self.streams.entry(stream.to_owned()).or_default(),
        };
        if events.len() != expected {
            return Err(events.len());
        }
        events.push(payload);
        Ok(())
    }

    /// One deposit appended to each of `keys`, each at version `version`: the same
    /// encoding and version rule as a command, without the aggregate.
    pub fn deposits(&mut self, keys: &[String], version: usize) {
        for (n, key) in keys.iter().enumerate() {
            self.append(key, version, encode(&deposit(n as u64)))
                .expect("the stream is at the version");
        }
    }
}

fn encode(event: &Deposited) -> String {
    serde_json::to_string(event).expect("a deposit encodes")
}

/// Stores an aggregate of [`HISTORY`] events through `repo`, in saves of 1,000, and
/// returns its id.
pub async fn long_account<S: EventStore>(repo: &Repository<Account, S>) -> Uuid {
    let id = Uuid::now_v7();
    let mut account = repo.create_new(id);
    for n in 0..HISTORY {
        account.record(movement(n));
        if (n + 1) % 1_000 == 0 {
            repo.save(&mut account).await.expect("an in-memory save");
        }
    }
    id
}

/// One stored event as the raw decoders read it: type name, schema version, payload.
pub type Row = (String, u32, String);

/// The stored rows of `stream`, as a store keeps them.
pub async fn rows(store: &impl EventStore, stream: &StreamId) -> Vec<Row> {
    store
        .read_stream(stream, 0)
        .await
        .expect("an in-memory read")
        .into_iter()
        .map(|r| (r.event_type, r.schema_version, r.payload))
        .collect()
}

/// The raw decoding the replay is compared to: serde_json into the same structs, applied
/// by hand.
pub fn raw_replay(rows: &[Row]) -> Account {
    let mut account = Account::default();
    for (event_type, _, payload) in rows {
        if event_type == "Deposited" {
            let e: Deposited = serde_json::from_str(payload).expect("a stored deposit");
            account.balance += e.cents as i64;
        } else {
            let e: Withdrawn = serde_json::from_str(payload).expect("a stored withdrawal");
            account.balance -= e.cents as i64;
        }
        account.movements += 1;
    }
    account
}

/// The derive's dispatch: `EventSet::decode`, then `Aggregate::apply`.
pub fn generated_dispatch(rows: &[Row]) -> Account {
    let mut account = Account::default();
    for (event_type, schema_version, payload) in rows {
        let event =
            AccountEvent::decode(event_type, *schema_version, payload).expect("a stored event");
        account.apply(&event);
    }
    account
}

/// The hand-written counterpart of the derive's enum.
#[derive(Debug)]
pub enum HandEvent {
    /// A deposit.
    Deposited(Deposited),
    /// A withdrawal.
    Withdrawn(Withdrawn),
}

/// A hand-written decoder: a `match` on the stored name.
pub fn hand_decode(event_type: &str, payload: &str) -> Option<HandEvent> {
    match event_type {
        "Deposited" => serde_json::from_str(payload).ok().map(HandEvent::Deposited),
        "Withdrawn" => serde_json::from_str(payload).ok().map(HandEvent::Withdrawn),
        _ => None,
    }
}

/// A hand-written apply: a `match` on the event.
pub fn hand_apply(account: &mut Account, event: &HandEvent) {
    match event {
        HandEvent::Deposited(e) => {
            account.balance += e.cents as i64;
            account.movements += 1;
        }
        HandEvent::Withdrawn(e) => {
            account.balance -= e.cents as i64;
            account.movements += 1;
        }
    }
}

/// The hand-written dispatch over `rows`.
pub fn hand_dispatch(rows: &[Row]) -> Account {
    let mut account = Account::default();
    for (event_type, _, payload) in rows {
        let event = hand_decode(event_type, payload).expect("a stored event");
        hand_apply(&mut account, &event);
    }
    account
}

/// The time of one run of `op`, the median of `runs` (after one warm-up run).
pub fn median_time(runs: usize, mut op: impl FnMut()) -> Duration {
    op();
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let started = Instant::now();
            op();
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// A store that forwards to `S` but keeps nothing beside the payloads: a replay through it
/// decodes every event, as a replay from a database does. Its `replay_stream` is the
/// inner store's.
#[derive(Debug, Clone)]
pub struct Uncached<S>(pub S);

impl<S: EventStore> EventStore for Uncached<S> {
    fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> impl Future<Output = eventsource::Result<AppendOutcome>> + Send {
        self.0.append(stream, expected, events)
    }

    fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> impl Future<Output = eventsource::Result<Vec<RecordedEvent>>> + Send {
        self.0.read_stream(stream, after_version)
    }

    fn stream_version(
        &self,
        stream: &StreamId,
    ) -> impl Future<Output = eventsource::Result<u64>> + Send {
        self.0.stream_version(stream)
    }

    fn replay_stream<T, F>(
        &self,
        stream: &StreamId,
        after_version: u64,
        state: T,
        apply: F,
    ) -> impl Future<Output = eventsource::Result<T>> + Send
    where
        T: Send + 'static,
        F: FnMut(&mut T, EventRef<'_>) -> eventsource::Result<()> + Send + 'static,
    {
        self.0.replay_stream(stream, after_version, state, apply)
    }

    fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> impl Future<Output = eventsource::Result<Vec<RecordedEvent>>> + Send {
        self.0.read_all(after_position, limit)
    }

    fn read_feed(
        &self,
        after_position: u64,
        limit: usize,
    ) -> impl Future<Output = eventsource::Result<FeedPage>> + Send {
        self.0.read_feed(after_position, limit)
    }

    fn head_position(&self) -> impl Future<Output = eventsource::Result<u64>> + Send {
        self.0.head_position()
    }

    fn feed_position_at(
        &self,
        time: SystemTime,
    ) -> impl Future<Output = eventsource::Result<u64>> + Send {
        self.0.feed_position_at(time)
    }

    fn stream_version_at(
        &self,
        stream: &StreamId,
        time: SystemTime,
    ) -> impl Future<Output = eventsource::Result<u64>> + Send {
        self.0.stream_version_at(stream, time)
    }

    fn append_signal(
        &self,
    ) -> impl Future<Output = eventsource::Result<Option<AppendSignal>>> + Send {
        self.0.append_signal()
    }
}
