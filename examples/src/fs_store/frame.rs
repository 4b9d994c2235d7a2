//! One line of a store file: a checksum, a space, a JSON document, a line feed.
//!
//! JSON as `serde_json` writes it never contains a raw line feed (one in a string is
//! escaped), so a line is exactly one record, and a write torn by a crash leaves a last
//! line without its line feed or with a checksum that does not match.

use eventsource::serde::Serialize;
use eventsource::serde::de::DeserializeOwned;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `document` as a line: `<16 hex digits of its checksum> <json>\n`.
pub(crate) fn encode<T: Serialize>(document: &T) -> serde_json::Result<Vec<u8>> {
    let json = serde_json::to_vec(document)?;
    let mut line = format!("{:016x} ", checksum(&json)).into_bytes();
    line.extend_from_slice(&json);
    line.push(b'\n');
    Ok(line)
}

/// The document of one line (with or without its line feed), or why it is not one.
pub(crate) fn decode<T: DeserializeOwned>(line: &[u8]) -> Result<T, String> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let (sum, json) = match (line.get(..16), line.get(16), line.get(17..)) {
        (Some(sum), Some(b' '), Some(json)) => (sum, json),
        _ => return Err("the line is too short for a checksum and a document".into()),
    };
    let sum = std::str::from_utf8(sum)
        .ok()
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        .ok_or("the checksum is not 16 hex digits")?;
    if sum != checksum(json) {
        return Err("the checksum does not match the document".into());
    }
    serde_json::from_slice(json).map_err(|e| format!("the document does not parse: {e}"))
}

/// FNV-1a, 64 bits: enough to tell a torn or garbled line from a whole one (not a
/// defence against deliberate tampering).
fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Microseconds since the Unix epoch, negative before it, as the files keep times.
pub(crate) fn micros(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_micros()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_micros()).map_or(i64::MIN, |m| -m),
    }
}

/// The time `micros` microseconds from the Unix epoch.
pub(crate) fn time(micros: i64) -> SystemTime {
    let offset = Duration::from_micros(micros.unsigned_abs());
    if micros >= 0 {
        UNIX_EPOCH + offset
    } else {
        UNIX_EPOCH - offset
    }
}
