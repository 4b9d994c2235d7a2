// A private aggregate with private events, and an aggregate declared inside a function:
// both compile with no `#[allow]` in the user's code, and the generated enum is usable.
#![deny(warnings)]

use eventsource::prelude::*;

mod board {
    use eventsource::prelude::*;

    #[event]
    struct Opened;

    #[derive(Aggregate, Default)]
    struct Board {
        open: bool,
    }

    #[apply]
    impl Board {
        fn opened(&mut self, _: &Opened) {
            self.open = true;
        }
    }

    pub fn open_board() -> bool {
        let mut root = AggregateRoot::<Board>::new(Uuid::now_v7());
        root.record(Opened);
        matches!(root.pending_events()[0].event, BoardEvent::Opened(_)) && root.open
    }
}

fn main() {
    #[event]
    pub struct Counted;

    #[derive(Aggregate, Default)]
    struct Counter {
        count: u32,
    }

    #[apply]
    impl Counter {
        fn counted(&mut self, _: &Counted) {
            self.count += 1;
        }
    }

    let mut root = AggregateRoot::<Counter>::new(Uuid::now_v7());
    root.execute(|_| Ok::<_, String>((Counted, Counted))).unwrap();
    assert_eq!(root.count, 2);
    assert!(board::open_board());
}
