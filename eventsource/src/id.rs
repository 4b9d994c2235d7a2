//! [`new_event_id`]: the UUID v7 every new event gets, made without a system call.
//!
//! `Uuid::now_v7` asks the kernel for random bytes on every call (a `getrandom` system
//! call: about a third of an in-memory command). Event ids need to be unique, not
//! unpredictable, so each thread asks once for a random seed and then counts.

use std::cell::Cell;
use std::time::SystemTime;
use uuid::Uuid;

/// One thread's generator: the millisecond of its last id, a counter within that
/// millisecond, and a splitmix64 state for the remaining random bits.
#[derive(Clone, Copy)]
struct Generator {
    millis: u64,
    counter: u64,
    state: u64,
}

thread_local! {
    static GENERATOR: Cell<Option<Generator>> = const { Cell::new(None) };
}

/// Bits of the counter: the 12 bits of `rand_a` and the top 30 of `rand_b`, as the
/// UUID RFC's method 1 (a counter that starts at a random value each millisecond).
const COUNTER_BITS: u32 = 42;
const COUNTER_MASK: u64 = (1 << COUNTER_BITS) - 1;

/// A UUID v7 for time `at`: its 48-bit millisecond timestamp, then a 42-bit counter that
/// starts at a random value in each new millisecond (so one thread's ids increase), then
/// 32 random bits (so two threads' ids differ).
pub(crate) fn new_event_id(at: SystemTime) -> Uuid {
    let millis = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        & ((1 << 48) - 1);
    GENERATOR.with(|cell| {
        let mut generator = cell.get().unwrap_or_else(|| Generator {
            millis: 0,
            counter: 0,
            // One call to the system's random source per thread.
            state: Uuid::new_v4().as_u64_pair().0,
        });
        let fresh = generator.next();
        if millis > generator.millis || generator.counter >= COUNTER_MASK {
            // A new millisecond (or a counter that ran out): restart the counter at a
            // random 32-bit value, leaving room to count up. A clock that goes back keeps
            // the last millisecond and counts on, so one thread's ids still increase.
            generator.millis = generator.millis.max(millis);
            generator.counter = (fresh >> 32) & (COUNTER_MASK >> 1);
        } else {
            generator.counter += 1;
        }
        let random = generator.next() & 0xffff_ffff;
        cell.set(Some(generator));
        let rand_a = (generator.counter >> 30) & 0xfff;
        let rand_b = ((generator.counter & ((1 << 30) - 1)) << 32) | random;
        let high = (generator.millis << 16) | (0x7 << 12) | rand_a;
        let low = (0b10 << 62) | rand_b;
        Uuid::from_u64_pair(high, low)
    })
}

impl Generator {
    /// splitmix64: a new 64-bit value for every state, over a period of 2^64.
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::new_event_id;
    use std::collections::HashSet;
    use std::time::{Duration, SystemTime};

    #[test]
    fn event_ids_are_version_7_with_the_time_and_increase_on_one_thread() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        let ids: Vec<_> = (0..10_000).map(|_| new_event_id(at)).collect();
        for id in &ids {
            assert_eq!(id.get_version_num(), 7);
            assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
            let (seconds, nanos) = id.get_timestamp().expect("a v7 timestamp").to_unix();
            assert_eq!((seconds, nanos / 1_000_000), (1_700_000_000, 123));
        }
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
        let later = new_event_id(at + Duration::from_millis(1));
        assert!(later > ids[ids.len() - 1]);
    }

    #[test]
    fn event_ids_of_many_threads_are_distinct() {
        let at = SystemTime::now();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(move || {
                    (0..20_000).map(|_| new_event_id(at)).collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all = HashSet::new();
        for thread in threads {
            for id in thread.join().expect("a generating thread") {
                assert!(all.insert(id), "a duplicate id");
            }
        }
    }

    #[test]
    fn a_clock_going_back_keeps_ids_increasing() {
        let now = SystemTime::now();
        let first = new_event_id(now);
        let earlier = new_event_id(now - Duration::from_secs(5));
        assert!(earlier > first);
    }
}
