use eventsource::prelude::*;

#[event]
pub struct Deposited {
    pub amount: i64,
}

#[derive(Aggregate, Default, Serialize, Deserialize)]
#[serde(crate = "eventsource::serde")]
#[aggregate(snapshot(version = 0))]
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
