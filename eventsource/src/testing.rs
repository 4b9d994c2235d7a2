//! Given/when/then for aggregates.
