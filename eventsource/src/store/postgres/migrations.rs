//! Creates and upgrades the store's tables: numbered migrations, applied in one
//! transaction under an advisory lock, so that processes starting together neither race
//! nor see a half-made schema.

use super::errors::backend;
use super::feed;
use super::schema::SchemaName;
use crate::error::{Error, Result, SchemaKind};
use deadpool_postgres::Object;

/// One schema change. Its SQL names the schema as `{schema}`.
struct Migration {
    version: i32,
    description: &'static str,
    sql: &'static str,
}

/// Every migration, oldest first. Never edit a released one: add the next.
///
/// Notes on version 1: the stream columns compare bytewise (`COLLATE "C"`): they are
/// identifiers, and the database's linguistic collation would make every index lookup on
/// them slower. `events` and `streams` carry no `CHECK` constraints: PostgreSQL rebuilds
/// their expressions for every statement, which costs each append measurably, and the
/// store checks what it writes and validates what it reads (a bad row is
/// [`Error::Corrupt`]). `streams` leaves room on its pages so that version updates stay
/// HOT updates.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "events, streams, snapshots, store settings",
        sql: r#"
CREATE TABLE {schema}.events (
    position       bigint      PRIMARY KEY,
    aggregate_type text        COLLATE "C" NOT NULL,
    aggregate_id   text        COLLATE "C" NOT NULL,
    version        bigint      NOT NULL,
    event_id       uuid        NOT NULL,
    event_type     text        NOT NULL,
    schema_version bigint      NOT NULL,
    payload        text        NOT NULL,
    occurred_at    timestamptz NOT NULL,
    correlation_id uuid,
    causation_id   uuid,
    metadata       json,
    CONSTRAINT events_stream_version_key UNIQUE (aggregate_type, aggregate_id, version),
    CONSTRAINT events_stream_event_id_key UNIQUE (aggregate_type, aggregate_id, event_id)
);
CREATE TABLE {schema}.streams (
    aggregate_type text   COLLATE "C" NOT NULL,
    aggregate_id   text   COLLATE "C" NOT NULL,
    version        bigint NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
) WITH (fillfactor = 70);
CREATE TABLE {schema}.snapshots (
    aggregate_type text        COLLATE "C" NOT NULL,
    aggregate_id   text        COLLATE "C" NOT NULL,
    version        bigint      NOT NULL CHECK (version >= 0),
    schema_version bigint      NOT NULL,
    state          text        NOT NULL,
    taken_at       timestamptz NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);
CREATE TABLE {schema}.settings (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    xid_offset bigint  NOT NULL DEFAULT 0 CHECK (xid_offset >= 0)
);
INSERT INTO {schema}.settings DEFAULT VALUES;
"#,
    },
    Migration {
        version: 2,
        description: "subscription checkpoints and parked events",
        sql: r#"
CREATE TABLE {schema}.checkpoints (
    subscription text        PRIMARY KEY,
    position     bigint      NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE TABLE {schema}.parked (
    subscription   text,
    position       bigint,
    aggregate_type text,
    aggregate_id   text,
    version        bigint,
    event_type     text,
    error          text        NOT NULL,
    attempts       bigint      NOT NULL,
    parked_at      timestamptz NOT NULL,
    PRIMARY KEY (subscription, position)
);
"#,
    },
    Migration {
        version: 3,
        description: "aggregate states",
        sql: r#"
CREATE TABLE {schema}.states (
    aggregate_type text    NOT NULL,
    aggregate_id   text    NOT NULL,
    version        bigint  NOT NULL CHECK (version > 0),
    schema_version integer NOT NULL,
    state          text    NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);
"#,
    },
    Migration {
        version: 4,
        description: "events by time",
        sql: r#"
-- A block-range index: tiny, nearly free to keep up on append, and selective for times
-- that grow with the feed, as event times do.
CREATE INDEX events_occurred_at ON {schema}.events USING brin (occurred_at);
"#,
    },
    Migration {
        version: 5,
        description: "the codec of each payload",
        sql: r#"
-- The codec that wrote each payload (`json`, `msgpack`); rows written before are JSON. A
-- JSON payload stays text in `payload` (queryable as `payload::jsonb`); a binary codec's
-- bytes go to `payload_binary`, `payload` left empty. A constant default rewrites no row.
ALTER TABLE {schema}.events
    ADD COLUMN codec text NOT NULL DEFAULT 'json',
    ADD COLUMN payload_binary bytea;
ALTER TABLE {schema}.snapshots
    ADD COLUMN codec text NOT NULL DEFAULT 'json',
    ADD COLUMN state_binary bytea;
"#,
    },
];

/// `server_version_num` of PostgreSQL 13, the first with `xid8` snapshot functions.
const MIN_SERVER_VERSION: i32 = 130_000;

/// The newest schema version this library knows.
pub(crate) const LATEST: i32 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// Brings `schema` to [`LATEST`] and returns the store's transaction-id offset (see
/// [`feed`]).
///
/// Everything happens in one transaction holding an advisory lock keyed on the schema
/// name: a second process starting at the same moment waits, then finds the work done.
/// DDL is transactional in PostgreSQL, so a failed migration leaves nothing behind.
pub(crate) async fn migrate(client: &mut Object, schema: &SchemaName) -> Result<i64> {
    let server: i32 = client
        .query_one("SELECT current_setting('server_version_num')::integer", &[])
        .await
        .map_err(backend)?
        .try_get(0)
        .map_err(backend)?;
    if server < MIN_SERVER_VERSION {
        return Err(Error::schema(
            SchemaKind::ServerTooOld,
            format!(
                "PostgreSQL {}.{} is too old: the store needs PostgreSQL 13 or newer \
             (for pg_current_xact_id and pg_snapshot_xmin)",
                server / 10_000,
                server % 10_000 / 100
            ),
        ));
    }
    let tx = client.transaction().await.map_err(backend)?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('eventsource.migrations'), hashtext($1))",
        &[&schema.as_str()],
    )
    .await
    .map_err(backend)?;
    let exists = tx
        .query_opt(
            "SELECT 1 FROM pg_namespace WHERE nspname = $1",
            &[&schema.as_str()],
        )
        .await
        .map_err(backend)?
        .is_some();
    let ident = schema.ident();
    // Checked first so that a role without CREATE on the database can use a schema an
    // administrator made for it.
    if !exists {
        tx.batch_execute(&format!("CREATE SCHEMA {ident}"))
            .await
            .map_err(backend)?;
    }
    tx.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {ident}.schema_migrations (
             version     integer     PRIMARY KEY,
             description text        NOT NULL,
             applied_at  timestamptz NOT NULL DEFAULT now()
         )"
    ))
    .await
    .map_err(backend)?;
    let current: i32 = tx
        .query_one(
            &format!("SELECT coalesce(max(version), 0) FROM {ident}.schema_migrations"),
            &[],
        )
        .await
        .map_err(backend)?
        .try_get(0)
        .map_err(backend)?;
    if current > LATEST {
        // Ended here rather than on drop, so that its locks go now.
        tx.rollback().await.map_err(backend)?;
        return Err(Error::schema(
            SchemaKind::Newer {
                found: current.unsigned_abs(),
                known: LATEST.unsigned_abs(),
            },
            format!(
                "schema `{schema}` is at version {current}, but this version of eventsource only \
             knows versions up to {LATEST}: upgrade eventsource"
            ),
        ));
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.batch_execute(&migration.sql.replace("{schema}", &ident))
            .await
            .map_err(backend)?;
        tx.execute(
            &format!(
                "INSERT INTO {ident}.schema_migrations (version, description) VALUES ($1, $2)"
            ),
            &[&migration.version, &migration.description],
        )
        .await
        .map_err(backend)?;
        tracing::info!(%schema, version = migration.version, "applied migration");
    }
    let offset = feed::settle_xid_offset(&tx, schema).await?;
    tx.commit().await.map_err(backend)?;
    Ok(offset)
}
