//! The attribute keys the macros understand, in one place.

pub const AGGREGATE: &str = "aggregate";
pub const NAME: &str = "name";
pub const VERSION: &str = "version";
/// No longer a key of `#[aggregate(...)]`: named in the error that says so.
pub const EVENTS: &str = "events";
pub const ID: &str = "id";
pub const EVENT_ENUM: &str = "event_enum";
pub const SNAPSHOT: &str = "snapshot";
pub const WITH: &str = "with";
pub const PROJECTION: &str = "projection";
pub const SQLITE: &str = "sqlite";
pub const POSTGRES: &str = "postgres";
pub const CLEAR: &str = "clear";
pub const ALIASES: &str = "aliases";
pub const RETIRED: &str = "retired";
pub const UPCAST_FROM: &str = "upcast_from";
pub const UPCAST_JSON: &str = "upcast_json";
pub const UPCAST_TO: &str = "upcast_to";
/// The path of the `eventsource` crate, for a renamed dependency.
pub const CRATE: &str = "crate";

/// Keys of `#[event(...)]`.
pub const EVENT_KEYS: &[&str] = &[
    NAME,
    VERSION,
    ALIASES,
    RETIRED,
    UPCAST_FROM,
    UPCAST_TO,
    UPCAST_JSON,
    CRATE,
];
/// Keys of `#[aggregate(...)]`.
pub const AGGREGATE_KEYS: &[&str] = &[NAME, ID, SNAPSHOT, CRATE];
/// Keys of `snapshot(...)` inside `#[aggregate(...)]`.
pub const SNAPSHOT_KEYS: &[&str] = &[VERSION, WITH];
/// Keys of `#[projection(...)]`.
pub const PROJECTION_KEYS: &[&str] = &[NAME, SQLITE, POSTGRES, CLEAR, CRATE];
/// Keys of `#[apply(...)]`.
pub const APPLY_KEYS: &[&str] = &[EVENT_ENUM, CRATE];
