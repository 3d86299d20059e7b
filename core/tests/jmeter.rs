//! The JMeter JTL parser over real JMeter outputs (tests/fixtures/jmeter, see
//! tests/fixtures/PROVENANCE.md) and over small hand-made files for the
//! cases the fixtures lack.
//!
//! The expected figures of the fixtures were computed independently of this
//! crate, by this Python 3 script (standard library only, run from the
//! repository root), and copied from its output:
//!
//! ```python
//! import csv, math, xml.etree.ElementTree as ET
//! from collections import defaultdict
//! D = 'core/tests/fixtures/jmeter/'
//! def pct(v, p):  # k6: rank p/100*(n-1), linear interpolation
//!     v = sorted(v); r = p/100*(len(v)-1); lo = math.floor(r); hi = math.ceil(r)
//!     return v[lo] + (v[hi]-v[lo])*(r-lo)
//! def report(name, rows):  # rows: (start_ms, elapsed, label, ok, users)
//!     n = len(rows); el = [r[1] for r in rows]
//!     first = min(r[0] for r in rows); last = max(r[0]+r[1] for r in rows)
//!     dur = (last-first)/1000
//!     bucket = next(s for s in [1,2,5,10,15,30,60,120,300,600,900,1800,3600,
//!                   7200,21600,86400] if math.ceil(dur/s) <= 720)
//!     failed = sum(1 for r in rows if r[3] is False)
//!     print(name, n, failed, failed/n, min(el), max(el), sum(el)/n,
//!           [pct(el, p) for p in (50, 90, 95, 99)], first, dur, n/dur,
//!           max((r[4] for r in rows if r[4] is not None), default=None),
//!           bucket, math.floor(dur/bucket)+1)
//!     by = defaultdict(list)
//!     for r in rows: by[r[2]].append(r)
//!     for lb, rs in sorted(by.items(), key=lambda kv: (-len(kv[1]), kv[0])):
//!         e = [r[1] for r in rs]
//!         print(' ', lb, len(rs), sum(1 for r in rs if r[3] is False), min(e),
//!               max(e), sum(e)/len(e), [pct(e, p) for p in (50, 90, 95, 99)])
//! def stamps(samples):  # pairs of a thread that break the start / end reading
//!     last = {}; s = e = 0
//!     for ts, t, tn in samples:
//!         if tn in last:
//!             pts, pt = last[tn]; s += ts < pts + pt; e += ts - t < pts
//!         last[tn] = (ts, t)
//!     return s, e
//! for f in ['jmeter-HTMLReportTestFile.jtl.csv', 'jmeter-HTMLReportFalseTestFile.jtl.csv']:
//!     rows = list(csv.DictReader(open(D+f, encoding='utf-8', newline='')))
//!     print(stamps([(int(r['timeStamp']), int(r['elapsed']), r['threadName']) for r in rows]))
//!     report(f, [(int(r['timeStamp']), int(r['elapsed']), r['label'],
//!                 r['success'] == 'true', int(r['allThreads'])) for r in rows])
//! root = ET.parse(D+'jmeter-sample_log1c.jtl.xml').getroot()
//! print(stamps([(int(e.get('ts')), int(e.get('t')), e.get('tn')) for e in root]))
//! # (1004, 0): this 2005 file is stamped at the end of each sample.
//! report('xml', [(int(e.get('ts')) - int(e.get('t')), int(e.get('t')), e.get('lb'),
//!                 e.get('s') == 'true', None) for e in root])
//! ```

use readiness_core::formats::{Format, IngestError, ingest, jmeter, parse_run};
use readiness_core::input::{MAX_LINE_BYTES, MemorySource};
use readiness_core::run::{Endpoint, Exactness, Run};

fn fixture_path(dir: &str, name: &str) -> String {
    format!("{}/tests/fixtures/{dir}/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_path("jmeter", name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn assert_close(actual: Option<f64>, expected: f64) {
    let actual = actual.expect("figure is present");
    assert!(
        (actual - expected).abs() <= expected.abs() * 1e-12,
        "{actual} != {expected}"
    );
}

/// Parses a fixture the way an upload is parsed: one source, no format
/// given, so detection has to recognise it.
fn detect_and_parse(name: &str) -> Run {
    let source = MemorySource::new(name, fixture(name));
    ingest(&[&source], None).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn parse_error(name: &str, bytes: &[u8], format: Option<Format>) -> String {
    match parse_run(name, bytes, format) {
        Ok(run) => panic!("{name} parsed, with {:?} requests", run.requests),
        Err(IngestError::Parse(err)) => err.to_string(),
        Err(other) => panic!("{name}: not a parse error: {other}"),
    }
}

/// Latency figures in the order min, max, avg, p50, p90, p95, p99.
fn assert_latency(endpoint: &Endpoint, expected: [f64; 7]) {
    let l = &endpoint.latency_ms;
    for (actual, expected) in [l.min, l.max, l.avg, l.p50, l.p90, l.p95, l.p99]
        .into_iter()
        .zip(expected)
    {
        assert_close(actual, expected);
    }
}

/// A CSV row with its field `index` replaced (the fixtures quote nothing).
fn set_field(row: &str, index: usize, value: &str) -> String {
    let mut fields: Vec<&str> = row.split(',').collect();
    fields[index] = value;
    fields.join(",")
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn html_report_test_file_gives_exact_figures() {
    let run = detect_and_parse("jmeter-HTMLReportTestFile.jtl.csv");
    assert_eq!(run.format, "jmeter-csv");
    assert_eq!(run.tool, "jmeter");
    assert_eq!(run.exactness, Exactness::Exact);
    assert_eq!(run.requests, Some(255));
    assert_eq!(run.failed, Some(3));
    assert_close(run.error_rate, 0.011764705882352941);
    assert_close(run.latency_ms.min, 100.0);
    assert_close(run.latency_ms.max, 353.0);
    assert_close(run.latency_ms.avg, 235.47450980392156);
    assert_close(run.latency_ms.p50, 232.0);
    assert_close(run.latency_ms.p90, 337.0);
    assert_close(run.latency_ms.p95, 339.0);
    assert_close(run.latency_ms.p99, 352.46000000000004);
    // Start stamps: the first sample starts at its timeStamp, the last one
    // ends at 1551783687071 + 305.
    assert_eq!(
        run.started_at.unwrap().timestamp_millis(),
        1_551_783_627_191
    );
    assert_close(run.duration_s, 60.185);
    assert_close(run.throughput_rps, 4.2369361136495804);
    assert_eq!(run.vus_max, Some(1));

    assert_eq!(run.endpoints.len(), 2);
    let ok = &run.endpoints[0];
    assert_eq!((ok.name.as_str(), ok.method.as_deref()), ("JR-OK", None));
    assert_eq!((ok.requests, ok.failed), (Some(252), Some(0)));
    assert_latency(
        ok,
        [
            101.0,
            353.0,
            235.90079365079364,
            232.0,
            337.0,
            339.0,
            352.49,
        ],
    );
    let ko = &run.endpoints[1];
    assert_eq!((ko.name.as_str(), ko.method.as_deref()), ("JR-KO", None));
    assert_eq!((ko.requests, ko.failed), (Some(3), Some(3)));
    assert_latency(
        ko,
        [
            100.0,
            329.0,
            199.66666666666666,
            170.0,
            297.2,
            313.1,
            325.82,
        ],
    );

    let series = run.series.unwrap();
    assert_eq!(series.bucket_s, 1.0);
    assert_eq!(series.points.len(), 61);
    assert_eq!(series.points.iter().map(|p| p.requests).sum::<u64>(), 255);
    assert_eq!(series.points.iter().map(|p| p.failed).sum::<u64>(), 3);
    assert_eq!(series.points[0].vus, Some(1));
}

#[test]
fn html_report_false_test_file_without_response_code_and_with_french_labels() {
    let run = detect_and_parse("jmeter-HTMLReportFalseTestFile.jtl.csv");
    assert_eq!(run.format, "jmeter-csv");
    assert_eq!(run.requests, Some(50));
    assert_eq!(run.failed, Some(50));
    assert_close(run.error_rate, 1.0);
    for figure in [
        run.latency_ms.min,
        run.latency_ms.max,
        run.latency_ms.avg,
        run.latency_ms.p50,
        run.latency_ms.p90,
        run.latency_ms.p95,
        run.latency_ms.p99,
    ] {
        assert_eq!(figure, Some(0.0));
    }
    assert_eq!(
        run.started_at.unwrap().timestamp_millis(),
        1_549_967_385_359
    );
    assert_close(run.duration_s, 0.378);
    assert_close(run.throughput_rps, 132.27513227513228);
    assert_eq!(run.vus_max, Some(1));
    assert_eq!(run.endpoints.len(), 1);
    let endpoint = &run.endpoints[0];
    assert_eq!(endpoint.name, "Requête HTTP");
    assert_eq!(endpoint.method, None);
    assert_eq!((endpoint.requests, endpoint.failed), (Some(50), Some(50)));
    assert_latency(endpoint, [0.0; 7]);
    let series = run.series.unwrap();
    assert_eq!(series.bucket_s, 1.0);
    assert_eq!(series.points.len(), 1);
    assert_eq!(series.points[0].requests, 50);
}

#[test]
fn xml_sample_log_is_end_stamped_and_gives_exact_figures() {
    let run = detect_and_parse("jmeter-sample_log1c.jtl.xml");
    assert_eq!(run.format, "jmeter-xml");
    assert_eq!(run.tool, "jmeter");
    assert_eq!(run.exactness, Exactness::Exact);
    assert_eq!(run.requests, Some(2000));
    assert_eq!(run.failed, Some(0));
    assert_close(run.error_rate, 0.0);
    assert_close(run.latency_ms.min, 80.0);
    assert_close(run.latency_ms.max, 3195.0);
    assert_close(run.latency_ms.avg, 180.31);
    assert_close(run.latency_ms.p50, 180.0);
    assert_close(run.latency_ms.p90, 220.0);
    assert_close(run.latency_ms.p95, 270.0);
    assert_close(run.latency_ms.p99, 1002.0999999999999);
    // The first sample (ts 1132668448174, t 2043) started 2043 ms before
    // its stamp, and so did the run.
    assert_eq!(
        run.started_at.unwrap().timestamp_millis(),
        1_132_668_446_131
    );
    assert_close(run.duration_s, 169.103);
    assert_close(run.throughput_rps, 11.827111287203657);
    assert_eq!(run.vus_max, None, "this file has no `na` attribute");

    assert_eq!(run.endpoints.len(), 2);
    let jakarta = &run.endpoints[0];
    assert_eq!(jakarta.name, "jakarta_home");
    assert_eq!(jakarta.method, None);
    assert_eq!((jakarta.requests, jakarta.failed), (Some(1000), Some(0)));
    assert_latency(
        jakarta,
        [
            170.0,
            3195.0,
            223.869,
            191.0,
            251.9000000000002,
            291.4499999999996,
            751.0,
        ],
    );
    let jmeter_home = &run.endpoints[1];
    assert_eq!(jmeter_home.name, "jmeter_home");
    assert_eq!(
        (jmeter_home.requests, jmeter_home.failed),
        (Some(1000), Some(0))
    );
    assert_latency(
        jmeter_home,
        [80.0, 3154.0, 136.751, 100.0, 160.0, 190.0, 1081.0],
    );

    let series = run.series.unwrap();
    assert_eq!(series.bucket_s, 1.0);
    assert_eq!(series.points.len(), 170);
    assert_eq!(series.points.iter().map(|p| p.requests).sum::<u64>(), 2000);
    assert!(series.points.iter().all(|p| p.vus.is_none()));
}

#[test]
fn a_forced_format_gives_the_same_run_as_detection() {
    for (name, format) in [
        ("jmeter-HTMLReportTestFile.jtl.csv", Format::JmeterCsv),
        ("jmeter-sample_log1c.jtl.xml", Format::JmeterXml),
    ] {
        let forced = parse_run(name, &fixture(name), Some(format)).unwrap();
        assert_eq!(forced, detect_and_parse(name));
    }
}

#[test]
fn other_tools_files_are_not_taken_for_jtl() {
    let others = [
        ("locust", "bitcoin-api-results_stats.csv"),
        ("locust", "bitcoin-api-results_stats_history.csv"),
        ("locust", "bitcoin-api-results_failures.csv"),
        ("gatling", "gatling-3.12-text-simulation.log"),
        ("gatling", "pix-gatling2-simulation.log"),
        ("k6", "xk6-dashboard-out-json-result.ndjson"),
        ("k6", "k6-reporter-handlesummary-simple.json"),
        ("wrk", "wrkparser-wrk.log"),
    ];
    for (dir, name) in others {
        let bytes = std::fs::read(fixture_path(dir, name)).unwrap();
        let source = MemorySource::new(name, bytes.clone());
        let head = &bytes[..bytes.len().min(64 * 1024)];
        assert!(
            jmeter::sniff(&source, head).is_err(),
            "{dir}/{name} was taken for a JTL"
        );
    }
    // k6's `--out csv` header (no fixture): `timestamp` and `url` are also
    // JMeter column names, but not enough to make a JTL header.
    let k6 = "metric_name,timestamp,metric_value,check,error,error_code,expected_response,\
              group,method,name,proto,scenario,service,status,subproto,tls_version,url,\
              extra_tags,metadata\nhttp_reqs,1700000000,1.000000,,,,true,,GET,x,HTTP/1.1,\
              default,,200,,,http://x,,\n";
    let source = MemorySource::new("k6.csv", k6);
    let why = jmeter::sniff(&source, k6.as_bytes()).unwrap_err();
    assert!(why.contains("no JTL header"), "{why}");
    // A JMeter test plan is XML, but not a result.
    let jmx = b"<?xml version=\"1.0\"?>\n<jmeterTestPlan version=\"1.2\"></jmeterTestPlan>\n";
    let why = jmeter::sniff(&MemorySource::new("plan.jmx", &jmx[..]), jmx).unwrap_err();
    assert!(why.contains("<jmeterTestPlan>"), "{why}");
}

#[test]
fn columns_are_found_by_name_in_any_order_and_case() {
    let csv = "\u{feff}Success;ALLTHREADS;Label;Elapsed;threadname;TIMESTAMP\n\
               true;3;home;120;t-1;1700000000000\n\
               false;5;login;80;t-2;1700000000500\n";
    let run = parse_run("semicolons.jtl", csv.as_bytes(), None).unwrap();
    assert_eq!(run.format, "jmeter-csv");
    assert_eq!(run.requests, Some(2));
    assert_eq!(run.failed, Some(1));
    assert_eq!(run.vus_max, Some(5));
    assert_eq!(run.latency_ms.max, Some(120.0));
    assert_eq!(
        run.started_at.unwrap().timestamp_millis(),
        1_700_000_000_000
    );
    assert_close(run.duration_s, 0.58);
}

#[test]
fn quoted_fields_hold_delimiters_quotes_and_line_breaks() {
    let csv = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,success,failureMessage\n\
               1700000000000,10,\"search, with comma\",200,OK,t-1,true,\n\
               1700000000010,20,\"say \"\"hi\"\"\",\"Non HTTP response code: java.net.SocketException\",\"line one\nline two\",t-1,false,\"assertion\nfailed\"\n\
               1700000000030,30,\"search, with comma\",200,OK,t-1,true,\n";
    let run = parse_run("quoted.csv", csv.as_bytes(), None).unwrap();
    assert_eq!(run.requests, Some(3));
    assert_eq!(run.failed, Some(1));
    let names: Vec<&str> = run.endpoints.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["search, with comma", "say \"hi\""]);

    // The row after the quoted line breaks is reported at its own line.
    let bad = csv.replace("1700000000030,30", "1700000000030,3x");
    let err = parse_error("quoted.csv", bad.as_bytes(), None);
    assert_eq!(
        err,
        "quoted.csv, line 6, field `elapsed`: expected a duration in milliseconds \
         (a whole number), found `3x`"
    );
}

#[test]
fn a_headerless_file_is_read_with_the_default_columns() {
    let bytes = fixture("jmeter-HTMLReportTestFile.jtl.csv");
    let all = lines(&bytes);
    let headerless = all[1..].join("\n") + "\n";
    let run = parse_run("headerless.jtl", headerless.as_bytes(), None).unwrap();
    assert_eq!(run.format, "jmeter-csv");
    assert_eq!(run.requests, Some(255));
    assert_eq!(run.failed, Some(3));
    assert_close(run.latency_ms.p99, 352.46000000000004);

    // Tab-separated, as with `default_delimiter=\t`.
    let tabs = headerless.replace(',', "\t");
    let run = parse_run("tabs.jtl", tabs.as_bytes(), None).unwrap();
    assert_eq!(run.requests, Some(255));
}

#[test]
fn date_timestamps_give_durations_but_no_start_time() {
    let csv = "timeStamp,elapsed,label,success,threadName\n\
               2019/02/12 10:29:45.359,100,a,true,t-1\n\
               2019/02/12 10:29:46.000,200,a,true,t-1\n";
    let run = parse_run("dates.csv", csv.as_bytes(), None).unwrap();
    assert_eq!(run.requests, Some(2));
    assert_close(run.duration_s, 0.841);
    assert_eq!(
        run.started_at, None,
        "the zone of the JMeter machine is not in the file"
    );

    let mixed = csv.replace("2019/02/12 10:29:46.000", "1549967386000");
    let err = parse_error("dates.csv", mixed.as_bytes(), None);
    assert_eq!(
        err,
        "dates.csv, line 3, field `timeStamp`: expected a date and time, as in the rows \
         before, found `1549967386000`"
    );
}

#[test]
fn transaction_controller_samples_are_left_out_of_the_totals() {
    // A transaction controller writes its own sample after its children;
    // JMeter's report keeps it out of the Total row.
    let csv = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,success\n\
               1700000000000,100,home,200,OK,t-1,true\n\
               1700000000100,50,login,500,Error,t-1,false\n\
               1700000000000,150,Checkout,,\"Number of samples in transaction : 2, number of failing samples : 1\",t-1,false\n\
               1700000000200,0,Empty,,\"Number of samples in transaction : 0, number of failing samples : 0\",t-1,true\n";
    let run = parse_run("tc.csv", csv.as_bytes(), None).unwrap();
    assert_eq!(run.requests, Some(2));
    assert_eq!(run.failed, Some(1));
    assert_eq!(run.latency_ms.max, Some(100.0));
    let names: Vec<&str> = run.endpoints.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["home", "login"]);

    let only = "timeStamp,elapsed,label,responseMessage,success\n\
                1700000000000,150,Checkout,\"Number of samples in transaction : 2\",true\n";
    let err = parse_error("tc-only.csv", only.as_bytes(), None);
    assert_eq!(
        err,
        "tc-only.csv, line 3: expected at least one sample, found only transaction \
         controller samples (1), which are not requests"
    );
}

#[test]
fn xml_sub_results_count_and_methods_are_read() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<testResults version="1.2">
<httpSample t="1392" lt="351" ts="1144371014619" s="true" lb="Home &amp; news" rc="200" rm="OK" tn="Listen 1-1" dt="text" na="2">
  <httpSample t="170" lt="170" ts="1144371015471" s="true" lb="Home &amp; news-0" rc="200" rm="OK" tn="Listen 1-1" dt="text" na="2">
    <responseHeader class="java.lang.String">HTTP/1.1 200 OK
Content-Type: text/css
</responseHeader>
    <responseData class="java.lang.String">body { color: black; } a &lt; b</responseData>
    <method class="java.lang.String">GET</method>
  </httpSample>
  <httpSample t="200" lt="180" ts="1144371015641" s="false" lb="Home &amp; news-1" rc="404" rm="Not Found" tn="Listen 1-1" dt="bin" na="2"/>
  <assertionResult><name>Size</name><failure>false</failure><error>false</error></assertionResult>
  <method class="java.lang.String">GET</method>
  <url>http://www.apache.org/</url>
</httpSample>
<sample t="0" lt="0" ts="1144371016082" s="true" lb="Example Sampler" rc="200" rm="OK" tn="Listen 1-2" dt="text" na="3">
  <samplerData class="java.lang.String">ssssss</samplerData>
</sample>
<sample t="1392" ts="1144371014619" s="true" lb="Transaction" rm="Number of samples in transaction : 1, number of failing samples : 0" tn="Listen 1-1" na="3"/>
</testResults>
"#;
    let run = parse_run("nested.jtl", xml.as_bytes(), None).unwrap();
    assert_eq!(run.format, "jmeter-xml");
    // The page, its two embedded resources and the Java sample; not the
    // transaction controller.
    assert_eq!(run.requests, Some(4));
    assert_eq!(run.failed, Some(1));
    assert_eq!(run.vus_max, Some(3));
    let mut endpoints: Vec<(&str, Option<&str>)> = run
        .endpoints
        .iter()
        .map(|e| (e.name.as_str(), e.method.as_deref()))
        .collect();
    endpoints.sort();
    assert_eq!(
        endpoints,
        [
            ("Example Sampler", None),
            ("Home & news", Some("GET")),
            ("Home & news-0", Some("GET")),
            ("Home & news-1", None),
        ]
    );
}

#[test]
fn a_truncated_csv_names_the_cut_row() {
    let bytes = fixture("jmeter-HTMLReportTestFile.jtl.csv");
    // Cut the last row after its label.
    let cut = &bytes[..bytes.len() - 60];
    let err = parse_error("cut.jtl", cut, None);
    assert_eq!(
        err,
        "cut.jtl, line 256: expected 17 fields, as in the header, found 5 in the last row, \
         which is cut short (the file is truncated)"
    );
}

#[test]
fn a_bad_value_in_the_middle_names_line_and_field() {
    let bytes = fixture("jmeter-HTMLReportTestFile.jtl.csv");
    let mut rows = lines(&bytes);
    rows[56] = set_field(&rows[56], 1, "abc");
    let bad = rows.join("\n") + "\n";
    let err = parse_error("bad.jtl", bad.as_bytes(), None);
    assert_eq!(
        err,
        "bad.jtl, line 57, field `elapsed`: expected a duration in milliseconds \
         (a whole number), found `abc`"
    );

    let mut rows = lines(&bytes);
    rows[99] = set_field(&rows[99], 7, "yes");
    let bad = rows.join("\n") + "\n";
    let err = parse_error("bad.jtl", bad.as_bytes(), None);
    assert_eq!(
        err,
        "bad.jtl, line 100, field `success`: expected `true` or `false`, found `yes`"
    );

    let mut rows = lines(&bytes);
    rows[9] = rows[9].replacen(",JR-OK,", ",JR,OK,", 1);
    let bad = rows.join("\n") + "\n";
    let err = parse_error("bad.jtl", bad.as_bytes(), None);
    assert_eq!(
        err,
        "bad.jtl, line 10: expected 17 fields, as in the header, found 18"
    );
}

#[test]
fn missing_required_columns_are_named() {
    let bytes = fixture("jmeter-HTMLReportFalseTestFile.jtl.csv");
    let text = String::from_utf8(bytes).unwrap();
    let no_elapsed = text.replacen("timeStamp,elapsed,", "timeStamp,duration,", 1);
    let err = parse_error("no-elapsed.jtl", no_elapsed.as_bytes(), None);
    assert!(
        err.starts_with(
            "no-elapsed.jtl, line 1: expected a `elapsed` column in the header, found the \
             columns timeStamp,duration,label,"
        ),
        "{err}"
    );
    let no_timestamp = text.replacen("timeStamp,", "when,", 1);
    let err = parse_error("no-ts.jtl", no_timestamp.as_bytes(), None);
    assert!(
        err.starts_with("no-ts.jtl, line 1: expected a `timeStamp` column in the header"),
        "{err}"
    );

    // A forced format on a file that is no JTL says what was expected.
    let err = parse_error(
        "stats.csv",
        b"Type,Name,Request Count\nGET,/,1\n",
        Some(Format::JmeterCsv),
    );
    assert!(
        err.starts_with("stats.csv, line 1: expected a JMeter CSV result: no JTL header"),
        "{err}"
    );
    assert!(err.ends_with("found `Type,Name,Request Count`"), "{err}");
    let err = parse_error(
        "stats.csv",
        b"Type,Name,Request Count\nGET,/,1\n",
        Some(Format::JmeterXml),
    );
    assert_eq!(
        err,
        "stats.csv, line 3, column 1: expected a <testResults> root element, found no \
         element at all"
    );
}

#[test]
fn a_header_only_file_is_an_empty_run() {
    let csv = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success\n";
    let err = parse_error("empty.jtl", csv.as_bytes(), None);
    assert_eq!(
        err,
        "empty.jtl, line 2: expected at least one sample, found the end of the input"
    );

    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testResults version=\"1.2\">\n</testResults>\n";
    let err = parse_error("empty.xml", xml.as_bytes(), None);
    assert_eq!(
        err,
        "empty.xml, line 4: expected at least one sample, found the end of the input"
    );
}

#[test]
fn a_truncated_xml_names_where_it_ends() {
    let bytes = fixture("jmeter-sample_log1c.jtl.xml");
    // Cut after a complete element: the document is not closed.
    let end_of_line_1000 = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(999)
        .unwrap()
        .0;
    let cut = &bytes[..=end_of_line_1000];
    let err = parse_error("cut.xml", cut, None);
    assert_eq!(
        err,
        "cut.xml, line 1001, column 1: expected the rest of the document, closed by \
         </testResults>, found the end of the input (the file is truncated)"
    );

    // Cut inside an element's attributes.
    let cut = &bytes[..end_of_line_1000 + 40];
    let err = parse_error("cut.xml", cut, None);
    assert!(
        err.starts_with(
            "cut.xml, line 1001, column 1: expected a complete XML element, found the end of \
             the input inside it"
        ),
        "{err}"
    );
    assert!(err.ends_with("the file is truncated"), "{err}");
}

#[test]
fn a_bad_xml_value_names_line_and_attribute() {
    let bytes = fixture("jmeter-sample_log1c.jtl.xml");
    let mut rows = lines(&bytes);
    rows[56] = rows[56].replacen(" t=\"", " t=\"x", 1);
    let bad = rows.join("\n") + "\n";
    let err = parse_error("bad.xml", bad.as_bytes(), None);
    assert!(
        err.starts_with(
            "bad.xml, line 57, column 1, field `t`: expected a duration in milliseconds \
             (a whole number), found `x"
        ),
        "{err}"
    );

    let mut rows = lines(&bytes);
    let ts_at = rows[9].find(" ts=\"").unwrap();
    let ts_len = rows[9][ts_at + 5..].find('"').unwrap() + 6;
    rows[9].replace_range(ts_at..ts_at + ts_len, "");
    let bad = rows.join("\n") + "\n";
    let err = parse_error("bad.xml", bad.as_bytes(), None);
    assert_eq!(
        err,
        "bad.xml, line 10, column 1, field `ts`: expected a `ts` attribute (the timestamp) \
         on <httpSample>, found none"
    );

    let mismatched = "<testResults version=\"1.2\">\n<sample t=\"1\" ts=\"1700000000000\">\n</httpSample>\n</testResults>\n";
    let err = parse_error("mismatch.xml", mismatched.as_bytes(), None);
    assert_eq!(
        err,
        "mismatch.xml, line 3, column 1: expected </sample>, found </httpSample>"
    );
}

#[test]
fn an_endless_record_is_refused() {
    let mut csv = b"timeStamp,elapsed,label,success\n1700000000000,1,\"".to_vec();
    csv.extend(std::iter::repeat_n(b'a', MAX_LINE_BYTES + 100_000));
    let err = parse_error("endless.csv", &csv, None);
    assert!(
        err.starts_with("endless.csv, line 2: expected a row of at most 4 MiB"),
        "{err}"
    );

    let mut xml = b"<testResults version=\"1.2\">\n<httpSample lb=\"".to_vec();
    xml.extend(std::iter::repeat_n(b'a', MAX_LINE_BYTES + 100_000));
    let err = parse_error("endless.xml", &xml, None);
    assert!(
        err.starts_with("endless.xml, line 2: expected an XML element of at most 4 MiB"),
        "{err}"
    );

    // Response data is skipped, not buffered: a large one is fine.
    let mut xml = b"<testResults version=\"1.2\">\n<httpSample t=\"5\" ts=\"1700000000000\" s=\"true\" lb=\"big\"><responseData>".to_vec();
    xml.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 100_000));
    xml.extend(b"</responseData></httpSample>\n</testResults>\n");
    let run = parse_run("big.xml", &xml, None).unwrap();
    assert_eq!(run.requests, Some(1));
}

#[test]
fn no_input_makes_the_parser_panic() {
    // Every cut of the fixtures, and every byte of a CSV's first rows
    // replaced by characters that matter to the parsers, gives a run or an
    // error, never a panic.
    for name in [
        "jmeter-HTMLReportTestFile.jtl.csv",
        "jmeter-HTMLReportFalseTestFile.jtl.csv",
        "jmeter-sample_log1c.jtl.xml",
    ] {
        let bytes = fixture(name);
        let step = (bytes.len() / 120).max(1);
        for end in (0..bytes.len()).step_by(step) {
            let _ = parse_run(name, &bytes[..end], None);
            let _ = parse_run(name, &bytes[..end], Some(Format::JmeterCsv));
            let _ = parse_run(name, &bytes[..end], Some(Format::JmeterXml));
        }
    }
    let bytes = fixture("jmeter-HTMLReportTestFile.jtl.csv");
    for i in (0..600).step_by(4) {
        for replacement in [b'"', b',', b'\n', b'-', 0xff] {
            let mut changed = bytes.clone();
            changed[i] = replacement;
            let _ = parse_run("changed.csv", &changed, None);
        }
    }
    let bytes = fixture("jmeter-sample_log1c.jtl.xml");
    for i in (0..600).step_by(3) {
        for replacement in [b'"', b'<', b'>', b'/', b'&', 0xff] {
            let mut changed = bytes[..2000].to_vec();
            changed[i] = replacement;
            let _ = parse_run("changed.xml", &changed, None);
        }
    }
}

#[test]
fn a_gzipped_jtl_is_read_like_the_plain_one() {
    use std::io::Write;
    for name in [
        "jmeter-HTMLReportTestFile.jtl.csv",
        "jmeter-sample_log1c.jtl.xml",
    ] {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&fixture(name)).unwrap();
        let gzipped = encoder.finish().unwrap();
        let run = parse_run(&format!("{name}.gz"), &gzipped, None).unwrap();
        assert_eq!(run, detect_and_parse(name));
    }
}

#[test]
fn a_label_in_another_encoding_is_kept_with_a_replacement_character() {
    // "Requête" in ISO-8859-1, as a JMeter writing with a platform encoding
    // would save it.
    let csv = b"timeStamp,elapsed,label,success\n1700000000000,5,Requ\xeate,true\n";
    let run = parse_run("latin1.jtl", csv, None).unwrap();
    assert_eq!(run.endpoints[0].name, "Requ\u{fffd}te");
}
