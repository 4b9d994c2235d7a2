use eventsource::prelude::*;

#[event]
pub struct Deposited {
    pub amount: i64,
}

#[derive(Aggregate, Default)]
pub struct Account {
    pub balance: i64,
}

#[apply]
impl Account {
    fn deposited(&mut self, e: &Deposited) {
        self.balance += e.amount;
    }
}

fn main() {
    let _repo = Repository::<Account, _>::new(InMemoryEventStore::new())
        .with_snapshots(InMemorySnapshotStore::new(), SnapshotPolicy::every(100));
}
