//! Inputs to parsers: named sources that can be read more than once,
//! transparent gzip, and a line reader that counts lines and bounds their
//! length. Nothing here touches the file system: callers implement
//! [`Source`] over files, archive entries or memory.

use crate::error::ParseError;
use flate2::read::MultiGzDecoder;
use std::io::{self, BufRead, BufReader, Read};

/// How many bytes detection looks at.
pub const HEAD_BYTES: usize = 64 * 1024;

/// The longest line any line-based format may have. A longer line is not a
/// record of a known tool: it is refused before it fills memory.
pub const MAX_LINE_BYTES: usize = 4 << 20;

/// One named input, which a parser may open several times (once to detect
/// its format, once to parse it).
pub trait Source {
    /// The name shown in messages: a path, or an entry inside an archive.
    fn name(&self) -> &str;
    /// The raw bytes, from the start.
    fn open(&self) -> io::Result<Box<dyn Read + '_>>;
}

/// A source held in memory.
#[derive(Debug, Clone)]
pub struct MemorySource {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl MemorySource {
    pub fn new(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        MemorySource {
            name: name.into(),
            bytes: bytes.into(),
        }
    }
}

impl Source for MemorySource {
    fn name(&self) -> &str {
        &self.name
    }

    fn open(&self) -> io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(self.bytes.as_slice()))
    }
}

/// Whether bytes start with the gzip magic number.
pub fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

/// Opens a source for reading its content: gzip is decompressed on the fly,
/// so every parser sees the text whether the tool's output was compressed
/// or not.
pub fn open_decoded<'a>(source: &'a dyn Source) -> io::Result<Box<dyn BufRead + 'a>> {
    let mut raw = BufReader::with_capacity(256 * 1024, source.open()?);
    let gzip = is_gzip(raw.fill_buf()?);
    if gzip {
        Ok(Box::new(BufReader::with_capacity(
            256 * 1024,
            MultiGzDecoder::new(raw),
        )))
    } else {
        Ok(Box::new(raw))
    }
}

/// The first [`HEAD_BYTES`] of a source's decoded content, for detection.
pub fn head(source: &dyn Source) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD_BYTES);
    let reader = open_decoded(source)?;
    match reader.take(HEAD_BYTES as u64).read_to_end(&mut head) {
        Ok(_) => Ok(head),
        // A truncated gzip stream still has a readable head: keep what
        // was decoded, and let the parser report the truncation.
        Err(_) if !head.is_empty() => Ok(head),
        Err(err) => Err(err),
    }
}

/// The whole decoded content of a source, for formats that are one
/// document (JSON summaries, text reports). Larger than `limit` bytes is an
/// error: such formats are small, and a huge file is not one of them.
pub fn read_all(source: &dyn Source, limit: usize) -> Result<Vec<u8>, ParseError> {
    let reader = open_decoded(source).map_err(|e| read_error(source.name(), None, &e))?;
    let mut bytes = Vec::new();
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| read_error(source.name(), None, &e))?;
    if bytes.len() > limit {
        return Err(ParseError::new(
            format!("a document of at most {} MiB", limit >> 20),
            "a larger file",
        )
        .in_file(source.name()));
    }
    Ok(bytes)
}

/// Turns an I/O error while reading a source into a parse error that names
/// the file and, when known, the line.
pub fn read_error(source: &str, line: Option<u64>, err: &io::Error) -> ParseError {
    let found = match err.kind() {
        io::ErrorKind::UnexpectedEof => "the end of the input (the file is truncated)".to_owned(),
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput => {
            format!("undecodable data ({err})")
        }
        _ => format!("a read error ({err})"),
    };
    let mut error = ParseError::new("a readable file", found).in_file(source);
    if let Some(line) = line {
        error = error.at_line(line, None);
    }
    error
}

/// Reads a text source line by line, with 1-based line numbers, without a
/// per-line allocation. Line ends (`\n` or `\r\n`) are removed.
pub struct Lines<'a> {
    reader: Box<dyn BufRead + 'a>,
    name: String,
    buf: Vec<u8>,
    line: u64,
}

impl<'a> Lines<'a> {
    pub fn new(source: &'a dyn Source) -> Result<Self, ParseError> {
        let reader = open_decoded(source).map_err(|e| read_error(source.name(), None, &e))?;
        Ok(Lines {
            reader,
            name: source.name().to_owned(),
            buf: Vec::with_capacity(4096),
            line: 0,
        })
    }

    /// The number of the line last returned.
    pub fn line_number(&self) -> u64 {
        self.line
    }

    /// The next line with its number, or `None` at the end of the input.
    pub fn next_numbered(&mut self) -> Result<Option<(u64, &[u8])>, ParseError> {
        let line = self.line + 1;
        Ok(self.next_line()?.map(|text| (line, text)))
    }

    /// The next line, or `None` at the end of the input.
    pub fn next_line(&mut self) -> Result<Option<&[u8]>, ParseError> {
        self.buf.clear();
        loop {
            let available = match self.reader.fill_buf() {
                Ok(available) => available,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(read_error(&self.name, Some(self.line + 1), &err)),
            };
            if available.is_empty() {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                break;
            }
            match memchr::memchr(b'\n', available) {
                Some(i) => {
                    self.buf.extend_from_slice(&available[..i]);
                    self.reader.consume(i + 1);
                    break;
                }
                None => {
                    let n = available.len();
                    self.buf.extend_from_slice(available);
                    self.reader.consume(n);
                }
            }
            if self.buf.len() > MAX_LINE_BYTES {
                return Err(ParseError::new(
                    format!("a line of at most {} MiB", MAX_LINE_BYTES >> 20),
                    "a longer line",
                )
                .in_file(&self.name)
                .at_line(self.line + 1, None));
            }
        }
        self.line += 1;
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        Ok(Some(&self.buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn lines_are_numbered_and_stripped_of_line_ends() {
        let source = MemorySource::new("a.txt", "one\r\ntwo\n\nfour");
        let mut lines = Lines::new(&source).unwrap();
        let mut seen = Vec::new();
        while let Some(line) = lines.next_line().unwrap() {
            seen.push(String::from_utf8(line.to_vec()).unwrap());
        }
        assert_eq!(seen, ["one", "two", "", "four"]);
        assert_eq!(lines.line_number(), 4);
    }

    #[test]
    fn gzip_is_read_transparently() {
        let source = MemorySource::new("a.gz", gzip(b"x\ny\n"));
        assert_eq!(head(&source).unwrap(), b"x\ny\n");
        let mut lines = Lines::new(&source).unwrap();
        assert_eq!(lines.next_line().unwrap(), Some(&b"x"[..]));
    }

    #[test]
    fn truncated_gzip_is_an_error_with_a_line() {
        let mut bytes = gzip(&b"line\n".repeat(10_000));
        bytes.truncate(bytes.len() / 2);
        let source = MemorySource::new("cut.gz", bytes);
        let mut lines = Lines::new(&source).unwrap();
        let err = loop {
            match lines.next_line() {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("a truncated stream must not end cleanly"),
                Err(err) => break err,
            }
        };
        let text = err.to_string();
        assert!(text.starts_with("cut.gz, line "), "{text}");
        assert!(text.contains("truncated"), "{text}");
    }

    #[test]
    fn an_endless_line_is_refused() {
        let source = MemorySource::new("big", vec![b'a'; MAX_LINE_BYTES + 10]);
        let mut lines = Lines::new(&source).unwrap();
        let err = lines.next_line().unwrap_err();
        assert!(err.to_string().contains("a line of at most 4 MiB"), "{err}");
    }
}
