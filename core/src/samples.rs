//! Building a run from raw samples: every parser of a raw format (one record
//! per request) feeds requests, failures and user counts into a
//! [`RunBuilder`], which computes the totals, the latency statistics, the
//! per-endpoint rows and the time series of the normalized run.
//!
//! Up to [`EXACT_LIMIT`] requests every latency is kept and the figures are
//! exact (percentiles as k6 computes them). Past it the builder folds the
//! samples into sketches and goes on in bounded memory; the run then says
//! `approximate` with the sketch's relative error bound.

use crate::error::ParseError;
use crate::run::{Endpoint, Exactness, Latency, Run, Series, SeriesPoint};
use crate::stats::{SKETCH_RELATIVE_ERROR, Sketch, Summary, summarize};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

/// How many requests are kept one by one before the builder switches to
/// sketches.
pub const EXACT_LIMIT: usize = 10_000_000;

/// A run has at most about this many time-series buckets.
pub const MAX_BUCKETS: f64 = 720.0;

/// Bucket sizes in seconds that read well on an axis.
const BUCKET_SIZES: [f64; 16] = [
    1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
    21600.0, 86400.0,
];

const DAY_S: f64 = 86400.0;

/// The time-series bucket size for a run lasting `duration_s`: the smallest
/// round size that gives at most [`MAX_BUCKETS`] buckets, and whole days
/// beyond the largest, so no span, however long, makes more buckets.
pub fn bucket_size(duration_s: f64) -> f64 {
    let duration_s = duration_s.max(0.0);
    BUCKET_SIZES
        .into_iter()
        .find(|size| (duration_s / size).ceil() <= MAX_BUCKETS)
        .unwrap_or_else(|| ((duration_s / MAX_BUCKETS / DAY_S).ceil()).max(1.0) * DAY_S)
}

/// An endpoint's index in the builder.
pub type EndpointId = u32;

#[derive(Debug, Clone, Copy)]
struct Sample {
    start_ms: f64,
    duration_ms: f64,
    endpoint: EndpointId,
}

/// Counts per second and endpoint.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    requests: u64,
    /// Failures known from the requests themselves.
    failed: u64,
    /// Failures reported as separate observations (k6 `http_req_failed`).
    failed_events: u64,
}

#[derive(Debug)]
enum Latencies {
    Exact(Vec<Sample>),
    Sketched {
        overall: Sketch,
        endpoints: Vec<Sketch>,
        seconds: BTreeMap<i64, Sketch>,
    },
}

/// Accumulates one run's raw samples.
#[derive(Debug)]
pub struct RunBuilder {
    file: String,
    run: Run,
    endpoints: Vec<(String, Option<String>)>,
    endpoint_index: HashMap<(String, Option<String>), EndpointId>,
    latencies: Latencies,
    exact_limit: usize,
    counts: HashMap<(i64, EndpointId), Counts>,
    users: BTreeMap<i64, u64>,
    first_ms: f64,
    last_ms: f64,
    failures_known: bool,
    failure_events_seen: bool,
}

fn second_of(ms: f64) -> i64 {
    (ms / 1000.0).floor() as i64
}

impl RunBuilder {
    /// A builder for the run of `file`, in `format` written by `tool`.
    pub fn new(file: &str, format: &str, tool: &str) -> Self {
        RunBuilder {
            file: file.to_owned(),
            run: Run::empty(format, tool, Exactness::Exact),
            endpoints: Vec::new(),
            endpoint_index: HashMap::new(),
            latencies: Latencies::Exact(Vec::new()),
            exact_limit: EXACT_LIMIT,
            counts: HashMap::new(),
            users: BTreeMap::new(),
            first_ms: f64::INFINITY,
            last_ms: f64::NEG_INFINITY,
            failures_known: false,
            failure_events_seen: false,
        }
    }

    /// Sets how many requests are kept exactly (tests use a small limit).
    pub fn with_exact_limit(mut self, limit: usize) -> Self {
        self.exact_limit = limit;
        self
    }

    /// The run being built, for the parts a parser fills in itself (tool
    /// version, thresholds, scenario).
    pub fn run_mut(&mut self) -> &mut Run {
        &mut self.run
    }

    /// The id of an endpoint, by the tool's request name and the method.
    pub fn endpoint(&mut self, name: &str, method: Option<&str>) -> EndpointId {
        let key = (name.to_owned(), method.map(str::to_owned));
        if let Some(id) = self.endpoint_index.get(&key) {
            return *id;
        }
        let id = self.endpoints.len() as EndpointId;
        self.endpoints.push(key.clone());
        self.endpoint_index.insert(key, id);
        if let Latencies::Sketched { endpoints, .. } = &mut self.latencies {
            endpoints.push(Sketch::default());
        }
        id
    }

    /// Marks a moment of the run (a user starting, a gauge sample), which
    /// extends the run's span without being a request.
    pub fn observe(&mut self, at_ms: f64) {
        if at_ms.is_finite() {
            self.first_ms = self.first_ms.min(at_ms);
            self.last_ms = self.last_ms.max(at_ms);
        }
    }

    /// One request: when it started (ms since the Unix epoch), how long it
    /// took, its endpoint, and whether it failed when the format says.
    pub fn request(
        &mut self,
        start_ms: f64,
        duration_ms: f64,
        endpoint: EndpointId,
        failed: Option<bool>,
    ) {
        self.observe(start_ms);
        self.observe(start_ms + duration_ms);
        let counts = self
            .counts
            .entry((second_of(start_ms), endpoint))
            .or_default();
        counts.requests += 1;
        if let Some(failed) = failed {
            self.failures_known = true;
            counts.failed += u64::from(failed);
        }
        match &mut self.latencies {
            Latencies::Exact(samples) => {
                samples.push(Sample {
                    start_ms,
                    duration_ms,
                    endpoint,
                });
                if samples.len() > self.exact_limit {
                    self.switch_to_sketches();
                }
            }
            Latencies::Sketched {
                overall,
                endpoints,
                seconds,
            } => {
                overall.add(duration_ms);
                endpoints[endpoint as usize].add(duration_ms);
                seconds
                    .entry(second_of(start_ms))
                    .or_default()
                    .add(duration_ms);
            }
        }
    }

    /// A failure observed apart from the request (k6's `http_req_failed`
    /// rate). Used only when the requests themselves carry no outcome.
    pub fn failure(&mut self, at_ms: f64, endpoint: EndpointId, failed: bool) {
        self.failure_events_seen = true;
        if failed {
            let counts = self.counts.entry((second_of(at_ms), endpoint)).or_default();
            counts.failed_events += 1;
        }
    }

    /// The number of active virtual users at a moment.
    pub fn users(&mut self, at_ms: f64, users: u64) {
        self.observe(at_ms);
        let slot = self.users.entry(second_of(at_ms)).or_insert(0);
        *slot = (*slot).max(users);
    }

    fn switch_to_sketches(&mut self) {
        let Latencies::Exact(samples) = &mut self.latencies else {
            return;
        };
        let samples = std::mem::take(samples);
        let mut overall = Sketch::default();
        let mut endpoints = vec![Sketch::default(); self.endpoints.len()];
        let mut seconds: BTreeMap<i64, Sketch> = BTreeMap::new();
        for s in samples {
            overall.add(s.duration_ms);
            endpoints[s.endpoint as usize].add(s.duration_ms);
            seconds
                .entry(second_of(s.start_ms))
                .or_default()
                .add(s.duration_ms);
        }
        self.latencies = Latencies::Sketched {
            overall,
            endpoints,
            seconds,
        };
    }

    /// The number of requests seen so far.
    pub fn request_count(&self) -> u64 {
        self.counts.values().map(|c| c.requests).sum()
    }

    /// Computes the run. A run without a single request is an error: there
    /// is nothing to assess.
    pub fn finish(mut self) -> Result<Run, ParseError> {
        let requests = self.request_count();
        if requests == 0 {
            return Err(
                ParseError::new("at least one request", "a run without requests")
                    .in_file(&self.file),
            );
        }
        // Outcomes on the requests win; separate failure observations count
        // only when no request carried one, so nothing is counted twice.
        let use_events = !self.failures_known && self.failure_events_seen;
        let failed_of = |c: &Counts| {
            if use_events {
                c.failed_events
            } else {
                c.failed
            }
        };
        let failures_known = self.failures_known || self.failure_events_seen;

        let start_ms = self.first_ms;
        let duration_s = ((self.last_ms - self.first_ms) / 1000.0).max(0.0);
        // Buckets start on the whole second in which the run started, so that
        // counts kept per second and latencies kept per request fall into the
        // same buckets.
        let origin_ms = (start_ms / 1000.0).floor() * 1000.0;
        let run = &mut self.run;
        run.started_at = DateTime::<Utc>::from_timestamp_millis(start_ms.floor() as i64);
        run.duration_s = Some(duration_s);
        run.requests = Some(requests);
        if use_events {
            // Failure observations stand for requests; more of them than
            // requests (overall or for an endpoint) is not a real output.
            let mut per_endpoint: HashMap<EndpointId, (u64, u64)> = HashMap::new();
            for ((_, endpoint), c) in &self.counts {
                let e = per_endpoint.entry(*endpoint).or_default();
                e.0 += c.requests;
                e.1 += c.failed_events;
            }
            if let Some((endpoint, (requests, failed))) = per_endpoint
                .iter()
                .find(|(_, (requests, failed))| failed > requests)
            {
                let (name, _) = &self.endpoints[*endpoint as usize];
                return Err(ParseError::new(
                    format!("at most one failure per request ({requests} requests to `{name}`)"),
                    format!("{failed} failures"),
                )
                .in_file(&self.file));
            }
        }
        if failures_known {
            let failed: u64 = self.counts.values().map(failed_of).sum();
            run.failed = Some(failed);
            run.error_rate = Some(failed as f64 / requests as f64);
        }
        run.throughput_rps = (duration_s > 0.0).then(|| requests as f64 / duration_s);
        run.vus_max = self.users.values().copied().max();

        let bucket_s = bucket_size(duration_s);
        let bucket_of = |ms: f64| ((ms - origin_ms) / 1000.0 / bucket_s).floor().max(0.0) as usize;
        let bucket_count = bucket_of(self.last_ms.max(origin_ms)) + 1;

        let mut per_endpoint = vec![Counts::default(); self.endpoints.len()];
        let mut per_bucket = vec![Counts::default(); bucket_count];
        for ((second, endpoint), c) in &self.counts {
            let e = &mut per_endpoint[*endpoint as usize];
            e.requests += c.requests;
            e.failed += failed_of(c);
            // A second is assigned to the bucket holding its start.
            let b = bucket_of(*second as f64 * 1000.0).min(bucket_count - 1);
            per_bucket[b].requests += c.requests;
            per_bucket[b].failed += failed_of(c);
        }

        let mut histograms = vec![Sketch::default(); self.endpoints.len()];
        let mut overall_histogram = Sketch::default();
        let (overall, endpoint_stats, bucket_stats) = match &mut self.latencies {
            Latencies::Exact(samples) => {
                let mut all: Vec<f64> = samples.iter().map(|s| s.duration_ms).collect();
                let overall = summarize(&mut all);
                drop(all);
                samples.sort_unstable_by_key(|s| s.endpoint);
                let mut endpoint_stats = vec![Summary::default(); self.endpoints.len()];
                for group in samples.chunk_by(|a, b| a.endpoint == b.endpoint) {
                    let mut values: Vec<f64> = group.iter().map(|s| s.duration_ms).collect();
                    let histogram = &mut histograms[group[0].endpoint as usize];
                    for v in &values {
                        histogram.add(*v);
                        overall_histogram.add(*v);
                    }
                    endpoint_stats[group[0].endpoint as usize] = summarize(&mut values);
                }
                samples.sort_unstable_by_key(|s| bucket_of(s.start_ms));
                let mut bucket_stats = vec![Summary::default(); bucket_count];
                for group in samples.chunk_by(|a, b| bucket_of(a.start_ms) == bucket_of(b.start_ms))
                {
                    let mut values: Vec<f64> = group.iter().map(|s| s.duration_ms).collect();
                    let b = bucket_of(group[0].start_ms).min(bucket_count - 1);
                    bucket_stats[b] = summarize(&mut values);
                }
                (overall, endpoint_stats, bucket_stats)
            }
            Latencies::Sketched {
                overall,
                endpoints,
                seconds,
            } => {
                run.exactness = Exactness::Approximate;
                run.error_bound = Some(SKETCH_RELATIVE_ERROR);
                histograms.clone_from(endpoints);
                overall_histogram = overall.clone();
                let endpoint_stats = endpoints.iter().map(Sketch::summary).collect();
                let mut merged = vec![Sketch::default(); bucket_count];
                for (second, sketch) in seconds.iter() {
                    let b =
                        bucket_of((*second as f64 * 1000.0).max(start_ms)).min(bucket_count - 1);
                    merged[b].merge(sketch);
                }
                let bucket_stats = merged.iter().map(Sketch::summary).collect();
                (overall.summary(), endpoint_stats, bucket_stats)
            }
        };

        run.latency_ms = latency(&overall);
        run.latency_histogram = Some(overall_histogram.histogram());
        let mut endpoints: Vec<Endpoint> = self
            .endpoints
            .iter()
            .zip(
                per_endpoint
                    .iter()
                    .zip(endpoint_stats.iter().zip(&histograms)),
            )
            .filter(|(_, (counts, _))| counts.requests > 0)
            .map(|((name, method), (counts, (stats, histogram)))| Endpoint {
                name: name.clone(),
                method: method.clone(),
                requests: Some(counts.requests),
                failed: failures_known.then_some(counts.failed),
                latency_ms: latency(stats),
                latency_histogram: Some(histogram.histogram()),
            })
            .collect();
        endpoints.sort_by(|a, b| {
            b.requests
                .cmp(&a.requests)
                .then_with(|| a.name.cmp(&b.name))
        });
        run.endpoints = endpoints;

        let has_users = !self.users.is_empty();
        let mut bucket_users = vec![None::<u64>; bucket_count];
        for (second, users) in &self.users {
            let b = bucket_of(*second as f64 * 1000.0).min(bucket_count - 1);
            let slot = &mut bucket_users[b];
            *slot = Some(slot.unwrap_or(0).max(*users));
        }
        // Users are a level, sampled when it changes (Gatling) or every
        // second (k6): a bucket without a sample holds the last level seen.
        let mut level = None;
        for slot in &mut bucket_users {
            match slot {
                Some(users) => level = Some(*users),
                None => *slot = level,
            }
        }
        let points = (0..bucket_count)
            .map(|b| SeriesPoint {
                t: b as f64 * bucket_s,
                requests: per_bucket[b].requests,
                failed: per_bucket[b].failed,
                p50_ms: bucket_stats[b].p50,
                p95_ms: bucket_stats[b].p95,
                p99_ms: bucket_stats[b].p99,
                vus: if has_users { bucket_users[b] } else { None },
            })
            .collect();
        run.series = Some(Series { bucket_s, points });
        Ok(self.run)
    }
}

fn latency(s: &Summary) -> Latency {
    Latency {
        min: s.min,
        avg: s.avg,
        p50: s.p50,
        p90: s.p90,
        p95: s.p95,
        p99: s.p99,
        max: s.max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: f64 = 1_700_000_000_000.0;

    fn builder() -> RunBuilder {
        RunBuilder::new("test.log", "test", "test")
    }

    #[test]
    fn totals_latency_and_endpoints_are_exact() {
        let mut b = builder();
        let home = b.endpoint("home", Some("GET"));
        let login = b.endpoint("login", Some("POST"));
        for i in 0..100 {
            b.request(
                T0 + f64::from(i) * 100.0,
                f64::from(i + 1),
                home,
                Some(i % 10 == 0),
            );
        }
        b.request(T0 + 500.0, 1000.0, login, Some(false));
        b.users(T0, 3);
        b.users(T0 + 5000.0, 7);
        let run = b.finish().unwrap();
        assert_eq!(run.exactness, Exactness::Exact);
        assert_eq!(run.requests, Some(101));
        assert_eq!(run.failed, Some(10));
        assert_eq!(run.vus_max, Some(7));
        assert_eq!(run.latency_ms.max, Some(1000.0));
        assert_eq!(run.latency_ms.min, Some(1.0));
        // The run spans from T0 to the end of the last home request.
        assert_eq!(run.duration_s, Some((9900.0 + 100.0) / 1000.0));
        assert_eq!(run.started_at.unwrap().timestamp_millis(), T0 as i64);
        assert_eq!(run.endpoints[0].name, "home");
        assert_eq!(run.endpoints[0].failed, Some(10));
        assert_eq!(run.endpoints[0].latency_ms.p50, Some(50.5));
        assert_eq!(run.endpoints[1].requests, Some(1));
        let series = run.series.unwrap();
        assert_eq!(series.bucket_s, 1.0);
        assert_eq!(series.points.len(), 11);
        assert_eq!(series.points.iter().map(|p| p.requests).sum::<u64>(), 101);
        assert_eq!(series.points[0].requests, 11);
        assert_eq!(series.points[0].vus, Some(3));
        assert_eq!(series.points[5].vus, Some(7));
        // Between samples the level holds.
        assert_eq!(series.points[1].vus, Some(3));
    }

    #[test]
    fn long_runs_get_at_most_720_buckets() {
        let mut b = builder();
        let e = b.endpoint("x", None);
        for i in 0..3600 {
            b.request(T0 + f64::from(i) * 1000.0, 5.0, e, None);
        }
        let run = b.finish().unwrap();
        let series = run.series.unwrap();
        assert_eq!(series.bucket_s, 5.0);
        assert!(series.points.len() <= 720);
        assert_eq!(run.failed, None, "the input said nothing about failures");
    }

    #[test]
    fn failure_events_count_only_without_outcomes_on_requests() {
        let mut b = builder();
        let e = b.endpoint("x", None);
        b.request(T0, 5.0, e, None);
        b.request(T0 + 1.0, 5.0, e, None);
        b.failure(T0, e, true);
        b.failure(T0 + 1.0, e, false);
        let run = b.finish().unwrap();
        assert_eq!(run.failed, Some(1));
        assert_eq!(run.error_rate, Some(0.5));
    }

    #[test]
    fn past_the_exact_limit_figures_are_approximate_within_the_bound() {
        let mut exact = builder();
        let mut sketched = builder().with_exact_limit(1000);
        let (e1, e2) = (exact.endpoint("x", None), sketched.endpoint("x", None));
        for i in 0..20_000u32 {
            let d = 1.0 + f64::from(i % 997) * 1.7;
            exact.request(T0 + f64::from(i), d, e1, Some(false));
            sketched.request(T0 + f64::from(i), d, e2, Some(false));
        }
        let (exact, sketched) = (exact.finish().unwrap(), sketched.finish().unwrap());
        assert_eq!(sketched.exactness, Exactness::Approximate);
        assert_eq!(sketched.error_bound, Some(SKETCH_RELATIVE_ERROR));
        assert_eq!(sketched.requests, exact.requests);
        let (a, e) = (
            sketched.latency_ms.p95.unwrap(),
            exact.latency_ms.p95.unwrap(),
        );
        assert!((a - e).abs() / e <= 0.01, "{a} vs {e}");
        assert_eq!(sketched.latency_ms.max, exact.latency_ms.max);
    }

    #[test]
    fn a_run_without_requests_is_an_error() {
        let err = builder().finish().unwrap_err();
        assert_eq!(
            err.to_string(),
            "test.log: expected at least one request, found a run without requests"
        );
    }
}
