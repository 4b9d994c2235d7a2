//! Runs locked commands on one `Account` aggregate for the cross-process locking tests
//! (tests/tests/locking_processes.rs).
//!
//! `lock_worker <sqlite FILE | postgres SCHEMA> <aggregate id> run <tasks> <commands>`
//! runs `tasks` tasks of `commands` one-cent deposits each through a locking repository
//! locked across processes, then prints `done <saved> <runs> <failed>` (a run beyond one
//! per saved command would be a conflict's rerun).
//!
//! `lock_worker <...> <aggregate id> hold` locks the aggregate, records a deposit without
//! saving it, prints `locked` and waits to be killed.
//!
//! The PostgreSQL store is at `DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`). Bad arguments or a failing store exit with
//! status 2.

use eventsource::LockingRepository;
use eventsource::prelude::*;
use eventsource::store::DynEventStore;
use eventsource_tests::fixtures::{Account, Deposited};
use eventsource_tests::locking::deposit_under_locks;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

type Locking = LockingRepository<Account, Arc<dyn DynEventStore>>;

fn say(line: &str) {
    let mut stdout = std::io::stdout().lock();
    // The parent reads line by line: flush each one.
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}

async fn open(kind: &str, place: &str) -> eventsource::Result<Locking> {
    match kind {
        "sqlite" => {
            let store = SqliteEventStore::open(place).await?;
            let locks = store.aggregate_locks()?;
            let store: Arc<dyn DynEventStore> = Arc::new(store);
            Ok(Repository::new(store).locking().across_processes(locks))
        }
        #[cfg(feature = "postgres")]
        "postgres" => {
            let store = eventsource::store::postgres::PostgresConfig::from_url(
                eventsource_tests::postgres::database_url(),
            )
            .schema(place)
            .notifications(false)
            .connect()
            .await?;
            let locks = store.aggregate_locks()?;
            let store: Arc<dyn DynEventStore> = Arc::new(store);
            Ok(Repository::new(store).locking().across_processes(locks))
        }
        other => Err(eventsource::Error::config(
            eventsource::error::ConfigKind::Other,
            format!("unknown store kind {other}"),
        )),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = || {
        eprintln!(
            "usage: lock_worker <sqlite FILE | postgres SCHEMA> <id> (run <tasks> <commands> | hold)"
        );
        ExitCode::from(2)
    };
    let (Some(kind), Some(place), Some(id), Some(mode)) =
        (args.first(), args.get(1), args.get(2), args.get(3))
    else {
        return usage();
    };
    let Ok(id) = id.parse::<Uuid>() else {
        return usage();
    };
    let repo = match open(kind, place).await {
        Ok(repo) => repo,
        Err(error) => {
            eprintln!("lock_worker: cannot open the store: {error}");
            return ExitCode::from(2);
        }
    };
    match mode.as_str() {
        "run" => {
            let (Some(Ok(tasks)), Some(Ok(commands))) = (
                args.get(4).map(|n| n.parse::<u64>()),
                args.get(5).map(|n| n.parse::<u64>()),
            ) else {
                return usage();
            };
            let run = deposit_under_locks(&repo, id, tasks, commands).await;
            say(&format!("done {} {} {}", run.saved, run.runs, run.failed));
            ExitCode::SUCCESS
        }
        "hold" => {
            let mut held = match repo.lock_or_create(id).await {
                Ok(held) => held,
                Err(error) => {
                    eprintln!("lock_worker: cannot lock: {error}");
                    return ExitCode::from(2);
                }
            };
            held.record(Deposited { amount: 1_000 });
            say("locked");
            std::future::pending::<()>().await;
            ExitCode::SUCCESS
        }
        _ => usage(),
    }
}
