//! The conformance kit (feature `testkit`): the cases that define a correct
//! [`EventStore`](crate::EventStore) and [`SnapshotStore`](crate::snapshot::SnapshotStore), as
//! async functions generic over the store, and one macro per suite that turns every case
//! into a test. The built-in stores run exactly these cases.
//!
//! - [`event_store`]: appends, expected versions, idempotent retries, the global feed,
//!   round-trips, concurrency, and what the repository reads back
//!   ([`event_store_conformance!`](crate::event_store_conformance));
//! - [`snapshot_store`]: keeping the newest snapshot of each stream
//!   ([`snapshot_store_conformance!`](crate::snapshot_store_conformance));
//! - [`snapshot_behaviour`]: snapshots through the repository over an event store and a
//!   snapshot store of one backend
//!   ([`snapshot_behaviour_conformance!`](crate::snapshot_behaviour_conformance)).
//!
//! A backend's test file (with `eventsource = { version = "...", features = ["testkit"] }`
//! among its dev-dependencies) is three macro calls, each given an async expression that
//! yields a fresh store, or `None` to skip when the backend is unavailable:
//!
//! ```
//! mod events {
//!     eventsource::event_store_conformance!(async { Some(eventsource::InMemoryEventStore::new()) });
//! }
//! mod snapshots {
//!     eventsource::snapshot_store_conformance!(async {
//!         Some(eventsource::snapshot::InMemorySnapshotStore::new())
//!     });
//! }
//! mod snapshot_behaviour {
//!     eventsource::snapshot_behaviour_conformance!(async {
//!         Some((eventsource::InMemoryEventStore::new(), eventsource::snapshot::InMemorySnapshotStore::new()))
//!     });
//! }
//! ```
//!
//! The generated tests are plain `#[test]` functions that run their case on a tokio
//! runtime of their own ([`run_case`]), so the backend's crate needs no tokio macros. A
//! case fails by panicking, with the assertion that names the broken rule.
//!
//! `examples/src/fs_store/` in the repository is a complete store built on this kit: the
//! tutorial "Writing your own event store".

pub mod event_store;
pub mod fixtures;
pub mod snapshot_behaviour;
pub mod snapshot_store;

use std::future::Future;

/// The tokio runtime a case runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// One thread: what runs on the runtime runs on the test's thread (the snapshot
    /// behaviour cases collect `tracing` warnings there).
    CurrentThread,
    /// Two worker threads: spawned writers really run at once.
    MultiThread,
}

impl Runtime {
    fn build(self) -> tokio::runtime::Runtime {
        let mut builder = match self {
            Runtime::CurrentThread => tokio::runtime::Builder::new_current_thread(),
            Runtime::MultiThread => {
                let mut builder = tokio::runtime::Builder::new_multi_thread();
                builder.worker_threads(2);
                builder
            }
        };
        builder
            .enable_all()
            .build()
            .expect("a test needs a tokio runtime")
    }
}

/// Generates one `#[test]` per case of `$suite`, each running on `$runtime` the case
/// `$adapt` makes of the case function; what the conformance macros expand to.
#[doc(hidden)]
#[macro_export]
macro_rules! __testkit_cases {
    ($factory:expr; $runtime:ident; $adapt:path; $suite:ident; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::testkit::run_case(
                    $crate::testkit::Runtime::$runtime,
                    ::core::stringify!($case),
                    async { $factory.await },
                    $adapt($crate::testkit::$suite::$case),
                );
            }
        )*
    };
}

/// A case of one store, as [`run_case`] takes it.
#[doc(hidden)]
pub fn one<S, R>(case: impl FnOnce(S) -> R) -> impl FnOnce(S) -> R {
    case
}

/// A case of an event store and a snapshot store, as [`run_case`] takes it: the factory
/// yields the pair.
#[doc(hidden)]
pub fn pair<E, S, R>(case: impl FnOnce(E, S) -> R) -> impl FnOnce((E, S)) -> R {
    move |(events, snapshots)| case(events, snapshots)
}

/// Runs one case as the conformance macros' tests do: on a fresh `runtime`, awaits
/// `factory` for the store, then `case` on it. A factory that yields `None` (the backend
/// is unavailable) skips the case with a `SKIPPED <name>` line on stderr.
pub fn run_case<S, F, C, R>(runtime: Runtime, name: &str, factory: F, case: C)
where
    F: Future<Output = Option<S>>,
    C: FnOnce(S) -> R,
    R: Future<Output = ()>,
{
    runtime.build().block_on(async {
        match factory.await {
            Some(store) => case(store).await,
            None => eprintln!("SKIPPED {name}: store backend unavailable"),
        }
    });
}
