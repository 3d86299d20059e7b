//! vegeta's outputs: the summary `vegeta report -type=json` prints, and the
//! per-request results `vegeta encode --to json` prints (one JSON object a
//! line).
//!
//! Upstream: tsenart/vegeta `lib/metrics.go` (`Metrics`, `LatencyMetrics`,
//! `Add`, `Close`), `lib/reporters.go` (`NewJSONReporter` encodes `Metrics`
//! as is), `lib/results.go` (`Result`) with `lib/results_json.go` or, in
//! older releases, `lib/results_easyjson.go` (the JSON encoder), and
//! `lib/attack.go` (`hit`, which fills a result), at
//! <https://github.com/tsenart/vegeta>.
//!
//! Pitfalls handled here:
//! - Latencies are Go `time.Duration` values: integer **nanoseconds**, in
//!   the report (`latencies.*`, `duration`, `wait`) and in every result
//!   (`latency`). They are converted to milliseconds.
//! - vegeta's success is `200 <= code < 400` and nothing else (`Metrics.Add`),
//!   and so is a result's here. Transport errors have code 0 (`hit` sets
//!   the code only after the whole response was read), so they count as
//!   failed. `error` is not consulted: `hit` fills it for code 0 and for
//!   every code outside the range, so on vegeta's own output the two agree,
//!   and where they could differ (a hand-edited line) vegeta's report
//!   follows the code too.
//! - The report's percentiles are estimates (a t-digest in current
//!   releases, streadway/quantile before), so they are vegeta's reported
//!   figures, not exact order statistics. `90th` and `min` exist only in
//!   newer releases; older reports leave them null here.
//! - The report has two rates and neither is requests per second of the
//!   whole run: `rate` is requests over the attack window (`latest -
//!   earliest`, the wait for the last responses left out), and `throughput`
//!   counts successful requests only, over `duration + wait`. The run's
//!   `throughput_rps` is requests over `end - earliest` (= `duration +
//!   wait`), the same definition Readiness uses for raw results, so the
//!   report and the results of one attack give the same figure. It equals
//!   `throughput` when every request succeeded.
//! - `errors` in the report is a set of distinct messages without counts;
//!   failures are counted from `status_codes` instead.
//! - `vegeta attack` writes binary gob by default. Gob is not read here:
//!   detection recognizes it and asks for `vegeta encode --to json`.
//! - Result timestamps are RFC 3339 with nanoseconds and any UTC offset.
//!   A result set whose span passes [`MAX_RUN_SPAN_MS`] is refused: it is
//!   corrupt, and the run's time series would need one bucket per day of it.

use crate::error::ParseError;
use crate::formats::json::{describe, load_json};
use crate::formats::{Format, IngestError, Input, Sniffed, single};
use crate::input::{HEAD_BYTES, Lines, Source, read_all};
use crate::run::{Exactness, Latency, Run};
use crate::samples::{EndpointId, RunBuilder};
use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};

/// A vegeta report larger than this is not one: vegeta writes well under a
/// kilobyte, more only with a very long `errors` list.
pub const MAX_REPORT_BYTES: usize = 64 << 20;

/// The longest span of results accepted, in milliseconds (366 days).
pub const MAX_RUN_SPAN_MS: f64 = 366.0 * 86_400_000.0;

/// Keys every vegeta result line starts with, in the encoder's order.
const RESULT_KEYS: [&[u8]; 5] = [
    b"\"attack\":",
    b"\"seq\":",
    b"\"code\":",
    b"\"timestamp\":",
    b"\"latency\":",
];

/// The report's first keys, for text that cannot be parsed whole (a
/// truncated report may have lost the later ones). `"latencies"` appears in
/// no result line.
const REPORT_KEYS: [&[u8]; 2] = [b"\"latencies\":", b"\"bytes_in\":"];

/// Field names that gob writes into its type description of vegeta's
/// `Result` at the start of a `vegeta attack` output file.
const GOB_FIELDS: [&[u8]; 4] = [b"Timestamp", b"Latency", b"BytesOut", b"BytesIn"];

const NOT_VEGETA: &str = "not a vegeta report (`latencies`, `bytes_in`, `status_codes`) \
                          nor `vegeta encode --to json` lines (`attack`, `seq`, `code`, \
                          `timestamp`, `latency`)";

/// Detects a vegeta JSON report or a file of JSON results.
pub fn sniff(_source: &dyn Source, head: &[u8]) -> Sniffed {
    let text = head.trim_ascii_start();
    if !text.starts_with(b"{") {
        return Err(not_json_reason(head));
    }
    let has = |hay: &[u8], key: &[u8]| memchr::memmem::find(hay, key).is_some();
    // The first line decides between a report (one object, perhaps over
    // many lines when pretty-printed) and results (one object a line).
    let first_line = match memchr::memchr(b'\n', text) {
        Some(end) => &text[..end],
        None => text,
    };
    let line_is_whole = first_line.len() < text.len() || head.len() < HEAD_BYTES;
    if line_is_whole && let Ok(Value::Object(object)) = serde_json::from_slice(first_line) {
        if is_result(&object) {
            return Ok((Format::VegetaResults, "result"));
        }
        if is_report(&object) {
            return Ok((Format::VegetaReport, "result"));
        }
        return Err(NOT_VEGETA.to_owned());
    }
    if head.len() < HEAD_BYTES
        && let Ok(Value::Object(object)) = serde_json::from_slice(head)
    {
        return if is_report(&object) {
            Ok((Format::VegetaReport, "result"))
        } else {
            Err(NOT_VEGETA.to_owned())
        };
    }
    // Not parseable from the head: a truncated file, a pretty-printed
    // report larger than the head, or a result line longer than the head
    // (a big response body). The keys decide; the parser reports errors.
    if RESULT_KEYS.iter().all(|k| has(first_line, k)) {
        Ok((Format::VegetaResults, "result"))
    } else if REPORT_KEYS.iter().all(|k| has(head, k)) {
        Ok((Format::VegetaReport, "result"))
    } else {
        Err(NOT_VEGETA.to_owned())
    }
}

/// Why a file that does not start with JSON is not vegeta's, with advice
/// for vegeta's other encodings.
fn not_json_reason(head: &[u8]) -> String {
    let has = |key: &[u8]| memchr::memmem::find(head, key).is_some();
    if GOB_FIELDS.iter().all(|k| has(k)) {
        return "this looks like vegeta's binary (gob) results, which Readiness does not read; \
                convert them with `vegeta encode --to json results.bin > results.json`, or \
                upload `vegeta report -type=json` output"
            .to_owned();
    }
    // `vegeta encode --to csv` rows start with a Unix time in nanoseconds
    // (19 digits today), then the status code and the latency.
    let first_field = head.split(|b| *b == b',').next().unwrap_or_default();
    if first_field.len() == 19 && first_field.iter().all(u8::is_ascii_digit) {
        return "this looks like `vegeta encode --to csv` output, which Readiness does not read; \
                use `vegeta encode --to json` instead"
            .to_owned();
    }
    "not JSON (a vegeta report or `vegeta encode --to json` lines)".to_owned()
}

fn is_result(object: &Map<String, Value>) -> bool {
    ["attack", "seq", "code", "timestamp", "latency"]
        .iter()
        .all(|key| object.contains_key(*key))
}

fn is_report(object: &Map<String, Value>) -> bool {
    object.get("latencies").is_some_and(Value::is_object)
        && ["requests", "status_codes", "bytes_in"]
            .iter()
            .all(|key| object.contains_key(*key))
}

/// Reads an RFC 3339 time as Go's `time.Time` writes it.
fn parse_time(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text).ok()
}

/// Milliseconds since the Unix epoch, keeping the nanoseconds.
fn epoch_ms(time: &DateTime<FixedOffset>) -> f64 {
    time.timestamp() as f64 * 1000.0 + f64::from(time.timestamp_subsec_nanos()) / 1e6
}

// ---------------------------------------------------------------------------
// `vegeta report -type=json`
// ---------------------------------------------------------------------------

/// Parses the JSON `vegeta report -type=json` prints.
pub fn parse_report(inputs: &[Input<'_>]) -> Result<Run, IngestError> {
    let input = single(inputs, Format::VegetaReport)?;
    let file = input.source.name();
    let bytes = read_all(input.source, MAX_REPORT_BYTES)?;
    let value = load_json(file, &bytes)?;
    Ok(Report { file }.run(&value)?)
}

struct Report<'a> {
    file: &'a str,
}

impl Report<'_> {
    fn error(&self, expected: &str, found: impl Into<String>, field: &str) -> ParseError {
        ParseError::new(expected, found)
            .in_file(self.file)
            .at_field(field)
    }

    /// A whole, non-negative number: a count or a Go duration in ns.
    /// Absent or null is `None`.
    fn whole(
        &self,
        parent: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<Option<u64>, ParseError> {
        match parent.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_u64() {
                Some(v) => Ok(Some(v)),
                // jq and other re-encoders may write a whole number as a
                // float; accept it while it is exact.
                None => match n.as_f64() {
                    Some(v) if v >= 0.0 && v.fract() == 0.0 && v < 2f64.powi(53) => {
                        Ok(Some(v as u64))
                    }
                    _ => Err(self.error("a whole, non-negative number", n.to_string(), path)),
                },
            },
            Some(other) => Err(self.error("a number", describe(other), path)),
        }
    }

    /// A latency in nanoseconds, converted to milliseconds.
    fn latency_ms(
        &self,
        latencies: &Map<String, Value>,
        key: &str,
    ) -> Result<Option<f64>, ParseError> {
        let path = format!("latencies.{key}");
        Ok(self.whole(latencies, key, &path)?.map(|ns| ns as f64 / 1e6))
    }

    fn time(
        &self,
        top: &Map<String, Value>,
        key: &str,
    ) -> Result<Option<DateTime<FixedOffset>>, ParseError> {
        match top.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => parse_time(text)
                .map(Some)
                .ok_or_else(|| self.error("an RFC 3339 time", format!("`{text}`"), key)),
            Some(other) => Err(self.error("an RFC 3339 time string", describe(other), key)),
        }
    }

    fn run(&self, value: &Value) -> Result<Run, ParseError> {
        let top = value
            .as_object()
            .ok_or_else(|| ParseError::new("a JSON object", describe(value)).in_file(self.file))?;
        let latencies = match top.get("latencies") {
            Some(Value::Object(map)) => map,
            Some(other) => {
                return Err(self.error("an object of latencies", describe(other), "latencies"));
            }
            None => return Err(self.error("vegeta's `latencies` object", "none", "latencies")),
        };
        let requests = self
            .whole(top, "requests", "requests")?
            .ok_or_else(|| self.error("a request count", "none", "requests"))?;
        if requests == 0 {
            return Err(self.error("at least one request", "a report of 0 requests", "requests"));
        }

        let failed = match top.get("status_codes") {
            None | Some(Value::Null) => self.failed_from_success(top, requests)?,
            Some(Value::Object(codes)) => self.failed_from_codes(codes, requests)?,
            Some(other) => {
                return Err(self.error(
                    "an object of counts by status code",
                    describe(other),
                    "status_codes",
                ));
            }
        };

        let mut run = Run::empty(Format::VegetaReport.name(), "vegeta", Exactness::Reported);
        run.requests = Some(requests);
        if let Some(failed) = failed {
            run.failed = Some(failed);
            run.error_rate = Some(failed as f64 / requests as f64);
        }

        let earliest = self.time(top, "earliest")?;
        let end = self.time(top, "end")?;
        run.started_at = earliest.map(|t| t.with_timezone(&Utc));
        // The run lasts from the first request sent to the last response
        // received: `end - earliest`, which vegeta also reports as
        // `duration + wait`.
        let span_ns = match (earliest, end) {
            (Some(start), Some(end)) => (end - start).num_nanoseconds(),
            _ => match (
                self.whole(top, "duration", "duration")?,
                self.whole(top, "wait", "wait")?,
            ) {
                (Some(duration), Some(wait)) => duration
                    .checked_add(wait)
                    .and_then(|ns| i64::try_from(ns).ok()),
                _ => None,
            },
        };
        if let Some(ns) = span_ns {
            if ns < 0 {
                return Err(self.error(
                    "`end` at or after `earliest`",
                    format!("an end {} ns before the start", -(ns as i128)),
                    "end",
                ));
            }
            let seconds = ns as f64 / 1e9;
            run.duration_s = Some(seconds);
            run.throughput_rps = (seconds > 0.0).then(|| requests as f64 / seconds);
        }

        run.latency_ms = Latency {
            min: self.latency_ms(latencies, "min")?,
            avg: self.latency_ms(latencies, "mean")?,
            p50: self.latency_ms(latencies, "50th")?,
            p90: self.latency_ms(latencies, "90th")?,
            p95: self.latency_ms(latencies, "95th")?,
            p99: self.latency_ms(latencies, "99th")?,
            max: self.latency_ms(latencies, "max")?,
        };
        Ok(run)
    }

    /// Failed requests from the status code histogram: every code outside
    /// 200-399, code 0 (no response) included.
    fn failed_from_codes(
        &self,
        codes: &Map<String, Value>,
        requests: u64,
    ) -> Result<Option<u64>, ParseError> {
        let mut total: u64 = 0;
        let mut failed: u64 = 0;
        for (code, count) in codes {
            let field = format!("status_codes.{code}");
            let status: u16 = code
                .parse()
                .map_err(|_| self.error("a status code as the key", format!("`{code}`"), &field))?;
            let n = self
                .whole(codes, code, &field)?
                .ok_or_else(|| self.error("a count", describe(count), &field))?;
            total = total.saturating_add(n);
            if !(200..400).contains(&status) {
                failed = failed.saturating_add(n);
            }
        }
        if total != requests {
            return Err(self.error(
                &format!("status code counts that add up to `requests` ({requests})"),
                format!("counts adding up to {total}"),
                "status_codes",
            ));
        }
        Ok(Some(failed))
    }

    /// Failed requests from the success ratio, for a report without status
    /// codes: the ratio is `successes / requests`, so the count is exact
    /// once rounded.
    fn failed_from_success(
        &self,
        top: &Map<String, Value>,
        requests: u64,
    ) -> Result<Option<u64>, ParseError> {
        match top.get("success") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(ratio) if (0.0..=1.0).contains(&ratio) => {
                    let successes = (ratio * requests as f64).round() as u64;
                    Ok(Some(requests.saturating_sub(successes)))
                }
                _ => Err(self.error("a ratio between 0 and 1", n.to_string(), "success")),
            },
            Some(other) => Err(self.error("a ratio between 0 and 1", describe(other), "success")),
        }
    }
}

// ---------------------------------------------------------------------------
// `vegeta encode --to json`
// ---------------------------------------------------------------------------

/// The fields of one result line that the run needs. Every other field
/// (the base64 body, the headers) is skipped by the JSON reader without
/// being kept.
#[derive(Deserialize)]
#[serde(expecting = "a JSON object")]
struct Record {
    attack: Option<Value>,
    code: Option<Value>,
    timestamp: Option<Value>,
    latency: Option<Value>,
    method: Option<Value>,
    url: Option<Value>,
}

/// Parses `vegeta encode --to json` output, one result a line, streaming.
pub fn parse_results(inputs: &[Input<'_>]) -> Result<Run, IngestError> {
    let input = single(inputs, Format::VegetaResults)?;
    let file = input.source.name();
    let mut lines = Lines::new(input.source)?;
    let mut builder = RunBuilder::new(file, Format::VegetaResults.name(), "vegeta");
    // Consecutive results usually hit the same target; remembering the
    // last one saves a map look-up and two allocations a line.
    let mut last_endpoint: Option<(String, Option<String>, EndpointId)> = None;
    let mut first_ms = f64::INFINITY;
    let mut last_ms = f64::NEG_INFINITY;
    // Lines counts every line it returns; the count is kept here because
    // the current line borrows the reader.
    let mut number: u64 = 0;
    while let Some(line) = lines.next_line()? {
        number += 1;
        if line.trim_ascii().is_empty() {
            continue;
        }
        let at = |expected: &str, found: String, field: &str| {
            ParseError::new(expected, found)
                .in_file(file)
                .at_line(number, None)
                .at_field(field)
        };
        // Serde would also read a JSON array as the record's fields in
        // order; vegeta writes objects only.
        if !line.trim_ascii_start().starts_with(b"{") {
            return Err(ParseError::new(
                "a vegeta result as a JSON object (`vegeta encode --to json`)",
                "a line that does not start with `{`",
            )
            .in_file(file)
            .at_line(number, None)
            .into());
        }
        let record: Record = serde_json::from_slice(line).map_err(|err| {
            let found = match err.classify() {
                serde_json::error::Category::Eof => {
                    "the end of the line (the record is cut short)".to_owned()
                }
                _ => strip_position(&err.to_string()),
            };
            ParseError::new(
                "a vegeta result as a JSON object (`vegeta encode --to json`)",
                found,
            )
            .in_file(file)
            .at_line(number, Some(err.column() as u64))
        })?;

        let timestamp = match &record.timestamp {
            Some(Value::String(text)) => parse_time(text)
                .ok_or_else(|| at("an RFC 3339 time", format!("`{text}`"), "timestamp"))?,
            Some(other) => {
                return Err(at(
                    "an RFC 3339 time string",
                    describe(other).to_owned(),
                    "timestamp",
                )
                .into());
            }
            None => return Err(at("a `timestamp`", "none".to_owned(), "timestamp").into()),
        };
        let latency_ns = match &record.latency {
            Some(Value::Number(n)) => n.as_u64().ok_or_else(|| {
                at(
                    "a whole, non-negative number of nanoseconds",
                    n.to_string(),
                    "latency",
                )
            })?,
            Some(other) => {
                return Err(at(
                    "a number of nanoseconds",
                    describe(other).to_owned(),
                    "latency",
                )
                .into());
            }
            None => return Err(at("a `latency`", "none".to_owned(), "latency").into()),
        };
        let code = match &record.code {
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|c| u16::try_from(c).ok())
                .ok_or_else(|| at("an HTTP status code (0 to 65535)", n.to_string(), "code"))?,
            Some(other) => {
                return Err(at("an HTTP status code", describe(other).to_owned(), "code").into());
            }
            None => return Err(at("a `code`", "none".to_owned(), "code").into()),
        };
        let url = text_of(&record.url).map_err(|found| at("a string", found, "url"))?;
        let method = text_of(&record.method).map_err(|found| at("a string", found, "method"))?;
        let attack = text_of(&record.attack).map_err(|found| at("a string", found, "attack"))?;

        let start_ms = epoch_ms(&timestamp);
        let duration_ms = latency_ns as f64 / 1e6;
        first_ms = first_ms.min(start_ms);
        last_ms = last_ms.max(start_ms + duration_ms);
        if last_ms - first_ms > MAX_RUN_SPAN_MS {
            return Err(at(
                "results spanning at most 366 days",
                format!(
                    "a span of {:.0} days from the first request to the end of this one",
                    (last_ms - first_ms) / 86_400_000.0
                ),
                if duration_ms > MAX_RUN_SPAN_MS {
                    "latency"
                } else {
                    "timestamp"
                },
            )
            .into());
        }

        // Results of older vegeta releases, which did not record the
        // target, have no url: the attack's name stands in for it.
        let name = if !url.is_empty() {
            url
        } else if !attack.is_empty() {
            attack
        } else {
            "(no url)"
        };
        let method = (!method.is_empty()).then_some(method);
        let endpoint = match &last_endpoint {
            Some((n, m, id)) if n == name && m.as_deref() == method => *id,
            _ => {
                let id = builder.endpoint(name, method);
                last_endpoint = Some((name.to_owned(), method.map(str::to_owned), id));
                id
            }
        };
        let failed = !(200..400).contains(&code);
        builder.request(start_ms, duration_ms, endpoint, Some(failed));
    }
    Ok(builder.finish()?)
}

/// A string field that may be absent or null (empty then), or what it is
/// instead.
fn text_of(value: &Option<Value>) -> Result<&str, String> {
    match value {
        None | Some(Value::Null) => Ok(""),
        Some(Value::String(s)) => Ok(s.as_str()),
        Some(other) => Err(describe(other).to_owned()),
    }
}

/// serde_json appends " at line L column C" to its messages; the location
/// is reported separately, so it is removed from the text.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}
