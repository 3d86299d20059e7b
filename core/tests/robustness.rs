//! Robustness of every parser: no input, however damaged, makes a parser
//! panic, and every run a parser accepts is sane.
//!
//! The inputs are built here, deterministically, from a fixed seed: the
//! fixtures of every format (tests/fixtures) mutated in the ways real files
//! get damaged (cut short, bit rot, lines duplicated, swapped or pasted from
//! another tool's output, numbers out of range, NaN text, non-UTF-8 bytes,
//! gzip), purely random bytes, and structured random documents in each
//! format's own shape. Each input goes through detection (`parse_run` with
//! no format) and through every format of `Format::ALL` forced, and sets of
//! files go through `ingest` together. Nothing is caught: a panic fails the
//! test, after the panic hook has printed which case it was.
//!
//! Every input is a pure function of the seed, its stream (one per test)
//! and its case number, so a failure names both and can be replayed alone
//! with `ROBUSTNESS_CASE=<stream>/<case>` in the environment.
//!
//! Inputs exercised, all tests together: 3,417 inputs (3,167 single files
//! and 250 sets of files), each read 15 times (detection and the 14 forced
//! formats), so 51,255 parses: about 60 s of CPU in a debug build, under
//! 50 s on 2 otherwise idle cores. `cargo test -- --nocapture` prints the
//! figures and the time of each test.
//! The counts are what fits in that time: in a debug build most of a
//! parse of a small input goes to detection, which builds several CSV
//! readers per call, so each parse costs about a millisecond and a half.
//! The cargo-fuzz targets in fuzz/ (bench/fuzz.sh) run the same parsers,
//! optimized and coverage-guided, for as long as one lets them.
//!
//! A property that a parser is known to break is waived in [`KNOWN`] for
//! that format only, and its smallest input is an ignored test at the end
//! of this file, so the suite stays green until the owner fixes the parser
//! and removes the waiver.

use flate2::Compression;
use flate2::write::GzEncoder;
use readiness_core::formats::{Format, IngestError, ingest, parse_run};
use readiness_core::input::{MAX_LINE_BYTES, MemorySource, Source};
use readiness_core::run::{Exactness, Latency, Run};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::sync::Once;

/// The seed of every random choice. Changing it explores other inputs;
/// keeping it makes every run of the suite exercise the same ones.
const SEED: u64 = 0x5245_4144_494E_4553;

/// The most time-series buckets a run may have: the run builder aims at
/// 720, and a run that ends exactly on a bucket boundary adds one.
const MAX_SERIES_POINTS: usize = 721;

// ---------------------------------------------------------------------------
// Deterministic randomness

/// SplitMix64: small, fast and good enough to pick mutations. A dependency
/// would do no better here and would make the stream depend on its version.
#[derive(Debug, Clone)]
struct Rng {
    state: u64,
    /// How wild the document being generated is: the percentage of its
    /// fields that get an odd value (see [`wild`]).
    wild: u64,
}

impl Rng {
    /// The generator of one case of one stream.
    fn for_case(stream: &str, case: u64) -> Rng {
        // FNV-1a of the stream's name keeps streams independent.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in stream.bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        let mut rng = Rng {
            state: SEED ^ hash ^ case.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            wild: 5,
        };
        rng.next();
        rng
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    /// A number in `low..=high`.
    fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------
// Cases, the panic hook and the properties

thread_local! {
    /// The case being checked on this thread, for the panic hook.
    static CURRENT: RefCell<String> = const { RefCell::new(String::new()) };
}

static HOOK: Once = Once::new();

/// Installs, once per process, a panic hook that says which case was being
/// checked before the usual panic message. It catches nothing: the panic
/// goes on and fails the test.
fn install_hook() {
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            CURRENT.with(|current| {
                if let Ok(current) = current.try_borrow()
                    && !current.is_empty()
                {
                    eprintln!("robustness: panic while checking {current}");
                }
            });
            default(info);
        }));
    });
}

/// A property a parser is known to break, waived for one format until the
/// ignored test named here passes.
struct Known {
    format: &'static str,
    property: &'static str,
    /// Text the violation's detail must contain ("" for any), so that a
    /// waiver for negative figures does not hide infinite ones.
    detail: &'static str,
    test: &'static str,
}

/// Known violations, each waived for one format, property and detail until
/// its regression test (at the end of the file) passes; none today.
const KNOWN: &[Known] = &[];

/// One test's stream of cases, with what it exercised.
struct Harness {
    stream: &'static str,
    /// The one case to run, when `ROBUSTNESS_CASE` names this stream; no
    /// case at all when it names another.
    only: Option<Option<u64>>,
    inputs: u64,
    parses: u64,
    accepted: u64,
    /// Accepted runs by format, to show that every format's accepting
    /// paths are reached, not only its errors.
    accepted_by: BTreeMap<String, u64>,
    waived: BTreeMap<String, u64>,
    /// Violations not waived, by format and property: how many, and the
    /// smallest input that showed it, with its case.
    broken: BTreeMap<(String, &'static str), (u64, usize, String)>,
    started: std::time::Instant,
}

impl Harness {
    fn new(stream: &'static str) -> Self {
        install_hook();
        let only = std::env::var("ROBUSTNESS_CASE").ok().map(|wanted| {
            let (name, case) = wanted.split_once('/').unwrap_or((&wanted, ""));
            (name == stream).then(|| case.parse().expect("ROBUSTNESS_CASE=<stream>/<case>"))
        });
        Harness {
            stream,
            only,
            inputs: 0,
            parses: 0,
            accepted: 0,
            accepted_by: BTreeMap::new(),
            waived: BTreeMap::new(),
            broken: BTreeMap::new(),
            started: std::time::Instant::now(),
        }
    }

    /// Whether a case is to be built and checked in this run.
    fn wants(&self, case: u64) -> bool {
        match self.only {
            None => true,
            Some(only) => only == Some(case),
        }
    }

    fn label(&self, case: u64, what: &str, files: &[(String, Vec<u8>)]) -> String {
        let mut label = format!(
            "seed {SEED:#x}, stream `{}`, case {case} ({what}); replay it alone with \
             ROBUSTNESS_CASE={}/{case}",
            self.stream, self.stream
        );
        for (name, bytes) in files {
            let _ = write!(
                label,
                "\n  file `{name}`, {} bytes: {}",
                bytes.len(),
                preview(bytes)
            );
        }
        label
    }

    /// Checks one file: detection, then every format forced.
    fn single(&mut self, case: u64, what: &str, name: &str, bytes: &[u8]) {
        self.files(case, what, &[(name.to_owned(), bytes.to_vec())]);
    }

    /// Checks a set of files read as one run: detection, then every format
    /// forced on the whole set.
    fn files(&mut self, case: u64, what: &str, files: &[(String, Vec<u8>)]) {
        if !self.wants(case) {
            return;
        }
        let label = self.label(case, what, files);
        CURRENT.with(|current| current.borrow_mut().clone_from(&label));
        let sources: Vec<MemorySource> = files
            .iter()
            .map(|(name, bytes)| MemorySource::new(name.clone(), bytes.clone()))
            .collect();
        let refs: Vec<&dyn Source> = sources.iter().map(|s| s as &dyn Source).collect();
        self.inputs += 1;
        let single = files.len() == 1;
        for format in std::iter::once(None).chain(Format::ALL.map(Some)) {
            // `parse_run` is the single-file entry point; it must agree
            // with `ingest`, which it wraps, so sets go through `ingest`.
            let outcome = if single {
                parse_run(&files[0].0, &files[0].1, format)
            } else {
                ingest(&refs, format)
            };
            self.parses += 1;
            let size = files.iter().map(|(_, b)| b.len()).sum();
            self.outcome(&label, size, format, outcome);
        }
        CURRENT.with(|current| current.borrow_mut().clear());
    }

    fn outcome(
        &mut self,
        label: &str,
        size: usize,
        format: Option<Format>,
        outcome: Result<Run, IngestError>,
    ) {
        let how = format.map_or("detected".to_owned(), |f| format!("forced {f}"));
        match outcome {
            Err(err) => {
                let message = err.to_string();
                assert!(
                    !message.trim().is_empty(),
                    "{label}\n{how}: an error with an empty message: {err:?}"
                );
            }
            Ok(run) => {
                self.accepted += 1;
                *self.accepted_by.entry(run.format.clone()).or_default() += 1;
                for (property, detail) in violations(&run) {
                    if let Some(known) = KNOWN.iter().find(|k| {
                        k.format == run.format
                            && k.property == property
                            && detail.contains(k.detail)
                    }) {
                        *self
                            .waived
                            .entry(format!("{} {} ({})", known.format, property, known.test))
                            .or_default() += 1;
                        continue;
                    }
                    // Violations are gathered so that one run of the suite
                    // lists every broken property with its smallest input;
                    // the test fails at its end (see `report`).
                    let json = serde_json::to_string(&run).unwrap_or_default();
                    let text = format!(
                        "{label}\n{how}: {detail}\nrun: {}",
                        preview(json.as_bytes())
                    );
                    let entry = self
                        .broken
                        .entry((run.format.clone(), property))
                        .or_insert((0, usize::MAX, String::new()));
                    entry.0 += 1;
                    if size < entry.1 {
                        (entry.1, entry.2) = (size, text);
                    }
                }
            }
        }
    }

    /// Prints what the stream exercised (shown with `--nocapture`), and
    /// fails with every property violation found that is not waived.
    fn report(&self) {
        println!(
            "robustness `{}`: {} inputs, {} parses, {} accepted, {:.1} s",
            self.stream,
            self.inputs,
            self.parses,
            self.accepted,
            self.started.elapsed().as_secs_f64()
        );
        let by: Vec<String> = self
            .accepted_by
            .iter()
            .map(|(format, n)| format!("{format} {n}"))
            .collect();
        println!("  accepted by format: {}", by.join(", "));
        for (waiver, count) in &self.waived {
            println!("  waived {count}x: {waiver}");
        }
        if self.broken.is_empty() {
            return;
        }
        let mut message = String::new();
        for ((format, property), (count, _, smallest)) in &self.broken {
            let _ = write!(
                message,
                "\n\nproperty `{property}` violated by {count} {format} run(s); the smallest \
                 input:\n{smallest}"
            );
        }
        panic!("properties violated:{message}");
    }
}

/// The start of an input, escaped, for messages.
fn preview(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(240)];
    let mut text = shown.escape_ascii().to_string();
    if shown.len() < bytes.len() {
        text.push_str("...");
    }
    text
}

/// The properties every accepted run must have, as (property, detail).
fn violations(run: &Run) -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    // A tool's own summary is copied as reported, and tools round and
    // estimate percentiles each their own way, so only computed figures
    // must be in order.
    let ordered = run.exactness != Exactness::Reported;
    counts("the run", run.requests, run.failed, &mut found);
    if let Some(rate) = run.error_rate
        && !(0.0..=1.0).contains(&rate)
    {
        found.push(("error-rate-within-0-and-1", format!("error_rate {rate}")));
    }
    latency("the run", &run.latency_ms, ordered, &mut found);
    for endpoint in &run.endpoints {
        let what = format!("endpoint `{}`", endpoint.name);
        counts(&what, endpoint.requests, endpoint.failed, &mut found);
        latency(&what, &endpoint.latency_ms, ordered, &mut found);
    }
    if let Some(duration) = run.duration_s
        && !(duration.is_finite() && duration >= 0.0)
    {
        found.push(("duration-finite-and-not-negative", format!("{duration} s")));
    }
    if let Some(rps) = run.throughput_rps
        && !(rps.is_finite() && rps >= 0.0)
    {
        found.push(("throughput-finite-and-not-negative", format!("{rps} rps")));
    }
    if let Some(bound) = run.error_bound
        && !(bound.is_finite() && bound >= 0.0)
    {
        found.push(("error-bound-finite", format!("{bound}")));
    }
    if let Some(series) = &run.series {
        if series.points.len() > MAX_SERIES_POINTS {
            found.push((
                "series-of-at-most-721-buckets",
                format!("{} buckets", series.points.len()),
            ));
        }
        if !(series.bucket_s.is_finite() && series.bucket_s > 0.0) {
            found.push((
                "series-bucket-size-finite-and-positive",
                format!("{} s", series.bucket_s),
            ));
        }
        for point in &series.points {
            let what = format!("the series bucket at {} s", point.t);
            if !(point.t.is_finite() && point.t >= 0.0) {
                found.push(("series-time-finite-and-not-negative", what.clone()));
            }
            let figures = [
                ("p50", point.p50_ms),
                ("p95", point.p95_ms),
                ("p99", point.p99_ms),
            ];
            figures_in_order(&what, &figures, ordered, &mut found);
        }
    }
    // JSON has no NaN or infinity (serde_json would write null): every
    // figure checked above is finite, and the document must be written.
    if let Err(err) = serde_json::to_string(run) {
        found.push(("serializes-to-json", err.to_string()));
    }
    found
}

fn counts(
    what: &str,
    requests: Option<u64>,
    failed: Option<u64>,
    found: &mut Vec<(&'static str, String)>,
) {
    if let (Some(requests), Some(failed)) = (requests, failed)
        && failed > requests
    {
        found.push((
            "failed-at-most-requests",
            format!("{what}: {failed} failed of {requests} requests"),
        ));
    }
}

fn latency(what: &str, l: &Latency, ordered: bool, found: &mut Vec<(&'static str, String)>) {
    if let Some(avg) = l.avg
        && !(avg.is_finite() && avg >= 0.0)
    {
        found.push((
            "latency-finite-and-not-negative",
            format!("{what}: avg {avg} ms"),
        ));
    }
    let figures = [
        ("min", l.min),
        ("p50", l.p50),
        ("p90", l.p90),
        ("p95", l.p95),
        ("p99", l.p99),
        ("max", l.max),
    ];
    figures_in_order(what, &figures, ordered, found);
}

/// Latency figures, smallest statistic first: each present one finite and
/// not negative and, when `ordered`, none above a later one.
fn figures_in_order(
    what: &str,
    figures: &[(&str, Option<f64>)],
    ordered: bool,
    found: &mut Vec<(&'static str, String)>,
) {
    for (name, value) in figures {
        if let Some(value) = value
            && !(value.is_finite() && *value >= 0.0)
        {
            found.push((
                "latency-finite-and-not-negative",
                format!("{what}: {name} {value} ms"),
            ));
        }
    }
    if !ordered {
        return;
    }
    let present: Vec<(&str, f64)> = figures
        .iter()
        .filter_map(|(name, value)| value.map(|v| (*name, v)))
        .collect();
    for pair in present.windows(2) {
        let ((low_name, low), (high_name, high)) = (pair[0], pair[1]);
        if low > high {
            found.push((
                "latency-figures-in-order",
                format!("{what}: {low_name} {low} ms above {high_name} {high} ms"),
            ));
        }
    }
}

// ---------------------------------------------------------------------------
// Seeds: the fixtures, and hand-written documents for the formats that have
// no fixture file

/// One seed input: a name (detection reads names too) and its bytes.
#[derive(Debug, Clone)]
struct Seed {
    name: String,
    bytes: Vec<u8>,
}

/// Files larger than this are cut down (see [`base_of`]) for most cases:
/// a debug build parses a megabyte fifteen times too slowly for CI, and the
/// first few hundred records exercise the same code as the rest.
const BIG: usize = 64 * 1024;

fn fixtures_dir() -> String {
    format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"))
}

/// Every fixture file, in a fixed order.
fn fixtures() -> Vec<Seed> {
    let mut seeds = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(fixtures_dir())
        .expect("the fixtures folder")
        .map(|entry| entry.expect("a fixture folder entry").path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("a fixture folder")
            .map(|entry| entry.expect("a fixture entry").path())
            .filter(|path| path.is_file() && path.file_name().is_some_and(|n| n != "PROVENANCE.md"))
            .collect();
        files.sort();
        for path in files {
            seeds.push(Seed {
                name: file_name(&path),
                bytes: std::fs::read(&path).expect("a readable fixture"),
            });
        }
    }
    seeds.extend(synthetic());
    seeds
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Well-formed documents of the formats without a fixture file (k6 CSV,
/// the k6 machine-readable summary, oha output, vegeta's report and
/// results), in the shapes the format modules document.
fn synthetic() -> Vec<Seed> {
    let seed = |name: &str, text: &str| Seed {
        name: name.to_owned(),
        bytes: text.as_bytes().to_vec(),
    };
    vec![
        seed(
            "k6-out.csv",
            "metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,\
             method,name,proto,scenario,service,status,subproto,tls_version,url,extra_tags,metadata\n\
             http_reqs,1641298536,1.000000,,,,true,,GET,http://test.k6.io,HTTP/1.1,default,,200,,,http://test.k6.io,,\n\
             http_req_duration,1641298536,117.424000,,,,true,,GET,http://test.k6.io,HTTP/1.1,default,,200,,,http://test.k6.io,,\n\
             http_req_failed,1641298536,0.000000,,,,true,,GET,http://test.k6.io,HTTP/1.1,default,,200,,,http://test.k6.io,,\n\
             vus,1641298537,10.000000,,,,,,,,,,,,,,,,\n\
             http_req_duration,1641298537,98.100000,,,,false,,POST,\"login, form\",HTTP/1.1,default,,500,,,http://test.k6.io/login,,\n\
             http_req_duration,1641298539,5.5,,,,true,,GET,http://test.k6.io,HTTP/1.1,default,,200,,,http://test.k6.io,,\n",
        ),
        seed(
            "summary-machine.json",
            r#"{"version":"1.0.0",
"metadata":{"generatedAt":"2026-01-02T10:10:00Z","k6Version":"v1.5.0"},
"config":{"duration":600.0,"execution":"local"},
"results":{"metrics":[
{"name":"http_reqs","type":"counter","contains":"default","values":{"count":20000}},
{"name":"http_req_failed","type":"rate","contains":"default","values":{"matches":56,"total":20000,"rate":0.0028}},
{"name":"http_req_duration","type":"trend","contains":"time","values":{"avg":175.2,"min":5.3,"med":138.4,"max":1776.5,"p(90)":342.7,"p(95)":434.4}},
{"name":"vus","type":"gauge","contains":"default","values":{"value":1,"min":1,"max":120}}
]}}
"#,
        ),
        seed(
            "oha.json",
            r#"{
  "summary": {"successRate": 0.985, "total": 10.002, "slowest": 1.2345678, "fastest": 0.0012345,
    "average": 0.0456789, "requestsPerSec": 20.39592081583683, "totalData": 100864,
    "sizePerRequest": 512, "sizePerSec": 10084.383123375324},
  "responseTimeHistogram": {"0.012345654545454547": 60, "0.024691309090909094": 137},
  "latencyPercentiles": {"p10": 0.0021, "p25": 0.0102, "p50": 0.0301, "p75": 0.0456,
    "p90": 0.0789, "p95": 0.1234, "p99": 0.9876, "p99.9": 1.2345678, "p99.99": 1.2345678},
  "rps": {"mean": 19.7, "stddev": 2.1, "max": 25.0, "min": 12.0,
    "percentiles": {"p10": 17.0, "p50": 20.0, "p99": 25.0}},
  "details": {"DNSDialup": {"average": 0.01, "fastest": 0.001, "slowest": 0.1},
    "DNSLookup": {"average": 0.0001, "fastest": 0.00001, "slowest": 0.001}},
  "statusCodeDistribution": {"200": 180, "404": 12, "503": 5},
  "errorDistribution": {"connection refused": 3, "aborted due to deadline": 4},
  "metrics": {"latency_ms": {"min": 1.2345, "mean": 45.6789, "p50": 30.1, "p95": 123.4,
    "p99": 987.6, "max": 1234.5678}, "requests_per_sec": 20.4}
}
"#,
        ),
        seed(
            "vegeta-report.json",
            concat!(
                r#"{"latencies":{"total":2345678901,"mean":23456789,"50th":12345678,"90th":45678901,"#,
                r#""95th":56789012,"99th":98765432,"max":123456789,"min":1234567},"#,
                r#""bytes_in":{"total":51200,"mean":512},"bytes_out":{"total":0,"mean":0},"#,
                r#""earliest":"2024-05-06T07:08:09.123456789+02:00","#,
                r#""latest":"2024-05-06T07:08:19.113456789+02:00","#,
                r#""end":"2024-05-06T07:08:19.236913578+02:00","#,
                r#""duration":9990000000,"wait":123456789,"requests":100,"rate":10.01001001001001,"#,
                r#""throughput":9.393425213753588,"success":0.95,"#,
                r#""status_codes":{"0":2,"200":90,"302":5,"404":1,"503":2},"#,
                r#""errors":["404 Not Found","503 Service Unavailable"]}"#,
                "\n"
            ),
        ),
        seed(
            "vegeta-results.json",
            concat!(
                r#"{"attack":"smoke","seq":0,"code":200,"timestamp":"2024-05-06T07:08:09+02:00","latency":12000000,"bytes_out":0,"bytes_in":5,"error":"","body":"aGVsbG8=","method":"GET","url":"http://localhost:8080/","headers":{"Content-Type":["text/plain"]}}"#,
                "\n",
                r#"{"attack":"smoke","seq":1,"code":500,"timestamp":"2024-05-06T07:08:09.200000001+02:00","latency":250500000,"bytes_out":27,"bytes_in":0,"error":"500 Internal Server Error","body":"","method":"POST","url":"http://localhost:8080/login","headers":{}}"#,
                "\n",
                r#"{"attack":"smoke","seq":2,"code":0,"timestamp":"2024-05-06T05:08:10.4Z","latency":1000000000,"bytes_out":0,"bytes_in":0,"error":"connection refused","body":"","method":"GET","url":"http://localhost:8080/","headers":{}}"#,
                "\n",
                r#"{"attack":"smoke","seq":3,"code":302,"timestamp":"2024-05-06T05:08:11Z","latency":4000000,"bytes_out":0,"bytes_in":0,"error":"","body":null,"method":"GET","url":"http://localhost:8080/","headers":{"Location":["/login"]}}"#,
                "\n"
            ),
        ),
    ]
}

/// The part of a seed that most cases mutate: the whole file when it is
/// small or one JSON document (which cut short is no longer one), else its
/// first lines up to about 12 KiB and its last three lines (which close an
/// XML document), so that a cut-down file is still well formed.
fn base_of(bytes: &[u8]) -> Vec<u8> {
    let document = serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok();
    if bytes.len() <= BIG || document {
        return bytes.to_vec();
    }
    let lines: Vec<&[u8]> = bytes.split_inclusive(|b| *b == b'\n').collect();
    let mut base = Vec::new();
    let mut taken = 0;
    for line in &lines {
        if base.len() + line.len() > 12 * 1024 {
            break;
        }
        base.extend_from_slice(line);
        taken += 1;
    }
    for line in &lines[taken.max(lines.len().saturating_sub(3))..] {
        base.extend_from_slice(line);
    }
    base
}

/// Line ranges of a text, line ends included.
fn line_spans(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = 0;
    for (i, byte) in bytes.iter().enumerate() {
        if *byte == b'\n' {
            spans.push((start, i + 1));
            start = i + 1;
        }
    }
    if start < bytes.len() {
        spans.push((start, bytes.len()));
    }
    spans
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).expect("gzip into memory");
    encoder.finish().expect("gzip into memory")
}

// ---------------------------------------------------------------------------
// Mutations

/// Number texts that break naive parsing: limits of every integer type,
/// floats past `f64`, negative zero, NaN and infinity as tools and
/// languages print them, and odd but valid spellings.
const ODD_NUMBERS: [&str; 40] = [
    "0",
    "-0",
    "-1",
    "-0.5",
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "1e309",
    "4.9e-324",
    "1e-400",
    "2147483648",
    "-2147483649",
    "4294967296",
    "9007199254740993",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    "99999999999999999999999999999999999999999",
    "NaN",
    "nan",
    "-nan",
    "Infinity",
    "-Infinity",
    "inf",
    "-inf",
    "1e5",
    "1E+2",
    ".5",
    "5.",
    "00000000000000000001",
    "0x10",
    "1_000",
    "+7",
    "12.5.3",
    "1e",
    "",
];

/// A number so long it parses to infinity or beyond every integer type.
fn endless_number(rng: &mut Rng) -> String {
    let digits = rng.range(300, 330) as usize;
    let mut text = "1".to_owned();
    text.push_str(&"0".repeat(digits));
    if rng.chance(50) {
        text.push_str(".5");
    }
    text
}

fn odd_number(rng: &mut Rng) -> String {
    if rng.chance(15) {
        endless_number(rng)
    } else {
        (*rng.pick(&ODD_NUMBERS)).to_owned()
    }
}

/// Byte sequences that are not UTF-8: a lone continuation byte, a cut
/// sequence, an overlong encoding, a surrogate, bytes never used.
const NOT_UTF8: [&[u8]; 6] = [
    b"\x80",
    b"\xC3",
    b"\xC0\xAF",
    b"\xED\xA0\x80",
    b"\xFF\xFE",
    b"\xF4\x90\x80\x80",
];

/// Bytes that mean something to one format or another.
const SPECIAL_BYTES: &[u8] = b"\"\\,;|\t\n\r{}[]<>/:=&%#!?' -.0123456789eE\0";

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Where the numbers of a text are: runs of digits and dots.
fn number_spans(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            spans.push((start, i));
        } else {
            i += 1;
        }
    }
    spans
}

/// Applies one to three mutations to `base`, with lines spliced in from
/// `donors` (other formats' files). Returns the input and what was done.
fn mutate(rng: &mut Rng, base: &[u8], donors: &[&[u8]]) -> (Vec<u8>, String) {
    let mut bytes = base.to_vec();
    let mut done = Vec::new();
    for _ in 0..rng.range(1, 3) {
        let op = rng.below(16);
        let len = bytes.len();
        let at = rng.below(len + 1);
        match op {
            0 => {
                bytes.truncate(at);
                done.push(format!("cut at {at}"));
            }
            1 => {
                for _ in 0..rng.range(1, 4) {
                    if !bytes.is_empty() {
                        let i = rng.below(bytes.len());
                        bytes[i] ^= 1 << rng.below(8);
                    }
                }
                done.push("bit flips".to_owned());
            }
            2 => {
                let inserted: Vec<u8> = (0..rng.range(1, 8))
                    .map(|_| *rng.pick(SPECIAL_BYTES))
                    .collect();
                bytes.splice(at..at, inserted);
                done.push(format!("bytes inserted at {at}"));
            }
            3 => {
                let end = (at + rng.range(1, 32) as usize).min(len);
                bytes.drain(at..end);
                done.push(format!("bytes {at}..{end} deleted"));
            }
            4 | 5 => {
                let spans = line_spans(&bytes);
                if !spans.is_empty() {
                    let (start, end) = *rng.pick(&spans);
                    let line = bytes[start..end].to_vec();
                    let to = spans[rng.below(spans.len())].0;
                    bytes.splice(to..to, line);
                    done.push(format!("line at {start} duplicated at {to}"));
                }
            }
            6 => {
                let spans = line_spans(&bytes);
                if spans.len() >= 2 {
                    let a = rng.below(spans.len());
                    let b = rng.below(spans.len());
                    let (a, b) = (a.min(b), a.max(b));
                    let mut lines: Vec<Vec<u8>> =
                        spans.iter().map(|(s, e)| bytes[*s..*e].to_vec()).collect();
                    lines.swap(a, b);
                    bytes = lines.concat();
                    done.push(format!("lines {a} and {b} swapped"));
                }
            }
            7 => {
                let spans = line_spans(&bytes);
                if !spans.is_empty() {
                    let (start, end) = *rng.pick(&spans);
                    bytes.drain(start..end);
                    done.push(format!("line at {start} deleted"));
                }
            }
            8 => {
                let donor = *rng.pick(donors);
                let spans = line_spans(donor);
                if !spans.is_empty() {
                    let (start, end) = *rng.pick(&spans);
                    let mut line = donor[start..end].to_vec();
                    if line.last() != Some(&b'\n') {
                        line.push(b'\n');
                    }
                    let to = match line_spans(&bytes).as_slice() {
                        [] => 0,
                        spans => spans[rng.below(spans.len())].0,
                    };
                    bytes.splice(to..to, line);
                    done.push(format!("foreign line spliced at {to}"));
                }
            }
            9 => {
                let filler = *rng.pick(b"a9, \"\t");
                let long = rng.range(20_000, 150_000) as usize;
                bytes.splice(at..at, std::iter::repeat_n(filler, long));
                done.push(format!("{long} bytes of {:?} at {at}", filler as char));
            }
            10..=12 => {
                let spans = number_spans(&bytes);
                if !spans.is_empty() {
                    let (start, end) = *rng.pick(&spans);
                    let number = match op {
                        10 => odd_number(rng),
                        11 => format!("-{}", String::from_utf8_lossy(&bytes[start..end])),
                        _ => (*rng.pick(&["NaN", "Infinity", "-Infinity", "nan", "inf", "-nan"]))
                            .to_owned(),
                    };
                    bytes.splice(start..end, number.bytes());
                    done.push(format!("number at {start} now `{number}`"));
                }
            }
            13 => {
                let bad = *rng.pick(&NOT_UTF8);
                bytes.splice(at..at, bad.iter().copied());
                done.push(format!("non-UTF-8 bytes at {at}"));
            }
            14 => {
                if rng.chance(50) {
                    bytes.splice(0..0, BOM.iter().copied());
                    done.push("BOM".to_owned());
                } else {
                    bytes = bytes
                        .iter()
                        .flat_map(|b| {
                            if *b == b'\n' {
                                vec![b'\r', b'\n']
                            } else {
                                vec![*b]
                            }
                        })
                        .collect();
                    done.push("CRLF line ends".to_owned());
                }
            }
            _ => {
                let whitespace = *rng.pick(&[&b" "[..], b"\t", b"\r", b"\n", b"\n\n", b"  \t"]);
                bytes.splice(at..at, whitespace.iter().copied());
                done.push(format!("whitespace at {at}"));
            }
        }
    }
    (bytes, done.join(", "))
}

// ---------------------------------------------------------------------------
// Structured random documents
//
// A document whose every field may be odd is refused at its first odd
// field, and never reaches the code that builds a run. So each document
// draws how wild it is (`Rng::wild`, the percentage of fields that get an
// odd value) and most are tame: the accepting paths, where property
// violations hide, are reached as often as the refusing ones.

/// Whether this field gets an odd value, at the document's wildness.
fn wild(rng: &mut Rng) -> bool {
    let percent = rng.wild;
    rng.chance(percent)
}

/// Draws the wildness of a new document.
fn draw_wildness(rng: &mut Rng) {
    rng.wild = *rng.pick(&[0, 0, 0, 1, 2, 5, 20]);
}

/// A plausible figure, integral or not, or an odd one when wild.
fn figure(rng: &mut Rng) -> String {
    if wild(rng) {
        return match rng.below(3) {
            0 => format!("-{}", rng.range(1, 1000)),
            _ => odd_number(rng),
        };
    }
    match rng.below(10) {
        0..=4 => rng.range(0, 5000).to_string(),
        5..=7 => format!("{:.3}", rng.range(0, 10_000_000) as f64 / 1000.0),
        8 => rng.range(0, 1 << 40).to_string(),
        _ => "0".to_owned(),
    }
}

/// A plausible whole number, or an odd figure when wild.
fn whole(rng: &mut Rng, most: u64) -> String {
    if wild(rng) {
        figure_odd(rng)
    } else {
        rng.range(0, most).to_string()
    }
}

fn figure_odd(rng: &mut Rng) -> String {
    let percent = rng.wild;
    rng.wild = 100;
    let text = figure(rng);
    rng.wild = percent;
    text
}

/// A figure that is valid JSON, unless wild.
fn json_figure(rng: &mut Rng) -> String {
    let text = figure(rng);
    let valid = serde_json::from_str::<serde_json::Value>(&text).is_ok_and(|v| v.is_number());
    if valid || wild(rng) {
        text
    } else {
        rng.range(0, 100).to_string()
    }
}

/// One of the usual values, or now and then (when wild) one of the odd.
fn choose<'a>(rng: &mut Rng, usual: &[&'a str], odd: &[&'a str]) -> &'a str {
    if !odd.is_empty() && wild(rng) {
        odd[rng.below(odd.len())]
    } else {
        usual[rng.below(usual.len())]
    }
}

/// Keys of every JSON format, so that random documents hit real branches.
const JSON_KEYS: [&str; 48] = [
    "metrics",
    "http_reqs",
    "http_req_duration",
    "http_req_failed",
    "vus",
    "vus_max",
    "values",
    "type",
    "count",
    "rate",
    "passes",
    "fails",
    "avg",
    "min",
    "med",
    "max",
    "p(95)",
    "thresholds",
    "ok",
    "state",
    "testRunDurationMs",
    "version",
    "results",
    "metric",
    "data",
    "time",
    "value",
    "tags",
    "summary",
    "successRate",
    "latencyPercentiles",
    "statusCodeDistribution",
    "errorDistribution",
    "latencies",
    "requests",
    "status_codes",
    "bytes_in",
    "earliest",
    "end",
    "attack",
    "seq",
    "code",
    "timestamp",
    "latency",
    "stats",
    "numberOfRequests",
    "total",
    "assertions",
];

/// A random JSON value, nested at most `depth` deep.
fn json_value(rng: &mut Rng, depth: u32) -> String {
    let leaf = depth == 0 || rng.chance(35);
    if leaf {
        return match rng.below(6) {
            0 => "null".to_owned(),
            1 => rng.pick(&["true", "false"]).to_string(),
            2 | 3 => json_figure(rng),
            4 => format!("\"{}\"", rng.pick(&JSON_KEYS)),
            _ => format!("\"{}\"", rfc3339(rng)),
        };
    }
    if rng.chance(30) {
        let items: Vec<String> = (0..rng.below(4))
            .map(|_| json_value(rng, depth - 1))
            .collect();
        return format!("[{}]", items.join(","));
    }
    let members: Vec<String> = (0..rng.range(1, 6))
        .map(|_| {
            let key = rng.pick(&JSON_KEYS).to_string();
            format!("\"{key}\":{}", json_value(rng, depth - 1))
        })
        .collect();
    format!("{{{}}}", members.join(","))
}

/// An RFC 3339 time with nanoseconds and an offset; any year when wild.
fn rfc3339(rng: &mut Rng) -> String {
    let year = if wild(rng) { rng.range(0, 9999) } else { 2023 };
    let fraction = match rng.below(3) {
        0 => String::new(),
        1 => format!(".{:03}", rng.range(0, 999)),
        _ => format!(".{:09}", rng.range(0, 999_999_999)),
    };
    let zone = match rng.below(3) {
        0 => "Z".to_owned(),
        1 => format!("+{:02}:{:02}", rng.range(0, 14), rng.pick(&[0, 30, 45])),
        _ => format!("-{:02}:00", rng.range(0, 12)),
    };
    format!(
        "{year:04}-09-08T21:{:02}:{:02}{fraction}{zone}",
        rng.range(0, 59),
        rng.range(0, 59)
    )
}

/// Epoch milliseconds within two minutes of `base`, or odd when wild.
fn epoch_ms(rng: &mut Rng, base: u64) -> String {
    if wild(rng) {
        match rng.below(2) {
            0 => figure_odd(rng),
            _ => rng.range(0, u64::MAX >> 10).to_string(),
        }
    } else {
        (base + rng.range(0, 120_000)).to_string()
    }
}

fn k6_summary(rng: &mut Rng) -> String {
    let shape = rng.below(3);
    let names = [
        "http_reqs",
        "http_req_duration",
        "http_req_failed",
        "vus",
        "vus_max",
        "iterations",
        "grpc_req_duration",
        "grpc_reqs",
        "checks",
        "http_req_duration{name:GET /x}",
        "http_reqs{name:GET /x}",
    ];
    let mut metrics = Vec::new();
    for name in names {
        if !rng.chance(60) {
            continue;
        }
        let (keys, counts): (&[&str], bool) = if name.contains("duration") {
            (
                &["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"],
                false,
            )
        } else if name.contains("failed") || name == "checks" {
            (&["passes", "fails", "matches", "total"], true)
        } else if name.starts_with("vus") {
            (&["value", "min", "max"], true)
        } else {
            (&["count"], true)
        };
        let mut values = Vec::new();
        for key in keys {
            if rng.chance(85) {
                let value = if counts {
                    whole(rng, 100_000)
                } else {
                    json_figure(rng)
                };
                values.push(format!("\"{key}\":{value}"));
            }
        }
        if rng.chance(50) {
            values.push(format!("\"rate\":{}", json_figure(rng)));
        }
        let thresholds = rng.chance(30).then(|| {
            let outcome = if shape == 1 {
                choose(rng, &["true", "false"], &["1"]).to_owned()
            } else {
                format!("{{\"ok\":{}}}", choose(rng, &["true", "false"], &["1"]))
            };
            format!("\"thresholds\":{{\"p(95)<500\":{outcome}}}")
        });
        metrics.push(match shape {
            0 => {
                let thresholds = thresholds.map(|t| format!(",{t}")).unwrap_or_default();
                format!(
                    "\"{name}\":{{\"type\":\"trend\",\"values\":{{{}}}{thresholds}}}",
                    values.join(",")
                )
            }
            // The legacy export has no `values` wrapper: the statistics
            // and the thresholds sit side by side.
            1 => {
                values.extend(thresholds);
                format!("\"{name}\":{{{}}}", values.join(","))
            }
            _ => format!(
                "{{\"name\":\"{name}\",\"type\":\"trend\",\"values\":{{{}}}}}",
                values.join(",")
            ),
        });
    }
    match shape {
        0 => format!(
            "{{\"metrics\":{{{}}},\"state\":{{\"testRunDurationMs\":{}}}}}",
            metrics.join(","),
            json_figure(rng)
        ),
        1 => format!("{{\"metrics\":{{{}}}}}", metrics.join(",")),
        _ => format!(
            "{{\"version\":\"1.0.0\",\"metadata\":{{\"k6Version\":\"v1\"}},\
             \"config\":{{\"duration\":{}}},\"results\":{{\"metrics\":[{}]}}}}",
            json_figure(rng),
            metrics.join(",")
        ),
    }
}

const K6_METRICS: [&str; 5] = [
    "http_req_duration",
    "http_req_failed",
    "vus",
    "grpc_req_duration",
    "http_reqs",
];

fn k6_ndjson(rng: &mut Rng) -> String {
    let mut out = String::new();
    for _ in 0..rng.range(1, 40) {
        let metric = rng.pick(&K6_METRICS);
        if rng.chance(10) {
            let _ = writeln!(
                out,
                "{{\"type\":\"Metric\",\"data\":{{\"name\":\"{metric}\",\"type\":\"trend\"}},\
                 \"metric\":\"{metric}\"}}"
            );
            continue;
        }
        let value = if *metric == "http_req_failed" {
            choose(rng, &["0", "1"], &["0.5", "-1"]).to_owned()
        } else {
            json_figure(rng)
        };
        let expected = choose(rng, &["true", "false"], &["maybe", ""]);
        let scenario = rng.pick(&["soak", "spike", "default", "ramp-up"]);
        let _ = writeln!(
            out,
            "{{\"metric\":\"{metric}\",\"type\":\"Point\",\"data\":{{\"time\":\"{}\",\
             \"value\":{value},\"tags\":{{\"name\":\"n{}\",\"method\":\"GET\",\
             \"expected_response\":\"{expected}\",\"scenario\":\"{scenario}\"}}}}}}",
            rfc3339(rng),
            rng.below(3)
        );
    }
    out
}

/// A random CSV row under `header`: mostly figures, some text, quotes,
/// empty fields, and now and then a field too many or too few.
fn random_csv(rng: &mut Rng, header: &str, rows: u64) -> String {
    let width = header.split(',').count();
    let mut out = format!("{header}\n");
    for _ in 0..rows {
        let mut fields = width;
        if rng.chance(5) {
            fields = rng.below(width + 2);
        }
        let row: Vec<String> = (0..fields)
            .map(|_| match rng.below(8) {
                0 => String::new(),
                1 => "\"a, \"\"quoted\"\"\nfield\"".to_owned(),
                2 => rng
                    .pick(&["true", "false", "N/A", "GET", "Aggregated"])
                    .to_string(),
                _ => figure(rng),
            })
            .collect();
        let _ = writeln!(out, "{}", row.join(","));
    }
    out
}

const K6_CSV_HEADER: &str = "metric_name,timestamp,metric_value,check,error,error_code,\
                             expected_response,group,method,name,proto,scenario,service,status,\
                             subproto,tls_version,url,extra_tags,metadata";

fn k6_csv(rng: &mut Rng) -> String {
    let mut out = format!("{K6_CSV_HEADER}\n");
    let format = rng.below(4);
    for _ in 0..rng.range(1, 40) {
        let metric = rng.pick(&K6_METRICS);
        let time = if wild(rng) {
            figure_odd(rng)
        } else {
            match format {
                0 => rfc3339(rng),
                1 => (1_641_298_536 + rng.range(0, 100)).to_string(),
                2 => (1_641_298_536_000 + rng.range(0, 100_000)).to_string(),
                _ => (1_641_298_536_000_000_000 + rng.range(0, 1 << 40)).to_string(),
            }
        };
        let value = if *metric == "http_req_failed" {
            choose(rng, &["0", "1"], &["0.5"]).to_owned()
        } else {
            figure(rng)
        };
        let expected = choose(rng, &["true", "false", ""], &["maybe"]);
        let scenario = rng.pick(&["soak", "spike", "default", ""]);
        let _ = writeln!(
            out,
            "{metric},{time},{value},,,,{expected},,GET,n{},HTTP/1.1,{scenario},,200,,,http://x/,,",
            rng.below(3)
        );
    }
    out
}

const JMETER_HEADER: &str = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,\
                             dataType,success,failureMessage,bytes,sentBytes,grpThreads,\
                             allThreads,URL,Latency,IdleTime,Connect";

fn jmeter_csv(rng: &mut Rng) -> String {
    let delimiter = *rng.pick(&[",", ",", "\t", ";", "|"]);
    let mut out = String::new();
    if rng.chance(80) {
        let _ = writeln!(out, "{}", JMETER_HEADER.replace(',', delimiter));
    }
    let dates = rng.chance(10);
    let base = 1_700_000_000_000;
    for i in 0..rng.range(1, 40) {
        let timestamp = if dates {
            format!(
                "2024/01/0{} 10:00:{:02}.{:03}",
                rng.range(1, 9),
                rng.range(0, 59),
                rng.range(0, 999)
            )
        } else {
            epoch_ms(rng, base)
        };
        let message = if rng.chance(5) {
            "Number of samples in transaction : 2, number of failing samples : 0"
        } else {
            "OK"
        };
        let fields = [
            timestamp,
            whole(rng, 5000),
            format!("label {}", i % 3),
            "200".to_owned(),
            message.to_owned(),
            format!("Thread 1-{}", rng.range(1, 3)),
            "text".to_owned(),
            choose(rng, &["true", "false", "TRUE"], &["yes"]).to_owned(),
            String::new(),
            whole(rng, 100_000),
            whole(rng, 100_000),
            whole(rng, 100),
            whole(rng, 100),
            "http://x/".to_owned(),
            whole(rng, 5000),
            whole(rng, 5000),
            whole(rng, 5000),
        ];
        let _ = writeln!(out, "{}", fields.join(delimiter));
    }
    out
}

fn jmeter_sample(rng: &mut Rng, out: &mut String, depth: u32) {
    let tag = rng.pick(&["httpSample", "sample"]).to_string();
    let _ = write!(
        out,
        "<{tag} t=\"{}\" ts=\"{}\" s=\"{}\" lb=\"l{}&amp;x\" tn=\"T 1-{}\" na=\"{}\" rm=\"{}\"",
        whole(rng, 5000),
        epoch_ms(rng, 1_132_668_448_174),
        choose(rng, &["true", "false"], &["?"]),
        rng.below(3),
        rng.range(1, 3),
        whole(rng, 100),
        if rng.chance(5) {
            "Number of samples in transaction : 1"
        } else {
            "OK"
        }
    );
    if depth > 0 && rng.chance(40) {
        out.push('>');
        for _ in 0..rng.range(1, 3) {
            jmeter_sample(rng, out, depth - 1);
        }
        if rng.chance(50) {
            out.push_str("<method>POST</method>");
        }
        let _ = writeln!(out, "</{tag}>");
    } else {
        out.push_str("/>\n");
    }
}

fn jmeter_xml(rng: &mut Rng) -> String {
    let mut out =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testResults version=\"1.2\">\n".to_owned();
    for _ in 0..rng.range(1, 20) {
        let depth = rng.range(0, 13) as u32;
        jmeter_sample(rng, &mut out, depth);
    }
    if !wild(rng) {
        out.push_str("</testResults>\n");
    }
    out
}

const LOCUST_STATS_HEADER: &str = "Type,Name,Request Count,Failure Count,Median Response Time,\
                                   Average Response Time,Min Response Time,Max Response Time,\
                                   Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,\
                                   90%,95%,98%,99%,99.9%,99.99%,100%";

const LOCUST_HISTORY_HEADER: &str = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,\
                                     66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,\
                                     Total Request Count,Total Failure Count,\
                                     Total Median Response Time,Total Average Response Time,\
                                     Total Min Response Time,Total Max Response Time,\
                                     Total Average Content Size";

/// A time or `N/A`, as Locust writes them.
fn locust_time(rng: &mut Rng) -> String {
    if rng.chance(10) {
        "N/A".to_owned()
    } else {
        figure(rng)
    }
}

fn locust_stats(rng: &mut Rng) -> String {
    let mut out = format!("{LOCUST_STATS_HEADER}\n");
    let endpoints = rng.range(0, 4);
    for i in 0..=endpoints {
        let (method, name) = if i == endpoints {
            (String::new(), "Aggregated".to_owned())
        } else {
            ("GET".to_owned(), format!("/api/{i}"))
        };
        let requests = rng.range(0, 5000);
        // Failures are part of the requests, unless the document is wild.
        let failed = if wild(rng) {
            rng.range(0, 10_000)
        } else {
            rng.range(0, requests)
        };
        let mut fields = vec![method, name, requests.to_string(), failed.to_string()];
        fields.extend((0..4).map(|_| locust_time(rng)));
        fields.extend((0..3).map(|_| figure(rng)));
        fields.extend((0..11).map(|_| locust_time(rng)));
        let _ = writeln!(out, "{}", fields.join(","));
    }
    out
}

fn locust_history(rng: &mut Rng) -> String {
    let mut out = format!("{LOCUST_HISTORY_HEADER}\n");
    let mut timestamp: i64 = 1_772_849_612;
    let (mut requests, mut failed) = (0u64, 0u64);
    for _ in 0..rng.range(1, 30) {
        timestamp += if wild(rng) {
            rng.range(0, 1 << 40) as i64 - (1 << 39)
        } else {
            rng.range(0, 3) as i64
        };
        let new = rng.range(0, 50);
        requests += new;
        failed += if wild(rng) {
            rng.range(0, 100)
        } else {
            rng.range(0, new)
        };
        if rng.chance(3) {
            // `--reset-stats`: the totals start again.
            (requests, failed) = (0, 0);
        }
        let name = if rng.chance(15) {
            "GET,/api/1"
        } else {
            ",Aggregated"
        };
        let mut fields = vec![timestamp.to_string(), whole(rng, 200), name.to_owned()];
        fields.extend((0..2).map(|_| figure(rng)));
        fields.extend((0..11).map(|_| locust_time(rng)));
        fields.push(requests.to_string());
        fields.push(failed.to_string());
        fields.extend((0..5).map(|_| locust_time(rng)));
        let _ = writeln!(out, "{}", fields.join(","));
    }
    out
}

fn gatling_log(rng: &mut Rng) -> String {
    let new = rng.chance(60);
    let mut out = if new {
        "RUN\tSim\tsim\t1406822067250\tdesc\t3.9.5\n".to_owned()
    } else {
        "RUN\tSim\t\tsim\t1478709513495\t \t2.0\n".to_owned()
    };
    let base = 1_478_709_514_289;
    for _ in 0..rng.range(1, 40) {
        let start: u64 = base + rng.range(0, 60_000);
        let end = if wild(rng) {
            choose(rng, &["-9223372036854775808"], &["-1", "x", ""]).to_owned()
        } else {
            (start + rng.range(0, 5000)).to_string()
        };
        let start = if wild(rng) {
            epoch_ms(rng, base)
        } else {
            start.to_string()
        };
        let status = choose(rng, &["OK", "KO"], &["ok"]);
        let event = choose(rng, &["START", "END"], &["PAUSE"]);
        let line = match (rng.below(4), new) {
            (0, true) => format!("USER\tscn\t{event}\t{start}"),
            (0, false) => format!("USER\tscn\t{}\t{event}\t{start}\t{end}", rng.range(1, 5)),
            (1, _) => format!("GROUP\tg\t{start}\t{end}\t1\tOK"),
            (_, true) => format!(
                "REQUEST\t{}\treq\t{start}\t{end}\t{status}\t ",
                rng.pick(&["", "g1,g2"])
            ),
            (_, false) => format!(
                "REQUEST\tscn\t{}\t\treq{}\t{start}\t{end}\t{status}\t ",
                rng.range(1, 5),
                rng.below(3)
            ),
        };
        let _ = writeln!(out, "{line}");
    }
    out
}

/// Gatling's report statistics object, with random figures.
fn gatling_stats(rng: &mut Rng) -> String {
    let total = rng.range(0, 10_000);
    let ko = if wild(rng) {
        rng.range(0, 20_000)
    } else {
        rng.range(0, total)
    };
    let mut members = vec![format!(
        "\"numberOfRequests\":{{\"total\":{total},\"ok\":{},\"ko\":{ko}}}",
        total.saturating_sub(ko)
    )];
    for key in [
        "minResponseTime",
        "maxResponseTime",
        "meanResponseTime",
        "percentiles1",
        "percentiles2",
        "percentiles3",
        "percentiles4",
        "meanNumberOfRequestsPerSecond",
    ] {
        if rng.chance(85) {
            let value = if rng.chance(10) {
                format!("\"{}\"", choose(rng, &["-", "12", "-1"], &["x"]))
            } else {
                json_figure(rng)
            };
            members.push(format!("\"{key}\":{{\"total\":{value},\"ok\":0,\"ko\":0}}"));
        }
    }
    format!("{{\"name\":\"Global Information\",{}}}", members.join(","))
}

fn gatling_report(rng: &mut Rng) -> (String, String) {
    if rng.chance(50) {
        return ("global_stats.json".to_owned(), gatling_stats(rng));
    }
    let contents: Vec<String> = (0..rng.range(0, 3))
        .map(|i| {
            format!(
                "\"req_{i}\":{{\"type\":\"{}\",\"name\":\"r{i}\",\"path\":\"r{i}\",\"stats\":{},\
                 \"contents\":{{}}}}",
                choose(rng, &["REQUEST", "GROUP"], &["OTHER"]),
                gatling_stats(rng)
            )
        })
        .collect();
    (
        "stats.json".to_owned(),
        format!(
            "{{\"type\":\"GROUP\",\"name\":\"Global Information\",\"path\":\"\",\"stats\":{},\
             \"contents\":{{{}}}}}",
            gatling_stats(rng),
            contents.join(",")
        ),
    )
}

fn oha(rng: &mut Rng) -> String {
    let mut top = vec![format!(
        "\"summary\":{{\"successRate\":{},\"total\":{},\"slowest\":{},\"fastest\":{},\
         \"average\":{},\"requestsPerSec\":{}}}",
        json_figure(rng),
        json_figure(rng),
        json_figure(rng),
        json_figure(rng),
        json_figure(rng),
        json_figure(rng)
    )];
    if rng.chance(80) {
        let percentiles: Vec<String> = ["p50", "p90", "p95", "p99"]
            .iter()
            .map(|p| format!("\"{p}\":{}", json_figure(rng)))
            .collect();
        top.push(format!(
            "\"latencyPercentiles\":{{{}}}",
            percentiles.join(",")
        ));
    }
    if rng.chance(80) {
        let codes: Vec<String> = (0..rng.range(0, 3))
            .map(|_| {
                format!(
                    "\"{}\":{}",
                    choose(rng, &["200", "404", "503"], &["abc", "70000"]),
                    whole(rng, 1000)
                )
            })
            .collect();
        top.push(format!(
            "\"statusCodeDistribution\":{{{}}}",
            codes.join(",")
        ));
    } else {
        top.push(format!(
            "\"responseTimeHistogram\":{{\"0.01\":{}}}",
            whole(rng, 1000)
        ));
    }
    if rng.chance(50) {
        top.push(format!(
            "\"errorDistribution\":{{\"aborted due to deadline\":{},\"refused\":{}}}",
            whole(rng, 100),
            whole(rng, 100)
        ));
    }
    if rng.chance(40) {
        top.push(format!(
            "\"metrics\":{{\"latency_ms\":{{\"min\":{},\"mean\":{},\"p50\":{},\"max\":{}}},\
             \"requests_per_sec\":{}}}",
            json_figure(rng),
            json_figure(rng),
            json_figure(rng),
            json_figure(rng),
            json_figure(rng)
        ));
    }
    format!("{{{}}}", top.join(","))
}

fn vegeta_report(rng: &mut Rng) -> String {
    let mut latencies = Vec::new();
    for key in [
        "total", "mean", "50th", "90th", "95th", "99th", "max", "min",
    ] {
        if rng.chance(85) {
            latencies.push(format!("\"{key}\":{}", whole(rng, 1 << 40)));
        }
    }
    let requests = rng.range(0, 20);
    let codes = if rng.chance(70) {
        let ok = rng.range(0, requests);
        format!(
            ",\"status_codes\":{{\"200\":{ok},\"{}\":{}}}",
            choose(rng, &["0", "500", "302"], &["x", "70000"]),
            requests - ok
        )
    } else {
        format!(",\"success\":{}", json_figure(rng))
    };
    let times = if rng.chance(60) {
        format!(
            ",\"earliest\":\"{}\",\"end\":\"{}\"",
            rfc3339(rng),
            rfc3339(rng)
        )
    } else {
        format!(
            ",\"duration\":{},\"wait\":{}",
            whole(rng, 1 << 40),
            whole(rng, 1 << 40)
        )
    };
    let requests = if wild(rng) {
        figure_odd(rng)
    } else {
        requests.to_string()
    };
    format!(
        "{{\"latencies\":{{{}}},\"bytes_in\":{{\"total\":0,\"mean\":0}},\
         \"requests\":{requests}{codes}{times}}}",
        latencies.join(",")
    )
}

fn vegeta_results(rng: &mut Rng) -> String {
    let mut out = String::new();
    for seq in 0..rng.range(1, 30) {
        let _ = writeln!(
            out,
            "{{\"attack\":\"a\",\"seq\":{seq},\"code\":{},\"timestamp\":\"{}\",\"latency\":{},\
             \"bytes_out\":0,\"bytes_in\":0,\"error\":\"\",\"body\":null,\"method\":\"{}\",\
             \"url\":\"http://x/{}\"}}",
            choose(rng, &["200", "500", "0", "302"], &["70000", "-1"]),
            rfc3339(rng),
            whole(rng, 10_000_000_000),
            rng.pick(&["GET", "POST", ""]),
            rng.below(3)
        );
    }
    out
}

/// A time as wrk prints it, with an odd number or unit when wild.
fn wrk_time(rng: &mut Rng) -> String {
    let unit = choose(rng, &["us", "ms", "s", "m", "h"], &["xs", ""]);
    let number = if wild(rng) {
        match rng.below(3) {
            0 => endless_number(rng),
            1 => "-nan".to_owned(),
            _ => figure_odd(rng),
        }
    } else {
        format!("{:.2}", rng.range(0, 100_000) as f64 / 100.0)
    };
    format!("{number}{unit}")
}

fn wrk(rng: &mut Rng) -> String {
    let mut lines = vec![
        format!("Running {} test @ http://localhost:8080/", wrk_time(rng)),
        format!(
            "  {} threads and {} connections",
            rng.range(1, 16),
            whole(rng, 1000)
        ),
        "  Thread Stats   Avg      Stdev     Max   +/- Stdev".to_owned(),
        format!(
            "    Latency   {} {} {} {}%",
            wrk_time(rng),
            wrk_time(rng),
            wrk_time(rng),
            rng.range(0, 100)
        ),
        format!(
            "    Req/Sec   {}k {} {} {}%",
            rng.range(0, 900),
            figure(rng),
            figure(rng),
            rng.range(0, 100)
        ),
    ];
    if rng.chance(50) {
        lines.push("  Latency Distribution".to_owned());
        for percent in ["50%", "75%", "90%", "99%"] {
            lines.push(format!("     {percent}  {}", wrk_time(rng)));
        }
    }
    let completed = rng.range(0, 100_000);
    lines.push(format!(
        "  {completed} requests in {}, {}MB read",
        wrk_time(rng),
        figure(rng)
    ));
    if rng.chance(30) {
        lines.push(format!(
            "  Socket errors: connect {}, read {}, write {}, timeout {}",
            whole(rng, 100),
            whole(rng, 100),
            whole(rng, 100),
            whole(rng, 100)
        ));
    }
    if rng.chance(30) {
        let non_2xx = if wild(rng) {
            rng.range(0, 200_000)
        } else {
            rng.range(0, completed)
        };
        lines.push(format!("  Non-2xx or 3xx responses: {non_2xx}"));
    }
    lines.push(format!("Requests/sec: {}", figure(rng)));
    lines.push("Transfer/sec:    675.76KB".to_owned());
    if wild(rng) {
        let i = rng.below(lines.len());
        lines.remove(i);
    }
    lines.join("\n") + "\n"
}

/// A structured random document of some format, with a fitting name.
fn structured(rng: &mut Rng) -> (String, String) {
    draw_wildness(rng);
    match rng.below(15) {
        0 => ("summary.json".to_owned(), k6_summary(rng)),
        1 => ("k6.ndjson".to_owned(), k6_ndjson(rng)),
        2 => ("k6.csv".to_owned(), k6_csv(rng)),
        3 => ("results.jtl".to_owned(), jmeter_csv(rng)),
        4 => ("results.jtl.xml".to_owned(), jmeter_xml(rng)),
        5 => ("run_stats.csv".to_owned(), locust_stats(rng)),
        6 => ("run_stats_history.csv".to_owned(), locust_history(rng)),
        7 => ("simulation.log".to_owned(), gatling_log(rng)),
        8 => gatling_report(rng),
        9 => ("oha.json".to_owned(), oha(rng)),
        10 => ("report.json".to_owned(), vegeta_report(rng)),
        11 => ("results.json".to_owned(), vegeta_results(rng)),
        12 => ("wrk.txt".to_owned(), wrk(rng)),
        13 => {
            let header = *rng.pick(&[
                K6_CSV_HEADER,
                JMETER_HEADER,
                LOCUST_STATS_HEADER,
                LOCUST_HISTORY_HEADER,
                "Method,Name,Error,Occurrences",
                "Count,Message,Traceback,Nodes",
            ]);
            let rows = rng.range(0, 20);
            ("rows.csv".to_owned(), random_csv(rng, header, rows))
        }
        _ => ("random.json".to_owned(), json_value(rng, 5)),
    }
}

/// Names a random input may come under; detection reads the extension and
/// some file names (`.jtl`, `assertions.json`, Locust's suffixes).
const NAMES: [&str; 10] = [
    "upload",
    "results.jtl",
    "summary.json",
    "run_stats.csv",
    "run_stats_history.csv",
    "js/assertions.json",
    "simulation.log",
    "out.ndjson.gz",
    "wrk.txt",
    "",
];

// ---------------------------------------------------------------------------
// The tests

/// How many mutated inputs each fixture gives; fewer for a large JSON
/// document, which every JSON-reading parser reads whole each time.
const MUTATIONS: u64 = 28;
const MUTATIONS_OF_LARGE_DOCUMENTS: u64 = 8;

/// Every fixture, mutated, and each large file once whole. The fixtures
/// are shared between two tests (by their place in the list, even or odd)
/// so that the test harness runs the two halves on two cores.
fn mutate_fixtures(stream: &'static str, half: usize) {
    let mut h = Harness::new(stream);
    let seeds = fixtures();
    let bases: Vec<Vec<u8>> = seeds.iter().map(|s| base_of(&s.bytes)).collect();
    let mut case = 0;
    for (i, seed) in seeds.iter().enumerate() {
        if i % 2 != half {
            continue;
        }
        let donors: Vec<&[u8]> = bases
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, b)| b.as_slice())
            .collect();
        if seed.bytes.len() > BIG {
            h.single(case, "the whole file", &seed.name, &seed.bytes);
            case += 1;
        }
        let cases = if bases[i].len() > BIG {
            MUTATIONS_OF_LARGE_DOCUMENTS
        } else {
            MUTATIONS
        };
        for _ in 0..cases {
            if h.wants(case) {
                let mut rng = Rng::for_case(h.stream, case);
                let (bytes, what) = mutate(&mut rng, &bases[i], &donors);
                h.single(case, &format!("{}: {what}", seed.name), &seed.name, &bytes);
            }
            case += 1;
        }
    }
    h.report();
}

#[test]
fn mutated_fixtures_never_break_a_parser() {
    mutate_fixtures("mutated", 0);
}

#[test]
fn more_mutated_fixtures_never_break_a_parser() {
    mutate_fixtures("mutated-odd", 1);
}

/// Every fixture cut short, the way a file copied while the tool was still
/// writing it looks: at each line end of the files of at most 64 lines, and
/// at twelve random points of the others (of their base).
#[test]
fn files_cut_short_never_break_a_parser() {
    let mut h = Harness::new("truncated");
    let mut case = 0;
    for seed in fixtures() {
        let base = base_of(&seed.bytes);
        let spans = line_spans(&base);
        if spans.len() <= 64 {
            for (_, end) in spans {
                let what = format!("{} cut at the line end at byte {end}", seed.name);
                h.single(case, &what, &seed.name, &base[..end]);
                case += 1;
            }
        } else {
            for _ in 0..12 {
                if h.wants(case) {
                    let cut = Rng::for_case(h.stream, case).below(base.len());
                    let what = format!("{} cut at byte {cut}", seed.name);
                    h.single(case, &what, &seed.name, &base[..cut]);
                }
                case += 1;
            }
        }
    }
    h.report();
}

/// Gzip-compressed fixtures: intact, mutated before compression (the
/// parser sees damaged text through a sound stream) and mutated after (a
/// truncated or corrupt stream).
#[test]
fn gzip_inputs_never_break_a_parser() {
    let mut h = Harness::new("gzip");
    let seeds: Vec<Seed> = fixtures()
        .into_iter()
        .filter(|s| {
            [
                "wrkparser-wrk.log",
                "k6-reporter-handlesummary-simple.json",
                "bitcoin-api-results_stats.csv",
                "jmeter-HTMLReportFalseTestFile.jtl.csv",
                "xk6-dashboard-record-result.ndjson",
                "gatling-3.12-text-simulation.log",
                "k6-out.csv",
                "vegeta-results.json",
            ]
            .contains(&s.name.as_str())
        })
        .collect();
    let bases: Vec<Vec<u8>> = seeds.iter().map(|s| base_of(&s.bytes)).collect();
    let mut case = 0;
    for (i, seed) in seeds.iter().enumerate() {
        let name = format!("{}.gz", seed.name);
        h.single(case, "gzip of the file", &name, &gzip(&bases[i]));
        case += 1;
        let donors: Vec<&[u8]> = bases.iter().map(Vec::as_slice).collect();
        for _ in 0..20 {
            if h.wants(case) {
                let mut rng = Rng::for_case(h.stream, case);
                let (bytes, what) = if rng.chance(50) {
                    let (text, what) = mutate(&mut rng, &bases[i], &donors);
                    (gzip(&text), format!("gzip of ({what})"))
                } else {
                    let compressed = gzip(&bases[i]);
                    let (bytes, what) = mutate(&mut rng, &compressed, &[compressed.as_slice()]);
                    (bytes, format!("gzip, then {what}"))
                };
                h.single(case, &format!("{}: {what}", seed.name), &name, &bytes);
            }
            case += 1;
        }
    }
    h.report();
}

/// Purely random bytes, random printable text and random JSON values.
#[test]
fn random_inputs_never_break_a_parser() {
    let mut h = Harness::new("random");
    for case in 0..400 {
        if !h.wants(case) {
            continue;
        }
        let mut rng = Rng::for_case(h.stream, case);
        let longest = if rng.chance(10) { 4096 } else { 256 };
        let len = rng.below(longest);
        let (bytes, what) = match rng.below(3) {
            0 => (
                (0..len).map(|_| rng.next() as u8).collect::<Vec<u8>>(),
                "random bytes",
            ),
            1 => (
                (0..len)
                    .map(|_| {
                        if rng.chance(20) {
                            *rng.pick(SPECIAL_BYTES)
                        } else {
                            rng.range(0x20, 0x7e) as u8
                        }
                    })
                    .collect(),
                "random text",
            ),
            _ => (json_value(&mut rng, 6).into_bytes(), "a random JSON value"),
        };
        let name = *rng.pick(&NAMES);
        h.single(case, what, name, &bytes);
    }
    h.report();
}

/// Documents in each format's shape with random figures, and random CSV
/// rows under each CSV format's header; a tenth of them mutated too.
#[test]
fn structured_random_inputs_never_break_a_parser() {
    let mut h = Harness::new("structured");
    for case in 0..1000 {
        if !h.wants(case) {
            continue;
        }
        let mut rng = Rng::for_case(h.stream, case);
        let (name, text) = structured(&mut rng);
        if rng.chance(10) {
            let (bytes, what) = mutate(&mut rng, text.as_bytes(), &[b"x\n"]);
            h.single(
                case,
                &format!("structured {name}, then {what}"),
                &name,
                &bytes,
            );
        } else {
            h.single(case, &format!("structured {name}"), &name, text.as_bytes());
        }
    }
    h.report();
}

/// Sets of files read as one run: Locust's files and Gatling's report
/// files with one of them mutated or replaced by a random one, a file
/// missing or given twice, and fixtures of different tools together.
#[test]
fn file_sets_never_break_ingest() {
    let mut h = Harness::new("sets");
    let seeds = fixtures();
    let by_name = |name: &str| {
        let seed = seeds
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("fixture {name}"));
        (seed.name.clone(), base_of(&seed.bytes))
    };
    let families: Vec<Vec<(String, Vec<u8>)>> = vec![
        [
            "bitcoin-api-results_stats.csv",
            "bitcoin-api-results_stats_history.csv",
            "bitcoin-api-results_failures.csv",
            "bitcoin-api-results_exceptions.csv",
        ]
        .map(by_name)
        .to_vec(),
        [
            "wine-prediction-empty-run-results_stats.csv",
            "wine-prediction-empty-run-results_stats_history.csv",
            "wine-prediction-empty-run-results_failures.csv",
        ]
        .map(by_name)
        .to_vec(),
        [
            "pix-gatling2-global_stats.json",
            "pix-gatling2-assertions.json",
            "gatling-3.12-text-simulation.log",
        ]
        .map(by_name)
        .to_vec(),
    ];
    let all: Vec<(String, Vec<u8>)> = seeds
        .iter()
        .map(|s| (s.name.clone(), base_of(&s.bytes)))
        .collect();
    let donors: Vec<&[u8]> = all.iter().map(|(_, b)| b.as_slice()).collect();
    // The whole pix report and log: the same run, so they must agree.
    let pix = [
        "pix-gatling2-simulation.log",
        "pix-gatling2-stats.json",
        "pix-gatling2-global_stats.json",
        "pix-gatling2-assertions.json",
    ]
    .map(|name| {
        let seed = seeds.iter().find(|s| s.name == name).expect("pix fixture");
        (seed.name.clone(), seed.bytes.clone())
    });
    h.files(0, "the whole pix Gatling report and log", &pix);
    for case in 1..250 {
        if !h.wants(case) {
            continue;
        }
        let mut rng = Rng::for_case(h.stream, case);
        draw_wildness(&mut rng);
        let (mut files, what) = match rng.below(10) {
            0..=5 => {
                let mut files = rng.pick(&families).clone();
                let i = rng.below(files.len());
                let what = if rng.chance(25) {
                    files[i].1 = if i == 0 {
                        locust_stats(&mut rng).into_bytes()
                    } else {
                        locust_history(&mut rng).into_bytes()
                    };
                    format!("file {i} replaced by a random Locust file")
                } else {
                    let (bytes, what) = mutate(&mut rng, &files[i].1, &donors);
                    files[i].1 = bytes;
                    format!("file {i}: {what}")
                };
                (files, what)
            }
            6 => {
                let files = vec![
                    (
                        "r_stats.csv".to_owned(),
                        locust_stats(&mut rng).into_bytes(),
                    ),
                    (
                        "r_stats_history.csv".to_owned(),
                        locust_history(&mut rng).into_bytes(),
                    ),
                ];
                (files, "random Locust stats and history".to_owned())
            }
            7 => {
                let (name, report) = gatling_report(&mut rng);
                let files = vec![
                    (name, report.into_bytes()),
                    (
                        "simulation.log".to_owned(),
                        gatling_log(&mut rng).into_bytes(),
                    ),
                ];
                (files, "a random Gatling report and log".to_owned())
            }
            _ => {
                let files: Vec<(String, Vec<u8>)> = (0..rng.range(2, 3))
                    .map(|_| rng.pick(&all).clone())
                    .collect();
                (files, "fixtures of any tools together".to_owned())
            }
        };
        if rng.chance(10) && files.len() > 1 {
            files.remove(rng.below(files.len()));
        }
        if rng.chance(10) {
            let again = rng.pick(&files).clone();
            files.push(again);
        }
        h.files(case, &what, &files);
    }
    h.report();
}

/// The inputs at the edges: nothing, whitespace, a byte-order mark alone
/// or before each fixture, every single byte, gzip of nothing, and lines
/// at and past the longest a reader accepts.
#[test]
fn edge_inputs_never_break_a_parser() {
    let mut h = Harness::new("edges");
    let mut case = 0;
    let mut check = |h: &mut Harness, what: &str, name: &str, bytes: &[u8]| {
        h.single(case, what, name, bytes);
        case += 1;
    };
    for blank in [
        &b""[..],
        b" ",
        b"\n",
        b"\r\n",
        b"\t \n \r\n\x0c",
        b"\n\n\n\n",
    ] {
        check(&mut h, "blank input", "upload", blank);
        let mut with_bom = BOM.to_vec();
        with_bom.extend_from_slice(blank);
        check(
            &mut h,
            "a byte-order mark and blank input",
            "upload",
            &with_bom,
        );
        check(&mut h, "gzip of blank input", "upload.gz", &gzip(blank));
    }
    check(&mut h, "the gzip magic alone", "upload.gz", b"\x1f\x8b");
    for byte in 0..=255u8 {
        check(&mut h, "one byte", "upload", &[byte]);
    }
    for seed in fixtures() {
        let mut bytes = BOM.to_vec();
        bytes.extend_from_slice(&base_of(&seed.bytes));
        check(
            &mut h,
            "a byte-order mark before the file",
            &seed.name,
            &bytes,
        );
    }
    // Readers refuse a line past MAX_LINE_BYTES; at the limit and just
    // past it, for a line-based text and inside a JSON string.
    for len in [MAX_LINE_BYTES, MAX_LINE_BYTES + 2] {
        check(&mut h, "one long line", "upload", &vec![b'a'; len]);
        let mut json = b"{\"metric\":\"".to_vec();
        json.resize(len, b'x');
        json.extend_from_slice(b"\"}\n");
        check(&mut h, "one long JSON line", "k6.ndjson", &json);
    }
    h.report();
}

// ---------------------------------------------------------------------------
// Regression tests: the smallest input of each violation the property tests
// found. Each was fixed by refusing the input with a message that says what
// was wrong; a run that is accepted must keep every property.

/// Parses `bytes` with detection: either a clear refusal naming the file,
/// or a run with every property.
fn assert_sane(name: &str, bytes: &[u8]) {
    match parse_run(name, bytes, None) {
        Err(err) => {
            let message = err.to_string();
            assert!(
                message.contains(name),
                "a refusal names the file: {message}"
            );
        }
        Ok(run) => {
            let found = violations(&run);
            assert!(found.is_empty(), "{found:?}\nrun: {run:?}");
        }
    }
}

/// `Summary::stat_of` copies any JSON number, so a damaged summary yields
/// a latency below zero (the same holds for every statistic of the three
/// summary shapes).
#[test]
fn k6_summary_refuses_a_negative_latency() {
    assert_sane(
        "summary.json",
        br#"{"metrics":{"http_req_duration":{"type":"trend","values":{"avg":-1}}}}"#,
    );
}

/// The failed count comes from `http_req_failed` and the request count
/// from `http_reqs`, and nothing checks that the one fits in the other.
#[test]
fn k6_summary_refuses_more_failures_than_requests() {
    assert_sane(
        "summary.json",
        br#"{"metrics":{"http_reqs":{"type":"counter","values":{"count":1}},
            "http_req_failed":{"type":"rate","values":{"passes":2,"fails":0}}}}"#,
    );
}

#[test]
fn k6_summary_refuses_a_negative_duration() {
    assert_sane(
        "summary.json",
        br#"{"metrics":{"http_reqs":{"type":"counter","values":{"count":1}}},
            "state":{"testRunDurationMs":-1}}"#,
    );
}

#[test]
fn k6_summary_refuses_a_negative_rate() {
    assert_sane(
        "summary.json",
        br#"{"metrics":{"http_reqs":{"type":"counter","values":{"count":1,"rate":-1}}}}"#,
    );
}

/// k6 writes one `http_req_failed` sample per request; a file with more
/// failed samples than duration samples (two runs joined, a damaged file)
/// gives an error rate above 1, because `RunBuilder::failure` counts every
/// failure event whether or not a request matches it.
#[test]
fn k6_ndjson_refuses_more_failures_than_requests() {
    let duration = r#"{"metric":"http_req_duration","type":"Point","data":{"time":"2023-09-08T21:03:10Z","value":1}}"#;
    let failed = r#"{"metric":"http_req_failed","type":"Point","data":{"time":"2023-09-08T21:03:10Z","value":1}}"#;
    assert_sane(
        "k6.ndjson",
        format!("{duration}\n{failed}\n{failed}\n").as_bytes(),
    );
}

#[test]
fn k6_csv_refuses_more_failures_than_requests() {
    assert_sane(
        "k6.csv",
        b"metric_name,timestamp,metric_value\nhttp_req_duration,1641298536,1\n\
          http_req_failed,1641298536,1\nhttp_req_failed,1641298536,1\n",
    );
}

/// Any finite sample value is a latency, and `summarize` adds them up in
/// an `f64`: two samples of 1e308 ms make an infinite average.
#[test]
fn k6_ndjson_average_stays_finite() {
    let line = r#"{"metric":"http_req_duration","type":"Point","data":{"time":"2023-09-08T21:03:10Z","value":1e308}}"#;
    assert_sane("k6.ndjson", format!("{line}\n{line}\n").as_bytes());
}

/// `StatsRow::read` takes `Failure Count` as it is, so a row with more
/// failures than requests gives an error rate above 1.
#[test]
fn locust_stats_refuses_more_failures_than_requests() {
    assert_sane(
        "run_stats.csv",
        b"Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,\
          Min Response Time,Max Response Time,Requests/s\n,Aggregated,1,2,1,1,1,1,1\n",
    );
}

#[test]
fn locust_history_refuses_more_failures_than_requests() {
    assert_sane(
        "run_stats_history.csv",
        b"Timestamp,User Count,Type,Name,Total Request Count,Total Failure Count\n\
          1772849612,1,,Aggregated,1,2\n",
    );
}

/// Seconds are turned into milliseconds by a multiplication that
/// overflows to infinity past 1.8e305 s.
#[test]
fn oha_latency_stays_finite() {
    assert_sane(
        "oha.json",
        br#"{"summary":{"successRate":1,"fastest":1e306},"statusCodeDistribution":{"200":1}}"#,
    );
}

/// `time_ms` checks that the number is finite before scaling it by its
/// unit, not after: 1e305 minutes are an infinite number of milliseconds.
#[test]
fn wrk_latency_stays_finite() {
    let huge = format!("1{}m", "0".repeat(305));
    let text = format!(
        "Running 1s test @ http://x/\n  Latency {huge} 1ms 1ms 1%\n  1 requests in 1s, 1B read\n\
         Requests/sec: 1\n"
    );
    assert_sane("wrk.txt", text.as_bytes());
}

#[test]
fn wrk_duration_stays_finite() {
    let huge = format!("1{}m", "0".repeat(305));
    let text = format!(
        "Running 1s test @ http://x/\n  Latency 1ms 1ms 1ms 1%\n  1 requests in {huge}, 1B read\n\
         Requests/sec: 1\n"
    );
    assert_sane("wrk.txt", text.as_bytes());
}

// ---------------------------------------------------------------------------
// Target expressions (found by the `targets` fuzz target)

/// Parses an expression, displays the target and parses that: the store
/// keeps targets as their display, so the two must be the same target.
fn assert_round_trip(expression: &str) {
    let target: readiness_core::targets::Target = expression
        .parse()
        .unwrap_or_else(|e| panic!("{expression:?}: {e}"));
    let shown = target.to_string();
    let again: readiness_core::targets::Target = shown
        .parse()
        .unwrap_or_else(|e| panic!("{expression:?} displays as {shown:?}, which fails: {e}"));
    assert_eq!(again, target, "{expression:?} displays as {shown:?}");
    assert_eq!(again.to_string(), shown);
}

/// The display rounded to two decimals, so `p99 < 254us` (0.254 ms) came
/// back from the database as `p99 < 0.25 ms`.
#[test]
fn target_thresholds_keep_every_digit_through_display() {
    for expression in [
        "p99 < 254us",
        "p95 < 432.5ms",
        "p95 < 1234.5678ms",
        "p95 < 1.23456 s",
        "error_rate < 0.123456%",
        "cache_hit_rate > 99.99999%",
        "throughput >= 100.25/s",
        "p95 <= -33.333% vs run 4",
        "db_query_p95 < 0.0000001ms",
        "error_rate < 0.0000000000000000000001%",
    ] {
        assert_round_trip(expression);
    }
}

/// Values people write keep the display people read.
#[test]
fn target_displays_stay_as_people_write_them() {
    for (expression, shown) in [
        ("p95 < 500ms", "p95 < 500 ms"),
        ("p99 < 1s", "p99 < 1 s"),
        ("error_rate < 0.1%", "error_rate < 0.1 %"),
        ("throughput >= 100/s", "throughput >= 100/s"),
        ("p95 <= -40% vs run 12", "p95 <= -40% vs run 12"),
    ] {
        let target: readiness_core::targets::Target = expression.parse().unwrap();
        assert_eq!(target.to_string(), shown);
        assert_round_trip(expression);
    }
}
