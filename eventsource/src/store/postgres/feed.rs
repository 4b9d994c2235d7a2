//! The global feed: positions made from transaction ids, and reads that stop at the
//! horizon of transactions still running (see the [module docs](super) for why).

use super::errors::backend;
use super::rows::event_cells;
use super::schema::SchemaName;
use crate::error::{Error, Result, SchemaKind};
use crate::store::FeedPage;
use deadpool_postgres::Object;
use futures_core::Stream;
use std::future::poll_fn;
use std::pin::pin;
use std::time::{Duration, Instant};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, Statement};

/// Bits of a position that number the events of one append; the bits above hold the
/// appending transaction's id (plus the store's offset).
pub(crate) const POSITION_SHIFT: u32 = 16;

/// The most events one append may hold: they share their transaction's id and are
/// numbered from 1 in the low 16 bits of their positions.
pub const BATCH_LIMIT: usize = (1 << POSITION_SHIFT) - 1;

/// The horizon: positions below it belong to finished transactions only.
fn horizon_expr(offset_param: &str) -> String {
    format!(
        "((pg_snapshot_xmin(pg_current_snapshot())::text::bigint + {offset_param}::bigint) \
         << {POSITION_SHIFT})"
    )
}

/// The feed's statements, written once per store for its schema.
pub(super) struct FeedSql {
    page: String,
    bounds: String,
    horizon: String,
    head: String,
}

impl FeedSql {
    pub(super) fn new(schema_ident: &str) -> Self {
        FeedSql {
            page: page_sql(schema_ident),
            bounds: bounds_sql(schema_ident),
            horizon: horizon_sql(),
            head: format!("SELECT coalesce(max(position), 0) FROM {schema_ident}.events"),
        }
    }
}

/// `$1` after, `$2` limit, `$3` offset. One row per event; every row also carries the
/// horizon and the newest visible position, taken from the same snapshot as the events.
/// Both are scalar subqueries, computed once per statement.
fn page_sql(schema_ident: &str) -> String {
    let horizon = horizon_expr("$3");
    format!(
        "SELECT ({horizon_select}) AS horizon, \
           (SELECT max(position) FROM {schema_ident}.events) AS last, \
           e.position, e.version, e.event_id, e.event_type, \
           e.schema_version, e.payload, e.occurred_at, e.correlation_id, e.causation_id, \
           e.metadata::text, e.codec, e.payload_binary, e.aggregate_type, e.aggregate_id \
         FROM {schema_ident}.events e \
         WHERE e.position > $1 AND e.position < ({horizon_select}) \
         ORDER BY e.position LIMIT $2",
        horizon_select = format_args!("SELECT {horizon}")
    )
}

/// `$1` offset: the horizon and the newest position, for a page that found no event.
fn bounds_sql(schema_ident: &str) -> String {
    format!(
        "SELECT {}, (SELECT max(position) FROM {schema_ident}.events)",
        horizon_expr("$1")
    )
}

/// `$1` offset.
fn horizon_sql() -> String {
    format!("SELECT {}", horizon_expr("$1"))
}

/// Entries after position `after`, at most `limit`, all below the horizon: each an event,
/// or [`FeedEntry::Unreadable`](crate::store::FeedEntry::Unreadable) for a row that does not decode.
///
/// If events are committed above the horizon when the read starts (an older transaction
/// is still running), waits up to `max_wait` for the horizon to pass the newest of them,
/// then reads once more. So a reader sees what was committed before it asked, and never
/// what a running transaction could still precede.
pub(super) async fn read(
    client: &Object,
    sql: &FeedSql,
    xid_offset: i64,
    max_wait: Duration,
    after: i64,
    limit: i64,
) -> Result<FeedPage> {
    let statement = client.prepare_cached(&sql.page).await.map_err(backend)?;
    let expected = rows_wanted(limit).min(MAX_RESERVED_ROWS);
    let page = read_page(
        client,
        sql,
        &statement,
        [&after, &limit, &xid_offset],
        expected,
    )
    .await?;
    // A page of rows carries the horizon of its own snapshot. An empty page's bounds
    // come from a later statement, so their horizon may already be past events the page
    // did not see: any event after `after` means reading again once the horizon passes.
    let behind = if page.events.is_empty() {
        page.last.is_some_and(|last| last > after)
    } else {
        page.events.len() < rows_wanted(limit)
            && page
                .last
                .is_some_and(|last| last > after && last >= page.horizon)
    };
    if !behind {
        return Ok(page.events);
    }
    let target = page.last.unwrap_or(0);
    wait_for_horizon(client, sql, xid_offset, target, max_wait).await?;
    let page = read_page(
        client,
        sql,
        &statement,
        [&after, &limit, &xid_offset],
        expected,
    )
    .await?;
    Ok(page.events)
}

/// Runs the page statement and decodes each row as it arrives, while the next ones are
/// still on their way. When there are no rows, the horizon and the newest position come
/// from a query of their own (a later snapshot: see the caller).
async fn read_page(
    client: &Object,
    sql: &FeedSql,
    statement: &Statement,
    params: [&(dyn ToSql + Sync); 3],
    expected: usize,
) -> Result<Page> {
    let xid_offset = params[2];
    let rows = client.query_raw(statement, params).await.map_err(backend)?;
    let mut rows = pin!(rows);
    let mut page = Page {
        horizon: 0,
        last: None,
        events: FeedPage::with_capacity(expected, expected * TEXT_PER_ROW),
    };
    while let Some(row) = poll_fn(|cx| rows.as_mut().poll_next(cx)).await {
        page.add(&row.map_err(backend)?)?;
    }
    if page.events.is_empty() {
        let statement = client.prepare_cached(&sql.bounds).await.map_err(backend)?;
        let row = client
            .query_one(&statement, &[xid_offset])
            .await
            .map_err(backend)?;
        page.horizon = row.try_get(0).map_err(backend)?;
        page.last = row.try_get(1).map_err(backend)?;
    }
    if let Some(last) = page.last.and_then(|last| u64::try_from(last).ok()) {
        page.events.set_head(last);
    }
    Ok(page)
}

/// Rows a page makes room for before it reads (more grow it), and text bytes per row.
const MAX_RESERVED_ROWS: usize = 4096;
const TEXT_PER_ROW: usize = 96;

fn rows_wanted(limit: i64) -> usize {
    usize::try_from(limit).unwrap_or(usize::MAX)
}

struct Page {
    horizon: i64,
    last: Option<i64>,
    events: FeedPage,
}

impl Page {
    /// Adds one row: its event, or the typed reason it cannot be read.
    fn add(&mut self, row: &Row) -> Result<()> {
        self.horizon = row.try_get(0).map_err(backend)?;
        self.last = row.try_get(1).map_err(backend)?;
        let position: i64 = row.try_get(2).map_err(backend)?;
        let read = stream_of(row).and_then(|(aggregate_type, aggregate_id)| {
            event_cells(row, 2, aggregate_type, aggregate_id)
                .map(|cells| (aggregate_type, aggregate_id, cells))
        });
        match read {
            Ok((aggregate_type, aggregate_id, cells)) => self
                .events
                .push_event(cells.record_ref(aggregate_type, aggregate_id)),
            Err(
                error @ (Error::Corrupt { .. } | Error::Decode { .. } | Error::UnknownCodec { .. }),
            ) => {
                // A negative position is corrupt too; 0 keeps it before every real one.
                let position = u64::try_from(position).unwrap_or(0);
                self.events.push_unreadable(position, error);
            }
            Err(other) => return Err(other),
        }
        Ok(())
    }
}

/// The stream's type and id of a feed row (its columns 14 and 15).
fn stream_of(row: &Row) -> Result<(&str, &str)> {
    Ok((
        row.try_get(14).map_err(backend)?,
        row.try_get(15).map_err(backend)?,
    ))
}

/// The newest stored position; 0 for an empty store.
pub(super) async fn head_position(client: &Object, sql: &FeedSql) -> Result<u64> {
    let statement = client.prepare_cached(&sql.head).await.map_err(backend)?;
    let head: i64 = client
        .query_one(&statement, &[])
        .await
        .map_err(backend)?
        .try_get(0)
        .map_err(backend)?;
    u64::try_from(head).map_err(|_| {
        Error::schema(
            SchemaKind::Damaged,
            format!("the newest feed position is negative ({head})"),
        )
    })
}

/// Polls the horizon until it passes `target` or `max_wait` is over.
async fn wait_for_horizon(
    client: &Object,
    sql: &FeedSql,
    xid_offset: i64,
    target: i64,
    max_wait: Duration,
) -> Result<()> {
    let statement = client.prepare_cached(&sql.horizon).await.map_err(backend)?;
    let deadline = Instant::now() + max_wait;
    let mut pause = Duration::from_millis(1);
    loop {
        let horizon: i64 = client
            .query_one(&statement, &[&xid_offset])
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        if horizon > target {
            return Ok(());
        }
        let now = Instant::now();
        if now >= deadline {
            tracing::debug!(
                target_position = target,
                horizon,
                "feed read gave up waiting for older transactions"
            );
            return Ok(());
        }
        tokio::time::sleep(pause.min(deadline - now)).await;
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// Returns the store's transaction-id offset, raising it first if the stored positions
/// are ahead of this cluster's transaction counter (a dump restored into another cluster):
/// new positions must come after every stored one.
pub(super) async fn settle_xid_offset(
    tx: &deadpool_postgres::Transaction<'_>,
    schema: &SchemaName,
) -> Result<i64> {
    let s = schema.ident();
    let row = tx
        .query_opt(
            &format!(
                "SELECT xid_offset, pg_snapshot_xmax(pg_current_snapshot())::text::bigint, \
                   (SELECT max(position) FROM {s}.events) \
                 FROM {s}.settings FOR UPDATE"
            ),
            &[],
        )
        .await
        .map_err(backend)?
        .ok_or_else(|| {
            Error::schema(
                SchemaKind::Damaged,
                format!("schema `{schema}` has no settings row"),
            )
        })?;
    let offset: i64 = row.try_get(0).map_err(backend)?;
    let next_xid: i64 = row.try_get(1).map_err(backend)?;
    let last: Option<i64> = row.try_get(2).map_err(backend)?;
    let Some(last) = last else {
        return Ok(offset);
    };
    let needed = (last >> POSITION_SHIFT) - next_xid + 1;
    if needed <= offset {
        return Ok(offset);
    }
    tracing::warn!(
        %schema,
        old = offset,
        new = needed,
        "stored feed positions are ahead of this cluster's transaction ids (restored \
         database?): raising the position offset"
    );
    tx.execute(
        &format!("UPDATE {s}.settings SET xid_offset = $1"),
        &[&needed],
    )
    .await
    .map_err(backend)?;
    Ok(needed)
}
