//! Certificate rendering speed: a project with 100 runs (every one with a
//! time series, so 300 charts) and 50 audit findings, assessed, frozen,
//! signed and rendered to PDF in this process, as the server will do it.
//!
//! Usage: `cargo run --release -p readiness-bench --bin certificate_pdf [N]`
//! (N warm renders, default 7). Prints the cold render (the first in the
//! process: fonts and typst's standard library are loaded then), the median
//! of N warm renders of the same certificate, the median of N renders of a
//! new certificate each time (another number, so typst must lay the
//! document out again), and the PDF's size and page count.

use chrono::{DateTime, TimeZone, Utc};
use readiness_bench::Rng;
use readiness_core::assess::{
    AuditInput, Category, EvidenceRef, Exemption, Policy, RunEvidence, Severity, assess,
};
use readiness_core::audit::model::Origin;
use readiness_core::audit::{Evaluation, Finding};
use readiness_core::certificate::{CertificateInputs, ManifestEntry, RunRef, build};
use readiness_core::model::{Provenance, RunSummary};
use readiness_core::run::{Exactness, Run, ScenarioKind, Series, SeriesPoint};
use readiness_core::targets::default_targets;
use readiness_report::{SigningKey, render_pdf, sign, verify_file};
use std::time::{Duration, Instant};

const RUNS: usize = 100;
const FINDINGS: usize = 50;
const COMMIT: &str = "9d8c7b6a5f";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
}

/// A run of `kind` whose latency grows with the load, with some noise.
fn run(kind: ScenarioKind, rng: &mut Rng) -> Run {
    let buckets = match kind {
        ScenarioKind::Soak => 720,
        _ => 120,
    };
    let bucket_s = 10.0;
    let points: Vec<SeriesPoint> = (0..buckets)
        .map(|i| {
            let load = match kind {
                ScenarioKind::RampUp | ScenarioKind::Stress => (i + 1) as f64 / buckets as f64,
                ScenarioKind::Spike if (50..60).contains(&i) => 1.0,
                ScenarioKind::Spike => 0.3,
                _ => 0.8,
            };
            let requests = (1500.0 * load * (0.9 + 0.2 * rng.unit())) as u64 + 1;
            let p95 = 120.0 + 500.0 * load * load + 40.0 * rng.unit();
            SeriesPoint {
                t: i as f64 * bucket_s,
                requests,
                failed: (requests as f64 * 0.0005 * load * rng.unit()) as u64,
                p50_ms: Some(p95 / 3.0),
                p95_ms: Some(p95),
                p99_ms: Some(p95 * 1.6),
                vus: Some((200.0 * load) as u64),
            }
        })
        .collect();
    let requests: u64 = points.iter().map(|p| p.requests).sum();
    let failed: u64 = points.iter().map(|p| p.failed).sum();
    let mut run = Run::empty("k6-ndjson", "k6", Exactness::Exact);
    run.scenario = kind;
    run.started_at = Some(now() - chrono::Duration::hours(3));
    run.duration_s = Some(buckets as f64 * bucket_s);
    run.requests = Some(requests);
    run.failed = Some(failed);
    run.error_rate = Some(failed as f64 / requests as f64);
    run.throughput_rps = Some(requests as f64 / (buckets as f64 * bucket_s));
    run.vus_max = points.iter().filter_map(|p| p.vus).max();
    run.latency_ms.p95 = points.iter().filter_map(|p| p.p95_ms).reduce(f64::max);
    run.latency_ms.p99 = points.iter().filter_map(|p| p.p99_ms).reduce(f64::max);
    run.series = Some(Series { bucket_s, points });
    run
}

fn finding(i: usize) -> Finding {
    let severity = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ][i % 4];
    let detail = format!(
        "setting {i} is {} where the catalogue advises at least {}; under load this \
         shows as queueing in front of the workers",
        i * 3,
        i * 4
    );
    let evaluation = match i % 5 {
        0 => Evaluation::fail(detail),
        1 | 2 => Evaluation::warn(detail),
        3 => Evaluation::unverified("the status dump this rule reads was not uploaded"),
        _ => Evaluation::pass(detail),
    }
    .value(format!("{}", i * 3))
    .threshold(format!(">= {}", i * 4))
    .at(Some(&Origin::new(
        "etc/php/8.4/fpm/pool.d/www.conf",
        10 + i as u64,
    )));
    Finding {
        rule: format!("bench.rule_{i:02}"),
        title: format!("Benchmark rule {i} holds"),
        category: Category::ALL[i % 5],
        severity,
        evaluation,
        why: String::new(),
        fix: format!("set setting {i} to {}", i * 4),
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let warm: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(7);
    let mut rng = Rng::new(7);
    let kinds = [
        ScenarioKind::Sustained,
        ScenarioKind::RampUp,
        ScenarioKind::Spike,
        ScenarioKind::Soak,
        ScenarioKind::Stress,
    ];
    let runs: Vec<(RunSummary, Run)> = (0..RUNS)
        .map(|i| {
            let kind = kinds[i % kinds.len()];
            let summary = RunSummary {
                id: (RUNS - i) as i64,
                sha256: format!("{:064x}", rng.next_u64()),
                scenario: kind,
                format: "k6-ndjson".to_owned(),
                uploaded_at: now() - chrono::Duration::minutes(i as i64 * 30),
                provenance: Provenance {
                    commit: Some(COMMIT.to_owned()),
                    branch: Some("main".to_owned()),
                    environment: Some("production".to_owned()),
                    ci_job_url: Some(format!("https://ci.example.test/jobs/{}", 5000 + i)),
                    label: Some(format!("nightly {i}")),
                },
                requests: None,
                p95_ms: None,
                p99_ms: None,
                error_rate: None,
                throughput_rps: None,
                vus_max: None,
            };
            (summary, run(kind, &mut rng))
        })
        .collect();
    let findings: Vec<Finding> = (0..FINDINGS).map(finding).collect();
    let audit_ids: Vec<i64> = (1001..=1005).collect();
    let audit = AuditInput {
        findings: findings.clone(),
        evidence: audit_ids.clone(),
        exemptions: (0..3)
            .map(|i| Exemption {
                rule: format!("bench.rule_{:02}", i * 5),
                reason: "accepted until the next hardware refresh".to_owned(),
                expires_on: (now() + chrono::Duration::days(60)).date_naive(),
            })
            .collect(),
        ..AuditInput::default()
    };
    let policy = Policy {
        commit: Some(COMMIT.to_owned()),
        environment: Some("production".to_owned()),
        ..Policy::new(now())
    };
    let evidence: Vec<RunEvidence<'_>> = runs
        .iter()
        .map(|(summary, run)| RunEvidence { summary, run })
        .collect();
    let manifest: Vec<ManifestEntry> = runs
        .iter()
        .map(|(s, _)| (EvidenceRef::Run(s.id), s.sha256.clone(), "run (k6-ndjson)"))
        .chain(audit_ids.iter().map(|id| {
            (
                EvidenceRef::Upload(*id),
                format!("{:064x}", rng.next_u64()),
                "php-fpm configuration",
            )
        }))
        .map(|(id, sha256, kind)| ManifestEntry {
            id,
            kind: kind.to_owned(),
            file_name: format!("results-{}.ndjson.gz", id.id()),
            size: 1_000_000 + id.id() as u64 * 977,
            sha256,
            uploaded_at: now() - chrono::Duration::hours(1),
            commit: Some(COMMIT.to_owned()),
            branch: Some("main".to_owned()),
            environment: Some("production".to_owned()),
            ci_job_url: Some(format!("https://ci.example.test/jobs/{id}")),
            label: None,
        })
        .collect();

    let started = Instant::now();
    let assessment = assess(&default_targets(), &evidence, &audit, &policy);
    let assessed = started.elapsed();
    let certificate = |number: u64| {
        build(CertificateInputs {
            number,
            issued_at: now(),
            validity_days: 90,
            project_slug: "bench".to_owned(),
            project_name: "Benchmark project".to_owned(),
            assessment: &assessment,
            runs: runs
                .iter()
                .map(|(s, run)| {
                    (
                        RunRef {
                            id: s.id,
                            label: s.provenance.label.clone(),
                            uploaded_at: s.uploaded_at,
                        },
                        run,
                    )
                })
                .collect(),
            findings: &findings,
            manifest: manifest.clone(),
            claims: None,
        })
    };
    let started = Instant::now();
    let first = certificate(1);
    let built = started.elapsed();
    let key = SigningKey::from_bytes(&[9; 32]);
    let started = Instant::now();
    let signed = sign(&first, &key).unwrap();
    let signing = started.elapsed();

    let started = Instant::now();
    let pdf = render_pdf(&signed).unwrap();
    let cold = started.elapsed();
    let same: Vec<Duration> = (0..warm)
        .map(|_| {
            let started = Instant::now();
            render_pdf(&signed).unwrap();
            started.elapsed()
        })
        .collect();
    let fresh: Vec<Duration> = (0..warm)
        .map(|i| {
            let signed = sign(&certificate(2 + i as u64), &key).unwrap();
            let started = Instant::now();
            render_pdf(&signed).unwrap();
            started.elapsed()
        })
        .collect();
    let started = Instant::now();
    verify_file(&pdf).unwrap();
    let verifying = started.elapsed();

    let pages = hayro_syntax::Pdf::new(pdf.clone())
        .map(|document| document.pages().len())
        .unwrap_or(0);
    let points: usize = first.charts.iter().map(|c| c.points.len()).sum();
    println!(
        "certificate: {RUNS} runs ({points} chart points, {} charts), {FINDINGS} findings, \
         {} targets, {} unverified items, {} artifacts",
        first.charts.len() * 3,
        first.targets.len(),
        first.unverified.len(),
        first.manifest.len()
    );
    println!("assess:                 {}", ms(assessed));
    println!("build certificate:      {}", ms(built));
    println!(
        "sign:                   {} (canonical JSON {} KB)",
        ms(signing),
        readiness_report::canonical_json(&first).len() / 1000
    );
    println!("render PDF, cold:       {}", ms(cold));
    println!(
        "render PDF, warm:       {} (median of {warm}, same certificate)",
        ms(median(same))
    );
    println!(
        "render PDF, new number: {} (median of {warm}, a new certificate each time)",
        ms(median(fresh))
    );
    println!("verify PDF:             {}", ms(verifying));
    println!(
        "PDF: {:.2} MB, {pages} pages",
        pdf.len() as f64 / 1_000_000.0
    );
}
