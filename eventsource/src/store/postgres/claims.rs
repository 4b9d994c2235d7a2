//! One owner per subscription name across processes:
//! [`PostgresEventStore::claim_subscription`], a session advisory lock held by a connection
//! that lives exactly as long as the claim.
//!
//! The lock's key is [`claim_key`]: FNV-1a (64 bits) of
//! `eventsource.subscription/<schema>/<subscription>` in UTF-8, read as an `i64`. It is
//! computed here, not by the server, so that it is the same in every process, every
//! version of eventsource and every PostgreSQL version. A schema name cannot hold `/`, so
//! the text is never ambiguous. Keys are per database, and the one-`bigint` lock space is
//! apart from the two-`int4` one the migrations lock in, so the two never meet; another
//! application taking `bigint` advisory locks in the same database could, by a 1 in 2⁶⁴
//! chance, collide with a claim (it would then hold the claim off, never share it).

use super::PostgresEventStore;
use super::errors::{backend, release};
use super::tls::ConnectTo;
use crate::error::Result;
use crate::store::SubscriptionClaim;
use crate::store::backend::fnv1a;
use deadpool_postgres::{ClientWrapper, Object};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::watch;

/// Takes the claim's lock; `true` when it was granted.
const TRY_LOCK: &str = "SELECT pg_try_advisory_lock($1)";

/// How often a claim held on a connection taken from the pool looks whether the
/// connection has ended (the pool drives that connection, so its end is not seen directly).
const POOLED_CHECK: Duration = Duration::from_millis(250);

/// The advisory-lock key of `subscription` in `schema` (see the module docs).
pub(super) fn claim_key(schema: &str, subscription: &str) -> i64 {
    let hash = fnv1a(["eventsource.subscription/", schema, "/", subscription]);
    i64::from_ne_bytes(hash.to_ne_bytes())
}

impl PostgresEventStore {
    /// Claims `subscription` for this process (see
    /// [`SubscriptionStore::claim`](crate::store::SubscriptionStore::claim)): `Ok(None)`
    /// while another connection, in this process or any other, holds it.
    ///
    /// With connection settings (a store made from a URL or a `tokio_postgres::Config`,
    /// or given [`PostgresConfig::listen_config`](super::PostgresConfig::listen_config)) the
    /// claim opens a connection of its own, unencrypted like the listener's. Without them
    /// (a pool alone) it takes a connection out of the pool for good, which frees a slot
    /// for the pool to make another; a refused claim hands it back. Either way the claim
    /// ends with that connection: dropping the claim closes it, and the server releases the
    /// lock when it sees it close. The claim is lost ([`SubscriptionClaim::is_lost`]) once
    /// the connection ends otherwise (an error, the server ending the session).
    ///
    /// Errors: [`Error::Backend`](crate::Error::Backend) when the connection or the query
    /// fails.
    pub async fn claim_subscription(
        &self,
        subscription: &str,
    ) -> Result<Option<SubscriptionClaim>> {
        let key = claim_key(self.inner.schema.as_str(), subscription);
        match &self.inner.listen {
            Some(config) => claim_on_own_connection(config, key).await,
            None => self.claim_on_pooled_connection(key).await,
        }
    }

    /// A claim on a connection taken out of the pool, for a store without connection
    /// settings; a task watches it (see [`watch_pooled`]).
    async fn claim_on_pooled_connection(&self, key: i64) -> Result<Option<SubscriptionClaim>> {
        let client = self.client().await?;
        let granted = async {
            let statement = client.prepare_cached(TRY_LOCK).await?;
            client
                .query_one(&statement, &[&key])
                .await?
                .try_get::<_, bool>(0)
        }
        .await
        .map_err(backend);
        if !matches!(granted, Ok(true)) {
            // Refused or failed: the connection goes back to the pool (or, lost, is dropped).
            return release(client, granted).map(|_| None);
        }
        let client = Arc::new(Object::take(client));
        let (lost_tx, lost_rx) = watch::channel(false);
        watch_pooled(Arc::downgrade(&client), lost_tx);
        Ok(Some(SubscriptionClaim::held_by(client, lost_rx)))
    }
}

/// A claim on a connection of its own: its driver task marks the claim lost when the
/// connection ends, for whatever reason (dropping the claim ends it too, unobserved).
async fn claim_on_own_connection(to: &ConnectTo, key: i64) -> Result<Option<SubscriptionClaim>> {
    let (client, connection) = to.connect(None).await.map_err(backend)?;
    let (lost_tx, lost_rx) = watch::channel(false);
    tokio::spawn(async move {
        let ended = connection.await;
        if !lost_tx.is_closed() {
            if let Ok(Err(error)) = &ended {
                tracing::warn!(%error, "a subscription claim's connection failed");
            }
            let _ = lost_tx.send(true);
        }
    });
    let granted: bool = client
        .query_one(TRY_LOCK, &[&key])
        .await
        .and_then(|row| row.try_get(0))
        .map_err(backend)?;
    // Refused: dropping the client closes the connection.
    Ok(granted.then(|| SubscriptionClaim::held_by(client, lost_rx)))
}

/// Watches a connection taken from the pool until it ends (lost) or the claim is dropped.
fn watch_pooled(client: Weak<ClientWrapper>, lost_tx: watch::Sender<bool>) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(POOLED_CHECK);
        loop {
            tokio::select! {
                () = lost_tx.closed() => return,
                _ = ticks.tick() => {}
            }
            match client.upgrade() {
                None => return,
                Some(client) if client.is_closed() => {
                    let _ = lost_tx.send(true);
                    return;
                }
                Some(_) => {}
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::claim_key;

    #[test]
    fn the_key_is_fixed_and_qualified_by_the_schema() {
        // Processes of different versions must agree on it: never change this value.
        assert_eq!(
            claim_key("eventsource", "orders"),
            7_911_337_372_581_753_897
        );
        assert_ne!(
            claim_key("eventsource", "orders"),
            claim_key("other", "orders")
        );
        assert_ne!(claim_key("ab", "c"), claim_key("a", "bc"));
    }
}
