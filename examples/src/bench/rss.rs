//! Peak memory of a long load: how much the process's peak resident set grows while one
//! aggregate of many events is loaded without a snapshot. A load that streams grows by
//! the aggregate and a bounded buffer, whatever the length of the history; one that
//! collects the history first grows with it.
//!
//! Each load runs in a fresh process (this program, started again with [`CHILD`]), which
//! reads its resident set before the load and its peak (`VmHWM`) after, from
//! `/proc/self/status`: Linux only; elsewhere the row is left out.

use crate::{Account, LOAD_EVENTS, deposit};
use eventsource::prelude::*;

/// `/proc/self/status`'s `field`, in bytes.
fn status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Writes an aggregate of `events` events through `repo`, in saves of 1,000.
pub async fn fill<S: EventStore + Clone>(
    repo: &Repository<Account, S>,
    events: u64,
) -> eventsource::Result<Uuid> {
    let id = Uuid::now_v7();
    let mut account = repo.create_new(id);
    for n in 0..events {
        account.record(deposit(n));
        if (n + 1) % 1000 == 0 || n + 1 == events {
            repo.save(&mut account).await?;
        }
    }
    Ok(id)
}

/// The argument that makes the program a child measuring one load (see [`child`]).
pub const CHILD: &str = "--load-peak";

/// How much the peak resident set of a fresh process grows while it loads `id` (of
/// `events` events) from the `store` at `location` (a SQLite file's path, or a
/// PostgreSQL schema at `DATABASE_URL`), in bytes; `None` where the process cannot tell.
///
/// A fresh process, so that nothing an earlier load allocated and freed (and the
/// allocator kept) hides the load's own memory.
pub fn load_growth(
    store: &str,
    location: &str,
    id: Uuid,
    events: u64,
) -> eventsource::Result<Option<u64>> {
    let program = std::env::current_exe().map_err(eventsource::Error::backend)?;
    let output = std::process::Command::new(program)
        .args([CHILD, store, location, &id.to_string(), &events.to_string()])
        .output()
        .map_err(eventsource::Error::backend)?;
    if !output.status.success() {
        return Err(eventsource::Error::backend(format!(
            "the load-peak child failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().parse().ok())
}

/// The child's work: `args` are the store, its location, the aggregate id and its
/// events. Prints the growth in bytes, or nothing where it cannot tell.
pub fn child(args: &[String]) -> eventsource::Result<()> {
    let [store, location, id, events] = args else {
        return Err(eventsource::Error::backend(
            "usage: --load-peak STORE LOCATION ID EVENTS",
        ));
    };
    let id: Uuid = id.parse().map_err(eventsource::Error::backend)?;
    let events: u64 = events.parse().map_err(eventsource::Error::backend)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(eventsource::Error::backend)?;
    let growth = runtime.block_on(async {
        match store.as_str() {
            "sqlite" => {
                let store = SqliteEventStore::open(location).await?;
                measure(&Repository::<Account, _>::new(store), id, events).await
            }
            #[cfg(feature = "postgres")]
            "postgres" => {
                let store = eventsource::store::postgres::PostgresConfig::from_url(
                    eventsource_tests::postgres::database_url(),
                )
                .schema(location.as_str())
                .max_connections(1)
                .notifications(false)
                .connect()
                .await?;
                measure(&Repository::<Account, _>::new(store), id, events).await
            }
            other => Err(eventsource::Error::backend(format!("no store `{other}`"))),
        }
    })?;
    if let Some(bytes) = growth {
        println!("{bytes}");
    }
    Ok(())
}

async fn measure<S: EventStore + Clone>(
    repo: &Repository<Account, S>,
    id: Uuid,
    events: u64,
) -> eventsource::Result<Option<u64>> {
    let before = status_bytes("VmRSS:");
    let account = repo.load(id).await?;
    assert_eq!(account.movements, events, "the whole history was applied");
    Ok(before
        .zip(status_bytes("VmHWM:"))
        .map(|(before, peak)| peak.saturating_sub(before)))
}

/// The events of the long load, and of the short one it is compared with.
pub const LONG: u64 = 100_000;
pub const SHORT: u64 = LOAD_EVENTS;

/// Bytes as MiB with one decimal.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
