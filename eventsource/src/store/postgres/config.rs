//! How to reach the server and where to keep the tables: [`PostgresConfig`].

use super::errors::backend;
use super::migrations;
use super::schema::SchemaName;
use super::tls::{self, ConnectTo, Connector, TlsSettings};
use crate::error::{ConfigKind, Error, Result};
use deadpool_postgres::{ManagerConfig, Pool, RecyclingMethod, Runtime};
use std::fmt;
use std::time::Duration;

/// How long [`read_all`](crate::EventStore::read_all) waits by default for older
/// transactions to finish before it returns the part of the feed that is final.
pub const DEFAULT_FEED_WAIT: Duration = Duration::from_secs(5);

/// Settings for a [`PostgresEventStore`]: a connection string, a `tokio_postgres`
/// configuration or an existing pool; the schema for the tables; pool size, notifications
/// and how long feed reads wait for older transactions.
///
/// ```no_run
/// # async fn run() -> eventsource::Result<()> {
/// use eventsource::store::postgres::PostgresConfig;
///
/// let store = PostgresConfig::from_url("postgres://app@db.internal/app")
///     .schema("billing")
///     .max_connections(16)
///     .connect()
///     .await?;
/// # Ok(()) }
/// ```
///
/// TLS follows libpq's `sslmode` and `sslrootcert` settings of the connection string
/// (`disable`, `prefer`, `require`, `verify-ca`, `verify-full`), for the pool's
/// connections and for the connections the store makes of its own (notifications,
/// subscription claims, aggregate locks) alike. TLS needs the `postgres-tls` feature
/// (rustls); without it, `prefer` (the default) connects unencrypted and the other TLS
/// modes are refused with [`Error::Config`] instead of connecting in clear:
///
/// ```no_run
/// # async fn run() -> eventsource::Result<()> {
/// # use eventsource::store::postgres::PostgresConfig;
/// let store = PostgresConfig::from_url(
///     "postgres://app@db.internal/app?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem",
/// )
/// .connect()
/// .await?;
/// # Ok(()) }
/// ```
///
/// With a `tokio_postgres::Config`, its `ssl_mode` is taken as libpq's (`prefer` or
/// `require`, the certificate not verified); to verify, use a URL with `verify-full`, or
/// build a `deadpool_postgres::Pool` with the connector you use and pass it to
/// [`from_pool`](Self::from_pool). With a pool alone, `NOTIFY`s go through the pool and
/// listening is not available.
///
/// [`PostgresEventStore`]: super::PostgresEventStore
#[must_use = "a configuration does nothing until `connect` is called"]
pub struct PostgresConfig {
    source: Source,
    listen: Option<tokio_postgres::Config>,
    schema: String,
    max_connections: Option<usize>,
    notifications: bool,
    feed_wait: Duration,
}

enum Source {
    Url(String),
    Config(Box<tokio_postgres::Config>),
    Pool(Pool),
}

impl PostgresConfig {
    fn with_source(source: Source) -> Self {
        PostgresConfig {
            source,
            listen: None,
            schema: super::schema::DEFAULT_SCHEMA.to_owned(),
            max_connections: None,
            notifications: true,
            feed_wait: DEFAULT_FEED_WAIT,
        }
    }

    /// Connects with a libpq-style URL or key-value string, e.g.
    /// `postgres://user:password@127.0.0.1:5432/app?application_name=billing`.
    pub fn from_url(url: impl Into<String>) -> Self {
        Self::with_source(Source::Url(url.into()))
    }

    /// Connects with a `tokio_postgres` configuration.
    pub fn from_pg_config(config: tokio_postgres::Config) -> Self {
        Self::with_source(Source::Config(Box::new(config)))
    }

    /// Uses connections from `pool`; [`max_connections`](Self::max_connections) is then
    /// the pool's business. The pool must hand out `tokio_postgres` connections in
    /// autocommit mode (any pool from `deadpool_postgres` does).
    pub fn from_pool(pool: Pool) -> Self {
        Self::with_source(Source::Pool(pool))
    }

    /// The connection settings for [`PostgresEventStore::subscribe_notifications`] when
    /// the store was given a pool (a pool does not reveal them).
    ///
    /// [`PostgresEventStore::subscribe_notifications`]:
    ///     super::PostgresEventStore::subscribe_notifications
    pub fn listen_config(mut self, config: tokio_postgres::Config) -> Self {
        self.listen = Some(config);
        self
    }

    /// The schema for the store's tables; default [`DEFAULT_SCHEMA`](super::schema::DEFAULT_SCHEMA).
    /// Validated by [`connect`](Self::connect) with [`SchemaName::new`].
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = schema.into();
        self
    }

    /// The pool's size for a store that makes its own pool; default: four per CPU.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = Some(max);
        self
    }

    /// Whether appends send a `NOTIFY` (default: yes). See
    /// [`subscribe_notifications`](super::PostgresEventStore::subscribe_notifications).
    pub fn notifications(mut self, enabled: bool) -> Self {
        self.notifications = enabled;
        self
    }

    /// How long a feed read waits at most for transactions that may still precede the
    /// events it can see (default [`DEFAULT_FEED_WAIT`]); see the module docs.
    pub fn feed_wait(mut self, max: Duration) -> Self {
        self.feed_wait = max;
        self
    }

    /// Validates the settings, makes the pool, and creates or upgrades the schema: what
    /// [`connect`](Self::connect) builds its store from.
    pub(super) async fn open(self) -> Result<StoreParts> {
        let schema = SchemaName::new(self.schema)?;
        if self.max_connections == Some(0) {
            return Err(Error::config(
                ConfigKind::Connections,
                "max_connections must be at least 1",
            ));
        }
        let own = |config: tokio_postgres::Config, settings: &TlsSettings| -> Result<_> {
            let own = ConnectTo {
                connector: Connector::for_settings(settings)?,
                config,
            };
            Ok((make_pool(&own, self.max_connections)?, Some(own)))
        };
        let (pool, own) = match self.source {
            Source::Pool(pool) => (pool, None),
            Source::Url(url) => {
                let (config, settings) = tls::parse(&url)?;
                own(config, &settings)?
            }
            Source::Config(config) => {
                let settings = TlsSettings::of_driver_config(&config);
                own(*config, &settings)?
            }
        };
        let listen = match self.listen {
            Some(config) => Some(ConnectTo {
                connector: Connector::for_settings(&TlsSettings::of_driver_config(&config))?,
                config,
            }),
            None => own,
        };
        let mut client = pool.get().await.map_err(backend)?;
        let xid_offset = migrations::migrate(&mut client, &schema).await?;
        drop(client);
        Ok(StoreParts {
            pool,
            schema,
            listen,
            notifications: self.notifications,
            feed_wait: self.feed_wait,
            xid_offset,
        })
    }
}

/// What a store is made of, once its configuration is checked and its schema is ready.
pub(super) struct StoreParts {
    pub(super) pool: Pool,
    pub(super) schema: SchemaName,
    /// Connection settings for listening and for sending `NOTIFY`s, when known.
    pub(super) listen: Option<ConnectTo>,
    pub(super) notifications: bool,
    pub(super) feed_wait: Duration,
    pub(super) xid_offset: i64,
}

pub(super) fn make_pool(to: &ConnectTo, max: Option<usize>) -> Result<Pool> {
    let manager = to.connector.manager(
        to.config.clone(),
        ManagerConfig {
            // A closed connection is dropped on return; a broken one fails its next query,
            // and is then closed and dropped: no test query on every checkout.
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let mut builder = Pool::builder(manager).runtime(Runtime::Tokio1);
    if let Some(max) = max {
        builder = builder.max_size(max);
    }
    builder.build().map_err(|e| {
        Error::config(
            ConfigKind::Connections,
            format!("cannot build the connection pool: {e}"),
        )
    })
}

impl fmt::Debug for PostgresConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the connection string: it may hold a password.
        let source = match self.source {
            Source::Url(_) => "url",
            Source::Config(_) => "config",
            Source::Pool(_) => "pool",
        };
        f.debug_struct("PostgresConfig")
            .field("source", &source)
            .field("schema", &self.schema)
            .field("max_connections", &self.max_connections)
            .field("notifications", &self.notifications)
            .field("feed_wait", &self.feed_wait)
            .finish_non_exhaustive()
    }
}
