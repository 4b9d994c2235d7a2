//! `--store memory`: the in-memory store's CPU paths, each beside its raw figure measured
//! in the same run (the workloads are `eventsource_tests::memory_bench`, which the
//! criterion bench `memory` runs too).
//!
//! Everything runs on one thread (a current-thread runtime). Each round prepares fresh
//! stores (untimed), then times the contenders one after the other, so that a busy moment
//! of the machine hits all of them; a row prints the median round, with the fastest and
//! slowest.

use super::table::{Figures, Row, met, progress};
use eventsource::StreamId;
use eventsource::prelude::*;
use eventsource_tests::memory_bench::{
    self as work, Account, HISTORY, RawMemory, Uncached, existing_accounts,
};
use std::time::{Duration, Instant};

/// How much each round does.
pub struct Settings {
    /// Rounds per figure.
    pub rounds: usize,
    /// The existing aggregates of a round (each stores one event before it).
    pub aggregates: usize,
    /// Commands on each aggregate per round: a command's aggregate holds 1 to `passes`
    /// events.
    pub passes: usize,
    /// Loads or replays of the long aggregate per round (the median is taken).
    pub loads: usize,
}

impl Settings {
    pub fn new(quick: bool) -> Self {
        if quick {
            Settings {
                rounds: 3,
                aggregates: 10_000,
                passes: 3,
                loads: 5,
            }
        } else {
            Settings {
                rounds: 7,
                aggregates: 10_000,
                passes: 5,
                loads: 15,
            }
        }
    }
}

fn per_second(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

pub fn run(settings: &Settings) -> eventsource::Result<Vec<Row>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(eventsource::Error::backend)?;
    Ok(runtime.block_on(measure(settings)))
}

async fn measure(settings: &Settings) -> Vec<Row> {
    let mut rows = Vec::new();
    let (k, passes) = (settings.aggregates, settings.passes);
    let commands = k * passes;

    // Commands on existing aggregates.
    let (mut update, mut les, mut raw) = Default::default();
    let (update, les, raw): (&mut Figures, &mut Figures, &mut Figures) =
        (&mut update, &mut les, &mut raw);
    for round in 1..=settings.rounds {
        progress(&format!(
            "memory: commands, round {round}/{} ({passes} on each of {k} aggregates)",
            settings.rounds
        ));
        let repo = Repository::<Account, _>::new(InMemoryEventStore::new());
        let ids = existing_accounts(&repo, k).await;
        let started = Instant::now();
        for _ in 0..passes {
            work::updates(&repo, &ids).await;
        }
        update.0.push(per_second(commands, started.elapsed()));
        drop((repo, ids));

        let repo = Repository::<Account, _>::new(InMemoryEventStore::new());
        let ids = existing_accounts(&repo, k).await;
        let started = Instant::now();
        for _ in 0..passes {
            work::load_execute_save(&repo, &ids).await;
        }
        les.0.push(per_second(commands, started.elapsed()));
        drop(repo);

        let (mut memory, keys) = RawMemory::with_streams(&ids);
        let started = Instant::now();
        for pass in 0..passes {
            memory.deposits(&keys, pass + 1);
        }
        raw.0.push(per_second(commands, started.elapsed()));
    }
    let target = 1_000_000.0;
    for (name, figures) in [
        ("one-event commands, Repository::update", &*update),
        ("one-event commands, load + execute + save", &*les),
    ] {
        rows.push(Row {
            operation: format!("{name} ({k} aggregates of 1-{passes} events)"),
            ours: figures.spread(1.0, 0, "/s"),
            raw: raw.spread(1.0, 0, "appends/s"),
            ratio: format!("{:.1}% of raw", 100.0 * figures.median() / raw.median()),
            target: "≥ 1,000,000/s".into(),
            met: met(figures.median() >= target),
        });
    }

    // The long aggregate: loads through the store's decoded copies, replays through a
    // store that keeps none, raw decoding, and the two dispatches.
    let store = InMemoryEventStore::new();
    let repo = Repository::<Account, _>::new(store.clone());
    let id = work::long_account(&repo).await;
    let uncached = Repository::<Account, _>::new(Uncached(store.clone()));
    let stored = work::rows(&store, &StreamId::new("Account", id.to_string())).await;
    let expected = work::raw_replay(&stored);
    let (mut load, mut replay, mut raw, mut generated, mut hand) = Default::default();
    let (load, replay, raw, generated, hand): (
        &mut Figures,
        &mut Figures,
        &mut Figures,
        &mut Figures,
        &mut Figures,
    ) = (&mut load, &mut replay, &mut raw, &mut generated, &mut hand);
    for round in 1..=settings.rounds {
        progress(&format!(
            "memory: {HISTORY}-event aggregate, round {round}/{}",
            settings.rounds
        ));
        load.0.push(
            median_async(settings.loads, async || {
                let account = repo.load(id).await.expect("a load");
                assert_eq!(*account.state(), expected);
            })
            .await
            .as_secs_f64(),
        );
        replay.0.push(
            median_async(settings.loads, async || {
                let account = uncached.load(id).await.expect("a load");
                assert_eq!(*account.state(), expected);
            })
            .await
            .as_secs_f64(),
        );
        raw.0.push(
            work::median_time(settings.loads, || {
                assert_eq!(work::raw_replay(&stored), expected);
            })
            .as_secs_f64(),
        );
        generated.0.push(
            work::median_time(settings.loads, || {
                assert_eq!(work::generated_dispatch(&stored), expected);
            })
            .as_secs_f64(),
        );
        hand.0.push(
            work::median_time(settings.loads, || {
                assert_eq!(work::hand_dispatch(&stored), expected);
            })
            .as_secs_f64(),
        );
    }
    rows.push(Row {
        operation: format!("load a {HISTORY}-event aggregate (decoded copies)"),
        ours: load.spread(1e3, 3, "ms"),
        raw: raw.spread(1e3, 3, "ms serde_json"),
        ratio: format!("{:.2}x raw time", load.median() / raw.median()),
        target: "≤ 1 ms".into(),
        met: met(load.median() <= 1e-3),
    });
    let per_event = |f: &Figures| Figures(f.0.iter().map(|s| s * 1e9 / HISTORY as f64).collect());
    let (replay_ns, raw_ns) = (per_event(replay), per_event(raw));
    let speed = raw.median() / replay.median();
    rows.push(Row {
        operation: format!("replay: decode + apply, {HISTORY}-event load without copies"),
        ours: replay_ns.spread(1.0, 0, "ns/event"),
        raw: raw_ns.spread(1.0, 0, "ns/event serde_json"),
        ratio: format!("{:.1}% of raw speed", 100.0 * speed),
        target: "≥ 90% of raw speed".into(),
        met: met(speed >= 0.9),
    });
    let (generated_ns, hand_ns) = (per_event(generated), per_event(hand));
    let speed = hand.median() / generated.median();
    rows.push(Row {
        operation: "dispatch: derive's decode + apply vs a hand-written match".into(),
        ours: generated_ns.spread(1.0, 0, "ns/event"),
        raw: hand_ns.spread(1.0, 0, "ns/event by hand"),
        ratio: format!("{:.1}% of hand speed", 100.0 * speed),
        target: "within 5%".into(),
        met: met(speed >= 0.95),
    });
    rows
}

/// The time of one run of `op`, the median of `runs` (after one warm-up run).
async fn median_async(runs: usize, mut op: impl AsyncFnMut()) -> Duration {
    op().await;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        op().await;
        times.push(started.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}
