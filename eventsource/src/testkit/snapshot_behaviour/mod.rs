//! The snapshot behaviour cases: snapshots through the [`Repository`](crate::Repository) (the policy and its
//! modes, loading from a snapshot, every fallback to a full replay, `create_snapshot`),
//! one async function per behaviour, generic over a backend's event store and snapshot
//! store.
//!
//! A backend runs every case with
//! [`snapshot_behaviour_conformance!`](crate::snapshot_behaviour_conformance), given an
//! async expression yielding `Option<(event_store, snapshot_store)>`: a fresh pair on one
//! database, or `None` when the backend is unavailable (the case prints a `SKIPPED` line).
//! Each function's one-line doc is the behaviour the repository must show over the pair.
//!
//! The cases that need a misbehaving snapshot store (failing, slow, or one whose writes
//! must be counted) wrap the backend's own store in a [`SnapshotProbe`], and the ones that
//! need a bad snapshot (a state that does not decode, another schema version, a version
//! the stream does not reach) store it through the backend's own `save`: every case runs on
//! every backend.
//!
//! The cases run on tokio's current-thread runtime, as a test's warnings are collected on
//! its thread (background snapshot writes included); the one that loads from many tasks at
//! once runs on two worker threads.
//!
//! The cases use [`fixtures::Account`](super::fixtures::Account) (stored type `Account`)
//! and two aggregates of their own, `Account` at snapshot version 2 and `Tally`.

mod background;
mod create;
mod cycles;
mod loading;
mod policy;
mod probe;
mod support;
mod warnings;

pub use background::*;
pub use create::*;
pub use cycles::*;
pub use loading::*;
pub use policy::*;
pub use probe::SnapshotProbe;

/// Runs every [snapshot behaviour case](crate::testkit::snapshot_behaviour) as a test of
/// its own: one `#[test]` function per case, named for it.
///
/// `$factory` is an async expression evaluating to `Option<(event_store, snapshot_store)>`,
/// both `Clone`: a fresh pair for each case, or `None` when the backend is unavailable.
///
/// ```
/// mod in_memory {
///     eventsource::snapshot_behaviour_conformance!(async {
///         Some((
///             eventsource::InMemoryEventStore::new(),
///             eventsource::snapshot::InMemorySnapshotStore::new(),
///         ))
///     });
/// }
/// ```
#[macro_export]
macro_rules! snapshot_behaviour_conformance {
    ($factory:expr) => {
        $crate::__testkit_cases!($factory; CurrentThread; $crate::testkit::pair; snapshot_behaviour;
            load_restores_the_snapshot_and_applies_the_events_after_it,
            a_snapshot_with_no_later_events_loads_at_its_version,
            a_snapshot_of_another_schema_version_falls_back_to_a_full_replay,
            a_failing_snapshot_store_falls_back_to_a_full_replay,
            an_undecodable_snapshot_state_falls_back_to_a_full_replay,
            a_snapshot_ahead_of_its_stream_is_not_trusted,
            no_snapshot_and_no_events_is_not_found,
            threshold_3_over_three_saves_takes_one_snapshot_at_version_3,
            no_snapshot_below_the_threshold,
            manual_mode_takes_no_automatic_snapshot,
            one_save_across_several_multiples_takes_one_snapshot_at_its_version,
            saves_that_never_land_on_a_multiple_still_snapshot,
            a_save_without_changes_takes_no_snapshot,
            snapshots_are_per_aggregate,
            jitter_shifts_the_snapshot_points_but_keeps_one_per_threshold,
            a_failing_snapshot_store_never_fails_a_save,
            background_save_returns_before_the_snapshot_is_written,
            waiting_counts_background_snapshots_that_already_finished,
            a_hot_stream_keeps_one_snapshot_waiting_the_newest,
            create_snapshot_without_a_snapshot_store_is_a_typed_error,
            create_snapshot_works_in_manual_mode_and_returns_the_snapshot,
            create_snapshot_replaces_the_previous_one,
            create_snapshot_of_an_older_version_keeps_the_newer_snapshot,
            create_snapshot_refuses_a_state_that_is_not_saved,
            create_snapshot_reports_a_failing_store,
            a_full_cycle_continues_correctly_after_loading_from_a_snapshot,
            raising_the_snapshot_version_forces_a_full_replay,
            a_custom_snapshot_type_is_stored_and_restored,
        );
        $crate::__testkit_cases!($factory; MultiThread; $crate::testkit::pair; snapshot_behaviour;
            concurrent_loads_agree,
        );
    };
}
