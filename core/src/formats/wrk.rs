//! wrk's text output, with or without `--latency`, and that of wrk2 (the
//! constant-rate fork), whose summary has the same lines.
//!
//! Upstream printers: wg/wrk `src/wrk.c` (`main`, `print_stats_header`,
//! `print_stats`, `print_stats_latency`, `print_units`) and `src/units.c`
//! (`format_time_us`, `format_time_s`, `format_metric`, `format_binary`) at
//! <https://github.com/wg/wrk>; giltene/wrk2 `src/wrk.c`
//! (`print_hdr_latency`, the calibration lines) at
//! <https://github.com/giltene/wrk2>. wrk prints a summary, so every figure
//! is `reported`.
//!
//! ```text
//! Running 30s test @ http://127.0.0.1:8080/index.html
//!   12 threads and 400 connections
//!   Thread Stats   Avg      Stdev     Max   +/- Stdev
//!     Latency   635.91us    0.89ms  12.92ms   93.69%
//!     Req/Sec    56.20k     8.07k   62.00k    86.54%
//!   Latency Distribution                      (--latency only)
//!      50%  250.00us
//!      75%  491.00us
//!      90%  700.00us
//!      99%    5.80ms
//!   22464657 requests in 30.00s, 17.76GB read
//!   Socket errors: connect 0, read 3, write 0, timeout 0   (only if any)
//!   Non-2xx or 3xx responses: 12                            (only if any)
//! Requests/sec: 748868.53
//! Transfer/sec:    606.33MB
//! ```
//!
//! Pitfalls handled here:
//! - Every figure carries a unit suffix: times `us`, `ms`, `s` or `m`
//!   (minutes; `format_time_us` switches to `s`/`m` from one second up),
//!   counts `k`, `M`, `G`, `T` (powers of 1000), sizes `KB`, `MB`, `GB`,
//!   `TB` (powers of 1024). An unknown suffix is an error, not a guess.
//! - `Req/Sec` is per thread, sampled every 100 ms; the run's throughput is
//!   the `Requests/sec` line (completed responses over the run time).
//! - The `Running 30s test` duration is the requested one, rounded to whole
//!   units (`format_time_s` prints 90 s as `2m`); the run's duration is the
//!   measured time of the `N requests in 30.00s` line.
//! - Requests and failures: wrk counts a request in `N` when its response
//!   completed, whatever the status; `Non-2xx or 3xx responses` counts
//!   those with a status above 399. Connect, read and write socket errors
//!   are attempts that ended without a counted response (a refused or
//!   reset connection, a request that could not be sent), so each is added
//!   to both the requests and the failures. Timeouts are not: in wrk 4 a
//!   timeout is a response slower than `--timeout`, already in `N`; in
//!   wrk 3 and wrk2 it is a connection found waiting at a periodic check,
//!   counted again at every check. Neither is a number of requests, and
//!   how many of them also failed is unknown.
//! - wrk 4 leaves responses slower than `--timeout` (2 s by default) out of
//!   its latency statistics, so the latency maximum never exceeds it.
//! - Connections act as virtual users: each keeps one request in flight
//!   and sends the next when the response arrives. wrk opens
//!   `connections / threads` (rounded down) per thread, so `vus_max` is
//!   that times the threads: 50 connections on 8 threads are 48.
//! - wrk2 prints `Thread calibration` lines, an HdrHistogram `Latency
//!   Distribution (HdrHistogram - Recorded Latency)` with 50 to 100 %, a
//!   `Detailed Percentile spectrum` and, with `-U`, a second distribution
//!   of uncorrected latency. Percentiles come from the first, corrected
//!   one; the spectrum and the uncorrected section are not read.
//! - Text before `Running` (a command line, CI noise) and after the
//!   `Requests/sec` line (a Lua `done()` report, notes) is not part of the
//!   summary and is skipped; a second `Running` line is a second run, which
//!   is an error.

use crate::error::ParseError;
use crate::formats::{Format, IngestError, Input, Sniffed, single};
use crate::input::{HEAD_BYTES, Lines, Source};
use crate::run::{Exactness, Latency, Run};

/// Detects wrk's output: a `Running <duration> test @ <url>` line and the
/// `N requests in ...` summary line.
pub fn sniff(_source: &dyn Source, head: &[u8]) -> Sniffed {
    let text = String::from_utf8_lossy(head);
    let running = text.lines().any(|line| is_running_line(line.trim()));
    if !running {
        return Err("no `Running <duration> test @ <url>` line".to_owned());
    }
    // A wrk2 spectrum or a long log can push the summary past the head;
    // then the `Running` line alone decides.
    if text.contains(" requests in ") || head.len() >= HEAD_BYTES {
        Ok((Format::Wrk, "result"))
    } else {
        Err("a `Running ... test @` line but no `N requests in ...` line".to_owned())
    }
}

fn is_running_line(line: &str) -> bool {
    line.starts_with("Running ") && line.contains(" test @ ")
}

/// The columns of a `Thread Stats` row.
#[derive(Debug, Clone, Copy)]
struct Stats {
    avg: Option<f64>,
    max: Option<f64>,
}

/// Socket error counts, as wrk names them.
#[derive(Debug, Clone, Copy, Default)]
struct SocketErrors {
    connect: u64,
    read: u64,
    write: u64,
}

/// Which latency distribution the lines being read belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    /// Not in a distribution.
    None,
    /// The first distribution: wrk's, or wrk2's corrected one.
    Recorded,
    /// A distribution that is not read (wrk2's uncorrected one, or any
    /// after the first).
    Skipped,
}

/// Everything read from one wrk summary.
#[derive(Debug, Default)]
struct Summary {
    connections: Option<(u64, u64)>,
    latency: Option<Stats>,
    p50: Option<Option<f64>>,
    p90: Option<Option<f64>>,
    p99: Option<Option<f64>>,
    /// Completed responses and the measured run time in seconds.
    completed: Option<(u64, f64)>,
    socket: SocketErrors,
    non_2xx: u64,
    requests_per_sec: Option<Option<f64>>,
}

/// Parses wrk's (or wrk2's) text output.
pub fn parse(inputs: &[Input<'_>]) -> Result<Run, IngestError> {
    let input = single(inputs, Format::Wrk)?;
    let file = input.source.name();
    let mut lines = Lines::new(input.source)?;
    let mut summary = Summary::default();
    let mut running_line: Option<u64> = None;
    let mut finished = false;
    let mut section = Section::None;
    let mut distributions = 0u32;
    // Lines counts every line it returns; the count is kept here because
    // the current line borrows the reader.
    let mut number: u64 = 0;
    while let Some(bytes) = lines.next_line()? {
        number += 1;
        let text = String::from_utf8_lossy(bytes);
        let line = text.trim();
        let at = |expected: &str, found: &str, field: &str| {
            ParseError::new(expected, format!("`{found}`"))
                .in_file(file)
                .at_line(number, None)
                .at_field(field)
        };
        if is_running_line(line) {
            if let Some(first) = running_line {
                return Err(ParseError::new(
                    "one wrk run per file",
                    format!("a second `Running ... test @` line (the first is line {first})"),
                )
                .in_file(file)
                .at_line(number, None)
                .into());
            }
            running_line = Some(number);
            // The requested duration is checked for its unit but not used:
            // it is rounded, and the measured time follows.
            let duration = line
                .strip_prefix("Running ")
                .and_then(|rest| rest.split(" test @ ").next())
                .unwrap_or_default();
            if time_ms(duration).is_err() {
                return Err(at(
                    "a duration with a unit (s, m, h)",
                    duration,
                    "test duration",
                )
                .into());
            }
            continue;
        }
        if running_line.is_none() || finished {
            continue;
        }

        if section != Section::None {
            if let Some((percent, value)) = percentile_row(line) {
                let ms =
                    time_ms(value).map_err(|()| at(TIME_UNITS, value, &format!("{percent}%")))?;
                if section == Section::Recorded {
                    let slot = match percent {
                        50.0 => &mut summary.p50,
                        90.0 => &mut summary.p90,
                        99.0 => &mut summary.p99,
                        _ => continue,
                    };
                    slot.get_or_insert(ms);
                }
                continue;
            }
            section = Section::None;
        }

        let mut words = line.split_whitespace();
        let first_word = words.next().unwrap_or_default();
        if line.starts_with("Latency Distribution") {
            distributions += 1;
            section = if distributions == 1 && !line.contains("Uncorrected") {
                Section::Recorded
            } else {
                Section::Skipped
            };
        } else if first_word == "Latency" {
            // Five words at most: four are expected, a fifth is an error.
            let columns: Vec<&str> = words.take(5).collect();
            let [avg, stdev, max, within] = columns[..] else {
                return Err(
                    at("`Latency <avg> <stdev> <max> <+/- stdev>`", line, "Latency").into(),
                );
            };
            let avg = time_ms(avg).map_err(|()| at(TIME_UNITS, avg, "Latency Avg"))?;
            time_ms(stdev).map_err(|()| at(TIME_UNITS, stdev, "Latency Stdev"))?;
            let max = time_ms(max).map_err(|()| at(TIME_UNITS, max, "Latency Max"))?;
            percent(within).map_err(|()| at("a percentage", within, "Latency +/- Stdev"))?;
            summary.latency.get_or_insert(Stats { avg, max });
        } else if first_word == "Req/Sec" {
            // Per-thread rates: checked, not used (see the module notes).
            // Five words at most: four are expected, a fifth is an error.
            let columns: Vec<&str> = words.take(5).collect();
            let [avg, stdev, max, within] = columns[..] else {
                return Err(
                    at("`Req/Sec <avg> <stdev> <max> <+/- stdev>`", line, "Req/Sec").into(),
                );
            };
            for (value, field) in [
                (avg, "Req/Sec Avg"),
                (stdev, "Req/Sec Stdev"),
                (max, "Req/Sec Max"),
            ] {
                metric(value).map_err(|()| at(METRIC_UNITS, value, field))?;
            }
            percent(within).map_err(|()| at("a percentage", within, "Req/Sec +/- Stdev"))?;
        } else if line.ends_with(" connections") && line.contains(" threads and ") {
            let columns: Vec<&str> = line.split_whitespace().take(6).collect();
            let [threads, "threads", "and", connections, "connections"] = columns[..] else {
                return Err(at(
                    "`<threads> threads and <connections> connections`",
                    line,
                    "threads",
                )
                .into());
            };
            let threads =
                whole(threads).ok_or_else(|| at("a number of threads", threads, "threads"))?;
            let connections = whole(connections)
                .ok_or_else(|| at("a number of connections", connections, "connections"))?;
            if threads == 0 {
                return Err(at("at least one thread", "0", "threads").into());
            }
            summary.connections = Some((threads, connections));
        } else if let Some((count, rest)) = line.split_once(" requests in ") {
            let completed =
                whole(count).ok_or_else(|| at("a number of requests", count, "requests"))?;
            let Some((runtime, size)) = rest.strip_suffix(" read").and_then(|r| r.split_once(", "))
            else {
                return Err(at("`N requests in <time>, <size> read`", line, "requests").into());
            };
            let runtime_ms = time_ms(runtime)
                .map_err(|()| at(TIME_UNITS, runtime, "run time"))?
                .ok_or_else(|| at("a measured run time", runtime, "run time"))?;
            bytes_size(size).map_err(|()| at(SIZE_UNITS, size, "bytes read"))?;
            summary.completed = Some((completed, runtime_ms / 1000.0));
        } else if let Some(rest) = line.strip_prefix("Socket errors:") {
            summary.socket = socket_errors(rest).ok_or_else(|| {
                at(
                    "`connect N, read N, write N, timeout N`",
                    rest.trim(),
                    "Socket errors",
                )
            })?;
        } else if let Some(rest) = line.strip_prefix("Non-2xx or 3xx responses:") {
            let value = rest.trim();
            summary.non_2xx =
                whole(value).ok_or_else(|| at("a count", value, "Non-2xx or 3xx responses"))?;
        } else if let Some(rest) = line.strip_prefix("Requests/sec:") {
            let value = rest.trim();
            let rate = plain_number(value).map_err(|()| at("a number", value, "Requests/sec"))?;
            summary.requests_per_sec = Some(rate);
            // This line ends the summary: what follows (Transfer/sec, a Lua
            // `done()` report, notes) is not read, except a second run.
            finished = true;
        }
    }
    Ok(build_run(file, running_line, summary, number)?)
}

const TIME_UNITS: &str = "a time with a unit (us, ms, s, m)";
const METRIC_UNITS: &str = "a number with an optional k, M, G or T";
const SIZE_UNITS: &str = "a size with a unit (B, KB, MB, GB, TB)";

/// Turns what was read into a run, or says which line is missing.
fn build_run(
    file: &str,
    running_line: Option<u64>,
    summary: Summary,
    last_line: u64,
) -> Result<Run, ParseError> {
    let missing = |expected: &str, field: &str| {
        ParseError::new(
            expected,
            format!("none up to the end of the file (line {last_line})"),
        )
        .in_file(file)
        .at_field(field)
    };
    if running_line.is_none() {
        return Err(missing(
            "a `Running <duration> test @ <url>` line",
            "Running",
        ));
    }
    let latency = summary.latency.ok_or_else(|| {
        missing(
            "the `Latency <avg> <stdev> <max> <+/- stdev>` line",
            "Latency",
        )
    })?;
    let (completed, runtime_s) = summary
        .completed
        .ok_or_else(|| missing("the `N requests in <time>, <size> read` line", "requests"))?;
    let requests_per_sec = summary
        .requests_per_sec
        .ok_or_else(|| missing("the `Requests/sec: <rate>` line", "Requests/sec"))?;
    if summary.non_2xx > completed {
        return Err(ParseError::new(
            format!("at most the {completed} completed requests"),
            summary.non_2xx.to_string(),
        )
        .in_file(file)
        .at_field("Non-2xx or 3xx responses"));
    }

    let SocketErrors {
        connect,
        read,
        write,
    } = summary.socket;
    let overflow = || {
        ParseError::new("counts that add up", "a sum past 2^64")
            .in_file(file)
            .at_field("Socket errors")
    };
    let unanswered = connect
        .checked_add(read)
        .and_then(|n| n.checked_add(write))
        .ok_or_else(overflow)?;
    let requests = completed.checked_add(unanswered).ok_or_else(overflow)?;
    if requests == 0 {
        return Err(
            ParseError::new("at least one request", "0 requests and no socket error")
                .in_file(file)
                .at_field("requests"),
        );
    }
    // `non_2xx <= completed`, so this cannot overflow where `requests` did not.
    let failed = summary.non_2xx + unanswered;

    let mut run = Run::empty(Format::Wrk.name(), "wrk", Exactness::Reported);
    run.requests = Some(requests);
    run.failed = Some(failed);
    run.error_rate = Some(failed as f64 / requests as f64);
    run.duration_s = Some(runtime_s);
    run.throughput_rps = requests_per_sec;
    run.vus_max = summary
        .connections
        .map(|(threads, connections)| connections / threads * threads);
    // With no completed response, wrk prints zeros for statistics of an
    // empty set; they describe no request and stay null.
    if completed > 0 {
        run.latency_ms = Latency {
            min: None,
            avg: latency.avg,
            p50: summary.p50.flatten(),
            p90: summary.p90.flatten(),
            p95: None,
            p99: summary.p99.flatten(),
            max: latency.max,
        };
    }
    Ok(run)
}

/// A row of a latency distribution: `50%  250.00us` (wrk) or
/// ` 50.000%    1.37ms` (wrk2).
fn percentile_row(line: &str) -> Option<(f64, &str)> {
    let mut words = line.split_whitespace();
    let percent = words.next()?.strip_suffix('%')?;
    let value = words.next()?;
    if words.next().is_some() {
        return None;
    }
    let percent: f64 = percent.parse().ok()?;
    Some((percent, value))
}

/// Whether a word is C's printout of NaN, which wrk prints for statistics
/// it cannot compute (`nan`, `-nan`).
fn is_nan(word: &str) -> bool {
    word.trim_start_matches(['-', '+'])
        .eq_ignore_ascii_case("nan")
}

/// Splits `12.5ms` into `12.5` and `ms`.
fn split_unit(word: &str) -> Result<(f64, &str), ()> {
    let end = word
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(word.len());
    let (number, unit) = word.split_at(end);
    let value: f64 = number.parse().map_err(|_| ())?;
    if !value.is_finite() {
        return Err(());
    }
    Ok((value, unit))
}

/// A time as `format_time_us` or `format_time_s` prints it, in ms; `None`
/// for NaN.
fn time_ms(word: &str) -> Result<Option<f64>, ()> {
    if is_nan(word) {
        return Ok(None);
    }
    let (value, unit) = split_unit(word)?;
    let scale = match unit {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        _ => return Err(()),
    };
    // A finite number can overflow once scaled; that is not a time.
    let ms = value * scale;
    if ms.is_finite() {
        Ok(Some(ms))
    } else {
        Err(())
    }
}

/// A count as `format_metric` prints it (`576.05`, `2.11k`); `None` for NaN.
fn metric(word: &str) -> Result<Option<f64>, ()> {
    if is_nan(word) {
        return Ok(None);
    }
    let (value, unit) = split_unit(word)?;
    let scale = match unit {
        "" => 1.0,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        _ => return Err(()),
    };
    Ok(Some(value * scale))
}

/// A size as `format_binary` prints it followed by `B` (`1.99MB`), in bytes.
fn bytes_size(word: &str) -> Result<f64, ()> {
    let word = word.strip_suffix('B').ok_or(())?;
    let (value, unit) = split_unit(word)?;
    let scale = match unit {
        "" => 1.0,
        "K" => 1024.0,
        "M" => 1024.0 * 1024.0,
        "G" => 1024.0 * 1024.0 * 1024.0,
        "T" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "P" => 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(()),
    };
    Ok(value * scale)
}

/// A percentage such as `90.95%`; `None` for NaN.
fn percent(word: &str) -> Result<Option<f64>, ()> {
    let number = word.strip_suffix('%').ok_or(())?;
    if is_nan(number) {
        return Ok(None);
    }
    let (value, unit) = split_unit(number)?;
    if unit.is_empty() {
        Ok(Some(value))
    } else {
        Err(())
    }
}

/// A plain number such as `4582.66` (`Requests/sec`); `None` when wrk
/// printed NaN or infinity (a run time of zero).
fn plain_number(word: &str) -> Result<Option<f64>, ()> {
    if is_nan(word)
        || word
            .trim_start_matches(['-', '+'])
            .eq_ignore_ascii_case("inf")
    {
        return Ok(None);
    }
    let (value, unit) = split_unit(word)?;
    if unit.is_empty() {
        Ok(Some(value))
    } else {
        Err(())
    }
}

/// A whole number without sign or unit.
fn whole(word: &str) -> Option<u64> {
    if word.is_empty() || !word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    word.parse().ok()
}

/// `connect 0, read 12, write 0, timeout 3`.
fn socket_errors(text: &str) -> Option<SocketErrors> {
    let mut errors = SocketErrors::default();
    let mut seen = [false; 4];
    for part in text.split(',') {
        let (name, value) = part.trim().split_once(' ')?;
        let value = whole(value.trim())?;
        let index = match name {
            "connect" => {
                errors.connect = value;
                0
            }
            "read" => {
                errors.read = value;
                1
            }
            "write" => {
                errors.write = value;
                2
            }
            // Timeouts are not requests (see the module notes); the count
            // is checked, not used.
            "timeout" => 3,
            _ => return None,
        };
        if std::mem::replace(&mut seen[index], true) {
            return None;
        }
    }
    seen.iter().all(|s| *s).then_some(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_scale_as_wrk_prints_them() {
        assert_eq!(time_ms("635.91us"), Ok(Some(0.63591)));
        assert_eq!(time_ms("2.00s"), Ok(Some(2000.0)));
        assert_eq!(time_ms("1.50m"), Ok(Some(90_000.0)));
        assert_eq!(time_ms("-nan"), Ok(None));
        assert_eq!(time_ms("10.5xs"), Err(()));
        assert_eq!(time_ms("ms"), Err(()));
        assert_eq!(metric("2.11k"), Ok(Some(2110.0)));
        assert_eq!(metric("1.20M"), Ok(Some(1_200_000.0)));
        assert_eq!(bytes_size("1.00KB"), Ok(1024.0));
        assert_eq!(bytes_size("1.00K"), Err(()));
        assert_eq!(percent("-nan%"), Ok(None));
    }

    #[test]
    fn socket_errors_need_all_four_counts_once() {
        let e = socket_errors(" connect 1, read 2, write 3, timeout 4").unwrap();
        assert_eq!((e.connect, e.read, e.write), (1, 2, 3));
        assert!(socket_errors(" connect 1, read 2, write 3").is_none());
        assert!(socket_errors(" connect 1, read 2, read 2, timeout 4").is_none());
    }
}
