//! [`DirLock`]: one open store per directory, across processes.

use super::error::FsError;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

/// An exclusive lock on `<dir>/LOCK`, held while the store is open (the operating
/// system releases it when the process exits, also when it crashes).
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the lock, or fails at once with [`FsError::Locked`] when another open store,
    /// in this process or another, holds it.
    pub fn take(dir: &Path) -> Result<Self, FsError> {
        let path = dir.join("LOCK");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(FsError::io(&path, "open"))?;
        match file.try_lock() {
            Ok(()) => Ok(DirLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(FsError::Locked { path }),
            Err(TryLockError::Error(source)) => Err(FsError::Io {
                path,
                action: "lock",
                source,
            }),
        }
    }
}
