//! The criteria of each scenario kind, computed from a run's time series
//! (DESIGN.md, "What each category measures").
//!
//! A bucket *holds* the latency and error targets when its p95 and p99 are
//! under the p95 and p99 targets and its error rate (failures over requests,
//! exact) under the error-rate target. Buckets without requests say
//! nothing and are skipped. A stretch of buckets holds the targets when its
//! aggregate error rate and throughput hold and at least 95 % of its buckets
//! hold the latency targets: per-bucket percentiles of a few requests are
//! noisy, and one slow bucket in twenty is not a broken steady state.

use crate::run::{Run, ScenarioKind, SeriesPoint};
use crate::targets::{Metric, Target};
use serde::{Deserialize, Serialize};

/// The share of a stretch's buckets that must hold the latency targets.
pub const HOLDING_SHARE: f64 = 0.95;

/// The default drift a soak may show between its first and last quarter.
pub const DEFAULT_SOAK_TOLERANCE: f64 = 0.10;

/// The outcome of a scenario's criterion, with the figures behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioVerdict {
    pub kind: ScenarioKind,
    /// `true` when the criterion held; `None` when it could not be judged.
    pub held: Option<bool>,
    /// One sentence for people.
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steady: Option<Window>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Capacity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spike: Option<Spike>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soak: Option<Soak>,
}

/// A stretch of the run, in seconds from the series' origin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub from_s: f64,
    pub to_s: f64,
}

/// The highest load at which every target still held.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    pub users: Option<u64>,
    pub throughput_rps: f64,
    /// The first bucket where a target broke, and which.
    pub broke_at_s: Option<f64>,
    pub broke: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spike {
    pub window: Window,
    pub error_rate: Option<f64>,
    /// Seconds from the spike's end until p95 was under target again;
    /// `None` when it never was before the run ended.
    pub recovery_s: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Soak {
    pub first_p95_ms: Option<f64>,
    pub last_p95_ms: Option<f64>,
    pub p95_drift: Option<f64>,
    pub first_error_rate: Option<f64>,
    pub last_error_rate: Option<f64>,
    pub error_rate_drift: Option<f64>,
    /// Least-squares slope of the buckets' p95, in ms per hour.
    pub p95_slope_ms_per_hour: Option<f64>,
    pub tolerance: f64,
}

/// The latency and error targets a bucket is held to.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    pub p95: Option<Target>,
    pub p99: Option<Target>,
    pub error_rate: Option<Target>,
    pub throughput: Option<Target>,
    pub users: Option<Target>,
}

impl Limits {
    /// The unscoped run targets among a project's targets.
    pub fn from_targets(targets: &[Target]) -> Limits {
        let find = |metric: Metric| crate::targets::whole_run_target(targets, metric).cloned();
        Limits {
            p95: find(Metric::P95),
            p99: find(Metric::P99),
            error_rate: find(Metric::ErrorRate),
            throughput: find(Metric::Throughput),
            users: find(Metric::Users),
        }
    }

    /// The targets a bucket breaks, by name.
    fn broken_by(&self, point: &SeriesPoint) -> Vec<String> {
        let mut broken = Vec::new();
        if point.requests == 0 {
            return broken;
        }
        for (target, value) in [
            (&self.p95, point.p95_ms),
            (&self.p99, point.p99_ms),
            (
                &self.error_rate,
                Some(point.failed as f64 / point.requests as f64),
            ),
        ] {
            if let (Some(target), Some(value)) = (target, value)
                && !target.comparison.holds(value, target.threshold)
            {
                broken.push(target.to_string());
            }
        }
        broken
    }
}

fn error_rate(points: &[&SeriesPoint]) -> Option<f64> {
    let requests: u64 = points.iter().map(|p| p.requests).sum();
    let failed: u64 = points.iter().map(|p| p.failed).sum();
    (requests > 0).then(|| failed as f64 / requests as f64)
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    crate::stats::percentile_sorted(&values, 50.0)
}

/// The load of each bucket: its users when the run has them, else its
/// requests.
fn loads(points: &[SeriesPoint]) -> Vec<f64> {
    let has_users = points.iter().any(|p| p.vus.is_some());
    points
        .iter()
        .map(|p| {
            if has_users {
                p.vus.unwrap_or(0) as f64
            } else {
                p.requests as f64
            }
        })
        .collect()
}

/// Judges a run by the criterion of its scenario kind.
pub fn judge(run: &Run, limits: &Limits, soak_tolerance: f64) -> ScenarioVerdict {
    let kind = run.scenario;
    let unverified = |summary: &str| ScenarioVerdict {
        kind,
        held: None,
        summary: summary.to_owned(),
        steady: None,
        capacity: None,
        spike: None,
        soak: None,
    };
    let Some(series) = run
        .series
        .as_ref()
        .filter(|s| s.points.iter().any(|p| p.requests > 0))
    else {
        return unverified(
            "the run has no time series (a summary): upload the tool's raw results to judge it",
        );
    };
    let points = &series.points;
    let bucket_s = series.bucket_s;
    match kind {
        ScenarioKind::Sustained => sustained(points, bucket_s, limits),
        ScenarioKind::RampUp | ScenarioKind::Stress => capacity(kind, points, bucket_s, limits),
        ScenarioKind::Spike => spike(points, bucket_s, limits),
        ScenarioKind::Soak => soak(points, limits, soak_tolerance),
        ScenarioKind::Unspecified => unverified(
            "the run's scenario kind is unspecified: upload it with ?scenario= to judge it",
        ),
    }
}

fn sustained(points: &[SeriesPoint], bucket_s: f64, limits: &Limits) -> ScenarioVerdict {
    let loads = loads(points);
    let peak = loads.iter().copied().fold(0.0, f64::max);
    // The steady state is the longest stretch at 90 % of the peak load (80 %
    // when the load is the request rate, which fluctuates more); the ramps
    // before and after it are left out.
    let level = if points.iter().any(|p| p.vus.is_some()) {
        0.9
    } else {
        0.8
    } * peak;
    let mut best: Option<(usize, usize)> = None;
    let mut start = None;
    for (i, load) in loads.iter().enumerate() {
        if *load >= level && *load > 0.0 {
            let s = *start.get_or_insert(i);
            if best.is_none_or(|(a, b)| i + 1 - s > b - a) {
                best = Some((s, i + 1));
            }
        } else {
            start = None;
        }
    }
    let mut verdict = ScenarioVerdict {
        kind: ScenarioKind::Sustained,
        held: None,
        summary: String::new(),
        steady: None,
        capacity: None,
        spike: None,
        soak: None,
    };
    let Some((from, to)) = best.filter(|(a, b)| b - a >= 3) else {
        verdict.summary = "no steady state of at least three buckets at the peak load".to_owned();
        return verdict;
    };
    let stretch: Vec<&SeriesPoint> = points[from..to].iter().collect();
    verdict.steady = Some(Window {
        from_s: points[from].t,
        to_s: points[to - 1].t + bucket_s,
    });
    let with_requests: Vec<&&SeriesPoint> = stretch.iter().filter(|p| p.requests > 0).collect();
    let holding = with_requests
        .iter()
        .filter(|p| limits.broken_by(p).is_empty())
        .count();
    let share = holding as f64 / with_requests.len().max(1) as f64;
    let rate = error_rate(&stretch);
    let throughput =
        stretch.iter().map(|p| p.requests).sum::<u64>() as f64 / (stretch.len() as f64 * bucket_s);
    let mut broken = Vec::new();
    if share < HOLDING_SHARE {
        broken.push(format!(
            "latency targets held in {:.0} % of the steady buckets (at least {:.0} % needed)",
            share * 100.0,
            HOLDING_SHARE * 100.0
        ));
    }
    if let (Some(target), Some(rate)) = (&limits.error_rate, rate)
        && !target.comparison.holds(rate, target.threshold)
    {
        broken.push(format!(
            "error rate {} against {target}",
            Metric::ErrorRate.format_value(rate)
        ));
    }
    if let Some(target) = &limits.throughput
        && !target.comparison.holds(throughput, target.threshold)
    {
        broken.push(format!(
            "throughput {} against {target}",
            Metric::Throughput.format_value(throughput)
        ));
    }
    verdict.held = Some(broken.is_empty());
    verdict.summary = if broken.is_empty() {
        format!(
            "every target held over the steady state ({} s to {} s, {} buckets)",
            points[from].t,
            points[to - 1].t + bucket_s,
            to - from
        )
    } else {
        format!("the steady state broke its targets: {}", broken.join("; "))
    };
    verdict
}

fn capacity(
    kind: ScenarioKind,
    points: &[SeriesPoint],
    bucket_s: f64,
    limits: &Limits,
) -> ScenarioVerdict {
    let first_broken = points.iter().position(|p| !limits.broken_by(p).is_empty());
    let held = &points[..first_broken.unwrap_or(points.len())];
    let users = held
        .iter()
        .filter(|p| p.requests > 0)
        .filter_map(|p| p.vus)
        .max();
    let throughput_rps = held
        .iter()
        .map(|p| p.requests as f64 / bucket_s)
        .fold(0.0, f64::max);
    let capacity = Capacity {
        users,
        throughput_rps,
        broke_at_s: first_broken.map(|i| points[i].t),
        broke: first_broken
            .map(|i| limits.broken_by(&points[i]))
            .unwrap_or_default(),
    };
    let mut failures = Vec::new();
    if let (Some(target), Some(users)) = (&limits.users, users)
        && !target.comparison.holds(users as f64, target.threshold)
    {
        failures.push(format!("{users} users against {target}"));
    }
    if let Some(target) = &limits.throughput
        && !target.comparison.holds(throughput_rps, target.threshold)
    {
        failures.push(format!(
            "{} against {target}",
            Metric::Throughput.format_value(throughput_rps)
        ));
    }
    let load = match users {
        Some(u) => format!(
            "{u} users and {}",
            Metric::Throughput.format_value(throughput_rps)
        ),
        None => Metric::Throughput.format_value(throughput_rps),
    };
    let summary = match (&capacity.broke_at_s, failures.is_empty()) {
        (Some(at), true) => format!(
            "capacity {load}; the targets first broke at {at} s ({})",
            capacity.broke.join(", ")
        ),
        (None, true) => format!("the targets held up to the highest load applied, {load}"),
        (_, false) => format!("capacity {load} is below target: {}", failures.join("; ")),
    };
    ScenarioVerdict {
        kind,
        held: Some(failures.is_empty()),
        summary,
        steady: None,
        capacity: Some(capacity),
        spike: None,
        soak: None,
    }
}

fn spike(points: &[SeriesPoint], bucket_s: f64, limits: &Limits) -> ScenarioVerdict {
    let loads = loads(points);
    let (peak_at, peak) =
        loads.iter().enumerate().fold(
            (0, 0.0),
            |best, (i, l)| if *l > best.1 { (i, *l) } else { best },
        );
    // The spike is the stretch around the peak above half of it.
    let mut from = peak_at;
    while from > 0 && loads[from - 1] >= peak / 2.0 {
        from -= 1;
    }
    let mut to = peak_at + 1;
    while to < loads.len() && loads[to] >= peak / 2.0 {
        to += 1;
    }
    let window_points: Vec<&SeriesPoint> = points[from..to].iter().collect();
    let rate = error_rate(&window_points);
    let window = Window {
        from_s: points[from].t,
        to_s: points[to - 1].t + bucket_s,
    };
    let recovered = |p: &SeriesPoint| match (&limits.p95, p.p95_ms) {
        (Some(target), Some(v)) => target.comparison.holds(v, target.threshold),
        _ => false,
    };
    let recovery_s = if limits.p95.is_none() {
        None
    } else if points[to - 1].p95_ms.is_some() && recovered(&points[to - 1]) {
        Some(0.0)
    } else {
        points[to..]
            .iter()
            .find(|p| p.requests > 0 && recovered(p))
            .map(|p| p.t - window.to_s + bucket_s)
            .map(|s| s.max(0.0))
    };
    let mut problems = Vec::new();
    if let (Some(target), Some(rate)) = (&limits.error_rate, rate)
        && !target.comparison.holds(rate, target.threshold)
    {
        problems.push(format!(
            "error rate during the spike {} against {target}",
            Metric::ErrorRate.format_value(rate)
        ));
    }
    let held = if limits.p95.is_none() {
        None
    } else if recovery_s.is_none() {
        problems.push("p95 never came back under target before the run ended".to_owned());
        Some(false)
    } else {
        Some(problems.is_empty())
    };
    let summary = match held {
        None => "no p95 target to measure the recovery against".to_owned(),
        Some(true) => format!(
            "spike from {} s to {} s: error rate {}, p95 back under target {} s after it",
            window.from_s,
            window.to_s,
            rate.map(|r| Metric::ErrorRate.format_value(r))
                .unwrap_or_else(|| "unknown".to_owned()),
            recovery_s.unwrap_or(0.0)
        ),
        Some(false) => format!("the spike broke its criteria: {}", problems.join("; ")),
    };
    ScenarioVerdict {
        kind: ScenarioKind::Spike,
        held,
        summary,
        steady: None,
        capacity: None,
        spike: Some(Spike {
            window,
            error_rate: rate,
            recovery_s,
        }),
        soak: None,
    }
}

fn soak(points: &[SeriesPoint], limits: &Limits, tolerance: f64) -> ScenarioVerdict {
    let active: Vec<&SeriesPoint> = points.iter().filter(|p| p.requests > 0).collect();
    let quarter = active.len() / 4;
    let mut verdict = ScenarioVerdict {
        kind: ScenarioKind::Soak,
        held: None,
        summary: String::new(),
        steady: None,
        capacity: None,
        spike: None,
        soak: None,
    };
    if quarter < 2 {
        verdict.summary =
            "too short to compare quarters: at least eight buckets with requests are needed"
                .to_owned();
        return verdict;
    }
    let first = &active[..quarter];
    let last = &active[active.len() - quarter..];
    let p95_of = |part: &[&SeriesPoint]| median(part.iter().filter_map(|p| p.p95_ms).collect());
    let (first_p95, last_p95) = (p95_of(first), p95_of(last));
    let p95_drift = first_p95
        .zip(last_p95)
        .filter(|(a, _)| *a > 0.0)
        .map(|(a, b)| b / a - 1.0);
    let (first_rate, last_rate) = (error_rate(first), error_rate(last));
    let error_rate_drift = first_rate
        .zip(last_rate)
        .filter(|(a, _)| *a > 0.0)
        .map(|(a, b)| b / a - 1.0);
    // Least squares of p95 against time.
    let xy: Vec<(f64, f64)> = active
        .iter()
        .filter_map(|p| p.p95_ms.map(|v| (p.t / 3600.0, v)))
        .collect();
    let slope = (xy.len() >= 2).then(|| {
        let n = xy.len() as f64;
        let mx = xy.iter().map(|(x, _)| x).sum::<f64>() / n;
        let my = xy.iter().map(|(_, y)| y).sum::<f64>() / n;
        let sxy: f64 = xy.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
        let sxx: f64 = xy.iter().map(|(x, _)| (x - mx).powi(2)).sum();
        if sxx > 0.0 { sxy / sxx } else { 0.0 }
    });
    let mut problems = Vec::new();
    if let Some(drift) = p95_drift
        && drift > tolerance
    {
        problems.push(format!("p95 drifted by {:+.1} %", drift * 100.0));
    }
    // Error rates near zero drift by large ratios from a handful of
    // failures; an increase smaller than a tenth of the error-rate target
    // is not drift.
    let negligible = limits
        .error_rate
        .as_ref()
        .map(|t| t.threshold * 0.1)
        .unwrap_or(0.0);
    if let (Some(a), Some(b)) = (first_rate, last_rate)
        && b - a > negligible
        && (a == 0.0 || b / a - 1.0 > tolerance)
    {
        problems.push(format!(
            "error rate rose from {} to {}",
            Metric::ErrorRate.format_value(a),
            Metric::ErrorRate.format_value(b)
        ));
    }
    verdict.held = Some(problems.is_empty());
    verdict.summary = if problems.is_empty() {
        format!(
            "no drift beyond {:.0} % between the first and last quarter (p95 {}, slope {} per hour)",
            tolerance * 100.0,
            p95_drift
                .map(|d| format!("{:+.1} %", d * 100.0))
                .unwrap_or_else(|| "unknown".to_owned()),
            slope
                .map(crate::targets::format_ms)
                .unwrap_or_else(|| "unknown".to_owned())
        )
    } else {
        format!("the run drifted: {}", problems.join("; "))
    };
    verdict.soak = Some(Soak {
        first_p95_ms: first_p95,
        last_p95_ms: last_p95,
        p95_drift,
        first_error_rate: first_rate,
        last_error_rate: last_rate,
        error_rate_drift,
        p95_slope_ms_per_hour: slope,
        tolerance,
    });
    verdict
}

/// The users a run held while its other targets held: from the series when
/// there is one, else the run's peak when every other target held over the
/// whole run.
pub fn users_held(run: &Run, limits: &Limits) -> Result<Option<u64>, String> {
    if let Some(series) = &run.series {
        let first_broken = series
            .points
            .iter()
            .position(|p| !limits.broken_by(p).is_empty());
        let held = &series.points[..first_broken.unwrap_or(series.points.len())];
        return Ok(held
            .iter()
            .filter(|p| p.requests > 0)
            .filter_map(|p| p.vus)
            .max());
    }
    let others = [
        (&limits.p95, run.latency_ms.p95),
        (&limits.p99, run.latency_ms.p99),
        (&limits.error_rate, run.error_rate),
    ];
    for (target, value) in others {
        match (target, value) {
            (Some(target), Some(v)) if !target.comparison.holds(v, target.threshold) => {
                return Err(format!(
                    "{target} did not hold over the run, and a summary has no time series to tell at which load it still held"
                ));
            }
            (Some(target), None) => {
                return Err(format!(
                    "{target} is not measured, so the users it held at are unknown"
                ));
            }
            _ => {}
        }
    }
    Ok(run.vus_max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{Exactness, Series};
    use crate::targets::default_targets;

    fn limits() -> Limits {
        Limits::from_targets(&default_targets())
    }

    fn point(t: f64, requests: u64, failed: u64, p95: f64, vus: u64) -> SeriesPoint {
        SeriesPoint {
            t,
            requests,
            failed,
            p50_ms: Some(p95 / 2.0),
            p95_ms: Some(p95),
            p99_ms: Some(p95 * 1.2),
            vus: Some(vus),
        }
    }

    fn run(kind: ScenarioKind, points: Vec<SeriesPoint>) -> Run {
        let mut run = Run::empty("test", "test", Exactness::Exact);
        run.scenario = kind;
        run.series = Some(Series {
            bucket_s: 10.0,
            points,
        });
        run
    }

    #[test]
    fn a_ramp_finds_the_knee_at_a_known_load() {
        // Users grow by 10 per bucket; p95 crosses 500 ms at 150 users.
        let points = (1..=30u64)
            .map(|i| {
                let users = i * 10;
                let p95 = if users < 150 { 200.0 } else { 600.0 };
                point(i as f64 * 10.0, users * 20, 0, p95, users)
            })
            .collect();
        let verdict = judge(
            &run(ScenarioKind::RampUp, points),
            &limits(),
            DEFAULT_SOAK_TOLERANCE,
        );
        let capacity = verdict.capacity.expect("capacity");
        assert_eq!(capacity.users, Some(140));
        assert_eq!(capacity.throughput_rps, 140.0 * 20.0 / 10.0);
        assert_eq!(capacity.broke_at_s, Some(150.0));
        assert_eq!(
            capacity.broke,
            ["p95 < 500 ms", "p99 < 1 s"].map(String::from).to_vec()[..1]
        );
        // 140 users is more than the default target of 100.
        assert_eq!(verdict.held, Some(true), "{}", verdict.summary);
    }

    #[test]
    fn a_ramp_that_breaks_early_misses_the_users_target() {
        let points = (1..=10u64)
            .map(|i| {
                point(
                    i as f64 * 10.0,
                    2000,
                    if i >= 5 { 100 } else { 0 },
                    100.0,
                    i * 10,
                )
            })
            .collect();
        let verdict = judge(
            &run(ScenarioKind::Stress, points),
            &limits(),
            DEFAULT_SOAK_TOLERANCE,
        );
        let capacity = verdict.capacity.unwrap();
        assert_eq!(capacity.users, Some(40));
        assert_eq!(capacity.broke, ["error_rate < 0.1 %"]);
        assert_eq!(verdict.held, Some(false));
    }

    #[test]
    fn a_spike_with_a_known_recovery() {
        // 20 users, a spike to 200 from 100 s to 130 s, p95 high until 160 s.
        let points = (0..30u64)
            .map(|i| {
                let t = i as f64 * 10.0;
                let users = if (10..13).contains(&i) { 200 } else { 20 };
                let p95 = if (10..16).contains(&i) { 900.0 } else { 150.0 };
                point(t, users * 10, 0, p95, users)
            })
            .collect();
        let verdict = judge(
            &run(ScenarioKind::Spike, points),
            &limits(),
            DEFAULT_SOAK_TOLERANCE,
        );
        let spike = verdict.spike.unwrap();
        assert_eq!(
            spike.window,
            Window {
                from_s: 100.0,
                to_s: 130.0
            }
        );
        assert_eq!(spike.error_rate, Some(0.0));
        // The first bucket back under target starts at 160 s: 30 s after.
        assert_eq!(spike.recovery_s, Some(40.0));
        assert_eq!(verdict.held, Some(true));
    }

    #[test]
    fn a_spike_that_never_recovers_fails() {
        let points = (0..10u64)
            .map(|i| {
                point(
                    i as f64 * 10.0,
                    100,
                    0,
                    if i >= 5 { 900.0 } else { 100.0 },
                    if i == 5 { 100 } else { 10 },
                )
            })
            .collect();
        let verdict = judge(
            &run(ScenarioKind::Spike, points),
            &limits(),
            DEFAULT_SOAK_TOLERANCE,
        );
        assert_eq!(verdict.spike.unwrap().recovery_s, None);
        assert_eq!(verdict.held, Some(false));
    }

    #[test]
    fn a_soak_with_and_without_drift() {
        let steady: Vec<SeriesPoint> = (0..40u64)
            .map(|i| point(i as f64 * 10.0, 1000, 1, 200.0 + (i % 3) as f64, 50))
            .collect();
        let verdict = judge(
            &run(ScenarioKind::Soak, steady),
            &limits(),
            DEFAULT_SOAK_TOLERANCE,
        );
        assert_eq!(verdict.held, Some(true), "{}", verdict.summary);
        let soak = verdict.soak.unwrap();
        assert!(soak.p95_drift.unwrap().abs() < 0.01);

        // p95 grows by 1 % per bucket: the last quarter is about 35 % slower.
        let drifting: Vec<SeriesPoint> = (0..40u64)
            .map(|i| point(i as f64 * 10.0, 1000, 1, 200.0 * 1.01f64.powi(i as i32), 50))
            .collect();
        let verdict = judge(
            &run(ScenarioKind::Soak, drifting),
            &limits(),
            DEFAULT_SOAK_TOLERANCE,
        );
        assert_eq!(verdict.held, Some(false));
        let soak = verdict.soak.unwrap();
        assert!(soak.p95_drift.unwrap() > 0.3);
        assert!(soak.p95_slope_ms_per_hour.unwrap() > 0.0);
        assert!(
            verdict.summary.contains("p95 drifted by +"),
            "{}",
            verdict.summary
        );
    }

    #[test]
    fn a_sustained_run_excludes_its_ramps() {
        // Ramp up over 5 buckets, hold 100 users for 20, ramp down over 5;
        // the ramps are slow but the steady state holds.
        let points: Vec<SeriesPoint> = (0..30u64)
            .map(|i| {
                let users = if i < 5 {
                    (i + 1) * 15
                } else if i < 25 {
                    100
                } else {
                    (30 - i) * 15
                };
                let p95 = if (5..25).contains(&i) { 180.0 } else { 800.0 };
                point(i as f64 * 10.0, users * 20, 0, p95, users)
            })
            .collect();
        let verdict = judge(
            &run(ScenarioKind::Sustained, points),
            &limits(),
            DEFAULT_SOAK_TOLERANCE,
        );
        assert_eq!(
            verdict.steady,
            Some(Window {
                from_s: 50.0,
                to_s: 250.0
            })
        );
        assert_eq!(verdict.held, Some(true), "{}", verdict.summary);
    }

    #[test]
    fn a_summary_cannot_be_judged() {
        let mut summary = Run::empty("k6-summary", "k6", Exactness::Reported);
        summary.scenario = ScenarioKind::Soak;
        let verdict = judge(&summary, &limits(), DEFAULT_SOAK_TOLERANCE);
        assert_eq!(verdict.held, None);
        assert!(verdict.summary.contains("no time series"));
    }
}
