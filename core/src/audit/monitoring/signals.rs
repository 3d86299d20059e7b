//! The signals the targets need, the metric-name patterns that show each,
//! and which panels and alerts cover them. The patterns and their sources
//! are listed in the module documentation of [`super`].

use super::promql::{self, MatchOp, Matcher, Selector};
use super::{Inventory, Kind, Language, RuleKind};
use crate::audit::model::Origin;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A signal a production PHP/Laravel system should show and alert on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Signal {
    Latency,
    ErrorRate,
    Throughput,
    FpmSaturation,
    Mysql,
    Redis,
}

impl Signal {
    pub const ALL: [Signal; 6] = [
        Signal::Latency,
        Signal::ErrorRate,
        Signal::Throughput,
        Signal::FpmSaturation,
        Signal::Mysql,
        Signal::Redis,
    ];

    /// The id used in rule ids: `mon.alert.<id>`.
    pub fn id(self) -> &'static str {
        match self {
            Signal::Latency => "latency",
            Signal::ErrorRate => "error_rate",
            Signal::Throughput => "throughput",
            Signal::FpmSaturation => "fpm_saturation",
            Signal::Mysql => "mysql",
            Signal::Redis => "redis",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Signal::Latency => "latency",
            Signal::ErrorRate => "error rate",
            Signal::Throughput => "throughput",
            Signal::FpmSaturation => "php-fpm saturation",
            Signal::Mysql => "MySQL",
            Signal::Redis => "Redis",
        }
    }

    /// The aspects a signal is made of, for signals where naming the
    /// missing ones helps (a Redis alert on `redis_up` alone says nothing
    /// about memory).
    pub fn aspects(self) -> &'static [&'static str] {
        match self {
            Signal::FpmSaturation => &["busy workers", "max_children reached", "listen queue"],
            Signal::Mysql => &[
                "availability",
                "connections",
                "slow queries",
                "InnoDB",
                "replication",
            ],
            Signal::Redis => &[
                "availability",
                "memory",
                "evictions",
                "hits and misses",
                "clients",
            ],
            Signal::Latency | Signal::ErrorRate | Signal::Throughput => &[],
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A metric-name pattern of a signal: a glob where `*` is any text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pattern {
    pub signal: Signal,
    pub glob: &'static str,
    /// Which part of the signal the metric shows.
    pub aspect: &'static str,
    /// The exporter or tool whose documentation names the metric.
    pub source: &'static str,
}

const fn p(
    signal: Signal,
    glob: &'static str,
    aspect: &'static str,
    source: &'static str,
) -> Pattern {
    Pattern {
        signal,
        glob,
        aspect,
        source,
    }
}

use Signal::{ErrorRate, FpmSaturation, Latency, Mysql, Redis, Throughput};

const CLIENTS: &str =
    "Prometheus client libraries, ingress-nginx, nginx-lua-prometheus, Traefik, OpenTelemetry";
const HIPAGES: &str = "hipages/php-fpm_exporter";
const BAKINS: &str = "bakins/php-fpm-exporter";
const MYSQLD: &str = "prometheus/mysqld_exporter";
const REDIS: &str = "oliver006/redis_exporter";

/// Every pattern, by signal. See the module documentation for the table
/// with the metric names behind each glob.
const PATTERNS: &[Pattern] = &[
    p(Latency, "*request_duration*", "request duration", CLIENTS),
    p(
        Latency,
        "*response_duration*",
        "request duration",
        "ingress-nginx",
    ),
    p(
        Latency,
        "*http_server_duration*",
        "request duration",
        "OpenTelemetry",
    ),
    p(
        Latency,
        "*response_time*",
        "request duration",
        "prometheus-nginxlog-exporter",
    ),
    p(
        Latency,
        "*upstream_time*",
        "request duration",
        "prometheus-nginxlog-exporter",
    ),
    p(Latency, "k6_http_req_duration*", "request duration", "k6"),
    p(Latency, "k6_http_req_waiting*", "request duration", "k6"),
    p(Latency, "http_req_duration", "request duration", "k6"),
    p(Latency, "http_req_waiting", "request duration", "k6"),
    p(Latency, "request_seconds*", "request duration", "vegeta"),
    p(
        Latency,
        "probe_http_duration_seconds",
        "synthetic request duration",
        "blackbox_exporter",
    ),
    p(
        Latency,
        "probe_duration_seconds",
        "synthetic request duration",
        "blackbox_exporter",
    ),
    p(ErrorRate, "k6_http_req_failed*", "failed requests", "k6"),
    p(ErrorRate, "http_req_failed", "failed requests", "k6"),
    p(ErrorRate, "request_fail_count", "failed requests", "vegeta"),
    p(Throughput, "*requests_total", "request rate", CLIENTS),
    p(
        Throughput,
        "nginx_ingress_controller_requests",
        "request rate",
        "ingress-nginx",
    ),
    p(
        Throughput,
        "*response_count_total",
        "request rate",
        "prometheus-nginxlog-exporter",
    ),
    p(Throughput, "k6_http_reqs*", "request rate", "k6"),
    p(Throughput, "http_reqs", "request rate", "k6"),
    p(
        Throughput,
        "phpfpm_accepted_connections*",
        "request rate",
        "hipages/php-fpm_exporter, bakins/php-fpm-exporter",
    ),
    p(
        Throughput,
        "phpfpm_process_requests",
        "request rate",
        HIPAGES,
    ),
    p(
        FpmSaturation,
        "phpfpm_active_processes",
        "busy workers",
        HIPAGES,
    ),
    p(
        FpmSaturation,
        "phpfpm_idle_processes",
        "busy workers",
        HIPAGES,
    ),
    p(
        FpmSaturation,
        "phpfpm_max_active_processes",
        "busy workers",
        HIPAGES,
    ),
    p(
        FpmSaturation,
        "phpfpm_processes_total",
        "busy workers",
        BAKINS,
    ),
    p(
        FpmSaturation,
        "phpfpm_active_max_processes",
        "busy workers",
        BAKINS,
    ),
    p(
        FpmSaturation,
        "phpfpm_max_children_reached*",
        "max_children reached",
        "hipages/php-fpm_exporter, bakins/php-fpm-exporter",
    ),
    p(
        FpmSaturation,
        "phpfpm_listen_queue*",
        "listen queue",
        "hipages/php-fpm_exporter, bakins/php-fpm-exporter",
    ),
    p(
        FpmSaturation,
        "phpfpm_max_listen_queue*",
        "listen queue",
        HIPAGES,
    ),
    p(Mysql, "mysql_up", "availability", MYSQLD),
    p(
        Mysql,
        "mysql_global_status_threads_connected",
        "connections",
        MYSQLD,
    ),
    p(
        Mysql,
        "mysql_global_status_threads_running",
        "connections",
        MYSQLD,
    ),
    p(
        Mysql,
        "mysql_global_status_max_used_connections",
        "connections",
        MYSQLD,
    ),
    p(
        Mysql,
        "mysql_global_status_aborted_connects",
        "connections",
        MYSQLD,
    ),
    p(
        Mysql,
        "mysql_global_status_connection_errors_total",
        "connections",
        MYSQLD,
    ),
    p(
        Mysql,
        "mysql_global_variables_max_connections",
        "connections",
        MYSQLD,
    ),
    p(
        Mysql,
        "mysql_global_status_slow_queries",
        "slow queries",
        MYSQLD,
    ),
    p(Mysql, "mysql_global_status_innodb_*", "InnoDB", MYSQLD),
    p(Mysql, "mysql_global_variables_innodb_*", "InnoDB", MYSQLD),
    p(Mysql, "mysql_info_schema_innodb_*", "InnoDB", MYSQLD),
    p(Mysql, "mysql_global_status_buffer_pool_*", "InnoDB", MYSQLD),
    p(Mysql, "mysql_slave_status_*", "replication", MYSQLD),
    p(Mysql, "mysql_heartbeat_*", "replication", MYSQLD),
    p(Redis, "redis_up", "availability", REDIS),
    p(Redis, "redis_memory_*", "memory", REDIS),
    p(Redis, "redis_total_system_memory_bytes", "memory", REDIS),
    p(Redis, "redis_evicted_keys_total", "evictions", REDIS),
    p(Redis, "redis_keyspace_hits_total", "hits and misses", REDIS),
    p(
        Redis,
        "redis_keyspace_misses_total",
        "hits and misses",
        REDIS,
    ),
    p(Redis, "redis_connected_clients", "clients", REDIS),
    p(Redis, "redis_blocked_clients", "clients", REDIS),
    p(Redis, "redis_rejected_connections_total", "clients", REDIS),
    p(Redis, "redis_config_maxclients", "clients", REDIS),
];

/// Counters whose name ends like a request counter but that count a subset
/// of requests, so they are not the traffic.
const NOT_THROUGHPUT: [&str; 3] = ["*slow*", "*failed*", "*rejected*"];

/// The patterns of a signal.
pub fn patterns(signal: Signal) -> impl Iterator<Item = &'static Pattern> {
    PATTERNS.iter().filter(move |p| p.signal == signal)
}

/// Glob matching with `*` only, iterative so that no pattern or name can
/// make it recurse.
fn glob(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    let (mut pi, mut ni) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(c) if Some(c) == n.get(ni) => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == b'*'))
}

/// The names a metric is matched by: itself, and for a recorded series
/// named `level:metric:operations`, its metric part.
fn match_names(metric: &str) -> Vec<&str> {
    let mut names = vec![metric];
    let parts: Vec<&str> = metric.split(':').collect();
    if parts.len() == 3
        && let Some(middle) = parts.get(1).filter(|m| !m.is_empty())
    {
        names.push(middle);
    }
    names
}

fn matching_pattern(signal: Signal, metric: &str) -> Option<&'static Pattern> {
    let names = match_names(metric);
    patterns(signal).find(|p| names.iter().any(|n| glob(p.glob, n)))
}

/// Whether a label looks like an HTTP status label.
fn is_status_label(label: &str) -> bool {
    let label = label.to_ascii_lowercase();
    label == "expected_response" || label.contains("status") || label.contains("code")
}

/// The alternatives of a matcher value (`5..|4..`), without anchors and
/// grouping.
fn alternatives(value: &str) -> impl Iterator<Item = &str> {
    value
        .split('|')
        .map(|a| a.trim_matches(|c| matches!(c, '^' | '$' | '(' | ')')))
}

/// `5..`, `5xx`, `5\d\d`, `5[0-9][0-9]`, `500`: a status class or code of
/// server errors.
fn is_class(alternative: &str, class: u8) -> bool {
    let bytes = alternative.as_bytes();
    bytes.first() == Some(&class)
        && (bytes.len() == 3 || matches!(bytes.get(1), Some(b'.' | b'x' | b'X' | b'\\' | b'[')))
}

/// Whether a matcher keeps only failed requests, or only the successful
/// side of an error ratio: `status=~"5.."`, `code="5xx"`, `status!~"2.."`,
/// `code!~"5.."`, k6's `expected_response="false"`.
fn selects_errors(m: &Matcher) -> bool {
    if m.label.eq_ignore_ascii_case("expected_response") {
        return match m.op {
            MatchOp::Equal | MatchOp::Regex => m.value == "false",
            MatchOp::NotEqual | MatchOp::NotRegex => m.value == "true",
        };
    }
    if !is_status_label(&m.label) {
        return false;
    }
    match m.op {
        MatchOp::Equal | MatchOp::Regex => alternatives(&m.value).any(|a| is_class(a, b'5')),
        MatchOp::NotEqual | MatchOp::NotRegex => {
            alternatives(&m.value).any(|a| is_class(a, b'2') || is_class(a, b'5'))
        }
    }
}

/// One signal shown by one expression, through one metric.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Found {
    signal: Signal,
    /// The metric, with the recorded series it was reached through.
    metric: String,
    aspect: &'static str,
}

/// A selector of an expression after recorded series were replaced by
/// what they record.
struct Expanded {
    selector: Selector,
    via: Option<String>,
}

/// Recording rules by the name they record, with their expressions read.
struct Recordings {
    by_name: BTreeMap<String, Vec<Vec<Selector>>>,
}

/// How many recording rules deep a name is followed. Chains of recordings
/// are two or three deep in practice; the bound stops cycles.
const MAX_RECORDING_DEPTH: usize = 8;

impl Recordings {
    fn new(inventory: &Inventory) -> Recordings {
        let mut by_name: BTreeMap<String, Vec<Vec<Selector>>> = BTreeMap::new();
        for (_, _, rule) in inventory.rules() {
            if rule.kind == RuleKind::Record && !rule.name.is_empty() {
                by_name
                    .entry(rule.name.clone())
                    .or_default()
                    .push(promql::parse(&rule.expr).selectors);
            }
        }
        Recordings { by_name }
    }

    /// The selectors with every recorded series also replaced by the
    /// selectors of its recording rules, transitively.
    fn expand(&self, selectors: Vec<Selector>) -> Vec<Expanded> {
        let mut out: Vec<Expanded> = Vec::new();
        let mut visited: BTreeSet<String> = BTreeSet::new();
        let mut frontier: Vec<(Selector, Option<String>)> =
            selectors.into_iter().map(|s| (s, None)).collect();
        for _ in 0..=MAX_RECORDING_DEPTH {
            let mut next = Vec::new();
            for (selector, via) in frontier {
                for name in selector.names() {
                    if let Some(recorded) = self.by_name.get(&name)
                        && visited.insert(name.clone())
                    {
                        let via = via.clone().unwrap_or_else(|| name.clone());
                        for expr in recorded {
                            next.extend(expr.iter().cloned().map(|s| (s, Some(via.clone()))));
                        }
                    }
                }
                out.push(Expanded { selector, via });
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        out
    }
}

/// The signals one expression shows.
fn classify(expanded: &[Expanded]) -> Vec<Found> {
    let mut found = Vec::new();
    let filters_status = expanded.iter().any(|e| {
        e.selector
            .matchers
            .iter()
            .any(|m| is_status_label(&m.label))
    });
    for Expanded { selector, via } in expanded {
        let names = selector.names();
        let label = |metric: &str| match via {
            Some(via) if via != metric => format!("{metric} (via {via})"),
            _ => metric.to_owned(),
        };
        // A status filter on a duration histogram's buckets or sum is the
        // latency of failed requests, not how many failed.
        let duration_series = names
            .iter()
            .any(|n| !n.ends_with("_count") && matching_pattern(Latency, n).is_some());
        let error_matchers: Vec<String> = selector
            .matchers
            .iter()
            .filter(|m| selects_errors(m))
            .map(|m| format!("{}{}{:?}", m.label, m.op.as_str(), m.value))
            .collect();
        if !error_matchers.is_empty() && !duration_series {
            // The matcher is what makes a request counter an error count,
            // so it is named with the metric.
            let metric = names.first().map(String::as_str).unwrap_or_default();
            found.push(Found {
                signal: ErrorRate,
                metric: label(&format!("{metric}{{{}}}", error_matchers.join(", "))),
                aspect: "failed requests",
            });
        }
        for name in &names {
            let latency = matching_pattern(Latency, name);
            let is_count = name.ends_with("_count");
            for signal in Signal::ALL {
                let pattern = match signal {
                    Latency if is_count => None,
                    Latency => latency,
                    Throughput => {
                        let counter = matching_pattern(Throughput, name)
                            .or_else(|| latency.filter(|_| is_count));
                        let subset = NOT_THROUGHPUT.iter().any(|g| glob(g, name));
                        counter.filter(|_| !filters_status && !subset)
                    }
                    other => matching_pattern(other, name),
                };
                if let Some(pattern) = pattern {
                    let aspect = if signal == Throughput {
                        "request rate"
                    } else {
                        pattern.aspect
                    };
                    found.push(Found {
                        signal,
                        metric: label(name),
                        aspect,
                    });
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// A panel that shows a signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelHit {
    pub file: String,
    pub dashboard: String,
    pub panel: String,
    pub path: String,
    pub origin: Origin,
    /// The metrics through which the panel shows the signal, sorted.
    pub metrics: Vec<String>,
    pub aspects: Vec<&'static str>,
}

/// A rule that covers a signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleHit {
    pub file: String,
    pub group: String,
    pub name: String,
    pub origin: Origin,
    pub for_duration: Option<String>,
    pub severity: Option<String>,
    pub metrics: Vec<String>,
    pub aspects: Vec<&'static str>,
}

/// What covers one signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalCoverage {
    pub signal: Signal,
    pub panels: Vec<PanelHit>,
    pub alerts: Vec<RuleHit>,
    /// Recording rules that compute the signal; they alert nobody, but say
    /// that an alert could be written on them.
    pub recordings: Vec<RuleHit>,
}

impl SignalCoverage {
    /// The aspects of the signal that some panel shows, in the signal's
    /// order.
    pub fn panel_aspects(&self) -> Vec<&'static str> {
        self.aspects_in(self.panels.iter().flat_map(|h| h.aspects.iter()))
    }

    /// The aspects of the signal that some alert watches.
    pub fn alert_aspects(&self) -> Vec<&'static str> {
        self.aspects_in(self.alerts.iter().flat_map(|h| h.aspects.iter()))
    }

    fn aspects_in<'a>(&self, seen: impl Iterator<Item = &'a &'static str>) -> Vec<&'static str> {
        let seen: BTreeSet<&'static str> = seen.copied().collect();
        self.signal
            .aspects()
            .iter()
            .copied()
            .filter(|a| seen.contains(a))
            .collect()
    }
}

/// What covers every signal, and the files that were read to say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub signals: Vec<SignalCoverage>,
    pub files: Vec<(String, Kind)>,
}

impl Coverage {
    pub fn of(&self, signal: Signal) -> Option<&SignalCoverage> {
        self.signals.iter().find(|s| s.signal == signal)
    }
}

fn group_by_signal(found: Vec<Found>) -> BTreeMap<Signal, (Vec<String>, Vec<&'static str>)> {
    let mut by_signal: BTreeMap<Signal, (Vec<String>, Vec<&'static str>)> = BTreeMap::new();
    for f in found {
        let entry = by_signal.entry(f.signal).or_default();
        if !entry.0.contains(&f.metric) {
            entry.0.push(f.metric);
        }
        if !entry.1.contains(&f.aspect) {
            entry.1.push(f.aspect);
        }
    }
    for (metrics, aspects) in by_signal.values_mut() {
        metrics.sort();
        aspects.sort();
    }
    by_signal
}

/// Per signal, the dashboard panels that show it and the alerting and
/// recording rules that watch it, with their file and line, and the files
/// read.
pub fn coverage(inventory: &Inventory) -> Coverage {
    let recordings = Recordings::new(inventory);
    let mut signals: Vec<SignalCoverage> = Signal::ALL
        .iter()
        .map(|&signal| SignalCoverage {
            signal,
            panels: Vec::new(),
            alerts: Vec::new(),
            recordings: Vec::new(),
        })
        .collect();
    for (dashboard, panel) in inventory.panels() {
        let mut found = Vec::new();
        for query in panel.queries.iter().filter(|q| !q.hidden) {
            let selectors = match query.language {
                Language::PromQl => promql::parse(&query.text).selectors,
                Language::Other => promql::words(&query.text),
            };
            found.extend(classify(&recordings.expand(selectors)));
        }
        for (signal, (metrics, aspects)) in group_by_signal(found) {
            if let Some(entry) = signals.iter_mut().find(|s| s.signal == signal) {
                entry.panels.push(PanelHit {
                    file: dashboard.file.clone(),
                    dashboard: dashboard.name().to_owned(),
                    panel: panel.title.clone(),
                    path: panel.path.clone(),
                    origin: Origin::new(&dashboard.file, panel.line),
                    metrics,
                    aspects,
                });
            }
        }
    }
    for (file, group, rule) in inventory.rules() {
        let found = classify(&recordings.expand(promql::parse(&rule.expr).selectors));
        for (signal, (metrics, aspects)) in group_by_signal(found) {
            let hit = RuleHit {
                file: file.file.clone(),
                group: group.name.clone(),
                name: rule.name.clone(),
                origin: rule.origin(&file.file),
                for_duration: rule.for_duration.clone(),
                severity: rule.severity.clone(),
                metrics,
                aspects,
            };
            if let Some(entry) = signals.iter_mut().find(|s| s.signal == signal) {
                match rule.kind {
                    RuleKind::Alert => entry.alerts.push(hit),
                    RuleKind::Record => entry.recordings.push(hit),
                }
            }
        }
    }
    Coverage {
        signals,
        files: inventory.files(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signals_of(expr: &str) -> Vec<(Signal, String)> {
        let recordings = Recordings {
            by_name: BTreeMap::new(),
        };
        classify(&recordings.expand(promql::parse(expr).selectors))
            .into_iter()
            .map(|f| (f.signal, f.metric))
            .collect()
    }

    #[test]
    fn globs() {
        assert!(glob(
            "*request_duration*",
            "http_request_duration_seconds_bucket"
        ));
        assert!(glob("mysql_up", "mysql_up"));
        assert!(!glob("mysql_up", "mysql_upx"));
        assert!(glob("*requests_total", "nginx_http_requests_total"));
        assert!(!glob("*requests_total", "nginx_http_requests_total_x"));
        assert!(glob("a*b*c", "aXbYbZc"));
        assert!(!glob("a*b*c", "aXbYbZ"));
    }

    #[test]
    fn error_ratios_are_errors_not_throughput() {
        let found = signals_of(
            r#"sum(rate(nginx_http_requests_total{status=~"^5.."}[1m])) / sum(rate(nginx_http_requests_total[1m])) * 100 > 5"#,
        );
        assert_eq!(
            found,
            [(
                ErrorRate,
                r#"nginx_http_requests_total{status=~"^5.."}"#.to_owned()
            )]
        );
        let client_errors =
            signals_of(r#"sum(rate(nginx_http_requests_total{status=~"^4.."}[1m])) > 5"#);
        assert!(client_errors.is_empty(), "{client_errors:?}");
        let traffic = signals_of("sum(rate(http_requests_total[5m])) < 1");
        assert_eq!(traffic, [(Throughput, "http_requests_total".to_owned())]);
    }

    #[test]
    fn histogram_counts_are_throughput_and_buckets_latency() {
        assert_eq!(
            signals_of("rate(request_seconds_count[1m])"),
            [(Throughput, "request_seconds_count".to_owned())]
        );
        assert_eq!(
            signals_of("histogram_quantile(0.9, sum(rate(request_seconds_bucket[1m])) by (le))"),
            [(Latency, "request_seconds_bucket".to_owned())]
        );
        assert!(signals_of("rate(phpfpm_slow_requests_total[5m])").is_empty());
        // The latency of failed requests is latency, not an error rate.
        assert_eq!(
            signals_of(
                r#"histogram_quantile(0.9, rate(k6_http_req_waiting_bucket{expected_response="false"}[1m]))"#
            ),
            [(Latency, "k6_http_req_waiting_bucket".to_owned())]
        );
    }

    #[test]
    fn recorded_series_are_followed() {
        let recordings = Recordings {
            by_name: BTreeMap::from([(
                "job:errors:ratio".to_owned(),
                vec![promql::parse(r#"sum(rate(http_requests_total{code=~"5.."}[5m]))"#).selectors],
            )]),
        };
        let found =
            classify(&recordings.expand(promql::parse("job:errors:ratio > 0.01").selectors));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].signal, ErrorRate);
        assert_eq!(
            found[0].metric,
            r#"http_requests_total{code=~"5.."} (via job:errors:ratio)"#
        );
    }
}
