//! The k6 `--out csv` parser. No public k6 CSV output could be copied, so
//! the inputs are the real `--out json` fixture rewritten row by row the way
//! k6's CSV output writes samples (grafana/k6 `internal/output/csv`:
//! `MakeHeader`, `SampleToRow`, with each `time_format`). The same samples in
//! both formats must give the same run.

use readiness_core::formats::{Format, parse_run};
use readiness_core::run::Exactness;
use serde_json::Value;

const TAGS: [&str; 14] = [
    "check",
    "error",
    "error_code",
    "expected_response",
    "group",
    "method",
    "name",
    "proto",
    "scenario",
    "service",
    "status",
    "subproto",
    "tls_version",
    "url",
];

fn ndjson() -> String {
    let path = format!(
        "{}/tests/fixtures/k6/xk6-dashboard-out-json-result.ndjson",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// k6's CSV timestamp for an RFC 3339 time, in a `time_format`.
fn timestamp(time: &str, format: &str) -> String {
    let t = chrono::DateTime::parse_from_rfc3339(time).unwrap();
    let ns = t.timestamp_nanos_opt().unwrap();
    match format {
        "unix" => t.timestamp().to_string(),
        "unix_milli" => t.timestamp_millis().to_string(),
        "unix_micro" => t.timestamp_micros().to_string(),
        "unix_nano" => ns.to_string(),
        "rfc3339" => t.to_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "rfc3339_nano" => t.to_utc().format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string(),
        other => panic!("{other}"),
    }
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

fn as_csv(time_format: &str) -> String {
    let mut out = format!(
        "metric_name,timestamp,metric_value,{},extra_tags,metadata\n",
        TAGS.join(",")
    );
    for line in ndjson().lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        if record["type"] != "Point" {
            continue;
        }
        let data = &record["data"];
        let tags = &data["tags"];
        let mut row = vec![
            record["metric"].as_str().unwrap().to_owned(),
            timestamp(data["time"].as_str().unwrap(), time_format),
            data["value"].to_string(),
        ];
        row.extend(TAGS.iter().map(|t| quote(tags[*t].as_str().unwrap_or(""))));
        row.extend([String::new(), String::new()]);
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

#[test]
fn every_time_format_gives_the_run_of_the_json_output() {
    let json_run = parse_run("result.json", ndjson().as_bytes(), None).unwrap();
    for format in ["unix_milli", "unix_micro", "unix_nano", "rfc3339_nano"] {
        let csv_run = parse_run("result.csv", as_csv(format).as_bytes(), None).unwrap();
        assert_eq!(csv_run.format, "k6-csv", "{format}");
        assert_eq!(csv_run.exactness, Exactness::Exact);
        assert_eq!(csv_run.requests, json_run.requests, "{format}");
        assert_eq!(csv_run.failed, json_run.failed, "{format}");
        assert_eq!(csv_run.vus_max, json_run.vus_max, "{format}");
        assert_eq!(csv_run.latency_ms, json_run.latency_ms, "{format}");
        assert_eq!(csv_run.endpoints, json_run.endpoints, "{format}");
        let (a, b) = (csv_run.duration_s.unwrap(), json_run.duration_s.unwrap());
        // Milliseconds drop the sub-millisecond part of the times.
        assert!((a - b).abs() < 0.002, "{format}: {a} vs {b}");
    }
}

#[test]
fn whole_second_timestamps_keep_latencies_exact() {
    let json_run = parse_run("result.json", ndjson().as_bytes(), None).unwrap();
    for format in ["unix", "rfc3339"] {
        let csv_run = parse_run("result.csv", as_csv(format).as_bytes(), None).unwrap();
        assert_eq!(csv_run.latency_ms, json_run.latency_ms, "{format}");
        assert_eq!(csv_run.requests, json_run.requests);
        // The span is known to the second only.
        let (a, b) = (csv_run.duration_s.unwrap(), json_run.duration_s.unwrap());
        assert!((a - b).abs() <= 1.0, "{format}: {a} vs {b}");
    }
}

#[test]
fn a_bad_row_names_its_line_and_field() {
    let mut csv = as_csv("unix_milli");
    let lines: Vec<&str> = csv.lines().collect();
    let target = lines
        .iter()
        .position(|l| l.starts_with("http_req_duration,"))
        .unwrap();
    let broken = lines[target].replacen("http_req_duration,", "http_req_duration,noon,", 1);
    let mut rebuilt: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    // Same column count: the timestamp is replaced, not added.
    let mut fields: Vec<&str> = broken.split(',').collect();
    fields.remove(2);
    rebuilt[target] = fields.join(",");
    csv = rebuilt.join("\n");
    let err = parse_run("result.csv", csv.as_bytes(), None).unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "result.csv, line {}, field `timestamp`: expected a timestamp",
            target + 1
        )),
        "{message}"
    );
}

#[test]
fn a_row_with_missing_columns_is_refused() {
    let csv = "metric_name,timestamp,metric_value,name,expected_response\n\
               http_req_duration,1641298536000,12.5,home,true\n\
               http_req_duration,1641298537000,12.5\n";
    let err = parse_run("r.csv", csv.as_bytes(), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "r.csv, line 3: expected 5 columns, as in the header, found 3 columns"
    );
}

#[test]
fn a_header_alone_is_an_empty_run() {
    let err = parse_run("r.csv", b"metric_name,timestamp,metric_value\n", None).unwrap_err();
    assert!(
        err.to_string()
            .contains("expected sample rows after the header"),
        "{err}"
    );
    let err = parse_run(
        "r.csv",
        b"metric_name,timestamp,metric_value\nvus,1641298536,3\n",
        Some(Format::K6Csv),
    )
    .unwrap_err();
    assert!(err.to_string().contains("http_req_duration"), "{err}");
}
