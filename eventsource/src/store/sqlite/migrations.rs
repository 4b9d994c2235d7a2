//! The database schema, created and upgraded by the store itself.
//!
//! Each migration has a number and a name and is applied once, in order, inside one
//! transaction that also records it in `eventsource_migrations`. A database whose record
//! holds a migration this library does not know was written by a newer version: it is
//! refused rather than misread. Applied migrations are never edited; a change of schema is
//! a new migration at the end of [`MIGRATIONS`].

use super::error::backend;
use crate::error::{Error, Result, SchemaKind};
use crate::store::backend::to_micros;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use std::time::SystemTime;

/// One step of the schema.
pub(super) struct Migration {
    /// 1, 2, ...: the schema version the database has once this step is applied.
    pub(super) version: u32,
    /// A stable name, checked against the one recorded in the database.
    pub(super) name: &'static str,
    pub(super) sql: &'static str,
}

/// The schema version this library creates and reads.
pub(super) const LATEST: u32 = MIGRATIONS.len() as u32;

pub(super) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "events",
        sql: "
            -- The global feed and every stream. A position is the rowid, one more than the
            -- largest stored: gap-free and increasing in commit order (SQLite commits one
            -- write at a time). It is never reused because events are never deleted (the
            -- trigger below), so the table needs no AUTOINCREMENT bookkeeping per append.
            CREATE TABLE eventsource_events (
                position       INTEGER PRIMARY KEY,
                aggregate_type TEXT    NOT NULL,
                aggregate_id   TEXT    NOT NULL,
                version        INTEGER NOT NULL CHECK (version >= 1),
                event_id       TEXT    NOT NULL,
                event_type     TEXT    NOT NULL,
                schema_version INTEGER NOT NULL CHECK (schema_version >= 0),
                payload        TEXT    NOT NULL,
                correlation_id TEXT,
                causation_id   TEXT,
                extra          TEXT    NOT NULL,
                occurred_at    INTEGER NOT NULL
            ) STRICT;

            -- Backs optimistic concurrency (two writers can never both store version n),
            -- and gives a stream's current version in one descent to its last entry.
            CREATE UNIQUE INDEX eventsource_events_stream_version
                ON eventsource_events (aggregate_type, aggregate_id, version);
            -- Event ids are unique within a stream.
            CREATE UNIQUE INDEX eventsource_events_stream_event_id
                ON eventsource_events (aggregate_type, aggregate_id, event_id);

            CREATE TRIGGER eventsource_events_are_never_deleted
                BEFORE DELETE ON eventsource_events
            BEGIN
                SELECT RAISE(ABORT, 'eventsource: stored events are never deleted');
            END;
        ",
    },
    Migration {
        version: 2,
        name: "snapshots",
        sql: "
            -- One snapshot per aggregate, replaced on write.
            CREATE TABLE eventsource_snapshots (
                aggregate_type TEXT    NOT NULL,
                aggregate_id   TEXT    NOT NULL,
                version        INTEGER NOT NULL CHECK (version >= 0),
                schema_version INTEGER NOT NULL CHECK (schema_version >= 0),
                state          TEXT    NOT NULL,
                taken_at       INTEGER NOT NULL,
                UNIQUE (aggregate_type, aggregate_id)
            ) STRICT;
        ",
    },
    Migration {
        version: 3,
        name: "subscriptions",
        sql: "
            -- Each subscription's checkpoint: the position of the last event it is done with.
            CREATE TABLE eventsource_checkpoints (
                subscription TEXT    PRIMARY KEY,
                position     INTEGER NOT NULL CHECK (position >= 0),
                updated_at   INTEGER NOT NULL
            ) STRICT;

            -- Events a subscription could not handle (or rows it could not read), with the
            -- error: nothing is skipped without a record.
            CREATE TABLE eventsource_parked (
                subscription   TEXT    NOT NULL,
                position       INTEGER NOT NULL,
                aggregate_type TEXT,
                aggregate_id   TEXT,
                version        INTEGER,
                event_type     TEXT,
                error          TEXT    NOT NULL,
                attempts       INTEGER NOT NULL,
                parked_at      INTEGER NOT NULL,
                PRIMARY KEY (subscription, position)
            ) STRICT;
        ",
    },
    Migration {
        version: 4,
        name: "aggregate states",
        sql: "
            -- The current state of each aggregate of a state-stored repository.
            CREATE TABLE eventsource_states (
                aggregate_type TEXT    NOT NULL,
                aggregate_id   TEXT    NOT NULL,
                version        INTEGER NOT NULL CHECK (version > 0),
                schema_version INTEGER NOT NULL,
                state          TEXT    NOT NULL,
                PRIMARY KEY (aggregate_type, aggregate_id)
            ) WITHOUT ROWID;
        ",
    },
    Migration {
        version: 5,
        name: "events by time",
        sql: "
            -- Finds the first event recorded at or after a time; with the position in the
            -- index, the lookup reads the index alone.
            CREATE INDEX eventsource_events_occurred_at
                ON eventsource_events (occurred_at, position);
        ",
    },
    Migration {
        version: 6,
        name: "codecs",
        sql: "
            -- The codec that wrote each payload (`json`, `msgpack`): rows written before
            -- are JSON. A JSON payload stays text in `payload`, readable by SQLite's JSON
            -- functions; a binary codec's bytes go to `payload_binary`, `payload` left empty.
            -- Adding a column with a constant default rewrites no row.
            ALTER TABLE eventsource_events ADD COLUMN codec TEXT NOT NULL DEFAULT 'json';
            ALTER TABLE eventsource_events ADD COLUMN payload_binary BLOB;
            -- Snapshots likewise.
            ALTER TABLE eventsource_snapshots ADD COLUMN codec TEXT NOT NULL DEFAULT 'json';
            ALTER TABLE eventsource_snapshots ADD COLUMN state_binary BLOB;
        ",
    },
];

const CREATE_RECORD: &str = "
    CREATE TABLE IF NOT EXISTS eventsource_migrations (
        version    INTEGER PRIMARY KEY,
        name       TEXT    NOT NULL,
        applied_at INTEGER NOT NULL
    ) STRICT;
";

/// Brings the database to [`LATEST`], or refuses it. Safe against other processes opening
/// the same file at the same time: the whole check-and-upgrade holds the write lock.
pub(super) fn migrate(connection: &mut Connection) -> Result<()> {
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)?;
    tx.execute_batch(CREATE_RECORD).map_err(backend)?;
    let applied = applied_version(&tx)?;
    if applied == LATEST {
        // Nothing to write: the transaction ends without touching the file.
        return Ok(());
    }
    let applied_at = to_micros(SystemTime::now());
    for migration in &MIGRATIONS[applied as usize..] {
        tx.execute_batch(migration.sql).map_err(|error| {
            Error::schema(
                SchemaKind::MigrationFailed {
                    version: migration.version,
                },
                format!(
                    "migration {} ({}) failed: {error}",
                    migration.version, migration.name
                ),
            )
        })?;
        tx.execute(
            "INSERT INTO eventsource_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![migration.version, migration.name, applied_at],
        )
        .map_err(backend)?;
    }
    tx.commit().map_err(backend)
}

/// The schema version recorded in the database, after checking that the record is one this
/// library wrote: migrations 1..=n, each under its known name.
fn applied_version(connection: &Connection) -> Result<u32> {
    let newest: Option<(i64, String)> = connection
        .query_row(
            "SELECT version, name FROM eventsource_migrations ORDER BY version DESC LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .map_err(|error| {
            Error::schema(
                SchemaKind::Damaged,
                format!("unreadable migration record: {error}"),
            )
        })?;
    let Some((newest, newest_name)) = newest else {
        return Ok(0);
    };
    if newest > i64::from(LATEST) {
        return Err(Error::schema(
            SchemaKind::Newer {
                found: u32::try_from(newest).unwrap_or(u32::MAX),
                known: LATEST,
            },
            format!(
                "the database has schema version {newest} (`{newest_name}`), written by a newer \
             version of eventsource; this version reads schema versions up to {LATEST}. \
             Upgrade eventsource to open it"
            ),
        ));
    }
    let mut statement = connection
        .prepare("SELECT version, name FROM eventsource_migrations ORDER BY version")
        .map_err(backend)?;
    let recorded = statement
        .query_map([], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(backend)?;
    let mut count = 0u32;
    for (row, expected) in recorded.zip(MIGRATIONS) {
        let (version, name) = row.map_err(|error| {
            Error::schema(
                SchemaKind::Damaged,
                format!("unreadable migration record: {error}"),
            )
        })?;
        if version != i64::from(expected.version) || name != expected.name {
            return Err(Error::schema(
                SchemaKind::Damaged,
                format!(
                    "the database records migration {version} as `{name}`, but migration {} of \
                 this library is `{}`: the database was not created by eventsource",
                    expected.version, expected.name
                ),
            ));
        }
        count += 1;
    }
    if i64::from(count) != newest {
        return Err(Error::schema(
            SchemaKind::Damaged,
            format!("the database records migrations up to {newest} but only {count} of them"),
        ));
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_from_one_without_gaps() {
        for (migration, version) in MIGRATIONS.iter().zip(1..) {
            assert_eq!(migration.version, version, "{}", migration.name);
        }
    }

    #[test]
    fn migrating_twice_changes_nothing() {
        let mut connection = Connection::open_in_memory().unwrap();
        migrate(&mut connection).unwrap();
        migrate(&mut connection).unwrap();
        let count: i64 = connection
            .query_row("SELECT count(*) FROM eventsource_migrations", [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(count, i64::from(LATEST));
    }
}
