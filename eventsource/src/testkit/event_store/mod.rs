//! The event store cases: one async function per rule of [`EventStore`], generic over
//! the store. Each function's one-line doc is the rule; together they are the contract
//! a backend must meet.
//!
//! Run them all with [`event_store_conformance!`](crate::event_store_conformance), or call
//! one: `eventsource::testkit::event_store::retried_batch_is_a_no_op(store).await`. Each
//! case gets a fresh, empty store, and needs it to be a cheap handle that can be cloned
//! into tasks ([`Store`]). The cases append to streams of fresh ids only, so a store that
//! is not empty works too, as long as the cases do not run against it at once with other
//! writers of the same streams.
//!
//! The cases that load aggregates use [`fixtures::Task`](super::fixtures::Task) (stored
//! type `Task`); the stored event types are `TaskCreated`, `TaskAssigned`,
//! `TaskCompleted`, `OrderShipped` and `ItemAdded`.
//!
//! [`EventStore`]: crate::EventStore

mod batches;
mod codecs;
mod concurrency;
mod data;
mod feed;
mod reads;
mod repository;
mod support;
mod versions;

pub use batches::*;
pub use codecs::*;
pub use concurrency::*;
pub use data::*;
pub use feed::*;
pub use reads::*;
pub use repository::*;
pub use support::Store;
pub use versions::*;

/// Runs every [event store case](crate::testkit::event_store) as a test of its own: one
/// `#[test]` function per case, named for it, on a two-thread tokio runtime.
///
/// `$factory` is an async expression evaluating to `Option<store>`: a fresh store for
/// each case (it is evaluated once per case, on that case's runtime), or `None` when the
/// backend is unavailable (the case then prints a `SKIPPED` line and passes). The store
/// is [`EventStore`](crate::EventStore) + `Clone`.
///
/// ```
/// mod in_memory {
///     eventsource::event_store_conformance!(async {
///         Some(eventsource::InMemoryEventStore::new())
///     });
/// }
/// ```
#[macro_export]
macro_rules! event_store_conformance {
    ($factory:expr) => {
        $crate::__testkit_cases!($factory; MultiThread; $crate::testkit::one; event_store;
            new_stream_is_at_version_zero,
            append_to_new_stream_numbers_versions_from_one,
            read_stream_returns_events_in_order_with_their_data,
            read_stream_after_a_version_skips_earlier_events,
            read_stream_of_missing_stream_is_empty,
            expected_any_appends_to_new_and_existing_streams,
            expected_no_stream_succeeds_on_new_stream,
            expected_no_stream_conflicts_on_existing_stream,
            expected_stream_exists_conflicts_on_new_stream,
            expected_stream_exists_succeeds_on_existing_stream,
            expected_exact_succeeds_at_the_version,
            expected_exact_below_the_version_conflicts,
            expected_exact_above_the_version_conflicts,
            expected_exact_zero_means_no_stream,
            conflict_carries_stream_expected_and_actual,
            conflicting_batch_writes_nothing,
            empty_batch_writes_nothing_and_creates_no_stream,
            empty_batch_still_checks_the_version,
            retried_batch_is_a_no_op,
            retried_batch_with_any_is_a_no_op,
            partly_overlapping_batch_is_refused_and_writes_nothing,
            batch_repeating_an_id_is_refused,
            unrecorded_append_keeps_the_append_rules,
            stored_id_at_other_versions_is_refused,
            feed_positions_strictly_increase_across_streams,
            feed_can_be_read_from_the_middle,
            feed_respects_the_limit,
            feed_after_the_end_is_empty,
            metadata_round_trips,
            payload_and_metadata_keep_unicode_and_control_characters,
            payloads_of_every_codec_come_back_with_their_codec,
            streams_up_to_the_id_limits_round_trip,
            streams_outside_the_id_rule_are_refused_before_any_write,
            same_id_of_two_aggregate_types_are_two_streams,
            many_streams_keep_their_own_versions,
            ten_thousand_events_in_one_stream,
            one_mebibyte_payload_round_trips,
            two_writers_at_one_version_exactly_one_wins,
            concurrent_writers_on_one_stream_lose_nothing,
            concurrent_writers_on_distinct_streams_never_conflict,
            undecodable_payload_is_a_typed_error,
            unknown_event_type_is_a_typed_error,
            newer_schema_version_is_a_typed_error,
            repository_round_trip_through_the_store,
            reads_after_the_largest_version_and_position_are_empty,
            the_feed_and_a_stream_are_read_from_a_point_in_time,
            expected_exact_at_the_largest_version_conflicts,
            extreme_times_schema_versions_and_empty_payload_round_trip,
            stream_ids_differing_in_case_or_spaces_are_distinct,
            concurrent_retries_of_one_batch_store_it_once,
            same_event_id_in_two_streams_is_allowed,
            id_of_another_aggregate_type_loads_as_not_found,
            replay_stream_feeds_what_read_stream_returns,
        );
    };
}
