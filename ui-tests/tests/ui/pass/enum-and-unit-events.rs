//! An `#[event]` enum and a unit-struct event, round-tripped through the codec.

use eventsource::aggregate::EventSet;
use eventsource::prelude::*;

#[event(name = "LightSwitched", version = 2, upcast_json = switched_v1)]
pub enum Switched {
    On,
    Off,
    Dimmed { percent: u8 },
    Blinking(u32),
}

/// Version 1 had no `Blinking`: its payloads read as version 2 unchanged.
fn switched_v1(event: &mut eventsource::evolution::JsonEvent<'_>) -> Result<(), eventsource::error::BoxError> {
    event.schema_version = 2;
    Ok(())
}

#[event]
pub struct Installed;

#[derive(Aggregate, Debug, Default)]
pub struct Light {
    pub installed: bool,
    pub level: u8,
}

#[apply]
impl Light {
    fn installed(&mut self, _: &Installed) {
        self.installed = true;
    }

    fn switched(&mut self, event: &Switched) {
        self.level = match event {
            Switched::On | Switched::Blinking(_) => 100,
            Switched::Off => 0,
            Switched::Dimmed { percent } => *percent,
        };
    }
}

fn main() {
    assert_eq!(<Switched as DomainEvent>::EVENT_TYPE, "LightSwitched");
    assert_eq!(<Switched as DomainEvent>::SCHEMA_VERSION, 2);
    assert_eq!(<Installed as DomainEvent>::EVENT_TYPE, "Installed");
    assert_eq!(<Installed as DomainEvent>::SCHEMA_VERSION, 1);

    let mut light = AggregateRoot::<Light>::new(Uuid::now_v7());
    light.record(Installed);
    light.record(Switched::On);
    light.record(Switched::Dimmed { percent: 40 });
    assert!(light.installed);
    assert_eq!(light.level, 40);

    for pending in light.pending_events() {
        let event = &pending.event;
        let payload = event.encode().unwrap();
        let decoded =
            LightEvent::decode(event.event_type(), event.schema_version(), &payload).unwrap();
        assert_eq!(&decoded, event);
    }
    // The event enum's Debug, Clone and PartialEq behave as derived ones.
    let dimmed = LightEvent::Switched(Switched::Dimmed { percent: 5 });
    assert_eq!(format!("{dimmed:?}"), "Switched(Dimmed { percent: 5 })");
    assert_eq!(
        format!("{:#?}", LightEvent::Installed(Installed)),
        "Installed(\n    Installed,\n)"
    );
    assert_eq!(dimmed.clone(), dimmed);
    assert_ne!(dimmed, LightEvent::Switched(Switched::Off));
    assert_ne!(dimmed, LightEvent::Installed(Installed));

    // Debug, Clone and PartialEq come with #[event].
    assert_eq!(Switched::Blinking(3).clone(), Switched::Blinking(3));
    assert_eq!(format!("{Installed:?}"), "Installed");
}
