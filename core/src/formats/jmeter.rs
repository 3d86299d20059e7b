//! JMeter result files (JTL), as CSV or XML: one record per sample, written
//! by JMeter's result collector (the `-l` flag, or a Simple Data Writer).
//!
//! Upstream (<https://github.com/apache/jmeter>):
//! - `xdocs/usermanual/listeners.xml`: the CSV columns, the XML format and
//!   the "Sample Attributes" table (`t`, `ts`, `s`, `lb`, `rc`, `rm`, `tn`,
//!   `na`, ...).
//! - `src/core/src/main/java/org/apache/jmeter/save/CSVSaveService.java`:
//!   how CSV rows are written (`resultToDelimitedString`,
//!   `printableFieldNamesToString`, `saveSampleResult`) and read back
//!   (`makeResultFromDelimitedString`, `DATE_FORMAT_STRINGS`).
//! - `src/core/src/main/java/org/apache/jmeter/save/converters/SampleResultConverter.java`:
//!   the XML attributes and the nesting of sub-results.
//! - `bin/jmeter.properties`: the `jmeter.save.saveservice.*` defaults and
//!   `sampleresult.timestamp.start`.
//! - `src/core/src/main/java/org/apache/jmeter/report/core/Sample.java` and
//!   `report/processor/StatisticsSummaryConsumer.java`: what JMeter's own
//!   HTML report counts, which the totals here reproduce.
//!
//! Every sample is kept, so the figures are exact (up to the run builder's
//! exact limit).
//!
//! Pitfalls handled here:
//! - **`timeStamp` is the start or the end of the sample, and the file does
//!   not say which.** `sampleresult.timestamp.start` defaults to `false`
//!   (end) in the code (properties reference), but `bin/jmeter.properties`
//!   ships with it set to `true` (start), and the report generator reads the
//!   same property (`Sample.getStartTime`). Files of JMeter 2.1 (2005, the
//!   XML fixture) are end-stamped. The meaning is inferred from the file: a
//!   thread runs its samples one after another, so with start stamps each
//!   sample of a thread starts after the previous one ended
//!   (`ts[i+1] >= ts[i] + t[i]`), and with end stamps
//!   `ts[i+1] - t[i+1] >= ts[i]`. Over the first [`DECISION_WINDOW`]
//!   samples, the stamps are read as ends only when the start reading is
//!   broken clearly more often (more than twice as often, and for at least
//!   one pair in twenty); otherwise they are starts, the shipped default.
//! - **The columns depend on `jmeter.save.saveservice.*`**: they are found by
//!   header name, case-insensitively (`Latency` and `latency` both occur) and
//!   in any order (the real order has `IdleTime` before `Connect`, unlike the
//!   manual's list). Only `timeStamp` and `elapsed` are required (the old
//!   name `time`, from the manual's example, is read as `elapsed`). Other
//!   columns, such as sample variables (`sample_variables`), are ignored.
//! - **A header-less file** is read with JMeter's default columns, as JMeter
//!   itself does ("the appropriate JMeter properties must be set"): the 17
//!   columns that the defaults in `bin/jmeter.properties` select, in the
//!   order of `printableFieldNamesToString` ([`DEFAULT_COLUMNS`]).
//! - **The delimiter is configurable** (`default_delimiter`): comma, tab,
//!   semicolon and vertical bar are recognised from the header; a header-less
//!   file must match the default columns with one of them.
//! - **Quoting**: a field holding the delimiter, a quote, CR or LF is quoted
//!   with doubled quotes (`quoteDelimiters`); labels and failure messages may
//!   hold commas and line breaks, so rows are read with a CSV parser and
//!   line numbers count the breaks inside quotes.
//! - **`timestamp_format`** defaults to `ms` (epoch milliseconds). A custom
//!   format writes the local time of the JMeter machine, without its zone.
//!   The formats JMeter itself falls back to when reading
//!   (`yyyy/MM/dd HH:mm:ss.SSS`, `yyyy/MM/dd HH:mm:ss`,
//!   `yyyy-MM-dd HH:mm:ss.SSS`, `yyyy-MM-dd HH:mm:ss`, `MM/dd/yy HH:mm:ss`)
//!   are accepted: durations, rates and the series are computed from them,
//!   but the run's start time is left unknown, since the zone is not in the
//!   file. Other patterns are refused with a message.
//! - **`responseCode` is text** ("Non HTTP response code: ..."): it is not
//!   read; failures come from `success` only.
//! - **Sub-results count as requests.** Since JMeter 5.0 (bug 60917),
//!   `CSVSaveService.saveSampleResult` writes sub-results (embedded
//!   resources, children of a transaction controller that generates a parent
//!   sample) as rows of their own, eleven levels deep at most, and the HTML
//!   report counts every row. XML nests them inside their parent element
//!   (`saveSubResults`); they are counted at every level up to the same
//!   depth, so the CSV and the XML of one run give the same totals. A
//!   `<sample>` and an `<httpSample>` are read alike.
//! - **Transaction controller samples are left out.** Their response message
//!   starts with "Number of samples in transaction"; the report keeps them
//!   out of its Total row and ignores empty ones
//!   (`StatisticsSummaryConsumer`), because their time is the sum of their
//!   children's. Without a `responseMessage` column they cannot be told
//!   apart and are counted.
//! - **`SampleCount` / `sc`** (batch samplers) is not a multiplier: the
//!   report counts one sample per row, and so does this parser.
//! - **The HTTP method** is only in XML, in a `<method>` child element written
//!   with the sampler data; otherwise it is unknown.
//! - **Users** are `allThreads` / `na` (all thread groups), recorded at the
//!   sample's start; `grpThreads` counts one group only.
//! - **Truncation**: JMeter buffers its output (`autoflush=false`), so a run
//!   that was killed leaves a last row cut short, or an XML document without
//!   its closing tags. Both are errors that name the line; so is a value that
//!   does not parse, anywhere in the file.
//! - **Bounded memory**: files are streamed; one CSV record or one XML tag
//!   may not exceed [`MAX_LINE_BYTES`], and the text of elements that are not
//!   read (response data, headers) is skipped without being buffered (a
//!   CDATA section, which JMeter does not write, counts as one record).

use crate::error::ParseError;
use crate::formats::{Format, IngestError, Input, Sniffed, single};
use crate::input::{MAX_LINE_BYTES, Source, head, open_decoded, read_error};
use crate::run::Run;
use crate::samples::{EndpointId, RunBuilder};
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, BufRead, Read};

/// JMeter's CSV column names (`CSVSaveService`), in the order it writes
/// them.
const KNOWN_COLUMNS: [&str; 22] = [
    "timeStamp",
    "elapsed",
    "label",
    "responseCode",
    "responseMessage",
    "threadName",
    "dataType",
    "success",
    "failureMessage",
    "bytes",
    "sentBytes",
    "grpThreads",
    "allThreads",
    "URL",
    "Filename",
    "Latency",
    "Encoding",
    "SampleCount",
    "ErrorCount",
    "Hostname",
    "IdleTime",
    "Connect",
];

/// Column names that no other load-test tool's CSV uses; a header needs one
/// of them to be taken for a JTL header (k6's CSV has `timestamp` and `url`,
/// which alone prove nothing).
const DISTINCTIVE_COLUMNS: [&str; 15] = [
    "elapsed",
    "responseCode",
    "responseMessage",
    "threadName",
    "dataType",
    "success",
    "failureMessage",
    "sentBytes",
    "grpThreads",
    "allThreads",
    "Latency",
    "IdleTime",
    "Connect",
    "SampleCount",
    "ErrorCount",
];

/// The columns of a header-less file: those the defaults of
/// `bin/jmeter.properties` select, in `printableFieldNamesToString` order.
pub const DEFAULT_COLUMNS: [&str; 17] = [
    "timeStamp",
    "elapsed",
    "label",
    "responseCode",
    "responseMessage",
    "threadName",
    "dataType",
    "success",
    "failureMessage",
    "bytes",
    "sentBytes",
    "grpThreads",
    "allThreads",
    "URL",
    "Latency",
    "IdleTime",
    "Connect",
];

/// Delimiters recognised, in the order they are tried.
const DELIMITERS: [u8; 4] = [b',', b'\t', b';', b'|'];

/// How many samples decide whether timestamps are starts or ends.
pub const DECISION_WINDOW: usize = 100_000;

/// How deep sub-results are counted below a top-level sample: the depth to
/// which `CSVSaveService.saveSubResults` writes them.
const MAX_SUB_RESULT_DEPTH: usize = 11;

/// How deeply XML elements may nest; JTL files nest a few levels.
const MAX_XML_DEPTH: usize = 256;

/// The response message of a transaction controller's sample
/// (`report/core/Sample.java`, `CONTROLLER_PATTERN`).
const CONTROLLER_MESSAGE: &str = "Number of samples in transaction";

/// Epoch milliseconds past 9999-12-31 are not a JMeter timestamp; the bound
/// also keeps every timestamp exact as an `f64`.
const MAX_TIMESTAMP_MS: i64 = 253_402_300_799_999;

/// Longer durations than 2^53 ms cannot be held exactly as an `f64`.
const MAX_ELAPSED_MS: i64 = 1 << 53;

/// The endpoint name of samples in a file without a `label` column.
const NO_LABEL: &str = "(no label)";

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Detects a JTL, as CSV (with a header, or a header-less row of the
/// default columns) or as XML (a `<testResults>` document).
pub fn sniff(source: &dyn Source, head: &[u8]) -> Sniffed {
    let text = head.strip_prefix(UTF8_BOM).unwrap_or(head);
    if text.trim_ascii_start().starts_with(b"<") {
        return sniff_xml(text).map(|()| (Format::JmeterXml, "result"));
    }
    match recognize_csv(text) {
        Ok(_) => Ok((Format::JmeterCsv, "result")),
        Err(why) if has_extension(source.name(), ".jtl") => Err(format!("a .jtl file, but {why}")),
        Err(why) => Err(why),
    }
}

fn has_extension(name: &str, extension: &str) -> bool {
    let name = name.strip_suffix(".gz").unwrap_or(name);
    name.len() >= extension.len()
        && name
            .get(name.len() - extension.len()..)
            .is_some_and(|end| end.eq_ignore_ascii_case(extension))
}

/// Whether an XML head has `<testResults>` as its root element.
fn sniff_xml(text: &[u8]) -> Result<(), String> {
    let mut rest = text;
    loop {
        rest = rest.trim_ascii_start();
        let skip_to =
            |rest: &[u8], end: &[u8]| memchr::memmem::find(rest, end).map(|i| i + end.len());
        let skipped = if rest.starts_with(b"<?") {
            skip_to(rest, b"?>")
        } else if rest.starts_with(b"<!--") {
            skip_to(rest, b"-->")
        } else if rest.starts_with(b"<!") {
            skip_to(rest, b">")
        } else {
            break;
        };
        match skipped.and_then(|i| rest.get(i..)) {
            Some(after) => rest = after,
            None => return Err("XML without a root element in the first 64 KiB".to_owned()),
        }
    }
    let Some(tag) = rest.strip_prefix(b"<") else {
        return Err("XML without a root element in the first 64 KiB".to_owned());
    };
    let name_len = tag
        .iter()
        .position(|b| b.is_ascii_whitespace() || matches!(b, b'>' | b'/'))
        .unwrap_or(tag.len());
    let name = tag.get(..name_len).unwrap_or_default();
    if name == b"testResults" {
        Ok(())
    } else {
        Err(format!(
            "XML whose root element is <{}>, not <testResults>",
            snippet(name)
        ))
    }
}

/// What the first record of a CSV says about the file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Recognized {
    /// A header with these column names.
    Header { delimiter: u8, names: Vec<String> },
    /// No header: the first row holds JMeter's default columns.
    Headerless { delimiter: u8 },
}

/// Decides from the head whether a CSV is a JTL, and how it is laid out.
fn recognize_csv(head: &[u8]) -> Result<Recognized, String> {
    let mut first_rows = Vec::new();
    for delimiter in DELIMITERS {
        let Some(fields) = first_record(head, delimiter) else {
            continue;
        };
        if is_jtl_header(&fields) {
            let names = fields
                .iter()
                .map(|f| String::from_utf8_lossy(f).trim().to_owned())
                .collect();
            return Ok(Recognized::Header { delimiter, names });
        }
        first_rows.push((delimiter, fields));
    }
    for (delimiter, fields) in &first_rows {
        if is_default_row(fields) {
            return Ok(Recognized::Headerless {
                delimiter: *delimiter,
            });
        }
    }
    Err(
        "no JTL header (expected timeStamp,elapsed,label,...) and not a headerless JTL row \
         (timeStamp,elapsed,label,responseCode,... with 17 columns)"
            .to_owned(),
    )
}

/// The fields of the first record of `head`, split on `delimiter`.
fn first_record(head: &[u8], delimiter: u8) -> Option<Vec<Vec<u8>>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(head);
    let mut record = csv::ByteRecord::new();
    match reader.read_byte_record(&mut record) {
        Ok(true) => Some(record.iter().map(<[u8]>::to_vec).collect()),
        _ => None,
    }
}

/// The canonical name of a JMeter column, matched case-insensitively.
fn canonical(name: &str) -> Option<&'static str> {
    let name = name.trim();
    if name.eq_ignore_ascii_case("time") {
        // The manual's example header names the elapsed time `time`.
        return Some("elapsed");
    }
    KNOWN_COLUMNS
        .into_iter()
        .find(|known| known.eq_ignore_ascii_case(name))
}

/// A header names at least three of JMeter's columns, one of them a column
/// no other tool uses.
fn is_jtl_header(fields: &[Vec<u8>]) -> bool {
    let names: Vec<&'static str> = fields
        .iter()
        .filter_map(|f| std::str::from_utf8(f).ok().and_then(canonical))
        .collect();
    let distinctive = names
        .iter()
        .filter(|n| DISTINCTIVE_COLUMNS.contains(n))
        .count();
    names.len() >= 3 && distinctive >= 1
}

/// Whether a header-less first row has JMeter's default columns: 17 fields,
/// a timestamp, whole numbers where JMeter writes numbers and a boolean
/// `success`.
fn is_default_row(fields: &[Vec<u8>]) -> bool {
    if fields.len() != DEFAULT_COLUMNS.len() {
        return false;
    }
    let text = |i: usize| fields.get(i).and_then(|f| std::str::from_utf8(f).ok());
    let whole = |i: usize| text(i).and_then(parse_whole).is_some();
    let epoch_like = text(0)
        .and_then(parse_timestamp)
        // Epoch milliseconds since 1973 have at least 12 digits; a smaller
        // number is some other tool's counter.
        .is_some_and(|(ms, clock)| clock == Clock::LocalTime || ms >= 100_000_000_000);
    epoch_like
        && whole(1)
        && text(7).and_then(parse_success).is_some()
        && [9, 10, 11, 12, 14, 15, 16].into_iter().all(whole)
}

/// How a file's timestamps are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clock {
    /// Milliseconds since the Unix epoch (`timestamp_format=ms`).
    EpochMs,
    /// A date and time of the JMeter machine's zone, which the file does not
    /// name; read as if it were UTC, so only differences are meaningful.
    LocalTime,
}

/// Reads a timestamp in epoch milliseconds or in one of the date formats
/// JMeter itself falls back to (`CSVSaveService.DATE_FORMAT_STRINGS`).
fn parse_timestamp(text: &str) -> Option<(i64, Clock)> {
    let text = text.trim();
    if let Some(ms) = parse_whole(text) {
        return (ms <= MAX_TIMESTAMP_MS).then_some((ms, Clock::EpochMs));
    }
    let bytes = text.as_bytes();
    // The shape is checked first: chrono's `%Y` would read the `02` of
    // `02/12/19 ...` as the year 2.
    let format = match (bytes.get(2), bytes.get(4)) {
        (_, Some(b'/')) => "%Y/%m/%d %H:%M:%S%.f",
        (_, Some(b'-')) => "%Y-%m-%d %H:%M:%S%.f",
        (Some(b'/'), _) => "%m/%d/%y %H:%M:%S",
        _ => return None,
    };
    let ms = chrono::NaiveDateTime::parse_from_str(text, format)
        .ok()?
        .and_utc()
        .timestamp_millis();
    (0..=MAX_TIMESTAMP_MS)
        .contains(&ms)
        .then_some((ms, Clock::LocalTime))
}

/// A whole number of zero or more, as JMeter writes longs.
fn parse_whole(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn parse_success(text: &str) -> Option<bool> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A few characters of a value, for messages.
fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out: String = text.chars().take(60).collect();
    if text.chars().nth(60).is_some() {
        out.push('…');
    }
    out
}

fn quoted(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        "an empty value".to_owned()
    } else {
        format!("`{}`", snippet(bytes))
    }
}

// ---------------------------------------------------------------------------
// Samples, whichever the form of the file.

/// One sample as the file states it.
struct Sample<'a> {
    timestamp_ms: i64,
    elapsed_ms: i64,
    label: Cow<'a, str>,
    method: Option<&'a str>,
    thread: Option<&'a str>,
    success: Option<bool>,
    all_threads: Option<u64>,
    /// A transaction controller's own sample.
    controller: bool,
    /// Whether the sample follows the previous one of its thread, so it can
    /// tell start stamps from end stamps (sub-results run inside their
    /// parent and do not).
    sequential: bool,
}

/// What a file's timestamps mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stamp {
    Start,
    End,
}

/// Counts, over consecutive samples of each thread, how often each reading
/// of the timestamps is contradicted.
#[derive(Debug, Default)]
struct StampVote {
    last: HashMap<String, (i64, i64)>,
    pairs: u64,
    start_broken: u64,
    end_broken: u64,
}

impl StampVote {
    fn observe(&mut self, thread: &str, timestamp_ms: i64, elapsed_ms: i64) {
        match self.last.get_mut(thread) {
            Some(previous) => {
                let (previous_ts, previous_elapsed) = *previous;
                self.pairs += 1;
                // As starts: this sample starts after the previous one ended.
                if timestamp_ms < previous_ts.saturating_add(previous_elapsed) {
                    self.start_broken += 1;
                }
                // As ends: this sample started after the previous one ended.
                if timestamp_ms.saturating_sub(elapsed_ms) < previous_ts {
                    self.end_broken += 1;
                }
                *previous = (timestamp_ms, elapsed_ms);
            }
            None => {
                self.last
                    .insert(thread.to_owned(), (timestamp_ms, elapsed_ms));
            }
        }
    }

    fn decide(&self) -> Stamp {
        let clearly_ends = self.start_broken > self.end_broken.saturating_mul(2)
            && self.start_broken.saturating_mul(20) >= self.pairs;
        if clearly_ends {
            Stamp::End
        } else {
            Stamp::Start
        }
    }
}

/// A sample held until the meaning of timestamps is decided.
#[derive(Debug, Clone, Copy)]
struct Held {
    timestamp_ms: i64,
    elapsed_ms: i64,
    endpoint: EndpointId,
    failed: Option<bool>,
    users: Option<u64>,
}

/// Feeds samples into a [`RunBuilder`], holding the first ones back until the
/// timestamps' meaning is known.
struct Collector {
    file: String,
    builder: RunBuilder,
    endpoints: HashMap<String, EndpointId>,
    stamp: Option<Stamp>,
    held: Vec<Held>,
    vote: StampVote,
    samples: u64,
    controllers: u64,
}

impl Collector {
    fn new(file: &str, format: Format) -> Self {
        Collector {
            file: file.to_owned(),
            builder: RunBuilder::new(file, format.name(), "jmeter"),
            endpoints: HashMap::new(),
            stamp: None,
            held: Vec::new(),
            vote: StampVote::default(),
            samples: 0,
            controllers: 0,
        }
    }

    fn add(&mut self, sample: &Sample<'_>) {
        if sample.controller {
            self.controllers += 1;
            return;
        }
        self.samples += 1;
        let endpoint = match sample.method {
            Some(method) => self.builder.endpoint(&sample.label, Some(method)),
            None => match self.endpoints.get(sample.label.as_ref()) {
                Some(id) => *id,
                None => {
                    let id = self.builder.endpoint(&sample.label, None);
                    self.endpoints.insert(sample.label.clone().into_owned(), id);
                    id
                }
            },
        };
        let held = Held {
            timestamp_ms: sample.timestamp_ms,
            elapsed_ms: sample.elapsed_ms,
            endpoint,
            failed: sample.success.map(|ok| !ok),
            users: sample.all_threads,
        };
        if let Some(stamp) = self.stamp {
            self.feed(held, stamp);
            return;
        }
        if let (true, Some(thread)) = (sample.sequential, sample.thread) {
            self.vote
                .observe(thread, sample.timestamp_ms, sample.elapsed_ms);
        }
        self.held.push(held);
        if self.held.len() >= DECISION_WINDOW {
            self.decide();
        }
    }

    fn decide(&mut self) -> Stamp {
        if let Some(stamp) = self.stamp {
            return stamp;
        }
        let stamp = self.vote.decide();
        self.stamp = Some(stamp);
        for held in std::mem::take(&mut self.held) {
            self.feed(held, stamp);
        }
        self.vote = StampVote::default();
        stamp
    }

    fn feed(&mut self, held: Held, stamp: Stamp) {
        let start_ms = match stamp {
            Stamp::Start => held.timestamp_ms,
            Stamp::End => held.timestamp_ms.saturating_sub(held.elapsed_ms),
        } as f64;
        self.builder
            .request(start_ms, held.elapsed_ms as f64, held.endpoint, held.failed);
        if let Some(users) = held.users {
            self.builder.users(start_ms, users);
        }
    }

    /// The run; `end_line` is where the input ended, for the message of a
    /// file without samples.
    fn finish(mut self, clock: Option<Clock>, end_line: u64) -> Result<Run, ParseError> {
        if self.samples == 0 {
            let found = if self.controllers > 0 {
                format!(
                    "only transaction controller samples ({}), which are not requests",
                    self.controllers
                )
            } else {
                "the end of the input".to_owned()
            };
            return Err(ParseError::new("at least one sample", found)
                .in_file(&self.file)
                .at_line(end_line, None));
        }
        self.decide();
        let mut run = self.builder.finish()?;
        if clock == Some(Clock::LocalTime) {
            // The times are the JMeter machine's local time in an unknown
            // zone: differences hold, the absolute start does not.
            run.started_at = None;
        }
        Ok(run)
    }
}

// ---------------------------------------------------------------------------
// Reading with bounded records and line numbers.

/// A buffered reader that counts lines and refuses to let one record (one
/// CSV row, one XML tag) grow past a limit: the caller marks the start of
/// each record, and reading more than the limit since the mark is an error.
struct Bounded<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
    started: bool,
    consumed: u64,
    newlines: u64,
    line_start: u64,
    since_mark: u64,
    limit: u64,
    too_long: bool,
}

impl<R: Read> Bounded<R> {
    fn new(inner: R, limit: usize) -> Self {
        Bounded {
            inner,
            buf: vec![0; 64 * 1024].into_boxed_slice(),
            pos: 0,
            filled: 0,
            started: false,
            consumed: 0,
            newlines: 0,
            line_start: 0,
            since_mark: 0,
            limit: limit as u64,
            too_long: false,
        }
    }

    /// Starts a new record.
    fn mark(&mut self) {
        self.since_mark = 0;
    }

    /// The 1-based line of the next byte to be read.
    fn line(&self) -> u64 {
        self.newlines + 1
    }

    /// The 1-based column, in bytes, of the next byte to be read.
    fn column(&self) -> u64 {
        self.consumed - self.line_start + 1
    }
}

impl<R: Read> BufRead for Bounded<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.since_mark > self.limit {
            self.too_long = true;
            return Err(io::Error::other("a record longer than the limit"));
        }
        if self.pos >= self.filled {
            let n = loop {
                match self.inner.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                    Err(err) => return Err(err),
                }
            };
            self.pos = 0;
            self.filled = n.min(self.buf.len());
            if !self.started {
                self.started = true;
                // A byte-order mark is not part of the first record.
                if self
                    .buf
                    .get(..self.filled)
                    .is_some_and(|b| b.starts_with(UTF8_BOM))
                {
                    self.pos = UTF8_BOM.len();
                }
            }
        }
        Ok(self.buf.get(self.pos..self.filled).unwrap_or_default())
    }

    fn consume(&mut self, amt: usize) {
        let end = self.pos.saturating_add(amt).min(self.filled);
        let chunk = self.buf.get(self.pos..end).unwrap_or_default();
        let newlines = memchr::memchr_iter(b'\n', chunk).count() as u64;
        if let Some(last) = memchr::memrchr(b'\n', chunk) {
            self.line_start = self.consumed + last as u64 + 1;
        }
        self.newlines += newlines;
        let amt = (end - self.pos) as u64;
        self.consumed += amt;
        self.since_mark += amt;
        self.pos = end;
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        if let (Some(to), Some(from)) = (out.get_mut(..n), available.get(..n)) {
            to.copy_from_slice(from);
        }
        self.consume(n);
        Ok(n)
    }
}

fn too_long(file: &str, line: u64, what: &str) -> ParseError {
    ParseError::new(
        format!("{what} of at most {} MiB", MAX_LINE_BYTES >> 20),
        format!("a longer {what}"),
    )
    .in_file(file)
    .at_line(line, None)
}

// ---------------------------------------------------------------------------
// CSV.

/// Where the columns a run needs are, in a CSV.
#[derive(Debug, Clone)]
struct Layout {
    delimiter: u8,
    has_header: bool,
    width: usize,
    timestamp: usize,
    elapsed: usize,
    label: Option<usize>,
    success: Option<usize>,
    thread: Option<usize>,
    message: Option<usize>,
    all_threads: Option<usize>,
}

impl Layout {
    fn new(file: &str, recognized: Recognized) -> Result<Layout, ParseError> {
        let (delimiter, names, has_header) = match recognized {
            Recognized::Header { delimiter, names } => (delimiter, names, true),
            Recognized::Headerless { delimiter } => (
                delimiter,
                DEFAULT_COLUMNS.iter().map(|s| (*s).to_owned()).collect(),
                false,
            ),
        };
        // Sample variables come after JMeter's own columns
        // (`printableFieldNamesToString`), so the first column of a name is
        // JMeter's even if a variable has the same name.
        let find = |wanted: &str| {
            names
                .iter()
                .position(|name| canonical(name) == Some(wanted))
        };
        let required = |wanted: &str| {
            find(wanted).ok_or_else(|| {
                ParseError::new(
                    format!("a `{wanted}` column in the header"),
                    format!("the columns {}", snippet(names.join(",").as_bytes())),
                )
                .in_file(file)
                .at_line(1, None)
            })
        };
        Ok(Layout {
            delimiter,
            has_header,
            width: names.len(),
            timestamp: required("timeStamp")?,
            elapsed: required("elapsed")?,
            label: find("label"),
            success: find("success"),
            thread: find("threadName"),
            message: find("responseMessage"),
            all_threads: find("allThreads"),
        })
    }

    fn name(&self, column: usize) -> &'static str {
        if Some(column) == self.label {
            "label"
        } else if column == self.timestamp {
            "timeStamp"
        } else if column == self.elapsed {
            "elapsed"
        } else if Some(column) == self.success {
            "success"
        } else if Some(column) == self.all_threads {
            "allThreads"
        } else {
            "?"
        }
    }
}

/// Parses a JMeter CSV JTL.
pub fn parse_csv(inputs: &[Input<'_>]) -> Result<Run, IngestError> {
    let input = single(inputs, Format::JmeterCsv)?;
    Ok(read_csv(input.source)?)
}

fn read_csv(source: &dyn Source) -> Result<Run, ParseError> {
    let file = source.name();
    let head = head(source).map_err(|e| read_error(file, None, &e))?;
    let head_text = head.strip_prefix(UTF8_BOM).unwrap_or(&head);
    let recognized = recognize_csv(head_text).map_err(|why| {
        let first_line = head_text.split(|b| *b == b'\n').next().unwrap_or_default();
        ParseError::new(
            format!("a JMeter CSV result: {why}"),
            format!("`{}`", snippet(first_line.trim_ascii_end())),
        )
        .in_file(file)
        .at_line(1, None)
    })?;
    let layout = Layout::new(file, recognized)?;

    let decoded = open_decoded(source).map_err(|e| read_error(file, None, &e))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(layout.delimiter)
        .from_reader(Bounded::new(decoded, MAX_LINE_BYTES));
    let mut collector = Collector::new(file, Format::JmeterCsv);
    let mut clock = None;
    let mut record = csv::ByteRecord::new();
    let mut first = true;
    loop {
        reader.get_mut().mark();
        let more = reader
            .read_byte_record(&mut record)
            .map_err(|err| csv_error(file, &reader, &err))?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, csv::Position::line);
        if std::mem::take(&mut first) && layout.has_header {
            continue;
        }
        // An empty line is not a row; JMeter writes none, editors may.
        if record.len() == 1 && record.get(0).is_some_and(<[u8]>::is_empty) {
            continue;
        }
        if record.len() != layout.width {
            let at_end = !reader
                .read_byte_record(&mut csv::ByteRecord::new())
                .unwrap_or(false);
            return Err(wrong_width(file, line, &layout, record.len(), at_end));
        }
        let sample = csv_sample(file, line, &layout, &record, &mut clock)?;
        collector.add(&sample);
    }
    let end_line = reader.position().line();
    collector.finish(clock, end_line)
}

fn csv_error<R: Read>(
    file: &str,
    reader: &csv::Reader<Bounded<R>>,
    err: &csv::Error,
) -> ParseError {
    let line = reader.position().line();
    if reader.get_ref().too_long {
        return too_long(file, line, "a row");
    }
    match err.kind() {
        csv::ErrorKind::Io(io) => read_error(file, Some(line), io),
        _ => ParseError::new("a CSV row", err.to_string())
            .in_file(file)
            .at_line(line, None),
    }
}

fn wrong_width(file: &str, line: u64, layout: &Layout, found: usize, at_end: bool) -> ParseError {
    let expected = if layout.has_header {
        format!("{} fields, as in the header", layout.width)
    } else {
        format!(
            "{} fields (JMeter's default columns, as the file has no header)",
            layout.width
        )
    };
    let found = if at_end && found < layout.width {
        format!("{found} in the last row, which is cut short (the file is truncated)")
    } else {
        format!("{found}")
    };
    ParseError::new(expected, found)
        .in_file(file)
        .at_line(line, None)
}

fn csv_sample<'r>(
    file: &str,
    line: u64,
    layout: &Layout,
    record: &'r csv::ByteRecord,
    clock: &mut Option<Clock>,
) -> Result<Sample<'r>, ParseError> {
    let field = |column: usize| record.get(column).unwrap_or_default();
    let bad = |column: usize, expected: &str| {
        ParseError::new(expected, quoted(field(column)))
            .in_file(file)
            .at_line(line, None)
            .at_field(layout.name(column))
    };
    let text = |column: usize| std::str::from_utf8(field(column)).ok();

    let (timestamp_ms, this_clock) = text(layout.timestamp)
        .and_then(parse_timestamp)
        .ok_or_else(|| {
            bad(
                layout.timestamp,
                "a timestamp in epoch milliseconds (or a date as yyyy/MM/dd HH:mm:ss.SSS)",
            )
        })?;
    match clock {
        None => *clock = Some(this_clock),
        Some(clock) if *clock != this_clock => {
            let expected = match clock {
                Clock::EpochMs => "a timestamp in epoch milliseconds, as in the rows before",
                Clock::LocalTime => "a date and time, as in the rows before",
            };
            return Err(bad(layout.timestamp, expected));
        }
        Some(_) => {}
    }
    let elapsed_ms = text(layout.elapsed)
        .and_then(parse_whole)
        .filter(|ms| *ms <= MAX_ELAPSED_MS)
        .ok_or_else(|| {
            bad(
                layout.elapsed,
                "a duration in milliseconds (a whole number)",
            )
        })?;
    // Files written with a platform encoding other than UTF-8 exist; a label
    // is a name, so a replaced character does less harm than a refused file.
    let label = match layout.label {
        Some(column) => String::from_utf8_lossy(field(column)),
        None => Cow::Borrowed(NO_LABEL),
    };
    let success = match layout.success {
        Some(column) => Some(
            text(column)
                .and_then(parse_success)
                .ok_or_else(|| bad(column, "`true` or `false`"))?,
        ),
        None => None,
    };
    let all_threads = match layout.all_threads {
        Some(column) => Some(
            text(column)
                .and_then(parse_whole)
                .map(i64::unsigned_abs)
                .ok_or_else(|| bad(column, "a number of threads (a whole number)"))?,
        ),
        None => None,
    };
    let controller = layout
        .message
        .is_some_and(|column| field(column).starts_with(CONTROLLER_MESSAGE.as_bytes()));
    Ok(Sample {
        timestamp_ms,
        elapsed_ms,
        label,
        method: None,
        thread: layout.thread.and_then(text),
        success,
        all_threads,
        controller,
        sequential: true,
    })
}

// ---------------------------------------------------------------------------
// XML.

/// An open element, and what it means to the parser.
enum Frame {
    /// `<testResults>`.
    Root,
    /// A sample counted as a request, emitted when it closes (its `<method>`
    /// child comes after its sub-results).
    Sample(Box<XmlSample>),
    /// A sample nested deeper than JMeter writes sub-results to CSV.
    DeepSample,
    /// The `<method>` child of a sample.
    Method,
    /// Anything else: response data, headers, assertion results.
    Other,
}

/// A sample element's attributes.
struct XmlSample {
    timestamp_ms: i64,
    elapsed_ms: i64,
    label: String,
    method: Option<String>,
    thread: Option<String>,
    success: Option<bool>,
    all_threads: Option<u64>,
    controller: bool,
    top_level: bool,
}

/// Parses a JMeter XML JTL.
pub fn parse_xml(inputs: &[Input<'_>]) -> Result<Run, IngestError> {
    let input = single(inputs, Format::JmeterXml)?;
    Ok(read_xml(input.source)?)
}

fn read_xml(source: &dyn Source) -> Result<Run, ParseError> {
    let file = source.name();
    let decoded = open_decoded(source).map_err(|e| read_error(file, None, &e))?;
    let mut reader = quick_xml::Reader::from_reader(Bounded::new(decoded, MAX_LINE_BYTES));
    let mut collector = Collector::new(file, Format::JmeterXml);
    let mut stack: Vec<Frame> = Vec::new();
    let mut samples_open = 0usize;
    let mut root_closed = false;
    let mut method_text = String::new();
    let mut buf = Vec::new();
    loop {
        let reading_method = matches!(stack.last(), Some(Frame::Method));
        if !reading_method && !stack.is_empty() {
            skip_text(&mut reader).map_err(|e| xml_io_error(file, reader.get_ref(), &e))?;
        }
        reader.get_mut().mark();
        let (line, column) = (reader.get_ref().line(), reader.get_ref().column());
        let at = |error: ParseError| error.in_file(file).at_line(line, Some(column));
        buf.clear();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|err| xml_error(file, reader.get_ref(), line, column, &err))?;
        match event {
            Event::Start(element) | Event::Empty(element) if root_closed => {
                return Err(at(ParseError::new(
                    "nothing after </testResults>",
                    format!("<{}>", snippet(element.name().as_ref().as_bytes())),
                )));
            }
            Event::Start(ref element) | Event::Empty(ref element) => {
                let empty = matches!(event, Event::Empty(_));
                let name = element.local_name();
                let name = name.as_ref();
                let frame = match stack.last() {
                    None if name == "testResults" => Frame::Root,
                    None => {
                        return Err(at(ParseError::new(
                            "a <testResults> root element",
                            format!("<{}>", snippet(name.as_bytes())),
                        )));
                    }
                    Some(Frame::Root | Frame::Sample(_) | Frame::DeepSample)
                        if name == "httpSample" || name == "sample" =>
                    {
                        if samples_open > MAX_SUB_RESULT_DEPTH {
                            Frame::DeepSample
                        } else {
                            let sample = xml_sample(element, samples_open == 0).map_err(at)?;
                            Frame::Sample(Box::new(sample))
                        }
                    }
                    Some(Frame::Sample(_)) if name == "method" => {
                        method_text.clear();
                        Frame::Method
                    }
                    Some(_) => Frame::Other,
                };
                if empty {
                    close(frame, &mut collector, &mut stack, &method_text);
                    if stack.is_empty() {
                        root_closed = true;
                    }
                } else {
                    if stack.len() >= MAX_XML_DEPTH {
                        return Err(at(ParseError::new(
                            format!("elements nested at most {MAX_XML_DEPTH} deep"),
                            "deeper nesting",
                        )));
                    }
                    if matches!(frame, Frame::Sample(_) | Frame::DeepSample) {
                        samples_open += 1;
                    }
                    stack.push(frame);
                }
            }
            Event::End(_) => {
                // quick-xml has checked that the end tag matches its start.
                if let Some(frame) = stack.pop() {
                    if matches!(frame, Frame::Sample(_) | Frame::DeepSample) {
                        samples_open = samples_open.saturating_sub(1);
                    }
                    close(frame, &mut collector, &mut stack, &method_text);
                }
                if stack.is_empty() {
                    root_closed = true;
                }
            }
            // A method name is a short word; longer text is not one.
            Event::Text(text) if reading_method && method_text.len() < 64 => {
                method_text.push_str(&text.xml_content(XmlVersion::Implicit1_0));
            }
            Event::Eof => {
                if !root_closed {
                    let (line, column) = (reader.get_ref().line(), reader.get_ref().column());
                    // An open element at the end is a cut file; no element
                    // at all is no JTL.
                    let (expected, found) = if stack.is_empty() {
                        ("a <testResults> root element", "no element at all")
                    } else {
                        (
                            "the rest of the document, closed by </testResults>",
                            "the end of the input (the file is truncated)",
                        )
                    };
                    return Err(ParseError::new(expected, found)
                        .in_file(file)
                        .at_line(line, Some(column)));
                }
                break;
            }
            // Declarations, comments, processing instructions, CDATA and
            // text outside a `<method>` say nothing about the run.
            _ => {}
        }
    }
    let end_line = reader.get_ref().line();
    collector.finish(Some(Clock::EpochMs), end_line)
}

/// Closes an element: a sample becomes a request, a `<method>` names its
/// sample's method.
fn close(frame: Frame, collector: &mut Collector, stack: &mut [Frame], method_text: &str) {
    match frame {
        Frame::Sample(sample) => collector.add(&Sample {
            timestamp_ms: sample.timestamp_ms,
            elapsed_ms: sample.elapsed_ms,
            label: Cow::Borrowed(&sample.label),
            method: sample.method.as_deref(),
            thread: sample.thread.as_deref(),
            success: sample.success,
            all_threads: sample.all_threads,
            controller: sample.controller,
            sequential: sample.top_level,
        }),
        Frame::Method => {
            let method = method_text.trim();
            let plausible = !method.is_empty()
                && method.len() <= 32
                && method
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if let (true, Some(Frame::Sample(sample))) = (plausible, stack.last_mut()) {
                sample.method = Some(method.to_owned());
            }
        }
        Frame::Root | Frame::DeepSample | Frame::Other => {}
    }
}

/// Reads a sample element's attributes.
fn xml_sample(element: &BytesStart<'_>, top_level: bool) -> Result<XmlSample, ParseError> {
    let tag = element.local_name().as_ref().to_owned();
    let mut timestamp_ms = None;
    let mut elapsed_ms = None;
    let mut label = None;
    let mut thread = None;
    let mut success = None;
    let mut all_threads = None;
    let mut controller = false;
    for attribute in element.attributes().with_checks(true) {
        let attribute = attribute.map_err(|err| {
            ParseError::new(
                format!("well-formed attributes on <{tag}>"),
                err.to_string(),
            )
        })?;
        let key = attribute.key.local_name();
        let key = key.as_ref();
        let raw = attribute.value.as_ref();
        let bad = |expected: &str| {
            ParseError::new(expected, quoted(raw.as_bytes())).at_field(key.to_owned())
        };
        let text = || {
            attribute
                .normalized_value(XmlVersion::Implicit1_0)
                .map(|value| value.into_owned())
                .map_err(|err| {
                    ParseError::new("an attribute value with valid references", err.to_string())
                        .at_field(key.to_owned())
                })
        };
        match key {
            "ts" => {
                // The XML form always writes epoch milliseconds
                // (`SampleResultConverter.setAttributes`).
                let ms = parse_whole(raw)
                    .filter(|ms| *ms <= MAX_TIMESTAMP_MS)
                    .ok_or_else(|| bad("a timestamp in epoch milliseconds"))?;
                timestamp_ms = Some(ms);
            }
            "t" => {
                let ms = parse_whole(raw)
                    .filter(|ms| *ms <= MAX_ELAPSED_MS)
                    .ok_or_else(|| bad("a duration in milliseconds (a whole number)"))?;
                elapsed_ms = Some(ms);
            }
            "s" => success = Some(parse_success(raw).ok_or_else(|| bad("`true` or `false`"))?),
            "na" => {
                let n =
                    parse_whole(raw).ok_or_else(|| bad("a number of threads (a whole number)"))?;
                all_threads = Some(n.unsigned_abs());
            }
            "lb" => label = Some(text()?),
            "tn" => thread = Some(text()?),
            "rm" => controller = raw.starts_with(CONTROLLER_MESSAGE),
            _ => {}
        }
    }
    let missing = |attribute: &str, what: &str| {
        ParseError::new(
            format!("a `{attribute}` attribute ({what}) on <{tag}>"),
            "none",
        )
        .at_field(attribute.to_owned())
    };
    Ok(XmlSample {
        timestamp_ms: timestamp_ms.ok_or_else(|| missing("ts", "the timestamp"))?,
        elapsed_ms: elapsed_ms.ok_or_else(|| missing("t", "the elapsed time"))?,
        label: label.unwrap_or_else(|| NO_LABEL.to_owned()),
        method: None,
        thread,
        success,
        all_threads,
        controller,
        top_level,
    })
}

/// Skips the text before the next markup without buffering it: response
/// data can be megabytes of text that nothing here reads.
fn skip_text<R: Read>(reader: &mut quick_xml::Reader<Bounded<R>>) -> io::Result<()> {
    let mut stream = reader.stream();
    loop {
        stream.get_mut().mark();
        let available = match stream.fill_buf() {
            Ok(available) => available,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        if available.is_empty() {
            return Ok(());
        }
        match memchr::memchr(b'<', available) {
            Some(i) => {
                stream.consume(i);
                return Ok(());
            }
            None => {
                let n = available.len();
                stream.consume(n);
            }
        }
    }
}

fn xml_io_error<R>(file: &str, bounded: &Bounded<R>, err: &io::Error) -> ParseError {
    let line = bounded.newlines + 1;
    if bounded.too_long {
        return too_long(file, line, "an XML element");
    }
    read_error(file, Some(line), err)
}

fn xml_error<R>(
    file: &str,
    bounded: &Bounded<R>,
    line: u64,
    column: u64,
    err: &quick_xml::Error,
) -> ParseError {
    use quick_xml::errors::{Error, IllFormedError};
    let (expected, found) = match err {
        Error::Io(io) => return xml_io_error(file, bounded, io),
        Error::Syntax(syntax) => (
            "a complete XML element".to_owned(),
            format!("the end of the input inside it ({syntax}): the file is truncated"),
        ),
        Error::IllFormed(IllFormedError::MismatchedEndTag { expected, found }) => {
            (format!("</{expected}>"), format!("</{found}>"))
        }
        Error::IllFormed(other) => ("well-formed XML".to_owned(), other.to_string()),
        Error::Encoding(encoding) => ("UTF-8 text".to_owned(), encoding.to_string()),
        other => ("well-formed XML".to_owned(), other.to_string()),
    };
    ParseError::new(expected, found)
        .in_file(file)
        .at_line(line, Some(column))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_stamps_are_the_default_and_end_stamps_are_inferred() {
        let mut vote = StampVote::default();
        // Back-to-back samples stamped at their start.
        for (ts, t) in [(0, 100), (100, 50), (150, 70), (220, 10)] {
            vote.observe("t1", ts, t);
        }
        assert_eq!(vote.decide(), Stamp::Start);

        let mut vote = StampVote::default();
        // The same samples stamped at their end.
        for (ts, t) in [(100, 100), (150, 50), (220, 70), (230, 10)] {
            vote.observe("t1", ts, t);
        }
        assert_eq!(vote.decide(), Stamp::End);

        // Samples far apart contradict neither reading: starts, the default.
        let mut vote = StampVote::default();
        for (ts, t) in [(0, 10), (1000, 10), (2000, 10)] {
            vote.observe("t1", ts, t);
        }
        assert_eq!(vote.decide(), Stamp::Start);
    }

    #[test]
    fn timestamps_in_jmeter_date_formats_are_read() {
        assert_eq!(
            parse_timestamp("1551783627191"),
            Some((1_551_783_627_191, Clock::EpochMs))
        );
        assert_eq!(
            parse_timestamp("2019/02/12 10:29:45.359"),
            Some((1_549_967_385_359, Clock::LocalTime))
        );
        assert_eq!(
            parse_timestamp("2019-02-12 10:29:45"),
            Some((1_549_967_385_000, Clock::LocalTime))
        );
        assert_eq!(
            parse_timestamp("02/12/19 10:29:45"),
            Some((1_549_967_385_000, Clock::LocalTime))
        );
        assert_eq!(parse_timestamp("-5"), None);
        assert_eq!(parse_timestamp("abc"), None);
        assert_eq!(parse_timestamp("99999999999999999999"), None);
    }

    #[test]
    fn headers_are_recognised_by_jmeter_column_names_only() {
        assert!(recognize_csv(b"timeStamp,elapsed,label,success\n1,2,a,true\n").is_ok());
        assert!(recognize_csv(b"TIMESTAMP;Elapsed;Label;Success\n").is_ok());
        // The smallest configuration: time stamp, elapsed time and label.
        assert!(recognize_csv(b"timeStamp|time|label\n").is_ok());
        assert!(
            recognize_csv(b"metric_name,timestamp,metric_value,check,url\nhttp_reqs,1,1,,x\n")
                .is_err()
        );
        assert!(recognize_csv(b"Type,Name,Request Count,Failure Count\n").is_err());
        assert!(recognize_csv(b"REQUEST\tscn\t1\t\treq\t1\t2\tOK\t\n").is_err());
    }
}
