//! Group commit: appends queued for the writing connection at the same moment share one
//! transaction and one commit (one `fsync` under `synchronous = FULL`), while each keeps
//! its own version check, its own outcome and its own error.
//!
//! The writer takes every append waiting in its queue (up to [`MOST_PER_GROUP`]), opens
//! one `BEGIN IMMEDIATE` transaction, and runs each append inside a savepoint of its own:
//! an append that fails is rolled back to its savepoint, alone, and its caller gets its
//! error; the others go on. One `COMMIT` then stores every append that succeeded, and only
//! then are their callers answered. Should the commit fail, no append of the group is
//! stored and every caller whose append had succeeded gets the commit's error.
//!
//! Nothing waits to form a group: a group is whatever queued while the previous one was
//! committing. A single writer therefore pays nothing for it (its group holds one append
//! and runs without savepoints), and concurrent writers share the cost of each flush.

use super::error::backend;
use crate::error::{Error, Result};
use rusqlite::Connection;
use std::panic::{AssertUnwindSafe, catch_unwind};
use tokio::sync::oneshot;

/// The most appends one transaction takes: bounds how long the first caller of a group
/// waits behind the others.
pub(super) const MOST_PER_GROUP: usize = 64;

/// A write that runs inside a transaction the writer opens, possibly shared with others.
pub(super) trait GroupedWrite: Send {
    /// Runs the write on `connection`, inside the group's transaction; `false` when it
    /// failed (its changes must then be rolled back) or panicked.
    fn run(&mut self, connection: &Connection) -> bool;

    /// Answers the caller once the group's transaction ended: `Ok` when it committed.
    fn finish(self: Box<Self>, commit: std::result::Result<(), &rusqlite::Error>);
}

/// What a caller waits for: the write's result, or the panic it raised.
pub(super) type Reply<T> = oneshot::Sender<std::thread::Result<Result<T>>>;

/// A [`GroupedWrite`] made of a closure and its caller's reply channel.
pub(super) struct Pending<T, F> {
    job: Option<F>,
    outcome: Option<std::thread::Result<Result<T>>>,
    reply: Reply<T>,
}

impl<T, F> Pending<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T> + Send + 'static,
{
    pub(super) fn new(job: F, reply: Reply<T>) -> Self {
        Pending {
            job: Some(job),
            outcome: None,
            reply,
        }
    }
}

impl<T, F> GroupedWrite for Pending<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T> + Send + 'static,
{
    fn run(&mut self, connection: &Connection) -> bool {
        let Some(job) = self.job.take() else {
            return false;
        };
        // A panic goes back to the caller; the savepoint (or the transaction) is rolled
        // back like a failure, so the connection stays usable.
        let outcome = catch_unwind(AssertUnwindSafe(|| job(connection)));
        let succeeded = matches!(outcome, Ok(Ok(_)));
        self.outcome = Some(outcome);
        succeeded
    }

    fn finish(self: Box<Self>, commit: std::result::Result<(), &rusqlite::Error>) {
        let answer = match (self.outcome, commit) {
            (Some(Ok(Ok(value))), Ok(())) => Ok(Ok(value)),
            (Some(Ok(Ok(_))), Err(error)) | (None, Err(error)) => Ok(Err(not_committed(error))),
            (None, Ok(())) => Ok(Err(Error::backend("the append was not run"))),
            (Some(failed), _) => failed,
        };
        let _ = self.reply.send(answer);
    }
}

/// The error of every append of a group whose transaction did not commit, keeping
/// SQLite's code (so that a busy database stays retryable).
fn not_committed(error: &rusqlite::Error) -> Error {
    match error {
        rusqlite::Error::SqliteFailure(code, message) => {
            backend(rusqlite::Error::SqliteFailure(*code, message.clone()))
        }
        other => Error::backend(format!("the append's transaction did not commit: {other}")),
    }
}

/// Runs `group` in one transaction, as the module's documentation describes. Returns
/// whether it committed.
pub(super) fn run(connection: &Connection, group: Vec<Box<dyn GroupedWrite>>) -> bool {
    if let Err(error) = connection.execute_batch("BEGIN IMMEDIATE") {
        for write in group {
            write.finish(Err(&error));
        }
        return false;
    }
    let alone = group.len() == 1;
    let mut done: Vec<Box<dyn GroupedWrite>> = Vec::with_capacity(group.len());
    let mut waiting = group.into_iter();
    while let Some(mut write) = waiting.next() {
        if !alone && let Err(error) = connection.execute_batch("SAVEPOINT eventsource_append") {
            write.finish(Err(&error));
            continue;
        }
        let succeeded = write.run(connection);
        if connection.is_autocommit() {
            // SQLite rolled the whole transaction back (an I/O error, a full disk): the
            // appends before this one are gone too. Tell their callers, start again.
            let error = rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                Some("the transaction was rolled back by SQLite".into()),
            );
            for earlier in done.drain(..) {
                earlier.finish(Err(&error));
            }
            write.finish(Err(&error));
            if let Err(error) = connection.execute_batch("BEGIN IMMEDIATE") {
                // Nothing left is run: each remaining write reports this error.
                return fail_all(waiting.collect(), &error);
            }
            continue;
        }
        let ended = match (alone, succeeded) {
            (true, true) => Ok(()),
            (true, false) => connection.execute_batch("ROLLBACK"),
            (false, true) => connection.execute_batch("RELEASE eventsource_append"),
            (false, false) => connection
                .execute_batch("ROLLBACK TO eventsource_append; RELEASE eventsource_append"),
        };
        match (ended, succeeded) {
            (Ok(()), true) => done.push(write),
            (Ok(()), false) => write.finish(Ok(())),
            (Err(error), _) => {
                // The transaction cannot be trusted any more: nothing of it is kept.
                let _ = connection.execute_batch("ROLLBACK");
                write.finish(Err(&error));
                done.extend(waiting);
                return fail_all(done, &error);
            }
        }
        if alone && !succeeded {
            return false;
        }
    }
    if done.is_empty() {
        // Every append failed and was rolled back: nothing to commit.
        let _ = connection.execute_batch("ROLLBACK");
        return false;
    }
    match connection.execute_batch("COMMIT") {
        Ok(()) => {
            for write in done {
                write.finish(Ok(()));
            }
            true
        }
        Err(error) => {
            if !connection.is_autocommit() {
                let _ = connection.execute_batch("ROLLBACK");
            }
            fail_all(done, &error)
        }
    }
}

fn fail_all(writes: Vec<Box<dyn GroupedWrite>>, error: &rusqlite::Error) -> bool {
    for write in writes {
        write.finish(Err(error));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::super::config::SqliteConfig;
    use super::super::connection::Database;
    use super::super::events;
    use crate::error::Error;
    use crate::event::EventMetadata;
    use crate::store::{AppendOutcome, ExpectedVersion, NewEvent, StreamId};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use uuid::Uuid;

    fn event(id: Uuid) -> NewEvent {
        let mut metadata = EventMetadata::new();
        metadata.event_id = id;
        NewEvent::new("Opened", 1, "{}", metadata)
    }

    async fn append(
        db: &Database,
        stream: &StreamId,
        expected: ExpectedVersion,
        batch: Vec<NewEvent>,
    ) -> crate::Result<AppendOutcome> {
        let stream = stream.clone();
        db.append(move |connection| events::append(connection, &stream, expected, batch))
            .await
    }

    async fn version(db: &Database, stream: &StreamId) -> u64 {
        let stream = stream.clone();
        db.read(move |connection| events::stream_version(connection, &stream))
            .await
            .unwrap()
    }

    /// Appends queued while the writer is busy are committed by one transaction, and each
    /// still gets its own outcome: a conflict and a duplicate id fail alone, and write
    /// nothing, while the others are stored.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn appends_queued_together_share_one_commit_and_keep_their_own_outcomes() {
        let db = Arc::new(Database::open(&SqliteConfig::in_memory()).await.unwrap());
        let taken = StreamId::new("Account", "taken");
        let stored_id = Uuid::now_v7();
        append(
            &db,
            &taken,
            ExpectedVersion::NoStream,
            vec![event(stored_id)],
        )
        .await
        .unwrap();

        let commits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&commits);
        db.write(move |connection| {
            connection
                .commit_hook(Some(move || {
                    counter.fetch_add(1, Ordering::SeqCst);
                    false
                }))
                .map_err(Error::backend)
        })
        .await
        .unwrap();

        // Hold the writer, so that the appends below queue up behind it.
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (holding, held) = tokio::sync::oneshot::channel();
        let blocker = {
            let db = Arc::clone(&db);
            tokio::spawn(async move {
                db.write(move |_| {
                    let _ = holding.send(());
                    let _ = released.recv();
                    Ok(())
                })
                .await
            })
        };
        held.await.unwrap();

        let fresh: Vec<StreamId> = (0..6)
            .map(|n| StreamId::new("Account", format!("fresh-{n}")))
            .collect();
        let mut tasks = Vec::new();
        for stream in &fresh {
            let (db, stream) = (Arc::clone(&db), stream.clone());
            // Two events each: a refused second event would have to take back the first.
            let batch = vec![event(Uuid::now_v7()), event(Uuid::now_v7())];
            tasks.push(tokio::spawn(async move {
                append(&db, &stream, ExpectedVersion::NoStream, batch).await
            }));
        }
        let conflict = {
            let (db, taken) = (Arc::clone(&db), taken.clone());
            tokio::spawn(async move {
                append(
                    &db,
                    &taken,
                    ExpectedVersion::NoStream,
                    vec![event(Uuid::now_v7())],
                )
                .await
            })
        };
        let duplicate = {
            let (db, taken) = (Arc::clone(&db), taken.clone());
            let batch = vec![event(Uuid::now_v7()), event(stored_id)];
            tokio::spawn(async move { append(&db, &taken, ExpectedVersion::Exact(1), batch).await })
        };
        while db.queued_writes() < fresh.len() + 2 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        release.send(()).unwrap();
        blocker.await.unwrap().unwrap();

        let mut positions = Vec::new();
        for task in tasks {
            let outcome = task.await.unwrap().unwrap();
            assert_eq!(outcome.records.len(), 2);
            positions.extend(outcome.records.iter().map(|r| r.position));
        }
        assert!(
            matches!(
                conflict.await.unwrap(),
                Err(Error::Conflict { actual: 1, .. })
            ),
            "an append to a taken stream fails alone"
        );
        assert!(
            matches!(duplicate.await.unwrap(), Err(Error::DuplicateEventId { event_id, .. }) if event_id == stored_id),
            "a batch repeating a stored id fails alone"
        );
        assert_eq!(
            commits.load(Ordering::SeqCst),
            1,
            "one commit for the group"
        );
        positions.sort_unstable();
        assert_eq!(
            positions,
            (2..=13).collect::<Vec<u64>>(),
            "gap-free positions"
        );
        for stream in &fresh {
            assert_eq!(version(&db, stream).await, 2);
        }
        assert_eq!(
            version(&db, &taken).await,
            1,
            "the failed appends wrote nothing"
        );
    }

    /// A lone append that fails is rolled back and leaves the connection usable.
    #[tokio::test]
    async fn a_failed_append_alone_leaves_no_transaction_open() {
        let db = Database::open(&SqliteConfig::in_memory()).await.unwrap();
        let stream = StreamId::new("Account", "a");
        let id = Uuid::now_v7();
        append(&db, &stream, ExpectedVersion::NoStream, vec![event(id)])
            .await
            .unwrap();
        let refused = append(
            &db,
            &stream,
            ExpectedVersion::Exact(1),
            vec![event(Uuid::now_v7()), event(id)],
        )
        .await;
        assert!(matches!(refused, Err(Error::DuplicateEventId { .. })));
        let autocommit = db
            .write(|connection| Ok(connection.is_autocommit()))
            .await
            .unwrap();
        assert!(autocommit, "no transaction left open");
        let next = append(
            &db,
            &stream,
            ExpectedVersion::Exact(1),
            vec![event(Uuid::now_v7())],
        )
        .await
        .unwrap();
        assert_eq!(next.records[0].version, 2);
    }
}
