//! The file-system store on the whole published conformance kit, then what only files
//! can show: reopening, torn and damaged writes, the directory lock.

use eventsource::{Error, EventStore, ExpectedVersion, snapshot::SnapshotStore};
use eventsource::{StreamId, store::FeedEntryRef};
use eventsource_examples::fs_store::{FsError, FsEventStore};
use eventsource_tests::fixtures::{raw_events, task_stream};
use eventsource_tests::guarded::Guarded;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tempfile::TempDir;

/// A store in a fresh temporary directory, removed with the last clone.
type TempFsStore = Guarded<FsEventStore, TempDir>;

async fn fresh() -> TempFsStore {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = FsEventStore::open(dir.path())
        .await
        .expect("open the store");
    Guarded::keeping(store, Arc::new(dir))
}

mod events {
    eventsource::event_store_conformance!(async { Some(super::fresh().await) });
}

mod snapshots {
    eventsource::snapshot_store_conformance!(async {
        let store = super::fresh().await;
        Some(store.with_store(store.snapshot_store()))
    });
}

mod snapshot_behaviour {
    eventsource::snapshot_behaviour_conformance!(async {
        let store = super::fresh().await;
        let snapshots = store.with_store(store.snapshot_store());
        Some((store, snapshots))
    });
}

fn log_of(dir: &Path) -> PathBuf {
    dir.join("events.log")
}

/// The byte offsets where the log's lines start, and its length.
fn line_starts(dir: &Path) -> (Vec<usize>, usize) {
    let bytes = std::fs::read(log_of(dir)).unwrap();
    let mut starts = vec![0];
    starts.extend(
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1),
    );
    starts.pop();
    (starts, bytes.len())
}

/// A directory with one stream: a batch of 2 events, then a batch of 3. The store is
/// closed when this returns.
async fn two_batches() -> (TempDir, StreamId) {
    let dir = tempfile::tempdir().unwrap();
    let stream = task_stream();
    let store = FsEventStore::open(dir.path()).await.unwrap();
    store
        .append(&stream, ExpectedVersion::NoStream, raw_events(2))
        .await
        .unwrap();
    store
        .append(&stream, ExpectedVersion::Exact(2), raw_events(3))
        .await
        .unwrap();
    (dir, stream)
}

fn fs_error(error: &Error) -> &FsError {
    match error {
        Error::Backend(source) => source
            .downcast_ref::<FsError>()
            .unwrap_or_else(|| panic!("not a file-system store error: {error:?}")),
        other => panic!("expected a backend error, got {other:?}"),
    }
}

#[tokio::test]
async fn reopening_keeps_every_event_version_and_position() {
    let (dir, stream) = two_batches().await;
    let other = task_stream();
    let store = FsEventStore::open(dir.path()).await.unwrap();
    assert_eq!(store.recovered_bytes(), 0);
    assert_eq!(store.stream_version(&stream).await.unwrap(), 5);
    let outcome = store
        .append(&other, ExpectedVersion::NoStream, raw_events(1))
        .await
        .unwrap();
    assert_eq!(outcome.records[0].position, 6);
    let before = store.read_all(0, usize::MAX).await.unwrap();
    drop(store);

    let store = FsEventStore::open(dir.path()).await.unwrap();
    assert_eq!(store.read_all(0, usize::MAX).await.unwrap(), before);
    assert_eq!(store.head_position().await.unwrap(), 6);
    assert_eq!(store.stream_version(&other).await.unwrap(), 1);
}

#[tokio::test]
async fn a_torn_last_line_is_cut_back_on_open() {
    let (dir, stream) = two_batches().await;
    let (starts, len) = line_starts(dir.path());
    let bytes = std::fs::read(log_of(dir.path())).unwrap();
    // A crash half-way through writing a sixth line: no line feed at the end.
    let torn = &bytes[starts[4]..starts[4] + (len - starts[4]) / 2];
    let mut with_torn = bytes.clone();
    with_torn.extend_from_slice(torn);
    std::fs::write(log_of(dir.path()), &with_torn).unwrap();

    let store = FsEventStore::open(dir.path()).await.unwrap();
    assert_eq!(store.recovered_bytes(), torn.len() as u64);
    assert_eq!(std::fs::read(log_of(dir.path())).unwrap(), bytes);
    assert_eq!(store.stream_version(&stream).await.unwrap(), 5);
    let outcome = store
        .append(&stream, ExpectedVersion::Exact(5), raw_events(1))
        .await
        .unwrap();
    assert_eq!(outcome.records[0].position, 6);
    drop(store);
    let store = FsEventStore::open(dir.path()).await.unwrap();
    assert_eq!(store.recovered_bytes(), 0);
    assert_eq!(store.stream_version(&stream).await.unwrap(), 6);
}

#[tokio::test]
async fn a_garbled_last_line_cuts_its_whole_batch() {
    let (dir, stream) = two_batches().await;
    let (starts, len) = line_starts(dir.path());
    let mut bytes = std::fs::read(log_of(dir.path())).unwrap();
    let middle = starts[4] + (len - starts[4]) / 2;
    bytes[middle] ^= 0x20;
    std::fs::write(log_of(dir.path()), &bytes).unwrap();

    let store = FsEventStore::open(dir.path()).await.unwrap();
    // The three lines of the second batch go; the first batch stays whole.
    assert_eq!(store.recovered_bytes(), (len - starts[2]) as u64);
    assert_eq!(store.stream_version(&stream).await.unwrap(), 2);
    assert_eq!(store.read_all(0, usize::MAX).await.unwrap().len(), 2);
    store
        .append(&stream, ExpectedVersion::Exact(2), raw_events(1))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_batch_without_its_last_line_is_cut_whole() {
    let (dir, stream) = two_batches().await;
    let (starts, len) = line_starts(dir.path());
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(log_of(dir.path()))
        .unwrap();
    file.set_len(starts[4] as u64).unwrap();
    drop(file);

    let store = FsEventStore::open(dir.path()).await.unwrap();
    assert_eq!(store.recovered_bytes(), (starts[4] - starts[2]) as u64);
    assert_eq!(store.stream_version(&stream).await.unwrap(), 2);
    assert_eq!(
        std::fs::metadata(log_of(dir.path())).unwrap().len(),
        starts[2] as u64
    );
    assert!(len > starts[4]);
}

#[tokio::test]
async fn damage_before_the_end_is_a_typed_error_and_the_log_is_left_alone() {
    let (dir, _) = two_batches().await;
    let (starts, _) = line_starts(dir.path());
    let mut bytes = std::fs::read(log_of(dir.path())).unwrap();
    bytes[starts[1] + 30] ^= 0x01;
    std::fs::write(log_of(dir.path()), &bytes).unwrap();

    let error = FsEventStore::open(dir.path()).await.unwrap_err();
    match fs_error(&error) {
        FsError::Corrupt { offset, reason, .. } => {
            assert_eq!(*offset, starts[1] as u64);
            assert!(reason.contains("checksum"), "{reason}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert!(error.to_string().contains("events.log"), "{error}");
    assert_eq!(std::fs::read(log_of(dir.path())).unwrap(), bytes);
}

#[tokio::test]
async fn whole_lines_that_do_not_follow_each_other_are_corrupt() {
    let (dir, _) = two_batches().await;
    let bytes = std::fs::read(log_of(dir.path())).unwrap();
    // Every line is whole and its checksum right, but the positions start again.
    std::fs::write(log_of(dir.path()), [&bytes[..], &bytes[..]].concat()).unwrap();

    let error = FsEventStore::open(dir.path()).await.unwrap_err();
    match fs_error(&error) {
        FsError::Corrupt { offset, reason, .. } => {
            assert_eq!(*offset, bytes.len() as u64);
            assert!(reason.contains("position 1 where 6 was next"), "{reason}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[tokio::test]
async fn a_line_damaged_while_open_is_handed_over_as_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsEventStore::open(dir.path()).await.unwrap();
    store
        .append(&task_stream(), ExpectedVersion::NoStream, raw_events(3))
        .await
        .unwrap();
    let (starts, _) = line_starts(dir.path());
    let mut bytes = std::fs::read(log_of(dir.path())).unwrap();
    bytes[starts[1] + 30] ^= 0x01;
    std::fs::write(log_of(dir.path()), &bytes).unwrap();

    let feed = store.read_feed(0, 10).await.unwrap();
    let kinds: Vec<_> = feed
        .iter()
        .map(|e| (e.position(), matches!(e, FeedEntryRef::Event(_))))
        .collect();
    assert_eq!(kinds, [(1, true), (2, false), (3, true)]);
    let error = store.read_all(0, 10).await.unwrap_err();
    assert!(
        matches!(fs_error(&error), FsError::Corrupt { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn one_open_store_per_directory() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsEventStore::open(dir.path()).await.unwrap();
    let clone = store.clone();
    let error = FsEventStore::open(dir.path()).await.unwrap_err();
    assert!(
        matches!(fs_error(&error), FsError::Locked { .. }),
        "{error}"
    );
    drop(store);
    assert!(FsEventStore::open(dir.path()).await.is_err());
    drop(clone);
    FsEventStore::open(dir.path()).await.unwrap();
}

#[tokio::test]
async fn snapshots_survive_a_reopen_and_a_damaged_one_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let stream = task_stream();
    let snapshot = eventsource::snapshot::Snapshot::new(
        stream.clone(),
        3,
        1,
        r#"{"title":"t"}"#,
        eventsource::EventMetadata::time_from_micros(-5),
    );
    let store = FsEventStore::open(dir.path()).await.unwrap();
    store.snapshot_store().save(&snapshot).await.unwrap();
    drop(store);

    let store = FsEventStore::open(dir.path()).await.unwrap();
    let snapshots = store.snapshot_store();
    assert_eq!(snapshots.load(&stream).await.unwrap(), Some(snapshot));
    let file = std::fs::read_dir(dir.path().join("snapshots"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&file).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&file, bytes).unwrap();
    let error = snapshots.load(&stream).await.unwrap_err();
    assert!(
        matches!(fs_error(&error), FsError::Corrupt { .. }),
        "{error}"
    );
}

/// Set in the child process of [`another_process_cannot_open_the_directory_until_it_dies`]:
/// the directory it holds open.
const HOLD_DIR: &str = "FS_STORE_TEST_HOLD_DIR";

/// The lock is the operating system's: a store open in another process keeps this one
/// out, and the process's death (here a kill, as a crash) lets it in.
#[tokio::test]
async fn another_process_cannot_open_the_directory_until_it_dies() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    if let Some(dir) = std::env::var_os(HOLD_DIR) {
        let _store = FsEventStore::open(&dir).await.unwrap();
        println!("holding the store open");
        // Until the parent kills this process.
        let _ = std::io::stdin().read_line(&mut String::new());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "another_process_cannot_open_the_directory_until_it_dies",
            "--exact",
            "--nocapture",
        ])
        .env(HOLD_DIR, dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let opened = stdout
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains("holding the store open"));
    assert!(opened, "the child process did not open the store");

    let error = FsEventStore::open(dir.path()).await.unwrap_err();
    assert!(
        matches!(fs_error(&error), FsError::Locked { .. }),
        "{error}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    FsEventStore::open(dir.path()).await.unwrap();
}
