//! [`SqliteLocks`]: aggregate locks that hold across the processes sharing one database
//! file, as OS file locks on a directory beside it.

use super::SqliteEventStore;
use crate::error::{ConfigKind, Error, Result};
use crate::future::BoxFuture;
use crate::lock::contract::{AggregateLocks, HeldLock};
use crate::store::backend::lock_key;
use crate::stream::StreamId;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How many lock files a database has: streams hash into them, so two streams share one
/// lock now and then (one waits for the other; never are both held at once).
pub const LOCK_FILES: u64 = 1024;

/// The first and the longest pause between two tries of a held lock.
const FIRST_PAUSE: Duration = Duration::from_micros(200);
const LONGEST_PAUSE: Duration = Duration::from_millis(5);

/// Aggregate locks for every process that opens one SQLite database file
/// ([`SqliteEventStore::aggregate_locks`]).
///
/// A lock is an exclusive OS file lock (`flock` on Unix, `LockFileEx` on Windows, through
/// [`File::try_lock`]) on one of [`LOCK_FILES`] files in the directory `<database>.locks`,
/// chosen by a hash of the stream (FNV-1a 64 of `eventsource.aggregate/<type>/<id>`). Each
/// lock opens its file anew, so the lock belongs to that open file: it holds against the
/// other tasks of this process as well as other processes, and it is released when the
/// file is closed — when the [`HeldLock`] is dropped, or when the OS closes the files of a
/// process that died, however it died. A lock file is never deleted (deleting a file that
/// someone holds would let a second holder lock a new file of the same name).
///
/// Why files and `flock`, not SQLite itself: SQLite's only lock is the database's write
/// lock, which the holder's own save needs. Why whole-file locks on a bounded set of files
/// rather than byte ranges of one file: the standard library has them (no dependency), and
/// POSIX byte-range locks (`fcntl`) belong to the process, so closing any descriptor of the
/// file would drop all of the process's locks on it.
///
/// A waiter tries again after a pause that grows to 5 ms; waiters of different processes
/// are not served in order, so under heavy contention one process may get the lock many
/// times in a row (the tasks of one process queue in order in
/// [`InProcessLocks`](crate::lock::InProcessLocks) before they get here).
///
/// As for SQLite itself, the locks are only as good as the file system's: a local disk is
/// fine; a network file system may not support or honour them.
#[derive(Debug, Clone)]
pub struct SqliteLocks {
    dir: Arc<PathBuf>,
}

impl SqliteEventStore {
    /// Locks for [`LockingRepository::across_processes`](crate::LockingRepository::across_processes)
    /// that hold across every process opening this database file (see [`SqliteLocks`]).
    /// Creates the directory `<database>.locks` beside the file.
    ///
    /// Errors: [`Error::Config`] for an in-memory database (no other process can open it:
    /// the in-process locks are enough), or when the directory cannot be created.
    pub fn aggregate_locks(&self) -> Result<SqliteLocks> {
        let Some(path) = self.path() else {
            return Err(Error::config(
                ConfigKind::Database,
                "an in-memory SQLite database has no locks across processes; the locking \
                 repository's in-process locks are enough",
            ));
        };
        SqliteLocks::beside(path)
    }
}

impl SqliteLocks {
    /// The locks of the database file at `database`, in `<database>.locks`.
    pub fn beside(database: &Path) -> Result<Self> {
        let mut name = database.as_os_str().to_owned();
        name.push(".locks");
        let dir = PathBuf::from(name);
        std::fs::create_dir_all(&dir).map_err(|error| {
            Error::config(
                ConfigKind::Database,
                format!(
                    "cannot create the lock directory {}: {error}",
                    dir.display()
                ),
            )
        })?;
        Ok(SqliteLocks { dir: Arc::new(dir) })
    }

    /// The directory holding the lock files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The lock file of `stream`.
    pub fn file_of(&self, stream: &StreamId) -> PathBuf {
        self.dir
            .join(format!("{:03x}.lock", lock_key(stream) % LOCK_FILES))
    }

    async fn acquire(&self, stream: &StreamId, wait: Duration) -> Result<HeldLock> {
        let path = self.file_of(stream);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|error| lock_error(stream, &path, error))?;
        let deadline = Instant::now() + wait;
        let mut pause = FIRST_PAUSE;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(HeldLock::new(Locked { _file: file })),
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(error)) => return Err(lock_error(stream, &path, error)),
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::LockTimeout {
                    stream: stream.clone(),
                    waited: wait,
                });
            }
            tokio::time::sleep(pause.min(deadline - now)).await;
            pause = (pause * 2).min(LONGEST_PAUSE);
        }
    }
}

impl AggregateLocks for SqliteLocks {
    fn lock<'a>(&'a self, stream: &'a StreamId, wait: Duration) -> BoxFuture<'a, Result<HeldLock>> {
        Box::pin(self.acquire(stream, wait))
    }
}

/// A locked lock file: closing it releases the lock.
struct Locked {
    _file: File,
}

fn lock_error(stream: &StreamId, path: &Path, error: std::io::Error) -> Error {
    Error::backend(std::io::Error::new(
        error.kind(),
        format!("cannot lock {} for {stream}: {error}", path.display()),
    ))
}
