//! [`FsError`]: what can be wrong with a store directory, as the cause inside
//! [`Error::Backend`](eventsource::Error::Backend).

use std::fmt;
use std::path::PathBuf;

/// Why the file-system store refused to open, read or write.
#[derive(Debug)]
#[non_exhaustive]
pub enum FsError {
    /// Another open store (in this process or another) holds the directory's lock file.
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// A file cannot be read, written or synced.
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A line of the event log is damaged before its end, or does not follow the lines
    /// before it: not a torn write, which is only ever at the end and is cut back on open.
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The byte offset where the damaged line starts.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// A name is too long to become a file name (snapshot files are named for their
    /// stream).
    NameTooLong {
        /// The stream, as text.
        stream: String,
    },
    /// An earlier append failed half-way and the log could not be cut back: the store
    /// refuses further appends until it is opened again (which repairs the log).
    NeedsReopen,
}

impl FsError {
    /// An I/O error on `path` while doing `action`.
    pub(crate) fn io(
        path: impl Into<PathBuf>,
        action: &'static str,
    ) -> impl FnOnce(std::io::Error) -> FsError {
        let path = path.into();
        move |source| FsError::Io {
            path,
            action,
            source,
        }
    }
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FsError::Locked { path } => write!(
                f,
                "the store directory is in use: {} is locked by another open store",
                path.display()
            ),
            FsError::Io { path, action, .. } => {
                write!(f, "cannot {action} {}", path.display())
            }
            FsError::Corrupt {
                path,
                offset,
                reason,
            } => write!(
                f,
                "corrupt event log {} at byte {offset}: {reason}",
                path.display()
            ),
            FsError::NameTooLong { stream } => {
                write!(f, "stream {stream} is too long for a file name")
            }
            FsError::NeedsReopen => write!(
                f,
                "an append failed half-way and could not be undone: open the store again"
            ),
        }
    }
}

impl std::error::Error for FsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FsError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<FsError> for eventsource::Error {
    fn from(error: FsError) -> Self {
        eventsource::Error::backend(error)
    }
}
