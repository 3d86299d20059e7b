//! nginx's stub_status page:
//!
//! ```text
//! Active connections: 291
//! server accepts handled requests
//!  16630948 16630948 31070465
//! Reading: 6 Writing: 179 Waiting: 106
//! ```

use super::super::model::Origin;
use super::parse::read_text;
use crate::error::ParseError;
use crate::input::Source;

/// The counters of one stub_status sample. `accepts`, `handled` and
/// `requests` are cumulative since nginx started; the others are gauges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StubStatus {
    pub file: String,
    pub active: u64,
    pub accepts: u64,
    pub handled: u64,
    pub requests: u64,
    pub reading: u64,
    pub writing: u64,
    pub waiting: u64,
}

impl StubStatus {
    pub fn origin(&self) -> Origin {
        Origin::new(&self.file, 1)
    }

    /// Connections nginx accepted but dropped: `handled` falls behind
    /// `accepts` when a resource limit such as worker_connections was
    /// reached.
    pub fn dropped(&self) -> u64 {
        self.accepts.saturating_sub(self.handled)
    }
}

/// Whether text starts like a stub_status page.
pub(super) fn looks_like(text: &str) -> bool {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    lines
        .next()
        .is_some_and(|l| l.starts_with("Active connections:"))
        && lines.next().is_some_and(|l| {
            l.split_whitespace()
                .eq(["server", "accepts", "handled", "requests"])
        })
}

pub(super) fn parse(source: &dyn Source) -> Result<StubStatus, ParseError> {
    let name = source.name();
    let text = read_text(source, name)?;
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty());
    let error = |line: u64, expected: &str, found: &str| {
        ParseError::new(expected, format!("`{found}`"))
            .in_file(name)
            .at_line(line, None)
    };
    let number = |line: u64, text: &str| -> Result<u64, ParseError> {
        text.parse()
            .map_err(|_| error(line, "a whole number", text))
    };
    let mut status = StubStatus {
        file: name.to_owned(),
        ..StubStatus::default()
    };
    let (n, line) = lines.next().unwrap_or((1, ""));
    let active = line
        .strip_prefix("Active connections:")
        .ok_or_else(|| error(n, "`Active connections: N`", line))?;
    status.active = number(n, active.trim())?;
    let (n, line) = lines.next().unwrap_or((n + 1, ""));
    if !line
        .split_whitespace()
        .eq(["server", "accepts", "handled", "requests"])
    {
        return Err(error(n, "`server accepts handled requests`", line));
    }
    let (n, line) = lines.next().unwrap_or((n + 1, ""));
    let counts: Vec<&str> = line.split_whitespace().collect();
    let [accepts, handled, requests] = counts.as_slice() else {
        return Err(error(n, "three counters: accepts handled requests", line));
    };
    status.accepts = number(n, accepts)?;
    status.handled = number(n, handled)?;
    status.requests = number(n, requests)?;
    let (n, line) = lines.next().unwrap_or((n + 1, ""));
    let words: Vec<&str> = line.split_whitespace().collect();
    let [r, reading, w, writing, wa, waiting] = words.as_slice() else {
        return Err(error(n, "`Reading: N Writing: N Waiting: N`", line));
    };
    if (*r, *w, *wa) != ("Reading:", "Writing:", "Waiting:") {
        return Err(error(n, "`Reading: N Writing: N Waiting: N`", line));
    }
    status.reading = number(n, reading)?;
    status.writing = number(n, writing)?;
    status.waiting = number(n, waiting)?;
    if let Some((n, extra)) = lines.next() {
        return Err(error(n, "the end of the stub_status page", extra));
    }
    Ok(status)
}
