//! The vegeta parsers: `vegeta report -type=json` and `vegeta encode --to
//! json`.
//!
//! No real vegeta output with a licence that allows copying was found, so
//! the inputs here are written by hand in the shape tsenart/vegeta writes
//! them: the report is `Metrics` (`lib/metrics.go`) as `encoding/json`
//! encodes it (one line, keys in field order, durations as integer ns), and
//! the results follow the encoder in `lib/results_json.go` (`attack`,
//! `seq`, `code`, `timestamp` in RFC 3339 with nanoseconds, `latency` in ns,
//! `bytes_out`, `bytes_in`, `error`, base64 `body`, `method`, `url`,
//! `headers`). The figures inside each input agree the way `Metrics.Add`
//! and `Metrics.Close` compute them; each expected figure is worked out by
//! hand in the comment next to it, percentiles with k6's interpolation
//! between closest ranks (rank = p/100 × (n - 1)).

use chrono::{DateTime, Utc};
use readiness_core::formats::{Format, IngestError, ingest, parse_run, vegeta};
use readiness_core::input::MemorySource;
use readiness_core::run::{Exactness, ScenarioKind};

fn assert_close(actual: Option<f64>, expected: f64) {
    let actual = actual.expect("figure is present");
    assert!(
        (actual - expected).abs() <= expected.abs() * 1e-12,
        "{actual} != {expected}"
    );
}

fn time(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

// ---------------------------------------------------------------------------
// vegeta report -type=json
// ---------------------------------------------------------------------------

/// 100 requests over 9.99 s of attack and 0.123456789 s of wait: 90 × 200,
/// 5 × 302, 1 × 404, 2 × 503 and 2 refused connections (code 0).
const REPORT: &str = concat!(
    r#"{"latencies":{"total":2345678901,"mean":23456789,"50th":12345678,"90th":45678901,"#,
    r#""95th":56789012,"99th":98765432,"max":123456789,"min":1234567},"#,
    r#""bytes_in":{"total":51200,"mean":512},"bytes_out":{"total":0,"mean":0},"#,
    r#""earliest":"2024-05-06T07:08:09.123456789+02:00","#,
    r#""latest":"2024-05-06T07:08:19.113456789+02:00","#,
    r#""end":"2024-05-06T07:08:19.236913578+02:00","#,
    r#""duration":9990000000,"wait":123456789,"requests":100,"rate":10.01001001001001,"#,
    r#""throughput":9.393425213753588,"success":0.95,"#,
    r#""status_codes":{"0":2,"200":90,"302":5,"404":1,"503":2},"#,
    r#""errors":["Get \"http://localhost:8080/\": dial tcp 127.0.0.1:8080: connect: connection refused","#,
    r#""404 Not Found","503 Service Unavailable"]}"#,
    "\n"
);

#[test]
fn every_figure_of_a_report_is_read_and_converted_to_ms() {
    let run = parse_run("report.json", REPORT.as_bytes(), None).unwrap();
    assert_eq!(run.format, "vegeta-report");
    assert_eq!(run.tool, "vegeta");
    assert_eq!(run.tool_version, None);
    assert_eq!(run.exactness, Exactness::Reported);
    assert_eq!(run.error_bound, None);
    assert_eq!(run.scenario, ScenarioKind::Unspecified);
    assert_eq!(run.requests, Some(100));
    // Codes outside 200-399: 2 × 0, 1 × 404, 2 × 503.
    assert_eq!(run.failed, Some(5));
    assert_close(run.error_rate, 0.05);
    // `earliest`, in UTC.
    assert_eq!(run.started_at, Some(time("2024-05-06T05:08:09.123456789Z")));
    // `end - earliest` = duration + wait = 9.99 s + 0.123456789 s.
    assert_close(run.duration_s, 10.113456789);
    // All 100 requests over that span: neither `rate` (100 / 9.99) nor
    // `throughput` (95 / 10.113456789).
    assert_close(run.throughput_rps, 100.0 / 10.113456789);
    assert_eq!(run.vus_max, None);
    // Nanoseconds / 1e6.
    assert_close(run.latency_ms.min, 1.234567);
    assert_close(run.latency_ms.avg, 23.456789);
    assert_close(run.latency_ms.p50, 12.345678);
    assert_close(run.latency_ms.p90, 45.678901);
    assert_close(run.latency_ms.p95, 56.789012);
    assert_close(run.latency_ms.p99, 98.765432);
    assert_close(run.latency_ms.max, 123.456789);
    assert!(run.endpoints.is_empty());
    assert!(run.series.is_none());
    assert!(run.thresholds.is_empty());
}

#[test]
fn an_older_pretty_printed_report_has_no_min_nor_p90() {
    // Older vegeta releases had neither `min` nor `90th`; `jq .` spreads the
    // report over many lines.
    let doc = r#"{
  "latencies": {
    "total": 30000000,
    "mean": 10000000,
    "50th": 9000000,
    "95th": 14000000,
    "99th": 14000000,
    "max": 14000000
  },
  "bytes_in": {"total": 30, "mean": 10},
  "bytes_out": {"total": 0, "mean": 0},
  "earliest": "2019-03-01T10:00:00Z",
  "latest": "2019-03-01T10:00:02Z",
  "end": "2019-03-01T10:00:02.014Z",
  "duration": 2000000000,
  "wait": 14000000,
  "requests": 3,
  "rate": 1.5,
  "throughput": 1.4895729890764648,
  "success": 1,
  "status_codes": {"200": 3},
  "errors": []
}"#;
    let run = parse_run("old.json", doc.as_bytes(), None).unwrap();
    assert_eq!(run.format, "vegeta-report");
    assert_eq!(run.requests, Some(3));
    assert_eq!(run.failed, Some(0));
    assert_eq!(run.error_rate, Some(0.0));
    assert_eq!(run.started_at, Some(time("2019-03-01T10:00:00Z")));
    assert_close(run.duration_s, 2.014);
    assert_close(run.throughput_rps, 3.0 / 2.014);
    assert_eq!(run.latency_ms.min, None);
    assert_close(run.latency_ms.avg, 10.0);
    assert_close(run.latency_ms.p50, 9.0);
    assert_eq!(run.latency_ms.p90, None);
    assert_close(run.latency_ms.p95, 14.0);
    assert_close(run.latency_ms.p99, 14.0);
    assert_close(run.latency_ms.max, 14.0);
}

#[test]
fn without_status_codes_failures_come_from_the_success_ratio() {
    let doc = r#"{"latencies":{"mean":1000000},"bytes_in":{"total":0,"mean":0},
                  "requests":8,"success":0.75}"#;
    let run = parse_run("r.json", doc.as_bytes(), Some(Format::VegetaReport)).unwrap();
    // 8 - round(0.75 × 8).
    assert_eq!(run.failed, Some(2));
    assert_close(run.error_rate, 0.25);
    assert_eq!(run.duration_s, None, "no times, no duration");
    assert_eq!(run.throughput_rps, None);
    assert_close(run.latency_ms.avg, 1.0);
}

#[test]
fn a_report_of_no_request_is_empty() {
    let doc = concat!(
        r#"{"latencies":{"total":0,"mean":0,"50th":0,"90th":0,"95th":0,"99th":0,"max":0,"min":0},"#,
        r#""bytes_in":{"total":0,"mean":0},"bytes_out":{"total":0,"mean":0},"#,
        r#""earliest":"0001-01-01T00:00:00Z","latest":"0001-01-01T00:00:00Z","#,
        r#""end":"0001-01-01T00:00:00Z","duration":0,"wait":0,"requests":0,"rate":0,"#,
        r#""throughput":0,"success":0,"status_codes":{},"errors":[]}"#
    );
    let err = parse_run("empty.json", doc.as_bytes(), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "empty.json, field `requests`: expected at least one request, found a report of 0 requests"
    );
}

#[test]
fn report_errors_name_the_file_and_the_field() {
    let cut = &REPORT.as_bytes()[..REPORT.len() / 2];
    let message = parse_run("report.json", cut, None).unwrap_err().to_string();
    assert!(
        message.starts_with("report.json, line 1, column "),
        "{message}"
    );
    assert!(message.ends_with("(the file is truncated)"), "{message}");

    let doc = REPORT.replace(r#""mean":23456789"#, r#""mean":"23.4ms""#);
    let message = parse_run("report.json", doc.as_bytes(), None)
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "report.json, field `latencies.mean`: expected a number, found a string"
    );

    let doc = REPORT.replace(r#""200":90"#, r#""200":89"#);
    let message = parse_run("report.json", doc.as_bytes(), None)
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "report.json, field `status_codes`: expected status code counts that add up to \
         `requests` (100), found counts adding up to 99"
    );

    let doc = REPORT.replace("2024-05-06T07:08:09.123456789+02:00", "yesterday");
    let message = parse_run("report.json", doc.as_bytes(), None)
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "report.json, field `earliest`: expected an RFC 3339 time, found `yesterday`"
    );
}

// ---------------------------------------------------------------------------
// vegeta encode --to json
// ---------------------------------------------------------------------------

/// Six results of two targets, starting at 2024-05-06T05:08:09Z: times in
/// two offsets, one with a single nanosecond, a refused connection (code 0)
/// and a 500.
const RESULTS: &str = concat!(
    r#"{"attack":"smoke","seq":0,"code":200,"timestamp":"2024-05-06T07:08:09+02:00","latency":12000000,"bytes_out":0,"bytes_in":5,"error":"","body":"aGVsbG8=","method":"GET","url":"http://localhost:8080/","headers":{"Content-Type":["text/plain"]}}"#,
    "\n",
    r#"{"attack":"smoke","seq":1,"code":200,"timestamp":"2024-05-06T07:08:09.1+02:00","latency":8000000,"bytes_out":0,"bytes_in":5,"error":"","body":"aGVsbG8=","method":"GET","url":"http://localhost:8080/","headers":{"Content-Type":["text/plain"]}}"#,
    "\n",
    r#"{"attack":"smoke","seq":2,"code":500,"timestamp":"2024-05-06T07:08:09.200000001+02:00","latency":250500000,"bytes_out":27,"bytes_in":0,"error":"500 Internal Server Error","body":"","method":"POST","url":"http://localhost:8080/login","headers":{}}"#,
    "\n",
    r#"{"attack":"smoke","seq":3,"code":0,"timestamp":"2024-05-06T07:08:09.3+02:00","latency":1000000000,"bytes_out":0,"bytes_in":0,"error":"Get \"http://localhost:8080/\": dial tcp 127.0.0.1:8080: connect: connection refused","body":"","method":"GET","url":"http://localhost:8080/","headers":{}}"#,
    "\n",
    r#"{"attack":"smoke","seq":4,"code":302,"timestamp":"2024-05-06T05:08:10.4Z","latency":4000000,"bytes_out":0,"bytes_in":0,"error":"","body":"","method":"GET","url":"http://localhost:8080/","headers":{"Location":["/login"]}}"#,
    "\n",
    r#"{"attack":"smoke","seq":5,"code":201,"timestamp":"2024-05-06T05:08:11Z","latency":20000000,"bytes_out":27,"bytes_in":2,"error":"","body":"e30=","method":"POST","url":"http://localhost:8080/login","headers":{}}"#,
    "\n",
);

#[test]
fn results_become_an_exact_run_with_endpoints_and_a_series() {
    let run = parse_run("results.json", RESULTS.as_bytes(), None).unwrap();
    assert_eq!(run.format, "vegeta-results");
    assert_eq!(run.tool, "vegeta");
    assert_eq!(run.exactness, Exactness::Exact);
    assert_eq!(run.error_bound, None);
    assert_eq!(run.requests, Some(6));
    // The 500 and the refused connection.
    assert_eq!(run.failed, Some(2));
    assert_close(run.error_rate, 2.0 / 6.0);
    assert_eq!(run.started_at, Some(time("2024-05-06T05:08:09Z")));
    // The last result to end is seq 5: 2 s after the start, plus 20 ms.
    assert_close(run.duration_s, 2.02);
    assert_close(run.throughput_rps, 6.0 / 2.02);
    assert_eq!(run.vus_max, None);
    // Latencies in ms, sorted: 4, 8, 12, 20, 250.5, 1000.
    assert_close(run.latency_ms.min, 4.0);
    assert_close(run.latency_ms.avg, 1294.5 / 6.0);
    assert_close(run.latency_ms.p50, 16.0); // rank 2.5: 12 + 8 × 0.5
    assert_close(run.latency_ms.p90, 625.25); // rank 4.5: 250.5 + 749.5 × 0.5
    assert_close(run.latency_ms.p95, 812.625); // rank 4.75
    assert_close(run.latency_ms.p99, 962.525); // rank 4.95
    assert_close(run.latency_ms.max, 1000.0);

    let [home, login] = &run.endpoints[..] else {
        panic!("two endpoints expected: {:?}", run.endpoints);
    };
    assert_eq!(home.name, "http://localhost:8080/");
    assert_eq!(home.method.as_deref(), Some("GET"));
    assert_eq!(home.requests, Some(4));
    assert_eq!(home.failed, Some(1));
    // 4, 8, 12, 1000.
    assert_close(home.latency_ms.min, 4.0);
    assert_close(home.latency_ms.avg, 256.0);
    assert_close(home.latency_ms.p50, 10.0); // rank 1.5
    assert_close(home.latency_ms.p90, 703.6); // rank 2.7: 12 + 988 × 0.7
    assert_close(home.latency_ms.p95, 851.8); // rank 2.85
    assert_close(home.latency_ms.p99, 970.36); // rank 2.97
    assert_close(home.latency_ms.max, 1000.0);
    assert_eq!(login.name, "http://localhost:8080/login");
    assert_eq!(login.method.as_deref(), Some("POST"));
    assert_eq!(login.requests, Some(2));
    assert_eq!(login.failed, Some(1));
    // 20, 250.5.
    assert_close(login.latency_ms.min, 20.0);
    assert_close(login.latency_ms.avg, 135.25);
    assert_close(login.latency_ms.p50, 135.25);
    assert_close(login.latency_ms.p90, 227.45);
    assert_close(login.latency_ms.p95, 238.975);
    assert_close(login.latency_ms.p99, 248.195);
    assert_close(login.latency_ms.max, 250.5);

    // One-second buckets: seq 0-3 start in the first second, seq 4 in the
    // second, seq 5 in the third.
    let series = run.series.expect("raw results have a series");
    assert_eq!(series.bucket_s, 1.0);
    let points: Vec<(f64, u64, u64)> = series
        .points
        .iter()
        .map(|p| (p.t, p.requests, p.failed))
        .collect();
    assert_eq!(points, [(0.0, 4, 2), (1.0, 1, 0), (2.0, 1, 0)]);
    // First bucket: 8, 12, 250.5, 1000.
    assert_close(series.points[0].p50_ms, 131.25);
    assert_close(series.points[0].p95_ms, 887.575);
    assert_close(series.points[0].p99_ms, 977.515);
    assert_close(series.points[1].p50_ms, 4.0);
    assert_close(series.points[2].p99_ms, 20.0);
    assert!(series.points.iter().all(|p| p.vus.is_none()));
}

#[test]
fn older_results_without_a_url_are_named_by_their_attack() {
    // Older vegeta releases wrote no method, url or headers in a result
    // (`lib/results_easyjson.go`).
    let lines = concat!(
        r#"{"attack":"checkout","seq":0,"code":200,"timestamp":"2018-01-01T00:00:00Z","latency":5000000,"bytes_out":0,"bytes_in":0,"error":"","body":null}"#,
        "\n\n",
        r#"{"attack":"","seq":1,"code":404,"timestamp":"2018-01-01T00:00:01Z","latency":7000000,"bytes_out":0,"bytes_in":0,"error":"404 Not Found","body":null}"#,
    );
    let run = parse_run("old.json", lines.as_bytes(), None).unwrap();
    assert_eq!(run.requests, Some(2));
    assert_eq!(run.failed, Some(1));
    assert_close(run.duration_s, 1.007);
    let names: Vec<(&str, Option<&str>)> = run
        .endpoints
        .iter()
        .map(|e| (e.name.as_str(), e.method.as_deref()))
        .collect();
    assert_eq!(names, [("(no url)", None), ("checkout", None)]);
}

#[test]
fn a_bad_record_mid_file_names_its_line_and_field() {
    let mut lines: Vec<&str> = RESULTS.lines().collect();
    let bad = lines[2].replace(r#""latency":250500000"#, r#""latency":"250ms""#);
    lines[2] = &bad;
    let message = parse_run("results.json", lines.join("\n").as_bytes(), None)
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "results.json, line 3, field `latency`: expected a number of nanoseconds, found a string"
    );

    let mut lines: Vec<&str> = RESULTS.lines().collect();
    lines[3] = r#"{"attack":"smoke","seq":3,"code":200,"timestamp":"#;
    let message = parse_run("results.json", lines.join("\n").as_bytes(), None)
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("results.json, line 4, column "),
        "{message}"
    );
    assert!(message.contains("the record is cut short"), "{message}");

    let mut lines: Vec<&str> = RESULTS.lines().collect();
    let bad = lines[1].replace("2024-05-06T07:08:09.1+02:00", "2024-05-06 07:08:09");
    lines[1] = &bad;
    let message = parse_run("results.json", lines.join("\n").as_bytes(), None)
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "results.json, line 2, field `timestamp`: expected an RFC 3339 time, found \
         `2024-05-06 07:08:09`"
    );

    let bad = RESULTS.replace(r#""code":500"#, r#""code":70000"#);
    let message = parse_run("results.json", bad.as_bytes(), None)
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "results.json, line 3, field `code`: expected an HTTP status code (0 to 65535), found 70000"
    );
}

#[test]
fn a_latency_of_centuries_is_refused_before_it_is_bucketed() {
    // The largest Go duration, about 292 years.
    let bad = RESULTS.replace(r#""latency":8000000"#, r#""latency":9223372036854775807"#);
    let message = parse_run("results.json", bad.as_bytes(), None)
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with(
            "results.json, line 2, field `latency`: expected results spanning at most 366 days"
        ),
        "{message}"
    );
}

#[test]
fn a_result_without_its_fields_or_no_result_at_all_is_refused() {
    let err = parse_run("results.json", b"{}\n", Some(Format::VegetaResults)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "results.json, line 1, field `timestamp`: expected a `timestamp`, found none"
    );
    let err = parse_run("results.json", b"\n\n\n", Some(Format::VegetaResults)).unwrap_err();
    assert!(matches!(err, IngestError::Empty { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------
// Detection
// ---------------------------------------------------------------------------

#[test]
fn detection_tells_the_report_from_the_results() {
    let report = MemorySource::new("a.json", REPORT);
    assert_eq!(ingest(&[&report], None).unwrap().format, "vegeta-report");
    let results = MemorySource::new("b.json", RESULTS);
    assert_eq!(ingest(&[&results], None).unwrap().format, "vegeta-results");

    // Neither oha's summary nor k6's files are vegeta's.
    let oha = br#"{"summary":{"successRate":1.0},"latencyPercentiles":{},"statusCodeDistribution":{"200":1}}"#;
    let k6_summary = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/k6/k6-reporter-handlesummary-simple.json"
    ))
    .unwrap();
    let k6_lines = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/k6/xk6-dashboard-out-json-result.ndjson"
    ))
    .unwrap();
    for bytes in [&oha[..], &k6_summary, &k6_lines] {
        let source = MemorySource::new("x", bytes);
        let head = &bytes[..bytes.len().min(64 * 1024)];
        assert!(vegeta::sniff(&source, head).is_err());
    }
}

#[test]
fn a_result_line_longer_than_the_head_is_still_detected() {
    // A large response body makes the first line longer than the 64 KiB
    // detection looks at; the leading keys still identify it.
    let body = "A".repeat(100_000);
    let line = format!(
        r#"{{"attack":"","seq":0,"code":200,"timestamp":"2024-01-01T00:00:00Z","latency":1000000,"bytes_out":0,"bytes_in":75000,"error":"","body":"{body}","method":"GET","url":"http://x/","headers":{{}}}}"#
    );
    let run = parse_run("big.json", line.as_bytes(), None).unwrap();
    assert_eq!(run.format, "vegeta-results");
    assert_eq!(run.requests, Some(1));
    assert_close(run.latency_ms.max, 1.0);
}

#[test]
fn gob_results_are_recognized_and_the_user_is_told_to_encode_them() {
    // The start of a gob stream as `vegeta attack` writes it: the type
    // description of `Result`, whose field names are length-prefixed
    // strings (these bytes imitate that layout; the values do not matter).
    let mut gob = vec![0x5a, 0xff, 0x81, 0x03, 0x01, 0x01, 0x06];
    gob.extend_from_slice(b"Result\x01\xff\x82\x00\x01\x0c\x01\x06Attack\x01\x0c\x00\x01\x03Seq");
    gob.extend_from_slice(b"\x01\x06\x00\x01\x04Code\x01\x06\x00\x01\x09Timestamp\x01\xff\x84\x00");
    gob.extend_from_slice(
        b"\x01\x07Latency\x01\x04\x00\x01\x08BytesOut\x01\x06\x00\x01\x07BytesIn",
    );
    gob.extend_from_slice(b"\x01\x06\x00\x01\x05Error\x01\x0c\x00\x01\x04Body\x01\x0a\x00\x00\x00");
    let err = parse_run("results.bin", &gob, None).unwrap_err();
    let IngestError::UnknownFormat { tried, .. } = &err else {
        panic!("expected an unknown format, got {err:?}");
    };
    let (_, why) = tried
        .iter()
        .find(|(family, _)| *family == "vegeta")
        .unwrap();
    assert!(why.contains("binary (gob) results"), "{why}");
    assert!(why.contains("vegeta encode --to json"), "{why}");

    let csv =
        b"1714972089000000000,200,12000000,0,5,,aGVsbG8=,smoke,0,GET,http://localhost:8080/,\n";
    let err = parse_run("results.csv", csv, None).unwrap_err();
    let IngestError::UnknownFormat { tried, .. } = &err else {
        panic!("expected an unknown format, got {err:?}");
    };
    let (_, why) = tried
        .iter()
        .find(|(family, _)| *family == "vegeta")
        .unwrap();
    assert!(why.contains("vegeta encode --to csv"), "{why}");
}

#[test]
fn no_cut_or_corrupted_input_makes_the_parsers_panic() {
    for (input, format) in [
        (REPORT.as_bytes(), Format::VegetaReport),
        (RESULTS.as_bytes(), Format::VegetaResults),
    ] {
        for end in 0..input.len() {
            let _ = parse_run("cut.json", &input[..end], Some(format));
        }
        for i in 0..input.len() {
            for byte in [b'9', b'-', b'"', b'\n', b'e', 0xff] {
                let mut bytes = input.to_vec();
                bytes[i] = byte;
                let _ = parse_run("bad.json", &bytes, None);
            }
        }
    }
}

#[test]
fn a_result_line_that_is_not_an_object_says_so() {
    // Six values in an array would otherwise fill the record's fields.
    let doc = format!(
        "{RESULTS}[\"smoke\", 200, \"2024-05-06T05:08:12Z\", 1000, \"GET\", \"http://x/\"]\n"
    );
    let message = parse_run("results.json", doc.as_bytes(), None)
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "results.json, line 7: expected a vegeta result as a JSON object (`vegeta encode --to \
         json`), found a line that does not start with `{`"
    );
}
