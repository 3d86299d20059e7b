//! Reading a configuration or dump as text: bounded in size, without a
//! byte-order mark, and refused with the line of the first NUL byte when
//! it is binary.

use crate::error::ParseError;
use crate::input::{Source, read_all};

/// The largest file read. A redis.conf is about 100 KiB and an INFO dump
/// a few KiB; anything far larger is not one of them.
pub(super) const MAX_FILE_BYTES: usize = 16 << 20;

pub(super) fn read_text(source: &dyn Source, limit: usize) -> Result<String, ParseError> {
    let bytes = read_all(source, limit)?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    if let Some(pos) = memchr::memchr(0, body) {
        let line = body
            .get(..pos)
            .map(|before| memchr::memchr_iter(b'\n', before).count() + 1)
            .unwrap_or(1);
        return Err(ParseError::new(
            "a text file",
            "binary data (a NUL byte); upload the text configuration or dump",
        )
        .in_file(source.name())
        .at_line(line as u64, None));
    }
    // Comments may hold Latin-1 or other bytes; they never matter to a
    // directive, so undecodable bytes are replaced rather than refused.
    Ok(String::from_utf8_lossy(body).into_owned())
}
