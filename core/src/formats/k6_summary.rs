//! k6 end-of-test summaries: the `handleSummary(data)` JSON, the legacy
//! `--summary-export` JSON and the opt-in machine-readable summary.
//!
//! Upstream shapes: grafana/k6 `internal/js/summary.go`
//! (`summarizeMetricsToObject`), `internal/js/summary-wrapper.js`
//! (`oldJSONSummary`) and `internal/lib/summary/machinereadable/types_gen.go`
//! (<https://github.com/grafana/k6>). All three are summaries: every figure
//! is `reported`, and a statistic k6 did not report (p99 by default) is null.
//!
//! Pitfalls handled here:
//! - `http_req_failed` is a rate whose *passes* are the failed requests.
//! - The legacy export inverts threshold booleans: `true` means FAILED.
//! - Pre-0.30 exports attach a trend's threshold map to unrelated metrics;
//!   a threshold is kept only on a metric that has the statistic it tests.
//! - Pre-0.30 exports report `checks.value` as 0 whatever the checks did, so
//!   ratios are computed from the pass and fail counts.

use crate::error::ParseError;
use crate::formats::json::{describe, load_json};
use crate::formats::{Format, IngestError, Input, Sniffed, single};
use crate::input::{HEAD_BYTES, Source, read_all};
use crate::run::{Endpoint, Exactness, Latency, Run, Threshold};
use serde_json::{Map, Value};

/// A k6 summary larger than this is not a summary: k6 writes a few kilobytes.
pub const MAX_SUMMARY_BYTES: usize = 64 << 20;

/// Metric names that k6 itself emits; a `metrics` object with none of them
/// is not a k6 summary.
const BUILTIN_METRICS: [&str; 10] = [
    "http_reqs",
    "http_req_duration",
    "http_req_failed",
    "iterations",
    "iteration_duration",
    "vus",
    "vus_max",
    "data_received",
    "data_sent",
    "grpc_req_duration",
];

/// The three shapes of k6 summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Current,
    Legacy,
    Machine,
}

impl Shape {
    pub fn format(self) -> Format {
        match self {
            Shape::Current => Format::K6Summary,
            Shape::Legacy => Format::K6SummaryLegacy,
            Shape::Machine => Format::K6SummaryMachine,
        }
    }
}

/// Detects a k6 summary and its shape.
pub fn sniff(source: &dyn Source, head: &[u8]) -> Sniffed {
    let text = head.trim_ascii_start();
    if !text.starts_with(b"{") {
        return Err("not a JSON object".to_owned());
    }
    let value = if head.len() < HEAD_BYTES {
        load_json(source.name(), head)
    } else if memchr::memmem::find(head, b"\"metrics\"").is_some() {
        // A summary larger than the head: read it whole (it is bounded).
        read_all(source, MAX_SUMMARY_BYTES).and_then(|bytes| load_json(source.name(), &bytes))
    } else {
        return Err("no `metrics` key in the first 64 KiB".to_owned());
    };
    match value {
        Ok(value) => sniff_value(&value).map(|shape| (shape.format(), "result")),
        // A summary cut short or damaged is still recognisable by its keys;
        // claiming it lets the parser say where the JSON breaks.
        Err(err) => guess_shape(head)
            .map(|shape| (shape.format(), "result"))
            .ok_or_else(|| format!("not JSON ({})", err.found())),
    }
}

/// The shape a document that is not valid JSON would have, judged by the
/// keys k6 writes, or `None` when it does not look like a k6 summary.
fn guess_shape(head: &[u8]) -> Option<Shape> {
    let has = |key: &str| memchr::memmem::find(head, key.as_bytes()).is_some();
    if has("\"version\"") && has("\"results\"") && has("\"k6Version\"") {
        return Some(Shape::Machine);
    }
    let builtin = BUILTIN_METRICS
        .iter()
        .any(|name| has(&format!("\"{name}\"")));
    if !has("\"metrics\"") || !builtin {
        return None;
    }
    if has("\"values\"") {
        Some(Shape::Current)
    } else {
        Some(Shape::Legacy)
    }
}

/// Parses a k6 summary that must have the shape of `format`.
pub fn parse(format: Format, inputs: &[Input<'_>]) -> Result<Run, IngestError> {
    let input = single(inputs, format)?;
    let file = input.source.name();
    let bytes = read_all(input.source, MAX_SUMMARY_BYTES)?;
    let value = load_json(file, &bytes)?;
    let shape = sniff_value(&value)
        .map_err(|why| ParseError::new(format!("a {format} document"), why).in_file(file))?;
    if shape.format() != format {
        let expected = format!("a {format} document");
        let found = format!("a {} document", shape.format());
        return Err(ParseError::new(expected, found).in_file(file).into());
    }
    Ok(parse_value(file, &value, shape)?)
}

/// Says which k6 summary shape `value` is, or why it is none.
pub fn sniff_value(value: &Value) -> Result<Shape, String> {
    let Some(top) = value.as_object() else {
        return Err(format!(
            "the document is {}, not an object",
            describe(value)
        ));
    };
    if top.contains_key("version") && top.contains_key("results") {
        return match top["results"].get("metrics") {
            Some(Value::Array(_)) => Ok(Shape::Machine),
            _ => Err("`results.metrics` is not an array".to_owned()),
        };
    }
    let Some(metrics) = top.get("metrics") else {
        let keys: Vec<&str> = top.keys().map(String::as_str).take(8).collect();
        return Err(format!(
            "no `metrics` object (top-level keys: {})",
            if keys.is_empty() {
                "none".to_owned()
            } else {
                keys.join(", ")
            }
        ));
    };
    let Some(metrics) = metrics.as_object() else {
        return Err(format!("`metrics` is {}, not an object", describe(metrics)));
    };
    if !BUILTIN_METRICS
        .iter()
        .any(|name| metrics.contains_key(*name))
    {
        return Err(format!(
            "`metrics` has none of k6's built-in metrics ({})",
            BUILTIN_METRICS.join(", ")
        ));
    }
    let wrapped = metrics
        .values()
        .filter(|m| m.get("values").is_some_and(Value::is_object) && m.get("type").is_some())
        .count();
    if wrapped == metrics.len() {
        Ok(Shape::Current)
    } else if wrapped == 0 {
        Ok(Shape::Legacy)
    } else {
        Err(
            "`metrics` mixes entries with and without a `values` object, which no k6 version writes"
                .to_owned(),
        )
    }
}

/// Turns a sniffed summary into a run.
fn parse_value(file: &str, value: &Value, shape: Shape) -> Result<Run, ParseError> {
    let summary = Summary::new(file, value, shape)?;
    summary.run()
}

/// A metric's statistics, whichever shape wrapped them.
struct Metric<'a> {
    /// Path of the statistics object, for error messages.
    path: String,
    stats: &'a Map<String, Value>,
    /// The metric's threshold map, as written by k6.
    thresholds: Option<&'a Value>,
}

struct Summary<'a> {
    file: &'a str,
    root: &'a Map<String, Value>,
    shape: Shape,
    /// Metrics in the order k6 wrote them (sorted by name).
    metrics: Vec<(String, Metric<'a>)>,
}

impl<'a> Summary<'a> {
    fn new(file: &'a str, value: &'a Value, shape: Shape) -> Result<Self, ParseError> {
        let root = value
            .as_object()
            .ok_or_else(|| ParseError::new("a JSON object", describe(value)).in_file(file))?;
        let mut metrics = Vec::new();
        match shape {
            Shape::Current | Shape::Legacy => {
                for (name, entry) in root["metrics"].as_object().into_iter().flatten() {
                    let path = format!("metrics.{name}");
                    let entry = entry.as_object().ok_or_else(|| {
                        ParseError::new("an object of statistics", describe(entry))
                            .in_file(file)
                            .at_field(path.clone())
                    })?;
                    let metric =
                        if shape == Shape::Current {
                            let stats = entry.get("values").and_then(Value::as_object).ok_or_else(
                                || {
                                    ParseError::new("an object", "no `values` object")
                                        .in_file(file)
                                        .at_field(format!("{path}.values"))
                                },
                            )?;
                            Metric {
                                path: format!("{path}.values"),
                                stats,
                                thresholds: entry.get("thresholds"),
                            }
                        } else {
                            Metric {
                                path,
                                stats: entry,
                                thresholds: entry.get("thresholds"),
                            }
                        };
                    metrics.push((name.clone(), metric));
                }
            }
            Shape::Machine => {
                let list = root["results"]["metrics"].as_array().into_iter().flatten();
                for (i, entry) in list.enumerate() {
                    let path = format!("results.metrics[{i}]");
                    let name = entry.get("name").and_then(Value::as_str).ok_or_else(|| {
                        ParseError::new("a metric name string", "none")
                            .in_file(file)
                            .at_field(format!("{path}.name"))
                    })?;
                    let stats =
                        entry
                            .get("values")
                            .and_then(Value::as_object)
                            .ok_or_else(|| {
                                ParseError::new("an object", "no `values` object")
                                    .in_file(file)
                                    .at_field(format!("{path}.values"))
                            })?;
                    metrics.push((
                        name.to_owned(),
                        Metric {
                            path: format!("{path}.values"),
                            stats,
                            thresholds: None,
                        },
                    ));
                }
            }
        }
        Ok(Summary {
            file,
            root,
            shape,
            metrics,
        })
    }

    fn metric(&self, name: &str) -> Option<&Metric<'a>> {
        self.metrics.iter().find(|(n, _)| n == name).map(|(_, m)| m)
    }

    /// A statistic of a metric: `None` when k6 did not report it, an error
    /// when it is there but not a number.
    fn stat(&self, metric: &str, key: &str) -> Result<Option<f64>, ParseError> {
        let Some(m) = self.metric(metric) else {
            return Ok(None);
        };
        self.stat_of(m, key)
    }

    /// Every statistic a run reads (durations, counts, rates, user counts)
    /// is zero or more; a negative one is not what k6 writes.
    fn stat_of(&self, m: &Metric<'_>, key: &str) -> Result<Option<f64>, ParseError> {
        match m.stats.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(v) if v >= 0.0 && v.is_finite() => Ok(Some(v)),
                Some(v) => Err(ParseError::new("a number of zero or more", v.to_string())
                    .in_file(self.file)
                    .at_field(format!("{}.{key}", m.path))),
                None => Ok(None),
            },
            Some(other) => Err(ParseError::new("a number", describe(other))
                .in_file(self.file)
                .at_field(format!("{}.{key}", m.path))),
        }
    }

    fn count(&self, metric: &str, key: &str) -> Result<Option<u64>, ParseError> {
        let Some(m) = self.metric(metric) else {
            return Ok(None);
        };
        self.count_of(m, key)
    }

    fn count_of(&self, m: &Metric<'_>, key: &str) -> Result<Option<u64>, ParseError> {
        match self.stat_of(m, key)? {
            None => Ok(None),
            Some(v) if v >= 0.0 && v.fract() == 0.0 && v < 2f64.powi(53) => Ok(Some(v as u64)),
            Some(v) => Err(
                ParseError::new("a whole, non-negative count", v.to_string())
                    .in_file(self.file)
                    .at_field(format!("{}.{key}", m.path)),
            ),
        }
    }

    fn latency(&self, metric: &str) -> Result<Latency, ParseError> {
        Ok(Latency {
            min: self.stat(metric, "min")?,
            avg: self.stat(metric, "avg")?,
            p50: self.stat(metric, "med")?,
            p90: self.stat(metric, "p(90)")?,
            p95: self.stat(metric, "p(95)")?,
            p99: self.stat(metric, "p(99)")?,
            max: self.stat(metric, "max")?,
        })
    }

    /// The pass and fail counts of a rate metric.
    fn rate_counts(&self, metric: &str) -> Result<Option<(u64, u64)>, ParseError> {
        let (passes, fails) = match self.shape {
            Shape::Machine => {
                let matches = self.count(metric, "matches")?;
                let total = self.count(metric, "total")?;
                match (matches, total) {
                    (Some(m), Some(t)) if m <= t => (Some(m), Some(t - m)),
                    (Some(m), Some(t)) => {
                        return Err(ParseError::new(
                            format!("`matches` at most `total` ({t})"),
                            m.to_string(),
                        )
                        .in_file(self.file)
                        .at_field(format!("{metric}.matches")));
                    }
                    _ => (None, None),
                }
            }
            Shape::Current | Shape::Legacy => {
                (self.count(metric, "passes")?, self.count(metric, "fails")?)
            }
        };
        Ok(passes.zip(fails))
    }

    fn run(&self) -> Result<Run, ParseError> {
        let mut run = Run::empty(self.shape.format().name(), "k6", Exactness::Reported);
        // HTTP figures when the test made HTTP requests; a gRPC-only test's
        // figures come from its gRPC metrics.
        let protocol = if self.metric("http_reqs").is_some()
            || self.metric("http_req_duration").is_some()
            || self.metric("grpc_reqs").is_none() && self.metric("grpc_req_duration").is_none()
        {
            "http"
        } else {
            "grpc"
        };
        let reqs = format!("{protocol}_reqs");
        let duration = format!("{protocol}_req_duration");

        run.requests = self.count(&reqs, "count")?;
        if protocol == "http"
            && let Some((passes, fails)) = self.rate_counts("http_req_failed")?
        {
            // `http_req_failed` counts a failed request as a pass.
            if let Some(requests) = run.requests
                && passes > requests
            {
                return Err(ParseError::new(
                    format!("at most as many failed requests as requests ({requests})"),
                    format!("{passes} failed"),
                )
                .in_file(self.file)
                .at_field("metrics.http_req_failed"));
            }
            run.failed = Some(passes);
            let total = passes + fails;
            run.error_rate = (total > 0).then(|| passes as f64 / total as f64);
        }
        run.duration_s = match self.shape {
            Shape::Current => {
                let state = self.root.get("state");
                match state.and_then(|s| s.get("testRunDurationMs")) {
                    None | Some(Value::Null) => None,
                    Some(Value::Number(ms)) if ms.as_f64().is_some_and(|ms| ms >= 0.0) => {
                        ms.as_f64().map(|ms| ms / 1000.0)
                    }
                    Some(other) => {
                        return Err(
                            ParseError::new("zero or more milliseconds", describe(other))
                                .in_file(self.file)
                                .at_field("state.testRunDurationMs"),
                        );
                    }
                }
            }
            Shape::Machine => match self.root.get("config").and_then(|c| c.get("duration")) {
                None | Some(Value::Null) => None,
                Some(Value::Number(s)) if s.as_f64().is_some_and(|s| s >= 0.0) => s.as_f64(),
                Some(other) => {
                    return Err(ParseError::new("zero or more seconds", describe(other))
                        .in_file(self.file)
                        .at_field("config.duration"));
                }
            },
            Shape::Legacy => None,
        };
        run.throughput_rps = match self.shape {
            Shape::Current | Shape::Legacy => self.stat(&reqs, "rate")?,
            // The machine-readable summary drops the counter's rate; k6
            // defines it as count over the test duration, both reported.
            Shape::Machine => match (run.requests, run.duration_s) {
                (Some(count), Some(secs)) if secs > 0.0 => Some(count as f64 / secs),
                _ => None,
            },
        };
        let peak_vus = match self.count("vus", "max")? {
            Some(vus) => Some(vus),
            None => self.count("vus_max", "max")?,
        };
        run.vus_max = peak_vus;
        run.latency_ms = self.latency(&duration)?;
        run.endpoints = self.endpoints(protocol)?;
        run.thresholds = self.thresholds()?;
        if self.shape == Shape::Machine {
            run.tool_version = self
                .root
                .get("metadata")
                .and_then(|m| m.get("k6Version"))
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        if run.requests.is_none() && run.latency_ms.p95.is_none() && run.latency_ms.avg.is_none() {
            return Err(ParseError::new(
                format!("request figures (`{reqs}` or `{duration}`)"),
                "a summary with neither, so there is no load-test result to assess",
            )
            .in_file(self.file)
            .at_field("metrics"));
        }
        Ok(run)
    }

    /// Endpoints from sub-metrics selected by a `name` or `url` tag, such as
    /// `http_req_duration{name:GET /api/sites}`: k6 reports them only when a
    /// script puts a threshold on them.
    fn endpoints(&self, protocol: &str) -> Result<Vec<Endpoint>, ParseError> {
        let prefix = format!("{protocol}_req_duration{{");
        let mut endpoints = Vec::new();
        for (name, _) in &self.metrics {
            let Some(selector) = name.strip_prefix(&prefix).and_then(|s| s.strip_suffix('}'))
            else {
                continue;
            };
            let tags = parse_selector(selector);
            let Some(endpoint) = tags
                .iter()
                .find(|(k, _)| *k == "name")
                .or_else(|| tags.iter().find(|(k, _)| *k == "url"))
                .map(|(_, v)| v.to_string())
            else {
                continue;
            };
            let method = tags
                .iter()
                .find(|(k, _)| *k == "method")
                .map(|(_, v)| v.to_string());
            let requests = self.count(&format!("{protocol}_reqs{{{selector}}}"), "count")?;
            endpoints.push(Endpoint {
                name: endpoint,
                method,
                requests,
                failed: None,
                latency_ms: self.latency(name)?,
                latency_histogram: None,
            });
        }
        Ok(endpoints)
    }

    fn thresholds(&self) -> Result<Vec<Threshold>, ParseError> {
        let mut out = Vec::new();
        for (name, metric) in &self.metrics {
            let Some(map) = metric.thresholds else {
                continue;
            };
            let field = format!("metrics.{name}.thresholds");
            let map = map.as_object().ok_or_else(|| {
                ParseError::new("an object of threshold expressions", describe(map))
                    .in_file(self.file)
                    .at_field(field.clone())
            })?;
            for (expression, outcome) in map {
                let ok = match (self.shape, outcome) {
                    (Shape::Legacy, Value::Bool(failed)) => {
                        // Pre-0.30 k6 copied one metric's thresholds onto
                        // others; keep the threshold only where it can apply.
                        if !has_statistic(metric.stats, expression) {
                            continue;
                        }
                        !failed
                    }
                    (_, Value::Object(o)) => match o.get("ok") {
                        Some(Value::Bool(ok)) => *ok,
                        _ => {
                            return Err(ParseError::new(
                                "`{\"ok\": true|false}`",
                                "no boolean `ok`",
                            )
                            .in_file(self.file)
                            .at_field(format!("{field}.{expression}")));
                        }
                    },
                    (_, other) => {
                        let expected = if self.shape == Shape::Legacy {
                            "a boolean (true when the threshold failed)"
                        } else {
                            "an object `{\"ok\": true|false}`"
                        };
                        return Err(ParseError::new(expected, describe(other))
                            .in_file(self.file)
                            .at_field(format!("{field}.{expression}")));
                    }
                };
                out.push(Threshold {
                    metric: name.clone(),
                    expression: expression.clone(),
                    ok,
                });
            }
        }
        Ok(out)
    }
}

/// Splits a k6 sub-metric selector `k:v,k2:v2` into tag pairs. Values may
/// contain colons (URLs), so only the first colon of a pair splits it.
fn parse_selector(selector: &str) -> Vec<(&str, &str)> {
    selector
        .split(',')
        .filter_map(|pair| pair.split_once(':'))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

/// Whether a legacy metric has the statistic a threshold expression tests,
/// such as `p(95)` in `p(95) < 500` or `rate` in `rate>0.9` (legacy rate
/// metrics store their rate as `value`).
fn has_statistic(stats: &Map<String, Value>, expression: &str) -> bool {
    let expr = expression.trim_start();
    let end = expr
        .find(')')
        .map(|i| i + 1)
        .filter(|_| expr.starts_with("p("))
        .unwrap_or_else(|| {
            expr.find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .unwrap_or(expr.len())
        });
    let statistic: String = expr[..end].chars().filter(|c| !c.is_whitespace()).collect();
    match statistic.as_str() {
        "rate" => stats.contains_key("value") && stats.contains_key("passes"),
        other => stats.contains_key(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_threshold_applies_only_where_its_statistic_exists() {
        let trend = json!({"p(95)": 1.0, "avg": 1.0});
        let trend = trend.as_object().unwrap();
        assert!(has_statistic(trend, "p(95) < 500"));
        assert!(has_statistic(trend, "avg<200"));
        assert!(!has_statistic(trend, "p(99)<500"));
        let counter = json!({"count": 3, "rate": 1.0});
        assert!(!has_statistic(counter.as_object().unwrap(), "p(90) < 400"));
        let rate = json!({"passes": 3, "fails": 0, "value": 0});
        assert!(has_statistic(rate.as_object().unwrap(), "rate>0.90"));
    }

    #[test]
    fn selectors_keep_colons_inside_values() {
        assert_eq!(
            parse_selector("url:http://x/y,method:GET"),
            vec![("url", "http://x/y"), ("method", "GET")]
        );
    }
}
