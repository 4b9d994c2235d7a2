//! Wake-ups when events are appended: `LISTEN` on a connection of its own.

use super::errors::backend;
use super::schema::SchemaName;
use super::tls::ConnectTo;
use crate::error::{Error, Result};
use crate::store::{AppendNotifier, AppendSignal};
use deadpool_postgres::Pool;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

/// Wake-ups for readers of the feed: one arrives after appends to the store's schema,
/// from any process. Several appends may give one wake-up.
///
/// A wake-up carries nothing and is a hint, never the data: after waking, read the feed
/// from your checkpoint. A notification can be lost (the appending process crashed right
/// after its commit) or spurious (a failed append also notifies), so a follower also reads
/// the feed now and then without being woken.
///
/// Dropping it closes the listening connection.
#[must_use = "wake-ups arrive only while this is kept and waited on"]
#[derive(Debug)]
pub struct FeedWakeups {
    wakeups: mpsc::Receiver<Result<(), tokio_postgres::Error>>,
    // Keeps the connection open: it closes when the client is dropped.
    _client: tokio_postgres::Client,
}

impl FeedWakeups {
    pub(super) async fn listen(to: &ConnectTo, schema: &SchemaName) -> Result<Self> {
        let (sender, wakeups) = mpsc::channel(1);
        let (client, _driver) = to.connect(Some(sender)).await.map_err(backend)?;
        // The channel name comes from a validated schema name: safe to write into SQL.
        client
            .batch_execute(&format!("LISTEN \"{}\"", schema.notification_channel()))
            .await
            .map_err(backend)?;
        Ok(FeedWakeups {
            wakeups,
            _client: client,
        })
    }

    /// Waits for the next wake-up.
    ///
    /// Errors: [`Error::Backend`] once the listening connection is lost; subscribe again
    /// (and read the feed, since wake-ups may have been missed meanwhile).
    pub async fn wait(&mut self) -> Result<()> {
        match self.wakeups.recv().await {
            Some(Ok(())) => Ok(()),
            Some(Err(error)) => Err(backend(error)),
            None => Err(Error::backend("the notification connection is closed")),
        }
    }

    /// A pending wake-up, without waiting: `Ok(true)` if there was one.
    pub fn try_wait(&mut self) -> Result<bool> {
        match self.wakeups.try_recv() {
            Ok(Ok(())) => Ok(true),
            Ok(Err(error)) => Err(backend(error)),
            Err(mpsc::error::TryRecvError::Empty) => Ok(false),
            Err(mpsc::error::TryRecvError::Disconnected) => {
                Err(Error::backend("the notification connection is closed"))
            }
        }
    }
}

/// How often a relay with no wake-ups looks whether its signals are all dropped.
const RELAY_CHECK: Duration = Duration::from_secs(1);

/// An [`AppendSignal`] woken by `wakeups`: a task relays each wake-up until the listening
/// connection fails or the last signal is dropped (seen within [`RELAY_CHECK`]); the
/// listening connection closes with it.
pub(super) fn relay(mut wakeups: FeedWakeups) -> AppendSignal {
    let notifier = AppendNotifier::new();
    let signal = notifier.signal();
    tokio::spawn(async move {
        while notifier.has_listeners() {
            // `wait` is cancel-safe: a wake-up arriving meanwhile stays queued.
            let Ok(woken) = tokio::time::timeout(RELAY_CHECK, wakeups.wait()).await else {
                continue;
            };
            if let Err(error) = woken {
                tracing::warn!(%error, "append wake-ups ended; subscriptions poll");
                return;
            }
            notifier.notify();
        }
    });
    signal
}

/// The longest a burst of appends waits for its `NOTIFY`, and the shortest time between
/// two of them: appends in between share one.
pub(super) const NOTIFY_INTERVAL: Duration = Duration::from_millis(10);

/// Sends the store's `NOTIFY`s from a task of its own: at most one per
/// [`NOTIFY_INTERVAL`], and always one after the last append.
///
/// Not inside the append: a `NOTIFY` in a transaction takes PostgreSQL's database-wide
/// notification lock from its commit until the commit is flushed, which serialises every
/// appending transaction. Not one per append either: under load that doubles the server's
/// transactions.
pub(super) struct Notifier {
    channel: String,
    target: NotifyTarget,
    signal: Arc<Notify>,
    task: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Clone)]
enum NotifyTarget {
    /// A connection of the notifier's own.
    Config(Box<ConnectTo>),
    /// Connections from the store's pool (when the store was given a pool alone).
    Pool(Pool),
}

impl Notifier {
    pub(super) fn new(schema: &SchemaName, config: Option<ConnectTo>, pool: Pool) -> Self {
        Notifier {
            channel: schema.notification_channel(),
            target: config.map_or(NotifyTarget::Pool(pool), |c| {
                NotifyTarget::Config(Box::new(c))
            }),
            signal: Arc::new(Notify::new()),
            task: Mutex::new(None),
        }
    }

    /// Announces an append that has committed.
    pub(super) fn appended(&self) {
        let mut task = self
            .task
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if task.as_ref().is_none_or(JoinHandle::is_finished) {
            let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                return;
            };
            let (signal, target, channel) = (
                self.signal.clone(),
                self.target.clone(),
                self.channel.clone(),
            );
            *task = Some(runtime.spawn(send_notifications(signal, target, channel)));
        }
        // Stored if the task is busy: it sends once more when it is done.
        self.signal.notify_one();
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        let task = self
            .task
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(task) = task.take() {
            task.abort();
        }
    }
}

async fn send_notifications(signal: Arc<Notify>, target: NotifyTarget, channel: String) {
    const NOTIFY: &str = "SELECT pg_notify($1, '')";
    let mut own: Option<(tokio_postgres::Client, tokio_postgres::Statement)> = None;
    loop {
        signal.notified().await;
        let sent = match &target {
            NotifyTarget::Config(config) => {
                if own.as_ref().is_none_or(|(client, _)| client.is_closed()) {
                    own = connect(config, NOTIFY).await;
                }
                match &own {
                    Some((client, statement)) => client.execute(statement, &[&channel]).await,
                    None => Ok(0),
                }
            }
            NotifyTarget::Pool(pool) => match pool.get().await {
                Ok(client) => match client.prepare_cached(NOTIFY).await {
                    Ok(statement) => client.execute(&statement, &[&channel]).await,
                    Err(error) => Err(error),
                },
                Err(error) => {
                    tracing::warn!(%error, "no connection to send notifications");
                    Ok(0)
                }
            },
        };
        if let Err(error) = sent {
            tracing::warn!(%error, "NOTIFY after appends failed");
        }
        tokio::time::sleep(NOTIFY_INTERVAL).await;
    }
}

async fn connect(
    to: &ConnectTo,
    sql: &str,
) -> Option<(tokio_postgres::Client, tokio_postgres::Statement)> {
    let connected = async {
        let (client, _driver) = to.connect(None).await?;
        let statement = client.prepare(sql).await?;
        Ok::<_, tokio_postgres::Error>((client, statement))
    };
    match connected.await {
        Ok(connected) => Some(connected),
        Err(error) => {
            tracing::warn!(%error, "cannot connect to send notifications");
            None
        }
    }
}
