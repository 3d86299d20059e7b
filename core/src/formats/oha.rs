//! oha's JSON summary: the document `oha --output-format json` (`oha -j` in
//! older releases) prints when a run ends.
//!
//! Upstream shape: hatoo/oha `src/printer.rs` (`print_json`), `schema.json`
//! (the copy at v1.15.0 is `tests/fixtures/oha/oha-1.15.0-output-schema.json`)
//! and `src/result_data.rs` (what the figures are computed from), at
//! <https://github.com/hatoo/oha>. The document is a summary: every figure
//! is `reported`, and a figure oha did not write is null.
//!
//! Pitfalls handled here:
//! - Durations are in **seconds** (`summary.slowest`, `fastest`, `average`,
//!   every `latencyPercentiles` entry); only the newer `metrics.latency_ms`
//!   block is in milliseconds. Both are converted to, or kept in, ms.
//! - `summary.total` is the run's wall-clock duration in seconds, not a
//!   request count: oha writes `total_duration.as_secs_f64()` there. The
//!   document carries no request total, so requests are counted from
//!   `statusCodeDistribution` (one entry per HTTP response, whatever its
//!   status) plus `errorDistribution` (requests that got no response).
//! - `"aborted due to deadline"` in `errorDistribution` counts the requests
//!   still in flight when a `-z` run ended and oha cancelled them. They are
//!   neither successes nor failures of the server; oha leaves them out of
//!   `successRate`, and so do these figures: they are not requests here.
//!   (`requestsPerSec` does count them: it is `res.len() / total`.)
//! - `summary.successRate` counts every HTTP response as a success, 5xx
//!   included. Readiness counts a request as failed when it got no response
//!   or a status outside 200-399 (as vegeta and k6 do), so `failed` comes
//!   from the status and error counts, not from `successRate`.
//! - `responseTimeHistogram` is not used for counts while
//!   `statusCodeDistribution` is there: its keys are bucket bounds written
//!   as text into a map, so buckets whose bounds print alike (all of them
//!   when every latency is equal) collapse into one entry and lose counts.
//! - Statistics of no response are not finite in oha (NaN, or an infinite
//!   minimum and maximum), which serde_json writes as `null`; they stay
//!   null here.
//! - `--stats-success-breakdown` adds per-outcome histograms and
//!   percentiles (named `latencyPercentilesSuccessful` by the printer and
//!   `latencyPercentileSuccessful` by the schema); the run's figures come
//!   from the all-requests statistics, so they are not read.

use crate::error::ParseError;
use crate::formats::json::{describe, load_json};
use crate::formats::{Format, IngestError, Input, Sniffed, single};
use crate::input::{HEAD_BYTES, Source, read_all};
use crate::run::{Exactness, Latency, Run};
use serde_json::{Map, Value};

/// An oha summary larger than this is not one: oha writes a few kilobytes,
/// more only when `errorDistribution` holds many distinct messages.
pub const MAX_DOCUMENT_BYTES: usize = 64 << 20;

/// The message oha gives the requests it cancels when a `-z` run ends
/// (`ClientError::Deadline` in `src/client.rs`).
pub const DEADLINE_ERROR: &str = "aborted due to deadline";

/// Keys whose presence in the raw text marks an oha summary when the text
/// cannot be parsed (a truncated file, or one larger than the head).
const SUMMARY_KEYS: [&[u8]; 2] = [b"\"summary\"", b"\"successRate\""];
const DISTRIBUTION_KEYS: [&[u8]; 3] = [
    b"\"latencyPercentiles\"",
    b"\"responseTimeHistogram\"",
    b"\"statusCodeDistribution\"",
];

/// Detects an oha JSON summary.
pub fn sniff(_source: &dyn Source, head: &[u8]) -> Sniffed {
    if !head.trim_ascii_start().starts_with(b"{") {
        return Err("not a JSON object".to_owned());
    }
    if head.len() < HEAD_BYTES
        && let Ok(value) = serde_json::from_slice::<Value>(head)
    {
        return sniff_value(&value).map(|()| (Format::OhaJson, "result"));
    }
    // The head is not a whole JSON document: the file is larger than the
    // head or truncated. The keys decide, and the parser then reports
    // exactly where the document stops being JSON.
    let has = |key: &[u8]| memchr::memmem::find(head, key).is_some();
    if SUMMARY_KEYS.iter().all(|k| has(k)) && DISTRIBUTION_KEYS.iter().any(|k| has(k)) {
        Ok((Format::OhaJson, "result"))
    } else {
        Err(
            "no `summary.successRate` with `latencyPercentiles` or `responseTimeHistogram`"
                .to_owned(),
        )
    }
}

/// Says whether a parsed document has oha's shape, or why not.
fn sniff_value(value: &Value) -> Result<(), String> {
    let Some(top) = value.as_object() else {
        return Err("the document is not a JSON object".to_owned());
    };
    let summary = top.get("summary").and_then(Value::as_object);
    if !summary.is_some_and(|s| s.contains_key("successRate")) {
        return Err("no `summary` object with `successRate`".to_owned());
    }
    if ![
        "latencyPercentiles",
        "responseTimeHistogram",
        "statusCodeDistribution",
    ]
    .iter()
    .any(|key| top.contains_key(*key))
    {
        return Err(
            "a `summary` but no `latencyPercentiles`, `responseTimeHistogram` or \
             `statusCodeDistribution`"
                .to_owned(),
        );
    }
    Ok(())
}

/// Parses an oha JSON summary.
pub fn parse(inputs: &[Input<'_>]) -> Result<Run, IngestError> {
    let input = single(inputs, Format::OhaJson)?;
    let file = input.source.name();
    let bytes = read_all(input.source, MAX_DOCUMENT_BYTES)?;
    let value = load_json(file, &bytes)?;
    Ok(parse_value(file, &value)?)
}

/// Reads figures out of the document, with errors that name the field.
struct Reader<'a> {
    file: &'a str,
}

impl Reader<'_> {
    fn error(&self, expected: &str, found: impl Into<String>, field: &str) -> ParseError {
        ParseError::new(expected, found)
            .in_file(self.file)
            .at_field(field)
    }

    /// An object member that may be absent (or null, which oha never
    /// writes for an object but a hand-edited file might).
    fn object<'v>(
        &self,
        parent: &'v Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<Option<&'v Map<String, Value>>, ParseError> {
        match parent.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(other) => Err(self.error("an object", describe(other), path)),
        }
    }

    /// A non-negative number; `None` when absent or null (oha writes the
    /// non-finite statistics of an empty set as null).
    fn number(
        &self,
        parent: Option<&Map<String, Value>>,
        key: &str,
        path: &str,
    ) -> Result<Option<f64>, ParseError> {
        match parent.and_then(|p| p.get(key)) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
                _ => Err(self.error("a non-negative number", n.to_string(), path)),
            },
            Some(other) => Err(self.error("a number", describe(other), path)),
        }
    }

    /// A duration in seconds, converted to milliseconds.
    fn seconds_as_ms(
        &self,
        parent: Option<&Map<String, Value>>,
        key: &str,
        path: &str,
    ) -> Result<Option<f64>, ParseError> {
        match self.number(parent, key, path)? {
            // Finite seconds can overflow once in milliseconds.
            Some(s) if !(s * 1000.0).is_finite() => Err(self.error(
                "a number of seconds",
                s.to_string(),
                &format!("{path}.{key}"),
            )),
            other => Ok(other.map(|s| s * 1000.0)),
        }
    }

    /// A whole, non-negative count.
    fn count(&self, value: &Value, path: &str) -> Result<u64, ParseError> {
        if let Some(n) = value.as_u64() {
            return Ok(n);
        }
        Err(match value {
            Value::Number(n) => self.error("a whole, non-negative count", n.to_string(), path),
            other => self.error("a count", describe(other), path),
        })
    }

    /// The sum of a map of counts, such as `{"200": 180, "503": 5}`.
    fn sum_counts(
        &self,
        map: &Map<String, Value>,
        path: &str,
        mut include: impl FnMut(&str) -> Result<bool, ParseError>,
    ) -> Result<u64, ParseError> {
        let mut total: u64 = 0;
        for (key, value) in map {
            let field = format!("{path}.{key}");
            let n = self.count(value, &field)?;
            if include(key)? {
                total = total
                    .checked_add(n)
                    .ok_or_else(|| self.error("counts that add up", "a sum past 2^64", &field))?;
            }
        }
        Ok(total)
    }
}

/// Turns a parsed oha document into a run.
fn parse_value(file: &str, value: &Value) -> Result<Run, ParseError> {
    let r = Reader { file };
    let top = value
        .as_object()
        .ok_or_else(|| ParseError::new("a JSON object", describe(value)).in_file(file))?;
    let summary = r
        .object(top, "summary", "summary")?
        .ok_or_else(|| r.error("oha's `summary` object", "none", "summary"))?;
    let metrics = r.object(top, "metrics", "metrics")?;
    let metrics_latency = match metrics {
        Some(m) => r.object(m, "latency_ms", "metrics.latency_ms")?,
        None => None,
    };
    let percentiles = r.object(top, "latencyPercentiles", "latencyPercentiles")?;

    // Responses by status, or, without that map, by the latency histogram
    // (which counts every response but says nothing of its status).
    let statuses = r.object(top, "statusCodeDistribution", "statusCodeDistribution")?;
    let (responses, failed_responses) = match statuses {
        Some(map) => {
            let all = r.sum_counts(map, "statusCodeDistribution", |_| Ok(true))?;
            let failed = r.sum_counts(map, "statusCodeDistribution", |code| {
                let status: u16 = code.parse().map_err(|_| {
                    r.error(
                        "an HTTP status code as the key",
                        format!("`{code}`"),
                        &format!("statusCodeDistribution.{code}"),
                    )
                })?;
                Ok(!(200..400).contains(&status))
            })?;
            (all, Some(failed))
        }
        None => {
            let histogram = r
                .object(top, "responseTimeHistogram", "responseTimeHistogram")?
                .ok_or_else(|| {
                    r.error(
                        "`statusCodeDistribution` or `responseTimeHistogram` to count requests",
                        "neither",
                        "statusCodeDistribution",
                    )
                })?;
            let all = r.sum_counts(histogram, "responseTimeHistogram", |_| Ok(true))?;
            (all, None)
        }
    };
    let errors = match r.object(top, "errorDistribution", "errorDistribution")? {
        Some(map) => r.sum_counts(map, "errorDistribution", |message| {
            Ok(message != DEADLINE_ERROR)
        })?,
        None => 0,
    };
    let requests = responses
        .checked_add(errors)
        .ok_or_else(|| r.error("counts that add up", "a sum past 2^64", "errorDistribution"))?;
    if requests == 0 {
        return Err(r.error(
            "at least one request",
            "a run with no response and no error other than `aborted due to deadline`",
            "statusCodeDistribution",
        ));
    }

    let mut run = Run::empty(Format::OhaJson.name(), "oha", Exactness::Reported);
    run.requests = Some(requests);
    if let Some(failed_responses) = failed_responses {
        // Both terms are parts of `requests`, which did not overflow.
        let failed = failed_responses + errors;
        run.failed = Some(failed);
        run.error_rate = Some(failed as f64 / requests as f64);
    }
    run.duration_s = r.number(Some(summary), "total", "summary.total")?;
    run.throughput_rps =
        match r.number(Some(summary), "requestsPerSec", "summary.requestsPerSec")? {
            Some(rps) => Some(rps),
            None => r.number(metrics, "requests_per_sec", "metrics.requests_per_sec")?,
        };

    // The seconds figures are oha's own full-precision values; the newer
    // `metrics.latency_ms` block repeats some of them in milliseconds and
    // fills in only where the seconds figure is missing.
    let ms = |key: &str| r.number(metrics_latency, key, &format!("metrics.latency_ms.{key}"));
    let pct = |key: &str| r.seconds_as_ms(percentiles, key, &format!("latencyPercentiles.{key}"));
    // Both sources are read either way, so a malformed fallback is
    // reported even when it is not needed.
    run.latency_ms = Latency {
        min: r
            .seconds_as_ms(Some(summary), "fastest", "summary.fastest")?
            .or(ms("min")?),
        avg: r
            .seconds_as_ms(Some(summary), "average", "summary.average")?
            .or(ms("mean")?),
        p50: pct("p50")?.or(ms("p50")?),
        p90: pct("p90")?,
        p95: pct("p95")?.or(ms("p95")?),
        p99: pct("p99")?.or(ms("p99")?),
        max: r
            .seconds_as_ms(Some(summary), "slowest", "summary.slowest")?
            .or(ms("max")?),
    };
    Ok(run)
}
