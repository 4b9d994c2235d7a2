//! A backend error's text: its whole chain of causes, PostgreSQL's fields shown.

/// An error and its sources, joined by `: ` (a source whose text its parent already
/// shows is left out).
pub(super) struct Chain<'a>(pub(super) &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = String::new();
        let mut cause = Some(self.0);
        while let Some(error) = cause {
            #[cfg(feature = "postgres")]
            if let Some(postgres) = error.downcast_ref::<tokio_postgres::Error>() {
                if !shown.is_empty() {
                    f.write_str(": ")?;
                }
                return show_postgres(postgres, f);
            }
            let text = error.to_string();
            if shown.is_empty() {
                f.write_str(&text)?;
            } else if !shown.contains(&text) {
                write!(f, ": {text}")?;
            }
            shown = text;
            cause = error.source();
        }
        Ok(())
    }
}

/// A PostgreSQL driver error as a reader needs it: the server's severity, SQLSTATE and
/// message (with its detail and hint) in place of the driver's bare "db error", and
/// "connection lost" first when the session is gone.
#[cfg(feature = "postgres")]
fn show_postgres(
    error: &tokio_postgres::Error,
    f: &mut std::fmt::Formatter<'_>,
) -> std::fmt::Result {
    let code = error.code().map(|c| c.code()).unwrap_or_default();
    let fatal = error
        .as_db_error()
        .is_some_and(|db| matches!(db.severity(), "FATAL" | "PANIC"));
    let io = std::error::Error::source(error).is_some_and(|c| c.is::<std::io::Error>());
    if error.is_closed() || io || fatal || code.starts_with("08") || code.starts_with("57P") {
        f.write_str("connection lost: ")?;
    }
    match error.as_db_error() {
        Some(db) => {
            write!(f, "{} {}: {}", db.severity(), code, db.message())?;
            if let Some(detail) = db.detail() {
                write!(f, " (detail: {detail})")?;
            }
            if let Some(hint) = db.hint() {
                write!(f, " (hint: {hint})")?;
            }
            Ok(())
        }
        None => {
            write!(f, "{error}")?;
            match std::error::Error::source(error) {
                Some(cause) => write!(f, ": {cause}"),
                None => Ok(()),
            }
        }
    }
}
