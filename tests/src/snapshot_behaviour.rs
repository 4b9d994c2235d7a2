//! The snapshot behaviour suite: snapshots through the [`Repository`] (the policy and its
//! modes, loading from a snapshot, every fallback to a full replay, `create_snapshot`),
//! one async function per behaviour, generic over a backend's event store and snapshot
//! store.
//!
//! A backend runs every case with
//! [`snapshot_behaviour_suite!`](crate::snapshot_behaviour_suite), given an async
//! expression yielding `Option<(event_store, snapshot_store)>`: a fresh pair on one
//! database, or `None` when the backend is unavailable (the case prints a `SKIPPED` line):
//!
//! ```ignore
//! eventsource_tests::snapshot_behaviour_suite!(async {
//!     Some((InMemoryEventStore::new(), InMemorySnapshotStore::new()))
//! });
//! ```
//!
//! The cases that need a misbehaving snapshot store (failing, slow, or one whose writes
//! must be counted) wrap the backend's own store in a [`SnapshotProbe`], and the ones that
//! need a bad snapshot (a state that does not decode, another schema version, a version
//! the stream does not reach) store it through the backend's own `save`: every case runs on
//! every backend.
//!
//! The cases run on tokio's current-thread runtime, as a test's warnings are collected on
//! its thread (background snapshot writes included); the one that loads from many tasks at
//! once runs on two worker threads.

use crate::fixtures::{Account, Deposited, Withdrawn, deposits};
use eventsource::prelude::*;
use eventsource::store::StreamId;
use eventsource::{BoxFuture, Error, Snapshot, SnapshotStore, Snapshottable};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tokio::sync::Semaphore;

/// Generates one `#[tokio::test]` per snapshot behaviour for the backend the factory yields
/// (an async expression evaluating to `Option<(event_store, snapshot_store)>`, both
/// `Clone`).
#[macro_export]
macro_rules! snapshot_behaviour_suite {
    ($factory:expr) => {
        $crate::snapshot_behaviour_suite!(@cases $factory; (flavor = "current_thread");
            load_restores_the_snapshot_and_applies_the_events_after_it,
            a_snapshot_with_no_later_events_loads_at_its_version,
            a_snapshot_of_another_schema_version_falls_back_to_a_full_replay,
            a_failing_snapshot_store_falls_back_to_a_full_replay,
            an_undecodable_snapshot_state_falls_back_to_a_full_replay,
            a_snapshot_ahead_of_its_stream_is_not_trusted,
            no_snapshot_and_no_events_is_not_found,
            threshold_3_over_three_saves_takes_one_snapshot_at_version_3,
            no_snapshot_below_the_threshold,
            manual_mode_takes_no_automatic_snapshot,
            one_save_across_several_multiples_takes_one_snapshot_at_its_version,
            saves_that_never_land_on_a_multiple_still_snapshot,
            a_save_without_changes_takes_no_snapshot,
            snapshots_are_per_aggregate,
            jitter_shifts_the_snapshot_points_but_keeps_one_per_threshold,
            a_failing_snapshot_store_never_fails_a_save,
            background_save_returns_before_the_snapshot_is_written,
            waiting_counts_background_snapshots_that_already_finished,
            create_snapshot_without_a_snapshot_store_is_a_typed_error,
            create_snapshot_works_in_manual_mode_and_returns_the_snapshot,
            create_snapshot_replaces_the_previous_one,
            create_snapshot_of_an_older_version_keeps_the_newer_snapshot,
            create_snapshot_refuses_a_state_that_is_not_saved,
            create_snapshot_reports_a_failing_store,
            a_full_cycle_continues_correctly_after_loading_from_a_snapshot,
            raising_the_snapshot_version_forces_a_full_replay,
            a_custom_snapshot_type_is_stored_and_restored,
        );
        $crate::snapshot_behaviour_suite!(@cases $factory;
            (flavor = "multi_thread", worker_threads = 2);
            concurrent_loads_agree,
        );
    };
    (@cases $factory:expr; $runtime:tt; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test $runtime]
            async fn $case() {
                match $factory.await {
                    Some((events, snapshots)) => {
                        $crate::snapshot_behaviour::$case(events, snapshots).await
                    }
                    None => eprintln!("SKIPPED {}: snapshot backend unavailable", stringify!($case)),
                }
            }
        )*
    };
}

// ---------------------------------------------------------------------------------------
// The snapshot probe
// ---------------------------------------------------------------------------------------

/// Wraps a backend's snapshot store: records every write that reaches it, and can hold the
/// writes until [`open`](Self::open) ([`gated`](Self::gated)) or fail every call
/// ([`failing`](Self::failing)). Clones share the records, the gate and the store.
#[derive(Clone)]
pub struct SnapshotProbe<S> {
    inner: S,
    written: Arc<Mutex<Vec<(StreamId, u64)>>>,
    gate: Option<Arc<Semaphore>>,
    failing: bool,
}

impl<S: SnapshotStore + Clone> SnapshotProbe<S> {
    /// Passes every call to `inner`, recording the writes.
    pub fn new(inner: S) -> Self {
        SnapshotProbe {
            inner,
            written: Arc::default(),
            gate: None,
            failing: false,
        }
    }

    /// Holds every write until [`open`](Self::open) lets one through.
    pub fn gated(inner: S) -> Self {
        SnapshotProbe {
            gate: Some(Arc::new(Semaphore::new(0))),
            ..Self::new(inner)
        }
    }

    /// Fails every call with a backend error, "snapshot store is down", without reaching
    /// `inner`.
    pub fn failing(inner: S) -> Self {
        SnapshotProbe {
            failing: true,
            ..Self::new(inner)
        }
    }

    /// Lets one held write through.
    pub fn open(&self) {
        if let Some(gate) = &self.gate {
            gate.add_permits(1);
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The versions written so far, in order.
    pub fn written(&self) -> Vec<u64> {
        self.lock().iter().map(|(_, version)| *version).collect()
    }

    /// How many snapshots the wrapped store holds of the streams written through the probe
    /// (the whole store's count, when every write goes through the probe).
    pub async fn stored(&self) -> usize {
        let mut streams: Vec<StreamId> = self.lock().iter().map(|(s, _)| s.clone()).collect();
        streams.sort();
        streams.dedup();
        let mut count = 0;
        for stream in &streams {
            if self.inner.load(stream).await.unwrap().is_some() {
                count += 1;
            }
        }
        count
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(StreamId, u64)>> {
        self.written.lock().unwrap()
    }
}

fn down() -> Error {
    Error::backend("snapshot store is down")
}

impl<S: SnapshotStore + Clone> SnapshotStore for SnapshotProbe<S> {
    fn save<'a>(&'a self, snapshot: &'a Snapshot) -> BoxFuture<'a, eventsource::Result<()>> {
        Box::pin(async move {
            if self.failing {
                return Err(down());
            }
            if let Some(gate) = &self.gate {
                let _pass = gate.acquire().await.expect("the gate is never closed");
            }
            self.lock()
                .push((snapshot.stream.clone(), snapshot.version));
            self.inner.save(snapshot).await
        })
    }

    fn load<'a>(
        &'a self,
        stream: &'a StreamId,
    ) -> BoxFuture<'a, eventsource::Result<Option<Snapshot>>> {
        if self.failing {
            return Box::pin(async { Err(down()) });
        }
        self.inner.load(stream)
    }

    fn delete<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, eventsource::Result<()>> {
        if self.failing {
            return Box::pin(async { Err(down()) });
        }
        self.inner.delete(stream)
    }
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Collects the messages of WARN events while its guard lives, on this thread (the cases
/// that use it run on the current-thread runtime, where background writes run too).
#[derive(Clone, Default)]
struct Warnings(Arc<Mutex<Vec<String>>>);

impl Warnings {
    fn capture() -> (Self, tracing::subscriber::DefaultGuard) {
        let warnings = Warnings::default();
        let guard = tracing::subscriber::set_default(warnings.clone());
        (warnings, guard)
    }

    fn messages(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    fn assert_one_containing(&self, text: &str) {
        let messages = self.messages();
        assert!(
            messages.iter().any(|m| m.contains(text)),
            "expected a warning containing {text:?}, got {messages:?}"
        );
    }
}

impl tracing::Subscriber for Warnings {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                use std::fmt::Write;
                let _ = write!(self.0, " {}={value:?}", field.name());
            }
        }
        if *event.metadata().level() == tracing::Level::WARN {
            let mut message = Message(String::new());
            event.record(&mut message);
            self.0.lock().unwrap().push(message.0);
        }
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

type Repo<E> = Repository<Account, E>;

/// A repository of accounts over `events`, snapshotting into `snapshots` as `policy` says.
fn repo_with<E: EventStore + Clone>(
    events: &E,
    snapshots: impl SnapshotStore,
    policy: SnapshotPolicy,
) -> Repo<E> {
    Repository::new(events.clone()).with_snapshots(snapshots, policy)
}

fn stream_of(id: Uuid) -> StreamId {
    StreamId::new("Account", id.to_string())
}

/// Saves `count` deposits of 1 for a new account through a repository without snapshots.
async fn stored_account<E: EventStore + Clone>(events: &E, count: u64) -> Uuid {
    let plain = Repository::<Account, _>::new(events.clone());
    let id = Uuid::now_v7();
    let mut account = plain.create_new(id);
    account.record(deposits(count));
    plain.save(&mut account).await.unwrap();
    id
}

/// A new account of `count` deposits with `snapshot(id)` stored for it through the
/// backend's own snapshot store, and a repository that takes no automatic snapshot.
async fn account_with_snapshot<E: EventStore + Clone, S: SnapshotStore + Clone>(
    events: &E,
    snapshots: &S,
    count: u64,
    snapshot: impl FnOnce(Uuid) -> Snapshot,
) -> (Repo<E>, Uuid) {
    let repo = repo_with(events, snapshots.clone(), SnapshotPolicy::manual());
    let id = stored_account(events, count).await;
    snapshots.save(&snapshot(id)).await.unwrap();
    (repo, id)
}

/// A snapshot written by hand, with a state that replaying the events could not give:
/// loading it back proves the snapshot was used.
fn forged(id: Uuid, version: u64, state: &Account) -> Snapshot {
    Snapshot {
        stream: stream_of(id),
        version,
        schema_version: Account::SNAPSHOT_VERSION,
        state: serde_json::to_string(state).unwrap(),
        taken_at: SystemTime::now(),
    }
}

fn rich(deposits: u64) -> Account {
    Account {
        balance: 1_000_000,
        deposits,
        withdrawals: 0,
    }
}

/// One save per event, `count` times.
async fn save_one_by_one<E: EventStore>(
    repo: &Repo<E>,
    account: &mut AggregateRoot<Account>,
    count: u64,
) {
    for _ in 0..count {
        account.record(Deposited { amount: 1 });
        repo.save(account).await.unwrap();
    }
}

// ---------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------

/// A load starts from the snapshot's state and applies only the events after it.
pub async fn load_restores_the_snapshot_and_applies_the_events_after_it<E, S>(
    events: E,
    snapshots: S,
) where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let (repo, id) =
        account_with_snapshot(&events, &snapshots, 6, |id| forged(id, 5, &rich(5))).await;

    let account = repo.load(id).await.unwrap();
    assert_eq!(account.version(), 6);
    assert_eq!(account.balance, 1_000_001);
    assert_eq!(account.deposits, 6);
}

/// A snapshot of the stream's last event loads as it is, at its version.
pub async fn a_snapshot_with_no_later_events_loads_at_its_version<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let (repo, id) =
        account_with_snapshot(&events, &snapshots, 5, |id| forged(id, 5, &rich(5))).await;

    let account = repo.load(id).await.unwrap();
    assert_eq!(account.version(), 5);
    assert_eq!(account.state(), &rich(5));
}

/// A snapshot stored under another schema version is ignored, with a warning.
pub async fn a_snapshot_of_another_schema_version_falls_back_to_a_full_replay<E, S>(
    events: E,
    snapshots: S,
) where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let (warnings, _guard) = Warnings::capture();
    let (repo, id) = account_with_snapshot(&events, &snapshots, 6, |id| Snapshot {
        schema_version: Account::SNAPSHOT_VERSION + 1,
        ..forged(id, 5, &rich(5))
    })
    .await;

    let account = repo.load(id).await.unwrap();
    assert_eq!((account.version(), account.balance), (6, 6));
    warnings.assert_one_containing("another schema version");
}

/// A snapshot store that fails is logged and the aggregate replayed from its first event,
/// even when the backend holds a usable snapshot.
pub async fn a_failing_snapshot_store_falls_back_to_a_full_replay<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let (warnings, _guard) = Warnings::capture();
    let failing = SnapshotProbe::failing(snapshots.clone());
    let repo = repo_with(&events, failing, SnapshotPolicy::every(2));
    let id = stored_account(&events, 6).await;
    snapshots.save(&forged(id, 5, &rich(5))).await.unwrap();

    let account = repo.load(id).await.unwrap();
    assert_eq!((account.version(), account.balance), (6, 6));
    warnings.assert_one_containing("cannot read the snapshot");
    warnings.assert_one_containing("snapshot store is down");
}

/// A stored state that does not decode as the aggregate is logged and ignored.
pub async fn an_undecodable_snapshot_state_falls_back_to_a_full_replay<E, S>(
    events: E,
    snapshots: S,
) where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    for state in ["not json", r#"{"balance":"lots"}"#, "[]", ""] {
        let (warnings, _guard) = Warnings::capture();
        let (repo, id) = account_with_snapshot(&events, &snapshots, 6, |id| Snapshot {
            state: state.to_owned(),
            ..forged(id, 5, &rich(5))
        })
        .await;

        let account = repo.load(id).await.unwrap();
        assert_eq!((account.version(), account.balance), (6, 6), "{state:?}");
        warnings.assert_one_containing("cannot decode the snapshot");
    }
}

/// A snapshot of a version the stream does not reach is ignored; it never makes an
/// aggregate without events exist.
pub async fn a_snapshot_ahead_of_its_stream_is_not_trusted<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let (warnings, _guard) = Warnings::capture();
    let (repo, id) =
        account_with_snapshot(&events, &snapshots, 3, |id| forged(id, 5, &rich(5))).await;
    let account = repo.load(id).await.unwrap();
    assert_eq!((account.version(), account.balance), (3, 3));
    warnings.assert_one_containing("does not reach the snapshot's version");

    // A snapshot of an aggregate without events does not make it exist.
    let (repo, ghost) =
        account_with_snapshot(&events, &snapshots, 0, |id| forged(id, 5, &rich(5))).await;
    assert!(matches!(
        repo.load(ghost).await,
        Err(Error::NotFound { .. })
    ));
}

/// Neither a snapshot nor events: `NotFound`, naming the aggregate.
pub async fn no_snapshot_and_no_events_is_not_found<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let repo = repo_with(&events, snapshots, SnapshotPolicy::every(1));
    let id = Uuid::now_v7();
    match repo.load(id).await {
        Err(Error::NotFound {
            aggregate_type,
            aggregate_id,
        }) => assert_eq!(
            (aggregate_type.as_str(), aggregate_id),
            ("Account", id.to_string())
        ),
        other => panic!("expected NotFound, got {other:?}"),
    }
}

/// Sixteen loads at once, from the snapshot, all see the saved state.
pub async fn concurrent_loads_agree<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let repo = Arc::new(repo_with(&events, snapshots, SnapshotPolicy::every(10)));
    let id = Uuid::now_v7();
    let mut account = repo.create_new(id);
    for _ in 0..5 {
        account.record(deposits(9));
        account.record(Withdrawn { amount: 2 });
        repo.save(&mut account).await.unwrap();
    }
    let expected = account.state().clone();

    let loads: Vec<_> = (0..16)
        .map(|_| {
            let repo = Arc::clone(&repo);
            tokio::spawn(async move { repo.load(id).await.unwrap() })
        })
        .collect();
    for load in loads {
        let loaded = load.await.unwrap();
        assert_eq!(loaded.version(), 50);
        assert_eq!(loaded.state(), &expected);
    }
}

// ---------------------------------------------------------------------------------------
// The policy: when snapshots are taken
// ---------------------------------------------------------------------------------------

/// Every 3 events, saved one at a time: the third save takes the snapshot.
pub async fn threshold_3_over_three_saves_takes_one_snapshot_at_version_3<E, S>(
    events: E,
    snapshots: S,
) where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let repo = repo_with(&events, snapshots.clone(), SnapshotPolicy::every(3));
    let id = Uuid::now_v7();
    let mut account = repo.create_new(id);
    save_one_by_one(&repo, &mut account, 2).await;
    assert_eq!(snapshots.written(), Vec::<u64>::new());
    save_one_by_one(&repo, &mut account, 1).await;
    assert_eq!(snapshots.written(), [3]);
    let stored = snapshots.load(&stream_of(id)).await.unwrap().unwrap();
    assert_eq!(stored.version, 3);
}

/// Nine events under a threshold of ten: no snapshot.
pub async fn no_snapshot_below_the_threshold<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let repo = repo_with(&events, snapshots.clone(), SnapshotPolicy::every(10));
    let mut account = repo.create_new(Uuid::now_v7());
    account.record(deposits(4));
    repo.save(&mut account).await.unwrap();
    save_one_by_one(&repo, &mut account, 5).await;
    assert_eq!(account.version(), 9);
    assert!(snapshots.written().is_empty());
}

/// Manual mode ignores the threshold.
pub async fn manual_mode_takes_no_automatic_snapshot<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let policy = SnapshotPolicy::every(2).with_mode(SnapshotMode::Manual);
    let repo = repo_with(&events, snapshots.clone(), policy);
    let mut account = repo.create_new(Uuid::now_v7());
    account.record(deposits(10));
    repo.save(&mut account).await.unwrap();
    save_one_by_one(&repo, &mut account, 5).await;
    assert!(snapshots.written().is_empty());
    assert_eq!(repo.wait_for_snapshots().await, 0);
}

/// A save crossing several multiples of the threshold takes one snapshot, at its version.
pub async fn one_save_across_several_multiples_takes_one_snapshot_at_its_version<E, S>(
    events: E,
    snapshots: S,
) where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let repo = repo_with(&events, snapshots.clone(), SnapshotPolicy::every(5));
    let mut account = repo.create_new(Uuid::now_v7());
    account.record(deposits(10));
    repo.save(&mut account).await.unwrap();
    assert_eq!(snapshots.written(), [10]);

    account.record(deposits(12));
    repo.save(&mut account).await.unwrap();
    assert_eq!(snapshots.written(), [10, 22]);
}

/// Saves that step over the multiples still snapshot when they pass one.
pub async fn saves_that_never_land_on_a_multiple_still_snapshot<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let repo = repo_with(&events, snapshots.clone(), SnapshotPolicy::every(5));
    let mut account = repo.create_new(Uuid::now_v7());
    for _ in 0..4 {
        account.record(deposits(3));
        repo.save(&mut account).await.unwrap();
    }
    // Versions 3, 6, 9, 12: 6 passes 5 and 12 passes 10.
    assert_eq!(snapshots.written(), [6, 12]);
}

/// A save with nothing pending writes nothing, a snapshot included.
pub async fn a_save_without_changes_takes_no_snapshot<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let repo = repo_with(&events, snapshots.clone(), SnapshotPolicy::every(1));
    let id = stored_account(&events, 3).await;
    let mut account = repo.load(id).await.unwrap();
    repo.save(&mut account).await.unwrap();
    assert!(snapshots.written().is_empty());
}

/// Each aggregate crosses the threshold on its own.
pub async fn snapshots_are_per_aggregate<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let repo = repo_with(&events, snapshots.clone(), SnapshotPolicy::every(3));
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let mut first = repo.create_new(a);
    let mut second = repo.create_new(b);
    first.record(deposits(3));
    second.record(deposits(2));
    repo.save(&mut first).await.unwrap();
    repo.save(&mut second).await.unwrap();

    assert_eq!(snapshots.stored().await, 1);
    assert!(snapshots.load(&stream_of(a)).await.unwrap().is_some());
    assert!(snapshots.load(&stream_of(b)).await.unwrap().is_none());
    assert_eq!(repo.load(a).await.unwrap().balance, 3);
    assert_eq!(repo.load(b).await.unwrap().balance, 2);

    second.record(deposits(1));
    repo.save(&mut second).await.unwrap();
    assert_eq!(snapshots.stored().await, 2);
}

/// Jitter moves the first snapshot point, then one snapshot per threshold follows.
pub async fn jitter_shifts_the_snapshot_points_but_keeps_one_per_threshold<E, S>(
    events: E,
    snapshots: S,
) where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let repo = repo_with(
        &events,
        snapshots.clone(),
        SnapshotPolicy::every(10).jitter(10),
    );
    let mut account = repo.create_new(Uuid::now_v7());
    save_one_by_one(&repo, &mut account, 30).await;
    let written = snapshots.written();
    assert_eq!(written.len(), 3, "{written:?}");
    assert!((1..=10).contains(&written[0]), "{written:?}");
    assert_eq!(written, [written[0], written[0] + 10, written[0] + 20]);
}

/// A failing snapshot store is logged; the save succeeds, in either automatic mode.
pub async fn a_failing_snapshot_store_never_fails_a_save<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    for mode in [SnapshotMode::Sync, SnapshotMode::Background] {
        let (warnings, _guard) = Warnings::capture();
        let failing = SnapshotProbe::failing(snapshots.clone());
        let repo = repo_with(&events, failing, SnapshotPolicy::every(2).with_mode(mode));
        let id = Uuid::now_v7();
        let mut account = repo.create_new(id);
        account.record(deposits(5));
        repo.save(&mut account).await.unwrap();
        let expected_waits = usize::from(mode == SnapshotMode::Background);
        assert_eq!(repo.wait_for_snapshots().await, expected_waits);

        assert_eq!(events.stream_version(&stream_of(id)).await.unwrap(), 5);
        warnings.assert_one_containing("storing the snapshot failed");
        assert_eq!(repo.load(id).await.unwrap().balance, 5);
        assert_eq!(snapshots.load(&stream_of(id)).await.unwrap(), None);
    }
}

// ---------------------------------------------------------------------------------------
// Background mode
// ---------------------------------------------------------------------------------------

/// In background mode a save returns while its snapshot write is still held.
pub async fn background_save_returns_before_the_snapshot_is_written<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::gated(snapshots);
    let repo = repo_with(
        &events,
        snapshots.clone(),
        SnapshotPolicy::every(2).background(),
    );
    let id = Uuid::now_v7();
    let mut account = repo.create_new(id);
    account.record(deposits(2));
    repo.save(&mut account).await.unwrap();
    account.record(deposits(2));
    repo.save(&mut account).await.unwrap();
    tokio::task::yield_now().await;

    // Both writes are held by the gate, yet both saves returned.
    assert!(snapshots.written().is_empty());
    assert!(
        snapshots
            .inner()
            .load(&stream_of(id))
            .await
            .unwrap()
            .is_none()
    );

    snapshots.open();
    assert_eq!(repo.wait_for_snapshots().await, 2);
    let mut written = snapshots.written();
    written.sort_unstable();
    assert_eq!(written, [2, 4]);
    let stored = snapshots.load(&stream_of(id)).await.unwrap().unwrap();
    assert_eq!(stored.version, 4);
    assert_eq!(repo.wait_for_snapshots().await, 0);
}

/// The wait counts the background writes scheduled since the last one, finished or not.
pub async fn waiting_counts_background_snapshots_that_already_finished<E, S>(
    events: E,
    snapshots: S,
) where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let repo = repo_with(
        &events,
        snapshots.clone(),
        SnapshotPolicy::every(1).background(),
    );
    let mut account = repo.create_new(Uuid::now_v7());
    for _ in 0..5 {
        account.record(deposits(1));
        repo.save(&mut account).await.unwrap();
        tokio::task::yield_now().await;
    }
    assert_eq!(repo.wait_for_snapshots().await, 5);
    assert_eq!(snapshots.written().len(), 5);
}

// ---------------------------------------------------------------------------------------
// create_snapshot
// ---------------------------------------------------------------------------------------

/// `create_snapshot` on a repository without a snapshot store: `NoSnapshotStore`.
pub async fn create_snapshot_without_a_snapshot_store_is_a_typed_error<E, S>(
    events: E,
    _snapshots: S,
) where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let repo = Repository::<Account, _>::new(events);
    let mut account = repo.create_new(Uuid::now_v7());
    account.record(deposits(1));
    repo.save(&mut account).await.unwrap();
    match repo.create_snapshot(&account).await {
        Err(Error::NoSnapshotStore { aggregate_type }) => assert_eq!(aggregate_type, "Account"),
        other => panic!("expected NoSnapshotStore, got {other:?}"),
    }
}

/// `create_snapshot` works whatever the mode, stores the snapshot and returns it.
pub async fn create_snapshot_works_in_manual_mode_and_returns_the_snapshot<E, S>(
    events: E,
    snapshots: S,
) where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let repo = repo_with(&events, snapshots.clone(), SnapshotPolicy::manual());
    let id = stored_account(&events, 4).await;
    let account = repo.load(id).await.unwrap();

    let snapshot = repo.create_snapshot(&account).await.unwrap();
    assert_eq!(snapshot.stream, stream_of(id));
    assert_eq!(snapshot.version, 4);
    assert_eq!(snapshot.schema_version, 1);
    let state: Account = serde_json::from_str(&snapshot.state).unwrap();
    assert_eq!(&state, account.state());
    assert!(snapshot.taken_at <= SystemTime::now());
    assert_eq!(
        snapshots.load(&stream_of(id)).await.unwrap(),
        Some(snapshot)
    );
}

/// A second `create_snapshot` replaces the first.
pub async fn create_snapshot_replaces_the_previous_one<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let repo = repo_with(&events, snapshots.clone(), SnapshotPolicy::manual());
    let id = Uuid::now_v7();
    let mut account = repo.create_new(id);
    account.record(deposits(3));
    repo.save(&mut account).await.unwrap();
    repo.create_snapshot(&account).await.unwrap();
    account.record(Withdrawn { amount: 1 });
    repo.save(&mut account).await.unwrap();
    repo.create_snapshot(&account).await.unwrap();

    assert_eq!(snapshots.stored().await, 1);
    let stored = snapshots.load(&stream_of(id)).await.unwrap().unwrap();
    assert_eq!(stored.version, 4);
    assert_eq!(repo.load(id).await.unwrap().balance, 2);
}

/// A snapshot of an older state is returned but never replaces the newer stored one.
pub async fn create_snapshot_of_an_older_version_keeps_the_newer_snapshot<E, S>(
    events: E,
    snapshots: S,
) where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let repo = repo_with(&events, snapshots.clone(), SnapshotPolicy::manual());
    let id = stored_account(&events, 2).await;
    let stale = repo.load(id).await.unwrap();
    let mut fresh = repo.load(id).await.unwrap();
    fresh.record(deposits(3));
    repo.save(&mut fresh).await.unwrap();
    repo.create_snapshot(&fresh).await.unwrap();

    let older = repo.create_snapshot(&stale).await.unwrap();
    assert_eq!(older.version, 2);
    let stored = snapshots.load(&stream_of(id)).await.unwrap().unwrap();
    assert_eq!(stored.version, 5);
}

/// A new aggregate, or one with unsaved events, has no snapshot to take.
pub async fn create_snapshot_refuses_a_state_that_is_not_saved<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let repo = repo_with(&events, snapshots.clone(), SnapshotPolicy::manual());
    let id = Uuid::now_v7();
    let mut account = repo.create_new(id);
    assert!(matches!(
        repo.create_snapshot(&account).await,
        Err(Error::UnsavedAggregate {
            version: 0,
            pending: 0,
            ..
        })
    ));
    account.record(deposits(2));
    assert!(matches!(
        repo.create_snapshot(&account).await,
        Err(Error::UnsavedAggregate {
            version: 2,
            pending: 2,
            ..
        })
    ));
    assert!(snapshots.written().is_empty());
    assert_eq!(snapshots.load(&stream_of(id)).await.unwrap(), None);
}

/// `create_snapshot` returns the store's error.
pub async fn create_snapshot_reports_a_failing_store<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let repo = repo_with(
        &events,
        SnapshotProbe::failing(snapshots),
        SnapshotPolicy::manual(),
    );
    let id = stored_account(&events, 1).await;
    let account = repo.load(id).await.unwrap();
    assert!(matches!(
        repo.create_snapshot(&account).await,
        Err(Error::Backend(_))
    ));
}

// ---------------------------------------------------------------------------------------
// Whole cycles and schema versions
// ---------------------------------------------------------------------------------------

/// Save, load from the snapshot, save again, update: the state always matches a replay.
pub async fn a_full_cycle_continues_correctly_after_loading_from_a_snapshot<E, S>(
    events: E,
    snapshots: S,
) where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let repo = repo_with(&events, snapshots.clone(), SnapshotPolicy::every(5));
    let plain = Repository::<Account, _>::new(events);
    let id = Uuid::now_v7();
    let mut account = repo.create_new(id);
    account.record(deposits(7));
    repo.save(&mut account).await.unwrap();
    assert_eq!(snapshots.written(), [7]);

    let mut account = repo.load(id).await.unwrap();
    assert_eq!(account.version(), 7);
    account.record((Withdrawn { amount: 2 }, Deposited { amount: 10 }));
    repo.save(&mut account).await.unwrap();
    assert_eq!(snapshots.written(), [7]);
    account.record(Withdrawn { amount: 1 });
    repo.save(&mut account).await.unwrap();
    assert_eq!(snapshots.written(), [7, 10]);

    let updated = repo
        .update(id, |_| Ok::<_, std::convert::Infallible>(deposits(2)))
        .await
        .unwrap();
    assert_eq!(updated.version(), 12);

    let from_snapshot = repo.load(id).await.unwrap();
    let replayed = plain.load(id).await.unwrap();
    assert_eq!(from_snapshot.version(), 12);
    assert_eq!(from_snapshot.state(), replayed.state());
    assert_eq!(
        from_snapshot.state(),
        &Account {
            balance: 16,
            deposits: 10,
            withdrawals: 2
        }
    );
}

/// `Account` as a later release declares it: the same stored type and events, a new
/// snapshot schema version.
#[derive(Aggregate, Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(crate = "eventsource::serde")]
#[aggregate(name = "Account", events(Deposited, Withdrawn), snapshot(version = 2))]
struct AccountV2 {
    balance: i64,
    movements: u64,
}

#[apply]
impl AccountV2 {
    fn on_deposited(&mut self, e: &Deposited) {
        self.balance += e.amount;
        self.movements += 1;
    }
    fn on_withdrawn(&mut self, e: &Withdrawn) {
        self.balance -= e.amount;
        self.movements += 1;
    }
}

/// A release that raises the snapshot schema version replays in full once (with a
/// warning), then stores and uses snapshots of the new version.
pub async fn raising_the_snapshot_version_forces_a_full_replay<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let (warnings, _guard) = Warnings::capture();
    let snapshots = SnapshotProbe::new(snapshots);
    let v1 = repo_with(&events, snapshots.clone(), SnapshotPolicy::every(3));
    let id = Uuid::now_v7();
    let mut account = v1.create_new(id);
    account.record((deposits(3), Withdrawn { amount: 1 }));
    v1.save(&mut account).await.unwrap();
    assert_eq!(snapshots.written(), [4]);

    let v2 = Repository::<AccountV2, _>::new(events)
        .with_snapshots(snapshots.clone(), SnapshotPolicy::every(3));
    let mut account = v2.load(id).await.unwrap();
    assert_eq!(account.version(), 4);
    assert_eq!(
        account.state(),
        &AccountV2 {
            balance: 2,
            movements: 4
        }
    );
    warnings.assert_one_containing("another schema version");

    // The next crossing stores a snapshot of the new version, which loads without warning.
    account.record(deposits(2));
    v2.save(&mut account).await.unwrap();
    assert_eq!(snapshots.written(), [4, 6]);
    let stored = snapshots.load(&stream_of(id)).await.unwrap().unwrap();
    assert_eq!(stored.schema_version, 2);
    let before = warnings.messages().len();
    assert_eq!(v2.load(id).await.unwrap().movements, 6);
    assert_eq!(warnings.messages().len(), before);
}

// ---------------------------------------------------------------------------------------
// A custom snapshot type
// ---------------------------------------------------------------------------------------

/// Keeps every amount; its snapshot keeps only the amounts, the total is recomputed.
#[derive(Aggregate, Debug, Default, Clone, PartialEq)]
#[aggregate(name = "Tally", events(Deposited), snapshot(version = 1, with = TallySnapshot))]
struct Tally {
    amounts: Vec<i64>,
    total: i64,
}

#[apply]
impl Tally {
    fn on_deposited(&mut self, e: &Deposited) {
        self.amounts.push(e.amount);
        self.total += e.amount;
    }
}

#[derive(Serialize, Deserialize)]
#[serde(crate = "eventsource::serde")]
struct TallySnapshot {
    amounts: Vec<i64>,
}

impl From<&Tally> for TallySnapshot {
    fn from(tally: &Tally) -> Self {
        TallySnapshot {
            amounts: tally.amounts.clone(),
        }
    }
}

impl From<TallySnapshot> for Tally {
    fn from(snapshot: TallySnapshot) -> Self {
        Tally {
            total: snapshot.amounts.iter().sum(),
            amounts: snapshot.amounts,
        }
    }
}

/// A snapshot type of the aggregate's own (`with = ...`) is what is stored and restored.
pub async fn a_custom_snapshot_type_is_stored_and_restored<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let repo = Repository::<Tally, _>::new(events)
        .with_snapshots(snapshots.clone(), SnapshotPolicy::every(3));
    let id = Uuid::now_v7();
    let mut tally = repo.create_new(id);
    tally.record([1, 2, 3].map(|amount| Deposited { amount }));
    repo.save(&mut tally).await.unwrap();

    let stored = snapshots
        .load(&StreamId::new("Tally", id.to_string()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.state, r#"{"amounts":[1,2,3]}"#);

    tally.record(Deposited { amount: 4 });
    repo.save(&mut tally).await.unwrap();
    let loaded = repo.load(id).await.unwrap();
    assert_eq!(loaded.version(), 4);
    assert_eq!(
        loaded.state(),
        &Tally {
            amounts: vec![1, 2, 3, 4],
            total: 10
        }
    );
}
