//! Ingest speed and memory for k6 `--out json`, side by side with a one-pass
//! `jq` extraction of the same figures.
//!
//! Usage: `cargo run --release -p readiness-bench --bin ingest_ndjson [MB]`
//! (default 1000 MB). Builds nothing itself: run `cargo build --release -p
//! readiness-server` first. Both tools are pinned to one core with taskset.

use readiness_bench::{mb, measure, write_k6_ndjson};
use std::path::PathBuf;
use std::process::Command;

/// jq's share of the same work, generously small: one streaming pass that
/// extracts the fields the figures are computed from (metric, time, value,
/// endpoint) for the samples Readiness uses, without computing anything.
/// Sorting and percentiles would only add to jq's time.
const JQ_PROGRAM: &str = r#"select(.type == "Point" and (.metric == "http_req_duration" or .metric == "http_req_failed" or .metric == "vus")) | [.metric, .data.time, .data.value, .data.tags.name, .data.tags.method]"#;

fn main() {
    let megabytes: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let binary = root.join("target/release/readiness");
    assert!(
        binary.is_file(),
        "build it first: cargo build --release -p readiness-server"
    );
    let dir = std::env::temp_dir().join("readiness-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join(format!("k6-{megabytes}mb.ndjson"));
    if !input.is_file() {
        eprintln!("generating {}", input.display());
        write_k6_ndjson(&input, megabytes * 1_000_000).unwrap();
    }
    let bytes = std::fs::metadata(&input).unwrap().len();
    // Warm the page cache so both tools read from memory. The bytes are
    // not kept: a child forked from a process holding them would count
    // them in its peak RSS until it execs.
    let mut file = std::fs::File::open(&input).unwrap();
    std::io::copy(&mut file, &mut std::io::sink()).unwrap();

    let readiness = measure(
        Command::new("taskset")
            .args(["-c", "0"])
            .arg(&binary)
            .arg("ingest")
            .arg(&input)
            .arg("--json"),
    );
    let rate = mb(bytes) / readiness.wall.as_secs_f64();
    println!(
        "readiness ingest: {:.1} MB in {:.2} s = {rate:.0} MB/s on one core, peak RSS {:.0} MB",
        mb(bytes),
        readiness.wall.as_secs_f64(),
        mb(readiness.peak_rss_bytes)
    );

    if std::env::var_os("SKIP_JQ").is_some() {
        return;
    }
    let jq = measure(
        Command::new("taskset")
            .args(["-c", "0", "jq", "-c", JQ_PROGRAM])
            .arg(&input),
    );
    let jq_rate = mb(bytes) / jq.wall.as_secs_f64();
    println!(
        "jq one pass:      {:.1} MB in {:.2} s = {jq_rate:.0} MB/s, peak RSS {:.0} MB",
        mb(bytes),
        jq.wall.as_secs_f64(),
        mb(jq.peak_rss_bytes)
    );
    println!(
        "ratio: readiness is {:.1}x faster than jq",
        jq.wall.as_secs_f64() / readiness.wall.as_secs_f64()
    );
}
