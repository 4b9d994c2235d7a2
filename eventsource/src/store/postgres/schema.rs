//! The PostgreSQL schema (namespace) a store keeps its tables in: a validated name.
//!
//! The schema name is the only text that is ever written into SQL; every value is bound as
//! a parameter. So the name is checked once, here, against a strict pattern, and quoted on
//! top of that.

use crate::error::{ConfigKind, Error, Result};
use std::fmt;
use std::str::FromStr;

/// The schema a store uses when none is configured.
pub const DEFAULT_SCHEMA: &str = "eventsource";

/// A PostgreSQL schema name that is safe to write into SQL.
///
/// Accepted: 1 to [`SchemaName::MAX_LEN`] characters of `a-z`, `0-9` and `_`, not starting
/// with a digit nor with `pg_` (reserved by PostgreSQL). Anything else, such as
/// `x; drop table`, quotes, upper case or non-ASCII letters, is refused with
/// [`Error::Config`].
///
/// ```
/// # #[cfg(feature = "postgres")] {
/// use eventsource::store::postgres::SchemaName;
/// assert!(SchemaName::new("billing_events").is_ok());
/// assert!(SchemaName::new("x; drop table events").is_err());
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SchemaName(String);

impl SchemaName {
    /// The longest accepted name. PostgreSQL identifiers hold 63 bytes; the rest is kept
    /// for the notification channel derived from the name (`<schema>_events`).
    pub const MAX_LEN: usize = 48;

    /// Validates `name`.
    pub fn new(name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        let refuse = |why: &str| {
            Err(Error::config(
                ConfigKind::SchemaName,
                format!("schema name {name:?} {why}"),
            ))
        };
        let mut chars = name.chars();
        match chars.next() {
            None => return refuse("is empty"),
            Some(c) if !(c.is_ascii_lowercase() || c == '_') => {
                return refuse("must start with a lower-case ASCII letter or `_`");
            }
            Some(_) => {}
        }
        if !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            return refuse("may only hold lower-case ASCII letters, digits and `_`");
        }
        if name.len() > Self::MAX_LEN {
            return refuse(&format!("is longer than {} characters", Self::MAX_LEN));
        }
        if name.starts_with("pg_") {
            return refuse("starts with `pg_`, which PostgreSQL reserves");
        }
        if name == "information_schema" {
            return refuse("is PostgreSQL's system schema");
        }
        Ok(SchemaName(name))
    }

    /// The name as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as a quoted SQL identifier. Validation already excludes every character
    /// that would need escaping; the quotes keep key words such as `user` usable.
    pub(crate) fn ident(&self) -> String {
        format!("\"{}\"", self.0)
    }

    /// The `LISTEN`/`NOTIFY` channel on which appends to this schema are announced.
    pub fn notification_channel(&self) -> String {
        format!("{}_events", self.0)
    }
}

impl Default for SchemaName {
    fn default() -> Self {
        SchemaName(DEFAULT_SCHEMA.to_owned())
    }
}

impl FromStr for SchemaName {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        SchemaName::new(s)
    }
}

impl fmt::Display for SchemaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_are_accepted() {
        for name in ["eventsource", "_private", "app_2", "a", &"x".repeat(48)] {
            assert_eq!(SchemaName::new(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn system_schemas_are_refused() {
        for name in ["information_schema", "pg_catalog", "pg_toast", "pg_temp_1"] {
            match SchemaName::new(name) {
                Err(Error::Config {
                    reason: message, ..
                }) => assert!(message.contains(name), "{message}"),
                other => panic!("{name} accepted: {other:?}"),
            }
        }
    }

    #[test]
    fn names_that_could_carry_sql_are_refused() {
        for name in [
            "",
            "x; drop table",
            "x\"; drop schema public cascade; --",
            "Upper",
            "with space",
            "dash-ed",
            "dot.ted",
            "9starts_with_digit",
            "pg_catalog",
            "ünïcode",
            "semi;colon",
            "quote'",
            &"x".repeat(49),
        ] {
            match SchemaName::new(name) {
                Err(Error::Config {
                    reason: message, ..
                }) => assert!(message.contains("schema name")),
                other => panic!("{name:?} was not refused: {other:?}"),
            }
        }
    }

    #[test]
    fn the_identifier_is_quoted_and_the_channel_derived() {
        let name = SchemaName::new("user").unwrap();
        assert_eq!(name.ident(), "\"user\"");
        assert_eq!(name.notification_channel(), "user_events");
        assert_eq!(SchemaName::default().as_str(), DEFAULT_SCHEMA);
    }
}
