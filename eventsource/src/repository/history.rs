//! [`Repository::load_at`]: an aggregate as it was after one of its versions.

use super::{Repository, stream_of};
use crate::aggregate::Aggregate;
use crate::error::{Error, Result};
use crate::root::AggregateRoot;
use crate::store::EventStore;
use tracing::Instrument;

impl<A: Aggregate, S: EventStore> Repository<A, S> {
    /// The aggregate as it was right after `version`: its events up to that version
    /// applied, after a snapshot only when the snapshot is at or before `version` (a
    /// newer one is passed over, without a warning). An unusable snapshot falls back to a
    /// replay from the first event, as in [`load`](Self::load).
    ///
    /// The events after `version` are read and passed over, so asking for an early version
    /// of a long stream costs about as much as loading it without a snapshot.
    ///
    /// Errors: [`Error::NotFound`] when the aggregate has no events;
    /// [`Error::NoSuchVersion`] when the stream is shorter than `version`, or `version` is
    /// 0 (no aggregate is stored as of version 0); decode and corruption errors as
    /// [`load`](Self::load).
    ///
    /// ```
    /// # use eventsource::prelude::*;
    /// # #[event] pub struct Deposited { pub amount: i64 }
    /// # #[derive(Aggregate, Default)]
    /// #
    /// # pub struct Account { balance: i64 }
    /// # #[apply] impl Account { fn deposited(&mut self, e: &Deposited) { self.balance += e.amount; } }
    /// # async fn demo() -> eventsource::Result<()> {
    /// let repo = Repository::<Account, _>::new(InMemoryEventStore::new());
    /// let id = Uuid::now_v7();
    /// let mut account = repo.create_new(id);
    /// account.record([Deposited { amount: 1 }, Deposited { amount: 10 }, Deposited { amount: 100 }]);
    /// repo.save(&mut account).await?;
    /// let then = repo.load_at(id, 2).await?;
    /// assert_eq!((then.version(), then.balance), (2, 11));
    /// assert!(repo.load_at(id, 4).await.is_err(), "the stream is shorter");
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn load_at(&self, id: A::Id, version: u64) -> Result<AggregateRoot<A>> {
        let stream = stream_of::<A>(&id);
        let span = tracing::debug_span!("eventsource.load_at", stream = %stream, version);
        async {
            if version == 0 {
                let current = self.store.stream_version(&stream).await?;
                return Err(Error::NoSuchVersion {
                    stream,
                    requested: 0,
                    current,
                });
            }
            if let Some(snapshots) = &self.snapshots
                && let Some((at, state)) = snapshots.restore(&stream).await
                && at <= version
            {
                let root = AggregateRoot::from_state(id.clone(), at, state);
                let replay = self.replay(&stream, root, Some(at), Some(version)).await?;
                if replay.anchor_seen {
                    return reached(replay.root, version);
                }
                tracing::warn!(
                    %stream,
                    snapshot_version = at,
                    "the stream does not reach the snapshot's version; replaying all events"
                );
            }
            let replay = self
                .replay(&stream, AggregateRoot::new(id), None, Some(version))
                .await?;
            let root = replay.root;
            if root.version() == 0 {
                return Err(Error::NotFound {
                    aggregate_type: stream.aggregate_type,
                    aggregate_id: stream.aggregate_id,
                });
            }
            reached(root, version)
        }
        .instrument(span)
        .await
    }
}

/// `root` if it reached `version`; otherwise the stream is shorter.
fn reached<A: Aggregate>(root: AggregateRoot<A>, version: u64) -> Result<AggregateRoot<A>> {
    if root.version() < version {
        return Err(Error::NoSuchVersion {
            stream: root.stream(),
            requested: version,
            current: root.version(),
        });
    }
    Ok(root)
}
