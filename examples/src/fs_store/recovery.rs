//! Opening the event log: every line is checked, the [`Index`] rebuilt, and a torn write
//! at the end (a crash mid-append) cut back to the last whole batch.

use super::error::FsError;
use super::frame;
use super::index::{Index, Location};
use super::line::LogLine;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// What opening the log found.
#[derive(Debug)]
pub(crate) struct Recovered {
    pub index: Index,
    /// The length of the log's whole batches: where the next append goes.
    pub len: u64,
    /// How many bytes after them were cut (a torn append); 0 after a clean shutdown.
    pub cut: u64,
}

/// Reads the log at `path` through `file`, checks it and cuts a torn tail.
///
/// A line that is damaged (no line feed, a wrong checksum, a document that does not
/// parse) is a torn write when nothing but it follows; then it and the lines of its
/// unfinished batch are cut. Anything else that is wrong, a damaged line with lines after
/// it or a line that does not follow the ones before, is [`FsError::Corrupt`]: the log is
/// left as it is.
pub(crate) fn recover(path: &Path, file: &File) -> Result<Recovered, FsError> {
    let size = file
        .metadata()
        .map_err(FsError::io(path, "read the size of"))?
        .len();
    let mut reader = BufReader::new(file);
    let mut index = Index::default();
    let mut batch: Vec<(LogLine, Location)> = Vec::new();
    let (mut offset, mut committed) = (0u64, 0u64);
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        let read = reader
            .read_until(b'\n', &mut buffer)
            .map_err(FsError::io(path, "read"))?;
        if read == 0 {
            break;
        }
        let end = offset + read as u64;
        let corrupt = |reason: String| FsError::Corrupt {
            path: path.to_owned(),
            offset,
            reason,
        };
        let decoded = if buffer.ends_with(b"\n") {
            frame::decode::<LogLine>(&buffer)
        } else {
            Err("the line has no line feed".to_owned())
        };
        let line = match decoded {
            Ok(line) => line,
            Err(_) if end == size => break,
            Err(reason) => return Err(corrupt(reason)),
        };
        follows(&index, &batch, &line).map_err(corrupt)?;
        let (number, of) = line.batch;
        batch.push((line, Location { offset, len: read }));
        if number == of {
            for (line, location) in batch.drain(..) {
                index.push(&line.stream(), line.event_id, location);
            }
            committed = end;
        }
        offset = end;
    }
    let cut = size - committed;
    if cut > 0 {
        file.set_len(committed)
            .map_err(FsError::io(path, "cut the torn end of"))?;
        file.sync_all().map_err(FsError::io(path, "sync"))?;
    }
    Ok(Recovered {
        index,
        len: committed,
        cut,
    })
}

/// Checks that `line` continues the log: the next feed position, the next version of its
/// stream, the next line of its batch (or the first of a new one).
fn follows(index: &Index, batch: &[(LogLine, Location)], line: &LogLine) -> Result<(), String> {
    let position = index.next_position() + batch.len() as u64;
    if line.position != position {
        return Err(format!(
            "position {} where {position} was next",
            line.position
        ));
    }
    let (number, of) = line.batch;
    let expected_number = batch.len() as u64 + 1;
    if u64::from(number) != expected_number
        || number > of
        || batch.first().is_some_and(|(first, _)| first.batch.1 != of)
    {
        return Err(format!(
            "line {number} of a batch of {of} where line {expected_number} was next"
        ));
    }
    let stream = line.stream();
    if let Some((first, _)) = batch.first()
        && first.stream() != stream
    {
        return Err(format!(
            "a batch of {} continues in {stream}",
            first.stream()
        ));
    }
    let version = index.version(&stream) + batch.len() as u64 + 1;
    if line.version != version {
        return Err(format!(
            "version {} of {stream} where {version} was next",
            line.version
        ));
    }
    Ok(())
}
