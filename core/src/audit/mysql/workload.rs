//! The database workload: performance_schema's
//! `events_statements_summary_by_digest` and
//! `events_statements_histogram_global` exported with `mysql -B` (a header
//! of column names, tab-separated rows, `NULL` for nulls, tabs, newlines
//! and backslashes escaped), and the slow query log; plus the figures the
//! assessment reads from them.
//!
//! Timer columns are picoseconds. The histogram has 450 buckets: bucket 0
//! is [0, 10 µs), bucket n ≥ 1 is [10 µs × f^(n−1), 10 µs × f^n) with f =
//! 10^(1/50) ≈ 1.0471 (a 4.7 % step, a tenfold range every 50 buckets),
//! and the last bucket is open-ended (MySQL 8.0 `pfs_histogram.cc`).

use super::values::{shorten, unescape};
use crate::audit::Kind;
use crate::audit::model::Origin;
use crate::error::ParseError;
use crate::input::{Lines, Source};
use crate::targets::trim_number;

/// One row of `events_statements_summary_by_digest`.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestRow {
    pub schema: Option<String>,
    /// `None` on the row that gathers statements once the table is full.
    pub digest: Option<String>,
    pub text: Option<String>,
    pub count: u64,
    pub sum_timer_ps: u64,
    pub max_timer_ps: u64,
    pub rows_examined: u64,
    pub rows_sent: u64,
    pub no_index_used: u64,
    pub no_good_index_used: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// MySQL 8.0.3+ only; MariaDB's table has no quantiles.
    pub quantile_95_ps: Option<u64>,
    pub origin: Origin,
}

/// One export of the digest table.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestExport {
    pub file: String,
    pub rows: Vec<DigestRow>,
}

impl DigestExport {
    pub fn total_count(&self) -> u64 {
        self.rows
            .iter()
            .fold(0u64, |sum, r| sum.saturating_add(r.count))
    }
}

/// One bucket of `events_statements_histogram_global`.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramBucket {
    pub number: u32,
    pub low_ps: u64,
    /// `u64::MAX` (as the server prints it) for the open-ended last bucket.
    pub high_ps: u64,
    pub count: u64,
    pub count_and_lower: Option<u64>,
    pub origin: Origin,
}

/// One export of the global histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramExport {
    pub file: String,
    pub buckets: Vec<HistogramBucket>,
}

impl HistogramExport {
    pub fn total_count(&self) -> u64 {
        self.buckets
            .iter()
            .fold(0u64, |sum, b| sum.saturating_add(b.count))
    }
}

/// One entry of the slow query log.
#[derive(Debug, Clone, PartialEq)]
pub struct SlowEntry {
    /// The `# Time:` line before it, as written.
    pub time: Option<String>,
    pub user_host: Option<String>,
    pub query_time_s: f64,
    pub lock_time_s: f64,
    pub rows_sent: u64,
    pub rows_examined: u64,
    /// The statement, shortened to a line for display.
    pub statement: String,
    /// The `# Query_time:` line.
    pub origin: Origin,
}

/// Everything the workload exports held.
#[derive(Debug, Clone, Default)]
pub struct Workload {
    pub digests: Vec<DigestExport>,
    pub histograms: Vec<HistogramExport>,
    pub slow_log: Vec<SlowEntry>,
    pub slow_log_files: Vec<String>,
}

impl Workload {
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty() && self.histograms.is_empty() && self.slow_log_files.is_empty()
    }

    /// The slowest entry of the slow logs.
    pub fn slowest(&self) -> Option<&SlowEntry> {
        self.slow_log
            .iter()
            .max_by(|a, b| a.query_time_s.total_cmp(&b.query_time_s))
    }
}

const DIGEST_REQUIRED: &[&str] = &[
    "DIGEST",
    "DIGEST_TEXT",
    "COUNT_STAR",
    "SUM_TIMER_WAIT",
    "MAX_TIMER_WAIT",
    "SUM_ROWS_EXAMINED",
    "SUM_ROWS_SENT",
    "SUM_NO_INDEX_USED",
    "SUM_NO_GOOD_INDEX_USED",
];

const HISTOGRAM_REQUIRED: &[&str] = &[
    "BUCKET_NUMBER",
    "BUCKET_TIMER_LOW",
    "BUCKET_TIMER_HIGH",
    "COUNT_BUCKET",
];

/// The kind of a `mysql -B` export by its header line.
pub fn sniff_export(text: &str) -> Option<Kind> {
    let header = text
        .lines()
        .find(|l| !l.trim().is_empty())?
        .trim_start_matches('\u{feff}')
        .trim_end_matches('\r');
    let columns: Vec<String> = header
        .split('\t')
        .map(|c| c.trim().to_ascii_uppercase())
        .collect();
    let has = |name: &str| columns.iter().any(|c| c == name);
    if ["DIGEST", "DIGEST_TEXT", "COUNT_STAR", "SUM_TIMER_WAIT"]
        .iter()
        .all(|c| has(c))
    {
        return Some(Kind::StatementDigest);
    }
    if HISTOGRAM_REQUIRED.iter().all(|c| has(c)) && !has("DIGEST") && !has("EVENT_NAME") {
        return Some(Kind::StatementHistogram);
    }
    None
}

/// Whether the head of a file is a slow query log: an entry's `#
/// Query_time:` line, a `# Time:` with a `# User@Host:` line, or the banner
/// the server writes when it opens the log (which the general query log
/// shares; a banner followed by general-log entries, or a file named for
/// the general log, is not taken).
pub fn sniff_slow(name: &str, text: &str) -> bool {
    let mut banner = false;
    let mut time = false;
    for line in text.lines().take(500) {
        let line = line.trim_end_matches('\r');
        if line.starts_with("# Query_time:") {
            return true;
        }
        if line.starts_with("# User@Host:") && time {
            return true;
        }
        if line.starts_with("# Time:") {
            time = true;
        } else if is_banner(line) {
            banner = true;
        } else if banner && !line.trim().is_empty() && !line.starts_with('#') {
            // A statement right after the banner, with no `#` header:
            // the general query log.
            return false;
        }
    }
    banner && !name.to_ascii_lowercase().contains("general")
}

fn is_banner(line: &str) -> bool {
    (line.contains(", Version: ") && line.trim_end().ends_with("started with:"))
        || line.starts_with("Tcp port: ")
        || line
            .split_whitespace()
            .eq(["Time", "Id", "Command", "Argument"])
}

/// Reads a header line and the positions of the columns a format needs.
struct Columns {
    names: Vec<String>,
}

impl Columns {
    fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}

fn header(
    lines: &mut Lines<'_>,
    file: &str,
    required: &[&str],
    what: &str,
) -> Result<Columns, ParseError> {
    loop {
        let Some((number, raw)) = lines.next_numbered()? else {
            return Err(ParseError::new(
                format!("the header line of a `mysql -B` export of {what}"),
                "an empty file",
            )
            .in_file(file));
        };
        let text = String::from_utf8_lossy(raw);
        let text = text.trim_start_matches('\u{feff}');
        if text.trim().is_empty() {
            continue;
        }
        let names: Vec<String> = text
            .split('\t')
            .map(|c| c.trim().to_ascii_uppercase())
            .collect();
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|r| !names.iter().any(|n| n == r))
            .collect();
        if !missing.is_empty() {
            return Err(ParseError::new(
                format!("the {what} columns {}", required.join(", ")),
                format!("a header without {}", missing.join(", ")),
            )
            .in_file(file)
            .at_line(number, None));
        }
        return Ok(Columns { names });
    }
}

/// A row's cells, checked against the header's column count.
fn cells<'t>(
    text: &'t str,
    columns: &Columns,
    file: &str,
    line: u64,
) -> Result<Vec<&'t str>, ParseError> {
    let cells: Vec<&str> = text.split('\t').collect();
    if cells.len() != columns.names.len() {
        return Err(ParseError::new(
            format!(
                "{} tab-separated columns, as in the header",
                columns.names.len()
            ),
            format!("{} in `{}`", cells.len(), shorten(text)),
        )
        .in_file(file)
        .at_line(line, None));
    }
    Ok(cells)
}

fn number(
    cells: &[&str],
    columns: &Columns,
    name: &str,
    file: &str,
    line: u64,
) -> Result<u64, ParseError> {
    let i = columns.position(name).unwrap_or(usize::MAX);
    let text = cells.get(i).copied().unwrap_or("").trim();
    text.parse().map_err(|_| {
        ParseError::new(
            format!("a whole number in {name}"),
            format!("`{}`", shorten(text)),
        )
        .in_file(file)
        .at_line(line, None)
        .at_field(name)
    })
}

fn optional_number(cells: &[&str], columns: &Columns, name: &str) -> Option<u64> {
    let text = cells.get(columns.position(name)?)?.trim();
    text.parse().ok()
}

fn optional_text(cells: &[&str], columns: &Columns, name: &str) -> Option<String> {
    let text = *cells.get(columns.position(name)?)?;
    (text != "NULL").then(|| unescape(text))
}

pub fn parse_digest(source: &dyn Source) -> Result<DigestExport, ParseError> {
    let file = source.name();
    let mut lines = Lines::new(source)?;
    let columns = header(
        &mut lines,
        file,
        DIGEST_REQUIRED,
        "events_statements_summary_by_digest",
    )?;
    let mut rows = Vec::new();
    while let Some((line, raw)) = lines.next_numbered()? {
        let text = String::from_utf8_lossy(raw);
        if text.trim().is_empty() {
            continue;
        }
        let cells = cells(&text, &columns, file, line)?;
        let num = |name: &str| number(&cells, &columns, name, file, line);
        rows.push(DigestRow {
            schema: optional_text(&cells, &columns, "SCHEMA_NAME"),
            digest: optional_text(&cells, &columns, "DIGEST"),
            text: optional_text(&cells, &columns, "DIGEST_TEXT"),
            count: num("COUNT_STAR")?,
            sum_timer_ps: num("SUM_TIMER_WAIT")?,
            max_timer_ps: num("MAX_TIMER_WAIT")?,
            rows_examined: num("SUM_ROWS_EXAMINED")?,
            rows_sent: num("SUM_ROWS_SENT")?,
            no_index_used: num("SUM_NO_INDEX_USED")?,
            no_good_index_used: num("SUM_NO_GOOD_INDEX_USED")?,
            first_seen: optional_text(&cells, &columns, "FIRST_SEEN"),
            last_seen: optional_text(&cells, &columns, "LAST_SEEN"),
            quantile_95_ps: optional_number(&cells, &columns, "QUANTILE_95"),
            origin: Origin::new(file, line),
        });
    }
    Ok(DigestExport {
        file: file.to_owned(),
        rows,
    })
}

pub fn parse_histogram(source: &dyn Source) -> Result<HistogramExport, ParseError> {
    let file = source.name();
    let mut lines = Lines::new(source)?;
    let columns = header(
        &mut lines,
        file,
        HISTOGRAM_REQUIRED,
        "events_statements_histogram_global",
    )?;
    let mut buckets: Vec<HistogramBucket> = Vec::new();
    while let Some((line, raw)) = lines.next_numbered()? {
        let text = String::from_utf8_lossy(raw);
        if text.trim().is_empty() {
            continue;
        }
        let cells = cells(&text, &columns, file, line)?;
        let num = |name: &str| number(&cells, &columns, name, file, line);
        let bucket_number = num("BUCKET_NUMBER")?;
        let err = |expected: String, found: String| {
            ParseError::new(expected, found)
                .in_file(file)
                .at_line(line, None)
        };
        let Ok(bucket_number) = u32::try_from(bucket_number) else {
            return Err(err(
                "a bucket number below 2^32".to_owned(),
                bucket_number.to_string(),
            ));
        };
        if let Some(earlier) = buckets.iter().find(|b| b.number == bucket_number) {
            return Err(err(
                format!(
                    "each bucket once (bucket {bucket_number} is at {})",
                    earlier.origin
                ),
                format!("bucket {bucket_number} again"),
            ));
        }
        let (low, high) = (num("BUCKET_TIMER_LOW")?, num("BUCKET_TIMER_HIGH")?);
        if low > high {
            return Err(err(
                "BUCKET_TIMER_LOW ≤ BUCKET_TIMER_HIGH".to_owned(),
                format!("{low} > {high}"),
            ));
        }
        buckets.push(HistogramBucket {
            number: bucket_number,
            low_ps: low,
            high_ps: high,
            count: num("COUNT_BUCKET")?,
            count_and_lower: optional_number(&cells, &columns, "COUNT_BUCKET_AND_LOWER"),
            origin: Origin::new(file, line),
        });
    }
    buckets.sort_by_key(|b| b.number);
    Ok(HistogramExport {
        file: file.to_owned(),
        buckets,
    })
}

/// The longest statement text kept per slow-log entry.
const STATEMENT_CHARS: usize = 200;

/// Reads a slow query log of MySQL (`# Time:`, `# User@Host:`, `#
/// Query_time: … Lock_time: … Rows_sent: … Rows_examined: …`, then the
/// statement, optionally after `use db;` and `SET timestamp=…;`) or MariaDB
/// (the same with `# Thread_id:` and `# Rows_affected:` lines), and the
/// banner lines the server writes on each restart or log flush.
pub fn parse_slow_log(source: &dyn Source, into: &mut Vec<SlowEntry>) -> Result<(), ParseError> {
    let file = source.name();
    let mut lines = Lines::new(source)?;
    let mut time: Option<String> = None;
    let mut user_host: Option<String> = None;
    let mut current: Option<SlowEntry> = None;
    while let Some((line, raw)) = lines.next_numbered()? {
        let text = String::from_utf8_lossy(raw);
        let text = text.trim_end();
        if let Some(rest) = text.strip_prefix("# Time:") {
            into.extend(current.take());
            time = Some(rest.trim().to_owned());
            user_host = None;
        } else if let Some(rest) = text.strip_prefix("# User@Host:") {
            into.extend(current.take());
            user_host = Some(rest.trim().to_owned());
        } else if let Some(rest) = text.strip_prefix("# Query_time:") {
            into.extend(current.take());
            let line_text = format!("Query_time: {rest}");
            let fields = slow_fields(&line_text);
            let get = |name: &str| fields.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
            let err = |name: &str, found: Option<&str>| {
                ParseError::new(
                    format!("`{name}: <number>` on the `# Query_time:` line"),
                    found.map_or("no such field".to_owned(), |f| format!("`{f}`")),
                )
                .in_file(file)
                .at_line(line, None)
                .at_field(name)
            };
            let float = |name: &str| {
                get(name)
                    .and_then(|v| v.parse::<f64>().ok())
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .ok_or_else(|| err(name, get(name)))
            };
            let whole = |name: &str| {
                get(name)
                    .and_then(|v| v.parse::<u64>().ok())
                    .ok_or_else(|| err(name, get(name)))
            };
            current = Some(SlowEntry {
                time: time.clone(),
                user_host: user_host.clone(),
                query_time_s: float("Query_time")?,
                lock_time_s: float("Lock_time")?,
                rows_sent: whole("Rows_sent")?,
                rows_examined: whole("Rows_examined")?,
                statement: String::new(),
                origin: Origin::new(file, line),
            });
        } else if text.starts_with('#') || is_banner(text) || text.is_empty() {
            // MariaDB's `# Thread_id:`/`# Rows_affected:` lines, `# explain:`
            // output and the banner carry nothing the audit uses.
        } else if let Some(entry) = current.as_mut() {
            let lower = text.to_ascii_lowercase();
            if lower.starts_with("set timestamp=")
                || (lower.starts_with("use ") && entry.statement.is_empty())
            {
                continue;
            }
            if entry.statement.chars().count() < STATEMENT_CHARS {
                if !entry.statement.is_empty() {
                    entry.statement.push(' ');
                }
                entry
                    .statement
                    .extend(text.trim().chars().take(STATEMENT_CHARS));
            }
        }
        // Statement lines before the first entry belong to an entry that a
        // log rotation cut off; they are skipped.
    }
    into.extend(current);
    Ok(())
}

/// `Name: value` pairs of a slow-log header line.
fn slow_fields(text: &str) -> Vec<(&str, &str)> {
    let mut fields = Vec::new();
    let mut words = text.split_whitespace();
    while let Some(word) = words.next() {
        if let Some(name) = word.strip_suffix(':')
            && let Some(value) = words.next()
        {
            fields.push((name, value));
        }
    }
    fields
}

/// A workload figure for the assessment: the value, or `None` and why not;
/// the detail also says how the value was computed and how exact it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub value: Option<f64>,
    pub detail: String,
    pub origin: Option<Origin>,
}

impl Figure {
    fn none(detail: impl Into<String>) -> Figure {
        Figure {
            value: None,
            detail: detail.into(),
            origin: None,
        }
    }
}

/// Digest counts over the window the exports cover: the delta of the
/// earliest and latest export when two or more were uploaded, else the
/// counts since the table was last reset.
struct DigestWindow<'w> {
    rows: Vec<(&'w DigestRow, u64, u64, u64)>,
    basis: String,
}

fn digest_window(workload: &Workload) -> Result<DigestWindow<'_>, String> {
    let mut exports: Vec<&DigestExport> = workload.digests.iter().collect();
    exports.sort_by_key(|e| e.total_count());
    let (Some(first), Some(last)) = (exports.first(), exports.last()) else {
        return Err(
            "no events_statements_summary_by_digest export was uploaded (export it with \
             `mysql -B -e 'SELECT * FROM performance_schema.events_statements_summary_by_digest'`)"
                .to_owned(),
        );
    };
    let cumulative = |note: &str| {
        let oldest = last
            .rows
            .iter()
            .filter_map(|r| r.first_seen.as_deref())
            .min()
            .map(|t| format!(", the oldest digest first seen {t}"))
            .unwrap_or_default();
        DigestWindow {
            rows: last
                .rows
                .iter()
                .map(|r| (r, r.count, r.no_index_used, r.no_good_index_used))
                .collect(),
            basis: format!(
                "counts of {} since the table was last reset or the server started{oldest}{note}",
                last.file
            ),
        }
    };
    if exports.len() < 2 {
        return Ok(cumulative(""));
    }
    let mut rows = Vec::new();
    for row in &last.rows {
        let before = first
            .rows
            .iter()
            .find(|r| r.schema == row.schema && r.digest == row.digest);
        let (c, n, g) = before.map_or((0, 0, 0), |b| {
            (b.count, b.no_index_used, b.no_good_index_used)
        });
        if row.count < c || row.no_index_used < n || row.no_good_index_used < g {
            return Ok(cumulative(&format!(
                "; the delta from {} could not be used because {} counts less at {} than \
                 before (the table was reset between the exports)",
                first.file,
                row.digest.as_deref().unwrap_or("the NULL digest"),
                row.origin
            )));
        }
        rows.push((
            row,
            row.count - c,
            row.no_index_used - n,
            row.no_good_index_used - g,
        ));
    }
    if first.rows.iter().any(|b| {
        !last
            .rows
            .iter()
            .any(|r| r.schema == b.schema && r.digest == b.digest)
    }) {
        return Ok(cumulative(&format!(
            "; the delta from {} could not be used because digests of it are missing later \
             (the table was reset between the exports)",
            first.file
        )));
    }
    Ok(DigestWindow {
        rows,
        basis: format!("the delta between {} and {}", first.file, last.file),
    })
}

/// How many statements the digest table counted: Σ COUNT_STAR over every
/// digest row, including the NULL-digest row that gathers statements once
/// the table holds `performance_schema_digests_size` digests.
///
/// The table counts every statement of every client and schema since the
/// server started or the table was last truncated: the application's
/// queries, but also its `SET` and transaction statements, queue workers,
/// cron jobs, backups and monitoring. To mean one load-test run, upload two
/// exports taken right before and right after the run (the delta is used),
/// or `TRUNCATE performance_schema.events_statements_summary_by_digest`
/// before the run and export right after it, with nothing else running.
pub fn digest_statements(workload: &Workload) -> Figure {
    match digest_window(workload) {
        Err(why) => Figure::none(why),
        Ok(window) => {
            let total = window.rows.iter().fold(0u64, |s, r| s.saturating_add(r.1));
            Figure {
                value: Some(total as f64),
                detail: format!(
                    "{total} statements over {} digests: {}",
                    window.rows.len(),
                    window.basis
                ),
                origin: window.rows.first().map(|r| r.0.origin.clone()),
            }
        }
    }
}

/// Statements per HTTP request: the digest's statement count divided by
/// the run's request count. Meaningful only when the digest window is the
/// run (see [`digest_statements`]).
pub fn queries_per_request(workload: &Workload, requests: u64) -> Figure {
    let statements = digest_statements(workload);
    let Some(total) = statements.value else {
        return statements;
    };
    if requests == 0 {
        return Figure::none("the run has no requests to divide by");
    }
    Figure {
        value: Some(total / requests as f64),
        detail: format!(
            "{} statements / {requests} requests; {}",
            trim_number(total, 0),
            statements.detail
        ),
        origin: statements.origin,
    }
}

/// The share of statements that used no index: Σ SUM_NO_INDEX_USED / Σ
/// COUNT_STAR over the digest window (a fraction of 1).
pub fn no_index_share(workload: &Workload) -> Figure {
    let window = match digest_window(workload) {
        Err(why) => return Figure::none(why),
        Ok(w) => w,
    };
    let (count, no_index, no_good) = window.rows.iter().fold((0u64, 0u64, 0u64), |acc, r| {
        (
            acc.0.saturating_add(r.1),
            acc.1.saturating_add(r.2),
            acc.2.saturating_add(r.3),
        )
    });
    if count == 0 {
        return Figure::none(format!(
            "the digest counts no statements ({})",
            window.basis
        ));
    }
    let worst = window.rows.iter().filter(|r| r.2 > 0).max_by_key(|r| r.2);
    let worst_text = worst
        .map(|(row, _, n, _)| {
            format!(
                "; most of them from `{}` ({n} at {})",
                shorten(
                    row.text
                        .as_deref()
                        .unwrap_or("statements beyond the digest table's size")
                ),
                row.origin
            )
        })
        .unwrap_or_default();
    Figure {
        value: Some(no_index as f64 / count as f64),
        detail: format!(
            "{no_index} of {count} statements used no index and {no_good} found no good index{worst_text}; {}",
            window.basis
        ),
        origin: worst.map(|r| r.0.origin.clone()),
    }
}

/// Bucket counts over the window the histogram exports cover.
/// Each bucket with its count over the window, and how the window was
/// taken.
type HistogramWindow<'w> = (Vec<(&'w HistogramBucket, u64)>, String);

fn histogram_window(workload: &Workload) -> Result<HistogramWindow<'_>, String> {
    let mut exports: Vec<&HistogramExport> = workload.histograms.iter().collect();
    exports.sort_by_key(|e| e.total_count());
    let (Some(first), Some(last)) = (exports.first(), exports.last()) else {
        return Err(
            "no events_statements_histogram_global export was uploaded (MySQL 8.0+: `mysql -B -e \
             'SELECT * FROM performance_schema.events_statements_histogram_global'`; MariaDB has \
             no statement histogram)"
                .to_owned(),
        );
    };
    let cumulative = |note: String| {
        (
            last.buckets.iter().map(|b| (b, b.count)).collect(),
            format!(
                "counts of {} since the histogram was last reset or the server started{note}",
                last.file
            ),
        )
    };
    if exports.len() < 2 {
        return Ok(cumulative(String::new()));
    }
    let mut window = Vec::new();
    for bucket in &last.buckets {
        let before = first
            .buckets
            .iter()
            .find(|b| b.number == bucket.number)
            .map_or(0, |b| b.count);
        if bucket.count < before {
            return Ok(cumulative(format!(
                "; the delta from {} could not be used because bucket {} counts less at {} than \
                 before (the histogram was reset between the exports)",
                first.file, bucket.number, bucket.origin
            )));
        }
        window.push((bucket, bucket.count - before));
    }
    Ok((
        window,
        format!("the delta between {} and {}", first.file, last.file),
    ))
}

/// Picoseconds to milliseconds.
fn ms(ps: u64) -> f64 {
    ps as f64 / 1e9
}

/// The 95th percentile of statement latency in milliseconds, from the
/// global statement histogram: the upper bound of the bucket that holds the
/// statement ranked ⌈0.95 × n⌉, which is how MySQL computes the digest
/// table's QUANTILE_95. The true value lies inside that bucket, so the
/// figure is high by at most the bucket's width: under 4.6 % of the value
/// (each bucket is 4.7 % wider than the one before) beyond 10 µs, and at
/// most 10 µs in bucket 0. In the open-ended last bucket only its lower
/// bound is known, and the figure says "at least".
pub fn db_p95_ms(workload: &Workload) -> Figure {
    let (window, basis) = match histogram_window(workload) {
        Err(why) => return Figure::none(why),
        Ok(w) => w,
    };
    let total = window.iter().fold(0u64, |s, (_, c)| s.saturating_add(*c));
    if total == 0 {
        return Figure::none(format!("the histogram counts no statements ({basis})"));
    }
    // The rank of the 95th percentile, ⌈0.95 × n⌉, in integers.
    let rank = (total as u128 * 95).div_ceil(100) as u64;
    let mut seen = 0u64;
    for (bucket, count) in &window {
        seen = seen.saturating_add(*count);
        if seen < rank {
            continue;
        }
        let open = bucket.high_ps >= 1 << 63;
        let (value, bound) = if open {
            (ms(bucket.low_ps), "at least".to_owned())
        } else {
            (
                ms(bucket.high_ps),
                format!(
                    "within {} ms above the true value",
                    trim_number(ms(bucket.high_ps - bucket.low_ps), 4)
                ),
            )
        };
        return Figure {
            value: Some(value),
            detail: format!(
                "p95 of {total} statements {}{} ms: bucket {} [{} ms, {}) holds statement \
                 {rank}; the figure is its upper bound, {bound}; {basis}",
                if open { "is at least " } else { "≤ " },
                trim_number(value, 4),
                bucket.number,
                trim_number(ms(bucket.low_ps), 4),
                if open {
                    "∞".to_owned()
                } else {
                    format!("{} ms", trim_number(ms(bucket.high_ps), 4))
                },
            ),
            origin: Some(bucket.origin.clone()),
        };
    }
    Figure::none(format!("the histogram's buckets do not add up ({basis})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::MemorySource;

    #[test]
    fn slow_log_entries_of_both_flavours() {
        let log = "/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:\n\
Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\n\
Time                 Id Command    Argument\n\
# Time: 2024-05-02T10:11:12.345678Z\n\
# User@Host: app[app] @  [10.0.0.5]  Id:    42\n\
# Query_time: 2.500000  Lock_time: 0.000100 Rows_sent: 10  Rows_examined: 120000\n\
use shop;\n\
SET timestamp=1714644672;\n\
select * from orders\n\
where total > 10;\n\
# Time: 240502 10:11:13\n\
# User@Host: root[root] @ localhost []\n\
# Thread_id: 8  Schema: shop  QC_hit: No\n\
# Query_time: 0.5  Lock_time: 0  Rows_sent: 1  Rows_examined: 1\n\
# Rows_affected: 0  Bytes_sent: 77\n\
SELECT 1;\n";
        assert!(sniff_slow("slow.log", log));
        let source = MemorySource::new("slow.log", log);
        let mut entries = Vec::new();
        parse_slow_log(&source, &mut entries).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(
            entries[0].statement,
            "select * from orders where total > 10;"
        );
        assert_eq!(entries[0].origin.line, 6);
        assert_eq!(entries[0].rows_examined, 120000);
        assert_eq!(entries[1].query_time_s, 0.5);
        let bad = MemorySource::new(
            "slow.log",
            "# Query_time: x  Lock_time: 0 Rows_sent: 1  Rows_examined: 1\n",
        );
        let err = parse_slow_log(&bad, &mut Vec::new()).unwrap_err();
        assert!(err.to_string().starts_with("slow.log, line 1"), "{err}");
    }

    #[test]
    fn a_general_log_is_not_a_slow_log() {
        let general = "/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:\n\
Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\n\
Time                 Id Command    Argument\n\
2024-05-02T10:11:12.345678Z\t   12 Query\tselect 1\n";
        assert!(!sniff_slow("mysql.log", general));
    }
}
