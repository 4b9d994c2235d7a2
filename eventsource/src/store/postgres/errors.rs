//! Driver and pool errors: wrapping them, telling the ones the store reacts to, and
//! dropping a connection that an error says is lost.

use crate::error::{BoxError, Error, Result};
use deadpool_postgres::Object;
use tokio_postgres::error::SqlState;

/// Wraps a driver or pool error.
pub(super) fn backend(error: impl Into<BoxError>) -> Error {
    Error::Backend(error.into())
}

/// Hands the connection back to the pool, unless `result` says the connection is lost:
/// then it is dropped, so that the next caller does not find it dead (it may not know yet
/// that the server ended it).
pub(super) fn release<T>(client: Object, result: Result<T>) -> Result<T> {
    if let Err(Error::Backend(source)) = &result
        && source
            .downcast_ref::<tokio_postgres::Error>()
            .is_some_and(connection_lost)
    {
        drop(Object::take(client));
    }
    result
}

/// A closed connection, an I/O error on it, or a server error that ends the session
/// (`FATAL`, shutdown, connection failure classes).
fn connection_lost(error: &tokio_postgres::Error) -> bool {
    let io = std::error::Error::source(error).is_some_and(|cause| cause.is::<std::io::Error>());
    if error.is_closed() || io {
        return true;
    }
    let fatal = error
        .as_db_error()
        .is_some_and(|db| matches!(db.severity(), "FATAL" | "PANIC"));
    let code = error.code().map(SqlState::code).unwrap_or_default();
    fatal || code.starts_with("57P") || code.starts_with("08")
}

/// A key was taken already: for appends, a concurrent writer stored one of the event ids
/// or versions first.
pub(super) fn is_unique_violation(error: &tokio_postgres::Error) -> bool {
    error.code() == Some(&SqlState::UNIQUE_VIOLATION)
}
