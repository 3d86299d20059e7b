//! Percentiles: exact over every sample, the way k6 computes them, and a
//! log-bucketed sketch with a bounded relative error for inputs too large to
//! keep every sample.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The percentile `p` (0 to 100) of sorted values, by linear interpolation
/// between the closest ranks, as k6's `TrendSink.P` does: the rank is
/// `p/100 * (n - 1)`.
pub fn percentile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    match sorted.len() {
        0 => None,
        1 => Some(sorted[0]),
        n => {
            let rank = (p / 100.0).clamp(0.0, 1.0) * (n - 1) as f64;
            let lower = rank.floor() as usize;
            let upper = rank.ceil() as usize;
            let fraction = rank - rank.floor();
            Some(sorted[lower] + (sorted[upper] - sorted[lower]) * fraction)
        }
    }
}

/// The mean, computed incrementally so that it cannot overflow however
/// large the values (a plain sum of two 1e308 is infinite).
pub fn mean(values: &[f64]) -> f64 {
    let mut mean = 0.0;
    for (i, v) in values.iter().enumerate() {
        mean += (v - mean) / (i + 1) as f64;
    }
    mean
}

/// Summary statistics of a set of latencies.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    pub count: u64,
    pub min: Option<f64>,
    pub avg: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

/// Exact statistics; sorts `values` in place.
pub fn summarize(values: &mut [f64]) -> Summary {
    if values.is_empty() {
        return Summary::default();
    }
    values.sort_unstable_by(f64::total_cmp);
    Summary {
        count: values.len() as u64,
        min: values.first().copied(),
        avg: Some(mean(values)),
        p50: percentile_sorted(values, 50.0),
        p90: percentile_sorted(values, 90.0),
        p95: percentile_sorted(values, 95.0),
        p99: percentile_sorted(values, 99.0),
        max: values.last().copied(),
    }
}

/// The relative accuracy of [`Sketch`] quantiles: every estimate is within
/// this fraction of a value that lies between the two closest ranks.
pub const SKETCH_RELATIVE_ERROR: f64 = 0.005;

/// A log-bucketed histogram (the DDSketch scheme): bucket `i` holds values
/// in `(gamma^(i-1), gamma^i]`, and a quantile is answered with the bucket's
/// midpoint in relative terms, which is within [`SKETCH_RELATIVE_ERROR`] of
/// every value in the bucket. Min, max, count and sum stay exact.
#[derive(Debug, Clone)]
pub struct Sketch {
    buckets: HashMap<i32, u64>,
    /// Values at or below zero cannot be log-bucketed; latencies of zero
    /// do occur (a cached response measured in whole milliseconds).
    zeros: u64,
    count: u64,
    /// The running mean (not a sum, which could overflow).
    mean: f64,
    min: f64,
    max: f64,
    ln_gamma: f64,
}

impl Default for Sketch {
    fn default() -> Self {
        let gamma = (1.0 + SKETCH_RELATIVE_ERROR) / (1.0 - SKETCH_RELATIVE_ERROR);
        Sketch {
            buckets: HashMap::new(),
            zeros: 0,
            count: 0,
            mean: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            ln_gamma: gamma.ln(),
        }
    }
}

impl Sketch {
    pub fn add(&mut self, value: f64) {
        self.count += 1;
        self.mean += (value - self.mean) / self.count as f64;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        if value <= 0.0 {
            self.zeros += 1;
        } else {
            let index = (value.ln() / self.ln_gamma).ceil() as i32;
            *self.buckets.entry(index).or_insert(0) += 1;
        }
    }

    pub fn merge(&mut self, other: &Sketch) {
        if self.count + other.count > 0 {
            let total = (self.count + other.count) as f64;
            self.mean =
                self.mean * (self.count as f64 / total) + other.mean * (other.count as f64 / total);
        }
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.zeros += other.zeros;
        for (index, n) in &other.buckets {
            *self.buckets.entry(*index).or_insert(0) += n;
        }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The value at percentile `p` (0 to 100), using the same rank as
    /// [`percentile_sorted`] rounded to the nearest sample.
    pub fn percentile(&self, p: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((p / 100.0).clamp(0.0, 1.0) * (self.count - 1) as f64).round() as u64;
        if rank == 0 {
            return Some(self.min);
        }
        if rank >= self.count - 1 {
            return Some(self.max);
        }
        if rank < self.zeros {
            return Some(self.min.min(0.0));
        }
        let mut indices: Vec<i32> = self.buckets.keys().copied().collect();
        indices.sort_unstable();
        let mut seen = self.zeros;
        for index in indices {
            seen += self.buckets[&index];
            if seen > rank {
                let gamma = self.ln_gamma.exp();
                let estimate = 2.0 * gamma.powi(index) / (gamma + 1.0);
                return Some(estimate.clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }

    /// The sketch's bins, for storing with a run.
    pub fn histogram(&self) -> Histogram {
        let mut bins: Vec<(i32, u64)> = self.buckets.iter().map(|(i, n)| (*i, *n)).collect();
        bins.sort_unstable();
        Histogram {
            gamma: self.ln_gamma.exp(),
            zeros: self.zeros,
            bins,
        }
    }

    pub fn summary(&self) -> Summary {
        if self.count == 0 {
            return Summary::default();
        }
        Summary {
            count: self.count,
            min: Some(self.min),
            avg: Some(self.mean),
            p50: self.percentile(50.0),
            p90: self.percentile(90.0),
            p95: self.percentile(95.0),
            p99: self.percentile(99.0),
            max: Some(self.max),
        }
    }
}

/// A run's latency distribution at [`SKETCH_RELATIVE_ERROR`] resolution:
/// bin `i` counts the latencies in `(gamma^(i-1), gamma^i]` ms, `zeros` those
/// of zero. Kept with raw runs so that two runs can be compared against
/// their noise without their millions of samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    pub gamma: f64,
    pub zeros: u64,
    pub bins: Vec<(i32, u64)>,
}

impl Histogram {
    pub fn count(&self) -> u64 {
        self.zeros + self.bins.iter().map(|(_, n)| n).sum::<u64>()
    }

    /// The value of the sample at a 0-based rank (clamped to the samples),
    /// within the bins' relative resolution.
    pub fn value_at_rank(&self, rank: f64) -> Option<f64> {
        let count = self.count();
        if count == 0 || !self.gamma.is_finite() || self.gamma <= 1.0 {
            return None;
        }
        let rank = rank.clamp(0.0, (count - 1) as f64).round() as u64;
        if rank < self.zeros {
            return Some(0.0);
        }
        let mut seen = self.zeros;
        for (index, n) in &self.bins {
            seen += n;
            if seen > rank {
                return Some(2.0 * self.gamma.powi(*index) / (self.gamma + 1.0));
            }
        }
        None
    }

    /// The value at percentile `p`, by the same rank rule as
    /// [`percentile_sorted`].
    pub fn percentile(&self, p: f64) -> Option<f64> {
        let count = self.count();
        (count > 0)
            .then(|| (p / 100.0).clamp(0.0, 1.0) * (count - 1) as f64)
            .and_then(|rank| self.value_at_rank(rank))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_between_closest_ranks_like_k6() {
        let values = [1.0, 2.0, 3.0, 4.0];
        // rank = 0.95 * 3 = 2.85: 3 + 0.85 * (4 - 3)
        let p95 = percentile_sorted(&values, 95.0).unwrap();
        assert!((p95 - 3.85).abs() < 1e-12, "{p95}");
        assert_eq!(percentile_sorted(&values, 50.0), Some(2.5));
        assert_eq!(percentile_sorted(&values, 0.0), Some(1.0));
        assert_eq!(percentile_sorted(&values, 100.0), Some(4.0));
        assert_eq!(percentile_sorted(&[7.0], 99.0), Some(7.0));
        assert_eq!(percentile_sorted(&[], 99.0), None);
    }

    #[test]
    fn summary_is_exact() {
        let mut values: Vec<f64> = (1..=1000).rev().map(f64::from).collect();
        let s = summarize(&mut values);
        assert_eq!(s.count, 1000);
        assert_eq!(s.min, Some(1.0));
        assert_eq!(s.max, Some(1000.0));
        assert_eq!(s.avg, Some(500.5));
        assert_eq!(s.p50, Some(500.5));
        assert_eq!(s.p99, Some(990.01));
    }

    #[test]
    fn sketch_quantiles_stay_within_the_stated_error() {
        // A skewed latency distribution over four orders of magnitude.
        let mut values: Vec<f64> = (0..200_000u64)
            .map(|i| {
                let x = (i * 2_654_435_761 % 1_000_003) as f64 / 1_000_003.0;
                0.5 + 2000.0 * x.powi(4)
            })
            .collect();
        let mut sketch = Sketch::default();
        for v in &values {
            sketch.add(*v);
        }
        let exact = summarize(&mut values);
        let approx = sketch.summary();
        for (e, a) in [
            (exact.p50, approx.p50),
            (exact.p90, approx.p90),
            (exact.p95, approx.p95),
            (exact.p99, approx.p99),
        ] {
            let (e, a) = (e.unwrap(), a.unwrap());
            assert!((a - e).abs() / e <= 0.01, "exact {e}, sketch {a}");
        }
        assert_eq!(approx.min, exact.min);
        assert_eq!(approx.max, exact.max);
        assert_eq!(approx.count, exact.count);
    }
}
