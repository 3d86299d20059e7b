//! The wrk parser over real wrk and wrk2 outputs (tests/fixtures/wrk, see
//! tests/fixtures/PROVENANCE.md and tests/fixtures/wrk/PROVENANCE.md) and
//! over outputs built from wrk's printer.
//!
//! No real wrk output with `--latency`, socket errors or non-2xx responses
//! was found under a licence that allows copying. Those inputs are built by
//! emulating the `printf` calls of wg/wrk `src/wrk.c` (`main`,
//! `print_stats`, `print_stats_latency`, `print_units`) and the formatting
//! of `src/units.c`; the wrk2 one with `-U` follows giltene/wrk2
//! `print_hdr_latency` with its percentile spectra cut to two rows. Each
//! expected figure is read off the input by hand, converted to ms, and
//! derived as the comments say.

use readiness_core::formats::{Format, IngestError, ingest, parse_run, wrk};
use readiness_core::input::MemorySource;
use readiness_core::run::{Exactness, ScenarioKind};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
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
fn plain_wrk_output_gives_its_summary_figures() {
    let name = "wrk/wrkparser-wrk.log";
    let run = parse_run("wrk.log", &fixture(name), None).unwrap();
    assert_eq!(run.format, "wrk");
    assert_eq!(run.tool, "wrk");
    assert_eq!(run.tool_version, None);
    assert_eq!(run.exactness, Exactness::Reported);
    assert_eq!(run.error_bound, None);
    assert_eq!(run.scenario, ScenarioKind::Unspecified);
    // `13803 requests in 3.01s`, no socket-error or non-2xx line.
    assert_eq!(run.requests, Some(13803));
    assert_eq!(run.failed, Some(0));
    assert_eq!(run.error_rate, Some(0.0));
    assert_close(run.duration_s, 3.01);
    assert_close(run.throughput_rps, 4582.66);
    // 50 connections on 8 threads: 6 per thread, 48 in all.
    assert_eq!(run.vus_max, Some(48));
    assert_eq!(run.started_at, None);
    // `Latency 10.54ms 2.89ms 47.54ms`; no --latency, so no percentiles.
    assert_close(run.latency_ms.avg, 10.54);
    assert_close(run.latency_ms.max, 47.54);
    assert_eq!(run.latency_ms.min, None);
    assert_eq!(run.latency_ms.p50, None);
    assert_eq!(run.latency_ms.p90, None);
    assert_eq!(run.latency_ms.p95, None);
    assert_eq!(run.latency_ms.p99, None);
    assert!(run.endpoints.is_empty());
    assert!(run.series.is_none());
    assert!(run.thresholds.is_empty());
}

#[test]
fn real_wrk2_output_after_a_command_line_gives_its_recorded_percentiles() {
    let name = "wrk/highload-dht-wrk2-allocGet.md";
    let run = parse_run("allocGet.md", &fixture(name), None).unwrap();
    assert_eq!(run.format, "wrk");
    assert_eq!(run.exactness, Exactness::Reported);
    // `119714 requests in 1.00m` (the histogram's 99357 count only the
    // requests after calibration).
    assert_eq!(run.requests, Some(119714));
    assert_eq!(run.failed, Some(0));
    assert_eq!(run.error_rate, Some(0.0));
    assert_close(run.duration_s, 60.0);
    assert_close(run.throughput_rps, 1995.22);
    // 64 connections on 1 thread.
    assert_eq!(run.vus_max, Some(64));
    assert_close(run.latency_ms.avg, 1.44);
    assert_close(run.latency_ms.max, 12.92);
    assert_close(run.latency_ms.p50, 1.37);
    assert_close(run.latency_ms.p90, 2.42);
    assert_close(run.latency_ms.p99, 3.02);
    assert_eq!(run.latency_ms.p95, None, "wrk2 prints no 95th percentile");
    assert_eq!(run.latency_ms.min, None);
}

/// wrk 4 with `--latency` against a server that resets some connections
/// and answers some requests with errors; a Lua `done()` report follows.
const WITH_ERRORS: &str = "\
Running 30s test @ http://127.0.0.1:8080/api/items
  4 threads and 100 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   635.91us    0.89ms   1.12s    93.69%
    Req/Sec     1.20k   310.55     2.03k    71.25%
  Latency Distribution
     50%  250.00us
     75%  491.00us
     90%  700.00us
     99%    5.80ms
  143812 requests in 30.10s, 51.47MB read
  Socket errors: connect 0, read 17, write 2, timeout 35
  Non-2xx or 3xx responses: 1203
Requests/sec:   4777.81
Transfer/sec:      1.71MB
------------------------------
Latency percentiles:
  50%: 250
";

#[test]
fn socket_errors_and_non_2xx_responses_are_failures() {
    let run = parse_run("wrk.txt", WITH_ERRORS.as_bytes(), None).unwrap();
    assert_eq!(run.format, "wrk");
    // 143812 responses + 17 read + 2 write errors; the 35 timeouts are not
    // requests.
    assert_eq!(run.requests, Some(143_831));
    // 1203 responses above 399 + 17 + 2.
    assert_eq!(run.failed, Some(1222));
    assert_close(run.error_rate, 1222.0 / 143_831.0);
    assert_close(run.duration_s, 30.1);
    assert_close(run.throughput_rps, 4777.81);
    // 100 connections on 4 threads.
    assert_eq!(run.vus_max, Some(100));
    assert_close(run.latency_ms.avg, 0.63591); // 635.91us
    assert_close(run.latency_ms.max, 1120.0); // 1.12s
    assert_close(run.latency_ms.p50, 0.25); // 250.00us
    assert_close(run.latency_ms.p90, 0.7); // 700.00us
    assert_close(run.latency_ms.p99, 5.8); // 5.80ms
    assert_eq!(run.latency_ms.p95, None);
    assert_eq!(run.latency_ms.min, None);
}

#[test]
fn a_refused_run_is_all_failures_without_latencies() {
    let doc = "\
Running 10s test @ http://127.0.0.1:9999/
  2 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     0.00us    0.00us   0.00us   -nan%
    Req/Sec     0.00      0.00     0.00      -nan%
  0 requests in 10.01s, 0.00B read
  Socket errors: connect 35186, read 0, write 0, timeout 0
Requests/sec:      0.00
Transfer/sec:       0.00B
";
    let run = parse_run("down.txt", doc.as_bytes(), None).unwrap();
    assert_eq!(run.requests, Some(35186));
    assert_eq!(run.failed, Some(35186));
    assert_eq!(run.error_rate, Some(1.0));
    assert_close(run.duration_s, 10.01);
    assert_eq!(run.throughput_rps, Some(0.0));
    assert_eq!(run.vus_max, Some(10));
    // wrk's zeros describe no response.
    assert_eq!(run.latency_ms.avg, None);
    assert_eq!(run.latency_ms.max, None);
}

#[test]
fn minutes_and_large_counts_are_scaled() {
    let doc = "\
Running 2m test @ http://10.0.0.5/
  16 threads and 1000 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    95.00ms   40.00ms   1.05m    81.50%
    Req/Sec     1.25M    98.00k    1.90M    66.00%
  1234567890 requests in 2.50m, 2.50TB read
Requests/sec: 8229355.35
Transfer/sec:     17.06GB
";
    let run = parse_run("long.txt", doc.as_bytes(), None).unwrap();
    assert_eq!(run.requests, Some(1_234_567_890));
    assert_eq!(run.failed, Some(0));
    assert_close(run.duration_s, 150.0); // 2.50m
    assert_close(run.throughput_rps, 8_229_355.35);
    // 1000 / 16 = 62 per thread, 992 in all.
    assert_eq!(run.vus_max, Some(992));
    assert_close(run.latency_ms.avg, 95.0);
    assert_close(run.latency_ms.max, 63_000.0); // 1.05m
}

#[test]
fn wrk2_uncorrected_latency_is_not_mistaken_for_the_recorded_one() {
    let doc = "\
Running 10s test @ http://127.0.0.1:8080/
  2 threads and 20 connections
  Thread calibration: mean lat.: 1.053ms, rate sampling interval: 10ms
  Thread calibration: mean lat.: 1.071ms, rate sampling interval: 10ms
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.06ms  512.34us   9.87ms   70.12%
    Req/Sec   528.35    101.22     1.00k    65.43%
  Latency Distribution (HdrHistogram - Recorded Latency)
 50.000%    1.01ms
 75.000%    1.35ms
 90.000%    1.70ms
 99.000%    2.91ms
 99.900%    6.12ms
 99.990%    9.87ms
 99.999%    9.87ms
100.000%    9.87ms

  Detailed Percentile spectrum:
       Value   Percentile   TotalCount 1/(1-Percentile)

       0.150     0.000000            1         1.00
       9.871     1.000000         8001          inf
#[Mean    =        1.060, StdDeviation   =        0.512]
#[Max     =        9.864, Total count    =         8001]
#[Buckets =           27, SubBuckets     =         2048]
----------------------------------------------------------

  Latency Distribution (HdrHistogram - Uncorrected Latency (measured without taking delayed starts into account))
 50.000%  980.00us
 75.000%    1.30ms
 90.000%    1.61ms
 99.000%    2.50ms
 99.900%    5.01ms
 99.990%    8.00ms
 99.999%    8.00ms
100.000%    8.00ms

  Detailed Percentile spectrum:
       Value   Percentile   TotalCount 1/(1-Percentile)

       0.140     0.000000            1         1.00
       8.000     1.000000         8001          inf
#[Mean    =        0.990, StdDeviation   =        0.480]
#[Max     =        7.996, Total count    =         8001]
#[Buckets =           27, SubBuckets     =         2048]
----------------------------------------------------------
  10002 requests in 10.00s, 1.17MB read
Requests/sec:   1000.18
Transfer/sec:    119.86KB
";
    let run = parse_run("wrk2.txt", doc.as_bytes(), None).unwrap();
    assert_eq!(run.requests, Some(10002));
    assert_eq!(run.failed, Some(0));
    assert_close(run.duration_s, 10.0);
    assert_close(run.throughput_rps, 1000.18);
    assert_eq!(run.vus_max, Some(20));
    assert_close(run.latency_ms.avg, 1.06);
    assert_close(run.latency_ms.max, 9.87);
    assert_close(run.latency_ms.p50, 1.01);
    assert_close(run.latency_ms.p90, 1.7);
    assert_close(run.latency_ms.p99, 2.91);
}

#[test]
fn a_bad_unit_names_the_file_line_and_field() {
    let doc = WITH_ERRORS.replace("635.91us", "10.5xs");
    let err = parse_run("wrk.txt", doc.as_bytes(), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "wrk.txt, line 4, field `Latency Avg`: expected a time with a unit (us, ms, s, m), \
         found `10.5xs`"
    );

    let doc = WITH_ERRORS.replace("  143812 requests in 30.10s", "  143812 requests in 30.10");
    let err = parse_run("wrk.txt", doc.as_bytes(), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "wrk.txt, line 11, field `run time`: expected a time with a unit (us, ms, s, m), \
         found `30.10`"
    );

    let doc = WITH_ERRORS.replace("1.20k", "1.20q");
    let err = parse_run("wrk.txt", doc.as_bytes(), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "wrk.txt, line 5, field `Req/Sec Avg`: expected a number with an optional k, M, G or T, \
         found `1.20q`"
    );

    let doc = WITH_ERRORS.replace("     90%  700.00us", "     90%  700.00");
    let err = parse_run("wrk.txt", doc.as_bytes(), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "wrk.txt, line 9, field `90%`: expected a time with a unit (us, ms, s, m), found `700.00`"
    );
}

#[test]
fn a_missing_line_is_named() {
    // The output cut off before its last lines.
    let cut: String = WITH_ERRORS
        .lines()
        .take(13)
        .map(|l| format!("{l}\n"))
        .collect();
    let err = parse_run("wrk.txt", cut.as_bytes(), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "wrk.txt, field `Requests/sec`: expected the `Requests/sec: <rate>` line, found none up \
         to the end of the file (line 13)"
    );

    let without_summary = WITH_ERRORS.replace("  143812 requests in 30.10s, 51.47MB read\n", "");
    let err = parse_run("wrk.txt", without_summary.as_bytes(), Some(Format::Wrk)).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "wrk.txt, field `requests`: expected the `N requests in <time>, <size> read` line"
        ),
        "{err}"
    );

    let err = parse_run("notes.txt", b"just some notes\n", Some(Format::Wrk)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "notes.txt, field `Running`: expected a `Running <duration> test @ <url>` line, found \
         none up to the end of the file (line 1)"
    );
}

#[test]
fn two_runs_in_one_file_are_refused() {
    let doc = format!("{WITH_ERRORS}{WITH_ERRORS}");
    let err = parse_run("wrk.txt", doc.as_bytes(), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "wrk.txt, line 19: expected one wrk run per file, found a second `Running ... test @` \
         line (the first is line 1)"
    );
}

#[test]
fn more_non_2xx_responses_than_responses_is_refused() {
    let doc = WITH_ERRORS.replace("responses: 1203", "responses: 200000");
    let err = parse_run("wrk.txt", doc.as_bytes(), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "wrk.txt, field `Non-2xx or 3xx responses`: expected at most the 143812 completed \
         requests, found 200000"
    );
}

#[test]
fn detection_finds_wrk_and_only_wrk() {
    let source = MemorySource::new("out.txt", WITH_ERRORS);
    assert_eq!(ingest(&[&source], None).unwrap().format, Format::Wrk.name());

    // Other tools' files are not wrk's.
    for name in [
        "k6/k6-reporter-handlesummary-simple.json",
        "k6/xk6-dashboard-out-json-result.ndjson",
        "jmeter/jmeter-HTMLReportTestFile.jtl.csv",
        "gatling/gatling-3.12-text-simulation.log",
        "locust/bitcoin-api-results_stats.csv",
        "oha/oha-1.15.0-output-schema.json",
    ] {
        let bytes = fixture(name);
        let source = MemorySource::new(name, bytes.clone());
        let head = &bytes[..bytes.len().min(64 * 1024)];
        assert!(wrk::sniff(&source, head).is_err(), "{name}");
    }

    // And text without the summary says what was missing.
    let err = parse_run("x.txt", b"Running 1s test @ http://x/\n", None).unwrap_err();
    let IngestError::UnknownFormat { tried, .. } = &err else {
        panic!("expected an unknown format, got {err:?}");
    };
    let (_, why) = tried.iter().find(|(family, _)| *family == "wrk").unwrap();
    assert_eq!(
        why,
        "a `Running ... test @` line but no `N requests in ...` line"
    );
}

#[test]
fn no_cut_or_corrupted_output_makes_the_parser_panic() {
    let fixture = fixture("wrk/highload-dht-wrk2-allocGet.md");
    for end in 0..fixture.len() {
        let _ = parse_run("cut.txt", &fixture[..end], Some(Format::Wrk));
    }
    for input in [WITH_ERRORS.as_bytes()] {
        for end in 0..input.len() {
            let _ = parse_run("cut.txt", &input[..end], Some(Format::Wrk));
        }
        for i in 0..input.len() {
            for byte in [b'9', b'x', b'%', b'\n', 0xff] {
                let mut bytes = input.to_vec();
                bytes[i] = byte;
                let _ = parse_run("bad.txt", &bytes, None);
            }
        }
    }
}
