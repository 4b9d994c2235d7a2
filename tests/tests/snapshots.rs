//! Snapshots through the repository: the policy and its modes, loading from a snapshot,
//! every fallback to a full replay, and `create_snapshot`. On the in-memory stores, with
//! test doubles for a failing and a slow snapshot store.

use eventsource::prelude::*;
use eventsource::store::StreamId;
use eventsource::{BoxFuture, Error, Snapshot, SnapshotStore, Snapshottable};
use eventsource_tests::fixtures::{Account, Deposited, Withdrawn, deposits};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tokio::sync::Semaphore;

type Repo = Repository<Account, InMemoryEventStore>;

// ---------------------------------------------------------------------------------------
// Test doubles and helpers
// ---------------------------------------------------------------------------------------

/// A snapshot store that fails every call.
struct FailingStore;

impl SnapshotStore for FailingStore {
    fn save<'a>(&'a self, _: &'a Snapshot) -> BoxFuture<'a, eventsource::Result<()>> {
        Box::pin(async { Err(Error::backend("snapshot store is down")) })
    }

    fn load<'a>(&'a self, _: &'a StreamId) -> BoxFuture<'a, eventsource::Result<Option<Snapshot>>> {
        Box::pin(async { Err(Error::backend("snapshot store is down")) })
    }

    fn delete<'a>(&'a self, _: &'a StreamId) -> BoxFuture<'a, eventsource::Result<()>> {
        Box::pin(async { Err(Error::backend("snapshot store is down")) })
    }
}

/// An in-memory snapshot store that records the version of every write, and whose writes
/// can be held until [`open`](Self::open) is called.
#[derive(Clone, Default)]
struct RecordingStore {
    inner: InMemorySnapshotStore,
    written: Arc<Mutex<Vec<u64>>>,
    gate: Option<Arc<Semaphore>>,
}

impl RecordingStore {
    /// A store whose writes wait until [`open`](Self::open).
    fn gated() -> Self {
        RecordingStore {
            gate: Some(Arc::new(Semaphore::new(0))),
            ..Self::default()
        }
    }

    fn open(&self) {
        if let Some(gate) = &self.gate {
            gate.add_permits(1);
        }
    }

    /// The versions written so far, in order.
    fn written(&self) -> Vec<u64> {
        self.written.lock().unwrap().clone()
    }
}

impl SnapshotStore for RecordingStore {
    fn save<'a>(&'a self, snapshot: &'a Snapshot) -> BoxFuture<'a, eventsource::Result<()>> {
        Box::pin(async move {
            if let Some(gate) = &self.gate {
                let _pass = gate.acquire().await.expect("the gate is never closed");
            }
            self.written.lock().unwrap().push(snapshot.version);
            self.inner.save(snapshot).await
        })
    }

    fn load<'a>(
        &'a self,
        stream: &'a StreamId,
    ) -> BoxFuture<'a, eventsource::Result<Option<Snapshot>>> {
        self.inner.load(stream)
    }

    fn delete<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, eventsource::Result<()>> {
        self.inner.delete(stream)
    }
}

/// Collects the messages of WARN events while its guard lives (on this thread: the tests
/// that use it run on the current-thread runtime).
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

fn repo_with(snapshots: impl SnapshotStore, policy: SnapshotPolicy) -> (Repo, InMemoryEventStore) {
    let events = InMemoryEventStore::new();
    let repo = Repository::new(events.clone()).with_snapshots(snapshots, policy);
    (repo, events)
}

fn stream_of(id: Uuid) -> StreamId {
    StreamId::new("Account", id.to_string())
}

/// Saves `count` deposits of 1 for a new account through a repository without snapshots.
async fn stored_account(events: &InMemoryEventStore, count: u64) -> Uuid {
    let plain = Repository::<Account, _>::new(events.clone());
    let id = Uuid::now_v7();
    let mut account = plain.create_new(id);
    account.record(deposits(count));
    plain.save(&mut account).await.unwrap();
    id
}

/// An account of `events` deposits with `snapshot(id)` stored for it, and a repository
/// that takes no automatic snapshot.
async fn account_with_snapshot(
    events: u64,
    snapshot: impl FnOnce(Uuid) -> Snapshot,
) -> (Repo, Uuid) {
    let snapshots = InMemorySnapshotStore::new();
    let (repo, event_store) = repo_with(snapshots.clone(), SnapshotPolicy::manual());
    let id = stored_account(&event_store, events).await;
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
async fn save_one_by_one(repo: &Repo, account: &mut AggregateRoot<Account>, count: u64) {
    for _ in 0..count {
        account.record(Deposited { amount: 1 });
        repo.save(account).await.unwrap();
    }
}

// ---------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------

#[test]
fn a_new_repository_has_no_snapshot_store_no_threshold_and_sync_mode() {
    let repo = Repository::<Account, _>::new(InMemoryEventStore::new());
    assert!(repo.snapshot_store().is_none());
    assert_eq!(repo.snapshot_policy(), SnapshotPolicy::default());
    assert_eq!(repo.snapshot_policy().threshold(), None);
    assert_eq!(repo.snapshot_policy().mode(), SnapshotMode::Sync);

    let repo = repo.with_snapshots(
        InMemorySnapshotStore::new(),
        SnapshotPolicy::every(10).background().jitter(3),
    );
    assert!(repo.snapshot_store().is_some());
    assert_eq!(repo.snapshot_policy().threshold(), Some(10));
    assert_eq!(repo.snapshot_policy().mode(), SnapshotMode::Background);
    assert_eq!(repo.snapshot_policy().max_jitter(), 3);
}

#[test]
fn repository_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let (repo, _) = repo_with(InMemorySnapshotStore::new(), SnapshotPolicy::every(1));
    let mut root = repo.create_new(Uuid::now_v7());
    assert_send(&repo.load(Uuid::now_v7()));
    assert_send(&repo.create_snapshot(&root));
    assert_send(&repo.wait_for_snapshots());
    assert_send(&repo.save(&mut root));
}

// ---------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn load_restores_the_snapshot_and_applies_the_events_after_it() {
    let (repo, id) = account_with_snapshot(6, |id| forged(id, 5, &rich(5))).await;

    let account = repo.load(id).await.unwrap();
    assert_eq!(account.version(), 6);
    assert_eq!(account.balance, 1_000_001);
    assert_eq!(account.deposits, 6);
}

#[tokio::test]
async fn a_snapshot_with_no_later_events_loads_at_its_version() {
    let (repo, id) = account_with_snapshot(5, |id| forged(id, 5, &rich(5))).await;

    let account = repo.load(id).await.unwrap();
    assert_eq!(account.version(), 5);
    assert_eq!(account.state(), &rich(5));
}

#[tokio::test]
async fn a_snapshot_of_another_schema_version_falls_back_to_a_full_replay() {
    let (warnings, _guard) = Warnings::capture();
    let (repo, id) = account_with_snapshot(6, |id| Snapshot {
        schema_version: Account::SNAPSHOT_VERSION + 1,
        ..forged(id, 5, &rich(5))
    })
    .await;

    let account = repo.load(id).await.unwrap();
    assert_eq!((account.version(), account.balance), (6, 6));
    warnings.assert_one_containing("another schema version");
}

#[tokio::test]
async fn a_failing_snapshot_store_falls_back_to_a_full_replay() {
    let (warnings, _guard) = Warnings::capture();
    let (repo, events) = repo_with(FailingStore, SnapshotPolicy::every(2));
    let id = stored_account(&events, 6).await;

    let account = repo.load(id).await.unwrap();
    assert_eq!((account.version(), account.balance), (6, 6));
    warnings.assert_one_containing("cannot read the snapshot");
    warnings.assert_one_containing("snapshot store is down");
}

#[tokio::test]
async fn an_undecodable_snapshot_state_falls_back_to_a_full_replay() {
    for state in ["not json", r#"{"balance":"lots"}"#, "[]", ""] {
        let (warnings, _guard) = Warnings::capture();
        let (repo, id) = account_with_snapshot(6, |id| Snapshot {
            state: state.to_owned(),
            ..forged(id, 5, &rich(5))
        })
        .await;

        let account = repo.load(id).await.unwrap();
        assert_eq!((account.version(), account.balance), (6, 6), "{state:?}");
        warnings.assert_one_containing("cannot decode the snapshot");
    }
}

#[tokio::test]
async fn a_snapshot_ahead_of_its_stream_is_not_trusted() {
    let (warnings, _guard) = Warnings::capture();
    let (repo, id) = account_with_snapshot(3, |id| forged(id, 5, &rich(5))).await;
    let account = repo.load(id).await.unwrap();
    assert_eq!((account.version(), account.balance), (3, 3));
    warnings.assert_one_containing("does not reach the snapshot's version");

    // A snapshot of an aggregate without events does not make it exist.
    let (repo, ghost) = account_with_snapshot(0, |id| forged(id, 5, &rich(5))).await;
    assert!(matches!(
        repo.load(ghost).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn no_snapshot_and_no_events_is_not_found() {
    let (repo, _) = repo_with(InMemorySnapshotStore::new(), SnapshotPolicy::every(1));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_loads_agree() {
    let (repo, _) = repo_with(InMemorySnapshotStore::new(), SnapshotPolicy::every(10));
    let repo = Arc::new(repo);
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

#[tokio::test]
async fn threshold_3_over_three_saves_takes_one_snapshot_at_version_3() {
    let snapshots = RecordingStore::default();
    let (repo, _) = repo_with(snapshots.clone(), SnapshotPolicy::every(3));
    let id = Uuid::now_v7();
    let mut account = repo.create_new(id);
    save_one_by_one(&repo, &mut account, 2).await;
    assert_eq!(snapshots.written(), Vec::<u64>::new());
    save_one_by_one(&repo, &mut account, 1).await;
    assert_eq!(snapshots.written(), [3]);
    let stored = snapshots.load(&stream_of(id)).await.unwrap().unwrap();
    assert_eq!(stored.version, 3);
}

#[tokio::test]
async fn no_snapshot_below_the_threshold() {
    let snapshots = RecordingStore::default();
    let (repo, _) = repo_with(snapshots.clone(), SnapshotPolicy::every(10));
    let mut account = repo.create_new(Uuid::now_v7());
    account.record(deposits(4));
    repo.save(&mut account).await.unwrap();
    save_one_by_one(&repo, &mut account, 5).await;
    assert_eq!(account.version(), 9);
    assert!(snapshots.written().is_empty());
}

#[tokio::test]
async fn manual_mode_takes_no_automatic_snapshot() {
    let snapshots = RecordingStore::default();
    let policy = SnapshotPolicy::every(2).with_mode(SnapshotMode::Manual);
    let (repo, _) = repo_with(snapshots.clone(), policy);
    let mut account = repo.create_new(Uuid::now_v7());
    account.record(deposits(10));
    repo.save(&mut account).await.unwrap();
    save_one_by_one(&repo, &mut account, 5).await;
    assert!(snapshots.written().is_empty());
    assert_eq!(repo.wait_for_snapshots().await, 0);
}

#[tokio::test]
async fn one_save_across_several_multiples_takes_one_snapshot_at_its_version() {
    let snapshots = RecordingStore::default();
    let (repo, _) = repo_with(snapshots.clone(), SnapshotPolicy::every(5));
    let mut account = repo.create_new(Uuid::now_v7());
    account.record(deposits(10));
    repo.save(&mut account).await.unwrap();
    assert_eq!(snapshots.written(), [10]);

    account.record(deposits(12));
    repo.save(&mut account).await.unwrap();
    assert_eq!(snapshots.written(), [10, 22]);
}

#[tokio::test]
async fn saves_that_never_land_on_a_multiple_still_snapshot() {
    let snapshots = RecordingStore::default();
    let (repo, _) = repo_with(snapshots.clone(), SnapshotPolicy::every(5));
    let mut account = repo.create_new(Uuid::now_v7());
    for _ in 0..4 {
        account.record(deposits(3));
        repo.save(&mut account).await.unwrap();
    }
    // Versions 3, 6, 9, 12: 6 passes 5 and 12 passes 10.
    assert_eq!(snapshots.written(), [6, 12]);
}

#[tokio::test]
async fn a_save_without_changes_takes_no_snapshot() {
    let snapshots = RecordingStore::default();
    let (repo, events) = repo_with(snapshots.clone(), SnapshotPolicy::every(1));
    let id = stored_account(&events, 3).await;
    let mut account = repo.load(id).await.unwrap();
    repo.save(&mut account).await.unwrap();
    assert!(snapshots.written().is_empty());
}

#[tokio::test]
async fn snapshots_are_per_aggregate() {
    let snapshots = RecordingStore::default();
    let (repo, _) = repo_with(snapshots.clone(), SnapshotPolicy::every(3));
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let mut first = repo.create_new(a);
    let mut second = repo.create_new(b);
    first.record(deposits(3));
    second.record(deposits(2));
    repo.save(&mut first).await.unwrap();
    repo.save(&mut second).await.unwrap();

    assert_eq!(snapshots.inner.len(), 1);
    assert!(snapshots.load(&stream_of(a)).await.unwrap().is_some());
    assert!(snapshots.load(&stream_of(b)).await.unwrap().is_none());
    assert_eq!(repo.load(a).await.unwrap().balance, 3);
    assert_eq!(repo.load(b).await.unwrap().balance, 2);

    second.record(deposits(1));
    repo.save(&mut second).await.unwrap();
    assert_eq!(snapshots.inner.len(), 2);
}

#[tokio::test]
async fn jitter_shifts_the_snapshot_points_but_keeps_one_per_threshold() {
    let snapshots = RecordingStore::default();
    let (repo, _) = repo_with(snapshots.clone(), SnapshotPolicy::every(10).jitter(10));
    let mut account = repo.create_new(Uuid::now_v7());
    save_one_by_one(&repo, &mut account, 30).await;
    let written = snapshots.written();
    assert_eq!(written.len(), 3, "{written:?}");
    assert!((1..=10).contains(&written[0]), "{written:?}");
    assert_eq!(written, [written[0], written[0] + 10, written[0] + 20]);
}

#[tokio::test]
async fn a_failing_snapshot_store_never_fails_a_save() {
    for mode in [SnapshotMode::Sync, SnapshotMode::Background] {
        let (warnings, _guard) = Warnings::capture();
        let (repo, events) = repo_with(FailingStore, SnapshotPolicy::every(2).with_mode(mode));
        let id = Uuid::now_v7();
        let mut account = repo.create_new(id);
        account.record(deposits(5));
        repo.save(&mut account).await.unwrap();
        let expected_waits = usize::from(mode == SnapshotMode::Background);
        assert_eq!(repo.wait_for_snapshots().await, expected_waits);

        assert_eq!(events.stream_version(&stream_of(id)).await.unwrap(), 5);
        warnings.assert_one_containing("storing the snapshot failed");
        assert_eq!(repo.load(id).await.unwrap().balance, 5);
    }
}

// ---------------------------------------------------------------------------------------
// Background mode
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn background_save_returns_before_the_snapshot_is_written() {
    let snapshots = RecordingStore::gated();
    let (repo, _) = repo_with(snapshots.clone(), SnapshotPolicy::every(2).background());
    let id = Uuid::now_v7();
    let mut account = repo.create_new(id);
    account.record(deposits(2));
    repo.save(&mut account).await.unwrap();
    account.record(deposits(2));
    repo.save(&mut account).await.unwrap();
    tokio::task::yield_now().await;

    // Both writes are held by the gate, yet both saves returned.
    assert!(snapshots.written().is_empty());
    assert!(snapshots.inner.is_empty());

    snapshots.open();
    assert_eq!(repo.wait_for_snapshots().await, 2);
    let mut written = snapshots.written();
    written.sort_unstable();
    assert_eq!(written, [2, 4]);
    let stored = snapshots.load(&stream_of(id)).await.unwrap().unwrap();
    assert_eq!(stored.version, 4);
    assert_eq!(repo.wait_for_snapshots().await, 0);
}

#[tokio::test]
async fn waiting_counts_background_snapshots_that_already_finished() {
    let snapshots = RecordingStore::default();
    let (repo, _) = repo_with(snapshots.clone(), SnapshotPolicy::every(1).background());
    let mut account = repo.create_new(Uuid::now_v7());
    for _ in 0..5 {
        account.record(deposits(1));
        repo.save(&mut account).await.unwrap();
        tokio::task::yield_now().await;
    }
    assert_eq!(repo.wait_for_snapshots().await, 5);
    assert_eq!(snapshots.written().len(), 5);
}

#[test]
fn background_mode_without_a_tokio_runtime_writes_the_snapshot_in_place() {
    let snapshots = RecordingStore::default();
    let (repo, _) = repo_with(snapshots.clone(), SnapshotPolicy::every(1).background());
    let mut account = repo.create_new(Uuid::now_v7());
    account.record(deposits(1));
    block_on(repo.save(&mut account)).unwrap();
    assert_eq!(snapshots.written(), [1]);
}

/// Polls a future that needs no runtime (the in-memory stores are always ready).
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::yield_now();
    }
}

// ---------------------------------------------------------------------------------------
// create_snapshot
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn create_snapshot_without_a_snapshot_store_is_a_typed_error() {
    let repo = Repository::<Account, _>::new(InMemoryEventStore::new());
    let mut account = repo.create_new(Uuid::now_v7());
    account.record(deposits(1));
    repo.save(&mut account).await.unwrap();
    match repo.create_snapshot(&account).await {
        Err(Error::NoSnapshotStore { aggregate_type }) => assert_eq!(aggregate_type, "Account"),
        other => panic!("expected NoSnapshotStore, got {other:?}"),
    }
}

#[tokio::test]
async fn create_snapshot_works_in_manual_mode_and_returns_the_snapshot() {
    let snapshots = InMemorySnapshotStore::new();
    let (repo, events) = repo_with(snapshots.clone(), SnapshotPolicy::manual());
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

#[tokio::test]
async fn create_snapshot_replaces_the_previous_one() {
    let snapshots = InMemorySnapshotStore::new();
    let (repo, _) = repo_with(snapshots.clone(), SnapshotPolicy::manual());
    let id = Uuid::now_v7();
    let mut account = repo.create_new(id);
    account.record(deposits(3));
    repo.save(&mut account).await.unwrap();
    repo.create_snapshot(&account).await.unwrap();
    account.record(Withdrawn { amount: 1 });
    repo.save(&mut account).await.unwrap();
    repo.create_snapshot(&account).await.unwrap();

    assert_eq!(snapshots.len(), 1);
    let stored = snapshots.load(&stream_of(id)).await.unwrap().unwrap();
    assert_eq!(stored.version, 4);
    assert_eq!(repo.load(id).await.unwrap().balance, 2);
}

#[tokio::test]
async fn create_snapshot_of_an_older_version_keeps_the_newer_snapshot() {
    let snapshots = InMemorySnapshotStore::new();
    let (repo, events) = repo_with(snapshots.clone(), SnapshotPolicy::manual());
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

#[tokio::test]
async fn create_snapshot_refuses_a_state_that_is_not_saved() {
    let snapshots = InMemorySnapshotStore::new();
    let (repo, _) = repo_with(snapshots.clone(), SnapshotPolicy::manual());
    let mut account = repo.create_new(Uuid::now_v7());
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
    assert!(snapshots.is_empty());
}

#[tokio::test]
async fn create_snapshot_reports_a_failing_store() {
    let (repo, events) = repo_with(FailingStore, SnapshotPolicy::manual());
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

#[tokio::test]
async fn a_full_cycle_continues_correctly_after_loading_from_a_snapshot() {
    let snapshots = RecordingStore::default();
    let (repo, events) = repo_with(snapshots.clone(), SnapshotPolicy::every(5));
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

#[tokio::test]
async fn raising_the_snapshot_version_forces_a_full_replay() {
    let (warnings, _guard) = Warnings::capture();
    let snapshots = RecordingStore::default();
    let (v1, events) = repo_with(snapshots.clone(), SnapshotPolicy::every(3));
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

#[tokio::test]
async fn a_custom_snapshot_type_is_stored_and_restored() {
    let snapshots = InMemorySnapshotStore::new();
    let repo = Repository::<Tally, _>::new(InMemoryEventStore::new())
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
