//! The subscription suite: what a subscription guarantees, on every store that keeps
//! checkpoints ([`SubscriptionStore`]). Each backend's test file calls
//! [`subscription_suite!`](crate::subscription_suite) with a factory of fresh stores.
//!
//! Every case says whether it checks at-least-once delivery (a redelivered event is
//! allowed, a skipped one never) or that each event arrived exactly once (no crash happens
//! in the case, so nothing may be delivered twice either).

use crate::fixtures::{Deposited, feed_positions, raw, raw_events, task_stream};
use eventsource::prelude::*;
use eventsource::{Error, RetryPolicy};
use eventsource::{EventStore, StreamId, store::SubscriptionStore};
use eventsource::{
    RecordedEvent,
    subscription::{
        CheckpointEvery, OnFailure, StartFrom, SubscriptionHandle, SubscriptionOptions,
        SubscriptionRunner, SubscriptionState, SubscriptionStatus, replay_parked,
    },
};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Generates one `#[tokio::test]` per case for a store factory (`async { Option<S> }`,
/// `None` when the backend is unavailable).
#[macro_export]
macro_rules! subscription_suite {
    ($factory:expr) => {
        $crate::subscription_suite!(@cases $factory;
            catches_up_on_ten_thousand_events_then_follows_live_appends,
            restart_resumes_after_the_checkpoint_without_redelivery,
            checkpoint_lags_handled_events_by_at_most_the_interval,
            graceful_stop_stores_the_checkpoint,
            failing_handler_is_retried_then_parked_and_skipped,
            failing_handler_stops_the_subscription_before_the_event,
            handler_that_recovers_within_the_retries_parks_nothing,
            parked_events_are_listed_replayed_and_discarded,
            undecodable_payload_is_parked_without_retries,
            unhandled_event_types_are_passed_over_undecoded,
            filters_by_aggregate_type_and_event_type_and_move_the_checkpoint,
            start_from_end_sees_only_new_events,
            status_reports_lag_while_catching_up_and_none_when_live,
            concurrent_writers_while_following_live_deliver_every_event_once,
            second_subscription_of_the_same_name_is_refused,
        );
    };
    (@cases $factory:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                match $factory.await {
                    Some(store) => $crate::subscription_suite::$case(store).await,
                    None => eprintln!("SKIPPED {}: store backend unavailable", stringify!($case)),
                }
            }
        )*
    };
}

/// What every case needs of a store.
pub trait Store: EventStore + SubscriptionStore + Clone {}
impl<S: EventStore + SubscriptionStore + Clone> Store for S {}

/// How long a case waits for the subscription to reach a state before it fails.
const PATIENCE: Duration = Duration::from_secs(60);

/// What the recording projection saw, shared with the test.
#[derive(Debug, Default)]
pub struct Seen {
    /// Positions handled, in order (a position twice means a redelivery).
    pub positions: Vec<u64>,
    /// Handler calls per position, failed ones included.
    pub calls: Vec<u64>,
}

/// A projection that records every delivery and can fail or wait on chosen events.
pub struct Recorder {
    seen: Arc<Mutex<Seen>>,
    /// Fails the event at this position this many times (`u32::MAX`: always).
    fail: Option<(u64, u32)>,
    /// Waits for a permit before handling the event at this position.
    gate: Option<(u64, Arc<Semaphore>)>,
}

impl Recorder {
    /// A recorder and what it will see.
    pub fn new() -> (Self, Arc<Mutex<Seen>>) {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let recorder = Recorder {
            seen: Arc::clone(&seen),
            fail: None,
            gate: None,
        };
        (recorder, seen)
    }

    fn failing_at(mut self, position: u64, times: u32) -> Self {
        self.fail = Some((position, times));
        self
    }

    fn gated_at(mut self, position: u64, gate: Arc<Semaphore>) -> Self {
        self.gate = Some((position, gate));
        self
    }

    async fn record(&mut self, envelope: &RecordedEvent) -> Result<(), String> {
        if let Some((at, gate)) = &self.gate
            && *at == envelope.position
        {
            let permit = gate.acquire().await.map_err(|e| e.to_string())?;
            permit.forget();
        }
        let mut seen = self.seen.lock().unwrap();
        seen.calls.push(envelope.position);
        if let Some((at, times)) = &mut self.fail
            && *at == envelope.position
            && *times > 0
        {
            *times = times.saturating_sub(if *times == u32::MAX { 0 } else { 1 });
            return Err(format!("refusing position {at}"));
        }
        seen.positions.push(envelope.position);
        Ok(())
    }
}

#[projection(name = "recorder")]
impl Recorder {
    async fn assigned(
        &mut self,
        _: &crate::fixtures::TaskAssigned,
        envelope: &RecordedEvent,
    ) -> Result<(), String> {
        self.record(envelope).await
    }

    async fn deposited(&mut self, _: &Deposited, envelope: &RecordedEvent) -> Result<(), String> {
        self.record(envelope).await
    }
}

fn options() -> SubscriptionOptions {
    SubscriptionOptions::new()
        .poll_interval(Duration::from_millis(200))
        .retry(
            RetryPolicy::new(3)
                .unwrap()
                .backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
}

async fn wait_until<P>(
    handle: &mut SubscriptionHandle<P>,
    what: &str,
    condition: impl FnMut(&SubscriptionStatus) -> bool,
) -> SubscriptionStatus {
    match tokio::time::timeout(PATIENCE, handle.wait_for(condition)).await {
        Ok(status) => status,
        Err(_) => panic!("timed out waiting for {what}; status {:?}", handle.status()),
    }
}

/// Waits until the subscription is live at `position`.
async fn live_at<P>(handle: &mut SubscriptionHandle<P>, position: u64) -> SubscriptionStatus {
    let status = wait_until(handle, &format!("live at {position}"), |s| {
        s.is_live() && s.position >= position
    })
    .await;
    assert_eq!(status.state, SubscriptionState::Live, "{status:?}");
    assert_eq!(status.position, position, "{status:?}");
    status
}

/// Appends `count` events (of the handled type) in batches over several streams; returns
/// the feed's head.
async fn append_events<S: Store>(store: &S, count: u64) -> u64 {
    let mut left = count;
    while left > 0 {
        let batch = left.min(100);
        store
            .append(&task_stream(), ExpectedVersion::NoStream, raw_events(batch))
            .await
            .expect("append");
        left -= batch;
    }
    store.head_position().await.expect("head_position")
}

fn positions(seen: &Mutex<Seen>) -> Vec<u64> {
    seen.lock().unwrap().positions.clone()
}

/// At-least-once and exactly-once here: no crash, so each of 10,000 stored and 10 live
/// events arrives once, in feed order.
pub async fn catches_up_on_ten_thousand_events_then_follows_live_appends<S: Store>(store: S) {
    let head = append_events(&store, 10_000).await;
    let (recorder, seen) = Recorder::new();
    let mut runner = SubscriptionRunner::new(store.clone());
    let mut handle = runner.start(recorder, options()).unwrap();
    live_at(&mut handle, head).await;
    assert_eq!(positions(&seen).len(), 10_000);
    let head = append_events(&store, 10).await;
    live_at(&mut handle, head).await;
    assert_eq!(positions(&seen), feed_positions(&store).await);
    handle.stop().await.unwrap();
    assert_eq!(store.checkpoint("recorder").await.unwrap(), Some(head));
    runner.shutdown().await;
}

/// Exactly once across a restart: a stopped subscription resumes after its checkpoint.
pub async fn restart_resumes_after_the_checkpoint_without_redelivery<S: Store>(store: S) {
    let first_head = append_events(&store, 50).await;
    let mut runner = SubscriptionRunner::new(store.clone());
    let (first, first_seen) = Recorder::new();
    let mut handle = runner.start(first, options()).unwrap();
    live_at(&mut handle, first_head).await;
    handle.stop().await.unwrap();

    let head = append_events(&store, 5).await;
    let (second, second_seen) = Recorder::new();
    let mut handle = runner.start(second, options()).unwrap();
    live_at(&mut handle, head).await;
    handle.stop().await.unwrap();
    let feed = feed_positions(&store).await;
    assert_eq!(positions(&first_seen), feed[..50]);
    assert_eq!(positions(&second_seen), feed[50..]);
    runner.shutdown().await;
}

/// At-least-once: while events flow, the stored checkpoint is never ahead of what was
/// handled, and never more than the interval behind it (what a crash would redeliver).
pub async fn checkpoint_lags_handled_events_by_at_most_the_interval<S: Store>(store: S) {
    let head = append_events(&store, 100).await;
    let feed = feed_positions(&store).await;
    let gate = Arc::new(Semaphore::new(0));
    let (recorder, seen) = Recorder::new();
    let recorder = recorder.gated_at(feed[25], Arc::clone(&gate));
    let every = CheckpointEvery::Events(NonZeroUsize::new(10).unwrap());
    let mut runner = SubscriptionRunner::new(store.clone());
    let mut handle = runner
        .start(recorder, options().checkpoint_every(every))
        .unwrap();
    // The handler waits at the 26th event.
    let deadline = std::time::Instant::now() + PATIENCE;
    while positions(&seen).len() < 25 {
        assert!(
            std::time::Instant::now() < deadline,
            "25 events not handled"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(positions(&seen), feed[..25]);
    let stored = store.checkpoint("recorder").await.unwrap().unwrap_or(0);
    assert!(
        (feed[14]..=feed[24]).contains(&stored),
        "checkpoint {stored} after 25 handled events: {:?}",
        &feed[..25]
    );
    gate.add_permits(1);
    live_at(&mut handle, head).await;
    assert_eq!(store.checkpoint("recorder").await.unwrap(), Some(head));
    handle.stop().await.unwrap();
    runner.shutdown().await;
}

/// A stop stores the checkpoint even when the interval was not reached.
pub async fn graceful_stop_stores_the_checkpoint<S: Store>(store: S) {
    let head = append_events(&store, 30).await;
    let every = CheckpointEvery::Events(NonZeroUsize::new(1000).unwrap());
    let (recorder, _seen) = Recorder::new();
    let mut runner = SubscriptionRunner::new(store.clone());
    let mut handle = runner
        .start(recorder, options().checkpoint_every(every))
        .unwrap();
    wait_until(&mut handle, "30 events", |s| s.position >= head).await;
    let recorder = handle.stop().await.unwrap();
    assert_eq!(store.checkpoint("recorder").await.unwrap(), Some(head));
    assert_eq!(recorder.seen.lock().unwrap().positions.len(), 30);
    runner.shutdown().await;
}

/// At-least-once, nothing silently dropped: a handler that always fails on one event is
/// tried the configured number of times, the event is parked with its error, and the
/// others are handled.
pub async fn failing_handler_is_retried_then_parked_and_skipped<S: Store>(store: S) {
    let head = append_events(&store, 10).await;
    let feed = feed_positions(&store).await;
    let (recorder, seen) = Recorder::new();
    let recorder = recorder.failing_at(feed[3], u32::MAX);
    let mut runner = SubscriptionRunner::new(store.clone());
    let mut handle = runner.start(recorder, options()).unwrap();
    live_at(&mut handle, head).await;
    let expected: Vec<u64> = feed.iter().copied().filter(|&p| p != feed[3]).collect();
    assert_eq!(positions(&seen), expected);
    let calls = seen.lock().unwrap().calls.clone();
    assert_eq!(
        calls.iter().filter(|&&p| p == feed[3]).count(),
        3,
        "three attempts"
    );
    let parked = store.parked("recorder").await.unwrap();
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert_eq!(parked[0].position, feed[3]);
    assert_eq!(parked[0].attempts, 3);
    assert_eq!(parked[0].event_type.as_deref(), Some("TaskAssigned"));
    assert!(parked[0].stream.is_some());
    assert!(
        parked[0].error.contains("refusing position"),
        "{}",
        parked[0].error
    );
    handle.stop().await.unwrap();
    runner.shutdown().await;
}

/// With `OnFailure::Stop` the subscription ends at the event, parked, with its checkpoint
/// before it; a restart with a working handler handles it and the parked entry goes.
pub async fn failing_handler_stops_the_subscription_before_the_event<S: Store>(store: S) {
    let head = append_events(&store, 10).await;
    let feed = feed_positions(&store).await;
    let (recorder, seen) = Recorder::new();
    let recorder = recorder.failing_at(feed[5], u32::MAX);
    let mut runner = SubscriptionRunner::new(store.clone());
    let handle = runner
        .start(recorder, options().on_failure(OnFailure::Stop))
        .unwrap();
    match tokio::time::timeout(PATIENCE, handle.join()).await.unwrap() {
        Err(Error::SubscriptionStopped {
            subscription,
            position,
            reason,
        }) => {
            assert_eq!(subscription, "recorder");
            assert_eq!(position, feed[5]);
            assert!(reason.contains("refusing position"), "{reason}");
        }
        other => panic!("expected SubscriptionStopped, got {:?}", other.map(|_| ())),
    }
    assert_eq!(positions(&seen), feed[..5]);
    assert_eq!(store.checkpoint("recorder").await.unwrap(), Some(feed[4]));
    assert_eq!(store.parked("recorder").await.unwrap().len(), 1);

    let (fixed, fixed_seen) = Recorder::new();
    let mut handle = runner
        .start(fixed, options().on_failure(OnFailure::Stop))
        .unwrap();
    live_at(&mut handle, head).await;
    assert_eq!(positions(&fixed_seen), feed[5..]);
    assert!(store.parked("recorder").await.unwrap().is_empty());
    handle.stop().await.unwrap();
    runner.shutdown().await;
}

/// A handler failing twice and then succeeding, with three attempts, parks nothing.
pub async fn handler_that_recovers_within_the_retries_parks_nothing<S: Store>(store: S) {
    let head = append_events(&store, 5).await;
    let feed = feed_positions(&store).await;
    let (recorder, seen) = Recorder::new();
    let recorder = recorder.failing_at(feed[1], 2);
    let mut runner = SubscriptionRunner::new(store.clone());
    let mut handle = runner.start(recorder, options()).unwrap();
    live_at(&mut handle, head).await;
    assert_eq!(positions(&seen), feed);
    assert!(store.parked("recorder").await.unwrap().is_empty());
    handle.stop().await.unwrap();
    runner.shutdown().await;
}

/// Parked events are listed; replaying them into a working projection handles them and
/// removes them; replaying into a failing one keeps them with the new error.
pub async fn parked_events_are_listed_replayed_and_discarded<S: Store>(store: S) {
    let head = append_events(&store, 8).await;
    let feed = feed_positions(&store).await;
    let (recorder, _) = Recorder::new();
    let recorder = recorder.failing_at(feed[2], u32::MAX);
    let mut runner = SubscriptionRunner::new(store.clone());
    let mut handle = runner.start(recorder, options()).unwrap();
    live_at(&mut handle, head).await;
    let mut recorder = handle.stop().await.unwrap();
    assert_eq!(store.parked("recorder").await.unwrap().len(), 1);

    let again = replay_parked(&store, &mut recorder).await.unwrap();
    assert_eq!((again.handled, again.still_failing), (0, 1));
    let parked = store.parked("recorder").await.unwrap();
    assert_eq!(parked[0].attempts, 4, "one more attempt recorded");

    let (mut fixed, fixed_seen) = Recorder::new();
    let replayed = replay_parked(&store, &mut fixed).await.unwrap();
    assert_eq!((replayed.handled, replayed.still_failing), (1, 0));
    assert_eq!(positions(&fixed_seen), vec![feed[2]]);
    assert!(store.parked("recorder").await.unwrap().is_empty());
    assert!(!store.discard_parked("recorder", feed[2]).await.unwrap());
    runner.shutdown().await;
}

/// A handled event type whose payload does not decode is parked with the typed decode
/// error, after one attempt (retrying cannot help); the feed goes on.
pub async fn undecodable_payload_is_parked_without_retries<S: Store>(store: S) {
    let stream = task_stream();
    let events = vec![
        raw("TaskAssigned", 1, r#"{"assigned_to":"not a uuid"}"#),
        raw_events(1).remove(0),
    ];
    store
        .append(&stream, ExpectedVersion::NoStream, events)
        .await
        .unwrap();
    let feed = feed_positions(&store).await;
    let (recorder, seen) = Recorder::new();
    let mut runner = SubscriptionRunner::new(store.clone());
    let mut handle = runner.start(recorder, options()).unwrap();
    live_at(&mut handle, feed[1]).await;
    assert_eq!(positions(&seen), vec![feed[1]]);
    let parked = store.parked("recorder").await.unwrap();
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].position, feed[0]);
    assert_eq!(parked[0].attempts, 1);
    assert!(
        parked[0].error.contains("cannot decode"),
        "{}",
        parked[0].error
    );
    handle.stop().await.unwrap();
    runner.shutdown().await;
}

/// An event type without a handler is never decoded (its payload here is not JSON) and
/// never parked; the checkpoint moves past it.
pub async fn unhandled_event_types_are_passed_over_undecoded<S: Store>(store: S) {
    let stream = task_stream();
    let events = vec![
        raw("SomethingElse", 1, "not json at all"),
        raw_events(1).remove(0),
    ];
    store
        .append(&stream, ExpectedVersion::NoStream, events)
        .await
        .unwrap();
    let feed = feed_positions(&store).await;
    let (recorder, seen) = Recorder::new();
    let mut runner = SubscriptionRunner::new(store.clone());
    let mut handle = runner.start(recorder, options()).unwrap();
    live_at(&mut handle, feed[1]).await;
    assert_eq!(positions(&seen), vec![feed[1]]);
    assert!(store.parked("recorder").await.unwrap().is_empty());
    handle.stop().await.unwrap();
    assert_eq!(store.checkpoint("recorder").await.unwrap(), Some(feed[1]));
    runner.shutdown().await;
}

async fn append_deposits<S: Store>(store: &S, count: usize) {
    let stream = StreamId::new("Account", Uuid::now_v7().to_string());
    let events = (0..count)
        .map(|i| raw("Deposited", 1, &format!(r#"{{"amount":{i}}}"#)))
        .collect();
    store
        .append(&stream, ExpectedVersion::NoStream, events)
        .await
        .unwrap();
}

/// Filters: only the chosen aggregate type, or the chosen event type, reaches the
/// projection; the checkpoint still moves to the head.
pub async fn filters_by_aggregate_type_and_event_type_and_move_the_checkpoint<S: Store>(store: S) {
    append_events(&store, 3).await; // Task / TaskAssigned
    append_deposits(&store, 2).await; // Account / Deposited
    let head = append_events(&store, 1).await;
    let feed = feed_positions(&store).await;
    let mut runner = SubscriptionRunner::new(store.clone());

    let (by_aggregate, seen) = Recorder::new();
    let mut handle = runner
        .start(by_aggregate, options().aggregate_types(["Account"]))
        .unwrap();
    live_at(&mut handle, head).await;
    handle.stop().await.unwrap();
    assert_eq!(positions(&seen), feed[3..5]);
    assert_eq!(store.checkpoint("recorder").await.unwrap(), Some(head));

    let (by_type, seen) = Recorder::new();
    let mut handle = runner
        .start(
            by_type,
            options()
                .start_from(StartFrom::Beginning)
                .event_types(["TaskAssigned"]),
        )
        .unwrap();
    live_at(&mut handle, head).await;
    handle.stop().await.unwrap();
    assert_eq!(positions(&seen), vec![feed[0], feed[1], feed[2], feed[5]]);
    runner.shutdown().await;
}

/// Starting from the end skips the history: only events appended later arrive.
pub async fn start_from_end_sees_only_new_events<S: Store>(store: S) {
    let old_head = append_events(&store, 10).await;
    let (recorder, seen) = Recorder::new();
    let mut runner = SubscriptionRunner::new(store.clone());
    let mut handle = runner
        .start(recorder, options().start_from(StartFrom::End))
        .unwrap();
    live_at(&mut handle, old_head).await;
    let head = append_events(&store, 2).await;
    live_at(&mut handle, head).await;
    let feed = feed_positions(&store).await;
    assert_eq!(positions(&seen), feed[10..]);
    handle.stop().await.unwrap();
    runner.shutdown().await;
}

/// While catching up the status says so, with the head it knows and the lag; once live
/// the lag is zero.
pub async fn status_reports_lag_while_catching_up_and_none_when_live<S: Store>(store: S) {
    let head = append_events(&store, 100).await;
    let feed = feed_positions(&store).await;
    let gate = Arc::new(Semaphore::new(0));
    let (recorder, _) = Recorder::new();
    let recorder = recorder.gated_at(feed[14], Arc::clone(&gate));
    let mut runner = SubscriptionRunner::new(store.clone());
    let mut handle = runner
        .start(
            recorder,
            options().batch_size(NonZeroUsize::new(10).unwrap()),
        )
        .unwrap();
    let status = wait_until(&mut handle, "the head known", |s| s.head == head).await;
    assert_eq!(status.state, SubscriptionState::CatchingUp, "{status:?}");
    assert!(status.position < feed[14], "{status:?}");
    assert!(status.lag() > 0, "{status:?}");
    assert_eq!(status.lag(), head - status.position);
    assert_eq!(runner.statuses().len(), 1);
    gate.add_permits(1);
    let status = live_at(&mut handle, head).await;
    assert_eq!(status.lag(), 0);
    handle.stop().await.unwrap();
    runner.shutdown().await;
}

/// Exactly once (no crash): 8 writers append while the subscription follows live; every
/// committed event arrives once, in feed order.
pub async fn concurrent_writers_while_following_live_deliver_every_event_once<S: Store>(store: S) {
    let (recorder, seen) = Recorder::new();
    let mut runner = SubscriptionRunner::new(store.clone());
    let mut handle = runner.start(recorder, options()).unwrap();
    live_at(&mut handle, 0).await;
    let writers: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                for _ in 0..25 {
                    store
                        .append(&task_stream(), ExpectedVersion::NoStream, raw_events(2))
                        .await
                        .expect("append");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let head = store.head_position().await.unwrap();
    live_at(&mut handle, head).await;
    let feed = feed_positions(&store).await;
    assert_eq!(feed.len(), 400);
    assert_eq!(positions(&seen), feed);
    handle.stop().await.unwrap();
    runner.shutdown().await;
}

/// One runner runs one subscription of a name at a time.
pub async fn second_subscription_of_the_same_name_is_refused<S: Store>(store: S) {
    let mut runner = SubscriptionRunner::new(store.clone());
    let (first, _) = Recorder::new();
    let handle = runner.start(first, options()).unwrap();
    let (second, _) = Recorder::new();
    match runner.start(second, options()) {
        Err(Error::Config {
            reason: message, ..
        }) => assert!(message.contains("recorder"), "{message}"),
        other => panic!("expected a Config error, got {:?}", other.map(|_| ())),
    }
    handle.stop().await.unwrap();
    runner.shutdown().await;
}

/// A feed row that cannot be read (the backend's test corrupted the row at `corrupt`;
/// `head` is the feed's last position) is parked with its typed error, the word
/// `error_mentions` in it, and the subscription goes on to the head.
pub async fn unreadable_row_is_parked_and_skipped<S: Store>(
    store: S,
    corrupt: u64,
    head: u64,
    error_mentions: &str,
) {
    let mut runner = SubscriptionRunner::new(store.clone());
    let (recorder, seen) = Recorder::new();
    let mut handle = runner.start(recorder, options()).unwrap();
    live_at(&mut handle, head).await;
    assert!(!positions(&seen).contains(&corrupt));
    let parked = store.parked("recorder").await.unwrap();
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert_eq!(
        (parked[0].position, parked[0].stream.as_ref()),
        (corrupt, None)
    );
    assert!(
        parked[0].error.contains(error_mentions),
        "{}",
        parked[0].error
    );
    handle.stop().await.unwrap();
    runner.shutdown().await;
}

/// With [`OnFailure::Stop`] the same row stops the subscription at it, its checkpoint at
/// `before` (the position before the row).
pub async fn unreadable_row_stops_the_subscription_with_the_stop_policy<S: Store>(
    store: S,
    corrupt: u64,
    before: u64,
    error_mentions: &str,
) {
    let mut runner = SubscriptionRunner::new(store.clone());
    let (recorder, _) = Recorder::new();
    let handle = runner
        .start(recorder, options().on_failure(OnFailure::Stop))
        .unwrap();
    match tokio::time::timeout(PATIENCE, handle.join()).await.unwrap() {
        Err(Error::SubscriptionStopped {
            position, reason, ..
        }) => {
            assert_eq!(position, corrupt);
            assert!(reason.contains(error_mentions), "{reason}");
        }
        other => panic!("expected SubscriptionStopped, got {:?}", other.map(|_| ())),
    }
    assert_eq!(store.checkpoint("recorder").await.unwrap(), Some(before));
    runner.shutdown().await;
}
