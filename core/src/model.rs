//! Records the store keeps and the UI, API and CLI show: projects, runs with
//! their provenance, and the figures a run offers to each target metric.

use crate::run::{Run, ScenarioKind};
use crate::targets::Metric;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A project as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectSummary {
    pub slug: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub run_count: u64,
    pub last_upload_at: Option<DateTime<Utc>>,
}

/// Where an artifact came from, as CI or the uploader said.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub environment: Option<String>,
    pub ci_job_url: Option<String>,
    pub label: Option<String>,
}

/// A run with its headline figures, as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: i64,
    pub sha256: String,
    pub scenario: ScenarioKind,
    pub format: String,
    pub uploaded_at: DateTime<Utc>,
    #[serde(flatten)]
    pub provenance: Provenance,
    pub requests: Option<u64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub error_rate: Option<f64>,
    pub throughput_rps: Option<f64>,
    pub vus_max: Option<u64>,
}

impl RunSummary {
    /// The headline figures of a normalized run.
    pub fn figures_of(run: &Run) -> RunFigures {
        RunFigures {
            requests: run.requests,
            p95_ms: run.latency_ms.p95,
            p99_ms: run.latency_ms.p99,
            error_rate: run.error_rate,
            throughput_rps: run.throughput_rps,
            vus_max: run.vus_max,
        }
    }

    /// The measured value this run offers for a target metric.
    pub fn figure(&self, metric: Metric) -> Option<f64> {
        match metric {
            Metric::P95 => self.p95_ms,
            Metric::P99 => self.p99_ms,
            Metric::ErrorRate => self.error_rate,
            Metric::Throughput => self.throughput_rps,
            Metric::Users => self.vus_max.map(|v| v as f64),
            Metric::DbQueryP95 | Metric::CacheHitRate => None,
        }
    }
}

/// The headline figures stored beside a run for listing and sorting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunFigures {
    pub requests: Option<u64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub error_rate: Option<f64>,
    pub throughput_rps: Option<f64>,
    pub vus_max: Option<u64>,
}

/// One file inside a bundle artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactEntry {
    pub name: String,
    pub sha256: String,
    pub size: u64,
}

/// A run with everything known about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDetail {
    pub summary: RunSummary,
    pub project_slug: String,
    pub project_name: String,
    pub file_name: String,
    pub size: u64,
    /// The files inside the artifact when it is a bundle; empty otherwise.
    pub entries: Vec<ArtifactEntry>,
    pub run: Run,
}

/// The run metrics a load test measures, in the order pages show them.
pub const RUN_METRICS: [Metric; 5] = [
    Metric::P95,
    Metric::P99,
    Metric::ErrorRate,
    Metric::Throughput,
    Metric::Users,
];

/// Checks a project slug: 1 to 64 lowercase letters, digits and hyphens,
/// starting with a letter or digit. Slugs appear in URLs and CLI flags.
pub fn validate_slug(slug: &str) -> Result<(), String> {
    let valid_chars = slug
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if slug.is_empty() || slug.len() > 64 || !valid_chars || slug.starts_with('-') {
        return Err(format!(
            "invalid project slug `{slug}`: expected 1 to 64 lowercase letters, digits and \
             hyphens, starting with a letter or digit (for example `chom-api`)"
        ));
    }
    Ok(())
}

/// Checks a project's display name: not blank, at most 200 characters.
pub fn validate_project_name(name: &str) -> Result<(), String> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 200 {
        return Err(
            "invalid project name: expected 1 to 200 characters, not only spaces".to_owned(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_url_safe() {
        assert!(validate_slug("chom").is_ok());
        assert!(validate_slug("chom-api-2").is_ok());
        assert!(validate_slug("").is_err());
        assert!(validate_slug("-chom").is_err());
        assert!(validate_slug("Chom").is_err());
        assert!(validate_slug("chom/api").is_err());
        assert!(validate_slug(&"a".repeat(65)).is_err());
    }
}

/// One stored artifact as the evidence list shows it: what it is, where it
/// came from, and the run or audit upload it became.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArtifactListing {
    pub artifact_id: i64,
    pub sha256: String,
    pub file_name: String,
    pub size: u64,
    /// The detected result format of a run (`k6-summary`, `jmeter-jtl`…).
    pub format: String,
    pub uploaded_at: DateTime<Utc>,
    pub provenance: Provenance,
    /// Set for a load-test result: the run it became and its scenario.
    pub run: Option<(i64, crate::run::ScenarioKind)>,
    /// Set for audit evidence: the upload's id and what its files are.
    pub evidence: Option<(i64, Vec<crate::audit::Kind>)>,
}
