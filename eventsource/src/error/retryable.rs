//! Which backend errors pass when tried again.

/// Does a backend error (or one of its causes) pass when tried again?
pub(super) fn passes(error: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind;
    let mut cause = Some(error);
    while let Some(error) = cause {
        if let Some(io) = error.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::ConnectionRefused
                    | ErrorKind::BrokenPipe
                    | ErrorKind::TimedOut
                    | ErrorKind::UnexpectedEof
                    | ErrorKind::Interrupted
            )
        {
            return true;
        }
        #[cfg(feature = "sqlite")]
        if let Some(sqlite) = error.downcast_ref::<rusqlite::Error>()
            && matches!(
                sqlite.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            )
        {
            return true;
        }
        #[cfg(feature = "postgres")]
        if let Some(postgres) = error.downcast_ref::<tokio_postgres::Error>() {
            let code = postgres.code().map(|c| c.code()).unwrap_or_default();
            // 40001 serialization failure, 40P01 deadlock, 55P03 lock not available,
            // 57014 statement timeout; classes 08 (connection) and 57P (shutdown).
            if postgres.is_closed()
                || matches!(code, "40001" | "40P01" | "55P03" | "57014")
                || code.starts_with("08")
                || code.starts_with("57P")
            {
                return true;
            }
        }
        #[cfg(feature = "postgres")]
        if let Some(deadpool_postgres::PoolError::Timeout(_)) =
            error.downcast_ref::<deadpool_postgres::PoolError>()
        {
            return true;
        }
        cause = error.source();
    }
    false
}
