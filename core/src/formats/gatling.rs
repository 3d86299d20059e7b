//! Gatling results: the text `simulation.log` of Gatling 2.x and 3.x up to
//! 3.12 (raw, one record per request), the HTML report's `js/stats.json`,
//! `js/global_stats.json` and `js/assertions.json` (the tool's own summary),
//! and a clear refusal of the binary `simulation.log` of Gatling 3.13 and
//! later.
//!
//! Every Gatling file of an upload reaches [`parse`] together, each with the
//! role [`sniff`] gave it: `log`, `binary-log`, `stats`, `global_stats` or
//! `assertions`. A text log gives exact figures (format `gatling-log`); the
//! report JSON alone gives the figures Gatling reported (format
//! `gatling-json`), null for what it does not carry. When both come, the
//! log's exact figures win and the JSON must describe the same number of
//! requests. Assertions become the run's thresholds either way.
//!
//! Upstream sources (<https://github.com/gatling/gatling>):
//! - Record layouts of the text log, as written and read:
//!   2.0–2.1 `gatling-core/.../result/writer/FileDataWriter.scala` (@01749d7a)
//!   and `RawRecords.scala` (header in the third field);
//!   2.2–2.3 `gatling-core/.../stats/writer/LogFileDataWriter.scala`
//!   (@3edfd803); early 3.x, with a user id but no scenario on REQUEST,
//!   the same file at @02bca845 (2019); later 3.x up to 3.12
//!   `RawRecords.scala` (@15b14751, 2020: REQUEST 7 fields, USER 4) and the
//!   3.12 test resource `single_node_with_known_stats/simulation.log`.
//!   Readers: `gatling-charts/.../stats/Records.scala` and `LogFileReader.scala`.
//! - The binary log: commit efd3ec7 ("switch to a binary log file", first in
//!   v3.13.0); `LogFileDataWriter.scala` there writes a Run header byte 0, then
//!   the Gatling version as a 4-byte big-endian length, the bytes and a
//!   one-byte string coder.
//! - Report JSON: `gatling-charts/.../template/GlobalStatsJsonTemplate.scala`
//!   (@0c70d922) for `stats` objects, `StatsJsTemplate.scala` for the
//!   `contents` tree, `AssertionsJsonTemplate.scala` (a bare array before
//!   2.2; an object with `conditionValues`/`values` in 2.2, @c8be073a; with
//!   `expectedValues`/`actualValue` in the 3.x version of 2021).
//! - Percentiles: `charting.indicators` in
//!   `gatling-core/src/main/resources/gatling-defaults.conf` and the bundled
//!   `conf/gatling.conf`; `gatling-charts/.../buffers/GeneralStatsBuffers.scala`
//!   computes them with a t-digest (`AVLTreeDigest(100.0)`), truncated to
//!   whole milliseconds in 2.2 (@c8be073a) and rounded in 3.x (@5d201fc2).
//!
//! Pitfalls handled here:
//! - Four text layouts exist. The layout of a log is taken from its first
//!   REQUEST record (where the OK/KO status sits) and its first USER record,
//!   and every later record must follow it; a log mixing versions is an
//!   error, not a guess.
//! - Gatling 2.0–2.1 put the record type in the third field and wrote four
//!   timestamps per request; its response time, as Gatling's reader computed
//!   it, is the last byte received minus the first byte sent.
//! - A 2.x USER END record carries the user's start and then its end; the end
//!   is when the user left.
//! - Gatling 2.2 wrote ERROR records under a GROUP header; GROUP, ERROR and
//!   ASSERTION (base64 boopickle) records are skipped whatever their shape.
//!   Group spans lie inside their users' sessions, which USER records cover.
//! - An end timestamp of `Long.MinValue` marks an unmatched incoming message
//!   (WebSocket, MQTT); Gatling counts it with a response time of 0, and so
//!   does this parser. Any other end before its start is an error.
//! - The last line of a log copied while Gatling was writing it is cut off;
//!   an error on the last line says so.
//! - The RUN record's last field is the Gatling version only in the 3.x
//!   layout; Gatling 2.2 wrote the log format version "2.0" there, and the
//!   3.12 test resource kept that stale "2.0", so only a version starting
//!   with "3." is taken as the tool version.
//! - The report JSON writes a statistic it has no data for as 0 (Gatling's
//!   `NoPlotMagicValue` in raw mode), so the latency of a row with no
//!   requests is null, not 0. The sibling `stats.js` holds the same values as
//!   strings with "-" for missing; such strings are read too.
//! - Gatling's 2.2 report truncates the mean and percentiles to whole
//!   milliseconds (`.toInt`), 3.x rounds them; both are copied as reported.
//!
//! Decisions:
//! - `percentiles1..4` are labelled p50, (p75), p95, p99: the defaults of
//!   `charting.indicators` since Gatling 2.2. A report with only
//!   `percentiles1..2` comes from 2.0–2.1, whose defaults were p95 and p99
//!   (`gatling-defaults.conf` @003f188b). The percentiles are configurable and
//!   the JSON does not say which were used, so a report made with other
//!   settings is mislabelled; the only way to be sure is the log, whose
//!   figures win when it is uploaded. p75 has no place in the run and p90 is
//!   not reported: both stay null.
//! - An endpoint is a request's path as Gatling's report names it: its group
//!   hierarchy and name joined by " / " (`RequestPath.scala`). Outside any
//!   group that is the request name, so log and report rows match.
//! - Active users are the running count of USER START minus END records,
//!   in time order across every log of the upload. Gatling's own chart counts
//!   a user who left during a second as active in that second, so its figure
//!   can be higher by the users ending in a second.
//! - Several text logs of one upload are one run, as Gatling's report
//!   generator reads every `*.log` of a results folder (`LogFileReader`),
//!   provided their RUN records name the same simulation.

use crate::error::ParseError;
use crate::formats::json::{describe, load_json};
use crate::formats::{Format, IngestError, Input, Sniffed};
use crate::input::{HEAD_BYTES, Lines, Source, read_all};
use crate::run::{Endpoint, Exactness, Latency, Run, Threshold};
use crate::samples::{EndpointId, RunBuilder};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// A report JSON file larger than this is not one: Gatling writes about
/// 1.6 KB per request name in `stats.json`.
pub const MAX_REPORT_BYTES: usize = 64 << 20;

/// The longest span of timestamps a log may cover. The run builder sizes its
/// time series from the span, with buckets of at most a day and about 720 of
/// them, so a wider span (a corrupt timestamp, usually) would make it
/// allocate without bound.
const MAX_SPAN_MS: u64 = 720 * 86_400_000;

/// Timestamps are epoch milliseconds; past 2^53 they no longer convert to
/// `f64` exactly, and no Gatling run is dated 285,000 years from now.
const MAX_TIMESTAMP_MS: u64 = 1 << 53;

/// How many fields of a record are kept; later ones (2.x `extraInfo`
/// columns) are counted but never read.
const MAX_FIELDS: usize = 16;

/// The end timestamp Gatling 3.x writes for an unmatched incoming message.
const INCOMING_END: &[u8] = b"-9223372036854775808";

// ---------------------------------------------------------------------------
// Detection

/// Says whether a file is a Gatling log or report file, and which.
pub fn sniff(source: &dyn Source, head: &[u8]) -> Sniffed {
    if binary_log_version(head).is_some() {
        return Ok((Format::GatlingLog, "binary-log"));
    }
    let text = head.trim_ascii_start();
    if text.starts_with(b"{") || text.starts_with(b"[") {
        return sniff_report(source, head).map(|role| (Format::GatlingJson, role));
    }
    sniff_log(head).map(|()| (Format::GatlingLog, "log"))
}

/// The Gatling version named in the header of a 3.13+ binary log: a Run
/// record (header byte 0) whose first string is the version.
fn binary_log_version(head: &[u8]) -> Option<String> {
    let (&header, rest) = head.split_first()?;
    if header != 0 {
        return None;
    }
    let length: [u8; 4] = rest.get(..4)?.try_into().ok()?;
    let length = usize::try_from(u32::from_be_bytes(length)).ok()?;
    if !(1..=32).contains(&length) {
        return None;
    }
    let version = rest.get(4..4 + length)?;
    let coder = *rest.get(4 + length)?;
    let plausible = version.first()?.is_ascii_digit()
        && version
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+'));
    // Java strings are stored with their coder: 0 for Latin-1, 1 for UTF-16.
    (plausible && coder <= 1).then(|| String::from_utf8_lossy(version).into_owned())
}

/// A text log starts with a record. Gatling writes its ASSERTION records and
/// the RUN record first, but a log trimmed by hand (warm-up removed, say)
/// may start with any record, so any is accepted; the parser checks the
/// rest line by line.
fn sniff_log(head: &[u8]) -> Result<(), String> {
    let mut offset = 0;
    let mut first = None;
    for segment in head.split(|b| *b == b'\n') {
        let end = offset + segment.len();
        if !segment.trim_ascii().is_empty() {
            first = Some((segment, end == head.len()));
            break;
        }
        offset = end + 1;
    }
    let Some((first, unterminated)) = first else {
        return Err("no text".to_owned());
    };
    if unterminated && head.len() >= HEAD_BYTES {
        return Err("the first line is longer than 64 KiB".to_owned());
    }
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    let fields = Fields::split(first);
    match classify(&fields) {
        Some(_) if fields.count >= 2 => Ok(()),
        _ => Err(format!(
            "the first line (`{}`) is not a tab-separated simulation.log record \
             (RUN, USER, REQUEST, GROUP, ERROR or ASSERTION)",
            preview(first)
        )),
    }
}

/// Keys that only Gatling's report files have; JSON without any of them in
/// its first 64 KiB is not read further.
const REPORT_MARKERS: [&[u8]; 5] = [
    b"\"numberOfRequests\"",
    b"\"assertions\"",
    b"\"conditionValues\"",
    b"\"expectedValues\"",
    b"\"condition\"",
];

fn sniff_report(source: &dyn Source, head: &[u8]) -> Result<&'static str, String> {
    let named_assertions = file_name(source.name()).ends_with("assertions.json");
    let marked = REPORT_MARKERS
        .iter()
        .any(|marker| memchr::memmem::find(head, marker).is_some());
    if !marked && !named_assertions {
        return Err(
            "JSON without Gatling report keys (numberOfRequests, assertions) in its first 64 KiB"
                .to_owned(),
        );
    }
    let value = if head.len() < HEAD_BYTES {
        load_json(source.name(), head)
    } else {
        read_all(source, MAX_REPORT_BYTES).and_then(|bytes| load_json(source.name(), &bytes))
    };
    let value = value.map_err(|err| format!("not JSON ({})", err.found()))?;
    report_role(&value, named_assertions)
}

/// Which report file a JSON document is.
fn report_role(value: &Value, named_assertions: bool) -> Result<&'static str, String> {
    let none = "JSON that is none of Gatling's report files (js/stats.json, js/global_stats.json, \
                js/assertions.json)";
    match value {
        Value::Object(top) => {
            let stats = top.get("stats").and_then(|s| s.get("numberOfRequests"));
            if stats.is_some_and(Value::is_object) {
                Ok("stats")
            } else if top.get("numberOfRequests").is_some_and(Value::is_object) {
                Ok("global_stats")
            } else if top.get("assertions").is_some_and(Value::is_array)
                && (top.contains_key("simulation") || top.contains_key("simulationId"))
            {
                Ok("assertions")
            } else {
                Err(none.to_owned())
            }
        }
        // Before Gatling 2.2, assertions.json was a bare array.
        Value::Array(items) if items.is_empty() && named_assertions => Ok("assertions"),
        Value::Array(items) if !items.is_empty() && items.iter().all(is_assertion) => {
            Ok("assertions")
        }
        _ => Err(none.to_owned()),
    }
}

fn is_assertion(value: &Value) -> bool {
    value.get("result").is_some_and(Value::is_boolean)
        && value.get("condition").is_some()
        && value.get("target").is_some()
}

/// The last component of a path inside an upload or archive.
fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

// ---------------------------------------------------------------------------
// Parsing: which files came, and what run they make

/// Parses the Gatling files of one run.
pub fn parse(inputs: &[Input<'_>]) -> Result<Run, IngestError> {
    let mut files = Files::default();
    // With a forced format, files that detection did not recognise come
    // with the role `result`. Beside recognised Gatling files they are the
    // rest of a report folder (index.html, stats.js) and are left aside, as
    // detection leaves them; alone, they are read by their content so that
    // the error says what is wrong inside.
    let recognised = inputs.iter().any(|i| i.role != "result");
    for input in inputs {
        let role = match input.role {
            "result" if recognised => continue,
            "result" => forced_role(input.source)?,
            role => role,
        };
        match role {
            "log" => files.logs.push(input.source),
            "binary-log" => files.binary.push(input.source),
            "stats" => set_once(&mut files.stats, input.source, Format::GatlingJson)?,
            "global_stats" => set_once(&mut files.global, input.source, Format::GatlingJson)?,
            "assertions" => set_once(&mut files.assertions, input.source, Format::GatlingJson)?,
            other => {
                return Err(ParseError::new("a Gatling log or report file", other)
                    .in_file(input.source.name())
                    .into());
            }
        }
    }

    let assertions = match files.assertions {
        Some(source) => Some(read_assertions(source)?),
        None => None,
    };
    let report = match files.stats.or(files.global) {
        Some(source) => Some(ReportFile::read(source)?),
        None => None,
    };
    if let (Some(stats), Some(global)) = (files.stats, files.global) {
        let global = ReportFile::read(global)?;
        if let Some(report) = &report
            && report.totals()?.0 != global.totals()?.0
        {
            return Err(mixed(&[
                (stats, Format::GatlingJson),
                (global.source, Format::GatlingJson),
            ]));
        }
    }

    if let Some(first) = files.logs.first() {
        if let Some(binary) = files.binary.first() {
            return Err(mixed(&[
                (*first, Format::GatlingLog),
                (*binary, Format::GatlingLog),
            ]));
        }
        let mut run = parse_logs(&files.logs)?;
        if let Some(report) = &report {
            // The log's figures win, but a report of another run beside it
            // means the upload mixes runs.
            let (reported, _) = report.totals()?;
            if reported.is_some() && reported != run.requests {
                return Err(mixed(&[
                    (*first, Format::GatlingLog),
                    (report.source, Format::GatlingJson),
                ]));
            }
        }
        if let Some(assertions) = assertions {
            run.thresholds = assertions.thresholds;
        }
        return Ok(run);
    }

    if let Some(report) = report {
        let mut run = report.run()?;
        if let Some(assertions) = assertions {
            run.thresholds = assertions.thresholds;
            run.started_at = assertions
                .start_ms
                .and_then(DateTime::<Utc>::from_timestamp_millis);
        }
        return Ok(run);
    }

    if let Some(binary) = files.binary.first() {
        return Err(binary_log_error(*binary).into());
    }
    let file = files
        .assertions
        .map(|s| s.name())
        .or_else(|| inputs.first().map(|i| i.source.name()))
        .unwrap_or("input");
    Err(ParseError::new(
        "request figures: a simulation.log, or the report's js/stats.json or js/global_stats.json",
        "only js/assertions.json, which holds no request figures",
    )
    .in_file(file)
    .into())
}

/// The Gatling files of an upload, by role.
#[derive(Default)]
struct Files<'a> {
    logs: Vec<&'a dyn Source>,
    binary: Vec<&'a dyn Source>,
    stats: Option<&'a dyn Source>,
    global: Option<&'a dyn Source>,
    assertions: Option<&'a dyn Source>,
}

/// Keeps the one file of a role; a second one means two runs were uploaded.
fn set_once<'a>(
    slot: &mut Option<&'a dyn Source>,
    source: &'a dyn Source,
    format: Format,
) -> Result<(), IngestError> {
    match slot {
        Some(existing) => Err(mixed(&[(*existing, format), (source, format)])),
        None => {
            *slot = Some(source);
            Ok(())
        }
    }
}

fn mixed(files: &[(&dyn Source, Format)]) -> IngestError {
    IngestError::Mixed {
        files: files
            .iter()
            .map(|(source, format)| (source.name().to_owned(), *format))
            .collect(),
    }
}

/// The role of a file read as Gatling although detection did not say so.
fn forced_role(source: &dyn Source) -> Result<&'static str, ParseError> {
    let head = crate::input::head(source)
        .map_err(|e| crate::input::read_error(source.name(), None, &e))?;
    if binary_log_version(&head).is_some() {
        return Ok("binary-log");
    }
    let text = head.trim_ascii_start();
    if !(text.starts_with(b"{") || text.starts_with(b"[")) {
        return Ok("log");
    }
    let bytes = read_all(source, MAX_REPORT_BYTES)?;
    let value = load_json(source.name(), &bytes)?;
    report_role(
        &value,
        file_name(source.name()).ends_with("assertions.json"),
    )
    .map_err(|why| {
        ParseError::new(
            "a Gatling report file (js/stats.json, js/global_stats.json or js/assertions.json)",
            why,
        )
        .in_file(source.name())
    })
}

fn binary_log_error(source: &dyn Source) -> ParseError {
    let version = crate::input::head(source)
        .ok()
        .and_then(|head| binary_log_version(&head))
        .unwrap_or_else(|| "unknown".to_owned());
    ParseError::new(
        "a text simulation.log (Gatling 2.x, or 3.x up to 3.12) or the HTML report's \
         js/stats.json",
        format!(
            "the binary simulation.log that Gatling writes since 3.13 (its header names \
             Gatling {version}), which Readiness cannot read; upload js/stats.json from the \
             report folder instead (with js/global_stats.json and js/assertions.json if you \
             wish), or the whole report folder as a zip"
        ),
    )
    .in_file(source.name())
}

// ---------------------------------------------------------------------------
// The text simulation.log

/// The kinds of record a text log holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Run,
    User,
    Request,
    Group,
    Error,
    Assertion,
}

/// A record's kind, and whether it is in the 2.0–2.1 layout (type in the
/// third field) rather than the later ones (type first).
fn classify(fields: &Fields<'_>) -> Option<(Kind, bool)> {
    let kind = |token: &[u8]| match token {
        b"RUN" => Some(Kind::Run),
        b"USER" => Some(Kind::User),
        b"REQUEST" => Some(Kind::Request),
        b"GROUP" => Some(Kind::Group),
        b"ERROR" => Some(Kind::Error),
        b"ASSERTION" => Some(Kind::Assertion),
        _ => None,
    };
    if let Some(found) = fields.get(0).and_then(kind) {
        return Some((found, false));
    }
    match fields.get(2).and_then(kind) {
        Some(found @ (Kind::Run | Kind::User | Kind::Request | Kind::Group)) => Some((found, true)),
        _ => None,
    }
}

/// The tab-separated fields of one line, without allocating.
struct Fields<'a> {
    values: [&'a [u8]; MAX_FIELDS],
    /// The byte offset of each field in its line, for error columns.
    offsets: [usize; MAX_FIELDS],
    /// How many fields the line has, including those not kept.
    count: usize,
}

impl<'a> Fields<'a> {
    fn split(line: &'a [u8]) -> Self {
        let mut fields = Fields {
            values: [&[]; MAX_FIELDS],
            offsets: [0; MAX_FIELDS],
            count: 0,
        };
        let mut offset = 0;
        for (i, part) in line.split(|b| *b == b'\t').enumerate() {
            if let (Some(value), Some(start)) =
                (fields.values.get_mut(i), fields.offsets.get_mut(i))
            {
                *value = part;
                *start = offset;
            }
            offset += part.len() + 1;
            fields.count += 1;
        }
        fields
    }

    fn get(&self, i: usize) -> Option<&'a [u8]> {
        if i < self.count {
            self.values.get(i).copied()
        } else {
            None
        }
    }

    /// The 1-based byte column where field `i` starts.
    fn column(&self, i: usize) -> Option<u64> {
        if i < self.count {
            self.offsets.get(i).map(|o| *o as u64 + 1)
        } else {
            None
        }
    }
}

/// Where a REQUEST record keeps what this parser reads, by writer version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RequestLayout {
    /// `scenario userId REQUEST groups name firstByteSent lastByteSent
    /// firstByteReceived lastByteReceived status message [extraInfo...]`
    Gatling20,
    /// `REQUEST scenario userId groups name start end status message
    /// [extraInfo...]`
    Gatling22,
    /// `REQUEST userId groups name start end status message`
    Gatling3Early,
    /// `REQUEST groups name start end status message`
    Gatling3,
}

impl RequestLayout {
    const ALL: [RequestLayout; 4] = [
        RequestLayout::Gatling3,
        RequestLayout::Gatling3Early,
        RequestLayout::Gatling22,
        RequestLayout::Gatling20,
    ];

    /// Field indexes of groups, name, start, end and status.
    fn indexes(self) -> (usize, usize, usize, usize, usize) {
        match self {
            RequestLayout::Gatling20 => (3, 4, 5, 8, 9),
            RequestLayout::Gatling22 => (3, 4, 5, 6, 7),
            RequestLayout::Gatling3Early => (2, 3, 4, 5, 6),
            RequestLayout::Gatling3 => (1, 2, 3, 4, 5),
        }
    }

    /// The fewest fields Gatling's own reader accepts (`RawRecords.scala`):
    /// every field up to the message, which Gatling 2.2 and later write as a
    /// space when there is none.
    fn min_fields(self) -> usize {
        match self {
            // Gatling 2.0 read a request without its message field.
            RequestLayout::Gatling20 => 10,
            _ => self.indexes().4 + 2,
        }
    }

    /// The layout whose status field holds OK or KO. Layouts are tried from
    /// the newest, whose status sits furthest left; in an older record
    /// that field holds a timestamp, so the first match is the record's own
    /// layout.
    fn detect(fields: &Fields<'_>, old: bool) -> Option<Self> {
        Self::ALL
            .into_iter()
            .filter(|layout| (*layout == RequestLayout::Gatling20) == old)
            .find(|layout| fields.get(layout.indexes().4).is_some_and(is_status))
    }

    fn describe(self) -> &'static str {
        match self {
            RequestLayout::Gatling20 => "the Gatling 2.0-2.1 layout",
            RequestLayout::Gatling22 => "the Gatling 2.2-2.3 layout",
            RequestLayout::Gatling3Early => "the early Gatling 3 layout",
            RequestLayout::Gatling3 => "the Gatling 3 layout",
        }
    }
}

/// Where a USER record keeps its event and times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UserLayout {
    /// `scenario userId USER START|END start end` (2.0–2.1)
    Gatling20,
    /// `USER scenario userId START|END start end` (2.2 to early 3.x)
    Long,
    /// `USER scenario START|END timestamp` (later 3.x)
    Short,
}

impl UserLayout {
    fn detect(fields: &Fields<'_>, old: bool) -> Option<Self> {
        let event = |i| fields.get(i).is_some_and(is_event);
        if old {
            event(3).then_some(UserLayout::Gatling20)
        } else if event(2) {
            Some(UserLayout::Short)
        } else if event(3) {
            Some(UserLayout::Long)
        } else {
            None
        }
    }

    /// The event's index, and the indexes of the time of a start and of an
    /// end: a 2.x END record carries the user's start before its end.
    fn indexes(self) -> (usize, usize, usize) {
        match self {
            UserLayout::Gatling20 | UserLayout::Long => (3, 4, 5),
            UserLayout::Short => (2, 3, 3),
        }
    }

    fn fits(self, request: RequestLayout) -> bool {
        matches!(
            (self, request),
            (UserLayout::Gatling20, RequestLayout::Gatling20)
                | (
                    UserLayout::Long,
                    RequestLayout::Gatling22 | RequestLayout::Gatling3Early
                )
                | (UserLayout::Short, RequestLayout::Gatling3)
        )
    }

    fn describe(self) -> &'static str {
        match self {
            UserLayout::Gatling20 => "the Gatling 2.0-2.1 layout",
            UserLayout::Long => "the Gatling 2.2 to early 3 layout",
            UserLayout::Short => "the Gatling 3 layout",
        }
    }
}

fn is_status(field: &[u8]) -> bool {
    field == b"OK" || field == b"KO"
}

fn is_event(field: &[u8]) -> bool {
    field == b"START" || field == b"END"
}

/// What is wrong with one record, before the file and line are known.
struct RecordError {
    expected: String,
    found: String,
    /// The field's name and index.
    field: Option<(&'static str, usize)>,
    /// Whether a line cut short could cause this error, so that on the last
    /// line the message says the file may be truncated.
    cut_short: bool,
}

impl RecordError {
    fn new(expected: impl Into<String>, found: impl Into<String>) -> Self {
        RecordError {
            expected: expected.into(),
            found: found.into(),
            field: None,
            cut_short: true,
        }
    }

    fn at(mut self, name: &'static str, index: usize) -> Self {
        self.field = Some((name, index));
        self
    }

    /// Marks an error that a truncated line cannot cause: a cut removes
    /// the end of a line, so it leaves too few fields or a partial value,
    /// never a complete record of another shape.
    fn whole(mut self) -> Self {
        self.cut_short = false;
        self
    }
}

/// The state shared by every log of an upload.
struct LogRun {
    builder: RunBuilder,
    /// Net change of active users at each millisecond, over every log.
    user_deltas: BTreeMap<u64, i64>,
    first_ms: u64,
    last_ms: u64,
    simulation: Option<(String, String)>,
    version: Option<String>,
    /// Endpoint ids by raw `groups \t name` bytes, and the buffer to look
    /// them up with.
    endpoints: HashMap<Vec<u8>, EndpointId>,
    key: Vec<u8>,
}

/// The state of one log file.
struct LogFile<'a> {
    name: &'a str,
    request_layout: Option<(RequestLayout, u64)>,
    user_layout: Option<(UserLayout, u64)>,
    simulation: Option<String>,
    line: u64,
}

fn parse_logs(logs: &[&dyn Source]) -> Result<Run, IngestError> {
    let first_name = logs.first().map(|s| s.name()).unwrap_or("simulation.log");
    let mut run = LogRun {
        builder: RunBuilder::new(first_name, Format::GatlingLog.name(), "gatling"),
        user_deltas: BTreeMap::new(),
        first_ms: u64::MAX,
        last_ms: 0,
        simulation: None,
        version: None,
        endpoints: HashMap::new(),
        key: Vec::new(),
    };
    let mut lines_read = 0;
    for source in logs {
        let file = parse_log(*source, &mut run)?;
        lines_read += file.line;
        if let Some(name) = file.simulation {
            match &run.simulation {
                Some((first, first_file)) if *first != name => {
                    return Err(IngestError::Mixed {
                        files: vec![
                            (first_file.clone(), Format::GatlingLog),
                            (source.name().to_owned(), Format::GatlingLog),
                        ],
                    });
                }
                Some(_) => {}
                None => run.simulation = Some((name, source.name().to_owned())),
            }
        }
    }
    if run.builder.request_count() == 0 {
        let found = if lines_read == 0 {
            "an empty log".to_owned()
        } else {
            let plural = if lines_read == 1 { "" } else { "s" };
            format!("no REQUEST record in {lines_read} line{plural}")
        };
        return Err(
            ParseError::new("REQUEST records, one per request Gatling sent", found)
                .in_file(first_name)
                .into(),
        );
    }
    // Users are counted in time order, so records written slightly out of
    // order, and the users of several logs, add up as they overlapped.
    let mut active: i64 = 0;
    for (at_ms, delta) in &run.user_deltas {
        active = active.saturating_add(*delta);
        run.builder
            .users(*at_ms as f64, u64::try_from(active.max(0)).unwrap_or(0));
    }
    let mut result = run.builder.finish()?;
    result.tool_version = run.version;
    Ok(result)
}

fn parse_log<'a>(source: &'a dyn Source, run: &mut LogRun) -> Result<LogFile<'a>, ParseError> {
    let mut file = LogFile {
        name: source.name(),
        request_layout: None,
        user_layout: None,
        simulation: None,
        line: 0,
    };
    let mut lines = Lines::new(source)?;
    loop {
        let outcome = match lines.next_line()? {
            None => break,
            Some(line) => {
                // Counted here rather than asked of `lines`, which the line
                // borrows; both count every line returned.
                file.line += 1;
                let fields = Fields::split(line);
                file.record(&fields, run).map_err(|err| {
                    let column = err.field.and_then(|(_, i)| fields.column(i));
                    (err, column)
                })
            }
        };
        if let Err((err, column)) = outcome {
            let line = file.line;
            // A record cut short on the last line is what a log copied
            // while Gatling was still writing it looks like.
            let last = err.cut_short && matches!(lines.next_line(), Ok(None));
            let found = if last {
                format!(
                    "{}; this is the last line, which looks cut off: the log may have been \
                     copied while Gatling was still writing it",
                    err.found
                )
            } else {
                err.found
            };
            let mut error = ParseError::new(err.expected, found)
                .in_file(file.name)
                .at_line(line, column);
            if let Some((name, _)) = err.field {
                error = error.at_field(name);
            }
            return Err(error);
        }
    }
    Ok(file)
}

impl LogFile<'_> {
    fn record(&mut self, fields: &Fields<'_>, run: &mut LogRun) -> Result<(), RecordError> {
        if fields.count == 1 && fields.get(0).is_some_and(|f| f.trim_ascii().is_empty()) {
            // Gatling 2.2 writes a bare line end after a truncated record
            // when its buffer overflows.
            return Ok(());
        }
        let Some((kind, old)) = classify(fields) else {
            return Err(RecordError::new(
                "a tab-separated Gatling record (RUN, USER, REQUEST, GROUP, ERROR or ASSERTION)",
                format!("`{}`", preview(fields.get(0).unwrap_or_default())),
            )
            .at("record type", 0));
        };
        match kind {
            Kind::Run => {
                self.run_record(fields, old, run);
                Ok(())
            }
            Kind::User => self.user_record(fields, old, run),
            Kind::Request => self.request_record(fields, old, run),
            Kind::Group | Kind::Error | Kind::Assertion => Ok(()),
        }
    }

    /// The simulation's name and, in the 3.x layout, the Gatling version.
    fn run_record(&mut self, fields: &Fields<'_>, old: bool, run: &mut LogRun) {
        if self.simulation.is_none() {
            let name = fields.get(if old { 0 } else { 1 }).unwrap_or_default();
            self.simulation = Some(String::from_utf8_lossy(name).trim().to_owned());
        }
        if !old && fields.count == 6 && run.version.is_none() {
            let version = String::from_utf8_lossy(fields.get(5).unwrap_or_default());
            let version = version.trim();
            if version.starts_with("3.") {
                run.version = Some(version.to_owned());
            }
        }
    }

    fn user_record(
        &mut self,
        fields: &Fields<'_>,
        old: bool,
        run: &mut LogRun,
    ) -> Result<(), RecordError> {
        let layout = match self.user_layout {
            Some((layout, line)) => {
                if let Some(other) = UserLayout::detect(fields, old)
                    && other != layout
                {
                    return Err(mixed_layouts(other.describe(), layout.describe(), line));
                }
                layout
            }
            None => {
                let layout = UserLayout::detect(fields, old).ok_or_else(|| {
                    RecordError::new(
                        "a USER record with START or END in the third or fourth field",
                        format!("{} fields and no START or END there", fields.count),
                    )
                })?;
                if let Some((request, line)) = self.request_layout
                    && !layout.fits(request)
                {
                    return Err(mixed_layouts(layout.describe(), request.describe(), line));
                }
                self.user_layout = Some((layout, self.line));
                layout
            }
        };
        let (event_at, start_at, end_at) = layout.indexes();
        let event = fields.get(event_at).unwrap_or_default();
        let (delta, time_at) = match event {
            b"START" => (1, start_at),
            b"END" => (-1, end_at),
            other => {
                return Err(RecordError::new(
                    format!("START or END ({})", layout.describe()),
                    format!("`{}`", preview(other)),
                )
                .at("event", event_at));
            }
        };
        if fields.count <= time_at {
            return Err(RecordError::new(
                format!(
                    "a USER record of at least {} tab-separated fields ({})",
                    time_at + 1,
                    layout.describe()
                ),
                format!("{} fields", fields.count),
            ));
        }
        let time_name = if delta > 0 { "start" } else { "end" };
        let at_ms = timestamp(fields, time_at, time_name)?;
        run.extend_span(at_ms, (time_name, time_at))?;
        let slot = run.user_deltas.entry(at_ms).or_insert(0);
        *slot = slot.saturating_add(delta);
        Ok(())
    }

    fn request_record(
        &mut self,
        fields: &Fields<'_>,
        old: bool,
        run: &mut LogRun,
    ) -> Result<(), RecordError> {
        let layout = match self.request_layout {
            Some((layout, line)) => {
                let (.., status_at) = layout.indexes();
                let fits = fields.get(status_at).is_some_and(is_status);
                if !fits
                    && let Some(other) = RequestLayout::detect(fields, old)
                    && other != layout
                {
                    return Err(mixed_layouts(other.describe(), layout.describe(), line));
                }
                layout
            }
            None => {
                let layout = RequestLayout::detect(fields, old).ok_or_else(|| {
                    RecordError::new(
                        "a REQUEST record with its OK or KO status where a Gatling version \
                         writes it (field 6, 7, 8 or 10)",
                        format!("{} fields and no OK or KO there", fields.count),
                    )
                })?;
                if let Some((user, line)) = self.user_layout
                    && !user.fits(layout)
                {
                    return Err(mixed_layouts(layout.describe(), user.describe(), line));
                }
                self.request_layout = Some((layout, self.line));
                layout
            }
        };
        if fields.count < layout.min_fields() {
            return Err(RecordError::new(
                format!(
                    "a REQUEST record of at least {} tab-separated fields ({})",
                    layout.min_fields(),
                    layout.describe()
                ),
                format!("{} fields", fields.count),
            ));
        }
        let (groups_at, name_at, start_at, end_at, status_at) = layout.indexes();
        let status = fields.get(status_at).unwrap_or_default();
        if !is_status(status) {
            return Err(RecordError::new(
                format!("OK or KO ({})", layout.describe()),
                format!("`{}`", preview(status)),
            )
            .at("status", status_at));
        }
        let start_ms = timestamp(fields, start_at, "start")?;
        run.extend_span(start_ms, ("start", start_at))?;
        let duration_ms = if fields.get(end_at) == Some(INCOMING_END) {
            // An unmatched incoming message: Gatling's reader gives it a
            // response time of 0 (Records.scala, `incoming = true`).
            0
        } else {
            let end_ms = timestamp(fields, end_at, "end")?;
            let Some(duration) = end_ms.checked_sub(start_ms) else {
                return Err(RecordError::new(
                    format!("an end at or after the start ({start_ms})"),
                    format!("{end_ms}, {} ms before the start", start_ms - end_ms),
                )
                .at("end", end_at)
                .whole());
            };
            run.extend_span(end_ms, ("end", end_at))?;
            duration
        };
        let endpoint = run.endpoint(
            fields.get(groups_at).unwrap_or_default(),
            fields.get(name_at).unwrap_or_default(),
        );
        run.builder.request(
            start_ms as f64,
            duration_ms as f64,
            endpoint,
            Some(status == b"KO"),
        );
        Ok(())
    }
}

impl LogRun {
    /// Widens the run's span to a timestamp, refusing one so far from the
    /// others that the run cannot be one Gatling test.
    fn extend_span(
        &mut self,
        at_ms: u64,
        (name, index): (&'static str, usize),
    ) -> Result<(), RecordError> {
        let first = self.first_ms.min(at_ms);
        let last = self.last_ms.max(at_ms);
        if last - first > MAX_SPAN_MS {
            return Err(RecordError::new(
                format!(
                    "timestamps within {} days of each other, as in one test run",
                    MAX_SPAN_MS / 86_400_000
                ),
                format!(
                    "{at_ms}, {} days from the run's other records",
                    (last - first) / 86_400_000
                ),
            )
            .at(name, index)
            .whole());
        }
        self.first_ms = first;
        self.last_ms = last;
        Ok(())
    }

    /// The builder's id for a request's endpoint. Ids are cached by the raw
    /// group and name bytes, so the common case of a known request
    /// allocates nothing.
    fn endpoint(&mut self, groups: &[u8], name: &[u8]) -> EndpointId {
        self.key.clear();
        self.key.extend_from_slice(groups);
        self.key.push(b'\t');
        self.key.extend_from_slice(name);
        if let Some(id) = self.endpoints.get(self.key.as_slice()) {
            return *id;
        }
        let id = self.builder.endpoint(&endpoint_name(groups, name), None);
        self.endpoints.insert(self.key.clone(), id);
        id
    }
}

fn mixed_layouts(this: &str, other: &str, line: u64) -> RecordError {
    RecordError::new(
        format!("records of one Gatling version ({other}, as on line {line})"),
        format!("a record in {this}"),
    )
    .whole()
}

/// An epoch-millisecond timestamp field.
fn timestamp(fields: &Fields<'_>, index: usize, name: &'static str) -> Result<u64, RecordError> {
    let field = fields.get(index).unwrap_or_default();
    let value = std::str::from_utf8(field)
        .ok()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|v| *v < MAX_TIMESTAMP_MS);
    value.ok_or_else(|| {
        RecordError::new(
            "a timestamp in epoch milliseconds",
            format!("`{}`", preview(field)),
        )
        .at(name, index)
    })
}

/// A request's path as Gatling's report names it: its groups, then its name.
fn endpoint_name(groups: &[u8], name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    let groups = String::from_utf8_lossy(groups);
    let groups = groups.trim();
    if groups.is_empty() {
        name.into_owned()
    } else {
        let mut path: Vec<&str> = groups.split(',').collect();
        path.push(&name);
        path.join(" / ")
    }
}

/// The start of a field, for messages.
fn preview(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut preview: String = text.chars().take(40).collect();
    if text.chars().nth(40).is_some() {
        preview.push('…');
    }
    preview
}

// ---------------------------------------------------------------------------
// The report JSON

/// A parsed `stats.json` or `global_stats.json`.
struct ReportFile<'a> {
    source: &'a dyn Source,
    value: Value,
    /// Whether it is `stats.json`, whose global figures sit under `stats`
    /// beside the per-request `contents`.
    tree: bool,
}

impl<'a> ReportFile<'a> {
    fn read(source: &'a dyn Source) -> Result<Self, ParseError> {
        let bytes = read_all(source, MAX_REPORT_BYTES)?;
        let value = load_json(source.name(), &bytes)?;
        let tree = value
            .get("stats")
            .and_then(|s| s.get("numberOfRequests"))
            .is_some();
        Ok(ReportFile {
            source,
            value,
            tree,
        })
    }

    fn file(&self) -> &str {
        self.source.name()
    }

    /// The global statistics object and its path in the document.
    fn global(&self) -> Result<(&Map<String, Value>, &'static str), ParseError> {
        let (value, path) = if self.tree {
            (self.value.get("stats"), "stats")
        } else {
            (Some(&self.value), "")
        };
        match value {
            Some(Value::Object(map)) => Ok((map, path)),
            _ => Err(ParseError::new(
                "an object of Gatling statistics",
                value.map_or("nothing", describe),
            )
            .in_file(self.file())
            .at_field(if path.is_empty() { "(root)" } else { path })),
        }
    }

    /// The total and failed request counts.
    fn totals(&self) -> Result<(Option<u64>, Option<u64>), ParseError> {
        let (stats, path) = self.global()?;
        let figures = Figures::read(self.file(), stats, path)?;
        Ok((figures.requests, figures.failed))
    }

    fn run(&self) -> Result<Run, ParseError> {
        let (stats, path) = self.global()?;
        let figures = Figures::read(self.file(), stats, path)?;
        let Some(requests) = figures.requests else {
            return Err(ParseError::new("a request count", "none")
                .in_file(self.file())
                .at_field(join(path, "numberOfRequests.total")));
        };
        let mut run = Run::empty(Format::GatlingJson.name(), "gatling", Exactness::Reported);
        run.requests = Some(requests);
        run.failed = figures.failed;
        run.error_rate = figures
            .failed
            .filter(|_| requests > 0)
            .map(|failed| failed as f64 / requests as f64);
        run.latency_ms = figures.latency;
        run.throughput_rps = figures.throughput;
        if self.tree {
            let mut endpoints = Vec::new();
            if let Some(contents) = self.value.get("contents") {
                collect_endpoints(self.file(), contents, "contents", &mut endpoints)?;
            }
            endpoints.sort_by(|a, b| {
                b.requests
                    .cmp(&a.requests)
                    .then_with(|| a.name.cmp(&b.name))
            });
            run.endpoints = endpoints;
        }
        Ok(run)
    }
}

/// Request rows of a `contents` tree, descending into groups.
fn collect_endpoints(
    file: &str,
    contents: &Value,
    path: &str,
    out: &mut Vec<Endpoint>,
) -> Result<(), ParseError> {
    let Some(entries) = contents.as_object() else {
        return Err(
            ParseError::new("an object of report rows", describe(contents))
                .in_file(file)
                .at_field(path),
        );
    };
    for (key, entry) in entries {
        let entry_path = format!("{path}.{key}");
        match entry.get("type").and_then(Value::as_str) {
            Some("GROUP") => {
                if let Some(inner) = entry.get("contents") {
                    collect_endpoints(file, inner, &format!("{entry_path}.contents"), out)?;
                }
            }
            Some("REQUEST") => {
                let name = [entry.get("path"), entry.get("name")]
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .find(|s| !s.is_empty())
                    .unwrap_or(key);
                let stats_path = format!("{entry_path}.stats");
                let Some(stats) = entry.get("stats").and_then(Value::as_object) else {
                    return Err(ParseError::new("an object of statistics", "none")
                        .in_file(file)
                        .at_field(stats_path));
                };
                let figures = Figures::read(file, stats, &stats_path)?;
                out.push(Endpoint {
                    name: name.to_owned(),
                    method: None,
                    requests: figures.requests,
                    failed: figures.failed,
                    latency_ms: figures.latency,
                    latency_histogram: None,
                });
            }
            other => {
                return Err(ParseError::new(
                    "a row of type REQUEST or GROUP",
                    other.map_or("no type".to_owned(), |t| format!("`{t}`")),
                )
                .in_file(file)
                .at_field(format!("{entry_path}.type")));
            }
        }
    }
    Ok(())
}

/// The figures of one statistics object: Gatling's `total` column.
struct Figures {
    requests: Option<u64>,
    failed: Option<u64>,
    latency: Latency,
    throughput: Option<f64>,
}

impl Figures {
    fn read(file: &str, stats: &Map<String, Value>, path: &str) -> Result<Self, ParseError> {
        let stat = |key: &str, column: &str| -> Result<Option<f64>, ParseError> {
            let field = || join(path, &format!("{key}.{column}"));
            let value = stats.get(key).and_then(|s| s.get(column));
            number(value).map_err(|found| {
                ParseError::new("a number", found)
                    .in_file(file)
                    .at_field(field())
            })
        };
        let count = |column: &str| -> Result<Option<u64>, ParseError> {
            match stat("numberOfRequests", column)? {
                None => Ok(None),
                Some(v) if v >= 0.0 && v.fract() == 0.0 && v < MAX_TIMESTAMP_MS as f64 => {
                    Ok(Some(v as u64))
                }
                Some(v) => Err(
                    ParseError::new("a whole, non-negative count", v.to_string())
                        .in_file(file)
                        .at_field(join(path, &format!("numberOfRequests.{column}"))),
                ),
            }
        };
        let requests = count("total")?;
        let failed = count("ko")?;
        if let (Some(requests), Some(failed)) = (requests, failed)
            && failed > requests
        {
            return Err(ParseError::new(
                format!("at most the total of {requests} requests"),
                failed.to_string(),
            )
            .in_file(file)
            .at_field(join(path, "numberOfRequests.ko")));
        }
        // Without requests Gatling writes 0 for every statistic it could
        // not compute, and those zeros are no measurement.
        let latency = if requests == Some(0) {
            Latency::default()
        } else {
            let four = stats.contains_key("percentiles3") || stats.contains_key("percentiles4");
            let (p50, p95, p99) = if four {
                (
                    stat("percentiles1", "total")?,
                    stat("percentiles3", "total")?,
                    stat("percentiles4", "total")?,
                )
            } else {
                (
                    None,
                    stat("percentiles1", "total")?,
                    stat("percentiles2", "total")?,
                )
            };
            Latency {
                min: stat("minResponseTime", "total")?,
                avg: stat("meanResponseTime", "total")?,
                p50,
                p90: None,
                p95,
                p99,
                max: stat("maxResponseTime", "total")?,
            }
        };
        Ok(Figures {
            requests,
            failed,
            latency,
            throughput: stat("meanNumberOfRequestsPerSecond", "total")?,
        })
    }
}

/// A report value: a JSON number, or the string form `stats.js` uses.
/// `-1` is Gatling's marker for a statistic without data.
fn number(value: Option<&Value>) -> Result<Option<f64>, String> {
    let parsed = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) if s.trim() == "-" => return Ok(None),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(other) => return Err(describe(other).to_owned()),
    };
    match parsed {
        Some(-1.0) => Ok(None),
        Some(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
        Some(v) => Err(v.to_string()),
        None => Err(format!(
            "`{}`",
            value.map(Value::to_string).unwrap_or_default()
        )),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

// ---------------------------------------------------------------------------
// assertions.json

struct Assertions {
    thresholds: Vec<Threshold>,
    /// The run's start (the RUN record's), in epoch milliseconds.
    start_ms: Option<i64>,
}

fn read_assertions(source: &dyn Source) -> Result<Assertions, ParseError> {
    let file = source.name();
    let bytes = read_all(source, MAX_REPORT_BYTES)?;
    let value = load_json(file, &bytes)?;
    let (list, path) = match &value {
        Value::Array(list) => (list, ""),
        Value::Object(top) => match top.get("assertions") {
            Some(Value::Array(list)) => (list, "assertions"),
            other => {
                return Err(ParseError::new(
                    "an array of assertions",
                    other.map_or("nothing", describe),
                )
                .in_file(file)
                .at_field("assertions"));
            }
        },
        other => {
            return Err(
                ParseError::new("a Gatling assertions.json object", describe(other)).in_file(file),
            );
        }
    };
    let mut thresholds = Vec::with_capacity(list.len());
    for (i, assertion) in list.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let text = |key: &str| {
            assertion
                .get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .unwrap_or_default()
        };
        let Some(ok) = assertion.get("result").and_then(Value::as_bool) else {
            return Err(ParseError::new(
                "a boolean result",
                assertion.get("result").map_or("nothing", describe),
            )
            .in_file(file)
            .at_field(format!("{at}.result")));
        };
        // 2.2 names the bounds `conditionValues`, 3.x `expectedValues`.
        let values: Vec<String> = ["conditionValues", "expectedValues"]
            .into_iter()
            .find_map(|key| assertion.get(key).and_then(Value::as_array))
            .map(|values| values.iter().map(Value::to_string).collect())
            .unwrap_or_default();
        let metric = match (text("path"), text("target")) {
            ("", "") => text("message").to_owned(),
            (path, "") => path.to_owned(),
            ("", target) => target.to_owned(),
            (path, target) => format!("{path}: {target}"),
        };
        let condition = text("condition");
        let expression = if values.is_empty() {
            condition.to_owned()
        } else {
            format!("{condition} {}", values.join(" and "))
        };
        thresholds.push(Threshold {
            metric,
            expression: expression.trim().to_owned(),
            ok,
        });
    }
    Ok(Assertions {
        thresholds,
        start_ms: value.get("start").and_then(Value::as_i64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_offsets_and_count_past_the_kept_ones() {
        let line = b"REQUEST\t\tname\t1\t2\tOK\t \ta\tb\tc\td\te\tf\tg\th\ti\tj\tk";
        let fields = Fields::split(line);
        assert_eq!(fields.count, 18);
        assert_eq!(fields.get(2), Some(&b"name"[..]));
        assert_eq!(fields.column(3), Some(15));
        assert_eq!(fields.get(17), None, "fields past MAX_FIELDS are not kept");
        assert_eq!(fields.get(18), None);
    }

    #[test]
    fn the_binary_header_names_its_version() {
        let mut head = vec![0, 0, 0, 0, 6];
        head.extend_from_slice(b"3.13.1");
        head.push(0);
        assert_eq!(binary_log_version(&head).as_deref(), Some("3.13.1"));
        assert_eq!(binary_log_version(b"\0\0\0\0\x06RUN\tx"), None);
        assert_eq!(binary_log_version(b"RUN\tx"), None);
        assert_eq!(binary_log_version(&[0, 0, 0]), None);
    }

    #[test]
    fn request_layouts_are_told_apart_by_the_status_field() {
        let detect = |line: &[u8]| {
            let fields = Fields::split(line);
            let (_, old) = classify(&fields).unwrap();
            RequestLayout::detect(&fields, old)
        };
        assert_eq!(
            detect(b"REQUEST\t\tn\t1\t2\tOK\t "),
            Some(RequestLayout::Gatling3)
        );
        assert_eq!(
            detect(b"REQUEST\t7\t\tn\t1\t2\tKO\tboom"),
            Some(RequestLayout::Gatling3Early)
        );
        assert_eq!(
            detect(b"REQUEST\tscn\t7\t\tn\t1\t2\tOK\t "),
            Some(RequestLayout::Gatling22)
        );
        assert_eq!(
            detect(b"scn\t7\tREQUEST\t\tn\t1\t2\t3\t4\tOK\t "),
            Some(RequestLayout::Gatling20)
        );
        assert_eq!(detect(b"REQUEST\tn\t1\t2"), None);
    }

    #[test]
    fn endpoint_names_follow_the_report_path() {
        assert_eq!(endpoint_name(b"", b"Home"), "Home");
        assert_eq!(endpoint_name(b"Shop,Cart", b"Add"), "Shop / Cart / Add");
    }
}
