//! Holds a subscription claim in a PostgreSQL store for the cross-process claim test.
//!
//! `claim_holder <schema> <subscription>` connects to `DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`) with that schema and claims the name. It
//! prints `standby` once when the claim is refused and retries every 100 ms; once it holds
//! the claim it prints `claimed` and waits to be killed. If the claim is lost it prints
//! `lost` and exits with status 3; bad arguments or a failing store exit with status 2.

use eventsource::store::SubscriptionStore;
use eventsource::store::postgres::PostgresConfig;
use eventsource_tests::postgres::database_url;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

fn say(line: &str) {
    let mut stdout = std::io::stdout().lock();
    // The parent reads line by line: flush each one.
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [schema, subscription] = &args[..] else {
        eprintln!("usage: claim_holder <schema> <subscription>");
        return ExitCode::from(2);
    };
    let store = match PostgresConfig::from_url(database_url())
        .schema(schema)
        .max_connections(1)
        .notifications(false)
        .connect()
        .await
    {
        Ok(store) => store,
        Err(error) => {
            eprintln!("claim_holder: cannot open the store: {error}");
            return ExitCode::from(2);
        }
    };
    let mut said_standby = false;
    let mut claim = loop {
        match store.claim(subscription).await {
            Ok(Some(claim)) => break claim,
            Ok(None) => {
                if !said_standby {
                    say("standby");
                    said_standby = true;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => {
                eprintln!("claim_holder: claim failed: {error}");
                return ExitCode::from(2);
            }
        }
    };
    say("claimed");
    claim.lost().await;
    say("lost");
    ExitCode::from(3)
}
