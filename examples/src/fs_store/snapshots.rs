//! [`FsSnapshotStore`]: one file per stream, replaced atomically.

use super::blocking::blocking;
use super::error::FsError;
use super::frame;
use eventsource::StreamId;
use eventsource::prelude::*;
use eventsource::store::backend;
use eventsource::{
    BoxFuture, Result,
    snapshot::{Snapshot, SnapshotStore},
};
use std::fmt::{self, Write as _};
use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The snapshots of an [`FsEventStore`](super::FsEventStore)'s directory, in
/// `snapshots/`: one file per stream, named for it, holding its newest snapshot. A save
/// writes a new file, syncs it and renames it over the old one, so a crash leaves the old
/// snapshot or the new one, never a mix. Made by
/// [`FsEventStore::snapshot_store`](super::FsEventStore::snapshot_store).
#[derive(Clone)]
pub struct FsSnapshotStore {
    dir: PathBuf,
    /// Orders saves, so that "keep the newer one" is checked and written in one step.
    writes: Arc<Mutex<()>>,
    /// The event store, kept open (and its directory locked) while snapshots are in use.
    _store: Arc<dyn fmt::Debug + Send + Sync>,
}

impl fmt::Debug for FsSnapshotStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FsSnapshotStore")
            .field("dir", &self.dir)
            .finish()
    }
}

/// A snapshot as its file keeps it.
#[derive(Serialize, Deserialize)]
struct SnapshotFile {
    aggregate_type: String,
    aggregate_id: String,
    version: u64,
    schema_version: u32,
    state: String,
    /// The codec that wrote the state; files written before codecs are JSON.
    #[serde(default = "super::line::json_id")]
    codec: String,
    /// A binary codec's state.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    binary: Vec<u8>,
    taken_at: i64,
}

impl FsSnapshotStore {
    pub(crate) fn new(
        dir: PathBuf,
        writes: Arc<Mutex<()>>,
        store: Arc<dyn fmt::Debug + Send + Sync>,
    ) -> Self {
        FsSnapshotStore {
            dir,
            writes,
            _store: store,
        }
    }

    /// The file of `stream`'s snapshot: both names in hex, so any text makes a file name.
    fn path(&self, stream: &StreamId) -> Result<PathBuf> {
        let mut name = String::new();
        for byte in stream.aggregate_type.bytes() {
            let _ = write!(name, "{byte:02x}");
        }
        name.push('-');
        for byte in stream.aggregate_id.bytes() {
            let _ = write!(name, "{byte:02x}");
        }
        name.push_str(".snapshot");
        if name.len() > 255 {
            return Err(FsError::NameTooLong {
                stream: stream.to_string(),
            }
            .into());
        }
        Ok(self.dir.join(name))
    }
}

fn read(path: &Path, stream: &StreamId) -> Result<Option<Snapshot>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(FsError::io(path, "read")(error).into()),
    };
    let corrupt = |reason: String| FsError::Corrupt {
        path: path.to_owned(),
        offset: 0,
        reason,
    };
    let file: SnapshotFile = frame::decode(&bytes).map_err(corrupt)?;
    let stored = StreamId::new(file.aggregate_type, file.aggregate_id);
    if stored != *stream {
        return Err(corrupt(format!("it holds a snapshot of {stored}")).into());
    }
    let codec = eventsource::Codec::from_id(&file.codec)
        .ok_or_else(|| corrupt(format!("unknown codec `{}`", file.codec)))?;
    let state =
        eventsource::codec::PayloadRef::from_parts(codec, &file.state, &file.binary).to_owned();
    Ok(Some(Snapshot::new(
        stored,
        file.version,
        file.schema_version,
        state,
        frame::time(file.taken_at),
    )))
}

fn write(dir: &Path, path: &Path, snapshot: &Snapshot) -> Result<()> {
    let file = SnapshotFile {
        aggregate_type: snapshot.stream.aggregate_type.clone(),
        aggregate_id: snapshot.stream.aggregate_id.clone(),
        version: snapshot.version,
        schema_version: snapshot.schema_version,
        state: snapshot.state.clone(),
        codec: snapshot.codec.id().to_owned(),
        binary: snapshot.binary.clone(),
        taken_at: frame::micros(snapshot.taken_at),
    };
    let bytes = frame::encode(&file).map_err(eventsource::Error::backend)?;
    std::fs::create_dir_all(dir).map_err(FsError::io(dir, "create"))?;
    let temporary = path.with_extension("new");
    std::fs::File::create(&temporary)
        .and_then(|mut f| f.write_all(&bytes).and_then(|()| f.sync_data()))
        .map_err(FsError::io(&temporary, "write"))?;
    std::fs::rename(&temporary, path).map_err(FsError::io(path, "replace"))?;
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| FsError::io(dir, "sync")(e).into())
}

impl SnapshotStore for FsSnapshotStore {
    fn save<'a>(&'a self, snapshot: &'a Snapshot) -> BoxFuture<'a, Result<()>> {
        let (store, snapshot) = (self.clone(), snapshot.clone());
        Box::pin(blocking(move || {
            backend::check_stream(&snapshot.stream)?;
            let path = store.path(&snapshot.stream)?;
            let _one_at_a_time = store.writes.lock().unwrap_or_else(|p| p.into_inner());
            match read(&path, &snapshot.stream) {
                Ok(Some(stored)) if stored.version > snapshot.version => return Ok(()),
                // A damaged file is replaced by the new snapshot.
                Ok(_) | Err(_) => {}
            }
            write(&store.dir, &path, &snapshot)
        }))
    }

    fn load<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<Option<Snapshot>>> {
        let (store, stream) = (self.clone(), stream.clone());
        Box::pin(blocking(move || {
            backend::check_stream(&stream)?;
            read(&store.path(&stream)?, &stream)
        }))
    }

    fn delete<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<()>> {
        let (store, stream) = (self.clone(), stream.clone());
        Box::pin(blocking(move || {
            backend::check_stream(&stream)?;
            let path = store.path(&stream)?;
            let _one_at_a_time = store.writes.lock().unwrap_or_else(|p| p.into_inner());
            match std::fs::remove_file(&path) {
                Ok(()) => sync_dir(&store.dir),
                Err(error) if error.kind() == ErrorKind::NotFound => Ok(()),
                Err(error) => Err(FsError::io(&path, "remove")(error).into()),
            }
        }))
    }
}
