//! [`AppendSignal`]: a wake-up after appends, so that a subscription that caught up waits
//! for new events instead of polling.

use tokio::sync::watch;

/// Wakes its holder after events were appended. Get one from
/// [`EventStore::append_signal`](super::EventStore::append_signal).
///
/// A signal may fire without a new event (a wake-up, not a promise) and several appends may
/// fire it once; the holder reads the feed to see what is new. Cloning gives an independent
/// receiver.
#[derive(Debug, Clone)]
pub struct AppendSignal {
    appended: watch::Receiver<()>,
}

impl AppendSignal {
    /// Waits for the next wake-up. Returns `false` when no wake-up can come any more (the
    /// store was dropped, or its notification connection ended for good): the holder then
    /// falls back to polling.
    pub async fn wait(&mut self) -> bool {
        self.appended.changed().await.is_ok()
    }
}

/// The sending side a store keeps: [`notify`](Self::notify) after every commit.
#[derive(Debug)]
pub struct AppendNotifier {
    appended: watch::Sender<()>,
}

impl Default for AppendNotifier {
    fn default() -> Self {
        Self::new()
    }
}

impl AppendNotifier {
    /// A notifier no one listens to yet.
    pub fn new() -> Self {
        AppendNotifier {
            appended: watch::Sender::new(()),
        }
    }

    /// Wakes every [`AppendSignal`] of this notifier. Cheap when no one listens.
    pub fn notify(&self) {
        if self.has_listeners() {
            self.appended.send_replace(());
        }
    }

    /// Whether any [`AppendSignal`] of this notifier is still held.
    pub(crate) fn has_listeners(&self) -> bool {
        self.appended.receiver_count() > 0
    }

    /// A new signal, woken by the next [`notify`](Self::notify).
    pub fn signal(&self) -> AppendSignal {
        AppendSignal {
            appended: self.appended.subscribe(),
        }
    }
}
