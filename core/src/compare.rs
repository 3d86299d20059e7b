//! Two runs side by side: every figure and every endpoint, with the absolute
//! and relative change, and for raw runs a judgement of the change against
//! the runs' own noise.
//!
//! The noise of a percentile is estimated without resampling, from order
//! statistics: in a sample of `n` independent latencies, the number below
//! the true `q`-quantile is Binomial(n, q), so the sample quantile's rank
//! varies by about `sqrt(n q (1 - q))` ranks. Reading the run's latency
//! histogram `z` standard deviations of rank on either side of the estimate
//! gives a distribution-free confidence interval for the quantile (the
//! classic interval for quantiles, see Conover, *Practical Nonparametric
//! Statistics*, 3rd ed., section 3.2), and its half-width over `z` is the
//! estimate's standard error. Two runs are independent, so the standard error
//! of the difference is the root of the sum of squares. This is what a
//! bootstrap of the quantile would approximate, computed exactly and
//! deterministically: the same two runs always give the same verdict. The
//! histogram's own resolution (bins 1 % wide) is added to the interval, so
//! it errs on the side of "no significant change".

use crate::run::{Endpoint, Run};
use crate::stats::{Histogram, SKETCH_RELATIVE_ERROR};
use serde::{Deserialize, Serialize};

/// The z-score of a two-sided 95 % interval.
const Z_95: f64 = 1.959_963_984_540_054;

/// What a change means, once noise is taken into account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Significance {
    /// Worse beyond the noise.
    Regression,
    /// Better beyond the noise.
    Improvement,
    /// Within the noise of the two runs.
    NoSignificantChange,
    /// At least one run is a summary: its noise is unknown.
    NoNoiseEstimate,
}

/// One figure in both runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub figure: String,
    pub baseline: Option<f64>,
    pub candidate: Option<f64>,
    /// `candidate - baseline`.
    pub change: Option<f64>,
    /// The change as a fraction of the baseline.
    pub relative: Option<f64>,
    /// A 95 % confidence interval of the change, when the noise is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<(f64, f64)>,
    /// Present for figures whose change can be judged against noise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub significance: Option<Significance>,
}

impl Change {
    fn new(figure: &str, baseline: Option<f64>, candidate: Option<f64>) -> Change {
        let change = baseline.zip(candidate).map(|(a, b)| b - a);
        let relative = baseline
            .zip(change)
            .filter(|(a, _)| *a != 0.0)
            .map(|(a, d)| d / a.abs());
        Change {
            figure: figure.to_owned(),
            baseline,
            candidate,
            change,
            relative,
            interval: None,
            significance: None,
        }
    }
}

/// The changes of one endpoint, matched by name and method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointChange {
    pub name: String,
    pub method: Option<String>,
    /// Whether the endpoint is in each run.
    pub in_baseline: bool,
    pub in_candidate: bool,
    pub changes: Vec<Change>,
}

/// Two runs compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Whether both runs are raw, so latency changes are judged against
    /// noise.
    pub noise_estimated: bool,
    pub figures: Vec<Change>,
    pub endpoints: Vec<EndpointChange>,
}

/// The interval and verdict of a latency percentile's change, from both
/// runs' histograms; lower latency is better.
fn percentile_change(change: &mut Change, p: f64, a: Option<&Histogram>, b: Option<&Histogram>) {
    // A figure missing on either side has no change to judge.
    if change.baseline.is_none() || change.candidate.is_none() {
        return;
    }
    let (Some(a), Some(b)) = (a, b) else {
        change.significance = Some(Significance::NoNoiseEstimate);
        return;
    };
    let (Some(error_a), Some(error_b)) = (standard_error(a, p), standard_error(b, p)) else {
        change.significance = Some(Significance::NoNoiseEstimate);
        return;
    };
    let (Some(base), Some(cand)) = (change.baseline, change.candidate) else {
        return;
    };
    let diff = cand - base;
    let resolution = (base.abs() + cand.abs()) * SKETCH_RELATIVE_ERROR;
    let half = Z_95 * (error_a.powi(2) + error_b.powi(2)).sqrt() + resolution;
    change.interval = Some((diff - half, diff + half));
    change.significance = Some(if diff - half > 0.0 {
        Significance::Regression
    } else if diff + half < 0.0 {
        Significance::Improvement
    } else {
        Significance::NoSignificantChange
    });
}

/// The standard error of a percentile estimate, from the spread of the
/// histogram around its rank (see the module doc).
fn standard_error(histogram: &Histogram, p: f64) -> Option<f64> {
    let n = histogram.count() as f64;
    if n < 2.0 {
        return None;
    }
    let q = (p / 100.0).clamp(0.0, 1.0);
    let rank = q * (n - 1.0);
    let spread = Z_95 * (n * q * (1.0 - q)).sqrt();
    let low = histogram.value_at_rank(rank - spread)?;
    let high = histogram.value_at_rank(rank + spread)?;
    Some((high - low) / (2.0 * Z_95))
}

/// Error rates compared by a two-proportion z-test, which the exact counts
/// allow; more errors is worse.
fn error_rate_change(
    change: &mut Change,
    a: (Option<u64>, Option<u64>),
    b: (Option<u64>, Option<u64>),
) {
    let (Some(n1), Some(f1), Some(n2), Some(f2)) = (a.0, a.1, b.0, b.1) else {
        return;
    };
    if n1 == 0 || n2 == 0 {
        return;
    }
    let (p1, p2) = (f1 as f64 / n1 as f64, f2 as f64 / n2 as f64);
    let pooled = (f1 + f2) as f64 / (n1 + n2) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    let diff = p2 - p1;
    let half = Z_95 * se;
    change.interval = Some((diff - half, diff + half));
    change.significance = Some(if se == 0.0 && diff == 0.0 {
        Significance::NoSignificantChange
    } else if diff - half > 0.0 {
        Significance::Regression
    } else if diff + half < 0.0 {
        Significance::Improvement
    } else {
        Significance::NoSignificantChange
    });
}

fn latency_changes(
    a: &crate::run::Latency,
    b: &crate::run::Latency,
    ha: Option<&Histogram>,
    hb: Option<&Histogram>,
) -> Vec<Change> {
    let mut changes = vec![
        Change::new("latency_min_ms", a.min, b.min),
        Change::new("latency_avg_ms", a.avg, b.avg),
    ];
    for (name, p, va, vb) in [
        ("latency_p50_ms", 50.0, a.p50, b.p50),
        ("latency_p90_ms", 90.0, a.p90, b.p90),
        ("latency_p95_ms", 95.0, a.p95, b.p95),
        ("latency_p99_ms", 99.0, a.p99, b.p99),
    ] {
        let mut change = Change::new(name, va, vb);
        if p != 90.0 {
            percentile_change(&mut change, p, ha, hb);
        }
        changes.push(change);
    }
    changes.push(Change::new("latency_max_ms", a.max, b.max));
    changes
}

/// Compares a candidate run with a baseline run.
pub fn compare(baseline: &Run, candidate: &Run) -> Comparison {
    let noise_estimated =
        baseline.latency_histogram.is_some() && candidate.latency_histogram.is_some();
    let mut figures = vec![
        Change::new(
            "requests",
            baseline.requests.map(|v| v as f64),
            candidate.requests.map(|v| v as f64),
        ),
        Change::new(
            "failed",
            baseline.failed.map(|v| v as f64),
            candidate.failed.map(|v| v as f64),
        ),
    ];
    let mut error_rate = Change::new("error_rate", baseline.error_rate, candidate.error_rate);
    error_rate_change(
        &mut error_rate,
        (baseline.requests, baseline.failed),
        (candidate.requests, candidate.failed),
    );
    figures.push(error_rate);
    figures.push(Change::new(
        "throughput_rps",
        baseline.throughput_rps,
        candidate.throughput_rps,
    ));
    figures.push(Change::new(
        "vus_max",
        baseline.vus_max.map(|v| v as f64),
        candidate.vus_max.map(|v| v as f64),
    ));
    figures.push(Change::new(
        "duration_s",
        baseline.duration_s,
        candidate.duration_s,
    ));
    figures.extend(latency_changes(
        &baseline.latency_ms,
        &candidate.latency_ms,
        baseline.latency_histogram.as_ref(),
        candidate.latency_histogram.as_ref(),
    ));

    let key = |e: &Endpoint| (e.name.clone(), e.method.clone());
    let mut names: Vec<(String, Option<String>)> = baseline.endpoints.iter().map(key).collect();
    for e in &candidate.endpoints {
        if !names.contains(&key(e)) {
            names.push(key(e));
        }
    }
    let empty = crate::run::Latency::default();
    let endpoints = names
        .into_iter()
        .map(|(name, method)| {
            let find = |run: &'_ Run| -> Option<Endpoint> {
                run.endpoints
                    .iter()
                    .find(|e| e.name == name && e.method == method)
                    .cloned()
            };
            let (a, b) = (find(baseline), find(candidate));
            let mut changes = vec![Change::new(
                "requests",
                a.as_ref().and_then(|e| e.requests).map(|v| v as f64),
                b.as_ref().and_then(|e| e.requests).map(|v| v as f64),
            )];
            let mut failed = Change::new(
                "failed",
                a.as_ref().and_then(|e| e.failed).map(|v| v as f64),
                b.as_ref().and_then(|e| e.failed).map(|v| v as f64),
            );
            failed.figure = "failed".to_owned();
            changes.push(failed);
            changes.extend(latency_changes(
                a.as_ref().map_or(&empty, |e| &e.latency_ms),
                b.as_ref().map_or(&empty, |e| &e.latency_ms),
                a.as_ref().and_then(|e| e.latency_histogram.as_ref()),
                b.as_ref().and_then(|e| e.latency_histogram.as_ref()),
            ));
            EndpointChange {
                name,
                method,
                in_baseline: a.is_some(),
                in_candidate: b.is_some(),
                changes,
            }
        })
        .collect();
    Comparison {
        noise_estimated,
        figures,
        endpoints,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::RunBuilder;

    /// A run of `n` requests whose latencies follow a log-normal
    /// distribution (median `median` ms), drawn from a fixed seed.
    fn run(n: usize, median: f64, seed: u64) -> Run {
        let mut state = seed;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut builder = RunBuilder::new("test", "test", "test");
        let endpoint = builder.endpoint("home", Some("GET"));
        for i in 0..n {
            // Box-Muller: a standard normal from two uniforms.
            let (u1, u2) = (uniform().max(1e-12), uniform());
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            let latency = median * (0.5 * z).exp();
            builder.request(1.7e12 + i as f64 * 10.0, latency, endpoint, Some(false));
        }
        builder.finish().unwrap()
    }

    fn significance(comparison: &Comparison, figure: &str) -> Option<Significance> {
        comparison
            .figures
            .iter()
            .find(|c| c.figure == figure)
            .and_then(|c| c.significance)
    }

    #[test]
    fn two_samples_of_one_distribution_show_no_significant_change() {
        let comparison = compare(&run(5000, 100.0, 1), &run(5000, 100.0, 1001));
        assert!(comparison.noise_estimated);
        for figure in ["latency_p50_ms", "latency_p95_ms", "latency_p99_ms"] {
            assert_eq!(
                significance(&comparison, figure),
                Some(Significance::NoSignificantChange)
            );
        }
        // A 95 % interval flags about one pair in twenty by chance; over 40
        // pairs, more than 6 flags (P < 0.5 % if calibrated) would mean the
        // intervals are too narrow.
        for figure in ["latency_p50_ms", "latency_p95_ms", "latency_p99_ms"] {
            let flagged = (1..=40)
                .filter(|seed| {
                    let comparison =
                        compare(&run(3000, 100.0, *seed), &run(3000, 100.0, seed + 1000));
                    significance(&comparison, figure) != Some(Significance::NoSignificantChange)
                })
                .count();
            assert!(
                flagged <= 6,
                "{figure}: {flagged} of 40 identical pairs flagged"
            );
        }
    }

    #[test]
    fn a_twenty_percent_shift_is_a_regression_and_back_an_improvement() {
        let (a, b) = (run(5000, 100.0, 7), run(5000, 120.0, 8));
        let comparison = compare(&a, &b);
        for figure in ["latency_p50_ms", "latency_p95_ms", "latency_p99_ms"] {
            assert_eq!(
                significance(&comparison, figure),
                Some(Significance::Regression),
                "{figure}"
            );
        }
        let p95 = comparison
            .figures
            .iter()
            .find(|c| c.figure == "latency_p95_ms")
            .unwrap();
        let relative = p95.relative.unwrap();
        assert!((0.1..0.3).contains(&relative), "{relative}");
        let back = compare(&b, &a);
        assert_eq!(
            significance(&back, "latency_p95_ms"),
            Some(Significance::Improvement)
        );
        assert_eq!(back.endpoints[0].name, "home");
        assert_eq!(
            back.endpoints[0]
                .changes
                .iter()
                .find(|c| c.figure == "latency_p95_ms")
                .unwrap()
                .significance,
            Some(Significance::Improvement)
        );
    }

    #[test]
    fn summaries_have_no_noise_estimate() {
        let mut a = run(100, 100.0, 1);
        a.latency_histogram = None;
        let b = run(100, 100.0, 2);
        let comparison = compare(&a, &b);
        assert!(!comparison.noise_estimated);
        assert_eq!(
            significance(&comparison, "latency_p95_ms"),
            Some(Significance::NoNoiseEstimate)
        );
    }

    #[test]
    fn error_rates_are_judged_by_their_counts() {
        let mut a = run(10, 100.0, 1);
        let mut b = a.clone();
        (a.requests, a.failed) = (Some(10_000), Some(10));
        (b.requests, b.failed) = (Some(10_000), Some(60));
        assert_eq!(
            significance(&compare(&a, &b), "error_rate"),
            Some(Significance::Regression)
        );
        b.failed = Some(12);
        assert_eq!(
            significance(&compare(&a, &b), "error_rate"),
            Some(Significance::NoSignificantChange)
        );
    }
}
