use eventsource::prelude::*;

mod v1 {
    use eventsource::prelude::*;

    #[event(name = "CreatedV1")]
    pub struct Created;
}

mod v2 {
    use eventsource::prelude::*;

    #[event(name = "CreatedV2")]
    pub struct Created;
}

#[derive(Aggregate, Default)]
pub struct Task {
    pub created: u32,
}

#[apply]
impl Task {
    fn created_v1(&mut self, _: &v1::Created) {
        self.created += 1;
    }

    fn created_v2(&mut self, _: &v2::Created) {
        self.created += 1;
    }
}

fn main() {}
