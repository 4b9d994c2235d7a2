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

// Generic types: the impls get the bounds serde's own derive would give them.

/// serde's own derive on the same shapes, to compare with.
mod own {
    use eventsource::serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(crate = "eventsource::serde")]
    pub struct Page<T> {
        pub items: Vec<T>,
        pub next: Option<String>,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(crate = "eventsource::serde", tag = "op", rename_all = "snake_case")]
    pub enum Change<T> {
        Set { value: T },
        Cleared,
    }
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Page<T> {
    items: Vec<T>,
    next: Option<String>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Change<T> {
    Set { value: T },
    Cleared,
}

/// Neither serializable nor deserializable.
#[derive(Debug, Default, PartialEq)]
struct Opaque;

/// `T` only in a `PhantomData` and in a skipped field: no bound on it.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Tagged<T> {
    id: u32,
    marker: std::marker::PhantomData<T>,
    #[serde(skip)]
    cache: Option<Box<T>>,
}

/// Bounds and a where clause of the type's own, a defaulted parameter.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Sorted<K: Ord, V = u8>
where
    V: Clone,
{
    keys: std::collections::BTreeSet<K>,
    value: V,
}

/// `#[serde(bound = ...)]` replaces the inferred bounds, as on serde's own derive.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "T: Serialize + Clone",
    deserialize = "T: Deserialize<'de> + Clone"
))]
struct Explicit<T> {
    value: T,
}

/// A field-level bound, and one from a `with` module that needs nothing of `T`.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Counted<T> {
    #[serde(with = "count", bound = "")]
    items: Vec<T>,
}

mod count {
    use eventsource::serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<T, S: Serializer>(items: &[T], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(items.len() as u64)
    }

    pub fn deserialize<'de, T, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<T>, D::Error> {
        u64::deserialize(deserializer).map(|_| Vec::new())
    }
}

/// An associated type in a field: the bound is on `U::Amount`, not on `U`.
trait Unit {
    type Amount;
}

#[derive(Debug, PartialEq)]
struct Cents;

impl Unit for Cents {
    type Amount = i64;
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Price<U: Unit> {
    amount: U::Amount,
}

/// A container default: `Settings<T>: Default`, as serde's own derive asks.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct Settings<T> {
    level: T,
    name: String,
}

impl<T: From<u8>> Default for Settings<T> {
    fn default() -> Self {
        Settings {
            level: T::from(3),
            name: "default".into(),
        }
    }
}

/// Lifetimes: `&str` (and an `Option` of one) borrows implicitly, `Cow` with `borrow`;
/// an unborrowed `Cow` leaves the type deserializable from owned data.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Borrowed<'a> {
    name: &'a str,
    alias: Option<&'a str>,
    #[serde(borrow)]
    note: std::borrow::Cow<'a, str>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Unborrowed<'a> {
    note: std::borrow::Cow<'a, str>,
}

/// A `'static` borrow: `Deserialize<'static>` only, as serde's own derive gives.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Fixed {
    name: &'static str,
}

fn serializable<T: Serialize>() {}

fn deserializable_from_owned<T: eventsource::serde::de::DeserializeOwned>() {}

#[test]
fn generic_types_serialize_as_serdes_own_derive_does() {
    let page = Page {
        items: vec![Shape::Dot, Shape::Circle { radius: 1.0 }],
        next: Some("p2".into()),
    };
    let json = serde_json::to_string(&page).unwrap();
    let theirs = own::Page {
        items: vec![Shape::Dot, Shape::Circle { radius: 1.0 }],
        next: Some("p2".into()),
    };
    assert_eq!(json, serde_json::to_string(&theirs).unwrap());
    assert_eq!(serde_json::from_str::<Page<Shape>>(&json).unwrap(), page);
    assert_eq!(
        serde_json::from_str::<own::Page<Shape>>(&json).unwrap(),
        theirs
    );

    for (change, theirs) in [
        (Change::Set { value: 7u8 }, own::Change::Set { value: 7u8 }),
        (Change::Cleared, own::Change::Cleared),
    ] {
        let json = serde_json::to_string(&change).unwrap();
        assert_eq!(json, serde_json::to_string(&theirs).unwrap());
        assert_eq!(serde_json::from_str::<Change<u8>>(&json).unwrap(), change);
    }
}

#[test]
fn generic_bounds_are_the_ones_serdes_own_derive_infers() {
    serializable::<Tagged<Opaque>>();
    deserializable_from_owned::<Tagged<Opaque>>();
    let tagged = Tagged::<Opaque> {
        id: 4,
        marker: std::marker::PhantomData,
        cache: Some(Box::new(Opaque)),
    };
    let json = serde_json::to_string(&tagged).unwrap();
    assert_eq!(json, r#"{"id":4,"marker":null}"#);
    let back: Tagged<Opaque> = serde_json::from_str(&json).unwrap();
    assert_eq!((back.id, back.cache), (4, None));

    let sorted = Sorted {
        keys: ["b".to_owned(), "a".to_owned()].into(),
        value: 2u8,
    };
    let json = serde_json::to_string(&sorted).unwrap();
    assert_eq!(json, r#"{"keys":["a","b"],"value":2}"#);
    assert_eq!(
        serde_json::from_str::<Sorted<String>>(&json).unwrap(),
        sorted
    );

    let explicit = Explicit { value: vec![1u8] };
    let json = serde_json::to_string(&explicit).unwrap();
    assert_eq!(
        serde_json::from_str::<Explicit<Vec<u8>>>(&json).unwrap(),
        explicit
    );

    serializable::<Counted<Opaque>>();
    let counted = Counted {
        items: vec![Opaque, Opaque],
    };
    assert_eq!(serde_json::to_string(&counted).unwrap(), r#"{"items":2}"#);
    let back: Counted<Opaque> = serde_json::from_str(r#"{"items":2}"#).unwrap();
    assert!(back.items.is_empty());

    serializable::<Price<Cents>>();
    let price = Price::<Cents> { amount: 250 };
    let json = serde_json::to_string(&price).unwrap();
    assert_eq!(json, r#"{"amount":250}"#);
    assert_eq!(serde_json::from_str::<Price<Cents>>(&json).unwrap(), price);

    let settings: Settings<u32> = serde_json::from_str(r#"{"name":"x"}"#).unwrap();
    assert_eq!(
        settings,
        Settings {
            level: 3,
            name: "x".into()
        }
    );
}

#[test]
fn lifetimes_borrow_from_the_input_as_with_serdes_own_derive() {
    let input = r#"{"name":"ada","alias":"a","note":"hi"}"#.to_owned();
    let borrowed: Borrowed = serde_json::from_str(&input).unwrap();
    assert_eq!((borrowed.name, borrowed.alias), ("ada", Some("a")));
    assert!(matches!(borrowed.note, std::borrow::Cow::Borrowed("hi")));
    assert_eq!(serde_json::to_string(&borrowed).unwrap(), input);

    deserializable_from_owned::<Unborrowed<'static>>();
    let unborrowed: Unborrowed = serde_json::from_str(r#"{"note":"hi"}"#).unwrap();
    assert!(matches!(unborrowed.note, std::borrow::Cow::Owned(_)));

    let fixed: Fixed = serde_json::from_str(r#"{"name":"static"}"#).unwrap();
    assert_eq!(fixed, Fixed { name: "static" });
}

/// A container default on a type without generic parameters: `Limits: Default`.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct Limits {
    max: u32,
    soft: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max: 10, soft: 5 }
    }
}

/// `Self` in a field's type is the item, not the mirror, and its parameters count.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Tree<T> {
    value: T,
    children: Vec<Self>,
}

#[test]
fn container_defaults_and_recursive_types_work() {
    let limits: Limits = serde_json::from_str(r#"{"soft":1}"#).unwrap();
    assert_eq!(limits, Limits { max: 10, soft: 1 });
    let tree = Tree {
        value: 1u8,
        children: vec![Tree {
            value: 2,
            children: Vec::new(),
        }],
    };
    let json = serde_json::to_string(&tree).unwrap();
    assert_eq!(
        json,
        r#"{"value":1,"children":[{"value":2,"children":[]}]}"#
    );
    assert_eq!(serde_json::from_str::<Tree<u8>>(&json).unwrap(), tree);
}

/// A generic type in an aggregate's snapshot state.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Recent<T> {
    items: Vec<T>,
    #[serde(skip)]
    dropped: usize,
}

/// A note was taken.
#[event]
pub struct Noted {
    pub text: String,
}

/// Keeps the last two notes.
#[derive(Aggregate, Debug, Default, Serialize, Deserialize)]
#[aggregate(name = "Notebook", snapshot(version = 1))]
pub struct Notebook {
    recent: Recent<String>,
}

#[apply]
impl Notebook {
    fn noted(&mut self, event: &Noted) {
        self.recent.items.push(event.text.clone());
        if self.recent.items.len() > 2 {
            self.recent.items.remove(0);
            self.recent.dropped += 1;
        }
    }
}

#[tokio::test]
async fn a_generic_type_in_a_snapshot_state_round_trips_through_the_store() {
    let snapshots = InMemorySnapshotStore::new();
    let repo = Repository::<Notebook, _>::new(InMemoryEventStore::new())
        .with_snapshots(snapshots.clone(), SnapshotPolicy::every(3));
    let id = Uuid::now_v7();
    let mut notebook = repo.create_new(id);
    for text in ["a", "b", "c"] {
        notebook.record(Noted { text: text.into() });
    }
    repo.save(&mut notebook).await.unwrap();
    assert_eq!(snapshots.len(), 1);
    // Loaded from the snapshot, with no event to replay: the skipped `dropped` is 0.
    let loaded = repo.load(id).await.unwrap();
    assert_eq!(loaded.version(), 3);
    assert_eq!(
        loaded.recent,
        Recent {
            items: vec!["b".to_owned(), "c".to_owned()],
            dropped: 0,
        }
    );
}

/// A variant skipped, one with a bound of its own, one borrowing.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Value<'a, T, U> {
    Number(u8),
    #[serde(skip)]
    Local(T),
    #[serde(bound(serialize = "U: Serialize", deserialize = "U: Deserialize<'de>"))]
    Remote(U),
    #[serde(borrow)]
    Text(std::borrow::Cow<'a, str>),
}

/// A transparent newtype, a flattened parameter, a const parameter, `from` and `into`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
struct Id<T>(T);

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Envelope<T, const V: u8> {
    id: Id<u32>,
    #[serde(flatten)]
    body: T,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "Vec<T>", into = "Vec<T>")]
struct Stack<T: Clone> {
    items: Vec<T>,
}

impl<T: Clone> From<Vec<T>> for Stack<T> {
    fn from(items: Vec<T>) -> Self {
        Stack { items }
    }
}

impl<T: Clone> From<Stack<T>> for Vec<T> {
    fn from(stack: Stack<T>) -> Self {
        stack.items
    }
}

#[test]
fn variants_newtypes_flattening_and_conversions_work_generically() {
    serializable::<Value<'static, Opaque, u8>>();
    for value in [
        Value::<Opaque, u8>::Number(1),
        Value::Remote(2),
        Value::Text("t".into()),
    ] {
        let json = serde_json::to_string(&value).unwrap();
        assert_eq!(
            serde_json::from_str::<Value<Opaque, u8>>(&json).unwrap(),
            value
        );
    }
    assert!(serde_json::to_string(&Value::<Opaque, u8>::Local(Opaque)).is_err());

    assert_eq!(serde_json::to_string(&Id("a")).unwrap(), r#""a""#);
    let envelope = Envelope::<Profile, 1> {
        id: Id(9),
        body: Profile {
            display_name: "Ada".into(),
            email: None,
            visits: 0,
            cached: false,
            tags: BTreeMap::new(),
        },
    };
    let json = serde_json::to_string(&envelope).unwrap();
    assert_eq!(
        json,
        r#"{"id":9,"displayName":"Ada","mail":null,"visits":0,"tags":{}}"#
    );

    let stack = Stack {
        items: vec![Id(1u8), Id(2)],
    };
    let json = serde_json::to_string(&stack).unwrap();
    assert_eq!(json, "[1,2]");
    assert_eq!(serde_json::from_str::<Stack<Id<u8>>>(&json).unwrap(), stack);
}
