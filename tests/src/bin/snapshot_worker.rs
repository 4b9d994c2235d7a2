//! Runs a snapshot worker on a SQLite file for the process test
//! (tests/tests/processes.rs): snapshots of `Account` aggregates every 10 events, taken in
//! this process while the test's process writes.
//!
//! `snapshot_worker <database file>` prints `live` once it has caught up, then runs until
//! killed. Bad arguments or a failing store exit with status 2.

use eventsource::prelude::*;
use eventsource::subscription::{
    SnapshotWorker, SubscriptionOptions, SubscriptionRunner, SubscriptionState,
};
use eventsource_tests::fixtures::Account;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

#[tokio::main]
async fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: snapshot_worker <database file>");
        return ExitCode::from(2);
    };
    let store = match SqliteEventStore::open(&path).await {
        Ok(store) => store,
        Err(error) => {
            eprintln!("snapshot_worker: cannot open {path}: {error}");
            return ExitCode::from(2);
        }
    };
    let repository = Repository::<Account, _>::new(store.clone()).with_snapshots(
        store.snapshot_store(),
        SnapshotPolicy::every(10).with_mode(SnapshotMode::Manual),
    );
    let mut runner = SubscriptionRunner::new(store);
    let options = SubscriptionOptions::new().poll_interval(Duration::from_millis(50));
    let mut handle = match runner.start_snapshots(
        SnapshotWorker::new("account_snapshots", repository),
        options,
    ) {
        Ok(handle) => handle,
        Err(error) => {
            eprintln!("snapshot_worker: {error}");
            return ExitCode::from(2);
        }
    };
    let status = handle.wait_for(|s| s.is_live()).await;
    if let SubscriptionState::Failed(error) = status.state {
        eprintln!("snapshot_worker: failed: {error}");
        return ExitCode::from(2);
    }
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "live").and_then(|()| stdout.flush());
    drop(stdout);
    let status = handle
        .wait_for(|s| matches!(s.state, SubscriptionState::Failed(_)))
        .await;
    eprintln!("snapshot_worker: ended: {:?}", status.state);
    ExitCode::from(2)
}
