//! The connections and how requests reach them without blocking the async runtime.
//!
//! A file database has three connections: one that writes (SQLite lets one transaction
//! write at a time anyway) and two that only read, so that reading a long stream does not
//! wait behind appends (WAL readers never block writers), and a large feed read is split
//! between both readers. An in-memory database has one connection for everything: a
//! second connection would open a second, empty database.

use super::config::{Location, SqliteConfig};
use super::error::backend;
use super::migrations;
use super::worker::Worker;
use crate::error::{ConfigKind, Error, Result};
use rusqlite::{Connection, OpenFlags};

/// How many prepared statements each connection keeps.
const STATEMENT_CACHE: usize = 32;

/// Each connection's page cache, in KiB (SQLite's default is 2 MiB). Memory is taken only
/// as pages are read; a larger cache keeps long streams' pages in memory between loads.
const PAGE_CACHE_KIB: u32 = 32 * 1024;

/// The store's connections.
#[derive(Debug)]
pub(super) struct Database {
    writer: Worker,
    /// `None` for an in-memory database: the writer reads too.
    reader: Option<Worker>,
    /// The second reading connection of a file database.
    second_reader: Option<Worker>,
}

impl Database {
    /// Opens the database, creates or upgrades its schema, and starts the workers.
    pub(super) async fn open(config: &SqliteConfig) -> Result<Self> {
        let writer_config = config.clone();
        let writer = Worker::start(config.threading, "eventsource-sqlite-writer", move || {
            let mut connection = connect(&writer_config, false)?;
            migrations::migrate(&mut connection)?;
            Ok(connection)
        })
        .await?;
        let (reader, second_reader) = match config.location {
            Location::Memory => (None, None),
            Location::File(_) => {
                let start_reader = |name| {
                    let reader_config = config.clone();
                    Worker::start(config.threading, name, move || {
                        connect(&reader_config, true)
                    })
                };
                let first = start_reader("eventsource-sqlite-reader").await?;
                let second = start_reader("eventsource-sqlite-reader-2").await?;
                (Some(first), Some(second))
            }
        };
        Ok(Database {
            writer,
            reader,
            second_reader,
        })
    }

    /// Runs `job` on the writing connection, inside a transaction it may share with other
    /// appends queued at the same moment (see [`super::group`]). The job's changes are
    /// rolled back when it fails.
    pub(super) async fn append<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.writer.call_grouped(job).await
    }

    /// Runs `job` on the writing connection.
    pub(super) async fn write<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        self.writer.call(job).await
    }

    /// Runs `job` on the reading connection (the writing one for an in-memory database).
    pub(super) async fn read<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        self.reader.as_ref().unwrap_or(&self.writer).call(job).await
    }

    /// Runs `job` on the second reading connection; `None` (and `job` is not run) for an
    /// in-memory database, which has one connection only.
    pub(super) async fn read_on_second<T, F>(&self, job: F) -> Option<Result<T>>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        match &self.second_reader {
            Some(reader) => Some(reader.call(job).await),
            None => None,
        }
    }

    /// How many jobs wait for the writing connection.
    #[cfg(test)]
    pub(super) fn queued_writes(&self) -> usize {
        self.writer.queued()
    }

    /// True when a second reading connection exists.
    pub(super) fn has_second_reader(&self) -> bool {
        self.second_reader.is_some()
    }
}

/// Opens one connection with the store's settings.
fn connect(config: &SqliteConfig, read_only: bool) -> Result<Connection> {
    let connection = match &config.location {
        Location::File(path) => {
            // Read-only connections still open the file read-write: in WAL mode a reader
            // writes to the shared-memory index. `query_only` keeps them from writing data.
            let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            Connection::open_with_flags(path, flags).map_err(|error| {
                Error::config(
                    ConfigKind::Database,
                    format!("cannot open SQLite database {}: {error}", path.display()),
                )
            })?
        }
        Location::Memory => Connection::open_in_memory().map_err(backend)?,
    };
    connection
        .busy_timeout(config.busy_timeout)
        .map_err(backend)?;
    if config.location != Location::Memory {
        let mode = retry_while_busy(config, || {
            connection.query_row("PRAGMA journal_mode = WAL", [], |row| {
                row.get::<_, String>(0)
            })
        })?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::config(
                ConfigKind::Database,
                format!("SQLite database cannot use write-ahead logging (journal mode is {mode})"),
            ));
        }
    }
    connection
        .pragma_update(None, "synchronous", config.synchronous.pragma_value())
        .map_err(backend)?;
    connection
        .pragma_update(None, "cache_size", -i64::from(PAGE_CACHE_KIB))
        .map_err(backend)?;
    if read_only {
        connection
            .pragma_update(None, "query_only", true)
            .map_err(backend)?;
    }
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(connection)
}

/// Runs `step` again while the database is busy, for up to the busy timeout. Needed where
/// SQLite answers `SQLITE_BUSY` without waiting: switching a new database to WAL while
/// another connection opens it too.
fn retry_while_busy<T>(
    config: &SqliteConfig,
    mut step: impl FnMut() -> rusqlite::Result<T>,
) -> Result<T> {
    let give_up = std::time::Instant::now() + config.busy_timeout;
    loop {
        match step() {
            Err(error)
                if error.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && std::time::Instant::now() < give_up =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            other => return other.map_err(backend),
        }
    }
}
