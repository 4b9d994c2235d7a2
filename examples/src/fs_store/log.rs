//! [`Log`]: the append-only event log file, `<dir>/events.log`.

use super::error::FsError;
use super::frame;
use super::index::Location;
use super::line::LogLine;
use super::recovery::{Recovered, recover};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The log file, open for appending and for reading.
#[derive(Debug)]
pub(crate) struct Log {
    path: PathBuf,
    file: File,
    /// The length of the whole batches: what readers may see, where appends go.
    len: u64,
    /// Set when an append failed and its bytes could not be cut: no further appends.
    broken: bool,
}

impl Log {
    /// Opens (or creates) the log in `dir` and recovers it.
    pub fn open(dir: &Path) -> Result<(Self, Recovered), FsError> {
        let path = dir.join("events.log");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(FsError::io(&path, "open"))?;
        let recovered = recover(&path, &file)?;
        let log = Log {
            len: recovered.len,
            path,
            file,
            broken: false,
        };
        Ok((log, recovered))
    }

    /// Writes `lines` (whole lines, one batch) at the end and syncs them to disk; returns
    /// their locations. On failure nothing of the batch stays: the bytes written are cut.
    pub fn append(&mut self, lines: &[Vec<u8>]) -> Result<Vec<Location>, FsError> {
        if self.broken {
            return Err(FsError::NeedsReopen);
        }
        let start = self.len;
        let mut locations = Vec::with_capacity(lines.len());
        let mut offset = start;
        for line in lines {
            locations.push(Location {
                offset,
                len: line.len(),
            });
            offset += line.len() as u64;
        }
        match self.write_at_end(start, &lines.concat()) {
            Ok(()) => {
                self.len = offset;
                Ok(locations)
            }
            Err(error) => {
                if self.file.set_len(start).is_err() {
                    self.broken = true;
                }
                Err(error)
            }
        }
    }

    fn write_at_end(&mut self, start: u64, bytes: &[u8]) -> Result<(), FsError> {
        self.file
            .seek(SeekFrom::Start(start))
            .map_err(FsError::io(&self.path, "seek in"))?;
        self.file
            .write_all(bytes)
            .map_err(FsError::io(&self.path, "append to"))?;
        self.file
            .sync_data()
            .map_err(FsError::io(&self.path, "sync"))
    }

    /// The line at `location`, checked again: the file may have changed under us.
    pub fn read(&mut self, location: Location) -> Result<LogLine, FsError> {
        let mut bytes = vec![0; location.len];
        self.file
            .seek(SeekFrom::Start(location.offset))
            .and_then(|_| self.file.read_exact(&mut bytes))
            .map_err(FsError::io(&self.path, "read"))?;
        frame::decode(&bytes).map_err(|reason| FsError::Corrupt {
            path: self.path.clone(),
            offset: location.offset,
            reason,
        })
    }
}
