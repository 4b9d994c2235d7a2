//! `#[apply]` handlers may spell the receiver `self: &mut Self`.

use eventsource::prelude::*;

#[event]
pub struct Renamed {
    pub name: String,
}

#[derive(Aggregate, Default)]
pub struct Profile {
    name: String,
}

#[apply]
impl Profile {
    fn renamed(self: &mut Self, e: &Renamed) {
        self.name = e.name.clone();
    }
}

fn main() {
    let mut profile = AggregateRoot::<Profile>::new(Uuid::nil());
    profile.record(Renamed { name: "ada".into() });
    assert_eq!(profile.name, "ada");
}
