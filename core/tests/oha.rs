//! The oha JSON parser.
//!
//! No real oha JSON output with a licence that allows copying was found, so
//! the documents here are written by hand in the shape hatoo/oha's
//! `src/printer.rs` (`print_json`) serializes, with figures chosen so that
//! they agree the way `src/result_data.rs` computes them: `successRate` is
//! responses over responses plus non-deadline errors, `requestsPerSec` is
//! every request (deadline cancellations included) over `total`, and the
//! non-finite statistics of no response are written as null. Each expected figure is worked out by
//! hand in the comment next to it.

use readiness_core::formats::{Format, IngestError, ingest, parse_run};
use readiness_core::input::MemorySource;
use readiness_core::run::{Exactness, ScenarioKind};

fn assert_close(actual: Option<f64>, expected: f64) {
    let actual = actual.expect("figure is present");
    assert!(
        (actual - expected).abs() <= expected.abs() * 1e-12,
        "{actual} != {expected}"
    );
}

/// oha 1.x (`-z 10s`), pretty-printed as `serde_json::to_writer_pretty`
/// writes it: 197 responses (180 × 200, 12 × 404, 5 × 503), 3 connection
/// errors and 4 requests cancelled at the deadline.
const FULL: &str = r#"{
  "summary": {
    "successRate": 0.985,
    "total": 10.002,
    "slowest": 1.2345678,
    "fastest": 0.0012345,
    "average": 0.0456789,
    "requestsPerSec": 20.39592081583683,
    "totalData": 100864,
    "sizePerRequest": 512,
    "sizePerSec": 10084.383123375324
  },
  "responseTimeHistogram": {
    "0.012345654545454547": 60,
    "0.024691309090909094": 30,
    "0.03703696363636364": 25,
    "0.04938261818181819": 40,
    "0.061728272727272736": 10,
    "0.07407392727272728": 8,
    "0.08641958181818182": 7,
    "0.09876523636363638": 3,
    "0.11111089090909093": 2,
    "0.12345654545454547": 2,
    "0.1358022": 10
  },
  "latencyPercentiles": {
    "p10": 0.0021,
    "p25": 0.0102,
    "p50": 0.0301,
    "p75": 0.0456,
    "p90": 0.0789,
    "p95": 0.1234,
    "p99": 0.9876,
    "p99.9": 1.2345678,
    "p99.99": 1.2345678
  },
  "firstByteHistogram": {
    "0.001": 197
  },
  "firstBytePercentiles": {
    "p10": 0.001,
    "p25": 0.001,
    "p50": 0.002,
    "p75": 0.003,
    "p90": 0.004,
    "p95": 0.005,
    "p99": 0.006,
    "p99.9": 0.007,
    "p99.99": 0.007
  },
  "rps": {
    "mean": 21.5,
    "stddev": 3.25,
    "max": 40.0,
    "min": 5.0,
    "percentiles": {
      "p10": 12.0,
      "p25": 18.0,
      "p50": 21.0,
      "p75": 24.0,
      "p90": 28.0,
      "p95": 31.0,
      "p99": 38.0,
      "p99.9": 40.0,
      "p99.99": 40.0
    }
  },
  "details": {
    "DNSDialup": {
      "average": 0.0012,
      "fastest": 0.0009,
      "slowest": 0.0015
    },
    "DNSLookup": {
      "average": 0.0001,
      "fastest": 0.00005,
      "slowest": 0.0002
    },
    "firstByte": {
      "average": 0.003,
      "fastest": 0.001,
      "slowest": 0.007
    }
  },
  "statusCodeDistribution": {
    "200": 180,
    "404": 12,
    "503": 5
  },
  "errorDistribution": {
    "aborted due to deadline": 4,
    "connection closed before message completed": 3
  }
}
"#;

#[test]
fn every_figure_of_an_oha_summary_is_read_and_converted_to_ms() {
    let run = parse_run("oha.json", FULL.as_bytes(), None).unwrap();
    assert_eq!(run.format, "oha-json");
    assert_eq!(run.tool, "oha");
    assert_eq!(run.tool_version, None, "oha does not write its version");
    assert_eq!(run.exactness, Exactness::Reported);
    assert_eq!(run.error_bound, None);
    assert_eq!(run.scenario, ScenarioKind::Unspecified);
    // 180 + 12 + 5 responses and 3 connection errors; the 4 requests cut
    // off by the deadline are not requests.
    assert_eq!(run.requests, Some(200));
    // 12 × 404 + 5 × 503 + 3 errors.
    assert_eq!(run.failed, Some(20));
    assert_close(run.error_rate, 20.0 / 200.0);
    // `total` is the run's duration in seconds.
    assert_close(run.duration_s, 10.002);
    // oha's own figure: (197 + 3 + 4) / 10.002.
    assert_close(run.throughput_rps, 204.0 / 10.002);
    assert_eq!(run.vus_max, None, "the concurrency is not in the JSON");
    assert_eq!(run.started_at, None, "nor is the start time");
    // Seconds × 1000.
    assert_close(run.latency_ms.min, 1.2345);
    assert_close(run.latency_ms.avg, 45.6789);
    assert_close(run.latency_ms.p50, 30.1);
    assert_close(run.latency_ms.p90, 78.9);
    assert_close(run.latency_ms.p95, 123.4);
    assert_close(run.latency_ms.p99, 987.6);
    assert_close(run.latency_ms.max, 1234.5678);
    assert!(run.endpoints.is_empty(), "oha's JSON has no URL");
    assert!(run.series.is_none(), "a summary has no time series");
    assert!(run.thresholds.is_empty());
}

/// Newer oha adds a `metrics` block in milliseconds (CHANGELOG #882). The
/// seconds figures stay the source; the block only fills in what is
/// missing.
const WITH_METRICS: &str = r#"{
  "summary": {"successRate": 1.0, "total": 2.0, "slowest": 0.05, "fastest": 0.001,
              "average": 0.01, "requestsPerSec": 50.0, "totalData": 0,
              "sizePerRequest": 0, "sizePerSec": 0.0},
  "metrics": {"success_rate": 1.0, "requests_per_sec": 50.0,
              "latency_ms": {"min": 1.0, "mean": 10.0, "p50": 8.0, "p95": 30.0,
                             "p99": 45.0, "max": 50.0}},
  "responseTimeHistogram": {"0.0026363636363636363": 20, "0.005272727272727273": 25, "0.007909090909090909": 20, "0.010545454545454545": 10, "0.013181818181818182": 8, "0.015818181818181818": 5, "0.018454545454545453": 4, "0.02109090909090909": 3, "0.02372727272727273": 2, "0.026363636363636363": 1, "0.028999999999999998": 2},
  "latencyPercentiles": {"p10": 0.002, "p25": 0.004, "p50": 0.0081, "p75": 0.012,
                         "p90": 0.02, "p95": 0.0301, "p99": 0.0451,
                         "p99.9": 0.05, "p99.99": 0.05},
  "statusCodeDistribution": {"200": 100},
  "errorDistribution": {}
}"#;

#[test]
fn seconds_figures_win_over_the_newer_millisecond_block() {
    let run = parse_run("oha.json", WITH_METRICS.as_bytes(), None).unwrap();
    assert_eq!(run.requests, Some(100));
    assert_eq!(run.failed, Some(0));
    assert_eq!(run.error_rate, Some(0.0));
    assert_close(run.duration_s, 2.0);
    assert_close(run.throughput_rps, 50.0);
    assert_close(run.latency_ms.min, 1.0);
    assert_close(run.latency_ms.avg, 10.0);
    // 0.0081 s, not the block's 8.0 ms.
    assert_close(run.latency_ms.p50, 8.1);
    assert_close(run.latency_ms.p90, 20.0);
    assert_close(run.latency_ms.p95, 30.1);
    assert_close(run.latency_ms.p99, 45.1);
    assert_close(run.latency_ms.max, 50.0);
}

#[test]
fn the_millisecond_block_fills_in_missing_seconds_figures() {
    // The same run trimmed to the CI-friendly block: no percentiles in
    // seconds and no latency figures in the summary.
    let doc = r#"{
      "summary": {"successRate": 1.0, "total": 2.0, "totalData": 0},
      "metrics": {"success_rate": 1.0, "requests_per_sec": 50.0,
                  "latency_ms": {"min": 1.0, "mean": 10.0, "p50": 8.0, "p95": 30.0,
                                 "p99": 45.0, "max": 50.0}},
      "statusCodeDistribution": {"200": 100}
    }"#;
    let run = parse_run("oha.json", doc.as_bytes(), None).unwrap();
    assert_eq!(run.format, "oha-json");
    assert_eq!(run.requests, Some(100));
    assert_eq!(run.failed, Some(0));
    assert_close(run.duration_s, 2.0);
    assert_close(run.throughput_rps, 50.0);
    assert_close(run.latency_ms.min, 1.0);
    assert_close(run.latency_ms.avg, 10.0);
    assert_close(run.latency_ms.p50, 8.0);
    assert_eq!(run.latency_ms.p90, None, "the block has no p90");
    assert_close(run.latency_ms.p95, 30.0);
    assert_close(run.latency_ms.p99, 45.0);
    assert_close(run.latency_ms.max, 50.0);
}

#[test]
fn a_run_without_responses_has_null_latencies_and_only_failures() {
    // Every request was refused: the latency statistics of no response are
    // not finite in oha and written as null; the histogram has a single
    // `NaN` key.
    let doc = r#"{
      "summary": {"successRate": 0.0, "total": 1.0024, "slowest": null, "fastest": null,
                  "average": null, "requestsPerSec": 26.93535514764565, "totalData": 0,
                  "sizePerRequest": null, "sizePerSec": 0.0},
      "responseTimeHistogram": {"NaN": 0},
      "latencyPercentiles": {"p10": null, "p25": null, "p50": null, "p75": null,
                             "p90": null, "p95": null, "p99": null,
                             "p99.9": null, "p99.99": null},
      "rps": {"mean": 0.0, "stddev": 0.0, "max": null, "min": null, "percentiles": {}},
      "details": {"DNSDialup": {"average": 0.0, "fastest": null, "slowest": null},
                  "DNSLookup": {"average": 0.0, "fastest": null, "slowest": null}},
      "statusCodeDistribution": {},
      "errorDistribution": {"aborted due to deadline": 2,
                            "error trying to connect: tcp connect error: Connection refused (os error 111)": 25}
    }"#;
    let run = parse_run("refused.json", doc.as_bytes(), None).unwrap();
    // 25 refused connections; the 2 deadline cancellations are not requests.
    assert_eq!(run.requests, Some(25));
    assert_eq!(run.failed, Some(25));
    assert_close(run.error_rate, 1.0);
    assert_close(run.duration_s, 1.0024);
    // (25 + 2) / 1.0024, as oha computed it.
    assert_close(run.throughput_rps, 27.0 / 1.0024);
    let latency = &run.latency_ms;
    for figure in [
        latency.min,
        latency.avg,
        latency.p50,
        latency.p90,
        latency.p95,
        latency.p99,
        latency.max,
    ] {
        assert_eq!(figure, None);
    }
}

#[test]
fn a_run_cut_off_entirely_by_the_deadline_is_empty() {
    let doc = r#"{"summary": {"successRate": null, "total": 1.0, "requestsPerSec": 3.0},
                  "responseTimeHistogram": {"NaN": 0},
                  "statusCodeDistribution": {},
                  "errorDistribution": {"aborted due to deadline": 3}}"#;
    let err = parse_run("deadline.json", doc.as_bytes(), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "deadline.json, field `statusCodeDistribution`: expected at least one request, found a \
         run with no response and no error other than `aborted due to deadline`"
    );
}

#[test]
fn without_status_codes_the_histogram_counts_responses_and_failures_are_unknown() {
    let doc = r#"{"summary": {"successRate": 1.0, "total": 1.0, "requestsPerSec": 10.0},
                  "responseTimeHistogram": {"0.01": 7, "0.02": 3},
                  "errorDistribution": {"timeout": 2}}"#;
    let run = parse_run("oha.json", doc.as_bytes(), None).unwrap();
    // 7 + 3 responses and 2 timeouts; which responses failed is unknown.
    assert_eq!(run.requests, Some(12));
    assert_eq!(run.failed, None);
    assert_eq!(run.error_rate, None);
}

#[test]
fn detection_tells_oha_from_k6_and_from_oha_s_own_schema() {
    let source = MemorySource::new("result.json", FULL);
    let run = ingest(&[&source], None).unwrap();
    assert_eq!(run.format, Format::OhaJson.name());

    // A k6 summary is JSON too, and stays a k6 summary.
    let k6 = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/k6/k6-reporter-handlesummary-simple.json"
    ))
    .unwrap();
    assert_eq!(
        parse_run("k6.json", &k6, None).unwrap().format,
        "k6-summary"
    );

    // The schema names oha's keys under `properties`; it is not an output.
    let schema = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/oha/oha-1.15.0-output-schema.json"
    ))
    .unwrap();
    let err = parse_run("schema.json", &schema, None).unwrap_err();
    let IngestError::UnknownFormat { tried, .. } = &err else {
        panic!("expected an unknown format, got {err:?}");
    };
    let (_, why) = tried
        .iter()
        .find(|(family, _)| *family == "oha JSON")
        .unwrap();
    assert_eq!(why, "no `summary` object with `successRate`");
}

#[test]
fn truncated_json_is_detected_as_oha_and_points_at_the_end() {
    let cut = &FULL.as_bytes()[..FULL.len() / 2];
    let err = parse_run("oha.json", cut, None).unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with("oha.json, line "), "{message}");
    assert!(message.contains("column "), "{message}");
    assert!(
        message
            .ends_with("expected valid JSON, found the end of the input (the file is truncated)"),
        "{message}"
    );
}

#[test]
fn a_wrong_value_names_the_field() {
    let doc = FULL.replace("\"total\": 10.002", "\"total\": \"10s\"");
    let err = parse_run("oha.json", doc.as_bytes(), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "oha.json, field `summary.total`: expected a number, found a string"
    );

    let doc = FULL.replace("\"404\": 12", "\"4xx\": 12");
    let err = parse_run("oha.json", doc.as_bytes(), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "oha.json, field `statusCodeDistribution.4xx`: expected an HTTP status code as the key, \
         found `4xx`"
    );

    let doc = FULL.replace("\"503\": 5", "\"503\": -5");
    let err = parse_run("oha.json", doc.as_bytes(), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "oha.json, field `statusCodeDistribution.503`: expected a whole, non-negative count, \
         found -5"
    );

    let doc = FULL.replace("\"p95\": 0.1234", "\"p95\": -0.1");
    let err = parse_run("oha.json", doc.as_bytes(), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "oha.json, field `latencyPercentiles.p95`: expected a non-negative number, found -0.1"
    );
}

#[test]
fn a_forced_oha_format_on_other_json_says_what_is_missing() {
    let err = parse_run("x.json", br#"{"metrics": {}}"#, Some(Format::OhaJson)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "x.json, field `summary`: expected oha's `summary` object, found none"
    );
}

#[test]
fn no_cut_or_corrupted_document_makes_the_parser_panic() {
    for input in [FULL.as_bytes(), WITH_METRICS.as_bytes()] {
        for end in 0..input.len() {
            let _ = parse_run("cut.json", &input[..end], Some(Format::OhaJson));
        }
        for i in 0..input.len() {
            for byte in [b'9', b'-', b'"', b'{', b'e', 0xff] {
                let mut bytes = input.to_vec();
                bytes[i] = byte;
                let _ = parse_run("bad.json", &bytes, None);
            }
        }
    }
}
