//! Shared benchmark helpers: a deterministic random source, input
//! generators, and measurement of a child process's time and peak memory.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A small deterministic generator (xorshift64*), so inputs are the same on
/// every run and need no dependency.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A float in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Writes a k6 `--out json` file as k6 does: for every request the 12
/// samples k6 emits (durations, timings, counters), plus a `vus` gauge each
/// second. Returns the number of requests written.
pub fn write_k6_ndjson(path: &Path, target_bytes: u64) -> std::io::Result<u64> {
    let file = std::fs::File::create(path)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut rng = Rng::new(42);
    let metrics = [
        ("http_reqs", "counter", "default"),
        ("http_req_duration", "trend", "time"),
        ("http_req_blocked", "trend", "time"),
        ("http_req_connecting", "trend", "time"),
        ("http_req_tls_handshaking", "trend", "time"),
        ("http_req_sending", "trend", "time"),
        ("http_req_waiting", "trend", "time"),
        ("http_req_receiving", "trend", "time"),
        ("http_req_failed", "rate", "default"),
        ("data_sent", "counter", "data"),
        ("data_received", "counter", "data"),
        ("iterations", "counter", "default"),
        ("iteration_duration", "trend", "time"),
        ("vus", "gauge", "default"),
    ];
    for (name, kind, contains) in metrics {
        writeln!(
            out,
            r#"{{"type":"Metric","data":{{"name":"{name}","type":"{kind}","contains":"{contains}","thresholds":[],"submetrics":null}},"metric":"{name}"}}"#
        )?;
    }
    let endpoints = [
        ("GET", "https://api.example.com/api/v1/sites"),
        ("GET", "https://api.example.com/api/v1/sites/42"),
        ("POST", "https://api.example.com/api/v1/backups"),
        ("GET", "https://api.example.com/api/v1/health"),
    ];
    let mut written = 0u64;
    let mut requests = 0u64;
    let mut last_second = -1i64;
    let start_ns: i64 = 1_767_348_000_000_000_000; // 2026-01-02T10:00:00Z
    while written < target_bytes {
        // About 400 requests per second over the run.
        let t_ns = start_ns + (requests as i64) * 2_500_000;
        let second = (t_ns - start_ns) / 1_000_000_000;
        let time = format_time(t_ns);
        if second != last_second {
            last_second = second;
            let line = format!(
                r#"{{"metric":"vus","type":"Point","data":{{"time":"{time}","value":{},"tags":{{}}}}}}"#,
                50 + second % 50
            );
            written += line.len() as u64 + 1;
            writeln!(out, "{line}")?;
        }
        let (method, url) = endpoints[(rng.next_u64() % 4) as usize];
        let duration = 5.0 + 400.0 * rng.unit().powi(3);
        let failed = rng.unit() < 0.003;
        let status = if failed { "500" } else { "200" };
        let tags = format!(
            r#"{{"expected_response":"{}","group":"","method":"{method}","name":"{url}","proto":"HTTP/1.1","scenario":"default","status":"{status}","tls_version":"tls1.3","url":"{url}"}}"#,
            !failed
        );
        for (name, value) in [
            ("http_reqs", 1.0),
            ("http_req_duration", duration),
            ("http_req_blocked", 0.004),
            ("http_req_connecting", 0.0),
            ("http_req_tls_handshaking", 0.0),
            ("http_req_sending", 0.021),
            ("http_req_waiting", duration - 0.3),
            ("http_req_receiving", 0.279),
            ("http_req_failed", if failed { 1.0 } else { 0.0 }),
            ("data_sent", 211.0),
            ("data_received", 5320.0),
        ] {
            let line = format!(
                r#"{{"metric":"{name}","type":"Point","data":{{"time":"{time}","value":{value},"tags":{tags}}}}}"#
            );
            written += line.len() as u64 + 1;
            writeln!(out, "{line}")?;
        }
        requests += 1;
    }
    out.flush()?;
    Ok(requests)
}

/// RFC 3339 with nanoseconds and a +02:00 offset, as k6 writes it.
fn format_time(ns: i64) -> String {
    let local = ns + 2 * 3600 * 1_000_000_000;
    let secs = local.div_euclid(1_000_000_000);
    let nanos = local.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{nanos:09}+02:00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// What a child process cost.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    pub wall: Duration,
    pub peak_rss_bytes: u64,
}

/// Runs a command to completion (its output discarded) and measures its
/// wall time and peak resident memory.
pub fn measure(command: &mut Command) -> Measured {
    let started = Instant::now();
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the command");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe_rusage();
    // wait4 reports the child's own peak RSS, not that of other children.
    let waited = wait4(pid, &mut status, &mut usage);
    let wall = started.elapsed();
    assert_eq!(waited, pid, "wait4 failed");
    let _ = child.try_wait();
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{command:?} failed with status {status}"
    );
    Measured {
        wall,
        peak_rss_bytes: usage.ru_maxrss as u64 * 1024,
    }
}

#[expect(unsafe_code, reason = "rusage is plain data; zeroed is a valid value")]
fn unsafe_rusage() -> libc::rusage {
    unsafe { std::mem::zeroed() }
}

#[expect(
    unsafe_code,
    reason = "wait4 is the only way to read one child's rusage"
)]
fn wait4(pid: libc::pid_t, status: &mut libc::c_int, usage: &mut libc::rusage) -> libc::pid_t {
    unsafe { libc::wait4(pid, status, 0, usage) }
}

/// The peak resident memory of a running process, from /proc.
pub fn peak_rss_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

pub fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}
