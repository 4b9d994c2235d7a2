//! The prelude's serde derives on public generic types, under the strictest lints: the
//! expansions add no warning.

#![deny(warnings, unused_qualifications, missing_docs)]

use eventsource::prelude::*;
use std::borrow::Cow;

/// A page of items.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<'a, T, C = u32>
where
    C: Copy,
{
    /// The items.
    pub items: Vec<T>,
    /// Where the next page starts.
    pub next_cursor: Option<C>,
    /// A note, borrowed from the input.
    #[serde(borrow)]
    pub note: Cow<'a, str>,
}

/// A change to a value.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", bound(deserialize = "T: Deserialize<'de> + Default"))]
pub enum Change<T: Clone> {
    /// Set it.
    Set {
        /// The new value.
        value: T,
    },
    /// Clear it.
    Cleared,
}

fn main() {
    let page: Page<'_, Change<u8>> = Page {
        items: vec![Change::Set { value: 1 }, Change::Cleared],
        next_cursor: Some(2),
        note: Cow::Borrowed("n"),
    };
    let json = eventsource::serde_json::to_string(&page).unwrap();
    assert_eq!(
        json,
        r#"{"items":[{"op":"Set","value":1},{"op":"Cleared"}],"nextCursor":2,"note":"n"}"#
    );
    assert_eq!(
        eventsource::serde_json::from_str::<Page<'_, Change<u8>>>(&json).unwrap(),
        page
    );
}
