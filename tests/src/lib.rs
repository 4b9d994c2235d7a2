//! Shared test code: domain fixtures, store factories and the subscription suite. The
//! store conformance suites are the published kit, `eventsource::testkit`.

pub mod board;
pub mod codec_suite;
pub mod counting;
pub mod evolution;
pub mod evolution_suite;
pub mod fixtures;
pub mod guarded;
pub mod locking;
pub mod memory_bench;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "postgres")]
pub mod postgres_bench;
pub mod process;
pub mod snapshot_bench;
pub mod subscription_bench;
pub mod subscription_suite;
#[cfg(feature = "postgres-tls")]
pub mod tls_server;
pub mod transactional_bench;

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
pub mod sqlite;
