use eventsource::prelude::*;

mod task {
    use eventsource::prelude::*;

    #[event]
    pub struct Created {
        pub title: String,
    }
}

mod account {
    use eventsource::prelude::*;

    #[event]
    pub struct Created {
        pub owner: String,
    }
}

#[derive(Default)]
pub struct Counts {
    pub tasks: usize,
    pub accounts: usize,
}

#[projection]
impl Counts {
    fn task(&mut self, _: &task::Created) {
        self.tasks += 1;
    }

    fn account(&mut self, _: &account::Created) {
        self.accounts += 1;
    }
}

fn main() {}
