//! The certificate: an assessment frozen and issued (DESIGN.md, "Words"), as
//! plain data. The PDF, the HTML page and the signature all read this one
//! value, so what is signed is exactly what is shown.
//!
//! Its sections follow the order of the report: the verdict with every
//! reason; the project, environment, commit, issue date and validity; the
//! category scores and evidence coverage; the targets; the scenario
//! verdicts; the charts of the runs used; the audit findings by severity,
//! with exemptions; the unverified items and the evidence that would verify
//! each; the claims against evidence; the evidence manifest; and how to
//! verify the certificate.
//!
//! Every figure names the evidence it came from: rows carry the evidence
//! ids of their check, and [`Certificate::unresolved_evidence`] lists ids
//! that no manifest entry accounts for. [`build`] is pure and deterministic:
//! the same inputs give the same certificate, whatever order the runs,
//! findings and manifest entries were given in.

use crate::assess::{Assessment, Category, Check, EvidenceRef, Severity, Verdict};
use crate::audit::Finding;
use crate::run::{Run, ScenarioKind, SeriesPoint};
use crate::scenarios::{ScenarioVerdict, Window};
use crate::targets::{Metric, Outcome, Target, format_ms, format_ratio, trim_number};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The name and version of the certificate's JSON form. It is part of the
/// signed data, so a signature can never be taken for another document
/// kind.
pub const FORMAT: &str = "readiness-certificate/1";

/// A run's chart keeps at most this many points: longer series are reduced
/// by merging neighbouring buckets (see [`RunChart`]).
pub const MAX_CHART_POINTS: usize = 240;

/// Everything a certificate shows, in the order it shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    /// Always [`FORMAT`].
    pub format: String,
    pub number: u64,
    pub verdict: Verdict,
    /// Every failed, warned, exempted and unverified item, as the
    /// assessment gave them.
    pub reasons: Vec<String>,
    pub project: ProjectRef,
    pub environment: Option<String>,
    pub commit: Option<String>,
    /// The moment the evidence was judged.
    pub assessed_at: DateTime<Utc>,
    pub issued_at: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// The share of checks that had evidence (0 to 1).
    pub coverage: f64,
    pub checks: u64,
    pub verified: u64,
    pub categories: Vec<CategoryRow>,
    pub targets: Vec<TargetRow>,
    pub scenarios: Vec<ScenarioRow>,
    pub charts: Vec<RunChart>,
    /// By severity (critical first), then outcome (fail, warn, unverified,
    /// pass), then rule id.
    pub findings: Vec<FindingRow>,
    pub unverified: Vec<UnverifiedItem>,
    /// `None` when no readiness document was imported.
    pub claims: Option<Vec<ClaimRow>>,
    /// Every artifact used, by id.
    pub manifest: Vec<ManifestEntry>,
    /// How to verify the certificate, in words.
    pub verification: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRef {
    pub slug: String,
    pub name: String,
}

/// A category's score and the evidence its checks used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryRow {
    pub category: Category,
    pub label: String,
    /// 0 to 100.
    pub score: f64,
    pub checks: u64,
    pub verified: u64,
    /// The evidence ids of the category's checks, sorted.
    pub evidence: Vec<EvidenceRef>,
}

/// One target check: a target against the run of one scenario kind (or the
/// audit evidence that measures it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetRow {
    pub check_id: String,
    /// The target as written, such as `p95 < 500 ms`.
    pub target: String,
    pub scenario: Option<ScenarioKind>,
    pub category: Category,
    pub severity: Severity,
    pub outcome: Outcome,
    /// In the metric's base unit.
    pub measured: Option<f64>,
    pub measured_text: Option<String>,
    /// Positive when the target holds with room to spare.
    pub margin: Option<f64>,
    pub margin_text: Option<String>,
    pub evidence: Vec<EvidenceRef>,
    pub detail: String,
    pub exempted: Option<String>,
}

/// A scenario kind's criterion (capacity knee, spike recovery, soak drift,
/// steady state) and the figures behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioRow {
    pub check_id: String,
    pub kind: ScenarioKind,
    pub outcome: Outcome,
    /// One sentence: what was found, or why it could not be judged.
    pub summary: String,
    /// The headline figures as people read them, such as
    /// ("capacity", "180 users and 95.3/s").
    pub figures: Vec<Figure>,
    pub evidence: Vec<EvidenceRef>,
    /// The full verdict, when the run could be judged.
    pub verdict: Option<ScenarioVerdict>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figure {
    pub name: String,
    pub value: String,
}

/// A run used by the certificate, as the caller knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRef {
    /// The evidence id checks cite for this run.
    pub id: i64,
    pub label: Option<String>,
    pub uploaded_at: DateTime<Utc>,
}

/// What a run's charts draw: latency p95 and p99, throughput and error rate
/// over time, with the targets they are held to.
///
/// When a series has more than [`MAX_CHART_POINTS`] buckets, `merged`
/// neighbouring buckets become one point: requests and failures add up,
/// throughput and error rate are recomputed from the sums, and p95 and p99
/// are the highest of the merged buckets, so a reduced chart never hides a
/// breach.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunChart {
    pub run: RunRef,
    pub scenario: ScenarioKind,
    pub tool: String,
    pub format: String,
    /// The width of one point, in seconds.
    pub bucket_s: f64,
    /// How many of the run's buckets each point stands for.
    pub merged: u64,
    pub points: Vec<ChartPoint>,
    pub p95_target: Option<ChartTarget>,
    pub p99_target: Option<ChartTarget>,
    pub throughput_target: Option<ChartTarget>,
    pub error_rate_target: Option<ChartTarget>,
    /// Stretches the scenario verdict judged (a steady state, a spike).
    pub bands: Vec<ChartBand>,
    /// Where the targets first broke, for ramp-up and stress runs.
    pub knee_s: Option<f64>,
    /// Why there is nothing to draw, for a run without a time series.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartPoint {
    /// Seconds from the start of the run.
    pub t: f64,
    pub requests: u64,
    pub failed: u64,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub throughput_rps: Option<f64>,
    /// `None` for a bucket without requests.
    pub error_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartTarget {
    /// In the metric's base unit (ms, a ratio, requests per second).
    pub value: f64,
    /// The target as written.
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartBand {
    pub from_s: f64,
    pub to_s: f64,
    pub label: String,
}

/// One audit rule's finding, with its exemption.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingRow {
    pub rule: String,
    pub title: String,
    pub category: Category,
    pub severity: Severity,
    pub outcome: Outcome,
    /// The configured or measured value, as people read it.
    pub value: Option<String>,
    pub threshold: String,
    /// `file:line` where the value was set; `None` for a default or a
    /// measured value.
    pub location: Option<String>,
    pub detail: String,
    pub defaults_assumed: Vec<String>,
    pub fix: String,
    /// The maintainer's reason (and end date) when an exemption applies.
    pub exemption: Option<String>,
    pub evidence: Vec<EvidenceRef>,
}

/// A check without the evidence it needs, and what would verify it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnverifiedItem {
    pub check_id: String,
    pub title: String,
    pub category: Category,
    pub severity: Severity,
    /// Why it is unverified, as the check said.
    pub reason: String,
    /// The evidence that would verify it, as an instruction.
    pub how_to_verify: String,
}

/// How an imported claim compares with the evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    Confirmed,
    Contradicted,
    Unsupported,
}

impl ClaimStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Confirmed => "confirmed",
            ClaimStatus::Contradicted => "contradicted",
            ClaimStatus::Unsupported => "unsupported",
        }
    }
}

/// One claim of an imported readiness document, as the claims importer
/// judged it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimRow {
    /// The 1-based line of the document the claim is on.
    pub line: u64,
    /// The claim as written.
    pub text: String,
    /// The target it was matched to, as written.
    #[serde(default)]
    pub target: Option<String>,
    pub status: ClaimStatus,
    /// What the evidence measured, for confirmed and contradicted claims.
    pub measured_text: Option<String>,
    pub evidence: Vec<EvidenceRef>,
}

/// One artifact the certificate used, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// The run or upload checks cite.
    pub id: EvidenceRef,
    /// What the artifact is, such as `run (k6-ndjson)` or `redis-cli INFO`.
    pub kind: String,
    pub file_name: String,
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
    pub uploaded_at: DateTime<Utc>,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub environment: Option<String>,
    pub ci_job_url: Option<String>,
    pub label: Option<String>,
}

/// What [`build`] makes a certificate from.
#[derive(Debug, Clone)]
pub struct CertificateInputs<'a> {
    pub number: u64,
    pub issued_at: DateTime<Utc>,
    pub validity_days: u32,
    pub project_slug: String,
    pub project_name: String,
    pub assessment: &'a Assessment,
    /// The runs the assessment used, in any order.
    pub runs: Vec<(RunRef, &'a Run)>,
    /// Every audit finding, in any order; the assessment's `rule:` checks
    /// give their evidence and exemptions.
    pub findings: &'a [Finding],
    /// Every artifact used, in any order.
    pub manifest: Vec<ManifestEntry>,
    pub claims: Option<Vec<ClaimRow>>,
}

impl Certificate {
    /// Every evidence id the certificate cites, sorted.
    pub fn cited_evidence(&self) -> Vec<EvidenceRef> {
        let mut ids = BTreeSet::new();
        ids.extend(self.categories.iter().flat_map(|c| c.evidence.iter()));
        ids.extend(self.targets.iter().flat_map(|t| t.evidence.iter()));
        ids.extend(self.scenarios.iter().flat_map(|s| s.evidence.iter()));
        let charted: Vec<EvidenceRef> = self
            .charts
            .iter()
            .map(|c| EvidenceRef::Run(c.run.id))
            .collect();
        ids.extend(charted.iter());
        ids.extend(self.findings.iter().flat_map(|f| f.evidence.iter()));
        ids.extend(self.claims.iter().flatten().flat_map(|c| c.evidence.iter()));
        ids.into_iter().copied().collect()
    }

    /// Evidence ids the certificate cites that no manifest entry accounts
    /// for: a complete certificate has none.
    pub fn unresolved_evidence(&self) -> Vec<EvidenceRef> {
        self.cited_evidence()
            .into_iter()
            .filter(|id| !self.manifest.iter().any(|m| m.id == *id))
            .collect()
    }
}

/// Freezes an assessment into a certificate.
pub fn build(inputs: CertificateInputs<'_>) -> Certificate {
    let assessment = inputs.assessment;
    let context = Context {
        commit: assessment.commit.as_deref(),
        environment: assessment.environment.as_deref(),
    };
    let targets: Vec<TargetRow> = assessment
        .checks
        .iter()
        .filter(|c| c.target.is_some())
        .map(target_row)
        .collect();
    let scenarios: Vec<ScenarioRow> = assessment
        .checks
        .iter()
        .filter(|c| c.id.starts_with("scenario:"))
        .map(|c| scenario_row(c, assessment))
        .collect();
    let categories = assessment
        .categories
        .iter()
        .map(|score| {
            let evidence: BTreeSet<EvidenceRef> = assessment
                .checks
                .iter()
                .filter(|c| c.category == score.category)
                .flat_map(|c| c.evidence.iter().copied())
                .collect();
            CategoryRow {
                category: score.category,
                label: score.category.label().to_owned(),
                score: finite(score.score),
                checks: score.checks as u64,
                verified: score.verified as u64,
                evidence: evidence.into_iter().collect(),
            }
        })
        .collect();

    let mut runs = inputs.runs;
    runs.sort_by_key(|(r, _)| r.id);
    runs.dedup_by_key(|(r, _)| r.id);
    let charts = runs
        .iter()
        .map(|(r, run)| run_chart(r, run, assessment))
        .collect();

    let mut findings: Vec<FindingRow> = inputs
        .findings
        .iter()
        .map(|f| finding_row(f, assessment))
        .collect();
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(outcome_rank(a.outcome).cmp(&outcome_rank(b.outcome)))
            .then(a.rule.cmp(&b.rule))
            .then(a.location.cmp(&b.location))
    });

    let unverified = assessment
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Unverified)
        .map(|c| UnverifiedItem {
            check_id: c.id.clone(),
            title: match (&c.target, c.scenario) {
                (Some(target), Some(kind)) => format!("{target} ({kind})"),
                (Some(target), None) => target.clone(),
                (None, _) => c.title.clone(),
            },
            category: c.category,
            severity: c.severity,
            reason: c.detail.clone(),
            how_to_verify: how_to_verify(c, &context),
        })
        .collect();

    let claims = inputs.claims.map(|mut claims| {
        claims.sort_by(|a, b| a.line.cmp(&b.line).then(a.text.cmp(&b.text)));
        claims
    });

    let mut manifest = inputs.manifest;
    for entry in &mut manifest {
        entry.sha256 = entry.sha256.to_ascii_lowercase();
    }
    manifest.sort_by(|a, b| {
        a.id.cmp(&b.id)
            .then(a.sha256.cmp(&b.sha256))
            .then(a.file_name.cmp(&b.file_name))
    });
    manifest.dedup();

    let verification = verification_text(inputs.number, manifest.len());
    let checks = assessment.checks.len() as u64;
    let verified = assessment
        .checks
        .iter()
        .filter(|c| c.outcome != Outcome::Unverified)
        .count() as u64;
    Certificate {
        format: FORMAT.to_owned(),
        number: inputs.number,
        verdict: assessment.verdict,
        reasons: assessment.reasons.clone(),
        project: ProjectRef {
            slug: inputs.project_slug,
            name: inputs.project_name,
        },
        environment: assessment.environment.clone(),
        commit: assessment.commit.clone(),
        assessed_at: assessment.assessed_at,
        issued_at: inputs.issued_at,
        valid_until: inputs.issued_at + chrono::Duration::days(i64::from(inputs.validity_days)),
        coverage: finite(assessment.coverage),
        checks,
        verified,
        categories,
        targets,
        scenarios,
        charts,
        findings,
        unverified,
        claims,
        manifest,
        verification,
    }
}

/// The commit and environment that instructions name.
struct Context<'a> {
    commit: Option<&'a str>,
    environment: Option<&'a str>,
}

impl Context<'_> {
    /// "of commit abc123 in environment staging", or as much as is known.
    fn of_commit(&self) -> String {
        let mut text = match self.commit {
            Some(commit) => format!("of commit {commit}"),
            None => "of the assessed commit".to_owned(),
        };
        if let Some(env) = self.environment {
            text.push_str(&format!(" in environment {env}"));
        }
        text
    }

    fn in_environment(&self) -> String {
        match self.environment {
            Some(env) => format!(" from environment {env}"),
            None => String::new(),
        }
    }
}

const LOAD_TOOLS: &str = "k6, JMeter, Locust, Gatling, oha, vegeta or wrk";
const RAW_RESULTS: &str =
    "k6 NDJSON or CSV, JMeter JTL, Locust stats history, Gatling simulation.log";

/// A sentence saying which evidence would verify an unverified check.
fn how_to_verify(check: &Check, context: &Context<'_>) -> String {
    let of = context.of_commit();
    if let Some(expression) = &check.target {
        let target = expression.parse::<Target>().ok();
        let scenario = check
            .scenario
            .or(target.as_ref().and_then(|t| t.scope.scenario))
            .filter(|k| *k != ScenarioKind::Unspecified);
        let run_kind = scenario.map(|k| format!(" {k}")).unwrap_or_default();
        return match target.as_ref().map(|t| (t.metric, t.baseline_run)) {
            Some((Metric::CacheHitRate, _)) => format!(
                "upload a `redis-cli INFO` dump{} taken after the cache has served production-like traffic",
                context.in_environment()
            ),
            Some((Metric::DbQueryP95, _)) => format!(
                "upload a statement digest export (performance_schema \
                 events_statements_summary_by_digest or events_statements_histogram_global) \
                 or a slow query log{}",
                context.in_environment()
            ),
            Some((_, Some(baseline))) => format!(
                "upload a{run_kind} load-test result {of} of the same scenario as baseline run \
                 {baseline}; raw results ({RAW_RESULTS}) let the change be judged against noise"
            ),
            Some((metric, None)) if check.detail.contains("does not measure") => format!(
                "upload a{run_kind} load-test result {of} whose output carries the {}: raw \
                 results ({RAW_RESULTS}) carry every figure",
                metric.label()
            ),
            Some((Metric::Users, None)) => format!(
                "upload raw results ({RAW_RESULTS}) of a{run_kind} load test {of}, so the \
                 users held while every other target held can be read from its time series"
            ),
            _ => format!("upload a{run_kind} load-test result ({LOAD_TOOLS}) {of}"),
        };
    }
    if let Some(kind) = check.id.strip_prefix("scenario:") {
        return if check.evidence.is_empty() {
            format!("run a {kind} load test {of} and upload its raw results ({RAW_RESULTS})")
        } else {
            format!(
                "upload raw results ({RAW_RESULTS}) of the {kind} run {of}: a summary has no \
                 time series to judge the scenario by"
            )
        };
    }
    if check.id == "app.queries_per_request" {
        return format!(
            "upload a statement digest export (events_statements_summary_by_digest, reset \
             before the test) taken right after a load test {of}, with that test's result"
        );
    }
    if let Some(category) = check.id.strip_prefix("evidence:") {
        let files = match category {
            "infrastructure" => {
                "php.ini, the php-fpm pool configuration, nginx.conf and redis.conf"
            }
            "database" => "my.cnf and SHOW GLOBAL STATUS / SHOW GLOBAL VARIABLES output",
            "application" => {
                "a statement digest export taken right after a load test of the same period"
            }
            "monitoring" => "Grafana dashboard JSON and Prometheus rule files",
            _ => "the configuration and status evidence of this category",
        };
        return format!("upload {files}{}", context.in_environment());
    }
    if let Some(rule) = check.id.strip_prefix("rule:") {
        let files = [
            ("m.opcache.", "`opcache_get_status()` JSON"),
            (
                "m.fpm.",
                "php-fpm status JSON (the status page with ?json&full)",
            ),
            (
                "m.mysql.",
                "SHOW GLOBAL STATUS and SHOW GLOBAL VARIABLES output",
            ),
            ("m.redis.", "a `redis-cli INFO` dump"),
            ("php.", "php.ini (with the files of its scan directory)"),
            ("fpm.", "the php-fpm pool configuration"),
            ("mysql.", "my.cnf with its included files"),
            (
                "db.",
                "a statement digest export (events_statements_summary_by_digest)",
            ),
            ("redis.", "redis.conf"),
            (
                "nginx.",
                "nginx.conf with its includes, or `nginx -T` output",
            ),
            ("mon.", "Grafana dashboard JSON and Prometheus rule files"),
        ]
        .into_iter()
        .find(|(prefix, _)| rule.starts_with(prefix))
        .map(|(_, files)| files);
        return match files {
            Some(files) => format!("upload {files}{}", context.in_environment()),
            None => format!(
                "upload the evidence this rule reads{}: {}",
                context.in_environment(),
                check.detail
            ),
        };
    }
    format!("upload the evidence this check reads: {}", check.detail)
}

fn verification_text(number: u64, artifacts: usize) -> String {
    format!(
        "Certificate {number} is the JSON document `certificate.json` embedded in this PDF. \
         Its canonical form (keys sorted, no spaces) is signed with Ed25519; the signature \
         and the public key are printed in this section and stored beside the JSON. To \
         verify: run `readiness verify` on this PDF or on the JSON file; it checks the \
         signature and, given the evidence files (`--evidence DIR`) or a server, that each \
         of the {artifacts} artifacts in the manifest still has the SHA-256 listed. \
         Compare the public key with the one the issuing server publishes at \
         /api/v1/signing-key. Any changed byte of the certificate or of an artifact makes \
         verification fail and says what differs."
    )
}

fn finite(value: f64) -> f64 {
    if value.is_finite() { value } else { 0.0 }
}

fn finite_opt(value: Option<f64>) -> Option<f64> {
    value.filter(|v| v.is_finite())
}

fn outcome_rank(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Fail => 0,
        Outcome::Warn => 1,
        Outcome::Unverified => 2,
        Outcome::Pass => 3,
    }
}

/// A margin as people read it: `+80 ms (16 %)`, `-0.3 pp (-300 %)` for
/// shares (percentage points), `+12.5 %` for a change against a baseline.
/// The share of the threshold is left out beyond ±1000 %, where it says
/// nothing the sign does not.
fn margin_text(expression: &str, margin: f64, margin_pct: Option<f64>) -> String {
    let target = expression.parse::<Target>().ok();
    let sign = if margin >= 0.0 { "+" } else { "-" };
    let Some(target) = target else {
        return format!("{sign}{}", trim_number(margin.abs(), 2));
    };
    if target.baseline_run.is_some() {
        return format!("{sign}{} %", trim_number(margin.abs() * 100.0, 1));
    }
    let value = match target.metric {
        Metric::ErrorRate | Metric::CacheHitRate => {
            let points = margin.abs() * 100.0;
            format!(
                "{} pp",
                trim_number(points, if points < 1.0 { 3 } else { 1 })
            )
        }
        metric => metric.format_value(margin.abs()),
    };
    match margin_pct.filter(|p| p.is_finite() && p.abs() < 1000.0) {
        Some(pct) => format!("{sign}{value} ({} %)", trim_number(pct, 1)),
        None => format!("{sign}{value}"),
    }
}

fn target_row(check: &Check) -> TargetRow {
    let expression = check.target.clone().unwrap_or_default();
    let margin_text = check
        .margin
        .filter(|m| m.is_finite())
        .map(|margin| margin_text(&expression, margin, check.margin_pct));
    TargetRow {
        check_id: check.id.clone(),
        target: expression,
        scenario: check.scenario,
        category: check.category,
        severity: check.severity,
        outcome: check.outcome,
        measured: finite_opt(check.measured),
        measured_text: check.measured_text.clone(),
        margin: finite_opt(check.margin),
        margin_text,
        evidence: check.evidence.clone(),
        detail: check.detail.clone(),
        exempted: check.exempted.clone(),
    }
}

fn scenario_row(check: &Check, assessment: &Assessment) -> ScenarioRow {
    let kind = check.scenario.unwrap_or_default();
    // The assessment keeps one verdict per judged kind; only a check with
    // evidence was judged.
    let verdict = (!check.evidence.is_empty())
        .then(|| assessment.scenarios.iter().find(|v| v.kind == kind))
        .flatten()
        .cloned()
        .map(sanitize_verdict);
    ScenarioRow {
        check_id: check.id.clone(),
        kind,
        outcome: check.outcome,
        summary: check.detail.clone(),
        figures: verdict.as_ref().map(scenario_figures).unwrap_or_default(),
        evidence: check.evidence.clone(),
        verdict,
    }
}

/// Non-finite figures cannot be written as JSON numbers: they become
/// unknown (or zero where the verdict has no way to say unknown).
fn sanitize_verdict(mut verdict: ScenarioVerdict) -> ScenarioVerdict {
    let window = |w: &mut Window| {
        w.from_s = finite(w.from_s);
        w.to_s = finite(w.to_s);
    };
    if let Some(w) = &mut verdict.steady {
        window(w);
    }
    if let Some(c) = &mut verdict.capacity {
        c.throughput_rps = finite(c.throughput_rps);
        c.broke_at_s = finite_opt(c.broke_at_s);
    }
    if let Some(s) = &mut verdict.spike {
        window(&mut s.window);
        s.error_rate = finite_opt(s.error_rate);
        s.recovery_s = finite_opt(s.recovery_s);
    }
    if let Some(s) = &mut verdict.soak {
        for v in [
            &mut s.first_p95_ms,
            &mut s.last_p95_ms,
            &mut s.p95_drift,
            &mut s.first_error_rate,
            &mut s.last_error_rate,
            &mut s.error_rate_drift,
            &mut s.p95_slope_ms_per_hour,
        ] {
            *v = finite_opt(*v);
        }
        s.tolerance = finite(s.tolerance);
    }
    verdict
}

fn scenario_figures(verdict: &ScenarioVerdict) -> Vec<Figure> {
    let mut figures = Vec::new();
    let mut add = |name: &str, value: String| {
        figures.push(Figure {
            name: name.to_owned(),
            value,
        })
    };
    let seconds = |s: f64| format!("{} s", trim_number(s, 1));
    let signed_pct = |r: f64| format!("{:+.1} %", r * 100.0);
    if let Some(w) = &verdict.steady {
        add(
            "steady state",
            format!("{} to {}", seconds(w.from_s), seconds(w.to_s)),
        );
    }
    if let Some(c) = &verdict.capacity {
        let load = match c.users {
            Some(u) => format!(
                "{u} users, {}",
                Metric::Throughput.format_value(c.throughput_rps)
            ),
            None => Metric::Throughput.format_value(c.throughput_rps),
        };
        add("capacity", load);
        add(
            "knee",
            match c.broke_at_s {
                Some(at) => format!("{} ({})", seconds(at), c.broke.join(", ")),
                None => "the targets held to the end".to_owned(),
            },
        );
    }
    if let Some(s) = &verdict.spike {
        add(
            "spike",
            format!("{} to {}", seconds(s.window.from_s), seconds(s.window.to_s)),
        );
        if let Some(rate) = s.error_rate {
            add("error rate in the spike", format_ratio(rate));
        }
        add(
            "recovery",
            match s.recovery_s {
                Some(r) => format!("p95 under target {} after the spike", seconds(r)),
                None => "p95 did not return under target before the run ended".to_owned(),
            },
        );
    }
    if let Some(s) = &verdict.soak {
        if let (Some(first), Some(last)) = (s.first_p95_ms, s.last_p95_ms) {
            add(
                "p95 first / last quarter",
                format!("{} / {}", format_ms(first), format_ms(last)),
            );
        }
        if let Some(d) = s.p95_drift {
            add("p95 drift", signed_pct(d));
        }
        if let (Some(first), Some(last)) = (s.first_error_rate, s.last_error_rate) {
            add(
                "error rate first / last quarter",
                format!("{} / {}", format_ratio(first), format_ratio(last)),
            );
        }
        if let Some(slope) = s.p95_slope_ms_per_hour {
            add(
                "p95 trend",
                format!("{} ms per hour", trim_number(slope, 1)),
            );
        }
        add(
            "tolerance",
            format!("{} %", trim_number(s.tolerance * 100.0, 1)),
        );
    }
    figures
}

fn finding_row(finding: &Finding, assessment: &Assessment) -> FindingRow {
    let e = &finding.evaluation;
    let check_id = format!("rule:{}", finding.rule);
    let check = assessment.checks.iter().find(|c| c.id == check_id);
    FindingRow {
        rule: finding.rule.clone(),
        title: finding.title.clone(),
        category: finding.category,
        severity: finding.severity,
        outcome: e.outcome,
        value: e.value.clone(),
        threshold: e.threshold.clone(),
        location: e.location.as_ref().map(|o| o.to_string()),
        detail: e.detail.clone(),
        defaults_assumed: e.defaults_assumed.clone(),
        fix: finding.fix.clone(),
        exemption: check.and_then(|c| c.exempted.clone()),
        evidence: check.map(|c| c.evidence.clone()).unwrap_or_default(),
    }
}

/// The unscoped target of a metric, or the one scoped to the run's
/// scenario kind, which is what the run is held to.
fn chart_target(
    assessment: &Assessment,
    metric: Metric,
    kind: ScenarioKind,
) -> Option<ChartTarget> {
    let mut unscoped = None;
    let mut scoped = None;
    for check in &assessment.checks {
        let Some(target) = check
            .target
            .as_deref()
            .and_then(|t| t.parse::<Target>().ok())
        else {
            continue;
        };
        if target.metric != metric
            || target.baseline_run.is_some()
            || target.scope.endpoint.is_some()
            || !target.threshold.is_finite()
        {
            continue;
        }
        let found = ChartTarget {
            value: target.threshold,
            label: target.to_string(),
        };
        match target.scope.scenario {
            Some(k) if k == kind => {
                scoped.get_or_insert(found);
            }
            None => {
                unscoped.get_or_insert(found);
            }
            Some(_) => {}
        }
    }
    scoped.or(unscoped)
}

fn run_chart(run_ref: &RunRef, run: &Run, assessment: &Assessment) -> RunChart {
    let kind = run.scenario;
    let series = run
        .series
        .as_ref()
        .filter(|s| !s.points.is_empty() && s.bucket_s.is_finite() && s.bucket_s > 0.0);
    let (points, bucket_s, merged) = match series {
        Some(series) => {
            let group = series.points.len().div_ceil(MAX_CHART_POINTS).max(1);
            let points = series
                .points
                .chunks(group)
                .map(|chunk| merge(chunk, series.bucket_s))
                .collect();
            (points, series.bucket_s * group as f64, group as u64)
        }
        None => (Vec::new(), 0.0, 0),
    };
    // The scenario verdict that judged this very run, if any.
    let verdict = assessment
        .checks
        .iter()
        .find(|c| {
            c.id == format!("scenario:{kind}") && c.evidence == [EvidenceRef::Run(run_ref.id)]
        })
        .and_then(|_| assessment.scenarios.iter().find(|v| v.kind == kind));
    let mut bands = Vec::new();
    let mut knee_s = None;
    if let Some(v) = verdict {
        if let Some(w) = &v.steady {
            bands.push(ChartBand {
                from_s: finite(w.from_s),
                to_s: finite(w.to_s),
                label: "steady state".to_owned(),
            });
        }
        if let Some(s) = &v.spike {
            bands.push(ChartBand {
                from_s: finite(s.window.from_s),
                to_s: finite(s.window.to_s),
                label: "spike".to_owned(),
            });
        }
        knee_s = v.capacity.as_ref().and_then(|c| finite_opt(c.broke_at_s));
    }
    let note = series.is_none().then(|| {
        format!(
            "run {} is a summary ({}): it has no time series to draw",
            run_ref.id, run.format
        )
    });
    RunChart {
        run: run_ref.clone(),
        scenario: kind,
        tool: run.tool.clone(),
        format: run.format.clone(),
        bucket_s: finite(bucket_s),
        merged,
        points,
        p95_target: chart_target(assessment, Metric::P95, kind),
        p99_target: chart_target(assessment, Metric::P99, kind),
        throughput_target: chart_target(assessment, Metric::Throughput, kind),
        error_rate_target: chart_target(assessment, Metric::ErrorRate, kind),
        bands,
        knee_s,
        note,
    }
}

/// Neighbouring buckets as one point (see [`RunChart`]).
fn merge(chunk: &[SeriesPoint], bucket_s: f64) -> ChartPoint {
    let requests: u64 = chunk.iter().map(|p| p.requests).sum();
    let failed: u64 = chunk.iter().map(|p| p.failed).sum();
    let highest = |f: fn(&SeriesPoint) -> Option<f64>| {
        chunk
            .iter()
            .filter(|p| p.requests > 0)
            .filter_map(f)
            .filter(|v| v.is_finite())
            .reduce(f64::max)
    };
    ChartPoint {
        t: finite(chunk[0].t),
        requests,
        failed,
        p95_ms: highest(|p| p.p95_ms),
        p99_ms: highest(|p| p.p99_ms),
        throughput_rps: finite_opt(Some(requests as f64 / (bucket_s * chunk.len() as f64))),
        error_rate: (requests > 0).then(|| failed as f64 / requests as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::{AuditInput, Policy, RunEvidence, assess};
    use crate::audit::Evaluation;
    use crate::model::{Provenance, RunSummary};
    use crate::run::{Exactness, Series};
    use crate::targets::default_targets;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
    }

    fn summary(id: i64, kind: ScenarioKind) -> RunSummary {
        RunSummary {
            id,
            sha256: format!("{id:064x}"),
            scenario: kind,
            format: "k6-ndjson".to_owned(),
            uploaded_at: now() - chrono::Duration::hours(id),
            provenance: Provenance {
                commit: Some("abc1234".to_owned()),
                environment: Some("staging".to_owned()),
                ..Provenance::default()
            },
            requests: None,
            p95_ms: None,
            p99_ms: None,
            error_rate: None,
            throughput_rps: None,
            vus_max: None,
        }
    }

    /// A ramp-up whose p95 grows with the users and breaks 500 ms at 40 s.
    fn ramp(buckets: usize) -> Run {
        let mut run = Run::empty("k6-ndjson", "k6", Exactness::Exact);
        run.scenario = ScenarioKind::RampUp;
        run.requests = Some(1000 * buckets as u64);
        run.failed = Some(0);
        run.error_rate = Some(0.0);
        run.throughput_rps = Some(100.0);
        run.vus_max = Some(10 * buckets as u64);
        run.latency_ms.p95 = Some(300.0);
        run.latency_ms.p99 = Some(600.0);
        run.series = Some(Series {
            bucket_s: 10.0,
            points: (0..buckets)
                .map(|i| SeriesPoint {
                    t: i as f64 * 10.0,
                    requests: 1000,
                    failed: if i == 7 { 5 } else { 0 },
                    p50_ms: Some(50.0),
                    p95_ms: Some(100.0 + 100.0 * i as f64),
                    p99_ms: Some(200.0 + 100.0 * i as f64),
                    vus: Some(10 * (i as u64 + 1)),
                })
                .collect(),
        });
        run
    }

    fn finding(rule: &str, severity: Severity, evaluation: Evaluation) -> Finding {
        Finding {
            rule: rule.to_owned(),
            title: format!("title of {rule}"),
            category: Category::Infrastructure,
            severity,
            evaluation,
            why: String::new(),
            fix: format!("fix {rule}"),
        }
    }

    fn manifest(evidence: EvidenceRef) -> ManifestEntry {
        let id = match evidence {
            EvidenceRef::Run(id) | EvidenceRef::Upload(id) => id,
        };
        ManifestEntry {
            id: evidence,
            kind: "run (k6-ndjson)".to_owned(),
            file_name: format!("run-{id}.ndjson"),
            size: 1000 + id as u64,
            sha256: format!("{id:064X}"),
            uploaded_at: now(),
            commit: Some("abc1234".to_owned()),
            branch: Some("main".to_owned()),
            environment: Some("staging".to_owned()),
            ci_job_url: None,
            label: None,
        }
    }

    struct Fixture {
        runs: Vec<(RunSummary, Run)>,
        findings: Vec<Finding>,
        findings_reversed: Vec<Finding>,
        assessment: Assessment,
    }

    fn fixture() -> Fixture {
        let runs = vec![
            (summary(3, ScenarioKind::RampUp), ramp(10)),
            (summary(5, ScenarioKind::Sustained), {
                let mut run = Run::empty("k6-summary", "k6", Exactness::Reported);
                run.scenario = ScenarioKind::Sustained;
                run.latency_ms.p95 = Some(420.0);
                run.error_rate = Some(0.0);
                run
            }),
        ];
        let findings = vec![
            finding(
                "redis.maxmemory",
                Severity::Critical,
                Evaluation::fail("maxmemory is 0")
                    .at(Some(&crate::audit::model::Origin::new("redis.conf", 12))),
            ),
            finding(
                "php.memory_limit",
                Severity::Medium,
                Evaluation::pass("fine"),
            ),
            finding(
                "m.redis.hit_rate",
                Severity::High,
                Evaluation::unverified("no INFO"),
            ),
            finding("nginx.gzip", Severity::Low, Evaluation::warn("gzip off")),
        ];
        let evidence: Vec<RunEvidence<'_>> = runs
            .iter()
            .map(|(summary, run)| RunEvidence { summary, run })
            .collect();
        let audit = AuditInput {
            findings: findings.clone(),
            evidence: vec![9],
            ..AuditInput::default()
        };
        let policy = Policy {
            commit: Some("abc1234".to_owned()),
            environment: Some("staging".to_owned()),
            ..Policy::new(now())
        };
        let assessment = assess(&default_targets(), &evidence, &audit, &policy);
        Fixture {
            runs,
            findings_reversed: findings.iter().rev().cloned().collect(),
            findings,
            assessment,
        }
    }

    fn inputs<'a>(f: &'a Fixture, reverse: bool) -> CertificateInputs<'a> {
        let mut runs: Vec<(RunRef, &Run)> = f
            .runs
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
            .collect();
        let mut manifest = vec![
            manifest(EvidenceRef::Run(3)),
            manifest(EvidenceRef::Run(5)),
            manifest(EvidenceRef::Upload(9)),
        ];
        let findings = if reverse {
            runs.reverse();
            manifest.reverse();
            &f.findings_reversed
        } else {
            &f.findings
        };
        CertificateInputs {
            number: 42,
            issued_at: now(),
            validity_days: 90,
            project_slug: "chom-api".to_owned(),
            project_name: "CHOM API".to_owned(),
            assessment: &f.assessment,
            runs,
            findings,
            manifest,
            claims: None,
        }
    }

    #[test]
    fn the_same_inputs_in_any_order_give_the_same_certificate() {
        let f = fixture();
        let a = build(inputs(&f, false));
        let b = build(inputs(&f, true));
        assert_eq!(a, b);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        assert_eq!(a.format, FORMAT);
        assert_eq!(a.valid_until - a.issued_at, chrono::Duration::days(90));
        assert_eq!(
            a.manifest[0].sha256,
            format!("{:064x}", 3),
            "hex is lowercase"
        );
    }

    #[test]
    fn every_cited_evidence_id_is_in_the_manifest() {
        let f = fixture();
        let cert = build(inputs(&f, false));
        assert_eq!(
            cert.cited_evidence(),
            [
                EvidenceRef::Run(3),
                EvidenceRef::Run(5),
                EvidenceRef::Upload(9)
            ]
        );
        assert!(cert.unresolved_evidence().is_empty());
        let mut missing = inputs(&f, false);
        missing.manifest.retain(|m| m.id != EvidenceRef::Upload(9));
        assert_eq!(
            build(missing).unresolved_evidence(),
            [EvidenceRef::Upload(9)]
        );
    }

    #[test]
    fn targets_carry_measured_value_margin_and_evidence() {
        let f = fixture();
        let cert = build(inputs(&f, false));
        let p95 = cert
            .targets
            .iter()
            .find(|t| t.check_id == "target:p95 < 500 ms:sustained")
            .unwrap();
        assert_eq!(p95.outcome, Outcome::Pass);
        assert_eq!(p95.measured_text.as_deref(), Some("420 ms"));
        assert_eq!(p95.margin_text.as_deref(), Some("+80 ms (16 %)"));
        assert_eq!(p95.evidence, [EvidenceRef::Run(5)]);
        assert_eq!(
            margin_text("error_rate < 0.1 %", -0.396, Some(-39600.0)),
            "-39.6 pp"
        );
        assert_eq!(
            margin_text("error_rate < 0.1 %", 0.0009, Some(90.0)),
            "+0.09 pp (90 %)"
        );
        assert_eq!(margin_text("p95 <= -40% vs run 12", 0.125, None), "+12.5 %");
        // Every target check of the assessment is a row, in its order.
        let expected: Vec<&str> = f
            .assessment
            .checks
            .iter()
            .filter(|c| c.target.is_some())
            .map(|c| c.id.as_str())
            .collect();
        let rows: Vec<&str> = cert.targets.iter().map(|t| t.check_id.as_str()).collect();
        assert_eq!(rows, expected);
    }

    #[test]
    fn a_ramp_shows_its_capacity_knee_in_figures_and_chart() {
        let f = fixture();
        let cert = build(inputs(&f, false));
        let ramp = cert
            .scenarios
            .iter()
            .find(|s| s.kind == ScenarioKind::RampUp)
            .unwrap();
        assert_eq!(ramp.evidence, [EvidenceRef::Run(3)]);
        let knee = ramp.figures.iter().find(|f| f.name == "knee").unwrap();
        // p95 = 100 + 100 i reaches 500 at i = 4 (40 s); p99 reaches 1 s at 8.
        assert!(
            knee.value.starts_with("40 s (p95 < 500 ms"),
            "{}",
            knee.value
        );
        let chart = cert.charts.iter().find(|c| c.run.id == 3).unwrap();
        assert_eq!(chart.knee_s, Some(40.0));
        assert_eq!(chart.points.len(), 10);
        assert_eq!(chart.merged, 1);
        assert_eq!(chart.points[7].error_rate, Some(0.005));
        assert_eq!(chart.points[0].throughput_rps, Some(100.0));
        assert_eq!(chart.p95_target.as_ref().unwrap().value, 500.0);
        assert_eq!(
            chart.error_rate_target.as_ref().unwrap().label,
            "error_rate < 0.1 %"
        );
        let summary = cert.charts.iter().find(|c| c.run.id == 5).unwrap();
        assert!(summary.points.is_empty());
        assert!(summary.note.as_deref().unwrap().contains("no time series"));
    }

    #[test]
    fn long_series_are_reduced_without_hiding_a_breach() {
        let run = ramp(1000);
        let assessment = fixture().assessment;
        let chart = run_chart(
            &RunRef {
                id: 3,
                label: None,
                uploaded_at: now(),
            },
            &run,
            &assessment,
        );
        assert_eq!(chart.merged, 5, "1000 buckets in at most 240 points");
        assert_eq!(chart.points.len(), 200);
        assert_eq!(chart.bucket_s, 50.0);
        // The highest p95 of buckets 995..1000 is bucket 999's.
        let last = chart.points.last().unwrap();
        assert_eq!(last.p95_ms, Some(100.0 + 100.0 * 999.0));
        assert_eq!(last.requests, 5000);
        assert_eq!(last.throughput_rps, Some(100.0));
        assert_eq!(chart.points[1].error_rate, Some(5.0 / 5000.0));
    }

    #[test]
    fn findings_are_ordered_by_severity_then_outcome_with_location_and_evidence() {
        let f = fixture();
        let cert = build(inputs(&f, true));
        let rules: Vec<&str> = cert.findings.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(
            rules,
            [
                "redis.maxmemory",
                "m.redis.hit_rate",
                "php.memory_limit",
                "nginx.gzip"
            ]
        );
        assert_eq!(cert.findings[0].location.as_deref(), Some("redis.conf:12"));
        assert_eq!(cert.findings[0].evidence, [EvidenceRef::Upload(9)]);
        assert!(
            cert.findings[1].evidence.is_empty(),
            "unverified: no evidence"
        );
    }

    #[test]
    fn every_unverified_check_says_what_evidence_would_verify_it() {
        let f = fixture();
        let cert = build(inputs(&f, false));
        let unverified_checks = f
            .assessment
            .checks
            .iter()
            .filter(|c| c.outcome == Outcome::Unverified)
            .count();
        assert_eq!(cert.unverified.len(), unverified_checks);
        let how = |id: &str| {
            cert.unverified
                .iter()
                .find(|u| u.check_id == id)
                .unwrap_or_else(|| panic!("{id} is not unverified"))
                .how_to_verify
                .clone()
        };
        assert_eq!(
            how("target:cache_hit_rate > 90 %"),
            "upload a `redis-cli INFO` dump from environment staging taken after the cache \
             has served production-like traffic"
        );
        assert!(how("target:db_query_p95 < 200 ms").contains("statement digest export"));
        // The sustained run is a summary: it carries p95 but not throughput.
        assert!(
            how("target:throughput > 100/s:sustained")
                .contains("whose output carries the throughput"),
            "{}",
            how("target:throughput > 100/s:sustained")
        );
        assert!(how("scenario:sustained").starts_with(
            "upload raw results (k6 NDJSON or CSV, JMeter JTL, Locust stats history, Gatling \
             simulation.log) of the sustained run of commit abc1234 in environment staging"
        ));
        assert!(how("scenario:soak").starts_with("run a soak load test of commit abc1234"));
        assert_eq!(
            how("rule:m.redis.hit_rate"),
            "upload a `redis-cli INFO` dump from environment staging"
        );
        for item in &cert.unverified {
            assert!(
                item.how_to_verify.starts_with("upload") || item.how_to_verify.starts_with("run")
            );
        }
    }

    #[test]
    fn a_certificate_survives_json() {
        let f = fixture();
        let mut input = inputs(&f, false);
        input.claims = Some(vec![ClaimRow {
            line: 12,
            text: "| p95 Response Time | < 500ms | ✅ PASS |".to_owned(),
            target: Some("p95 < 500 ms".to_owned()),
            status: ClaimStatus::Confirmed,
            measured_text: Some("420 ms".to_owned()),
            evidence: vec![EvidenceRef::Run(5)],
        }]);
        let cert = build(input);
        let json = serde_json::to_string(&cert).unwrap();
        let back: Certificate = serde_json::from_str(&json).unwrap();
        assert_eq!(back, cert);
        assert!(json.contains(r#""status":"confirmed""#));
    }
}
