//! Two aggregates in one module, both listing the same event type.

use eventsource::prelude::*;

#[event]
pub struct Renamed {
    pub name: String,
}

#[event]
pub struct Archived;

#[derive(Aggregate, Debug, Default)]
pub struct Project {
    pub name: String,
    pub archived: bool,
}

#[derive(Aggregate, Debug, Default)]
pub struct Board {
    pub name: String,
    pub renames: u32,
}

#[apply]
impl Project {
    fn renamed(&mut self, event: &Renamed) {
        self.name = event.name.clone();
    }

    fn archived(&mut self, _: &Archived) {
        self.archived = true;
    }
}

#[apply]
impl Board {
    fn renamed(&mut self, event: &Renamed) {
        self.name = event.name.clone();
        self.renames += 1;
    }
}

fn main() {
    let renamed = Renamed {
        name: "Roadmap".into(),
    };

    let mut project = AggregateRoot::<Project>::new(Uuid::now_v7());
    project.record(renamed.clone());
    project.record(Archived);

    let mut board = AggregateRoot::<Board>::new(Uuid::now_v7());
    board.record(renamed.clone());
    board.record(Renamed {
        name: "Roadmap 2".into(),
    });

    assert_eq!(project.name, "Roadmap");
    assert!(project.archived);
    assert_eq!(project.version(), 2);
    assert_eq!(board.name, "Roadmap 2");
    assert_eq!(board.renames, 2);
    assert_eq!(board.version(), 2);
    assert_eq!(
        project.pending_events()[0].event,
        ProjectEvent::Renamed(renamed.clone())
    );
    assert_eq!(
        board.pending_events()[0].event,
        BoardEvent::Renamed(renamed)
    );
}
