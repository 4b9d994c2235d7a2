//! Runs the transactional board projection (tests/src/board.rs) for the process tests:
//! killed in the middle of a catch-up, or two of them on one PostgreSQL schema.
//!
//! `board_projector sqlite <database file> <delay ms>` or
//! `board_projector postgres <schema> <delay ms>` (PostgreSQL at `DATABASE_URL`). It
//! prints `standby` when another process holds the subscription, `running` when it
//! starts catching up and `live` once it caught up, then runs until killed. Bad
//! arguments or a failing store exit with status 2.

use eventsource::subscription::{
    SubscriptionHandle, SubscriptionOptions, SubscriptionRunner, SubscriptionState,
    TransactionalStore,
};
use eventsource_tests::board::SqliteBoard;
use std::io::Write;
use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::time::Duration;

fn say(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}

fn options() -> SubscriptionOptions {
    SubscriptionOptions::new()
        .batch_size(NonZeroUsize::new(50).unwrap_or(NonZeroUsize::MIN))
        .poll_interval(Duration::from_millis(100))
        .claim_retry(Duration::from_millis(100))
}

/// Reports the state changes the tests wait for, until killed.
async fn report<P>(mut handle: SubscriptionHandle<P>) -> ExitCode {
    let mut said = None;
    loop {
        let status = handle.wait_for(|s| Some(s.state.clone()) != said).await;
        let line = match &status.state {
            SubscriptionState::Standby => "standby",
            SubscriptionState::CatchingUp => "running",
            SubscriptionState::Live => "live",
            SubscriptionState::Failed(error) => {
                eprintln!("board_projector: failed: {error}");
                return ExitCode::from(2);
            }
            SubscriptionState::Stopped => return ExitCode::SUCCESS,
            SubscriptionState::Starting => "",
        };
        if !line.is_empty() && said.as_ref() != Some(&status.state) {
            say(line);
        }
        said = Some(status.state);
    }
}

async fn run<S, P>(store: S, board: P) -> ExitCode
where
    S: TransactionalStore<P>,
    P: Send + 'static,
{
    let mut runner = SubscriptionRunner::new(store);
    match runner.start_transactional(board, options()) {
        Ok(handle) => report(handle).await,
        Err(error) => {
            eprintln!("board_projector: {error}");
            ExitCode::from(2)
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [backend, place, delay] = &args[..] else {
        eprintln!("usage: board_projector <sqlite|postgres> <file|schema> <delay ms>");
        return ExitCode::from(2);
    };
    let Ok(delay) = delay.parse::<u64>().map(Duration::from_millis) else {
        eprintln!("board_projector: the delay is not a number of milliseconds");
        return ExitCode::from(2);
    };
    match backend.as_str() {
        "sqlite" => match eventsource::SqliteEventStore::open(place).await {
            Ok(store) => {
                let board = SqliteBoard {
                    fail_at: None,
                    delay: Some(delay),
                };
                run(store, board).await
            }
            Err(error) => {
                eprintln!("board_projector: cannot open {place}: {error}");
                ExitCode::from(2)
            }
        },
        #[cfg(feature = "postgres")]
        "postgres" => {
            let store = eventsource::store::postgres::PostgresConfig::from_url(
                eventsource_tests::postgres::database_url(),
            )
            .schema(place)
            .connect()
            .await;
            match store {
                Ok(store) => {
                    let board = eventsource_tests::board::PostgresBoard {
                        delay: Some(delay),
                        ..eventsource_tests::board::PostgresBoard::in_schema(place)
                    };
                    run(store, board).await
                }
                Err(error) => {
                    eprintln!("board_projector: cannot connect: {error}");
                    ExitCode::from(2)
                }
            }
        }
        other => {
            eprintln!("board_projector: unknown backend `{other}`");
            ExitCode::from(2)
        }
    }
}
