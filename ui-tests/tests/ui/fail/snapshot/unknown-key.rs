use eventsource::prelude::*;

#[event]
pub struct Deposited {
    pub amount: i64,
}

#[derive(Aggregate, Default, Serialize, Deserialize)]
#[serde(crate = "eventsource::serde")]
#[aggregate(snapshot(version = 1, every = 100))]
pub struct Account {
    pub balance: i64,
}

#[apply]
impl Account {
    fn deposited(&mut self, e: &Deposited) {
        self.balance += e.amount;
    }
}

fn main() {}
