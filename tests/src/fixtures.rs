//! Aggregates and helpers the tests share: the conformance kit's fixtures
//! ([`eventsource::testkit::fixtures`]), a second aggregate type and feed helpers.

pub use eventsource::testkit::fixtures::*;

use eventsource::prelude::*;

/// An order line was added.
#[event]
pub struct ItemAdded {
    /// Product.
    pub sku: String,
    /// Quantity.
    pub quantity: u32,
    /// Unit price in cents.
    pub price_cents: u64,
}

/// The order was placed.
#[event]
pub struct OrderPlaced;

/// The order was shipped.
#[event(name = "OrderShipped", version = 1)]
pub struct Shipped {
    /// Carrier tracking code.
    pub tracking: String,
}

/// An order, with a second stored aggregate type.
#[derive(Aggregate, Debug, Default, Clone, PartialEq)]
#[aggregate(name = "Order")]
pub struct Order {
    /// Number of items.
    pub items: u32,
    /// Total in cents.
    pub total_cents: u64,
    /// Placed?
    pub placed: bool,
    /// Tracking code once shipped.
    pub tracking: Option<String>,
}

#[apply]
impl Order {
    fn on_item(&mut self, e: &ItemAdded) {
        self.items += e.quantity;
        self.total_cents += u64::from(e.quantity) * e.price_cents;
    }
    fn on_placed(&mut self, _: &OrderPlaced) {
        self.placed = true;
    }
    fn on_shipped(&mut self, e: &Shipped) {
        self.tracking = Some(e.tracking.clone());
    }
}

/// Appends `count` raw task events, at most `per_stream` in each new stream, and returns
/// every position of the feed, in order.
pub async fn append_task_events(store: &impl EventStore, count: u64, per_stream: u64) -> Vec<u64> {
    let mut left = count;
    while left > 0 {
        let batch = left.min(per_stream);
        store
            .append(&task_stream(), ExpectedVersion::NoStream, raw_events(batch))
            .await
            .expect("append");
        left -= batch;
    }
    feed_positions(store).await
}

/// Every position of the feed, in order (a store's positions increase but need not be
/// consecutive).
pub async fn feed_positions(store: &impl EventStore) -> Vec<u64> {
    let mut all: Vec<u64> = Vec::new();
    loop {
        let after = all.last().copied().unwrap_or(0);
        let page = store.read_all(after, 1000).await.expect("read_all");
        if page.is_empty() {
            return all;
        }
        all.extend(page.iter().map(|r| r.position));
    }
}
