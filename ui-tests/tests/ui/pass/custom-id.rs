//! An aggregate with a `String` id, its own stored name and a named event enum.

use eventsource::prelude::*;
use eventsource::{aggregate::EventSet, StreamId};

#[event(name = "account.opened")]
pub struct Opened {
    pub owner: String,
}

#[event(name = "account.deposited")]
pub struct Deposited {
    pub amount: u64,
}

#[derive(Aggregate, Debug, Default)]
#[aggregate(name = "BankAccount", id = String)]
pub struct Account {
    pub owner: String,
    pub balance: u64,
}

#[apply(event_enum = AccountChange)]
impl Account {
    fn opened(&mut self, event: &Opened) {
        self.owner = event.owner.clone();
    }

    fn deposited(&mut self, event: &Deposited) {
        self.balance += event.amount;
    }
}

fn main() {
    let mut account = AggregateRoot::<Account>::new("acc-42".to_string());
    account.record(Opened {
        owner: "Ada".into(),
    });
    account.record(AccountChange::Deposited(Deposited { amount: 30 }));
    account.record(Deposited { amount: 12 });

    let id: &String = account.id();
    assert_eq!(id, "acc-42");
    assert_eq!(Account::TYPE, "BankAccount");
    assert_eq!(account.stream(), StreamId::new("BankAccount", "acc-42"));
    assert_eq!(account.owner, "Ada");
    assert_eq!(account.balance, 42);
    assert_eq!(account.version(), 3);
    assert_eq!(
        AccountChange::EVENT_TYPES,
        ["account.opened", "account.deposited"]
    );
    let change: AccountChange = Deposited { amount: 1 }.into();
    assert_eq!(change.event_type(), "account.deposited");
}
