//! The k6 summary parser over real k6 outputs (tests/fixtures/k6, see
//! tests/fixtures/PROVENANCE.md).

use readiness_core::formats::{Format, IngestError, parse_run};
use readiness_core::run::{Exactness, ScenarioKind};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/k6/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn assert_close(actual: Option<f64>, expected: f64) {
    let actual = actual.expect("figure is present");
    assert!(
        (actual - expected).abs() <= expected.abs() * 1e-12,
        "{actual} != {expected}"
    );
}

#[test]
fn handle_summary_figures_are_reported_as_k6_wrote_them() {
    let name = "k6-reporter-handlesummary-simple.json";
    let run = parse_run(name, &fixture(name), None).unwrap();
    assert_eq!(run.format, "k6-summary");
    assert_eq!(run.tool, "k6");
    assert_eq!(run.exactness, Exactness::Reported);
    assert_eq!(run.scenario, ScenarioKind::Unspecified);
    assert_eq!(run.requests, Some(878));
    // http_req_failed counts failed requests as its passes.
    assert_eq!(run.failed, Some(349));
    assert_close(run.error_rate, 0.39749430523917995);
    assert_close(run.throughput_rps, 35.94634922417172);
    assert_close(run.duration_s, 24.425289882);
    assert_eq!(run.vus_max, Some(20));
    assert_close(run.latency_ms.p50, 20.090773);
    assert_close(run.latency_ms.p90, 26.358651200000008);
    assert_close(run.latency_ms.p95, 30.0256841);
    assert_close(run.latency_ms.p99, 39.577136380000084);
    assert_close(run.latency_ms.min, 0.259855);
    assert_close(run.latency_ms.max, 143.326605);
    assert!(run.started_at.is_none(), "a summary has no start time");
    assert!(run.series.is_none(), "a summary has no time series");
    let thresholds: Vec<(&str, &str, bool)> = run
        .thresholds
        .iter()
        .map(|t| (t.metric.as_str(), t.expression.as_str(), t.ok))
        .collect();
    assert_eq!(
        thresholds,
        [
            ("http_req_duration", "p(95)<1000", true),
            ("iteration_duration", "max<4000", true)
        ]
    );
}

#[test]
fn a_default_summary_has_no_p99_and_it_stays_null() {
    let name = "k6-html-reporter-handlesummary-groups.json";
    let run = parse_run(name, &fixture(name), None).unwrap();
    assert_eq!(run.latency_ms.p99, None);
    assert_close(run.latency_ms.p95, 44.55441999999999);
    // This summary predates `state`, so the duration is unknown.
    assert_eq!(run.duration_s, None);
    // Nor does it have http_req_failed: errors are unknown, not zero.
    assert_eq!(run.failed, None);
    assert_eq!(run.error_rate, None);
    assert_eq!(run.vus_max, Some(9));
    let failed: Vec<&str> = run
        .thresholds
        .iter()
        .filter(|t| !t.ok)
        .map(|t| t.expression.as_str())
        .collect();
    assert_eq!(
        failed,
        ["rate>0.9", "rate < 0.1", "p(90) < 4", "count > 1000"]
    );
}

#[test]
fn a_grpc_only_summary_takes_its_figures_from_grpc_metrics() {
    let name = "k6-reporter-handlesummary-grpc.json";
    let run = parse_run(name, &fixture(name), None).unwrap();
    assert_eq!(run.requests, Some(9615));
    assert_close(run.latency_ms.p95, 2.5228431999999996);
    assert_eq!(run.error_rate, None);
    assert_eq!(run.vus_max, Some(9));
}

#[test]
fn legacy_thresholds_are_inverted_and_kept_only_where_they_apply() {
    let name = "k6-html-reporter-legacy-summary-export-groups-thresholds.json";
    let run = parse_run(name, &fixture(name), None).unwrap();
    assert_eq!(run.format, "k6-summary-legacy");
    assert_eq!(run.requests, Some(105));
    assert_close(run.latency_ms.p90, 595.15002);
    let thresholds: Vec<(&str, &str, bool)> = run
        .thresholds
        .iter()
        .map(|t| (t.metric.as_str(), t.expression.as_str(), t.ok))
        .collect();
    // `true` in the legacy export means the threshold FAILED: p(90) was
    // 595 ms against 400. The copies on data_received and vus are dropped.
    assert_eq!(
        thresholds,
        [
            ("checks", "rate>0.90", true),
            ("http_req_duration", "p(90) < 400", false),
            ("http_req_duration", "p(95) < 1000", true),
        ]
    );
}

#[test]
fn legacy_basic_export_has_no_thresholds_and_no_error_figures() {
    let name = "k6-html-reporter-legacy-summary-export-basic.json";
    let run = parse_run(name, &fixture(name), None).unwrap();
    assert_eq!(run.requests, Some(29));
    assert!(run.thresholds.is_empty());
    assert_eq!(run.error_rate, None);
    assert_eq!(run.vus_max, Some(7));
    assert_eq!(run.latency_ms.p99, None);
}

/// The machine-readable summary has no public example output; this document
/// follows the shape of grafana/k6 `internal/lib/summary/machinereadable`.
#[test]
fn machine_readable_summary_uses_matches_and_total() {
    let doc = br#"{"version":"1.0.0",
        "metadata":{"generatedAt":"2026-01-02T10:10:00Z","k6Version":"v1.5.0"},
        "config":{"duration":600.0,"execution":"local"},
        "results":{"metrics":[
            {"name":"http_reqs","type":"counter","contains":"default","values":{"count":20000}},
            {"name":"http_req_failed","type":"rate","contains":"default",
             "values":{"matches":56,"total":20000,"rate":0.0028}},
            {"name":"http_req_duration","type":"trend","contains":"time",
             "values":{"avg":175.2,"min":5.3,"med":138.4,"max":1776.5,"p(90)":342.7,"p(95)":434.4}},
            {"name":"vus","type":"gauge","contains":"default","values":{"value":1,"min":1,"max":120}}
        ]}}"#;
    let run = parse_run("summary.json", doc, None).unwrap();
    assert_eq!(run.format, "k6-summary-machine");
    assert_eq!(run.tool_version.as_deref(), Some("v1.5.0"));
    assert_eq!(run.failed, Some(56));
    assert_close(run.error_rate, 0.0028);
    assert_close(run.throughput_rps, 20000.0 / 600.0);
    assert_eq!(run.vus_max, Some(120));
    assert_eq!(run.latency_ms.p99, None);
}

#[test]
fn json_that_is_not_a_k6_summary_says_what_was_expected() {
    let err = parse_run("upload.json", br#"{"foo": 1, "bar": [1]}"#, None).unwrap_err();
    let IngestError::UnknownFormat { file, tried } = &err else {
        panic!("expected an unknown format, got {err:?}");
    };
    assert_eq!(file, "upload.json");
    assert_eq!(tried[0].0, "k6 summary");
    let message = err.to_string();
    assert!(
        message.contains("no `metrics` object (top-level keys: bar, foo)"),
        "{message}"
    );
}

#[test]
fn truncated_json_points_at_the_end() {
    let bytes = fixture("k6-reporter-handlesummary-simple.json");
    let err = parse_run(
        "summary.json",
        &bytes[..bytes.len() / 2],
        Some(Format::K6Summary),
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with("summary.json, line "), "{message}");
    assert!(message.contains("truncated"), "{message}");
}

#[test]
fn a_wrong_value_type_names_the_field() {
    let doc = br#"{"metrics":{"http_reqs":{"type":"counter","contains":"default",
        "values":{"count":"many","rate":1}}}}"#;
    let err = parse_run("s.json", doc, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "s.json, field `metrics.http_reqs.values.count`: expected a number, found a string"
    );
}

#[test]
fn empty_and_non_json_inputs_are_rejected() {
    assert!(matches!(
        parse_run("s.json", b"  \n", None),
        Err(IngestError::Empty { .. })
    ));
    let err = parse_run("s.json", b"not json at all", None).unwrap_err();
    assert!(
        err.to_string().contains("k6 summary: not a JSON object"),
        "{err}"
    );
}

#[test]
fn a_forced_format_that_does_not_match_is_an_error() {
    let name = "k6-reporter-handlesummary-simple.json";
    let err = parse_run(name, &fixture(name), Some(Format::K6SummaryLegacy)).unwrap_err();
    assert!(
        err.to_string()
            .contains("expected a k6-summary-legacy document, found a k6-summary document"),
        "{err}"
    );
}
