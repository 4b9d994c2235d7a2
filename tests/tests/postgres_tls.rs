//! The PostgreSQL store over TLS, against a server of the test's own (see
//! `eventsource_tests::tls_server`) with a certificate signed by a CA the test makes:
//! `sslmode` and `sslrootcert` from the URL are honoured by the pool and by the
//! connections the store makes itself (notifications), and a certificate that does not
//! verify is refused.
#![cfg(feature = "postgres-tls")]

use eventsource::prelude::*;
use eventsource::{EventStore, ExpectedVersion, StreamId};
use eventsource::{PostgresEventStore, store::postgres::PostgresConfig};
use eventsource_tests::fixtures::raw;
use eventsource_tests::tls_server::{TestCa, TlsServer};
use std::time::Duration;

fn url(server: &TlsServer, host: &str, settings: &str) -> String {
    format!(
        "postgres://postgres@{host}:{}/postgres?{settings}",
        server.port()
    )
}

/// Whether the store's pooled connection is encrypted, as the server sees it.
async fn pool_uses_tls(store: &PostgresEventStore) -> bool {
    let client = store.pool().get().await.unwrap();
    client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

async fn append_and_read(store: &PostgresEventStore) {
    let stream = StreamId::new("Account", Uuid::now_v7().to_string());
    store
        .append(
            &stream,
            ExpectedVersion::NoStream,
            vec![raw("Deposited", 1, r#"{"amount":1}"#)],
        )
        .await
        .unwrap();
    assert_eq!(store.read_stream(&stream, 0).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_full_encrypts_the_pool_and_the_notification_connections() {
    let ca = TestCa::new("eventsource test CA");
    let Some(server) = TlsServer::start(&ca) else {
        return;
    };
    let root = ca.write(&server.dir().join("root.pem"));
    let store = PostgresConfig::from_url(url(
        &server,
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", root.display()),
    ))
    .connect()
    .await
    .unwrap();
    assert!(pool_uses_tls(&store).await);

    // Notifications: the listener's connection and the one that sends NOTIFYs are the
    // store's own; a wake-up arrives after an append.
    let mut wakeups = store.subscribe_notifications().await.unwrap();
    append_and_read(&store).await;
    tokio::time::timeout(Duration::from_secs(10), wakeups.wait())
        .await
        .expect("a wake-up after the append")
        .unwrap();

    // Every client connection the server has is this test's, and every one is
    // encrypted: the pool's, the listener's and the notifier's.
    let client = store.pool().get().await.unwrap();
    let row = client
        .query_one(
            "SELECT count(*) FILTER (WHERE NOT s.ssl), \
                    count(*) FILTER (WHERE a.query LIKE 'LISTEN%'), \
                    count(*) FILTER (WHERE a.query LIKE 'SELECT pg_notify%') \
             FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) \
             WHERE a.backend_type = 'client backend'",
            &[],
        )
        .await
        .unwrap();
    let (clear, listening, notifying): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(clear, 0, "a connection without TLS");
    assert_eq!(listening, 1, "the listening connection");
    assert_eq!(notifying, 1, "the notifying connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_that_do_not_verify_are_refused() {
    let ca = TestCa::new("eventsource test CA");
    let Some(server) = TlsServer::start(&ca) else {
        return;
    };
    let root = ca.write(&server.dir().join("root.pem"));
    let other = TestCa::new("another CA").write(&server.dir().join("other.pem"));

    // Signed by another CA: refused in every verifying mode.
    for mode in ["verify-ca", "verify-full"] {
        let refused = PostgresConfig::from_url(url(
            &server,
            "localhost",
            &format!("sslmode={mode}&sslrootcert={}", other.display()),
        ))
        .connect()
        .await;
        match refused {
            Err(error) => assert!(
                error.to_string().contains("certificate"),
                "{mode}: the error should say why: {error}"
            ),
            Ok(_) => panic!("{mode}: a certificate of another CA was accepted"),
        }
    }

    // The certificate names `localhost`, not 127.0.0.1: verify-full refuses the address,
    // verify-ca (the chain only) accepts it.
    let by_address = |mode: &str| {
        PostgresConfig::from_url(url(
            &server,
            "127.0.0.1",
            &format!("sslmode={mode}&sslrootcert={}", root.display()),
        ))
        .connect()
    };
    match by_address("verify-full").await {
        Err(error) => assert!(
            error.to_string().contains("certificate"),
            "the error should say why: {error}"
        ),
        Ok(_) => panic!("verify-full accepted a certificate for another name"),
    }
    let store = by_address("verify-ca").await.unwrap();
    assert!(pool_uses_tls(&store).await);
    append_and_read(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn require_encrypts_and_disable_does_not() {
    let ca = TestCa::new("eventsource test CA");
    let Some(server) = TlsServer::start(&ca) else {
        return;
    };
    let required = PostgresConfig::from_url(url(&server, "127.0.0.1", "sslmode=require"))
        .connect()
        .await
        .unwrap();
    assert!(pool_uses_tls(&required).await);
    append_and_read(&required).await;
    let preferred = PostgresConfig::from_url(url(&server, "127.0.0.1", "application_name=t"))
        .connect()
        .await
        .unwrap();
    assert!(
        pool_uses_tls(&preferred).await,
        "prefer takes TLS when offered"
    );
    let clear = PostgresConfig::from_url(url(&server, "127.0.0.1", "sslmode=disable"))
        .connect()
        .await
        .unwrap();
    assert!(!pool_uses_tls(&clear).await);
}
