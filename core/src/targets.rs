//! Targets: a metric, a comparison and a threshold, and the check of a
//! measured figure against one (DESIGN.md, "Words" and the default targets).

use serde::{Deserialize, Serialize};
use std::fmt;

/// What a target measures. Thresholds are held in the metric's base unit:
/// milliseconds, a ratio (0.001 = 0.1 %), requests per second, or users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    P95,
    P99,
    ErrorRate,
    Throughput,
    Users,
    DbQueryP95,
    CacheHitRate,
}

impl Metric {
    /// The name used in target expressions and the API.
    pub fn name(self) -> &'static str {
        match self {
            Metric::P95 => "p95",
            Metric::P99 => "p99",
            Metric::ErrorRate => "error_rate",
            Metric::Throughput => "throughput",
            Metric::Users => "users",
            Metric::DbQueryP95 => "db_query_p95",
            Metric::CacheHitRate => "cache_hit_rate",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Metric::P95 => "p95 latency",
            Metric::P99 => "p99 latency",
            Metric::ErrorRate => "error rate",
            Metric::Throughput => "throughput",
            Metric::Users => "concurrent users",
            Metric::DbQueryP95 => "database query time (p95)",
            Metric::CacheHitRate => "cache hit rate",
        }
    }

    /// Formats a value of this metric with its unit, as people write it.
    pub fn format_value(self, value: f64) -> String {
        match self {
            Metric::P95 | Metric::P99 | Metric::DbQueryP95 => format_ms(value),
            Metric::ErrorRate | Metric::CacheHitRate => format_ratio(value),
            Metric::Throughput => format!("{}/s", trim_number(value, 1)),
            Metric::Users => trim_number(value, 0),
        }
    }
}

/// How a measured value must compare to the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Comparison {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

impl Comparison {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
        }
    }

    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Lt => value < threshold,
            Comparison::Le => value <= threshold,
            Comparison::Gt => value > threshold,
            Comparison::Ge => value >= threshold,
        }
    }
}

/// The result of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Warn,
    Fail,
    /// The evidence the check needs is missing, too old, or from another
    /// commit. Never counted as passed.
    Unverified,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Warn => "warn",
            Outcome::Fail => "fail",
            Outcome::Unverified => "unverified",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A target such as `p95 < 500ms`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub metric: Metric,
    pub comparison: Comparison,
    pub threshold: f64,
}

impl Target {
    pub const fn new(metric: Metric, comparison: Comparison, threshold: f64) -> Self {
        Target {
            metric,
            comparison,
            threshold,
        }
    }

    /// Checks a measured value: a missing value is unverified, never passed.
    pub fn check(&self, measured: Option<f64>) -> Outcome {
        match measured {
            None => Outcome::Unverified,
            Some(v) if v.is_nan() => Outcome::Unverified,
            Some(v) if self.comparison.holds(v, self.threshold) => Outcome::Pass,
            Some(_) => Outcome::Fail,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.metric.name(),
            self.comparison.symbol(),
            self.metric.format_value(self.threshold)
        )
    }
}

/// The targets a new project starts with (DESIGN.md).
pub fn default_targets() -> Vec<Target> {
    vec![
        Target::new(Metric::P95, Comparison::Lt, 500.0),
        Target::new(Metric::P99, Comparison::Lt, 1000.0),
        Target::new(Metric::ErrorRate, Comparison::Lt, 0.001),
        Target::new(Metric::Throughput, Comparison::Gt, 100.0),
        Target::new(Metric::Users, Comparison::Ge, 100.0),
        Target::new(Metric::DbQueryP95, Comparison::Lt, 200.0),
        Target::new(Metric::CacheHitRate, Comparison::Gt, 0.9),
    ]
}

/// Milliseconds as people read them: `432 ms`, `1.25 s`.
pub fn format_ms(ms: f64) -> String {
    if ms.abs() >= 1000.0 {
        format!("{} s", trim_number(ms / 1000.0, 2))
    } else if ms.abs() >= 100.0 {
        format!("{} ms", trim_number(ms, 0))
    } else if ms.abs() >= 10.0 {
        format!("{} ms", trim_number(ms, 1))
    } else {
        format!("{} ms", trim_number(ms, 2))
    }
}

/// A ratio as a percentage: `0.28 %`, `39.7 %`.
pub fn format_ratio(ratio: f64) -> String {
    let pct = ratio * 100.0;
    let digits = if pct == 0.0 || pct.abs() >= 10.0 {
        1
    } else if pct.abs() >= 1.0 {
        2
    } else {
        3
    };
    format!("{} %", trim_number(pct, digits))
}

/// A number with at most `digits` decimals and no trailing zeros.
pub fn trim_number(value: f64, digits: usize) -> String {
    let text = format!("{value:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_figure_is_unverified_never_passed() {
        let target = Target::new(Metric::P99, Comparison::Lt, 1000.0);
        assert_eq!(target.check(None), Outcome::Unverified);
        assert_eq!(target.check(Some(999.9)), Outcome::Pass);
        assert_eq!(target.check(Some(1000.0)), Outcome::Fail);
    }

    #[test]
    fn default_targets_read_as_people_write_them() {
        let written: Vec<String> = default_targets().iter().map(ToString::to_string).collect();
        assert_eq!(
            written,
            [
                "p95 < 500 ms",
                "p99 < 1 s",
                "error_rate < 0.1 %",
                "throughput > 100/s",
                "users >= 100",
                "db_query_p95 < 200 ms",
                "cache_hit_rate > 90 %",
            ]
        );
    }

    #[test]
    fn figures_are_formatted_with_sensible_precision() {
        assert_eq!(format_ms(434.43), "434 ms");
        assert_eq!(format_ms(1776.5), "1.78 s");
        assert_eq!(format_ms(5.3), "5.3 ms");
        assert_eq!(format_ratio(0.0028), "0.28 %");
        assert_eq!(format_ratio(0.39749), "39.7 %");
        assert_eq!(format_ratio(0.0), "0 %");
    }
}
