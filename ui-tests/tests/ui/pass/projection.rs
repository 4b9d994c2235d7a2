//! `#[projection]` with every kind of handler (plain and `async`, with and without the
//! envelope, fallible and not), fed events of two aggregate types, run through `handle`.

use eventsource::prelude::*;
use eventsource::{RecordedEvent, store::NewEvent};
use eventsource::subscription::HandleError;
use eventsource::{aggregate::EventSet, Error, EventMetadata, StreamId};

#[event]
pub struct TaskCreated {
    pub title: String,
}

#[event(name = "TaskDone")]
pub struct TaskCompleted;

#[event]
pub struct TaskArchived;

#[derive(Aggregate, Default)]
#[aggregate(name = "Task")]
pub struct Task;

#[apply]
impl Task {
    fn created(&mut self, _: &TaskCreated) {}
    fn completed(&mut self, _: &TaskCompleted) {}
    fn archived(&mut self, _: &TaskArchived) {}
}

#[event]
pub struct Deposited {
    pub amount: i64,
}

#[event]
pub struct Withdrawn {
    pub amount: i64,
}

#[derive(Aggregate, Default)]
#[aggregate(name = "Account")]
pub struct Account;

#[apply]
impl Account {
    fn deposited(&mut self, _: &Deposited) {}
    fn withdrawn(&mut self, _: &Withdrawn) {}
}

/// Open tasks and the balance of all accounts: one read model over two aggregate types.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Dashboard {
    titles: Vec<String>,
    open: usize,
    last_completion: Option<u64>,
    balance: i64,
    withdrawals: Vec<String>,
}

#[projection(name = "dashboard")]
impl Dashboard {
    /// Plain, the event only, returning nothing.
    fn created(&mut self, event: &TaskCreated) {
        self.titles.push(event.title.clone());
        self.open += 1;
    }

    /// Plain, with the envelope, fallible.
    fn completed(
        &mut self,
        _: &TaskCompleted,
        envelope: &RecordedEvent,
    ) -> Result<(), std::fmt::Error> {
        self.open = self.open.checked_sub(1).ok_or(std::fmt::Error)?;
        self.last_completion = Some(envelope.position);
        Ok(())
    }

    /// `async`, the event only, fallible.
    async fn deposited(&mut self, event: &Deposited) -> Result<(), String> {
        tokio::task::yield_now().await;
        if event.amount <= 0 {
            return Err(format!("a deposit of {}", event.amount));
        }
        self.balance += event.amount;
        Ok(())
    }

    /// `async`, with the envelope, returning `()`.
    async fn withdrawn(&mut self, event: &Withdrawn, envelope: &RecordedEvent) -> () {
        tokio::task::yield_now().await;
        self.balance -= event.amount;
        self.withdrawals.push(envelope.stream.aggregate_id.clone());
    }
}

mod read {
    /// A projection named after its type, written with a module path.
    #[derive(Default)]
    pub struct Counter(pub usize);
}

#[projection]
impl read::Counter {
    fn created(&mut self, _: &crate::TaskCreated) {
        self.0 += 1;
    }
}

/// A stored event of aggregate `A`, as the store hands it to a subscription.
fn record<A: Aggregate>(position: u64, id: &str, event: impl Into<A::Event>) -> RecordedEvent {
    let event: A::Event = event.into();
    RecordedEvent::new(NewEvent::new(event.event_type().to_owned(), event.schema_version(), event.encode().unwrap(), EventMetadata::new()), StreamId::new(A::TYPE, id), 1, position)
}

async fn run() {
    let mut board = Dashboard::default();
    let events = [
        record::<Task>(1, "t-1", TaskCreated { title: "Ship".into() }),
        record::<Task>(2, "t-2", TaskCreated { title: "Test".into() }),
        record::<Account>(3, "a-1", Deposited { amount: 100 }),
        record::<Task>(4, "t-1", TaskCompleted),
        record::<Account>(5, "a-1", Withdrawn { amount: 30 }),
    ];
    for event in &events {
        board.handle(event).await.unwrap();
    }
    assert_eq!(
        board,
        Dashboard {
            titles: vec!["Ship".into(), "Test".into()],
            open: 1,
            last_completion: Some(4),
            balance: 70,
            withdrawals: vec!["a-1".into()],
        }
    );
    let before = board.clone();

    // An event type without a handler is passed over, its payload not even decoded.
    let mut archived = record::<Task>(6, "t-1", TaskArchived);
    archived.payload = "not JSON at all".into();
    board.handle(&archived).await.unwrap();
    let mut unknown = record::<Task>(7, "t-1", TaskArchived);
    unknown.event_type = "SomethingElse".into();
    board.handle(&unknown).await.unwrap();
    assert_eq!(board, before);

    // A handled type whose payload does not decode: a decode error, naming the record.
    let mut bad = record::<Account>(8, "a-2", Deposited { amount: 1 });
    bad.payload = r#"{"amount":"one"}"#.into();
    let error = board.handle(&bad).await.unwrap_err();
    assert!(!error.is_retryable());
    match error {
        HandleError::Decode(Error::Decode {
            stream, event_type, ..
        }) => {
            assert_eq!(stream, StreamId::new("Account", "a-2"));
            assert_eq!(event_type, "Deposited");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert_eq!(board, before);

    // A failing handler: a handler error, retryable.
    let refused = record::<Account>(9, "a-1", Deposited { amount: -5 });
    let error = board.handle(&refused).await.unwrap_err();
    assert!(error.is_retryable());
    match error {
        HandleError::Handler(source) => assert_eq!(source.to_string(), "a deposit of -5"),
        other => panic!("expected a handler error, got {other:?}"),
    }
    let mut board = Dashboard::default();
    let error = board.handle(&events[3]).await.unwrap_err();
    assert!(matches!(error, HandleError::Handler(_)));

    let mut counter = read::Counter::default();
    for event in &events {
        counter.handle(event).await.unwrap();
    }
    assert_eq!(counter.0, 2);
}

fn main() {
    assert_eq!(Dashboard::NAME, "dashboard");
    assert_eq!(
        Dashboard::EVENT_TYPES,
        ["TaskCreated", "TaskDone", "Deposited", "Withdrawn"]
    );
    assert_eq!(read::Counter::NAME, "Counter");
    assert_eq!(read::Counter::EVENT_TYPES, ["TaskCreated"]);

    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(run());
}
