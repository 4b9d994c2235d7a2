//! How SQLite's errors become the crate's.

use crate::error::Error;

/// Turns a SQLite error into [`Error::Backend`].
pub(super) fn backend(error: rusqlite::Error) -> Error {
    Error::backend(error)
}
