//! The prelude's `Serialize` and `Deserialize` derives, in a crate without a serde
//! dependency: serde's own behaviour, `#[serde(...)]` attributes included.

use eventsource::prelude::*;
use std::collections::BTreeMap;

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Profile {
    display_name: String,
    #[serde(rename = "mail")]
    email: Option<String>,
    #[serde(default)]
    visits: u32,
    #[serde(skip)]
    cached: bool,
    tags: BTreeMap<String, u8>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Shape {
    Circle { radius: f64 },
    Square { side: f64 },
    Dot,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Meters(f64);

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Marker;

/// Code written before the prelude's derives names the crate itself: still accepted.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(crate = "eventsource::serde", rename_all = "UPPERCASE")]
struct Legacy {
    code: u8,
}

#[test]
fn container_and_field_attributes_mean_what_they_mean_on_serdes_own_derive() {
    let profile = Profile {
        display_name: "Ada".into(),
        email: Some("ada@example.org".into()),
        visits: 3,
        cached: true,
        tags: BTreeMap::from([("x".into(), 1)]),
    };
    let json = serde_json::to_string(&profile).unwrap();
    assert_eq!(
        json,
        r#"{"displayName":"Ada","mail":"ada@example.org","visits":3,"tags":{"x":1}}"#
    );
    let back: Profile = serde_json::from_str(&json).unwrap();
    assert_eq!(
        back,
        Profile {
            cached: false,
            ..profile
        }
    );
    let defaulted: Profile =
        serde_json::from_str(r#"{"displayName":"B","mail":null,"tags":{}}"#).unwrap();
    assert_eq!(defaulted.visits, 0);
    let unknown =
        serde_json::from_str::<Profile>(r#"{"displayName":"B","mail":null,"tags":{},"x":1}"#);
    assert!(
        unknown
            .unwrap_err()
            .to_string()
            .contains("unknown field `x`")
    );
}

#[test]
fn enums_tuple_and_unit_structs_round_trip() {
    for shape in [
        Shape::Circle { radius: 1.5 },
        Shape::Square { side: 2.0 },
        Shape::Dot,
    ] {
        let json = serde_json::to_string(&shape).unwrap();
        assert!(json.starts_with(r#"{"kind":""#), "{json}");
        assert_eq!(serde_json::from_str::<Shape>(&json).unwrap(), shape);
    }
    assert_eq!(serde_json::to_string(&Meters(2.5)).unwrap(), "2.5");
    assert_eq!(serde_json::from_str::<Meters>("2.5").unwrap(), Meters(2.5));
    assert_eq!(serde_json::to_string(&Marker).unwrap(), "null");
    assert_eq!(serde_json::from_str::<Marker>("null").unwrap(), Marker);
    assert_eq!(
        serde_json::to_string(&Legacy { code: 7 }).unwrap(),
        r#"{"CODE":7}"#
    );
}
