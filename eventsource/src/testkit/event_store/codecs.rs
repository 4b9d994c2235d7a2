//! Payloads of every codec: each row keeps the codec that wrote it and its bytes.

use crate::codec::{Codec, Payload, PayloadRef};
use crate::event::EventMetadata;
use crate::store::{EventStore, ExpectedVersion, FeedEntryRef, NewEvent};
use crate::testkit::fixtures::{raw, task_stream};

/// A MessagePack payload written by hand (`{"n": n, "b": <bytes 00 ff>}`), so the case
/// needs no codec built in: a store keeps bytes, it does not decode them.
fn binary(n: u8) -> NewEvent {
    let bytes = vec![0x82, 0xa1, b'n', n, 0xa1, b'b', 0xc4, 2, 0x00, 0xff];
    NewEvent::new(
        "TaskAssigned",
        1,
        Payload::MessagePack(bytes),
        EventMetadata::new(),
    )
}

/// A stream of JSON and binary events, appended one at a time and as a batch, reads back
/// with each event's codec and payload on every read path: `read_stream`,
/// `replay_stream` and `read_feed`.
pub async fn payloads_of_every_codec_come_back_with_their_codec<S: EventStore>(store: S) {
    let stream = task_stream();
    let json = |n: u32| raw("TaskAssigned", 1, &format!(r#"{{"n":{n}}}"#));
    let single = [json(1)];
    let alone = [binary(2)];
    let batch = [binary(3), json(4), binary(5)];
    let mut appended = Vec::new();
    for events in [&single[..], &alone[..], &batch[..]] {
        store
            .append(&stream, ExpectedVersion::Any, events.to_vec())
            .await
            .unwrap();
        appended.extend_from_slice(events);
    }
    let expected: Vec<(Codec, Payload)> = appended
        .iter()
        .map(|e| (e.codec, e.payload_ref().to_owned()))
        .collect();
    assert_eq!(
        expected.iter().map(|(codec, _)| *codec).collect::<Vec<_>>(),
        [
            Codec::Json,
            Codec::MessagePack,
            Codec::MessagePack,
            Codec::Json,
            Codec::MessagePack
        ]
    );

    let read = store.read_stream(&stream, 0).await.unwrap();
    let read: Vec<(Codec, Payload)> = read
        .iter()
        .map(|r| (r.codec, r.payload_ref().to_owned()))
        .collect();
    assert_eq!(read, expected, "read_stream");

    let replayed = store
        .replay_stream(&stream, 0, Vec::new(), |seen, event| {
            seen.push((event.codec, event.payload_ref().to_owned()));
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(replayed, expected, "replay_stream");

    let page = store.read_feed(0, 10_000).await.unwrap();
    let fed: Vec<(Codec, Payload)> = page
        .iter()
        .filter_map(|item| match item {
            FeedEntryRef::Event(event) if event.aggregate_id == stream.aggregate_id => {
                Some((event.codec, event.payload_ref().to_owned()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(fed, expected, "read_feed");
    assert!(matches!(
        fed[1].1.as_ref(),
        PayloadRef::MessagePack([0x82, ..])
    ));
}
