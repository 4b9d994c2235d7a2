//! PostgreSQL test support: a fresh schema per test on the server at `DATABASE_URL`
//! (default [`DEFAULT_DATABASE_URL`]), dropped when the test's last store handle goes.
//!
//! When the server cannot be reached the helpers print `SKIPPED ... PostgreSQL
//! unavailable` and return `None`, except under `CI=true`, where they panic: CI must not
//! pass by skipping.

use crate::fixtures::{raw_events, task_stream};
use crate::guarded::Guarded;
use eventsource::store::postgres::tokio_postgres::{self, NoTls};
use eventsource::{Error, EventStore, ExpectedVersion, RecordedEvent};
use eventsource::{
    PostgresEventStore,
    store::postgres::{FeedWakeups, PostgresConfig},
};
use eventsource::{Result, store::postgres::PostgresSnapshotStore};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The server the tests use when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Test schemas are named `es_test_<unix seconds>_<random>`.
const TEST_SCHEMA_PREFIX: &str = "es_test_";

/// Test schemas older than this are dropped by the next run (left by a killed run).
const STALE_AFTER: Duration = Duration::from_secs(3600);

/// `DATABASE_URL`, or the default.
pub fn database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned())
}

/// The server's connection settings, or `None` (after printing why) when it cannot be
/// reached; panics under `CI=true` instead.
pub async fn pg_config() -> Option<tokio_postgres::Config> {
    let url = database_url();
    let unavailable = |why: String| {
        let message = format!("PostgreSQL unavailable at DATABASE_URL ({why})");
        if std::env::var("CI").is_ok_and(|ci| ci == "true") {
            panic!(
                "{message}; CI=true requires a running server (start PostgreSQL or set DATABASE_URL)"
            );
        }
        eprintln!("SKIPPED: {message}");
        // Once per test binary, past the test harness's capture, so that a run that
        // skipped says so even when every test "passed".
        static SAID: AtomicBool = AtomicBool::new(false);
        if !SAID.swap(true, Ordering::SeqCst) {
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED PostgreSQL tests: {message}; set DATABASE_URL or start the server"
            );
        }
    };
    let mut config: tokio_postgres::Config = match url.parse() {
        Ok(config) => config,
        Err(e) => {
            unavailable(format!("unparsable URL: {e}"));
            return None;
        }
    };
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(5));
    }
    match admin(&config).await {
        Ok(client) => {
            drop_stale_schemas(&client).await;
            Some(config)
        }
        Err(e) => {
            unavailable(e.to_string());
            None
        }
    }
}

/// A plain connection for a test's own SQL (not from any store's pool).
pub async fn admin(
    config: &tokio_postgres::Config,
) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

async fn drop_stale_schemas(client: &tokio_postgres::Client) {
    static DONE: AtomicBool = AtomicBool::new(false);
    if DONE.swap(true, Ordering::SeqCst) {
        return;
    }
    let Ok(rows) = client
        .query(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)",
            &[&TEST_SCHEMA_PREFIX],
        )
        .await
    else {
        return;
    };
    let now = SystemTime::now();
    for row in rows {
        let name: String = row.get(0);
        let created = name[TEST_SCHEMA_PREFIX.len()..]
            .split('_')
            .next()
            .and_then(|secs| secs.parse::<u64>().ok())
            .map(|secs| UNIX_EPOCH + Duration::from_secs(secs));
        if created.is_some_and(|t| now.duration_since(t).unwrap_or_default() > STALE_AFTER) {
            let _ = client
                .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"))
                .await;
        }
    }
}

/// A fresh, unique schema name for one test.
pub fn fresh_schema_name() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{TEST_SCHEMA_PREFIX}{secs}_{}", &random[..12])
}

/// Drops its schema when dropped, from a thread of its own (drop cannot await).
pub struct SchemaGuard {
    config: tokio_postgres::Config,
    schema: String,
}

impl SchemaGuard {
    /// Guards `schema` on the server of `config`.
    pub fn new(config: tokio_postgres::Config, schema: String) -> Self {
        SchemaGuard { config, schema }
    }

    /// The schema's name.
    pub fn schema(&self) -> &str {
        &self.schema
    }
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let (config, schema) = (self.config.clone(), self.schema.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let (client, connection) = config.connect(NoTls).await?;
                tokio::spawn(connection);
                client
                    .batch_execute(&format!(
                        "SET lock_timeout = '10s'; DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
                    ))
                    .await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!(
                "warning: could not drop test schema {}; a later run drops it",
                self.schema
            );
        }
    }
}

/// An event store in a schema of its own, dropped with the last clone.
pub type PgTestStore = Guarded<PostgresEventStore, SchemaGuard>;

/// A snapshot store in a schema of its own, dropped with the last clone.
pub type PgTestSnapshots = Guarded<PostgresSnapshotStore, SchemaGuard>;

impl PgTestStore {
    /// The schema's name.
    pub fn schema_name(&self) -> &str {
        self.guard().schema()
    }

    /// The connection settings the store was made with (its `application_name` is the
    /// schema's name, so a test can find the store's server processes).
    pub fn config(&self) -> &tokio_postgres::Config {
        &self.guard().config
    }

    /// The store itself.
    pub fn store(&self) -> &PostgresEventStore {
        &self.store
    }

    /// Another store on the same schema, with its own pool and settings.
    pub async fn reconnect(
        &self,
        configure: impl FnOnce(PostgresConfig) -> PostgresConfig,
    ) -> Result<PostgresEventStore> {
        configure(PostgresConfig::from_pg_config(self.config().clone()))
            .schema(self.schema_name())
            .connect()
            .await
    }

    /// Listens for appends.
    pub async fn subscribe_notifications(&self) -> Result<FeedWakeups> {
        self.store.subscribe_notifications().await
    }
}

/// A store in a fresh schema, or `None` when the server is unavailable (outside CI).
pub async fn pg_store() -> Option<PgTestStore> {
    pg_store_with(|config| config).await
}

/// [`pg_store`], with the configuration adjusted by `configure` (and the connection
/// settings by `connection`).
pub async fn pg_store_with(
    configure: impl FnOnce(PostgresConfig) -> PostgresConfig,
) -> Option<PgTestStore> {
    pg_store_with_connection(|c| c, configure).await
}

/// [`pg_store`] with both the connection settings and the store configuration adjusted.
pub async fn pg_store_with_connection(
    connection: impl FnOnce(&mut tokio_postgres::Config) -> &mut tokio_postgres::Config,
    configure: impl FnOnce(PostgresConfig) -> PostgresConfig,
) -> Option<PgTestStore> {
    let mut config = pg_config().await?;
    let schema = fresh_schema_name();
    config.application_name(&schema);
    connection(&mut config);
    let guard = Arc::new(SchemaGuard::new(config.clone(), schema.clone()));
    let store = configure(PostgresConfig::from_pg_config(config).schema(&schema))
        .connect()
        .await
        .expect("connect to PostgreSQL and create the test schema");
    Some(Guarded::keeping(store, guard))
}

/// A snapshot store in a fresh schema, or `None` when the server is unavailable.
pub async fn pg_snapshot_store() -> Option<PgTestSnapshots> {
    let store = pg_store().await?;
    Some(store.with_store(store.snapshot_store()))
}

/// An event store and the snapshot store of the same schema, or `None` when the server is
/// unavailable: what the snapshot behaviour suite and the snapshot benchmark run on.
pub async fn pg_backend() -> Option<(PgTestStore, PgTestSnapshots)> {
    let store = pg_store().await?;
    let snapshots = store.with_store(store.snapshot_store());
    Some((store, snapshots))
}

/// The `tokio_postgres` error inside a backend error.
pub fn pg_error(error: &Error) -> &tokio_postgres::Error {
    match error {
        Error::Backend(source) => source
            .downcast_ref::<tokio_postgres::Error>()
            .unwrap_or_else(|| panic!("not a PostgreSQL error: {source}")),
        other => panic!("expected a backend error, got {other:?}"),
    }
}
/// Appends three events to a new stream and corrupts the metadata of the second (an
/// object whose value is not a string); returns the three records as appended.
pub async fn store_with_corrupt_metadata_at_version_two(store: &PgTestStore) -> Vec<RecordedEvent> {
    let records = store
        .append(&task_stream(), ExpectedVersion::NoStream, raw_events(3))
        .await
        .unwrap()
        .records;
    admin_of(store)
        .await
        .execute(
            &format!(
                "UPDATE \"{}\".events SET metadata = '{{\"n\": 1}}' WHERE version = 2",
                store.schema_name()
            ),
            &[],
        )
        .await
        .unwrap();
    records
}
/// An admin connection to the server of `store`.
pub async fn admin_of(store: &PgTestStore) -> tokio_postgres::Client {
    admin(store.config()).await.expect("admin connection")
}
/// A trigger in the test schema that sleeps `seconds` before inserting an event of type
/// `event_type`: it holds the appending transaction open, after its position is taken.
pub async fn hold_events_of_type(store: &PgTestStore, event_type: &str, seconds: &str) {
    let s = store.schema_name();
    admin_of(store)
        .await
        .batch_execute(&format!(
            "CREATE FUNCTION \"{s}\".hold() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.event_type = '{event_type}' THEN PERFORM pg_sleep({seconds}); END IF; \
             RETURN NEW; END $$; \
             CREATE TRIGGER hold BEFORE INSERT ON \"{s}\".events \
             FOR EACH ROW EXECUTE FUNCTION \"{s}\".hold();"
        ))
        .await
        .expect("create the holding trigger");
}
