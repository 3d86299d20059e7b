//! The assessment: every check of a project at one moment, for one commit
//! and environment, its category scores, its evidence coverage and its
//! verdict (DESIGN.md, "Scoring and verdicts").
//!
//! Pure: the caller gathers the runs (and later the audit findings) and the
//! moment; the same evidence always gives the same assessment.

use crate::compare::{Significance, compare};
use crate::model::RunSummary;
use crate::run::{Run, ScenarioKind};
use crate::scenarios::{DEFAULT_SOAK_TOLERANCE, Limits, ScenarioVerdict, judge, users_held};
use crate::targets::{Metric, Outcome, Target, trim_number};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The five areas a project is judged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Infrastructure,
    Database,
    Application,
    Monitoring,
    LoadTesting,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::Infrastructure,
        Category::Database,
        Category::Application,
        Category::Monitoring,
        Category::LoadTesting,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Category::Infrastructure => "Infrastructure",
            Category::Database => "Database",
            Category::Application => "Application",
            Category::Monitoring => "Monitoring",
            Category::LoadTesting => "Load testing",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn weight(self) -> f64 {
        match self {
            Severity::Critical => 8.0,
            Severity::High => 4.0,
            Severity::Medium => 2.0,
            Severity::Low => 1.0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// One evaluation, with the evidence it used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// Stable across assessments of the same project, for links and diffs.
    pub id: String,
    pub category: Category,
    pub severity: Severity,
    pub title: String,
    /// The target expression, for target checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<ScenarioKind>,
    pub outcome: Outcome,
    /// The measured value, in the metric's base unit.
    pub measured: Option<f64>,
    /// The measured value as people read it.
    pub measured_text: Option<String>,
    /// Distance to the threshold, positive when the target holds.
    pub margin: Option<f64>,
    pub margin_pct: Option<f64>,
    /// The runs (or other evidence) used.
    pub evidence: Vec<EvidenceRef>,
    /// Why the outcome is what it is, in one sentence.
    pub detail: String,
    /// A maintainer's exemption that applies: the finding is shown, but its
    /// failure or warning does not count against the project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exempted: Option<String>,
}

/// What a check's figure came from: a run, or an audit evidence upload
/// (configurations, status dumps, inventories). Serialized as
/// `{"run": 12}` or `{"upload": 3}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceRef {
    Run(i64),
    Upload(i64),
}

impl std::fmt::Display for EvidenceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

impl EvidenceRef {
    /// The row id in its table (`runs` or `uploads`).
    pub fn id(self) -> i64 {
        match self {
            EvidenceRef::Run(id) | EvidenceRef::Upload(id) => id,
        }
    }

    /// How pages and reports name it: `run 12`, `evidence 3`.
    pub fn label(self) -> String {
        match self {
            EvidenceRef::Run(id) => format!("run {id}"),
            EvidenceRef::Upload(id) => format!("evidence {id}"),
        }
    }

    /// Where the browser shows it: the run's page, or the upload's bytes.
    pub fn href(self) -> String {
        match self {
            EvidenceRef::Run(id) => format!("/runs/{id}"),
            EvidenceRef::Upload(id) => format!("/api/v1/evidence/{id}/artifact"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Certified,
    Conditional,
    NotCertified,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Certified => "certified",
            Verdict::Conditional => "conditional",
            Verdict::NotCertified => "not certified",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryScore {
    pub category: Category,
    /// Credit over weight, 0 to 100; unverified checks earn nothing.
    pub score: f64,
    pub checks: usize,
    pub verified: usize,
}

/// Everything known about a project's readiness at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub commit: Option<String>,
    pub environment: Option<String>,
    pub assessed_at: DateTime<Utc>,
    pub verdict: Verdict,
    pub reasons: Vec<String>,
    /// The share of checks that had evidence (0 to 1).
    pub coverage: f64,
    pub categories: Vec<CategoryScore>,
    pub checks: Vec<Check>,
    pub scenarios: Vec<ScenarioVerdict>,
}

/// What counts as fresh evidence.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The commit being assessed; runs of other commits are unverified.
    pub commit: Option<String>,
    /// Only runs of this environment count.
    pub environment: Option<String>,
    pub now: DateTime<Utc>,
    pub max_age_days: i64,
    pub soak_tolerance: f64,
}

impl Policy {
    pub fn new(now: DateTime<Utc>) -> Policy {
        Policy {
            commit: None,
            environment: None,
            now,
            max_age_days: 14,
            soak_tolerance: DEFAULT_SOAK_TOLERANCE,
        }
    }

    /// Whether a run is of the assessed environment (any, when none is
    /// given).
    pub fn in_environment(&self, summary: &RunSummary) -> bool {
        match &self.environment {
            Some(env) => summary.provenance.environment.as_deref() == Some(env.as_str()),
            None => true,
        }
    }

    /// Why a run cannot be used, or `None` when it is fresh.
    pub fn staleness(&self, summary: &RunSummary) -> Option<String> {
        if let Some(commit) = &self.commit {
            match &summary.provenance.commit {
                Some(c)
                    if c == commit
                        || (c.len() >= 7 && commit.starts_with(c.as_str()))
                        || (commit.len() >= 7 && c.starts_with(commit.as_str())) => {}
                Some(c) => {
                    return Some(format!(
                        "run {} is from commit {c}, not {commit}",
                        summary.id
                    ));
                }
                None => {
                    return Some(format!(
                        "run {} has no commit, so it cannot stand for {commit}",
                        summary.id
                    ));
                }
            }
        }
        let age = self.now - summary.uploaded_at;
        if age.num_days() >= self.max_age_days {
            return Some(format!(
                "run {} is {} days old; evidence older than {} days does not count",
                summary.id,
                age.num_days(),
                self.max_age_days
            ));
        }
        None
    }
}

/// An exemption of a rule, as the assessment applies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exemption {
    pub rule: String,
    pub reason: String,
    pub expires_on: chrono::NaiveDate,
}

/// What the audit of configurations, dumps and monitoring contributes.
#[derive(Debug, Clone, Default)]
pub struct AuditInput {
    /// Every rule's finding; empty when no audit evidence was uploaded.
    pub findings: Vec<crate::audit::Finding>,
    /// The evidence uploads the findings were made from.
    pub evidence: Vec<i64>,
    pub exemptions: Vec<Exemption>,
    /// The database query time p95 (ms), from a statement histogram, with
    /// the evidence it came from.
    pub db_query_p95_ms: Option<(f64, i64)>,
    /// The cache hit rate (0 to 1), from `redis-cli INFO`, with its
    /// evidence.
    pub cache_hit_rate: Option<(f64, i64)>,
    /// Database statements per HTTP request, from a statement digest and a
    /// run of the same period: the figure, how it was obtained, and the
    /// evidence (the digest upload and the run).
    pub queries_per_request: Option<(f64, String, Vec<EvidenceRef>)>,
}

/// A run and its listing record.
#[derive(Debug, Clone, Copy)]
pub struct RunEvidence<'a> {
    pub summary: &'a RunSummary,
    pub run: &'a Run,
}

/// How a run is named in details: by id, or "the run" for a run judged
/// offline, which has no id (0).
fn run_ref(id: i64) -> String {
    if id == 0 {
        "the run".to_owned()
    } else {
        format!("run {id}")
    }
}

fn category_of(target: &Target) -> Category {
    match target.metric {
        Metric::DbQueryP95 => Category::Database,
        Metric::CacheHitRate => Category::Infrastructure,
        _ if target.scope.endpoint.is_some() => Category::Application,
        _ => Category::LoadTesting,
    }
}

/// The measured value of a metric in a run (or one of its endpoints).
fn measure(run: &Run, target: &Target, limits: &Limits) -> Result<Option<f64>, String> {
    if let Some(name) = &target.scope.endpoint {
        let endpoint = run.endpoints.iter().find(|e| {
            e.name == *name
                || e.method
                    .as_ref()
                    .is_some_and(|m| format!("{m} {}", e.name) == *name)
        });
        let Some(endpoint) = endpoint else {
            return Err(format!("the run has no endpoint named \"{name}\""));
        };
        return Ok(match target.metric {
            Metric::P95 => endpoint.latency_ms.p95,
            Metric::P99 => endpoint.latency_ms.p99,
            Metric::ErrorRate => endpoint
                .requests
                .zip(endpoint.failed)
                .filter(|(n, _)| *n > 0)
                .map(|(n, f)| f as f64 / n as f64),
            _ => None,
        });
    }
    Ok(match target.metric {
        Metric::P95 => run.latency_ms.p95,
        Metric::P99 => run.latency_ms.p99,
        Metric::ErrorRate => run.error_rate,
        Metric::Throughput => run.throughput_rps,
        Metric::Users => users_held(run, limits)?.map(|u| u as f64),
        Metric::DbQueryP95 | Metric::CacheHitRate => None,
    })
}

/// What evidence a metric that runs do not measure comes from.
fn not_from_runs(metric: Metric) -> Option<&'static str> {
    match metric {
        Metric::DbQueryP95 => Some(
            "no database workload evidence yet: upload a statement digest \
             (events_statements_summary_by_digest) or a slow query log",
        ),
        Metric::CacheHitRate => Some("no cache evidence yet: upload a `redis-cli INFO` dump"),
        _ => None,
    }
}

fn check_id(target: &Target, scenario: Option<ScenarioKind>) -> String {
    match scenario {
        Some(kind) => format!("target:{target}:{kind}"),
        None => format!("target:{target}"),
    }
}

/// Builds the checks of one target against the runs.
fn target_checks(
    target: &Target,
    runs: &[RunEvidence<'_>],
    all_runs: &[RunEvidence<'_>],
    audit: &AuditInput,
    limits: &Limits,
    policy: &Policy,
) -> Vec<Check> {
    // The error rate and p95 of the whole run are what a release must meet
    // first: missing them withholds any certificate. Other targets are high.
    let severity = match target.metric {
        Metric::ErrorRate | Metric::P95
            if target.scope.is_empty() && target.baseline_run.is_none() =>
        {
            Severity::Critical
        }
        _ => Severity::High,
    };
    let base = |scenario: Option<ScenarioKind>| Check {
        id: check_id(target, scenario),
        category: category_of(target),
        severity,
        title: format!("{} {}", target.metric.label(), target.comparison.symbol()),
        target: Some(target.to_string()),
        scenario,
        outcome: Outcome::Unverified,
        measured: None,
        measured_text: None,
        margin: None,
        margin_pct: None,
        evidence: Vec::new(),
        detail: String::new(),
        exempted: None,
    };
    if let Some(why) = not_from_runs(target.metric) {
        let mut check = base(None);
        let measured = match target.metric {
            Metric::DbQueryP95 => audit.db_query_p95_ms,
            Metric::CacheHitRate => audit.cache_hit_rate,
            _ => None,
        };
        match measured {
            Some((value, evidence)) => {
                let (margin, pct) = target.margin(value);
                check.outcome = target.check(Some(value));
                check.measured = Some(value);
                check.measured_text = Some(target.metric.format_value(value));
                check.margin = Some(margin);
                check.margin_pct = pct;
                check.evidence = vec![EvidenceRef::Upload(evidence)];
                check.detail = format!(
                    "evidence {evidence} measured {} against {target}",
                    target.metric.format_value(value)
                );
            }
            None => check.detail = why.to_owned(),
        }
        return vec![check];
    }
    if let Some(baseline_id) = target.baseline_run {
        return vec![improvement_check(
            target,
            baseline_id,
            runs,
            all_runs,
            base(None),
        )];
    }
    // The scenarios the target applies to: its own, or every kind with a
    // run (in environment scope), fresh or not, so stale evidence shows.
    let mut kinds: Vec<ScenarioKind> = match target.scope.scenario {
        Some(kind) => vec![kind],
        None => all_runs.iter().map(|r| r.summary.scenario).collect(),
    };
    kinds.sort_by_key(|k| k.as_str());
    kinds.dedup();
    if kinds.is_empty() {
        let mut check = base(None);
        check.detail = "no load-test run has been uploaded for this project".to_owned();
        return vec![check];
    }
    kinds
        .into_iter()
        .map(|kind| {
            let mut check = base(Some(kind));
            let latest_fresh = runs.iter().find(|r| r.summary.scenario == kind);
            let Some(evidence) = latest_fresh else {
                check.detail = match all_runs.iter().find(|r| r.summary.scenario == kind) {
                    Some(stale) => policy
                        .staleness(stale.summary)
                        .unwrap_or_else(|| "no fresh run".to_owned()),
                    None => format!("no {kind} run has been uploaded"),
                };
                return check;
            };
            check.evidence = vec![EvidenceRef::Run(evidence.summary.id)];
            match measure(evidence.run, target, limits) {
                Err(why) => check.detail = why,
                Ok(None) => {
                    check.detail = format!(
                        "{} does not measure {} (its {} output does not carry it)",
                        run_ref(evidence.summary.id),
                        target.metric.label(),
                        evidence.run.tool
                    );
                }
                Ok(Some(value)) => {
                    let (margin, pct) = target.margin(value);
                    check.outcome = target.check(Some(value));
                    check.measured = Some(value);
                    check.measured_text = Some(target.metric.format_value(value));
                    check.margin = Some(margin);
                    check.margin_pct = pct;
                    check.detail = format!(
                        "{} measured {} against {target}",
                        run_ref(evidence.summary.id),
                        target.metric.format_value(value)
                    );
                }
            }
            check
        })
        .collect()
}

/// A claimed improvement against a baseline run, judged like comparisons:
/// against noise when both runs are raw.
fn improvement_check(
    target: &Target,
    baseline_id: i64,
    runs: &[RunEvidence<'_>],
    all_runs: &[RunEvidence<'_>],
    mut check: Check,
) -> Check {
    let Some(baseline) = all_runs.iter().find(|r| r.summary.id == baseline_id) else {
        check.detail = format!("baseline run {baseline_id} is not a run of this project");
        return check;
    };
    let Some(candidate) = runs
        .iter()
        .find(|r| r.summary.scenario == baseline.summary.scenario && r.summary.id != baseline_id)
    else {
        check.detail = format!(
            "no fresh {} run to compare with baseline run {baseline_id}",
            baseline.summary.scenario
        );
        return check;
    };
    check.evidence = vec![
        EvidenceRef::Run(baseline_id),
        EvidenceRef::Run(candidate.summary.id),
    ];
    let figure = match target.metric {
        Metric::P95 => "latency_p95_ms",
        Metric::P99 => "latency_p99_ms",
        Metric::ErrorRate => "error_rate",
        Metric::Throughput => "throughput_rps",
        Metric::Users => "vus_max",
        _ => {
            check.detail = format!("{} cannot be compared between runs", target.metric.label());
            return check;
        }
    };
    let comparison = compare(baseline.run, candidate.run);
    let Some(change) = comparison.figures.into_iter().find(|c| c.figure == figure) else {
        return check;
    };
    let Some(relative) = change.relative else {
        check.detail = format!("{} is not measured in both runs", target.metric.label());
        return check;
    };
    let (margin, pct) = target.margin(relative);
    check.measured = Some(relative);
    check.measured_text = Some(format!("{:+.1} %", relative * 100.0));
    check.margin = Some(margin);
    check.margin_pct = pct;
    let holds = target.comparison.holds(relative, target.threshold);
    // With noise known, the claim holds only if the whole interval of the
    // change satisfies it; inside the noise it is a warning.
    let interval_holds = change
        .interval
        .zip(change.baseline)
        .map(|((low, high), base)| {
            let (low, high) = (low / base.abs(), high / base.abs());
            target.comparison.holds(low, target.threshold)
                && target.comparison.holds(high, target.threshold)
        });
    check.outcome = match (holds, interval_holds) {
        (false, _) => Outcome::Fail,
        (true, Some(true)) | (true, None) => Outcome::Pass,
        (true, Some(false)) => Outcome::Warn,
    };
    let noise = match change.significance {
        Some(Significance::NoNoiseEstimate) | None => {
            "no noise estimate (a summary is involved)".to_owned()
        }
        Some(_) => match change.interval {
            Some((low, high)) => format!(
                "95 % interval of the change {:+.1} % to {:+.1} %",
                low / change.baseline.unwrap_or(1.0).abs() * 100.0,
                high / change.baseline.unwrap_or(1.0).abs() * 100.0
            ),
            None => String::new(),
        },
    };
    check.detail = format!(
        "run {} against baseline run {baseline_id}: {:+.1} % ({noise})",
        candidate.summary.id,
        relative * 100.0
    );
    check
}

fn scenario_check(
    kind: ScenarioKind,
    runs: &[RunEvidence<'_>],
    all_runs: &[RunEvidence<'_>],
    limits: &Limits,
    policy: &Policy,
) -> (Check, Option<ScenarioVerdict>) {
    let mut check = Check {
        id: format!("scenario:{kind}"),
        category: Category::LoadTesting,
        severity: Severity::High,
        title: format!("{kind} scenario executed and passing its criteria"),
        target: None,
        scenario: Some(kind),
        outcome: Outcome::Unverified,
        measured: None,
        measured_text: None,
        margin: None,
        margin_pct: None,
        evidence: Vec::new(),
        detail: String::new(),
        exempted: None,
    };
    let Some(evidence) = runs.iter().find(|r| r.summary.scenario == kind) else {
        check.detail = match all_runs.iter().find(|r| r.summary.scenario == kind) {
            Some(stale) => policy.staleness(stale.summary).unwrap_or_default(),
            None => format!("no {kind} run has been uploaded"),
        };
        return (check, None);
    };
    check.evidence = vec![EvidenceRef::Run(evidence.summary.id)];
    let verdict = judge(evidence.run, limits, policy.soak_tolerance);
    check.outcome = match verdict.held {
        Some(true) => Outcome::Pass,
        Some(false) => Outcome::Fail,
        None => Outcome::Unverified,
    };
    check.detail = format!("{}: {}", run_ref(evidence.summary.id), verdict.summary);
    (check, Some(verdict))
}

/// Checks for evidence kinds Readiness does not ingest yet, so that their
/// categories show as unverified instead of disappearing.
fn missing_evidence_checks() -> Vec<Check> {
    [
        (
            Category::Infrastructure,
            "configuration audit (PHP, php-fpm, nginx, Redis)",
            "no configuration evidence yet: upload php.ini, php-fpm, nginx and redis.conf files",
        ),
        (
            Category::Database,
            "database configuration and status",
            "no database evidence yet: upload my.cnf and SHOW GLOBAL STATUS / VARIABLES",
        ),
        (
            Category::Application,
            "database queries per request",
            "no statement digest yet: upload events_statements_summary_by_digest with a run of the same period",
        ),
        (
            Category::Monitoring,
            "dashboards and alert rules cover the targets",
            "no monitoring evidence yet: upload Grafana dashboards and Prometheus rule files",
        ),
    ]
    .into_iter()
    .map(|(category, title, detail)| Check {
        id: format!("evidence:{}", category.label().to_ascii_lowercase().replace(' ', "_")),
        category,
        severity: Severity::Medium,
        title: title.to_owned(),
        target: None,
        scenario: None,
        outcome: Outcome::Unverified,
        measured: None,
        measured_text: None,
        margin: None,
        margin_pct: None,
        evidence: Vec::new(),
        detail: detail.to_owned(),
        exempted: None,
    })
    .collect()
}

/// Statements per request above which a page is likely issuing one query
/// per item (an N+1 pattern); a heuristic, as the catalogue marks (H).
const QUERIES_PER_REQUEST_WARN: f64 = 20.0;
const QUERIES_PER_REQUEST_FAIL: f64 = 50.0;

/// The Application check of database statements per HTTP request.
fn queries_per_request_check(audit: &AuditInput) -> Check {
    let mut check = Check {
        id: "app.queries_per_request".to_owned(),
        category: Category::Application,
        severity: Severity::Medium,
        title: "database queries per request".to_owned(),
        target: None,
        scenario: None,
        outcome: Outcome::Unverified,
        measured: None,
        measured_text: None,
        margin: None,
        margin_pct: None,
        evidence: Vec::new(),
        detail: "no statement digest with a run of the same period: upload \
                 events_statements_summary_by_digest taken right after a load test (reset before it)"
            .to_owned(),
        exempted: None,
    };
    if let Some((value, how, evidence)) = &audit.queries_per_request {
        check.outcome = if *value > QUERIES_PER_REQUEST_FAIL {
            Outcome::Fail
        } else if *value > QUERIES_PER_REQUEST_WARN {
            Outcome::Warn
        } else {
            Outcome::Pass
        };
        check.measured = Some(*value);
        check.measured_text = Some(trim_number(*value, 1));
        check.evidence = evidence.clone();
        check.detail = format!(
            "{} statements per request ({how}); more than {QUERIES_PER_REQUEST_WARN} suggests one query per item (N+1)",
            trim_number(*value, 1)
        );
    }
    check
}

/// The checks of the audit's findings, with exemptions applied.
fn audit_checks(audit: &AuditInput, today: chrono::NaiveDate) -> Vec<Check> {
    audit
        .findings
        .iter()
        .map(|finding| {
            let e = &finding.evaluation;
            let mut detail = e.detail.clone();
            if !e.threshold.is_empty() {
                detail.push_str(&format!(" (threshold: {})", e.threshold));
            }
            if let Some(location) = &e.location {
                detail.push_str(&format!(" [{location}]"));
            }
            if !e.defaults_assumed.is_empty() {
                detail.push_str(&format!(
                    "; defaults assumed: {}",
                    e.defaults_assumed.join(", ")
                ));
            }
            let exempted = audit
                .exemptions
                .iter()
                .find(|x| x.rule == finding.rule && x.expires_on >= today)
                .map(|x| format!("{} (until {})", x.reason, x.expires_on));
            Check {
                id: format!("rule:{}", finding.rule),
                category: finding.category,
                severity: finding.severity,
                title: finding.title.clone(),
                target: None,
                scenario: None,
                outcome: e.outcome,
                measured: None,
                measured_text: e.value.clone(),
                margin: None,
                margin_pct: None,
                evidence: if e.outcome == Outcome::Unverified {
                    Vec::new()
                } else {
                    audit
                        .evidence
                        .iter()
                        .copied()
                        .map(EvidenceRef::Upload)
                        .collect()
                },
                detail,
                exempted,
            }
        })
        .collect()
}

/// Assesses a project's runs (newest first) and audit against its targets.
pub fn assess(
    targets: &[Target],
    runs: &[RunEvidence<'_>],
    audit: &AuditInput,
    policy: &Policy,
) -> Assessment {
    let in_environment: Vec<RunEvidence<'_>> = runs
        .iter()
        .filter(|r| policy.in_environment(r.summary))
        .copied()
        .collect();
    let fresh: Vec<RunEvidence<'_>> = in_environment
        .iter()
        .filter(|r| policy.staleness(r.summary).is_none())
        .copied()
        .collect();
    let limits = Limits::from_targets(targets);
    let mut checks: Vec<Check> = targets
        .iter()
        .flat_map(|t| target_checks(t, &fresh, &in_environment, audit, &limits, policy))
        .collect();
    let mut scenarios = Vec::new();
    for kind in [
        ScenarioKind::Sustained,
        ScenarioKind::RampUp,
        ScenarioKind::Stress,
        ScenarioKind::Spike,
        ScenarioKind::Soak,
    ] {
        let (check, verdict) = scenario_check(kind, &fresh, &in_environment, &limits, policy);
        checks.push(check);
        scenarios.extend(verdict);
    }
    let mut audited = audit_checks(audit, policy.now.date_naive());
    audited.push(queries_per_request_check(audit));
    // Categories the audit has no rule for yet still show as unverified.
    checks.extend(
        missing_evidence_checks()
            .into_iter()
            .filter(|c| !audited.iter().any(|a| a.category == c.category)),
    );
    checks.extend(audited);
    score(checks, scenarios, policy)
}

/// The outcome a check counts as: an exempted failure or warning counts as
/// passed; everything else as it is.
fn counted(check: &Check) -> Outcome {
    match (check.outcome, &check.exempted) {
        (Outcome::Fail | Outcome::Warn, Some(_)) => Outcome::Pass,
        (outcome, _) => outcome,
    }
}

fn credit(outcome: Outcome) -> f64 {
    match outcome {
        Outcome::Pass => 1.0,
        Outcome::Warn => 0.5,
        Outcome::Fail | Outcome::Unverified => 0.0,
    }
}

/// Scores, coverage and verdict from a set of checks.
pub fn score(checks: Vec<Check>, scenarios: Vec<ScenarioVerdict>, policy: &Policy) -> Assessment {
    let categories: Vec<CategoryScore> = Category::ALL
        .into_iter()
        .map(|category| {
            let of: Vec<&Check> = checks.iter().filter(|c| c.category == category).collect();
            let weight: f64 = of.iter().map(|c| c.severity.weight()).sum();
            let earned: f64 = of
                .iter()
                .map(|c| c.severity.weight() * credit(counted(c)))
                .sum();
            CategoryScore {
                category,
                score: if weight > 0.0 {
                    (earned / weight * 1000.0).round() / 10.0
                } else {
                    0.0
                },
                checks: of.len(),
                verified: of
                    .iter()
                    .filter(|c| c.outcome != Outcome::Unverified)
                    .count(),
            }
        })
        .collect();
    let verified = checks
        .iter()
        .filter(|c| c.outcome != Outcome::Unverified)
        .count();
    let coverage = if checks.is_empty() {
        0.0
    } else {
        verified as f64 / checks.len() as f64
    };

    let mut reasons = Vec::new();
    let failed_critical = checks
        .iter()
        .any(|c| counted(c) == Outcome::Fail && c.severity == Severity::Critical);
    let failed_high = checks
        .iter()
        .any(|c| counted(c) == Outcome::Fail && c.severity >= Severity::High);
    // A critical target nobody measured cannot be conditionally passed:
    // unverified is never passed, and "conditional" would suggest it was
    // close. (Audit rules without their evidence stay unverified reasons of
    // a conditional verdict, as DESIGN.md has it.)
    let unverified_critical: Vec<String> = checks
        .iter()
        .filter(|c| {
            c.target.is_some()
                && c.outcome == Outcome::Unverified
                && c.severity == Severity::Critical
        })
        .map(|c| c.target.clone().unwrap_or_else(|| c.title.clone()))
        .collect();
    for check in &checks {
        let what = check.target.clone().unwrap_or_else(|| check.title.clone());
        if let (Some(reason), Outcome::Fail | Outcome::Warn) = (&check.exempted, check.outcome) {
            reasons.push(format!("exempted: {what}: {reason}"));
            continue;
        }
        match check.outcome {
            Outcome::Fail => reasons.push(format!(
                "failed ({}): {what}: {}",
                check.severity.as_str(),
                check.detail
            )),
            Outcome::Warn => reasons.push(format!("warning: {what}: {}", check.detail)),
            Outcome::Unverified => reasons.push(format!("unverified: {what}: {}", check.detail)),
            Outcome::Pass => {}
        }
    }
    let targets_met = checks
        .iter()
        .filter(|c| c.target.is_some())
        .all(|c| c.outcome == Outcome::Pass);
    // All load-test evidence must be from the assessed commit: runs of
    // other commits are already unverified, so this needs a commit.
    let commit_given = policy.commit.is_some();
    let verdict = if !failed_high && targets_met && coverage >= 0.9 && commit_given {
        Verdict::Certified
    } else if !failed_critical && unverified_critical.is_empty() {
        Verdict::Conditional
    } else {
        Verdict::NotCertified
    };
    if !commit_given {
        reasons.insert(
            0,
            "no commit given: certification needs the evidence of one commit".to_owned(),
        );
    }
    if coverage < 0.9 {
        reasons.insert(
            0,
            format!(
                "evidence covers {:.0} % of the checks; certification needs 90 %",
                coverage * 100.0
            ),
        );
    }
    if !unverified_critical.is_empty() {
        reasons.insert(
            0,
            format!(
                "critical targets without evidence: {}; a verdict better than not certified needs them measured",
                unverified_critical.join(", ")
            ),
        );
    }
    Assessment {
        commit: policy.commit.clone(),
        environment: policy.environment.clone(),
        assessed_at: policy.now,
        verdict,
        reasons,
        coverage,
        categories,
        checks,
        scenarios,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Provenance;
    use crate::run::Exactness;
    use crate::targets::default_targets;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
    }

    fn summary(id: i64, kind: ScenarioKind, commit: &str, days_old: i64) -> RunSummary {
        RunSummary {
            id,
            sha256: format!("{id:064}"),
            scenario: kind,
            format: "k6-summary".to_owned(),
            uploaded_at: now() - chrono::Duration::days(days_old),
            provenance: Provenance {
                commit: Some(commit.to_owned()),
                environment: Some("staging".to_owned()),
                ..Provenance::default()
            },
            requests: Some(10_000),
            p95_ms: None,
            p99_ms: None,
            error_rate: None,
            throughput_rps: None,
            vus_max: None,
        }
    }

    fn good_run(kind: ScenarioKind) -> Run {
        let mut run = Run::empty("k6-summary", "k6", Exactness::Reported);
        run.scenario = kind;
        run.requests = Some(100_000);
        run.failed = Some(10);
        run.error_rate = Some(0.0001);
        run.throughput_rps = Some(150.0);
        run.vus_max = Some(120);
        run.latency_ms.p95 = Some(300.0);
        run.latency_ms.p99 = Some(700.0);
        run
    }

    fn policy(commit: &str) -> Policy {
        Policy {
            commit: Some(commit.to_owned()),
            ..Policy::new(now())
        }
    }

    fn check<'a>(assessment: &'a Assessment, id: &str) -> &'a Check {
        assessment
            .checks
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| {
                panic!(
                    "no check {id}: {:?}",
                    assessment.checks.iter().map(|c| &c.id).collect::<Vec<_>>()
                )
            })
    }

    #[test]
    fn no_evidence_is_unverified_everywhere_and_not_certified() {
        let assessment = assess(
            &default_targets(),
            &[],
            &AuditInput::default(),
            &policy("abc123"),
        );
        assert!(
            assessment
                .checks
                .iter()
                .all(|c| c.outcome == Outcome::Unverified)
        );
        assert_eq!(assessment.coverage, 0.0);
        assert!(assessment.categories.iter().all(|c| c.score == 0.0));
        assert_eq!(assessment.categories.len(), 5, "no category is hidden");
        // Nothing failed, but the critical targets were never measured:
        // not certified, and the first reason says so.
        assert_eq!(assessment.verdict, Verdict::NotCertified);
        assert!(
            assessment.reasons[0]
                .starts_with("critical targets without evidence: p95 < 500 ms, error_rate < 0.1 %"),
            "{}",
            assessment.reasons[0]
        );
        assert!(
            assessment
                .reasons
                .iter()
                .any(|r| r.contains("no load-test run"))
        );
    }

    #[test]
    fn targets_are_checked_with_value_margin_and_evidence() {
        let (s, run) = (
            summary(7, ScenarioKind::Sustained, "abc123", 1),
            good_run(ScenarioKind::Sustained),
        );
        let runs = [RunEvidence {
            summary: &s,
            run: &run,
        }];
        let assessment = assess(
            &default_targets(),
            &runs,
            &AuditInput::default(),
            &policy("abc123"),
        );
        let p95 = check(&assessment, "target:p95 < 500 ms:sustained");
        assert_eq!(p95.outcome, Outcome::Pass);
        assert_eq!(p95.measured, Some(300.0));
        assert_eq!(p95.margin, Some(200.0));
        assert_eq!(p95.margin_pct, Some(40.0));
        assert_eq!(p95.evidence, [EvidenceRef::Run(7)]);
        assert_eq!(p95.category, Category::LoadTesting);
        // The summary's peak users held: every other target held over it.
        assert_eq!(
            check(&assessment, "target:users >= 100:sustained").outcome,
            Outcome::Pass
        );
        // A summary cannot show a steady state.
        let sustained = check(&assessment, "scenario:sustained");
        assert_eq!(sustained.outcome, Outcome::Unverified);
        assert!(sustained.detail.contains("no time series"));
        let db = check(&assessment, "target:db_query_p95 < 200 ms");
        assert_eq!(
            (db.outcome, db.category),
            (Outcome::Unverified, Category::Database)
        );
    }

    #[test]
    fn a_missing_figure_is_unverified_and_a_miss_fails() {
        let mut run = good_run(ScenarioKind::Spike);
        run.latency_ms.p99 = None;
        run.latency_ms.p95 = Some(650.0);
        let s = summary(3, ScenarioKind::Spike, "abc123", 0);
        let runs = [RunEvidence {
            summary: &s,
            run: &run,
        }];
        let assessment = assess(
            &default_targets(),
            &runs,
            &AuditInput::default(),
            &policy("abc123"),
        );
        let p99 = check(&assessment, "target:p99 < 1 s:spike");
        assert_eq!(p99.outcome, Outcome::Unverified);
        assert!(
            p99.detail.contains("does not measure p99 latency"),
            "{}",
            p99.detail
        );
        let p95 = check(&assessment, "target:p95 < 500 ms:spike");
        assert_eq!(p95.outcome, Outcome::Fail);
        assert_eq!(p95.margin, Some(-150.0));
        // p95 is critical: its failure means not certified.
        assert_eq!(assessment.verdict, Verdict::NotCertified);
        assert!(
            assessment
                .reasons
                .iter()
                .any(|r| r.starts_with("failed (critical): p95 < 500 ms"))
        );
    }

    #[test]
    fn runs_of_another_commit_or_too_old_are_unverified_with_the_reason() {
        let run = good_run(ScenarioKind::Sustained);
        let other = summary(1, ScenarioKind::Sustained, "def456", 0);
        let runs = [RunEvidence {
            summary: &other,
            run: &run,
        }];
        let assessment = assess(
            &default_targets(),
            &runs,
            &AuditInput::default(),
            &policy("abc123"),
        );
        let p95 = check(&assessment, "target:p95 < 500 ms:sustained");
        assert_eq!(p95.outcome, Outcome::Unverified);
        assert_eq!(p95.detail, "run 1 is from commit def456, not abc123");

        let old = summary(2, ScenarioKind::Sustained, "abc123", 20);
        let runs = [RunEvidence {
            summary: &old,
            run: &run,
        }];
        let assessment = assess(
            &default_targets(),
            &runs,
            &AuditInput::default(),
            &policy("abc123"),
        );
        let p95 = check(&assessment, "target:p95 < 500 ms:sustained");
        assert_eq!(p95.outcome, Outcome::Unverified);
        assert!(p95.detail.contains("20 days old"), "{}", p95.detail);
    }

    #[test]
    fn scores_weigh_checks_by_severity() {
        let pass = |id: &str, severity| Check {
            id: id.to_owned(),
            category: Category::LoadTesting,
            severity,
            title: id.to_owned(),
            target: None,
            scenario: None,
            outcome: Outcome::Pass,
            measured: None,
            measured_text: None,
            margin: None,
            margin_pct: None,
            evidence: vec![EvidenceRef::Upload(1)],
            detail: String::new(),
            exempted: None,
        };
        let mut warn = pass("b", Severity::Medium);
        warn.outcome = Outcome::Warn;
        let mut fail = pass("c", Severity::Low);
        fail.outcome = Outcome::Fail;
        let checks = vec![pass("a", Severity::High), warn, fail];
        let assessment = score(checks, Vec::new(), &policy("abc123"));
        let load = assessment
            .categories
            .iter()
            .find(|c| c.category == Category::LoadTesting)
            .unwrap();
        // (4 + 0.5 * 2 + 0) / (4 + 2 + 1) = 71.4 %
        assert_eq!(load.score, 71.4);
        assert_eq!(assessment.coverage, 1.0);
        // DESIGN.md withholds certification for failed critical or high
        // checks only; a failed low check is still listed as a reason.
        assert_eq!(assessment.verdict, Verdict::Certified);
        assert!(
            assessment
                .reasons
                .iter()
                .any(|r| r.starts_with("failed (low): c"))
        );
    }

    #[test]
    fn every_target_met_with_full_coverage_is_certified() {
        let targets: Vec<Target> = ["p95 < 500ms", "error_rate < 0.1%"]
            .iter()
            .map(|t| t.parse().unwrap())
            .collect();
        let checks: Vec<Check> = {
            let (s, run) = (
                summary(9, ScenarioKind::Sustained, "abc123", 0),
                good_run(ScenarioKind::Sustained),
            );
            let runs = [RunEvidence {
                summary: &s,
                run: &run,
            }];
            let limits = Limits::from_targets(&targets);
            targets
                .iter()
                .flat_map(|t| {
                    target_checks(
                        t,
                        &runs,
                        &runs,
                        &AuditInput::default(),
                        &limits,
                        &policy("abc123"),
                    )
                })
                .collect()
        };
        let assessment = score(checks, Vec::new(), &policy("abc123"));
        assert_eq!(
            assessment.verdict,
            Verdict::Certified,
            "{:?}",
            assessment.reasons
        );
        let without_commit = score(assessment.checks.clone(), Vec::new(), &Policy::new(now()));
        assert_eq!(without_commit.verdict, Verdict::Conditional);
    }

    #[test]
    fn an_exempted_finding_is_shown_but_does_not_count_until_it_expires() {
        use crate::audit::{Evaluation, Finding};
        let finding = Finding {
            rule: "redis.maxmemory".to_owned(),
            title: "Redis has a memory limit".to_owned(),
            category: Category::Infrastructure,
            severity: Severity::Critical,
            evaluation: Evaluation::fail("maxmemory is 0: Redis grows until the OOM killer acts"),
            why: String::new(),
            fix: String::new(),
        };
        let exemption = |days: i64| Exemption {
            rule: "redis.maxmemory".to_owned(),
            reason: "container memory limit enforced by the orchestrator".to_owned(),
            expires_on: (now() + chrono::Duration::days(days)).date_naive(),
        };
        let audit = |exemptions| AuditInput {
            findings: vec![finding.clone()],
            evidence: vec![4],
            exemptions,
            ..AuditInput::default()
        };
        let current = assess(&[], &[], &audit(vec![exemption(30)]), &policy("abc123"));
        let check = check(&current, "rule:redis.maxmemory");
        assert_eq!(check.outcome, Outcome::Fail, "still shown as it is");
        assert!(
            check
                .exempted
                .as_deref()
                .unwrap()
                .starts_with("container memory limit")
        );
        assert_ne!(current.verdict, Verdict::NotCertified);
        assert!(
            current
                .reasons
                .iter()
                .any(|r| r.starts_with("exempted: Redis has a memory limit"))
        );

        let expired = assess(&[], &[], &audit(vec![exemption(-1)]), &policy("abc123"));
        assert_eq!(check_of(&expired, "rule:redis.maxmemory").exempted, None);
        assert_eq!(
            expired.verdict,
            Verdict::NotCertified,
            "a failed critical rule counts again"
        );
    }

    fn check_of<'a>(assessment: &'a Assessment, id: &str) -> &'a Check {
        check(assessment, id)
    }
}
