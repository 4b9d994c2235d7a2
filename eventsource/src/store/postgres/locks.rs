//! [`PostgresLocks`]: aggregate locks across every process on one schema, as session
//! advisory locks held by connections of their own.

use super::PostgresEventStore;
use super::config::make_pool;
use super::errors::{backend, release};
use crate::error::{ConfigKind, Error, Result};
use crate::future::BoxFuture;
use crate::lock::contract::{AggregateLocks, HeldLock};
use crate::store::backend::fnv1a;
use crate::stream::StreamId;
use deadpool_postgres::{Object, Pool};
use std::fmt;
use std::time::Duration;
use tokio::time::Instant;
use tokio_postgres::error::SqlState;

/// How many connections [`PostgresEventStore::aggregate_locks`] keeps for locks: at most
/// this many aggregates are held (or waited for) by one process at once; the next one
/// waits for a connection, within its lock timeout.
pub const DEFAULT_LOCK_CONNECTIONS: usize = 16;

const TRY_LOCK: &str = "SELECT pg_try_advisory_lock($1)";
const LOCK: &str = "SELECT pg_advisory_lock($1)";
const UNLOCK: &str = "SELECT pg_advisory_unlock($1)";

/// Aggregate locks for [`LockingRepository::across_processes`](crate::LockingRepository::across_processes)
/// that hold across every process using the store's schema, on any machine.
///
/// A lock is a session advisory lock (`pg_advisory_lock`) on a connection of a pool kept
/// for locks alone, apart from the store's, so a process waiting for locks never takes
/// the connections its saves need. Its key is FNV-1a (64 bits) of
/// `eventsource.aggregate/<schema>/<aggregate type>/<aggregate id>`, computed here (the
/// same in every process and version), in the one-`bigint` advisory key space; another
/// key that collides with it (1 in 2⁶⁴) holds it off, never shares it.
///
/// The server grants waiters in the order they asked, and ends a wait after the caller's
/// timeout (`lock_timeout`), which is then [`Error::LockTimeout`]. Dropping the
/// [`HeldLock`] unlocks and hands the connection back to the lock pool, from a task (a
/// drop cannot wait); without a runtime to run it, the connection is closed instead. A
/// holder that dies closes its connection with it (its OS closes the socket), and the
/// server releases the lock at once; a machine that vanishes without closing its sockets
/// holds it until the server's TCP keepalives end the session.
///
/// If a held lock's connection is lost (the server restarts), the lock is gone with it:
/// the holder's save is still checked by the store's optimistic concurrency.
#[derive(Clone)]
pub struct PostgresLocks {
    pool: Pool,
    schema: String,
}

impl fmt::Debug for PostgresLocks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresLocks")
            .field("schema", &self.schema)
            .field("pool", &self.pool.status())
            .finish()
    }
}

impl PostgresEventStore {
    /// Locks that hold aggregates across processes (see [`PostgresLocks`]), on up to
    /// [`DEFAULT_LOCK_CONNECTIONS`] connections of their own.
    ///
    /// Errors: [`Error::Config`] for a store made from a pool alone: the locks need
    /// connection settings ([`PostgresConfig::listen_config`](super::PostgresConfig::listen_config)).
    pub fn aggregate_locks(&self) -> Result<PostgresLocks> {
        self.aggregate_locks_with(DEFAULT_LOCK_CONNECTIONS)
    }

    /// [`aggregate_locks`](Self::aggregate_locks) on up to `connections` connections.
    pub fn aggregate_locks_with(&self, connections: usize) -> Result<PostgresLocks> {
        let Some(config) = &self.inner.listen else {
            return Err(Error::config(
                ConfigKind::Connection,
                "aggregate locks need connection settings: give `PostgresConfig::listen_config` \
                 along with the pool",
            ));
        };
        if connections == 0 {
            return Err(Error::config(
                ConfigKind::Connections,
                "aggregate locks need at least one connection",
            ));
        }
        Ok(PostgresLocks {
            pool: make_pool(config, Some(connections))?,
            schema: self.inner.schema.as_str().to_owned(),
        })
    }
}

impl PostgresLocks {
    /// The advisory-lock key of `stream` (see the type's docs).
    pub fn key_of(&self, stream: &StreamId) -> i64 {
        let hash = fnv1a([
            "eventsource.aggregate/",
            self.schema.as_str(),
            "/",
            stream.aggregate_type.as_str(),
            "/",
            stream.aggregate_id.as_str(),
        ]);
        i64::from_ne_bytes(hash.to_ne_bytes())
    }

    async fn acquire(&self, stream: &StreamId, wait: Duration) -> Result<HeldLock> {
        let timeout = || Error::LockTimeout {
            stream: stream.clone(),
            waited: wait,
        };
        let deadline = Instant::now() + wait;
        let client = match tokio::time::timeout(wait, self.pool.get()).await {
            Ok(client) => client.map_err(backend)?,
            Err(_) => return Err(timeout()),
        };
        let mut connection = LockConnection {
            client: Some(client),
            unlocked: false,
        };
        let key = self.key_of(stream);
        let client = connection.client()?;
        let granted = async {
            let statement = client.prepare_cached(TRY_LOCK).await?;
            client
                .query_one(&statement, &[&key])
                .await?
                .try_get::<_, bool>(0)
        }
        .await
        .map_err(backend)?;
        if !granted {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                connection.unlocked = true; // never locked: back to the pool
                return Err(timeout());
            }
            // The server ends the wait; the client's own deadline is a backstop for a
            // server that does not answer (the connection is then closed).
            let millis = left.as_millis().max(1);
            let waited = async {
                client
                    .batch_execute(&format!("SET lock_timeout = {millis}"))
                    .await?;
                let statement = client.prepare_cached(LOCK).await?;
                client.execute(&statement, &[&key]).await
            };
            match tokio::time::timeout(left + Duration::from_secs(5), waited).await {
                Ok(Ok(_)) => {}
                Ok(Err(error)) if error.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => {
                    connection.unlocked = true;
                    return Err(timeout());
                }
                Ok(Err(error)) => {
                    connection.unlocked = true;
                    let client = connection.take()?;
                    return release(client, Err(backend(error)));
                }
                Err(_) => return Err(timeout()),
            }
        }
        Ok(HeldLock::new(Held {
            connection: Some(connection),
            key,
        }))
    }
}

impl AggregateLocks for PostgresLocks {
    fn lock<'a>(&'a self, stream: &'a StreamId, wait: Duration) -> BoxFuture<'a, Result<HeldLock>> {
        Box::pin(self.acquire(stream, wait))
    }
}

/// A lock pool's connection: back to the pool only when it is known to hold no lock;
/// otherwise closed, which makes the server release whatever it holds.
struct LockConnection {
    client: Option<Object>,
    unlocked: bool,
}

impl LockConnection {
    fn client(&self) -> Result<&Object> {
        self.client
            .as_ref()
            .ok_or_else(|| Error::backend("the lock connection was handed back already"))
    }

    fn take(&mut self) -> Result<Object> {
        self.client
            .take()
            .ok_or_else(|| Error::backend("the lock connection was handed back already"))
    }
}

impl Drop for LockConnection {
    fn drop(&mut self) {
        if let Some(client) = self.client.take()
            && !self.unlocked
        {
            drop(Object::take(client));
        }
    }
}

/// A granted lock: dropping it unlocks from a task, or closes the connection.
struct Held {
    connection: Option<LockConnection>,
    key: i64,
}

impl Drop for Held {
    fn drop(&mut self) {
        let Some(mut connection) = self.connection.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return; // `connection` closes as it drops
        };
        let key = self.key;
        runtime.spawn(async move {
            let Ok(client) = connection.client() else {
                return;
            };
            let unlocked = async {
                let statement = client.prepare_cached(UNLOCK).await?;
                client
                    .query_one(&statement, &[&key])
                    .await?
                    .try_get::<_, bool>(0)
            }
            .await;
            connection.unlocked = matches!(unlocked, Ok(true));
            if !connection.unlocked {
                tracing::warn!(
                    ?unlocked,
                    "unlocking an aggregate failed; closing its connection"
                );
            }
        });
    }
}
