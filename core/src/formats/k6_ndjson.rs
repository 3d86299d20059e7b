//! k6 `--out json`: newline-delimited JSON with one object per metric
//! sample, plain or gzip-compressed.
//!
//! Upstream: grafana/k6 `internal/output/json/wrapper.go` (the record
//! shapes) and `lib/netext/httpext/trail.go` (`SaveSamples`: every HTTP
//! sample is stamped with the request's end time)
//! (<https://github.com/grafana/k6>).
//!
//! Only three metrics matter for a run: `http_req_duration` (one sample per
//! request, with its latency and tags), `http_req_failed` (whether it
//! failed) and the `vus` gauge. The other ~10 samples k6 writes per request
//! are skipped before they are decoded, which is what makes this parser
//! fast: k6 writes Point records with `"metric"` as the first key, so its
//! name can be read from the line's start.
//!
//! Pitfalls handled:
//! - Key order differs between Metric and Point records: anything that does
//!   not start the usual way is decoded in full.
//! - Sample times carry the machine's UTC offset and nanoseconds.
//! - A request's start is its sample time minus its duration.
//! - Failures come from the `expected_response` tag on the duration sample
//!   when k6 wrote it, else from `http_req_failed` samples (never both, so
//!   nothing is counted twice).
//! - A test of gRPC calls only has `grpc_req_duration`; its figures are used
//!   when there is no HTTP request at all.
//! - The output holds threshold definitions but not their outcomes, so the
//!   run lists no thresholds.

use crate::error::ParseError;
use crate::formats::k6_raw::{self, Collector, Wanted};
use crate::formats::{Format, IngestError, Input, Sniffed, single};
use crate::input::{Lines, Source};
use crate::run::Run;
use crate::time::rfc3339_ms;
use serde::Deserialize;
use std::borrow::Cow;

pub fn sniff(_source: &dyn Source, head: &[u8]) -> Sniffed {
    let first = head
        .split(|b| *b == b'\n')
        .map(<[u8]>::trim_ascii)
        .find(|line| !line.is_empty())
        .unwrap_or_default();
    if !first.starts_with(b"{") {
        return Err("the first line is not a JSON object".to_owned());
    }
    match serde_json::from_slice::<Record<'_>>(first) {
        Ok(record) if matches!(&*record.kind, "Metric" | "Point") => {
            Ok((Format::K6Ndjson, "result"))
        }
        Ok(record) => Err(format!(
            "the first line's `type` is `{}`, not `Metric` or `Point`",
            record.kind
        )),
        Err(_) => Err(
            "the first line is not a k6 output record ({\"type\": \"Metric\"|\"Point\", \"metric\", \"data\"})"
                .to_owned(),
        ),
    }
}

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    metric: Cow<'a, str>,
    #[serde(borrow, default)]
    data: Option<Data<'a>>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow, default)]
    time: Option<Cow<'a, str>>,
    #[serde(default)]
    value: Option<f64>,
    #[serde(borrow, default)]
    tags: Option<Tags<'a>>,
}

#[derive(Deserialize, Default)]
struct Tags<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    url: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    expected_response: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    scenario: Option<Cow<'a, str>>,
}

/// The metric name of a Point record as k6 writes it
/// (`{"metric":"<name>","type":"Point",...}`), or `None` when the line
/// starts otherwise and must be decoded in full to know.
fn leading_metric(line: &[u8]) -> Option<&[u8]> {
    let rest = line.strip_prefix(b"{\"metric\":\"")?;
    let end = memchr::memchr2(b'"', b'\\', rest)?;
    (rest[end] == b'"').then(|| &rest[..end])
}

pub fn parse(inputs: &[Input<'_>]) -> Result<Run, IngestError> {
    let input = single(inputs, Format::K6Ndjson)?;
    let file = input.source.name();
    let mut lines = Lines::new(input.source)?;
    let mut collector = Collector::new(file, Format::K6Ndjson);
    let mut records = 0u64;

    while let Some((at, line)) = lines.next_numbered()? {
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        records += 1;
        let error = |expected: &str, found: String| {
            ParseError::new(expected, found)
                .in_file(file)
                .at_line(at, None)
        };
        let invalid = |e: serde_json::Error| {
            let found = match e.classify() {
                serde_json::error::Category::Eof => {
                    "a line cut short (the file is truncated)".to_owned()
                }
                _ => e.to_string(),
            };
            error("a k6 JSON output record", found)
        };
        if let Some(metric) = leading_metric(line)
            && Wanted::of(metric).is_none()
        {
            // Not needed for the run, but still checked: a corrupt or cut
            // line anywhere means the file is not what k6 wrote.
            serde_json::from_slice::<serde::de::IgnoredAny>(line).map_err(invalid)?;
            continue;
        }
        let record: Record<'_> = serde_json::from_slice(line).map_err(invalid)?;
        if record.kind != "Point" {
            continue;
        }
        let Some(which) = Wanted::of(record.metric.as_bytes()) else {
            continue;
        };
        let Some(data) = record.data else {
            return Err(error("a `data` object", "none".to_owned()).into());
        };
        let time = data
            .time
            .as_deref()
            .ok_or_else(|| error("a sample `time`", "none".to_owned()))?;
        let at_ms = rfc3339_ms(time.as_bytes())
            .ok_or_else(|| error("an RFC 3339 sample time", format!("`{time}`")))?;
        let value = data
            .value
            .filter(|v| v.is_finite())
            .ok_or_else(|| error("a numeric sample `value`", "none".to_owned()))?;
        if value < 0.0 {
            return Err(error("a sample value of zero or more", value.to_string()).into());
        }
        let tags = data.tags.unwrap_or_default();
        let tags = k6_raw::Tags {
            name: tags.name.as_deref(),
            url: tags.url.as_deref(),
            method: tags.method.as_deref(),
            expected_response: tags.expected_response.as_deref(),
            scenario: tags.scenario.as_deref(),
        };
        collector.add(which, at_ms, value, tags);
    }
    if records == 0 {
        return Err(IngestError::Empty {
            file: file.to_owned(),
        });
    }
    Ok(collector.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metric_name_is_read_from_the_line_start() {
        assert_eq!(
            leading_metric(br#"{"metric":"http_reqs","type":"Point"}"#),
            Some(&b"http_reqs"[..])
        );
        assert_eq!(leading_metric(br#"{"type":"Metric","metric":"x"}"#), None);
        assert_eq!(leading_metric(br#"{"metric":"a\"b","type":"Point"}"#), None);
    }
}
