//! Locust `--csv=<prefix>` results: the four CSV files one Locust run writes,
//! read together as one run.
//!
//! Upstream: locustio/locust `locust/stats.py`
//! (<https://github.com/locustio/locust/blob/master/locust/stats.py>):
//! `StatsCSV` writes the stats, failures and exceptions files,
//! `StatsCSVFileWriter` appends the stats history, `PERCENTILES_TO_REPORT`
//! names the percentile columns and `StatsEntry._log_response_time` rounds
//! every response time into a bucket. `locust/runners.py` (`on_request`)
//! shows that a failed request is counted in `Request Count` and again in
//! `Failure Count`.
//!
//! | file | header | what it holds |
//! |---|---|---|
//! | `<prefix>_stats.csv` | `Type,Name,Request Count,Failure Count,Median Response Time,...,Requests/s,Failures/s,50%,...,100%` | one row per (method, name), then the `Aggregated` total |
//! | `<prefix>_stats_history.csv` | `Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,...,Total Request Count,Total Failure Count,...` | one `Aggregated` row about every second (one per endpoint too with `--csv-full-history`) |
//! | `<prefix>_failures.csv` | `Method,Name,Error,Occurrences[,First Seen,Last Seen]` | failures grouped by error |
//! | `<prefix>_exceptions.csv` | `Count,Message,Traceback,Nodes` | exceptions raised in user code |
//!
//! The stats file gives the totals, the latency and the endpoints; the
//! history gives the start, the duration, the users and the time series. Every
//! figure is copied from Locust (`reported`), and a figure a file does not
//! carry is null. The failures and exceptions files are recognised, so that a
//! whole `--csv` folder can be uploaded, but not read: they carry no request
//! figure, and the run has no place for error messages.
//!
//! Pitfalls handled here:
//! - **Percentiles are bucketed.** Locust keeps response times rounded to
//!   about two significant digits (147 → 150, 3432 → 3400, 58760 → 59000;
//!   under 100 ms, to the whole millisecond), so `Median Response Time` and
//!   the percentile columns are bucket values, within about 5 % (or 0.5 ms)
//!   of the truth, while Min, Max and Average are exact. A percentile can
//!   therefore exceed Max: the bitcoin-api fixture has `99.99%` = 2200 with a
//!   Max of 2160.3. The values are kept as reported.
//! - **`N/A` means no data**, and so does every time of a row without
//!   requests (Locust writes 0 there): both become null.
//! - **p50 is `Median Response Time`.** It is present whatever
//!   `PERCENTILES_TO_REPORT` holds, and Locust clamps it between Min and Max.
//!   The other percentiles are found by column name (`90%`, `95%`, `99%`),
//!   so a custom percentile list leaves the missing ones null.
//! - **Failures are requests too** (`on_request` logs the request, then the
//!   error), so the error rate is `Failure Count / Request Count`, as
//!   Locust's own `fail_ratio`.
//! - **The total row** has an empty Type and the Name `Aggregated`, and
//!   Locust writes it last; a row after it means two files were joined, and
//!   a file without it was cut short.
//! - **Which window the history's percentiles cover.** By default they are
//!   cumulative since the run (or `--reset-stats`) began:
//!   `StatsCSV._percentile_fields` uses the sliding window only when
//!   `full_history` is set. With `--csv-full-history` they cover about the last 10 s
//!   (`CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW`) since Locust 2.2.2; from
//!   August 2020 to 2.2.1 they were cumulative there too (locustio/locust#1873),
//!   which the file does not reveal. A cumulative percentile is not the
//!   latency of a bucket, so the series carries percentiles only from a full
//!   history (a full history is recognised by its per-endpoint rows), as the
//!   highest value reported in the bucket; otherwise they are null. A
//!   history read without its stats file takes the run's percentiles from its
//!   last row when they are cumulative.
//! - **History totals are cumulative**: the series counts requests and
//!   failures from the differences between rows. A total that drops means
//!   the statistics were reset (`--reset-stats` after the ramp-up): counting
//!   restarts from the new total.
//! - **History rows are about one second apart**, stamped with the whole
//!   second of a writer loop that drifts, so a second is sometimes skipped.
//!   The difference between two rows is counted in the bucket where the
//!   earlier row falls, and a bucket that no row starts is left out of the
//!   series rather than shown as zero requests.
//! - **The history may end early.** Locust flushes the history file every
//!   10 s (`CSV_STATS_FLUSH_INTERVAL_SEC`) but rewrites the stats file in
//!   full every second, so the history rows of the last seconds can be lost
//!   when Locust stops: the bitcoin-api history ends at 2050 requests, its
//!   stats count 2210. The totals therefore come from the stats file, and a
//!   history whose totals exceed the stats' belongs to another run.
//! - `Requests/s` in the stats file is the request count over the time from
//!   the start to the last request (`total_rps`), and 0 when Locust could
//!   not compute it; 0 with requests is left null.
//! - The failures file gained `First Seen,Last Seen` in Locust 2.44; both
//!   widths are recognised.
//! - A run without a single request (an empty `Aggregated` row) is an error,
//!   not a run that passes every target.

use crate::error::ParseError;
use crate::formats::{Format, IngestError, Input, Sniffed};
use crate::input::{Lines, MAX_LINE_BYTES, Source, head};
use crate::run::{Endpoint, Exactness, Latency, Run, Series, SeriesPoint};
use chrono::{DateTime, Utc};
use std::borrow::Cow;

const TOOL: &str = "locust";

/// The largest stats file read. Locust writes one row per endpoint and holds
/// every endpoint in memory itself, so a real stats file is far smaller; a
/// larger file is refused before it fills memory.
pub const MAX_STATS_BYTES: u64 = 64 << 20;

/// The name of the total row.
const AGGREGATED: &str = "Aggregated";

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The four files of a Locust `--csv` run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Stats,
    History,
    Failures,
    Exceptions,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Stats, Kind::History, Kind::Failures, Kind::Exceptions];

    fn role(self) -> &'static str {
        match self {
            Kind::Stats => "stats",
            Kind::History => "history",
            Kind::Failures => "failures",
            Kind::Exceptions => "exceptions",
        }
    }

    fn from_role(role: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.role() == role)
    }

    fn suffix(self) -> &'static str {
        match self {
            Kind::Stats => "_stats.csv",
            Kind::History => "_stats_history.csv",
            Kind::Failures => "_failures.csv",
            Kind::Exceptions => "_exceptions.csv",
        }
    }

    fn expected_header(self) -> &'static str {
        match self {
            Kind::Stats => "Type,Name,Request Count,...",
            Kind::History => "Timestamp,User Count,Type,Name,...",
            Kind::Failures => "Method,Name,Error,Occurrences",
            Kind::Exceptions => "Count,Message,Traceback,Nodes",
        }
    }

    /// Whether a header is this file's. The stats and history headers are
    /// recognised by their leading columns and one distinctive column, not
    /// by every column, so that a file missing a column is still reported as
    /// a Locust file with that column missing.
    fn matches(self, header: &[String]) -> bool {
        let has = |name: &str| header.iter().any(|h| h == name);
        let starts = |names: &[&str]| {
            header.len() >= names.len() && header.iter().zip(names).all(|(h, n)| h == n)
        };
        match self {
            Kind::Stats => {
                starts(&["Type", "Name"])
                    && ["Request Count", "Failure Count", "Median Response Time"]
                        .into_iter()
                        .any(has)
            }
            Kind::History => {
                starts(&["Timestamp"])
                    && has("Name")
                    && ["User Count", "Total Request Count"].into_iter().any(has)
            }
            Kind::Failures => {
                let base = ["Method", "Name", "Error", "Occurrences"];
                let dated = [
                    "Method",
                    "Name",
                    "Error",
                    "Occurrences",
                    "First Seen",
                    "Last Seen",
                ];
                header == base || header == dated
            }
            Kind::Exceptions => header == ["Count", "Message", "Traceback", "Nodes"],
        }
    }

    /// The kind a file's name suggests, used only to explain a rejection.
    fn named(name: &str) -> Option<Kind> {
        let name = name.to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        Kind::ALL
            .into_iter()
            .find(|kind| name.ends_with(kind.suffix()))
    }
}

/// Detects a Locust CSV file by its header and says which of the four it is.
pub fn sniff(source: &dyn Source, head: &[u8]) -> Sniffed {
    let header = header_of(head);
    if let Some(kind) = header
        .as_deref()
        .and_then(|h| Kind::ALL.into_iter().find(|kind| kind.matches(h)))
    {
        return Ok((Format::LocustCsv, kind.role()));
    }
    Err(rejection(source.name(), header.as_deref()))
}

/// The fields of the first line of a file, or `None` when it is not a
/// complete CSV line.
fn header_of(head: &[u8]) -> Option<Vec<String>> {
    let head = head.strip_prefix(UTF8_BOM).unwrap_or(head);
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut record = Record::default();
    record.feed(line).then(|| {
        (0..record.len())
            .map(|i| record.text(i).trim().to_owned())
            .collect()
    })
}

/// Why a file is not a Locust CSV file, in a few words for the user.
fn rejection(name: &str, header: Option<&[String]>) -> String {
    let older = match header {
        Some([first, second, rest @ ..]) => {
            ["Type", "Method"].contains(&first.as_str())
                && second == "Name"
                && rest.iter().any(|c| c == "# requests")
        }
        _ => false,
    };
    if older {
        return "an older Locust stats layout (`# requests`, `# failures` columns), which Readiness \
                does not read; current Locust writes `Request Count`"
            .to_owned();
    }
    match Kind::named(name) {
        Some(kind) => format!(
            "named like a Locust {} file, but its first line is not Locust's header (expected {})",
            kind.role(),
            kind.expected_header()
        ),
        None => "no Locust CSV header (expected Type,Name,Request Count,... for _stats.csv or \
                 Timestamp,User Count,... for _stats_history.csv)"
            .to_owned(),
    }
}

/// Parses the files of one Locust run.
pub fn parse(inputs: &[Input<'_>]) -> Result<Run, IngestError> {
    let files = Files::sort(inputs)?;
    let stats = files.stats.map(read_stats).transpose()?;
    let history = files.history.map(summarize_history).transpose()?;

    if let (Some(stats), Some(history)) = (&stats, &history) {
        history.check_against(stats)?;
    }
    let mut run = match (&stats, &history) {
        (Some(stats), history) => {
            stats.check_not_empty(history.as_ref())?;
            stats.run()
        }
        (None, Some(history)) => {
            history.check_not_empty()?;
            history.run()
        }
        (None, None) => return Err(files.missing_figures().into()),
    };
    if let Some(history) = &history {
        history.fill(&mut run)?;
    }
    Ok(run)
}

/// The inputs of one run, by the part each plays.
struct Files<'a> {
    stats: Option<&'a dyn Source>,
    history: Option<&'a dyn Source>,
    names: Vec<String>,
}

impl<'a> Files<'a> {
    fn sort(inputs: &[Input<'a>]) -> Result<Self, IngestError> {
        for kind in Kind::ALL {
            let same: Vec<&Input<'a>> = inputs.iter().filter(|i| i.role == kind.role()).collect();
            // Locust writes one file of each kind per run, so two of a kind
            // are two runs.
            if same.len() > 1 {
                return Err(IngestError::Mixed {
                    files: same
                        .iter()
                        .map(|i| (i.source.name().to_owned(), Format::LocustCsv))
                        .collect(),
                });
            }
        }
        // A file read as Locust CSV that detection did not recognise (the
        // format was forced) is reported with the reason detection gives.
        if let Some(stranger) = inputs.iter().find(|i| Kind::from_role(i.role).is_none()) {
            let name = stranger.source.name();
            let header = head(stranger.source).ok().and_then(|h| header_of(&h));
            let expected = "a Locust --csv file (<prefix>_stats.csv, _stats_history.csv, \
                            _failures.csv or _exceptions.csv)";
            return Err(
                ParseError::new(expected, rejection(name, header.as_deref()))
                    .in_file(name)
                    .at_line(1, None)
                    .into(),
            );
        }
        let of = |kind: Kind| {
            inputs
                .iter()
                .find(|i| i.role == kind.role())
                .map(|i| i.source)
        };
        Ok(Files {
            stats: of(Kind::Stats),
            history: of(Kind::History),
            names: inputs
                .iter()
                .map(|i| format!("{} ({})", i.source.name(), i.role))
                .collect(),
        })
    }

    /// The error for a set with neither a stats nor a history file.
    fn missing_figures(&self) -> ParseError {
        ParseError::new(
            "a Locust <prefix>_stats.csv or <prefix>_stats_history.csv file, which hold the \
             request figures (the failures and exceptions files hold none)",
            if self.names.is_empty() {
                "no file".to_owned()
            } else {
                format!("only {}", self.names.join(", "))
            },
        )
    }
}

// ---------------------------------------------------------------------------
// CSV records

/// Where the splitter is within a record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Quoting {
    #[default]
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: the closing quote, or the first of a
    /// doubled one.
    AfterQuote,
}

/// One CSV record as Python's `csv` module writes it (the "excel" dialect:
/// fields quoted when they hold a comma, a quote or a line break, quotes
/// doubled). The fields are kept in one buffer, so reading a row allocates
/// nothing once the buffers have grown.
#[derive(Debug, Default)]
struct Record {
    text: Vec<u8>,
    ends: Vec<usize>,
    /// The line the record starts on.
    line: u64,
    quoting: Quoting,
}

impl Record {
    fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.quoting = Quoting::FieldStart;
    }

    /// Splits one physical line into the record. Returns whether the record
    /// is complete; it is not when the line ends inside a quoted field, whose
    /// text then goes on with the next line.
    fn feed(&mut self, line: &[u8]) -> bool {
        for &byte in line {
            match (self.quoting, byte) {
                (Quoting::FieldStart, b'"') => self.quoting = Quoting::Quoted,
                (Quoting::FieldStart | Quoting::Unquoted | Quoting::AfterQuote, b',') => {
                    self.ends.push(self.text.len());
                    self.quoting = Quoting::FieldStart;
                }
                (Quoting::Quoted, b'"') => self.quoting = Quoting::AfterQuote,
                (Quoting::AfterQuote, b'"') => {
                    self.text.push(b'"');
                    self.quoting = Quoting::Quoted;
                }
                (Quoting::Quoted, _) => self.text.push(byte),
                // Python's reader is lenient by default: a stray quote in an
                // unquoted field, or text after a closing quote, is kept.
                _ => {
                    self.text.push(byte);
                    self.quoting = Quoting::Unquoted;
                }
            }
        }
        if self.quoting == Quoting::Quoted {
            self.text.push(b'\n');
            return false;
        }
        self.ends.push(self.text.len());
        self.quoting = Quoting::FieldStart;
        true
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn bytes(&self, index: usize) -> &[u8] {
        let end = self.ends.get(index).copied().unwrap_or(0);
        let start = match index {
            0 => 0,
            _ => self.ends.get(index - 1).copied().unwrap_or(end),
        };
        self.text.get(start..end).unwrap_or_default()
    }

    /// A field as text. Locust writes UTF-8, but a file re-saved on Windows
    /// may not be; names are shown, not matched, so a lossy reading is fine.
    fn text(&self, index: usize) -> Cow<'_, str> {
        String::from_utf8_lossy(self.bytes(index))
    }
}

/// Reads the CSV records of a source, with their line numbers, in bounded
/// memory: a line is at most [`MAX_LINE_BYTES`] (checked by [`Lines`]), and so
/// is a record spanning lines.
struct CsvReader<'a> {
    lines: Lines<'a>,
    file: &'a str,
    line: u64,
    bytes: u64,
    max_bytes: u64,
}

impl<'a> CsvReader<'a> {
    fn new(source: &'a dyn Source, max_bytes: u64) -> Result<Self, ParseError> {
        Ok(CsvReader {
            lines: Lines::new(source)?,
            file: source.name(),
            line: 0,
            bytes: 0,
            max_bytes,
        })
    }

    /// Reads the next record into `record`; `false` at the end of the file.
    fn next(&mut self, record: &mut Record) -> Result<bool, ParseError> {
        record.clear();
        let mut continued = false;
        loop {
            let Some(line) = self.lines.next_line()? else {
                if continued {
                    return Err(ParseError::new(
                        "a closing quote",
                        "the end of the file (the file is truncated)",
                    )
                    .in_file(self.file)
                    .at_line(record.line, None));
                }
                return Ok(false);
            };
            self.line += 1;
            self.bytes = self.bytes.saturating_add(line.len() as u64 + 1);
            if self.bytes > self.max_bytes {
                return Err(ParseError::new(
                    format!("a file of at most {} MiB", self.max_bytes >> 20),
                    "a larger file",
                )
                .in_file(self.file)
                .at_line(self.line, None));
            }
            let line = match self.line {
                1 => line.strip_prefix(UTF8_BOM).unwrap_or(line),
                _ => line,
            };
            if !continued {
                // Blank lines (a trailing one, typically) hold no record.
                if line.is_empty() {
                    continue;
                }
                record.line = self.line;
            }
            if record.feed(line) {
                return Ok(true);
            }
            continued = true;
            if record.text.len() > MAX_LINE_BYTES {
                return Err(ParseError::new(
                    format!("a record of at most {} MiB", MAX_LINE_BYTES >> 20),
                    "a longer one (a quoted field that never closes?)",
                )
                .in_file(self.file)
                .at_line(record.line, None));
            }
        }
    }
}

/// A file's column names, from its first record.
struct Header {
    names: Vec<String>,
    line: u64,
}

impl Header {
    fn read(reader: &mut CsvReader<'_>, record: &mut Record) -> Result<Self, ParseError> {
        if !reader.next(record)? {
            return Err(ParseError::new("a header line", "an empty file").in_file(reader.file));
        }
        Ok(Header {
            names: (0..record.len())
                .map(|i| record.text(i).trim().to_owned())
                .collect(),
            line: record.line,
        })
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    fn require(&self, name: &str, file: &str) -> Result<usize, ParseError> {
        self.find(name).ok_or_else(|| {
            ParseError::new(
                format!("a `{name}` column"),
                format!("a header without it ({})", shorten(&self.names.join(","))),
            )
            .in_file(file)
            .at_line(self.line, None)
            .at_field(name)
        })
    }

    fn name(&self, index: usize) -> &str {
        self.names.get(index).map(String::as_str).unwrap_or("?")
    }
}

/// One data record with what is needed to read and report on its fields.
struct Row<'a> {
    file: &'a str,
    header: &'a Header,
    record: &'a Record,
}

impl<'a> Row<'a> {
    /// A row must have as many fields as the header: fewer means the file
    /// was cut inside the row.
    fn new(file: &'a str, header: &'a Header, record: &'a Record) -> Result<Self, ParseError> {
        let (expected, found) = (header.names.len(), record.len());
        if found != expected {
            let why = if found < expected {
                format!("{found}: the row is cut short (is the file truncated?)")
            } else {
                format!("{found}")
            };
            return Err(
                ParseError::new(format!("{expected} fields, as in the header"), why)
                    .in_file(file)
                    .at_line(record.line, None),
            );
        }
        Ok(Row {
            file,
            header,
            record,
        })
    }

    fn text(&self, column: usize) -> Cow<'a, str> {
        self.record.text(column)
    }

    fn error(&self, column: usize, expected: &str, found: String) -> ParseError {
        ParseError::new(expected, found)
            .in_file(self.file)
            .at_line(self.record.line, Some(column as u64 + 1))
            .at_field(self.header.name(column))
    }

    /// A field that must be ASCII number text.
    fn number_text(&self, column: usize, expected: &str) -> Result<&'a str, ParseError> {
        let bytes = self.record.bytes(column);
        std::str::from_utf8(bytes)
            .map(str::trim)
            .map_err(|_| self.error(column, expected, describe(bytes)))
    }

    fn count(&self, column: usize) -> Result<u64, ParseError> {
        let expected = "a whole number";
        let text = self.number_text(column, expected)?;
        text.parse()
            .map_err(|_| self.error(column, expected, describe(text.as_bytes())))
    }

    /// A response time in milliseconds, or `None` for `N/A`.
    fn millis(&self, column: usize) -> Result<Option<f64>, ParseError> {
        let expected = "a time in milliseconds or N/A";
        let text = self.number_text(column, expected)?;
        if text == "N/A" {
            return Ok(None);
        }
        match text.parse::<f64>() {
            Ok(ms) if ms.is_finite() && ms >= 0.0 => Ok(Some(ms)),
            _ => Err(self.error(column, expected, describe(text.as_bytes()))),
        }
    }

    fn optional_millis(&self, column: Option<usize>) -> Result<Option<f64>, ParseError> {
        match column {
            Some(column) => self.millis(column),
            None => Ok(None),
        }
    }

    fn rate(&self, column: usize) -> Result<f64, ParseError> {
        let expected = "a rate per second";
        let text = self.number_text(column, expected)?;
        match text.parse::<f64>() {
            Ok(rate) if rate.is_finite() && rate >= 0.0 => Ok(rate),
            _ => Err(self.error(column, expected, describe(text.as_bytes()))),
        }
    }

    /// A Unix time in whole seconds, as Locust writes `int(time.time())`.
    fn timestamp(&self, column: usize) -> Result<i64, ParseError> {
        let expected = "a Unix time in whole seconds";
        let text = self.number_text(column, expected)?;
        text.parse::<i64>()
            .ok()
            .filter(|&s| DateTime::<Utc>::from_timestamp(s, 0).is_some())
            .ok_or_else(|| self.error(column, expected, describe(text.as_bytes())))
    }
}

/// A field's content for an error message: quoted, and shortened when long.
fn describe(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "an empty field".to_owned();
    }
    format!("`{}`", shorten(&String::from_utf8_lossy(bytes)))
}

fn shorten(text: &str) -> String {
    const MAX_CHARS: usize = 60;
    match text.char_indices().nth(MAX_CHARS) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}

fn is_total(method: &str, name: &str) -> bool {
    method.is_empty() && name == AGGREGATED
}

// ---------------------------------------------------------------------------
// The stats file

struct StatsColumns {
    method: usize,
    name: usize,
    requests: usize,
    failed: usize,
    median: usize,
    average: usize,
    min: usize,
    max: usize,
    rps: usize,
    p90: Option<usize>,
    p95: Option<usize>,
    p99: Option<usize>,
}

impl StatsColumns {
    fn new(header: &Header, file: &str) -> Result<Self, ParseError> {
        Ok(StatsColumns {
            method: header.require("Type", file)?,
            name: header.require("Name", file)?,
            requests: header.require("Request Count", file)?,
            failed: header.require("Failure Count", file)?,
            median: header.require("Median Response Time", file)?,
            average: header.require("Average Response Time", file)?,
            min: header.require("Min Response Time", file)?,
            max: header.require("Max Response Time", file)?,
            rps: header.require("Requests/s", file)?,
            p90: header.find("90%"),
            p95: header.find("95%"),
            p99: header.find("99%"),
        })
    }
}

/// One row of the stats file.
struct StatsRow {
    line: u64,
    method: String,
    name: String,
    requests: u64,
    failed: u64,
    rps: f64,
    latency: Latency,
}

impl StatsRow {
    fn read(row: &Row<'_>, columns: &StatsColumns) -> Result<Self, ParseError> {
        let requests = row.count(columns.requests)?;
        let latency = Latency {
            min: row.millis(columns.min)?,
            avg: row.millis(columns.average)?,
            p50: row.millis(columns.median)?,
            p90: row.optional_millis(columns.p90)?,
            p95: row.optional_millis(columns.p95)?,
            p99: row.optional_millis(columns.p99)?,
            max: row.millis(columns.max)?,
        };
        let failed = row.count(columns.failed)?;
        // Locust counts a failed request as a request too.
        if failed > requests {
            return Err(row.error(
                columns.failed,
                &format!("at most the Request Count ({requests})"),
                failed.to_string(),
            ));
        }
        Ok(StatsRow {
            line: row.record.line,
            method: row.text(columns.method).trim().to_owned(),
            name: row.text(columns.name).into_owned(),
            requests,
            failed,
            rps: row.rate(columns.rps)?,
            // Locust writes 0 for the times of a row without requests.
            latency: if requests == 0 {
                Latency::default()
            } else {
                latency
            },
        })
    }
}

/// The stats file: the total and the endpoints.
struct Stats {
    file: String,
    total: StatsRow,
    /// The column of `Request Count`, for the empty-run error.
    requests_column: usize,
    endpoints: Vec<StatsRow>,
}

fn read_stats(source: &dyn Source) -> Result<Stats, ParseError> {
    let file = source.name();
    let mut reader = CsvReader::new(source, MAX_STATS_BYTES)?;
    let mut record = Record::default();
    let header = Header::read(&mut reader, &mut record)?;
    let columns = StatsColumns::new(&header, file)?;
    let mut total: Option<StatsRow> = None;
    let mut endpoints = Vec::new();
    while reader.next(&mut record)? {
        let row = Row::new(file, &header, &record)?;
        if let Some(total) = &total {
            return Err(ParseError::new(
                format!(
                    "the end of the file after the `{AGGREGATED}` row of line {}, which Locust \
                     writes last",
                    total.line
                ),
                "another row (are two stats files joined together?)",
            )
            .in_file(file)
            .at_line(record.line, None));
        }
        let parsed = StatsRow::read(&row, &columns)?;
        if is_total(&parsed.method, &parsed.name) {
            total = Some(parsed);
        } else {
            endpoints.push(parsed);
        }
    }
    let Some(total) = total else {
        let found = match endpoints.last() {
            None => "only the header: Locust had not written any statistics yet".to_owned(),
            Some(last) => format!(
                "none: the file ends after line {} (is it truncated?)",
                last.line
            ),
        };
        return Err(ParseError::new(
            format!("the `{AGGREGATED}` total row (empty Type), which Locust writes last"),
            found,
        )
        .in_file(file));
    };
    Ok(Stats {
        file: file.to_owned(),
        total,
        requests_column: columns.requests,
        endpoints,
    })
}

impl Stats {
    /// A run with no request is an error: there is nothing to assess, and
    /// every target would otherwise pass vacuously.
    fn check_not_empty(&self, history: Option<&HistorySummary<'_>>) -> Result<(), ParseError> {
        if self.total.requests > 0 {
            return Ok(());
        }
        let mut found = format!(
            "0 requests in the `{AGGREGATED}` row: Locust sent no request, so there is nothing \
             to assess"
        );
        if history.is_some_and(|h| h.vus_max == 0) {
            found.push_str(" (its history shows that no user was ever started)");
        }
        Err(ParseError::new("a run with at least one request", found)
            .in_file(&self.file)
            .at_line(self.total.line, Some(self.requests_column as u64 + 1))
            .at_field("Request Count"))
    }

    fn run(&self) -> Run {
        let mut run = Run::empty(Format::LocustCsv.name(), TOOL, Exactness::Reported);
        let total = &self.total;
        run.requests = Some(total.requests);
        run.failed = Some(total.failed);
        run.error_rate = (total.requests > 0).then(|| total.failed as f64 / total.requests as f64);
        run.throughput_rps = (total.rps > 0.0).then_some(total.rps);
        run.latency_ms = total.latency.clone();
        let mut endpoints: Vec<Endpoint> = self
            .endpoints
            .iter()
            .map(|row| Endpoint {
                name: row.name.clone(),
                method: (!row.method.is_empty()).then(|| row.method.clone()),
                requests: Some(row.requests),
                failed: Some(row.failed),
                latency_ms: row.latency.clone(),
                latency_histogram: None,
            })
            .collect();
        // The same order as the raw formats' runs: busiest first.
        endpoints.sort_by(|a, b| {
            b.requests
                .cmp(&a.requests)
                .then_with(|| a.name.cmp(&b.name))
        });
        run.endpoints = endpoints;
        run
    }
}

// ---------------------------------------------------------------------------
// The stats history

struct HistoryColumns {
    timestamp: usize,
    users: usize,
    method: usize,
    name: usize,
    requests: usize,
    failed: usize,
    p50: Option<usize>,
    p90: Option<usize>,
    p95: Option<usize>,
    p99: Option<usize>,
    median: Option<usize>,
    average: Option<usize>,
    min: Option<usize>,
    max: Option<usize>,
}

impl HistoryColumns {
    fn new(header: &Header, file: &str) -> Result<Self, ParseError> {
        Ok(HistoryColumns {
            timestamp: header.require("Timestamp", file)?,
            users: header.require("User Count", file)?,
            method: header.require("Type", file)?,
            name: header.require("Name", file)?,
            requests: header.require("Total Request Count", file)?,
            failed: header.require("Total Failure Count", file)?,
            p50: header.find("50%"),
            p90: header.find("90%"),
            p95: header.find("95%"),
            p99: header.find("99%"),
            median: header.find("Total Median Response Time"),
            average: header.find("Total Average Response Time"),
            min: header.find("Total Min Response Time"),
            max: header.find("Total Max Response Time"),
        })
    }
}

/// One `Aggregated` row of the history.
#[derive(Debug, Clone)]
struct HistoryRow {
    line: u64,
    timestamp: i64,
    users: u64,
    /// Cumulative counts.
    requests: u64,
    failed: u64,
    /// The percentile columns: cumulative, or over the last ~10 s in a full
    /// history (see the module doc).
    p50: Option<f64>,
    p90: Option<f64>,
    p95: Option<f64>,
    p99: Option<f64>,
    /// The cumulative `Total ...` latency columns.
    totals: Latency,
}

impl HistoryRow {
    fn read(row: &Row<'_>, columns: &HistoryColumns) -> Result<Self, ParseError> {
        let requests = row.count(columns.requests)?;
        let totals = Latency {
            min: row.optional_millis(columns.min)?,
            avg: row.optional_millis(columns.average)?,
            p50: row.optional_millis(columns.median)?,
            p90: None,
            p95: None,
            p99: None,
            max: row.optional_millis(columns.max)?,
        };
        let failed = row.count(columns.failed)?;
        if failed > requests {
            return Err(row.error(
                columns.failed,
                &format!("at most the Total Request Count ({requests})"),
                failed.to_string(),
            ));
        }
        Ok(HistoryRow {
            line: row.record.line,
            timestamp: row.timestamp(columns.timestamp)?,
            users: row.count(columns.users)?,
            requests,
            failed,
            p50: row.optional_millis(columns.p50)?,
            p90: row.optional_millis(columns.p90)?,
            p95: row.optional_millis(columns.p95)?,
            p99: row.optional_millis(columns.p99)?,
            // Before the first request Locust writes zeros, not times.
            totals: if requests == 0 {
                Latency::default()
            } else {
                totals
            },
        })
    }
}

/// Reads a history file, calling `each` on every `Aggregated` row. Returns
/// whether the file is a full history (it has per-endpoint rows too).
fn scan_history(
    source: &dyn Source,
    mut each: impl FnMut(&HistoryRow),
) -> Result<bool, ParseError> {
    let file = source.name();
    let mut reader = CsvReader::new(source, u64::MAX)?;
    let mut record = Record::default();
    let header = Header::read(&mut reader, &mut record)?;
    let columns = HistoryColumns::new(&header, file)?;
    let mut full_history = false;
    while reader.next(&mut record)? {
        let row = Row::new(file, &header, &record)?;
        if is_total(row.text(columns.method).trim(), &row.text(columns.name)) {
            each(&HistoryRow::read(&row, &columns)?);
        } else {
            full_history = true;
        }
    }
    Ok(full_history)
}

/// What a first reading of the history found.
struct HistorySummary<'a> {
    source: &'a dyn Source,
    file: String,
    /// Whether the percentile columns cover a sliding window (a full
    /// history) rather than the run so far.
    windowed: bool,
    first: i64,
    last_timestamp: i64,
    vus_max: u64,
    /// The last `Aggregated` row, or `None` for a history without one.
    last: Option<HistoryRow>,
}

fn summarize_history(source: &dyn Source) -> Result<HistorySummary<'_>, ParseError> {
    let (mut first, mut last_timestamp, mut vus_max) = (i64::MAX, i64::MIN, 0);
    let mut last: Option<HistoryRow> = None;
    let windowed = scan_history(source, |row| {
        first = first.min(row.timestamp);
        last_timestamp = last_timestamp.max(row.timestamp);
        vus_max = vus_max.max(row.users);
        last = Some(row.clone());
    })?;
    Ok(HistorySummary {
        source,
        file: source.name().to_owned(),
        windowed,
        first,
        last_timestamp,
        vus_max,
        last,
    })
}

impl HistorySummary<'_> {
    fn duration_s(&self) -> u64 {
        self.last_timestamp.abs_diff(self.first)
    }

    /// A history whose final totals exceed the stats' counts cannot be the
    /// same run's: the history can only lag the stats (see the module doc).
    fn check_against(&self, stats: &Stats) -> Result<(), ParseError> {
        let Some(last) = &self.last else {
            return Ok(());
        };
        let (field, history, counted) = if last.requests > stats.total.requests {
            ("Total Request Count", last.requests, stats.total.requests)
        } else if last.failed > stats.total.failed {
            ("Total Failure Count", last.failed, stats.total.failed)
        } else {
            return Ok(());
        };
        Err(ParseError::new(
            format!(
                "the history of the run in {} (a `{field}` of at most {counted})",
                stats.file
            ),
            format!("{history}: the two files come from different runs"),
        )
        .in_file(&self.file)
        .at_line(last.line, None)
        .at_field(field))
    }

    fn check_not_empty(&self) -> Result<(), ParseError> {
        let (line, requests) = match &self.last {
            Some(last) => (Some(last.line), last.requests),
            None => (None, 0),
        };
        if requests > 0 {
            return Ok(());
        }
        let found = match line {
            Some(_) if self.vus_max == 0 => {
                "0 requests at the end of the history, and no user was ever started"
            }
            Some(_) => "0 requests at the end of the history",
            None => "no `Aggregated` row: Locust had not written any statistics yet",
        };
        let mut error = ParseError::new("a run with at least one request", found)
            .in_file(&self.file)
            .at_field("Total Request Count");
        if let Some(line) = line {
            error = error.at_line(line, None);
        }
        Err(error)
    }

    /// The run of a history read without its stats file: its last row holds
    /// the cumulative totals.
    fn run(&self) -> Run {
        let mut run = Run::empty(Format::LocustCsv.name(), TOOL, Exactness::Reported);
        let Some(last) = &self.last else {
            return run;
        };
        run.requests = Some(last.requests);
        run.failed = Some(last.failed);
        run.error_rate = (last.requests > 0).then(|| last.failed as f64 / last.requests as f64);
        let duration_s = self.duration_s();
        run.throughput_rps = (duration_s > 0).then(|| last.requests as f64 / duration_s as f64);
        run.latency_ms = last.totals.clone();
        // A full history's last percentiles cover its last seconds only.
        if !self.windowed && last.requests > 0 {
            run.latency_ms.p90 = last.p90;
            run.latency_ms.p95 = last.p95;
            run.latency_ms.p99 = last.p99;
        }
        run
    }

    /// Adds what the history carries to a run: start, duration, users and
    /// the time series (a second reading of the file).
    fn fill(&self, run: &mut Run) -> Result<(), ParseError> {
        if self.last.is_none() {
            return Ok(());
        }
        run.started_at = DateTime::<Utc>::from_timestamp(self.first, 0);
        run.duration_s = Some(self.duration_s() as f64);
        run.vus_max = Some(self.vus_max);
        run.series = Some(self.series()?);
        Ok(())
    }

    fn series(&self) -> Result<Series, ParseError> {
        let duration_s = self.duration_s();
        let bucket_s = bucket_size(duration_s);
        let buckets = duration_s.div_ceil(bucket_s).max(1);
        let mut points: Vec<Option<SeriesPoint>> = vec![None; buckets as usize];
        let origin = self.first;
        // The previous row: (timestamp, requests, failed, users).
        let mut previous: Option<(i64, u64, u64, u64)> = None;
        scan_history(self.source, |row| {
            // A row's counts happened since the previous row, so they go in
            // the bucket where that interval starts; the first row's
            // (normally zero) go in the first bucket.
            let (since, requests_before, failed_before, users_before) =
                previous.unwrap_or((row.timestamp, 0, 0, row.users));
            let index = (since.saturating_sub(origin).max(0) as u64 / bucket_s).min(buckets - 1);
            let point = points.get_mut(index as usize).map(|slot| {
                slot.get_or_insert_with(|| SeriesPoint {
                    t: index.saturating_mul(bucket_s) as f64,
                    requests: 0,
                    failed: 0,
                    p50_ms: None,
                    p95_ms: None,
                    p99_ms: None,
                    vus: None,
                })
            });
            if let Some(point) = point {
                point.requests = point
                    .requests
                    .saturating_add(increase(requests_before, row.requests));
                point.failed = point
                    .failed
                    .saturating_add(increase(failed_before, row.failed));
                // The users at either end of the interval bound those active
                // during it.
                let users = users_before.max(row.users);
                point.vus = Some(point.vus.map_or(users, |v| v.max(users)));
                if self.windowed {
                    point.p50_ms = highest(point.p50_ms, row.p50);
                    point.p95_ms = highest(point.p95_ms, row.p95);
                    point.p99_ms = highest(point.p99_ms, row.p99);
                }
            }
            previous = Some((row.timestamp, row.requests, row.failed, row.users));
        })?;
        Ok(Series {
            bucket_s: bucket_s as f64,
            points: points.into_iter().flatten().collect(),
        })
    }
}

/// The growth of a cumulative count between two rows. A count that drops
/// was reset (`--reset-stats`), and everything since the reset is new.
fn increase(before: u64, now: u64) -> u64 {
    now.checked_sub(before).unwrap_or(now)
}

fn highest(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// The series bucket size for a run of `duration_s`, by the rule raw formats
/// use, so the series of every tool line up.
fn bucket_size(duration_s: u64) -> u64 {
    crate::samples::bucket_size(duration_s as f64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Option<Vec<String>> {
        let mut record = Record::default();
        record.feed(line.as_bytes()).then(|| {
            (0..record.len())
                .map(|i| record.text(i).into_owned())
                .collect()
        })
    }

    #[test]
    fn fields_are_split_as_python_writes_them() {
        assert_eq!(
            split(r#"GET,"/a,b","say ""hi""",,3"#).unwrap(),
            ["GET", "/a,b", r#"say "hi""#, "", "3"]
        );
        assert_eq!(split("").unwrap(), [""]);
        assert_eq!(split(",").unwrap(), ["", ""]);
    }

    #[test]
    fn a_quoted_line_break_continues_the_record() {
        let mut record = Record::default();
        assert!(!record.feed(br#"1,"two"#));
        assert!(record.feed(br#"lines",3"#));
        assert_eq!(record.len(), 3);
        assert_eq!(record.text(1), "two\nlines");
        assert_eq!(record.text(2), "3");
    }

    #[test]
    fn out_of_range_fields_are_empty_not_a_panic() {
        let mut record = Record::default();
        record.feed(b"a,b");
        assert_eq!(record.bytes(7), b"");
    }

    #[test]
    fn bucket_sizes_keep_at_most_720_buckets() {
        assert_eq!(bucket_size(0), 1);
        assert_eq!(bucket_size(56), 1);
        assert_eq!(bucket_size(720), 1);
        assert_eq!(bucket_size(721), 2);
        assert_eq!(bucket_size(7200), 10);
        assert_eq!(bucket_size(720 * 86400), 86400);
        for duration in [720 * 86400 + 1, u64::MAX / 2, u64::MAX] {
            let size = bucket_size(duration);
            assert_eq!(size % 86400, 0);
            assert!(duration.div_ceil(size) <= 720, "{duration}: {size}");
        }
    }

    #[test]
    fn a_reset_count_starts_again() {
        assert_eq!(increase(10, 25), 15);
        assert_eq!(increase(900, 4), 4);
    }
}
