//! k6 `--out csv`: one row per metric sample, plain or gzip-compressed.
//!
//! Upstream: grafana/k6 `internal/output/csv/output.go` (`MakeHeader`,
//! `SampleToRow`) and `config.go` (`time_format`)
//! (<https://github.com/grafana/k6>). The header is
//! `metric_name,timestamp,metric_value,<one column per system tag>,extra_tags,metadata`;
//! which tag columns appear depends on the `systemTags` option, so columns
//! are found by name.
//!
//! As for `--out json`, a run needs only `http_req_duration` (latency and
//! tags), `http_req_failed` and the `vus` gauge; every HTTP sample is stamped
//! with the request's end time, so a request starts at its time minus its
//! duration.
//!
//! Pitfalls handled:
//! - `time_format` decides the timestamp: `unix` (whole seconds, the
//!   default), `unix_milli`, `unix_micro`, `unix_nano`, `rfc3339` or
//!   `rfc3339_nano`. The file does not say which, so integers are read by
//!   their magnitude: up to 11 digits are seconds (until the year 5138), 12
//!   to 14 milliseconds, 15 to 17 microseconds, 18 to 20 nanoseconds. With
//!   the default whole seconds, a run's start and duration are known to the
//!   second only; latencies are exact regardless.
//! - Failures come from the `expected_response` column when k6 wrote it,
//!   else from `http_req_failed` rows, never both.
//! - Tag values holding commas or quotes are quoted (Go's `encoding/csv`).

use crate::error::ParseError;
use crate::formats::k6_raw::{Collector, Tags, Wanted};
use crate::formats::{Format, IngestError, Input, Sniffed, single};
use crate::input::{MAX_LINE_BYTES, Source, open_decoded, read_error};
use crate::run::Run;
use crate::time::rfc3339_ms;

const HEADER_START: &[u8] = b"metric_name,timestamp,metric_value";

pub fn sniff(_source: &dyn Source, head: &[u8]) -> Sniffed {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if head.starts_with(HEADER_START) {
        Ok((Format::K6Csv, "result"))
    } else {
        Err("no k6 CSV header (expected metric_name,timestamp,metric_value,...)".to_owned())
    }
}

/// Milliseconds since the epoch of a k6 CSV timestamp, in any `time_format`.
fn timestamp_ms(text: &[u8]) -> Option<f64> {
    if text.iter().all(u8::is_ascii_digit) && !text.is_empty() && text.len() <= 20 {
        let value: u128 = std::str::from_utf8(text).ok()?.parse().ok()?;
        let value = value as f64;
        return Some(match text.len() {
            0..=11 => value * 1000.0,
            12..=14 => value,
            15..=17 => value / 1000.0,
            _ => value / 1_000_000.0,
        });
    }
    rfc3339_ms(text)
}

/// The columns a run is built from, by position.
struct Columns {
    name: Option<usize>,
    url: Option<usize>,
    method: Option<usize>,
    expected_response: Option<usize>,
    scenario: Option<usize>,
}

pub fn parse(inputs: &[Input<'_>]) -> Result<Run, IngestError> {
    let input = single(inputs, Format::K6Csv)?;
    Ok(read(input.source)?)
}

fn read(source: &dyn Source) -> Result<Run, ParseError> {
    let file = source.name();
    let decoded = open_decoded(source).map_err(|e| read_error(file, None, &e))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(decoded);
    let mut record = csv::ByteRecord::new();
    let csv_error = |err: csv::Error, line: u64| {
        let found = match err.kind() {
            csv::ErrorKind::Io(e) => return read_error(file, Some(line), e),
            csv::ErrorKind::Utf8 { .. } => "text that is not UTF-8".to_owned(),
            other => format!("{other:?}"),
        };
        ParseError::new("a CSV row", found)
            .in_file(file)
            .at_line(line, None)
    };
    let has_header = reader
        .read_byte_record(&mut record)
        .map_err(|e| csv_error(e, 1))?;
    let header: Vec<Vec<u8>> = record
        .iter()
        .map(|f| f.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(f).to_vec())
        .collect();
    if !has_header
        || header.len() < 3
        || header[..3]
            != [
                b"metric_name".to_vec(),
                b"timestamp".to_vec(),
                b"metric_value".to_vec(),
            ]
    {
        return Err(ParseError::new(
            "the header metric_name,timestamp,metric_value,...",
            "another first line",
        )
        .in_file(file)
        .at_line(1, None));
    }
    let find = |name: &str| header.iter().position(|h| h == name.as_bytes());
    let columns = Columns {
        name: find("name"),
        url: find("url"),
        method: find("method"),
        expected_response: find("expected_response"),
        scenario: find("scenario"),
    };
    let mut collector = Collector::new(file, Format::K6Csv);
    let mut rows = 0u64;
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => return Err(csv_error(err, line)),
        }
        if record.as_slice().len() > MAX_LINE_BYTES {
            return Err(ParseError::new("a row of at most 4 MiB", "a longer row")
                .in_file(file)
                .at_line(line, None));
        }
        rows += 1;
        let metric = record.get(0).unwrap_or_default();
        let Some(which) = Wanted::of(metric) else {
            continue;
        };
        if record.len() != header.len() {
            return Err(ParseError::new(
                format!("{} columns, as in the header", header.len()),
                format!("{} columns", record.len()),
            )
            .in_file(file)
            .at_line(line, None));
        }
        let field = |i: Option<usize>| i.and_then(|i| record.get(i)).filter(|v| !v.is_empty());
        let text = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
        let raw_time = record.get(1).unwrap_or_default();
        let at_ms = timestamp_ms(raw_time).ok_or_else(|| {
            ParseError::new(
                "a timestamp in one of k6's time formats (unix seconds, milli-, micro- or nanoseconds, or RFC 3339)",
                format!("`{}`", text(raw_time)),
            )
            .in_file(file)
            .at_line(line, None)
            .at_field("timestamp")
        })?;
        let raw_value = record.get(2).unwrap_or_default();
        let value: f64 = std::str::from_utf8(raw_value)
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| {
                ParseError::new("a number of zero or more", format!("`{}`", text(raw_value)))
                    .in_file(file)
                    .at_line(line, None)
                    .at_field("metric_value")
            })?;
        let tag = |i: Option<usize>| field(i).and_then(|v| std::str::from_utf8(v).ok());
        let tags = Tags {
            name: tag(columns.name),
            url: tag(columns.url),
            method: tag(columns.method),
            expected_response: tag(columns.expected_response),
            scenario: tag(columns.scenario),
        };
        collector.add(which, at_ms, value, tags);
    }
    if rows == 0 {
        return Err(ParseError::new("sample rows after the header", "none")
            .in_file(file)
            .at_line(2, None));
    }
    collector.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_every_time_format() {
        assert_eq!(timestamp_ms(b"1641298536"), Some(1_641_298_536_000.0));
        assert_eq!(timestamp_ms(b"1641298536123"), Some(1_641_298_536_123.0));
        assert_eq!(
            timestamp_ms(b"1641298536123456"),
            Some(1_641_298_536_123.456)
        );
        assert_eq!(
            timestamp_ms(b"1641298536123456789"),
            Some(1_641_298_536_123.456_8)
        );
        assert_eq!(
            timestamp_ms(b"2022-01-04T12:15:36Z"),
            Some(1_641_298_536_000.0)
        );
        assert_eq!(
            timestamp_ms(b"2022-01-04T12:15:36.123456789Z"),
            Some(1_641_298_536_123.456_8)
        );
        assert_eq!(timestamp_ms(b"soon"), None);
        assert_eq!(timestamp_ms(b""), None);
    }
}
