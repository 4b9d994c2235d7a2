//! Wake-ups when events are appended: `LISTEN` on a connection of its own.

use super::backend;
use super::schema::SchemaName;
use crate::error::{Error, Result};
use std::future::poll_fn;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

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
    pub(super) async fn listen(
        config: &tokio_postgres::Config,
        schema: &SchemaName,
    ) -> Result<Self> {
        let (client, mut connection) = config.connect(NoTls).await.map_err(backend)?;
        let (sender, wakeups) = mpsc::channel(1);
        tokio::spawn(async move {
            loop {
                match poll_fn(|cx| connection.poll_message(cx)).await {
                    Some(Ok(AsyncMessage::Notification(_))) => {
                        // Full means a wake-up is pending already: they coalesce.
                        if let Err(mpsc::error::TrySendError::Closed(_)) = sender.try_send(Ok(())) {
                            return;
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(error)) => {
                        let _ = sender.send(Err(error)).await;
                        return;
                    }
                    None => return,
                }
            }
        });
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
