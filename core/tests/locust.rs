//! The Locust `--csv` parser over real Locust outputs (tests/fixtures/locust,
//! see tests/fixtures/PROVENANCE.md), and over edited copies of them for the
//! failure cases.
//!
//! Expected figures are read from the CSVs with the `csv` crate or were
//! computed with awk, never with the parser under test; each test says how.

use readiness_core::formats::{Format, IngestError, ingest, locust};
use readiness_core::input::{MemorySource, Source};
use readiness_core::run::{Exactness, Run, ScenarioKind};

const BITCOIN: [&str; 4] = [
    "bitcoin-api-results_stats.csv",
    "bitcoin-api-results_stats_history.csv",
    "bitcoin-api-results_failures.csv",
    "bitcoin-api-results_exceptions.csv",
];

const EMPTY_RUN: [&str; 3] = [
    "wine-prediction-empty-run-results_stats.csv",
    "wine-prediction-empty-run-results_stats_history.csv",
    "wine-prediction-empty-run-results_failures.csv",
];

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/locust/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn text_fixture(name: &str) -> String {
    String::from_utf8(fixture(name)).unwrap()
}

fn sources(names: &[&str]) -> Vec<MemorySource> {
    names
        .iter()
        .map(|name| MemorySource::new(*name, fixture(name)))
        .collect()
}

fn ingest_all(sources: &[MemorySource]) -> Result<Run, IngestError> {
    let refs: Vec<&dyn Source> = sources.iter().map(|s| s as &dyn Source).collect();
    ingest(&refs, None)
}

fn ingest_fixtures(names: &[&str]) -> Result<Run, IngestError> {
    ingest_all(&sources(names))
}

/// The rows of a fixture as the `csv` crate reads them, header first.
fn csv_rows(name: &str) -> Vec<Vec<String>> {
    let bytes = fixture(name);
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes.as_slice())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// A column of a row, by the header's name for it.
fn column<'a>(rows: &'a [Vec<String>], row: &'a [String], name: &str) -> &'a str {
    let index = rows[0].iter().position(|h| h == name).unwrap();
    &row[index]
}

fn number(text: &str) -> Option<f64> {
    (text != "N/A").then(|| text.parse().unwrap())
}

fn assert_close(actual: Option<f64>, expected: f64) {
    let actual = actual.expect("figure is present");
    assert!(
        (actual - expected).abs() <= expected.abs() * 1e-12,
        "{actual} != {expected}"
    );
}

/// The series points of the bitcoin-api history, computed with awk: each
/// row's growth of `Total Request Count` and `Total Failure Count` over the
/// previous row, put in the second of the previous row (the first row's in
/// second 0), with the larger `User Count` of the two rows:
///
/// ```sh
/// awk -F, 'NR>1{ if(NR==2){pt=$1;pr=0;pf=0;pu=$2} d=$18-pr; f=$19-pf;
///   u=($2>pu)?$2:pu; print pt-1772849612, d, f, u; pt=$1;pr=$18;pf=$19;pu=$2}' \
///   bitcoin-api-results_stats_history.csv | awk '{r[$1]+=$2; f[$1]+=$3;
///   if($4>u[$1])u[$1]=$4} END{for(i in r) print i": "r[i]"/"f[i]"/"u[i]}'
/// ```
///
/// Second 17 has no row (Locust's writer went from 1772849628 to
/// 1772849630), so it has no point.
const BITCOIN_SERIES: &str = "0:0/0/10 1:0/0/20 2:14/0/40 3:23/0/50 4:29/21/50 5:40/28/50 \
    6:42/31/50 7:40/26/50 8:41/31/50 9:39/27/50 10:44/30/50 11:38/33/50 12:40/31/50 \
    13:39/31/50 14:43/33/50 15:36/24/50 16:41/26/50 18:41/28/50 19:37/28/50 20:43/40/50 \
    21:42/35/50 22:32/22/50 23:43/31/50 24:32/27/50 25:38/33/50 26:45/36/50 27:41/25/50 \
    28:37/26/50 29:41/29/50 30:38/26/50 31:40/33/50 32:35/31/50 33:39/28/50 34:40/29/50 \
    35:39/25/50 36:40/27/50 37:39/25/50 38:40/30/50 39:33/29/50 40:41/31/50 41:39/29/50 \
    42:44/30/50 43:41/34/50 44:43/33/50 45:41/29/50 46:38/25/50 47:46/33/50 48:31/24/50 \
    49:47/36/50 50:36/27/50 51:45/34/50 52:29/21/50 53:41/33/50 54:35/25/50 55:49/37/50";

fn assert_bitcoin_series(run: &Run) {
    let series = run.series.as_ref().expect("the history gives a series");
    // 56 s between the first and last history rows: 1 s buckets.
    assert_eq!(series.bucket_s, 1.0);
    let actual: Vec<String> = series
        .points
        .iter()
        .map(|p| {
            format!(
                "{}:{}/{}/{}",
                p.t,
                p.requests,
                p.failed,
                p.vus.expect("every point has users")
            )
        })
        .collect();
    let expected: Vec<&str> = BITCOIN_SERIES.split_whitespace().collect();
    assert_eq!(actual, expected);
    // The history is a default one (Aggregated rows only), whose percentile
    // columns are cumulative: not a bucket's latency, so left out.
    assert!(
        series
            .points
            .iter()
            .all(|p| p.p50_ms.is_none() && p.p95_ms.is_none() && p.p99_ms.is_none())
    );
}

#[test]
fn the_bitcoin_api_files_make_one_run() {
    let run = ingest_fixtures(&BITCOIN).unwrap();
    assert_eq!(run.format, "locust-csv");
    assert_eq!(run.tool, "locust");
    assert_eq!(run.tool_version, None);
    assert_eq!(run.exactness, Exactness::Reported);
    assert_eq!(run.error_bound, None);
    assert_eq!(run.scenario, ScenarioKind::Unspecified);
    assert!(run.thresholds.is_empty());

    // The Aggregated row of the stats file (its line 10), read by eye:
    // ,Aggregated,2210,1607,3,50.184648958923994,2.5905000511556864,
    // 2160.2996999863535,162.21764705882353,37.30488469320527,
    // 27.126221584606725,3,4,4,5,6,8,2000,2000,2100,2200,2200
    assert_eq!(run.requests, Some(2210));
    assert_eq!(run.failed, Some(1607));
    assert_close(run.error_rate, 1607.0 / 2210.0);
    assert_close(run.throughput_rps, 37.30488469320527);
    assert_close(run.latency_ms.min, 2.5905000511556864);
    assert_close(run.latency_ms.avg, 50.184648958923994);
    assert_close(run.latency_ms.max, 2160.2996999863535);
    // p50 is the Median Response Time column; the others are 90%, 95%, 99%.
    assert_close(run.latency_ms.p50, 3.0);
    assert_close(run.latency_ms.p90, 6.0);
    assert_close(run.latency_ms.p95, 8.0);
    assert_close(run.latency_ms.p99, 2000.0);

    // The history: first row 1772849612 (2026-03-07T02:13:32Z), last row
    // 1772849668, highest User Count 50 (awk over columns 1 and 2).
    assert_eq!(
        run.started_at.unwrap().to_rfc3339(),
        "2026-03-07T02:13:32+00:00"
    );
    assert_eq!(run.duration_s, Some(56.0));
    assert_eq!(run.vus_max, Some(50));
    assert_bitcoin_series(&run);

    // Every endpoint row of the stats file, read with the csv crate.
    let name = BITCOIN[0];
    let rows = csv_rows(name);
    let data: Vec<&Vec<String>> = rows[1..]
        .iter()
        .filter(|r| column(&rows, r, "Name") != "Aggregated")
        .collect();
    assert_eq!(run.endpoints.len(), data.len());
    assert_eq!(run.endpoints.len(), 8);
    for row in data {
        let name = column(&rows, row, "Name");
        let endpoint = run
            .endpoints
            .iter()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("no endpoint {name}"));
        let get = |c: &str| column(&rows, row, c);
        assert_eq!(endpoint.method.as_deref(), Some(get("Type")));
        assert_eq!(
            endpoint.requests,
            Some(get("Request Count").parse().unwrap())
        );
        assert_eq!(endpoint.failed, Some(get("Failure Count").parse().unwrap()));
        let l = &endpoint.latency_ms;
        assert_eq!(l.min, number(get("Min Response Time")), "{name} min");
        assert_eq!(l.avg, number(get("Average Response Time")), "{name} avg");
        assert_eq!(l.max, number(get("Max Response Time")), "{name} max");
        assert_eq!(l.p50, number(get("Median Response Time")), "{name} p50");
        assert_eq!(l.p90, number(get("90%")), "{name} p90");
        assert_eq!(l.p95, number(get("95%")), "{name} p95");
        assert_eq!(l.p99, number(get("99%")), "{name} p99");
    }
    // Busiest first, as for the raw formats.
    let order: Vec<(&str, Option<u64>)> = run
        .endpoints
        .iter()
        .map(|e| (e.name.as_str(), e.requests))
        .collect();
    assert_eq!(
        order,
        [
            ("/api/v1/health", Some(573)),
            ("/api/v1/mempool", Some(343)),
            ("/api/v1/fees/recommended", Some(342)),
            ("/api/v1/network", Some(255)),
            ("/api/v1/blocks/latest", Some(240)),
            ("/api/v1/mining", Some(225)),
            ("/api/v1/mempool/info", Some(128)),
            ("/api/v1/fees/6", Some(104)),
        ]
    );
}

#[test]
fn the_order_of_the_files_does_not_matter() {
    let mut names = BITCOIN;
    names.reverse();
    assert_eq!(
        ingest_fixtures(&names).unwrap(),
        ingest_fixtures(&BITCOIN).unwrap()
    );
}

/// Locust's bucket around a response time (`StatsEntry._log_response_time`):
/// whole milliseconds under 100, tens under 1000, hundreds under 10000.
fn bucket_step(ms: f64) -> f64 {
    match ms {
        ms if ms < 100.0 => 1.0,
        ms if ms < 1000.0 => 10.0,
        ms if ms < 10000.0 => 100.0,
        _ => 1000.0,
    }
}

#[test]
fn the_stats_file_and_the_history_agree() {
    let stats = ingest_fixtures(&BITCOIN[..1]).unwrap();
    let history = ingest_fixtures(&BITCOIN[1..2]).unwrap();
    let rows = csv_rows(BITCOIN[1]);
    let last = rows.last().unwrap();
    let total = |c: &str| column(&rows, last, c).parse::<u64>().unwrap();

    // The history's final cumulative totals are its run's counts, and its
    // series adds up to them.
    assert_eq!(history.requests, Some(total("Total Request Count")));
    assert_eq!(history.failed, Some(total("Total Failure Count")));
    let series = history.series.as_ref().unwrap();
    assert_eq!(series.points.iter().map(|p| p.requests).sum::<u64>(), 2050);
    assert_eq!(series.points.iter().map(|p| p.failed).sum::<u64>(), 1496);

    // They fall short of the stats file's counts (2210, 1607): Locust
    // rewrites the stats file every second but flushes the history only every
    // 10 s (CSV_STATS_FLUSH_INTERVAL_SEC), and this run lost its last
    // history rows. The shortfall fits in 10 s at the run's peak rate.
    let (stats_requests, history_requests) = (stats.requests.unwrap(), history.requests.unwrap());
    assert_eq!((stats_requests, history_requests), (2210, 2050));
    assert!(history.failed.unwrap() <= stats.failed.unwrap());
    let peak_rate = rows[1..]
        .iter()
        .map(|r| column(&rows, r, "Requests/s").parse::<f64>().unwrap())
        .fold(0.0, f64::max);
    assert!((stats_requests - history_requests) as f64 <= 10.0 * peak_rate);

    // Min and Max are exact in both files, and the run's extremes happened
    // before the history ended.
    assert_eq!(history.latency_ms.min, stats.latency_ms.min);
    assert_eq!(history.latency_ms.max, stats.latency_ms.max);
    // The percentiles are bucketed: over nearly the same requests they agree
    // within one of Locust's buckets (here exactly).
    for (h, s) in [
        (history.latency_ms.p50, stats.latency_ms.p50),
        (history.latency_ms.p90, stats.latency_ms.p90),
        (history.latency_ms.p95, stats.latency_ms.p95),
        (history.latency_ms.p99, stats.latency_ms.p99),
    ] {
        let (h, s) = (h.unwrap(), s.unwrap());
        assert!((h - s).abs() <= bucket_step(s), "{h} vs {s}");
    }

    // The failures file adds up to the stats' failures, per endpoint too
    // (read with the csv crate).
    let failures = csv_rows(BITCOIN[2]);
    let occurrences = |name: &str| -> u64 {
        failures[1..]
            .iter()
            .filter(|r| name == "*" || r[1] == name)
            .map(|r| r[3].parse::<u64>().unwrap())
            .sum()
    };
    assert_eq!(Some(occurrences("*")), stats.failed);
    for endpoint in &stats.endpoints {
        assert_eq!(Some(occurrences(&endpoint.name)), endpoint.failed);
    }
}

#[test]
fn the_stats_file_alone_gives_the_totals_and_no_time_figures() {
    let run = ingest_fixtures(&BITCOIN[..1]).unwrap();
    assert_eq!(run.requests, Some(2210));
    assert_close(run.latency_ms.p95, 8.0);
    assert_eq!(run.endpoints.len(), 8);
    assert_eq!(run.started_at, None);
    assert_eq!(run.duration_s, None);
    assert_eq!(run.vus_max, None);
    assert_eq!(run.series, None);
}

#[test]
fn the_history_alone_gives_its_last_totals_and_the_series() {
    let run = ingest_fixtures(&BITCOIN[1..2]).unwrap();
    // The last row (line 57): 2050 requests, 1496 failures, Total Median 3,
    // Total Average 53.77800819475385, Total Min 2.5905000511556864,
    // Total Max 2160.2996999863535, and cumulative 90%/95%/99% of 6/8/2000.
    assert_eq!(run.requests, Some(2050));
    assert_eq!(run.failed, Some(1496));
    assert_close(run.error_rate, 1496.0 / 2050.0);
    assert_close(run.throughput_rps, 2050.0 / 56.0);
    assert_close(run.latency_ms.p50, 3.0);
    assert_close(run.latency_ms.avg, 53.77800819475385);
    assert_close(run.latency_ms.min, 2.5905000511556864);
    assert_close(run.latency_ms.max, 2160.2996999863535);
    assert_close(run.latency_ms.p90, 6.0);
    assert_close(run.latency_ms.p95, 8.0);
    assert_close(run.latency_ms.p99, 2000.0);
    // A default history has no per-endpoint rows.
    assert!(run.endpoints.is_empty());
    assert_eq!(run.duration_s, Some(56.0));
    assert_eq!(run.vus_max, Some(50));
    assert_bitcoin_series(&run);
}

#[test]
fn an_empty_run_is_a_clear_error() {
    let err = ingest_fixtures(&EMPTY_RUN).unwrap_err().to_string();
    assert_eq!(
        err,
        "wine-prediction-empty-run-results_stats.csv, line 2, column 3, field `Request Count`: \
         expected a run with at least one request, found 0 requests in the `Aggregated` row: \
         Locust sent no request, so there is nothing to assess (its history shows that no user \
         was ever started)"
    );
    // Alone, the empty history is refused at its last row (line 2032).
    let err = ingest_fixtures(&EMPTY_RUN[1..2]).unwrap_err().to_string();
    assert_eq!(
        err,
        "wine-prediction-empty-run-results_stats_history.csv, line 2032, field `Total Request \
         Count`: expected a run with at least one request, found 0 requests at the end of the \
         history, and no user was ever started"
    );
}

#[test]
fn a_stats_file_with_only_its_header_is_a_clear_error() {
    let header = text_fixture(BITCOIN[0]).lines().next().unwrap().to_owned();
    let source = MemorySource::new("only_stats.csv", format!("{header}\n"));
    let err = ingest_all(&[source]).unwrap_err().to_string();
    assert!(
        err.starts_with("only_stats.csv: expected the `Aggregated` total row"),
        "{err}"
    );
    assert!(err.contains("only the header"), "{err}");
}

#[test]
fn without_stats_or_history_the_error_names_the_file_needed() {
    let err = ingest_fixtures(&BITCOIN[2..]).unwrap_err().to_string();
    assert_eq!(
        err,
        "expected a Locust <prefix>_stats.csv or <prefix>_stats_history.csv file, which hold \
         the request figures (the failures and exceptions files hold none), found only \
         bitcoin-api-results_failures.csv (failures), bitcoin-api-results_exceptions.csv \
         (exceptions)"
    );
}

#[test]
fn two_stats_files_are_two_runs() {
    let mut files = sources(&BITCOIN);
    files.push(MemorySource::new("other_stats.csv", fixture(BITCOIN[0])));
    let err = ingest_all(&files).unwrap_err();
    assert!(
        matches!(&err, IngestError::Mixed { files } if files.len() == 2),
        "{err:?}"
    );
    assert!(err.to_string().contains("more than one result"), "{err}");
    assert!(
        err.to_string().contains("other_stats.csv (locust-csv)"),
        "{err}"
    );
}

#[test]
fn a_history_larger_than_its_stats_is_another_run() {
    // The empty run's stats with the bitcoin-api history.
    let files = [
        MemorySource::new("a_stats.csv", fixture(EMPTY_RUN[0])),
        MemorySource::new("b_stats_history.csv", fixture(BITCOIN[1])),
    ];
    let err = ingest_all(&files).unwrap_err().to_string();
    assert_eq!(
        err,
        "b_stats_history.csv, line 57, field `Total Request Count`: expected the history of \
         the run in a_stats.csv (a `Total Request Count` of at most 0), found 2050: the two \
         files come from different runs"
    );
}

/// A fixture with one of its lines (counted from 1) edited.
fn edited(name: &str, line: usize, edit: impl Fn(&str) -> String) -> MemorySource {
    let text: Vec<String> = text_fixture(name)
        .lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == line { edit(l) } else { l.to_owned() })
        .collect();
    MemorySource::new(name, text.join("\n"))
}

#[test]
fn a_truncated_row_names_the_file_and_line() {
    let text = text_fixture(BITCOIN[0]);
    // Cut the file in the middle of line 5.
    let cut = text.match_indices('\n').nth(3).unwrap().0 + 30;
    let source = MemorySource::new(BITCOIN[0], &text.as_bytes()[..cut]);
    let err = ingest_all(&[source]).unwrap_err().to_string();
    assert_eq!(
        err,
        "bitcoin-api-results_stats.csv, line 5: expected 22 fields, as in the header, found 6: \
         the row is cut short (is the file truncated?)"
    );

    // Cut at the end of a line: the missing total row gives it away.
    let cut = text.match_indices('\n').nth(8).unwrap().0 + 1;
    let source = MemorySource::new(BITCOIN[0], &text.as_bytes()[..cut]);
    let err = ingest_all(&[source]).unwrap_err().to_string();
    assert_eq!(
        err,
        "bitcoin-api-results_stats.csv: expected the `Aggregated` total row (empty Type), which \
         Locust writes last, found none: the file ends after line 9 (is it truncated?)"
    );
}

#[test]
fn a_bad_number_mid_file_names_the_file_line_and_field() {
    // Line 30 is the row of 1772849641, whose Total Request Count is 980.
    let history = edited(BITCOIN[1], 30, |l| l.replace(",980,", ",98O,"));
    let err = ingest_all(&[history]).unwrap_err().to_string();
    assert_eq!(
        err,
        "bitcoin-api-results_stats_history.csv, line 30, column 18, field `Total Request Count`: \
         expected a whole number, found `98O`"
    );

    let stats = edited(BITCOIN[0], 4, |l| {
        l.replace(",2.6379998307675123,", ",-2.6,")
    });
    let err = ingest_all(&[stats]).unwrap_err().to_string();
    assert_eq!(
        err,
        "bitcoin-api-results_stats.csv, line 4, column 7, field `Min Response Time`: expected a \
         time in milliseconds or N/A, found `-2.6`"
    );
}

#[test]
fn a_missing_column_names_the_file_line_and_column() {
    // Drop the eighth column (Max Response Time) from every line.
    let text: Vec<String> = text_fixture(BITCOIN[0])
        .lines()
        .map(|l| {
            let mut fields: Vec<&str> = l.split(',').collect();
            fields.remove(7);
            fields.join(",")
        })
        .collect();
    let source = MemorySource::new(BITCOIN[0], text.join("\n"));
    let err = ingest_all(&[source]).unwrap_err().to_string();
    assert!(
        err.starts_with(
            "bitcoin-api-results_stats.csv, line 1, field `Max Response Time`: expected a `Max \
             Response Time` column, found a header without it (Type,Name,Request Count,"
        ),
        "{err}"
    );
}

#[test]
fn each_file_is_recognised_by_its_header() {
    for (name, role) in BITCOIN
        .iter()
        .zip(["stats", "history", "failures", "exceptions"])
    {
        let source = MemorySource::new("renamed.csv", fixture(name));
        let sniffed = locust::sniff(&source, &source.bytes);
        assert_eq!(sniffed, Ok((Format::LocustCsv, role)), "{name}");
    }
    // Locust 2.44 added First Seen and Last Seen to the failures file.
    let dated = MemorySource::new(
        "x_failures.csv",
        "Method,Name,Error,Occurrences,First Seen,Last Seen\n",
    );
    assert_eq!(
        locust::sniff(&dated, &dated.bytes),
        Ok((Format::LocustCsv, "failures"))
    );
    // A UTF-8 byte order mark, as a spreadsheet adds, is no obstacle.
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(fixture(BITCOIN[0]));
    let run = ingest_all(&[MemorySource::new("x_stats.csv", bom)]).unwrap();
    assert_eq!(run.requests, Some(2210));
}

#[test]
fn jmeter_and_k6_csvs_are_not_locust() {
    let jmeter_path = format!(
        "{}/tests/fixtures/jmeter/jmeter-HTMLReportTestFile.jtl.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let jmeter = MemorySource::new("results.jtl.csv", std::fs::read(jmeter_path).unwrap());
    let k6 = MemorySource::new(
        "k6.csv",
        "metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,\
         method,name,proto,scenario,service,status,subproto,tls_version,url,extra_tags,metadata\n\
         http_reqs,1641298536,1.000000,,,,true,,GET,http://test.k6.io,HTTP/1.1,default,,200,,,\
         http://test.k6.io,,\n",
    );
    for source in [jmeter, k6] {
        let why = locust::sniff(&source, &source.bytes).unwrap_err();
        assert!(why.starts_with("no Locust CSV header"), "{why}");
    }
    // A file named like a Locust file is told why it is not one.
    let misnamed = MemorySource::new("run_stats.csv", "a,b,c\n1,2,3\n");
    let why = locust::sniff(&misnamed, &misnamed.bytes).unwrap_err();
    assert_eq!(
        why,
        "named like a Locust stats file, but its first line is not Locust's header (expected \
         Type,Name,Request Count,...)"
    );
}

#[test]
fn a_forced_format_on_another_file_says_why_it_is_not_locust() {
    let source = MemorySource::new("notes.csv", "a,b\n1,2\n");
    let err = ingest(&[&source], Some(Format::LocustCsv))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("notes.csv, line 1: expected a Locust --csv file"),
        "{err}"
    );
    assert!(err.contains("no Locust CSV header"), "{err}");
}

const HISTORY_HEADER: &str = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,\
    80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median \
    Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,\
    Total Average Content Size";

/// A history row with the given figures and `p` in every percentile column.
fn history_row(
    t: i64,
    users: u64,
    method: &str,
    name: &str,
    total: u64,
    failed: u64,
    p: &str,
) -> String {
    let percentiles = [p; 11].join(",");
    format!(
        "{t},{users},{method},{name},1.0,0.0,{percentiles},{total},{failed},10,12.5,1.5,900.0,100"
    )
}

#[test]
fn a_full_history_gives_windowed_percentiles_to_the_series() {
    // With --csv-full-history each second has a row per endpoint before the
    // Aggregated row, and the percentile columns cover the last ~10 s.
    let t0 = 1_700_000_000;
    let mut lines = vec![HISTORY_HEADER.to_owned()];
    for (i, p) in ["20", "30", "900", "40"].iter().enumerate() {
        let t = t0 + i as i64;
        let total = 10 * i as u64;
        lines.push(history_row(t, 5, "GET", "/home", total, 0, p));
        lines.push(history_row(t, 5, "", "Aggregated", total, i as u64, p));
    }
    let source = MemorySource::new("full_stats_history.csv", lines.join("\n"));
    let run = ingest_all(&[source]).unwrap();
    let series = run.series.unwrap();
    let p95: Vec<Option<f64>> = series.points.iter().map(|p| p.p95_ms).collect();
    // Row i's window ends at second i, after the interval starting at i - 1.
    assert_eq!(p95, [Some(30.0), Some(900.0), Some(40.0)]);
    let requests: Vec<u64> = series.points.iter().map(|p| p.requests).collect();
    assert_eq!(requests, [10, 10, 10]);
    // The run's own percentiles cannot come from a window of its last
    // seconds; the cumulative Total columns still give the rest.
    assert_eq!(run.latency_ms.p95, None);
    assert_eq!(run.latency_ms.p99, None);
    assert_eq!(run.latency_ms.p50, Some(10.0));
    assert_eq!(run.latency_ms.max, Some(900.0));
    assert_eq!(run.requests, Some(30));
    assert_eq!(run.failed, Some(3));
}

#[test]
fn a_long_history_is_rebucketed_to_at_most_720_points() {
    // Two hours of one-second rows at 3 requests a second, one failure every
    // 10 s, users rising by one a minute.
    let t0 = 1_700_000_000;
    let mut lines = vec![HISTORY_HEADER.to_owned()];
    for i in 0..=7200u64 {
        let p = if i == 0 { "N/A" } else { "25" };
        lines.push(history_row(
            t0 + i as i64,
            1 + i / 60,
            "",
            "Aggregated",
            3 * i,
            i / 10,
            p,
        ));
    }
    let source = MemorySource::new("long_stats_history.csv", lines.join("\n"));
    let run = ingest_all(&[source]).unwrap();
    assert_eq!(run.duration_s, Some(7200.0));
    let series = run.series.unwrap();
    assert_eq!(series.bucket_s, 10.0);
    assert_eq!(series.points.len(), 720);
    assert!(
        series
            .points
            .iter()
            .all(|p| p.requests == 30 && p.failed == 1)
    );
    assert_eq!(series.points[0].t, 0.0);
    assert_eq!(series.points[719].t, 7190.0);
    // The last bucket holds the intervals from 7190 s to 7200 s, whose rows
    // have 120 and 121 users.
    assert_eq!(series.points[719].vus, Some(121));
    assert_eq!(run.vus_max, Some(121));
    assert_eq!(run.requests, Some(21600));
}

#[test]
fn a_stats_reset_restarts_the_counts() {
    // --reset-stats zeroes the totals once every user has started.
    let t0 = 1_700_000_000;
    let totals = [0, 40, 90, 5, 60];
    let mut lines = vec![HISTORY_HEADER.to_owned()];
    for (i, total) in totals.iter().enumerate() {
        lines.push(history_row(
            t0 + i as i64,
            10,
            "",
            "Aggregated",
            *total,
            0,
            "5",
        ));
    }
    let source = MemorySource::new("reset_stats_history.csv", lines.join("\n"));
    let run = ingest_all(&[source]).unwrap();
    let requests: Vec<u64> = run
        .series
        .unwrap()
        .points
        .iter()
        .map(|p| p.requests)
        .collect();
    assert_eq!(requests, [40, 50, 5, 55]);
}

#[test]
fn names_with_commas_quotes_and_line_breaks_are_read() {
    let text = text_fixture(BITCOIN[0]).replacen(
        "GET,/api/v1/fees/6,",
        "GET,\"/api/v1/fees/6?a=1,b=\"\"2\"\"\nnext line\",",
        1,
    );
    let run = ingest_all(&[MemorySource::new(BITCOIN[0], text)]).unwrap();
    let names: Vec<&str> = run.endpoints.iter().map(|e| e.name.as_str()).collect();
    assert!(
        names.contains(&"/api/v1/fees/6?a=1,b=\"2\"\nnext line"),
        "{names:?}"
    );
    assert_eq!(run.requests, Some(2210));
}

#[test]
fn gzip_files_are_read() {
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;
    let files: Vec<MemorySource> = BITCOIN
        .iter()
        .map(|name| {
            let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
            encoder.write_all(&fixture(name)).unwrap();
            MemorySource::new(format!("{name}.gz"), encoder.finish().unwrap())
        })
        .collect();
    assert_eq!(
        ingest_all(&files).unwrap(),
        ingest_fixtures(&BITCOIN).unwrap()
    );
}

#[test]
fn no_input_makes_it_panic() {
    // Every prefix of the stats file, alone and with the history.
    let stats = fixture(BITCOIN[0]);
    let history = MemorySource::new(BITCOIN[1], fixture(BITCOIN[1]));
    for end in 0..=stats.len() {
        let cut = MemorySource::new(BITCOIN[0], &stats[..end]);
        let _ = ingest_all(std::slice::from_ref(&cut));
        let _ = ingest(&[&cut, &history], None);
    }
    // Prefixes of the history, and single bytes changed to awkward ones
    // throughout both files (a fixed pseudo-random sequence).
    let history = fixture(BITCOIN[1]);
    for end in (0..=history.len()).step_by(7) {
        let _ = ingest_all(&[MemorySource::new(BITCOIN[1], &history[..end])]);
    }
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for original in [&stats, &history] {
        for _ in 0..2000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut bytes = original.clone();
            let at = (seed % bytes.len() as u64) as usize;
            bytes[at] = [b'"', b',', b'\n', b'-', b'9', 0xff, b'N'][(seed >> 32) as usize % 7];
            let name = if original.len() == stats.len() {
                BITCOIN[0]
            } else {
                BITCOIN[1]
            };
            let _ = ingest_all(&[MemorySource::new(name, bytes)]);
        }
    }
    // Counts at the limits of u64 and timestamps at the limits of time.
    let mut lines = vec![HISTORY_HEADER.to_owned()];
    lines.push(history_row(
        -8_000_000_000_000,
        0,
        "",
        "Aggregated",
        u64::MAX,
        u64::MAX,
        "1e308",
    ));
    lines.push(history_row(
        8_000_000_000_000,
        u64::MAX,
        "",
        "Aggregated",
        0,
        0,
        "5",
    ));
    lines.push(history_row(
        8_000_000_000_000,
        1,
        "",
        "Aggregated",
        u64::MAX,
        u64::MAX,
        "5",
    ));
    let _ = ingest_all(&[MemorySource::new(
        "edge_stats_history.csv",
        lines.join("\n"),
    )]);
}
