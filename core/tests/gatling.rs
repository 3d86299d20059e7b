//! The Gatling parser over every fixture in tests/fixtures/gatling (see
//! tests/fixtures/PROVENANCE.md), always through detection, and over broken
//! inputs made from them.
//!
//! The expected figures were computed independently with python3 over the
//! fixture files, not with this crate: each REQUEST line split on tabs,
//! response time = end - start (the 2.2 layout's fields 5 and 6, the 3.x
//! layout's fields 3 and 4, Gatling 2.0's fields 8 minus 5), failures = KO,
//! users = the running sum of START (+1) and END (-1) in time order, and
//! percentiles by k6's rule:
//!
//! ```python
//! def k6(v, p):
//!     v = sorted(v); r = p / 100 * (len(v) - 1)
//!     lo, hi = math.floor(r), math.ceil(r)
//!     return v[lo] + (v[hi] - v[lo]) * (r - lo)
//! ```
//!
//! The same script computed the figures of the small synthetic logs below
//! (Gatling 2.0, early 3.x and two-node 3.x layouts, from the upstream
//! writers), fed the same strings. The report figures are the fixtures' own
//! JSON values, read with `json.load`; a check over all 80 request rows
//! confirmed the t-digest bound used in
//! `the_pix_log_and_its_report_agree_within_gatlings_method`.

use readiness_core::formats::gatling::sniff;
use readiness_core::formats::{Format, IngestError, ingest, parse_run};
use readiness_core::input::{MemorySource, Source, head};
use readiness_core::run::{Endpoint, Exactness, Run};
use std::collections::HashMap;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/gatling/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn source(name: &str) -> MemorySource {
    MemorySource::new(name, fixture(name))
}

const PIX_LOG: &str = "pix-gatling2-simulation.log";
const PIX_STATS: &str = "pix-gatling2-stats.json";
const PIX_GLOBAL: &str = "pix-gatling2-global_stats.json";
const PIX_ASSERTIONS: &str = "pix-gatling2-assertions.json";
const TEXT_312: &str = "gatling-3.12-text-simulation.log";
const BINARY: &str = "gatling-3.13plus-binary-simulation.log";

/// Ingests in-memory files with detection, as an upload does.
fn ingest_all(files: &[&MemorySource]) -> Result<Run, IngestError> {
    let sources: Vec<&dyn Source> = files.iter().map(|s| *s as &dyn Source).collect();
    ingest(&sources, None)
}

fn parse_text(name: &str, text: &str) -> Result<Run, IngestError> {
    parse_run(name, text.as_bytes(), None)
}

fn parse_error(result: Result<Run, IngestError>) -> String {
    match result {
        Ok(run) => panic!(
            "expected an error, got a run of {:?} requests",
            run.requests
        ),
        Err(IngestError::Parse(err)) => err.to_string(),
        Err(other) => panic!("expected a parse error, got {other}"),
    }
}

fn assert_close(actual: Option<f64>, expected: f64) {
    let actual = actual.expect("figure is present");
    assert!(
        (actual - expected).abs() <= expected.abs() * 1e-12,
        "{actual} != {expected}"
    );
}

fn endpoint<'a>(run: &'a Run, name: &str) -> &'a Endpoint {
    run.endpoints
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no endpoint {name}"))
}

// ---------------------------------------------------------------------------
// Detection

#[test]
fn every_fixture_is_detected_with_its_role() {
    let expected = [
        (PIX_LOG, Format::GatlingLog, "log"),
        (TEXT_312, Format::GatlingLog, "log"),
        (BINARY, Format::GatlingLog, "binary-log"),
        (PIX_STATS, Format::GatlingJson, "stats"),
        (PIX_GLOBAL, Format::GatlingJson, "global_stats"),
        (PIX_ASSERTIONS, Format::GatlingJson, "assertions"),
    ];
    for (name, format, role) in expected {
        let file = source(name);
        let head = head(&file).unwrap();
        assert_eq!(sniff(&file, &head), Ok((format, role)), "{name}");
        assert_eq!(
            readiness_core::formats::detect(&file).unwrap(),
            (format, role),
            "{name}"
        );
    }
}

#[test]
fn no_other_tools_file_is_taken_for_gatling() {
    let fixtures = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for dir in std::fs::read_dir(&fixtures).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() || dir.ends_with("gatling") {
            continue;
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            let path = file.unwrap().path();
            if path.is_dir() {
                continue;
            }
            let file = MemorySource::new(path.display().to_string(), std::fs::read(&path).unwrap());
            let head = head(&file).unwrap();
            assert!(sniff(&file, &head).is_err(), "{} matched", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} files checked");
}

#[test]
fn other_report_files_are_not_matched() {
    let files = [
        (
            "index.html",
            "<!DOCTYPE html>\n<html><head><title>Gatling Stats</title>",
        ),
        (
            "js/stats.js",
            "var stats = {\n    type: \"GROUP\",\nname: \"All Requests\",",
        ),
        ("style/style.css", "body { margin: 0; }\n"),
        (
            "js/menu.js",
            "function getItemLink(item){\n\treturn item.pathFormatted + '.html';",
        ),
        ("other.tsv", "name\tvalue\nRUN\t1\n"),
        ("other.json", "{\"summary\": {\"total\": 1.0}}"),
    ];
    for (name, text) in files {
        let file = MemorySource::new(name, text);
        assert!(sniff(&file, text.as_bytes()).is_err(), "{name} matched");
    }
}

// ---------------------------------------------------------------------------
// The text simulation.log

#[test]
fn gatling_2_log_figures_are_exact() {
    let run = parse_run(PIX_LOG, &fixture(PIX_LOG), None).unwrap();
    assert_eq!(run.format, "gatling-log");
    assert_eq!(run.tool, "gatling");
    // A 2.x RUN record ends with the log format version "2.0", not Gatling's.
    assert_eq!(run.tool_version, None);
    assert_eq!(run.exactness, Exactness::Exact);
    assert_eq!(run.requests, Some(7986));
    assert_eq!(run.failed, Some(2909));
    assert_close(run.error_rate, 2909.0 / 7986.0);
    assert_eq!(run.latency_ms.min, Some(10.0));
    assert_eq!(run.latency_ms.max, Some(60012.0));
    assert_close(run.latency_ms.avg, 9412.628474830954);
    assert_close(run.latency_ms.p50, 668.0);
    assert_close(run.latency_ms.p90, 33312.5);
    assert_close(run.latency_ms.p95, 48311.75);
    assert_close(run.latency_ms.p99, 60005.0);
    assert_eq!(run.vus_max, Some(100));
    assert_eq!(
        run.started_at.unwrap().timestamp_millis(),
        1_478_709_514_289
    );
    assert_close(run.duration_s, 202.612);
    assert_close(run.throughput_rps, 39.41523700471838);
    assert!(run.thresholds.is_empty());

    assert_eq!(run.endpoints.len(), 80);
    // Ties on 100 requests are ordered by name.
    assert_eq!(
        run.endpoints[0].name,
        "css?family=Lato:300,300i,400,400i,600,600i,700,700i"
    );
    let request_0 = endpoint(&run, "request_0");
    assert_eq!(request_0.method, None);
    assert_eq!(request_0.requests, Some(100));
    assert_eq!(request_0.failed, Some(0));
    assert_eq!(request_0.latency_ms.min, Some(101.0));
    assert_eq!(request_0.latency_ms.max, Some(417.0));
    assert_close(request_0.latency_ms.avg, 286.36);
    assert_close(request_0.latency_ms.p50, 302.5);
    assert_close(request_0.latency_ms.p95, 374.19999999999993);
    assert_close(request_0.latency_ms.p99, 412.05);
    let request_34 = endpoint(&run, "request_34");
    assert_eq!(request_34.failed, Some(69));
    assert_close(request_34.latency_ms.p50, 21.0);
    assert_close(request_34.latency_ms.p99, 60009.02);

    let series = run.series.unwrap();
    let points = &series.points;
    assert_eq!(points.iter().map(|p| p.requests).sum::<u64>(), 7986);
    assert_eq!(points.iter().map(|p| p.failed).sum::<u64>(), 2909);
    assert_eq!(points.iter().filter_map(|p| p.vus).max(), Some(100));
}

#[test]
fn gatling_3_12_log_figures_are_exact() {
    let run = parse_run(TEXT_312, &fixture(TEXT_312), None).unwrap();
    assert_eq!(run.format, "gatling-log");
    assert_eq!(run.exactness, Exactness::Exact);
    // The test resource's RUN record kept a stale "2.0" where 3.x writes
    // its version: no version is claimed from it.
    assert_eq!(run.tool_version, None);
    assert_eq!(run.requests, Some(8));
    assert_eq!(run.failed, Some(0));
    assert_eq!(run.error_rate, Some(0.0));
    assert_eq!(run.latency_ms.min, Some(2000.0));
    assert_eq!(run.latency_ms.max, Some(9000.0));
    assert_close(run.latency_ms.avg, 5000.0);
    assert_close(run.latency_ms.p50, 4500.0);
    assert_close(run.latency_ms.p90, 7600.0);
    assert_close(run.latency_ms.p95, 8299.999999999998);
    assert_close(run.latency_ms.p99, 8860.0);
    assert_eq!(run.vus_max, Some(1));
    assert_eq!(run.started_at.unwrap().timestamp_millis(), 1000);
    assert_close(run.duration_s, 13.0);
    assert_close(run.throughput_rps, 0.6153846153846154);
    assert_eq!(run.endpoints.len(), 1);
    assert_eq!(run.endpoints[0].name, "Test Request");
    assert_eq!(run.endpoints[0].requests, Some(8));
}

#[test]
fn a_gzipped_log_reads_the_same() {
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(&fixture(TEXT_312)).unwrap();
    let gz = encoder.finish().unwrap();
    let run = parse_run("simulation.log.gz", &gz, None).unwrap();
    assert_eq!(run.requests, Some(8));
    assert_close(run.latency_ms.p50, 4500.0);
}

const GATLING_20_LOG: &str = "Sim\tsim-id\tRUN\t1400000000000\t \n\
scn\t1\tUSER\tSTART\t1400000000100\t1400000000100\n\
scn\t1\tREQUEST\t\thome\t1400000000100\t1400000000105\t1400000000150\t1400000000250\tOK\t \n\
scn\t2\tUSER\tSTART\t1400000000200\t1400000000200\n\
scn\t2\tREQUEST\t\thome\t1400000000200\t1400000000201\t1400000000300\t1400000000500\tKO\tstatus 500\n\
scn\t1\tUSER\tEND\t1400000000100\t1400000000600\n\
scn\t2\tUSER\tEND\t1400000000200\t1400000000700\n";

#[test]
fn gatling_2_0_layout_times_from_first_byte_sent_to_last_byte_received() {
    let run = parse_text("simulation.log", GATLING_20_LOG).unwrap();
    assert_eq!(run.requests, Some(2));
    assert_eq!(run.failed, Some(1));
    assert_eq!(run.latency_ms.min, Some(150.0));
    assert_eq!(run.latency_ms.max, Some(300.0));
    assert_close(run.latency_ms.p95, 292.5);
    assert_eq!(run.vus_max, Some(2));
    assert_close(run.duration_s, 0.6);
}

const GATLING_3_EARLY_LOG: &str = "RUN\tcom.example.Shop\tshop\t1550000000000\t \t3.0.3\n\
USER\tbuyers\t1\tSTART\t1550000000000\t1550000000000\n\
REQUEST\t1\t\tlist\t1550000000010\t1550000000030\tOK\t \n\
REQUEST\t1\tCheckout\tpay\t1550000000040\t1550000000100\tKO\tjsonPath($.id).find.exists, found nothing\n\
GROUP\t1\tCheckout\t1550000000040\t1550000000100\t60\tKO\n\
USER\tbuyers\t1\tEND\t1550000000000\t1550000000120\n";

#[test]
fn early_gatling_3_layout_with_groups_and_version() {
    let run = parse_text("simulation.log", GATLING_3_EARLY_LOG).unwrap();
    assert_eq!(run.tool_version.as_deref(), Some("3.0.3"));
    assert_eq!(run.requests, Some(2));
    assert_eq!(run.failed, Some(1));
    assert_close(run.latency_ms.avg, 40.0);
    assert_close(run.latency_ms.p99, 59.6);
    assert_close(run.duration_s, 0.12);
    let pay = endpoint(&run, "Checkout / pay");
    assert_eq!(pay.failed, Some(1));
    assert_eq!(pay.latency_ms.max, Some(60.0));
    assert_eq!(endpoint(&run, "list").latency_ms.max, Some(20.0));
}

const NODE_A: &str = "RUN\tMySimulation\trun1\t1000\t \t3.9.5\n\
USER\tscn\tSTART\t1000\n\
REQUEST\tShop,Cart\tadd\t1000\t1500\tOK\t \n\
USER\tscn\tEND\t2000\n";

const NODE_B: &str = "RUN\tMySimulation\trun1\t1000\t \t3.9.5\n\
USER\tscn\tSTART\t1200\n\
REQUEST\t\thome\t1200\t1400\tKO\tstatus.find.is(200), but actually found 503\n\
USER\tscn\tEND\t2500\n";

#[test]
fn logs_of_one_simulation_make_one_run_and_their_users_add_up() {
    let a = MemorySource::new("node-a/simulation.log", NODE_A);
    let b = MemorySource::new("node-b/simulation.log", NODE_B);
    let run = ingest_all(&[&a, &b]).unwrap();
    assert_eq!(run.tool_version.as_deref(), Some("3.9.5"));
    assert_eq!(run.requests, Some(2));
    assert_eq!(run.failed, Some(1));
    assert_close(run.latency_ms.avg, 350.0);
    assert_close(run.latency_ms.p90, 470.0);
    assert_eq!(run.vus_max, Some(2));
    assert_close(run.duration_s, 1.5);
    assert_eq!(endpoint(&run, "Shop / Cart / add").requests, Some(1));
    assert_eq!(endpoint(&run, "home").failed, Some(1));
}

#[test]
fn logs_of_different_simulations_are_refused() {
    let a = MemorySource::new("a/simulation.log", NODE_A);
    let other = NODE_B.replace("MySimulation", "OtherSimulation");
    let b = MemorySource::new("b/simulation.log", other);
    match ingest_all(&[&a, &b]) {
        Err(IngestError::Mixed { files }) => assert_eq!(files.len(), 2),
        other => panic!("expected Mixed, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// The binary log of 3.13+

#[test]
fn a_binary_log_alone_is_refused_with_what_to_upload_instead() {
    let text = parse_error(parse_run(BINARY, &fixture(BINARY), None));
    assert!(text.starts_with(&format!("{BINARY}: ")), "{text}");
    assert!(text.contains("binary simulation.log"), "{text}");
    assert!(text.contains("3.13"), "{text}");
    assert!(
        text.contains("Gatling 3.12.1"),
        "the header's version: {text}"
    );
    assert!(text.contains("js/stats.json"), "{text}");
    assert!(text.contains("zip"), "{text}");
}

#[test]
fn a_binary_log_beside_the_report_gives_the_report_figures() {
    let run = ingest_all(&[&source(BINARY), &source(PIX_STATS)]).unwrap();
    assert_eq!(run.format, "gatling-json");
    assert_eq!(run.requests, Some(7986));
}

// ---------------------------------------------------------------------------
// The report JSON

#[test]
fn global_stats_figures_are_reported_as_gatling_wrote_them() {
    let run = parse_run(PIX_GLOBAL, &fixture(PIX_GLOBAL), None).unwrap();
    assert_eq!(run.format, "gatling-json");
    assert_eq!(run.tool, "gatling");
    assert_eq!(run.exactness, Exactness::Reported);
    assert_eq!(run.requests, Some(7986));
    assert_eq!(run.failed, Some(2909));
    assert_close(run.error_rate, 2909.0 / 7986.0);
    assert_eq!(run.latency_ms.min, Some(10.0));
    assert_eq!(run.latency_ms.max, Some(60012.0));
    assert_eq!(run.latency_ms.avg, Some(9412.0));
    // percentiles1, 3 and 4 at their defaults: p50, p95, p99.
    assert_eq!(run.latency_ms.p50, Some(671.0));
    assert_eq!(run.latency_ms.p95, Some(48321.0));
    assert_eq!(run.latency_ms.p99, Some(60005.0));
    assert_eq!(run.latency_ms.p90, None, "Gatling reports no p90");
    assert_close(run.throughput_rps, 39.33990147783251);
    // Nothing the report does not carry is filled in.
    assert_eq!(run.duration_s, None);
    assert_eq!(run.started_at, None);
    assert_eq!(run.vus_max, None);
    assert!(run.series.is_none());
    assert!(run.endpoints.is_empty(), "global_stats.json has no rows");
}

#[test]
fn stats_json_gives_one_endpoint_per_request_row() {
    let run = parse_run(PIX_STATS, &fixture(PIX_STATS), None).unwrap();
    assert_eq!(run.format, "gatling-json");
    assert_eq!(run.requests, Some(7986));
    assert_eq!(run.latency_ms.p50, Some(671.0));
    assert_eq!(run.endpoints.len(), 80);
    assert_eq!(
        run.endpoints
            .iter()
            .map(|e| e.requests.unwrap())
            .sum::<u64>(),
        7986
    );
    let request_0 = endpoint(&run, "request_0");
    assert_eq!(request_0.requests, Some(100));
    assert_eq!(request_0.failed, Some(0));
    assert_eq!(request_0.latency_ms.min, Some(101.0));
    assert_eq!(request_0.latency_ms.max, Some(417.0));
    assert_eq!(request_0.latency_ms.avg, Some(286.0));
    assert_eq!(request_0.latency_ms.p50, Some(302.0));
    assert_eq!(request_0.latency_ms.p95, Some(374.0));
    assert_eq!(request_0.latency_ms.p99, Some(412.0));
    let request_34 = endpoint(&run, "request_34");
    assert_eq!(request_34.failed, Some(69));
    assert_eq!(request_34.latency_ms.p99, Some(60009.0));
}

#[test]
fn the_whole_report_folder_gives_report_figures_thresholds_and_start() {
    let files = [
        source(PIX_STATS),
        source(PIX_GLOBAL),
        source(PIX_ASSERTIONS),
        MemorySource::new("index.html", "<!DOCTYPE html><html></html>"),
        MemorySource::new("js/stats.js", "var stats = {\n};"),
    ];
    let refs: Vec<&MemorySource> = files.iter().collect();
    let run = ingest_all(&refs).unwrap();
    assert_eq!(run.format, "gatling-json");
    assert_eq!(run.endpoints.len(), 80);
    // The RUN start the report names in assertions.json.
    assert_eq!(
        run.started_at.unwrap().timestamp_millis(),
        1_478_709_513_495
    );
    assert!(run.thresholds.is_empty(), "this run defined no assertions");
}

#[test]
fn assertions_become_thresholds_in_both_shapes() {
    // 3.x writes expectedValues and actualValue (AssertionsJsonTemplate).
    let v3 = r#"{
  "simulation": "computerdatabase.BasicSimulation",
  "simulationId": "basicsimulation",
  "start": 1700000000000,
  "description": "",
  "scenarios": ["Users"],
  "assertions": [
{
  "path": "Global",
  "target": "max of response time",
  "condition": "is less than",
  "expectedValues": [100000],
  "result": true,
  "message": "Global: max of response time is less than 100000",
  "actualValue": [60012.0]
},
{
  "path": "Global",
  "target": "percentage of failed events",
  "condition": "is between",
  "expectedValues": [0.0,5.0],
  "result": false,
  "message": "Global: percentage of failed events is between 0.0 and 5.0",
  "actualValue": [36.43]
}
  ]
}"#;
    // Before 2.2 the file was a bare array, with conditionValues.
    let v21 = r#"[
{
  "path": "Global",
  "target": "mean requests per second",
  "condition": "is greater than",
  "conditionValues": [10],
  "result": true,
  "message": "Global: mean requests per second is greater than 10",
  "values": [39.3]
}
]"#;
    for (text, expected) in [
        (
            v3,
            vec![
                ("Global: max of response time", "is less than 100000", true),
                (
                    "Global: percentage of failed events",
                    "is between 0.0 and 5.0",
                    false,
                ),
            ],
        ),
        (
            v21,
            vec![(
                "Global: mean requests per second",
                "is greater than 10",
                true,
            )],
        ),
    ] {
        let assertions = MemorySource::new("js/assertions.json", text);
        let run = ingest_all(&[&source(PIX_GLOBAL), &assertions]).unwrap();
        let thresholds: Vec<(&str, &str, bool)> = run
            .thresholds
            .iter()
            .map(|t| (t.metric.as_str(), t.expression.as_str(), t.ok))
            .collect();
        assert_eq!(thresholds, expected);
    }
}

#[test]
fn assertions_alone_hold_no_figures() {
    let text = parse_error(parse_run(PIX_ASSERTIONS, &fixture(PIX_ASSERTIONS), None));
    assert!(text.contains("request figures"), "{text}");
    assert!(text.contains("only js/assertions.json"), "{text}");
}

#[test]
fn a_row_without_requests_has_null_latency_not_zeros() {
    // Gatling's raw JSON writes 0 for every statistic it has no data for.
    let stats = r#"{"type": "GROUP", "name": "Global Information", "path": "",
      "stats": {"name": "Global Information",
        "numberOfRequests": {"total": 0, "ok": 0, "ko": 0},
        "minResponseTime": {"total": 0, "ok": 0, "ko": 0},
        "maxResponseTime": {"total": 0, "ok": 0, "ko": 0},
        "meanResponseTime": {"total": 0, "ok": 0, "ko": 0},
        "percentiles1": {"total": 0, "ok": 0, "ko": 0},
        "percentiles2": {"total": 0, "ok": 0, "ko": 0},
        "percentiles3": {"total": 0, "ok": 0, "ko": 0},
        "percentiles4": {"total": 0, "ok": 0, "ko": 0},
        "meanNumberOfRequestsPerSecond": {"total": 0, "ok": 0, "ko": 0}},
      "contents": {}}"#;
    let run = parse_run("js/stats.json", stats.as_bytes(), None).unwrap();
    assert_eq!(run.requests, Some(0));
    assert_eq!(run.error_rate, None);
    assert_eq!(run.latency_ms.min, None);
    assert_eq!(run.latency_ms.p95, None);
}

#[test]
fn requests_inside_groups_are_named_by_their_path() {
    let row = |name: &str, path: &str, total: u64| {
        format!(
            r#"{{"type": "REQUEST", "name": "{name}", "path": "{path}", "pathFormatted": "x",
              "stats": {{"name": "{name}", "numberOfRequests": {{"total": {total}, "ok": {total}, "ko": 0}},
                "minResponseTime": {{"total": 5, "ok": 5, "ko": 0}},
                "percentiles1": {{"total": 7, "ok": 7, "ko": 0}},
                "percentiles2": {{"total": 8, "ok": 8, "ko": 0}},
                "percentiles3": {{"total": 9, "ok": 9, "ko": 0}},
                "percentiles4": {{"total": 10, "ok": 10, "ko": 0}}}}}}"#
        )
    };
    let stats = format!(
        r#"{{"type": "GROUP", "name": "Global Information", "path": "",
          "stats": {{"name": "Global Information", "numberOfRequests": {{"total": 3, "ok": 3, "ko": 0}}}},
          "contents": {{
            "req_home": {},
            "group_shop": {{"type": "GROUP", "name": "Shop", "path": "Shop",
              "stats": {{"name": "Shop", "numberOfRequests": {{"total": 2, "ok": 2, "ko": 0}}}},
              "contents": {{"req_add": {}}}}}}}}}"#,
        row("home", "home", 1),
        row("add", "Shop / add", 2)
    );
    let run = parse_run("js/stats.json", stats.as_bytes(), None).unwrap();
    let names: Vec<&str> = run.endpoints.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["Shop / add", "home"]);
    assert_eq!(run.endpoints[0].latency_ms.p95, Some(9.0));
}

// ---------------------------------------------------------------------------
// Log and report together

#[test]
fn with_the_log_the_exact_figures_win() {
    let run = ingest_all(&[
        &source(PIX_STATS),
        &source(PIX_LOG),
        &source(PIX_GLOBAL),
        &source(PIX_ASSERTIONS),
    ])
    .unwrap();
    assert_eq!(run.format, "gatling-log");
    assert_eq!(run.exactness, Exactness::Exact);
    assert_close(run.latency_ms.p50, 668.0);
    assert_close(run.latency_ms.avg, 9412.628474830954);
    assert_eq!(run.endpoints.len(), 80);
    assert!(run.thresholds.is_empty());
}

#[test]
fn a_log_and_the_report_of_another_run_are_refused() {
    match ingest_all(&[&source(TEXT_312), &source(PIX_STATS)]) {
        Err(IngestError::Mixed { files }) => {
            let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, [TEXT_312, PIX_STATS]);
        }
        other => panic!("expected Mixed, got {other:?}"),
    }
}

/// Response times of the pix log, overall and per request name, read here
/// without the crate.
fn pix_response_times() -> (Vec<u64>, HashMap<String, Vec<u64>>) {
    let text = String::from_utf8(fixture(PIX_LOG)).unwrap();
    let mut all = Vec::new();
    let mut by_name: HashMap<String, Vec<u64>> = HashMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f[0] == "REQUEST" {
            let rt = f[6].parse::<u64>().unwrap() - f[5].parse::<u64>().unwrap();
            all.push(rt);
            by_name.entry(f[4].to_owned()).or_default().push(rt);
        }
    }
    all.sort_unstable();
    for times in by_name.values_mut() {
        times.sort_unstable();
    }
    (all, by_name)
}

/// Whether a percentile Gatling reported is one its t-digest can give.
///
/// Gatling 2.2's report (gatling-charts `GeneralStatsBuffers.scala`
/// @c8be073a) feeds every response time to an `AVLTreeDigest(100.0)` and
/// reports `digest.quantile(q).toInt`; 3.x reports `math.round` of it. The
/// Gatling maintainers point to t-digest for how percentiles are computed
/// (community.gatling.io/t/how-gatling-computes-percentile-values/3997).
/// t-digest merges a value into a centroid only while the centroid holds at
/// most `4 * n * q * (1 - q) / compression` values (tdunning/t-digest
/// `AVLTreeDigest.add`), so the estimate at `q` lies between the samples
/// that many ranks (plus one for interpolation) either side of `q * n`, and
/// the truncation lowers it by less than 1.
fn within_t_digest(sorted: &[u64], q: f64, reported: f64) -> bool {
    let n = sorted.len() as f64;
    let k = (4.0 * n * q * (1.0 - q) / 100.0).max(1.0) + 1.0;
    let last = sorted.len() - 1;
    let lo = sorted[((q * n - k).floor().max(0.0) as usize).min(last)] as f64;
    let hi = sorted[((q * n + k).ceil() as usize).min(last)] as f64;
    lo - 1.0 <= reported && reported <= hi
}

#[test]
fn the_pix_log_and_its_report_agree_within_gatlings_method() {
    let log = parse_run(PIX_LOG, &fixture(PIX_LOG), None).unwrap();
    let global = parse_run(PIX_GLOBAL, &fixture(PIX_GLOBAL), None).unwrap();
    let stats = parse_run(PIX_STATS, &fixture(PIX_STATS), None).unwrap();
    let (all, by_name) = pix_response_times();

    for report in [&global, &stats] {
        assert_eq!(report.requests, log.requests);
        assert_eq!(report.failed, log.failed);
        assert_eq!(report.latency_ms.min, log.latency_ms.min);
        assert_eq!(report.latency_ms.max, log.latency_ms.max);
        // Gatling 2.2 truncates the mean (`(sum / count).toInt`), 3.x
        // rounds it: either way it is within 1 ms of the exact mean.
        let (mean, exact) = (report.latency_ms.avg.unwrap(), log.latency_ms.avg.unwrap());
        assert!((mean - exact).abs() < 1.0, "{mean} vs {exact}");
        for (q, reported) in [
            (0.50, report.latency_ms.p50),
            (0.95, report.latency_ms.p95),
            (0.99, report.latency_ms.p99),
        ] {
            let reported = reported.unwrap();
            assert!(within_t_digest(&all, q, reported), "p{q}: {reported}");
        }
        // Gatling's mean requests per second divides by the whole seconds
        // the run touched (LogFileReader's bucket bounds), ours by its
        // exact span.
        let start_ms = log.started_at.unwrap().timestamp_millis() as f64;
        let end_ms = start_ms + log.duration_s.unwrap() * 1000.0;
        let whole_seconds = (end_ms / 1000.0).ceil() - (start_ms / 1000.0).floor();
        assert_close(
            report.throughput_rps,
            log.requests.unwrap() as f64 / whole_seconds,
        );
    }

    assert_eq!(stats.endpoints.len(), log.endpoints.len());
    for row in &stats.endpoints {
        let exact = endpoint(&log, &row.name);
        let sorted = &by_name[&row.name];
        assert_eq!(row.requests, exact.requests, "{}", row.name);
        assert_eq!(row.failed, exact.failed, "{}", row.name);
        assert_eq!(row.latency_ms.min, exact.latency_ms.min, "{}", row.name);
        assert_eq!(row.latency_ms.max, exact.latency_ms.max, "{}", row.name);
        let (mean, exact_mean) = (row.latency_ms.avg.unwrap(), exact.latency_ms.avg.unwrap());
        assert!((mean - exact_mean).abs() < 1.0, "{}", row.name);
        for (q, reported) in [
            (0.50, row.latency_ms.p50),
            (0.95, row.latency_ms.p95),
            (0.99, row.latency_ms.p99),
        ] {
            let reported = reported.unwrap();
            assert!(
                within_t_digest(sorted, q, reported),
                "{} p{q}: {reported}",
                row.name
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Broken logs

/// The 3.12 fixture with one line replaced (1-based).
fn with_line(number: usize, replacement: &str) -> String {
    let text = String::from_utf8(fixture(TEXT_312)).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[number - 1] = replacement;
    lines.join("\n") + "\n"
}

#[test]
fn a_truncated_last_line_is_reported_as_cut_off() {
    let text = String::from_utf8(fixture(TEXT_312)).unwrap();
    // Drop the USER END line and cut the last REQUEST inside its end time.
    let lines: Vec<&str> = text.lines().collect();
    let mut cut = lines[..9].join("\n");
    cut.push_str("\nREQUEST\t\tTest Request\t7000\t14");
    let message = parse_error(parse_text("simulation.log", &cut));
    assert!(
        message.starts_with("simulation.log, line 10: "),
        "{message}"
    );
    assert!(
        message.contains("at least 7 tab-separated fields"),
        "{message}"
    );
    assert!(message.contains("found 5 fields"), "{message}");
    assert!(message.contains("last line"), "{message}");
    assert!(message.contains("cut off"), "{message}");
}

#[test]
fn a_record_with_too_few_fields_names_its_line() {
    let text = with_line(4, "REQUEST\t\tTest Request\t1000\t10000");
    let message = parse_error(parse_text("simulation.log", &text));
    assert_eq!(
        message,
        "simulation.log, line 4: expected a REQUEST record of at least 7 tab-separated fields \
         (the Gatling 3 layout), found 5 fields"
    );
}

#[test]
fn a_non_numeric_timestamp_mid_file_names_line_column_and_field() {
    let text = with_line(5, "REQUEST\t\tTest Request\t2000\t6O00\tOK\tfine");
    let message = parse_error(parse_text("simulation.log", &text));
    assert_eq!(
        message,
        "simulation.log, line 5, column 28, field `end`: expected a timestamp in epoch \
         milliseconds, found `6O00`"
    );
}

#[test]
fn an_end_before_its_start_is_an_error() {
    let text = with_line(6, "REQUEST\t\tTest Request\t5000\t4000\tOK\t ");
    let message = parse_error(parse_text("simulation.log", &text));
    assert_eq!(
        message,
        "simulation.log, line 6, column 28, field `end`: expected an end at or after the \
         start (5000), found 4000, 1000 ms before the start"
    );
}

#[test]
fn an_unmatched_incoming_message_counts_with_no_response_time() {
    let text = with_line(
        6,
        "REQUEST\t\tTest Request\t5000\t-9223372036854775808\tOK\t ",
    );
    let run = parse_text("simulation.log", &text).unwrap();
    assert_eq!(run.requests, Some(8));
    assert_eq!(run.latency_ms.min, Some(0.0));
}

#[test]
fn an_empty_log_is_an_error() {
    match parse_text("simulation.log", "") {
        Err(IngestError::Empty { file }) => assert_eq!(file, "simulation.log"),
        other => panic!("expected Empty, got {other:?}"),
    }
    let only_run = "RUN\tMySimulation\trun1\t1406822067250\t \t3.12.0\nUSER\tscn\tSTART\t1000\n";
    let message = parse_error(parse_text("simulation.log", only_run));
    assert_eq!(
        message,
        "simulation.log: expected REQUEST records, one per request Gatling sent, found no \
         REQUEST record in 2 lines"
    );
}

#[test]
fn a_line_that_is_no_record_is_an_error() {
    let text = with_line(7, "<html>oops</html>");
    let message = parse_error(parse_text("simulation.log", &text));
    assert!(
        message.starts_with("simulation.log, line 7, column 1, field `record type`"),
        "{message}"
    );
    assert!(message.contains("`<html>oops</html>`"), "{message}");
}

#[test]
fn a_log_mixing_gatling_versions_is_an_error() {
    let text = with_line(11, "USER\ttestScenario\t1\tEND\t1000\t7000");
    let message = parse_error(parse_text("simulation.log", &text));
    assert!(
        message.starts_with("simulation.log, line 11: "),
        "{message}"
    );
    assert!(
        message.contains("records of one Gatling version"),
        "{message}"
    );
}

#[test]
fn timestamps_too_far_apart_are_refused_before_they_cost_memory() {
    let text = with_line(
        6,
        "REQUEST\t\tTest Request\t9000000000000\t9000000000100\tOK\t ",
    );
    let message = parse_error(parse_text("simulation.log", &text));
    assert!(
        message.starts_with("simulation.log, line 6, column 23, field `start`"),
        "{message}"
    );
    assert!(message.contains("within 720 days"), "{message}");
    let text = with_line(
        6,
        "REQUEST\t\tTest Request\t5000\t99999999999999999999\tOK\t ",
    );
    let message = parse_error(parse_text("simulation.log", &text));
    assert!(message.contains("field `end`"), "{message}");
}

#[test]
fn a_broken_report_names_the_field() {
    let text = String::from_utf8(fixture(PIX_GLOBAL)).unwrap().replacen(
        "\"total\": 10,",
        "\"total\": true,",
        1,
    );
    let message = parse_error(parse_text("global_stats.json", &text));
    assert_eq!(
        message,
        "global_stats.json, field `minResponseTime.total`: expected a number, found a boolean"
    );
    let cut = &fixture(PIX_STATS)[..70_000];
    let message = parse_error(parse_run("stats.json", cut, Some(Format::GatlingJson)));
    assert!(message.contains("truncated"), "{message}");
}

#[test]
fn a_forced_format_reads_the_file_by_its_content() {
    let run = parse_run(TEXT_312, &fixture(TEXT_312), Some(Format::GatlingJson)).unwrap();
    assert_eq!(run.format, "gatling-log");
    let message = parse_error(parse_run(
        "notes.txt",
        b"hello world\n",
        Some(Format::GatlingLog),
    ));
    assert!(
        message.starts_with("notes.txt, line 1, column 1"),
        "{message}"
    );
    // Forced on a report folder, the files that are not Gatling data are
    // left aside as detection leaves them.
    let html = MemorySource::new("index.html", "<!DOCTYPE html><html></html>");
    let stats = source(PIX_STATS);
    let sources: [&dyn Source; 2] = [&html, &stats];
    let run = ingest(&sources, Some(Format::GatlingJson)).unwrap();
    assert_eq!(run.requests, Some(7986));
}

/// A small deterministic generator, so the damaged inputs are the same on
/// every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % bound.max(1)
    }
}

#[test]
fn no_damaged_fixture_makes_the_parser_panic() {
    let names = [TEXT_312, BINARY, PIX_GLOBAL, PIX_ASSERTIONS];
    let mut rng = Lcg(7);
    for name in names {
        let bytes = fixture(name);
        for _ in 0..300 {
            let mut damaged = bytes.clone();
            match rng.next(3) {
                0 => damaged.truncate(rng.next(bytes.len())),
                1 => {
                    let bytes_to_plant = b"\t\n0-9KOx\0{}\"[]";
                    for _ in 0..1 + rng.next(4) {
                        let at = rng.next(damaged.len());
                        damaged[at] = bytes_to_plant[rng.next(bytes_to_plant.len())];
                    }
                }
                _ => {
                    let at = rng.next(damaged.len());
                    let from = rng.next(bytes.len());
                    let piece = bytes[from..(from + 40).min(bytes.len())].to_vec();
                    damaged.splice(at..at, piece);
                }
            }
            // Either outcome is fine; a panic fails the test.
            let _ = parse_run(name, &damaged, None);
            let _ = parse_run(name, &damaged, Some(Format::GatlingLog));
        }
    }
    // The big files, cut at a few places each, with the report beside them.
    for name in [PIX_LOG, PIX_STATS] {
        let bytes = fixture(name);
        for _ in 0..20 {
            let cut = MemorySource::new(name, bytes[..rng.next(bytes.len())].to_vec());
            let _ = ingest_all(&[&cut, &source(PIX_GLOBAL)]);
        }
    }
}
