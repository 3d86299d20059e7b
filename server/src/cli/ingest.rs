//! `readiness ingest`: parse result files offline and print the run.

use crate::evidence::{FileSource, Limits, read_run};
use clap::Args;
use readiness_core::Run;
use readiness_core::formats::Format;
use readiness_core::run::ScenarioKind;
use readiness_core::targets::{format_ms, format_ratio, trim_number};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The result files of one run: one file for most tools; Locust's CSVs
    /// or a Gatling report's files together; a folder; a tar.gz or zip.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The input format, when detection should not decide.
    #[arg(long)]
    format: Option<Format>,
    /// The scenario kind the run exercised.
    #[arg(long)]
    scenario: Option<ScenarioKind>,
    /// Print the normalized run as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: IngestArgs) -> anyhow::Result<ExitCode> {
    let sources = match FileSource::expand(&args.files) {
        Ok(sources) => sources,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let work = tempfile::tempdir()?;
    let mut run = match read_run(&sources, work.path(), Limits::default(), args.format) {
        Ok((run, _)) => run,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::FAILURE);
        }
    };
    if let Some(scenario) = args.scenario {
        run.scenario = scenario;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&run)?);
    } else {
        print!("{}", table(&run));
    }
    Ok(ExitCode::SUCCESS)
}

/// The run as a short human-readable table.
fn table(run: &Run) -> String {
    let none = || "null".to_owned();
    let ms = |v: Option<f64>| v.map(format_ms).unwrap_or_else(none);
    let mut rows: Vec<(&str, String)> = vec![
        ("format", run.format.clone()),
        ("exactness", run.exactness.as_str().to_owned()),
        ("scenario", run.scenario.as_str().to_owned()),
        (
            "started",
            run.started_at.map(|t| t.to_rfc3339()).unwrap_or_else(none),
        ),
        (
            "requests",
            run.requests.map(|v| v.to_string()).unwrap_or_else(none),
        ),
        (
            "failed",
            run.failed.map(|v| v.to_string()).unwrap_or_else(none),
        ),
        (
            "error rate",
            run.error_rate.map(format_ratio).unwrap_or_else(none),
        ),
        (
            "duration",
            run.duration_s
                .map(|s| format!("{} s", trim_number(s, 2)))
                .unwrap_or_else(none),
        ),
        (
            "throughput",
            run.throughput_rps
                .map(|r| format!("{}/s", trim_number(r, 2)))
                .unwrap_or_else(none),
        ),
        (
            "max VUs",
            run.vus_max.map(|v| v.to_string()).unwrap_or_else(none),
        ),
        ("latency min", ms(run.latency_ms.min)),
        ("latency avg", ms(run.latency_ms.avg)),
        ("latency p50", ms(run.latency_ms.p50)),
        ("latency p90", ms(run.latency_ms.p90)),
        ("latency p95", ms(run.latency_ms.p95)),
        ("latency p99", ms(run.latency_ms.p99)),
        ("latency max", ms(run.latency_ms.max)),
    ];
    if let Some(bound) = run.error_bound {
        rows.push(("error bound", format_ratio(bound)));
    }
    let mut out = String::new();
    for (label, value) in rows {
        out.push_str(&format!("{label:<12} {value}\n"));
    }
    for e in &run.endpoints {
        let name = match &e.method {
            Some(m) => format!("{m} {}", e.name),
            None => e.name.clone(),
        };
        out.push_str(&format!(
            "endpoint     {name}: {} requests, p95 {}\n",
            e.requests.map(|v| v.to_string()).unwrap_or_else(none),
            ms(e.latency_ms.p95)
        ));
    }
    for t in &run.thresholds {
        let outcome = if t.ok { "passed" } else { "FAILED" };
        out.push_str(&format!(
            "threshold    {} {}: {outcome}\n",
            t.metric, t.expression
        ));
    }
    out
}
