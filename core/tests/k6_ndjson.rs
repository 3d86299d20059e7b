//! The k6 `--out json` parser over a real k6 output (tests/fixtures/k6, see
//! tests/fixtures/PROVENANCE.md). Expected figures were computed by a
//! separate Python script that decodes every line with `json`, keeps the
//! `http_req_duration` Points, and applies k6's percentile rule
//! (rank = p/100 * (n - 1), linear interpolation).

use flate2::Compression;
use flate2::write::GzEncoder;
use readiness_core::formats::{Format, IngestError, parse_run};
use readiness_core::run::{Exactness, ScenarioKind};
use std::io::Write;

const FIXTURE: &str = "xk6-dashboard-out-json-result.ndjson";

fn fixture() -> Vec<u8> {
    let path = format!("{}/tests/fixtures/k6/{FIXTURE}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn close(actual: Option<f64>, expected: f64, tolerance: f64) {
    let actual = actual.expect("figure is present");
    assert!(
        (actual - expected).abs() <= tolerance,
        "{actual} != {expected} (± {tolerance})"
    );
}

#[test]
fn raw_samples_give_exact_figures() {
    let run = parse_run(FIXTURE, &fixture(), None).unwrap();
    assert_eq!(run.format, "k6-ndjson");
    assert_eq!(run.exactness, Exactness::Exact);
    assert_eq!(run.requests, Some(322));
    assert_eq!(run.failed, Some(0));
    assert_eq!(run.error_rate, Some(0.0));
    assert_eq!(run.vus_max, Some(2));
    close(run.latency_ms.min, 119.795836, 1e-9);
    close(run.latency_ms.max, 129.254921, 1e-9);
    close(run.latency_ms.avg, 122.46639151552793, 1e-9);
    close(run.latency_ms.p50, 121.843412, 1e-9);
    close(run.latency_ms.p90, 124.8793207, 1e-9);
    close(run.latency_ms.p95, 125.2926859, 1e-9);
    close(run.latency_ms.p99, 126.49753705, 1e-9);
    // From the first request's start to the last sample, in seconds.
    close(run.duration_s, 20.021314453125, 1e-5);
    close(run.throughput_rps, 16.082860131580475, 1e-5);
    assert_eq!(
        run.started_at.unwrap().to_rfc3339(),
        "2023-09-08T19:03:10.428+00:00"
    );
    // The scenario is called `contacts`, which is no scenario kind.
    assert_eq!(run.scenario, ScenarioKind::Unspecified);
    assert!(run.thresholds.is_empty(), "the output holds no outcomes");

    let endpoints: Vec<(&str, Option<&str>, Option<u64>)> = run
        .endpoints
        .iter()
        .map(|e| (e.name.as_str(), e.method.as_deref(), e.requests))
        .collect();
    assert_eq!(
        endpoints,
        [
            ("http://test.k6.io", Some("GET"), Some(161)),
            ("https://test.k6.io/", Some("GET"), Some(161)),
        ]
    );
    close(run.endpoints[0].latency_ms.p95, 122.694815, 1e-9);
    close(run.endpoints[1].latency_ms.p95, 125.767304, 1e-9);

    let series = run.series.expect("raw samples give a time series");
    assert_eq!(series.bucket_s, 1.0);
    assert_eq!(series.points.len(), 21);
    assert_eq!(series.points.iter().map(|p| p.requests).sum::<u64>(), 322);
    assert!(series.points.iter().any(|p| p.vus == Some(2)));
}

#[test]
fn gzip_output_gives_the_same_run() {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(&fixture()).unwrap();
    let gz = encoder.finish().unwrap();
    let plain = parse_run(FIXTURE, &fixture(), None).unwrap();
    let compressed = parse_run("result.json.gz", &gz, None).unwrap();
    assert_eq!(plain, compressed);
}

fn point(metric: &str, time: &str, value: f64, tags: &str) -> String {
    format!(
        r#"{{"metric":"{metric}","type":"Point","data":{{"time":"{time}","value":{value},"tags":{{{tags}}}}}}}"#
    )
}

#[test]
fn failures_come_from_expected_response_or_else_from_http_req_failed() {
    let tagged = [
        point(
            "http_req_duration",
            "2026-01-02T10:00:00Z",
            10.0,
            r#""name":"a","expected_response":"true""#,
        ),
        point(
            "http_req_duration",
            "2026-01-02T10:00:01Z",
            20.0,
            r#""name":"a","expected_response":"false""#,
        ),
        // Ignored: the duration samples already say which request failed.
        point(
            "http_req_failed",
            "2026-01-02T10:00:01Z",
            1.0,
            r#""name":"a""#,
        ),
    ]
    .join("\n");
    let run = parse_run("a.json", tagged.as_bytes(), None).unwrap();
    assert_eq!((run.requests, run.failed), (Some(2), Some(1)));

    let untagged = [
        point(
            "http_req_duration",
            "2026-01-02T10:00:00Z",
            10.0,
            r#""name":"a""#,
        ),
        point(
            "http_req_duration",
            "2026-01-02T10:00:01Z",
            20.0,
            r#""name":"a""#,
        ),
        point(
            "http_req_failed",
            "2026-01-02T10:00:00Z",
            0.0,
            r#""name":"a""#,
        ),
        point(
            "http_req_failed",
            "2026-01-02T10:00:01Z",
            1.0,
            r#""name":"a""#,
        ),
        point(
            "http_req_failed",
            "2026-01-02T10:00:01Z",
            1.0,
            r#""name":"a""#,
        ),
    ]
    .join("\n");
    let run = parse_run("b.json", untagged.as_bytes(), None).unwrap();
    assert_eq!((run.requests, run.failed), (Some(2), Some(2)));

    let silent = point(
        "http_req_duration",
        "2026-01-02T10:00:00Z",
        10.0,
        r#""name":"a""#,
    );
    let run = parse_run("c.json", silent.as_bytes(), None).unwrap();
    assert_eq!(run.failed, None, "nothing said whether requests failed");
}

#[test]
fn the_scenario_tag_names_the_kind_when_it_is_one() {
    let lines = [
        point(
            "http_req_duration",
            "2026-01-02T10:00:00Z",
            10.0,
            r#""name":"a","scenario":"soak""#,
        ),
        point(
            "http_req_duration",
            "2026-01-02T10:00:01Z",
            10.0,
            r#""name":"a","scenario":"soak""#,
        ),
    ]
    .join("\n");
    let run = parse_run("soak.json", lines.as_bytes(), None).unwrap();
    assert_eq!(run.scenario, ScenarioKind::Soak);
}

#[test]
fn a_bad_line_in_the_middle_names_its_line() {
    let mut text = String::from_utf8(fixture()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut broken: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    // Line 103 is an http_req_duration sample; its value becomes text.
    assert!(broken[102].starts_with(r#"{"metric":"http_req_duration""#));
    broken[102] = broken[102].replace("\"value\":", "\"value\":\"oops\",\"x\":");
    // Line 200 is a sample the run does not use; it is cut in half.
    let half = broken[199].len() / 2;
    broken[199].truncate(half);
    text = broken.join("\n");
    let err = parse_run("run.json", text.as_bytes(), Some(Format::K6Ndjson)).unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("run.json, line 103: expected "),
        "{message}"
    );
    let text = text.replace("\"value\":\"oops\",\"x\":", "\"value\":");
    let err = parse_run("run.json", text.as_bytes(), Some(Format::K6Ndjson)).unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("run.json, line 200: expected a k6 JSON output record"),
        "{message}"
    );
}

#[test]
fn a_bad_time_names_its_line_and_what_was_expected() {
    let lines = [
        point("http_req_duration", "2026-01-02T10:00:00Z", 10.0, ""),
        point("http_req_duration", "yesterday", 10.0, ""),
    ]
    .join("\n");
    let err = parse_run("run.json", lines.as_bytes(), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "run.json, line 2: expected an RFC 3339 sample time, found `yesterday`"
    );
}

#[test]
fn a_truncated_file_says_so() {
    let bytes = fixture();
    let cut = &bytes[..bytes.len() - 40];
    let err = parse_run("run.json", cut, None).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("line 3597"), "{message}");
    assert!(message.contains("truncated"), "{message}");
}

#[test]
fn a_truncated_gzip_file_says_so() {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(&fixture()).unwrap();
    let gz = encoder.finish().unwrap();
    let err = parse_run("run.json.gz", &gz[..gz.len() / 2], None).unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with("run.json.gz, line "), "{message}");
    assert!(message.contains("truncated"), "{message}");
}

#[test]
fn metric_definitions_without_samples_are_an_empty_run() {
    let only_metrics: String = String::from_utf8(fixture())
        .unwrap()
        .lines()
        .filter(|l| l.starts_with(r#"{"type":"Metric""#))
        .collect::<Vec<_>>()
        .join("\n");
    let err = parse_run("run.json", only_metrics.as_bytes(), None).unwrap_err();
    assert!(
        err.to_string()
            .contains("expected http_req_duration or grpc_req_duration samples"),
        "{err}"
    );
    assert!(matches!(
        parse_run("run.json", b"\n\n", Some(Format::K6Ndjson)),
        Err(IngestError::Empty { .. })
    ));
}
