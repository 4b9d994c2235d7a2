//! Compile-time behaviour of the `eventsource` macros in a build without the `sqlite` and
//! `postgres` features: see `tests/ui.rs`.
