//! The normalized run: the contract between parsers, API, CLI and UI
//! (DESIGN.md, "The normalized run").
//!
//! A figure that the input does not carry is `None` (JSON `null`), never
//! estimated and never copied from another figure.

use crate::stats::Histogram;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How the figures of a run were obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exactness {
    /// Computed from every sample.
    Exact,
    /// Computed from a histogram or sketch, within `error_bound`.
    Approximate,
    /// Copied from the tool's own summary.
    Reported,
}

impl Exactness {
    pub fn as_str(self) -> &'static str {
        match self {
            Exactness::Exact => "exact",
            Exactness::Approximate => "approximate",
            Exactness::Reported => "reported",
        }
    }
}

/// What kind of load the run applied, which decides the criteria it is
/// judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ScenarioKind {
    RampUp,
    Sustained,
    Spike,
    Soak,
    Stress,
    #[default]
    Unspecified,
}

impl ScenarioKind {
    pub const ALL: [ScenarioKind; 6] = [
        ScenarioKind::RampUp,
        ScenarioKind::Sustained,
        ScenarioKind::Spike,
        ScenarioKind::Soak,
        ScenarioKind::Stress,
        ScenarioKind::Unspecified,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ScenarioKind::RampUp => "ramp-up",
            ScenarioKind::Sustained => "sustained",
            ScenarioKind::Spike => "spike",
            ScenarioKind::Soak => "soak",
            ScenarioKind::Stress => "stress",
            ScenarioKind::Unspecified => "unspecified",
        }
    }
}

impl fmt::Display for ScenarioKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The scenario name was none of the known kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownScenario(pub String);

impl fmt::Display for UnknownScenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = ScenarioKind::ALL.iter().map(|k| k.as_str()).collect();
        write!(
            f,
            "unknown scenario `{}`: expected one of {}",
            self.0,
            known.join(", ")
        )
    }
}

impl std::error::Error for UnknownScenario {}

impl FromStr for ScenarioKind {
    type Err = UnknownScenario;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalized = s.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        let kind = match normalized.as_str() {
            "ramp-up" | "rampup" | "ramp" => ScenarioKind::RampUp,
            "sustained" | "load" | "steady" => ScenarioKind::Sustained,
            "spike" => ScenarioKind::Spike,
            "soak" | "endurance" => ScenarioKind::Soak,
            "stress" => ScenarioKind::Stress,
            "unspecified" | "" => ScenarioKind::Unspecified,
            _ => return Err(UnknownScenario(s.to_owned())),
        };
        Ok(kind)
    }
}

/// Latency statistics in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub min: Option<f64>,
    pub avg: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

/// Figures for one endpoint (a request name and method).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    pub name: String,
    pub method: Option<String>,
    pub requests: Option<u64>,
    pub failed: Option<u64>,
    pub latency_ms: Latency,
    /// The endpoint's latency distribution, for raw formats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_histogram: Option<Histogram>,
}

/// One bucket of the run's time series. `t` is the bucket's start in seconds
/// from the whole second in which the run began.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    pub t: f64,
    pub requests: u64,
    pub failed: u64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub vus: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub bucket_s: f64,
    pub points: Vec<SeriesPoint>,
}

/// A threshold or assertion that the load-test tool itself evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    pub metric: String,
    pub expression: String,
    pub ok: bool,
}

/// A load-test result in the form every part of Readiness understands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// The detected input format, such as `k6-summary`.
    pub format: String,
    pub tool: String,
    pub tool_version: Option<String>,
    pub exactness: Exactness,
    /// For approximate figures, the largest relative error of a percentile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_bound: Option<f64>,
    pub scenario: ScenarioKind,
    pub started_at: Option<DateTime<Utc>>,
    pub duration_s: Option<f64>,
    pub requests: Option<u64>,
    pub failed: Option<u64>,
    pub error_rate: Option<f64>,
    pub throughput_rps: Option<f64>,
    pub vus_max: Option<u64>,
    pub latency_ms: Latency,
    pub endpoints: Vec<Endpoint>,
    pub series: Option<Series>,
    pub thresholds: Vec<Threshold>,
    /// The latency distribution of every request, for raw formats: what
    /// comparisons judge changes against noise with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_histogram: Option<Histogram>,
}

impl Run {
    /// An empty run of the given format, with every figure unknown.
    pub fn empty(format: &str, tool: &str, exactness: Exactness) -> Self {
        Run {
            format: format.to_owned(),
            tool: tool.to_owned(),
            tool_version: None,
            exactness,
            error_bound: None,
            scenario: ScenarioKind::Unspecified,
            started_at: None,
            duration_s: None,
            requests: None,
            failed: None,
            error_rate: None,
            throughput_rps: None,
            vus_max: None,
            latency_ms: Latency::default(),
            endpoints: Vec::new(),
            series: None,
            thresholds: Vec::new(),
            latency_histogram: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_parse_in_the_usual_spellings() {
        assert_eq!("ramp-up".parse(), Ok(ScenarioKind::RampUp));
        assert_eq!("Ramp_Up".parse(), Ok(ScenarioKind::RampUp));
        assert_eq!("soak".parse(), Ok(ScenarioKind::Soak));
        let err = "warmup".parse::<ScenarioKind>().unwrap_err();
        assert!(err.to_string().contains("expected one of ramp-up"));
    }

    #[test]
    fn missing_figures_serialize_as_null() {
        let run = Run::empty("k6-summary", "k6", Exactness::Reported);
        let json = serde_json::to_value(&run).unwrap();
        assert!(json["latency_ms"]["p99"].is_null());
        assert!(json["requests"].is_null());
        assert_eq!(json["exactness"], "reported");
        assert_eq!(json["scenario"], "unspecified");
    }
}
