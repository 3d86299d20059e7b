//! Grafana dashboards and Prometheus rule files, and the coverage of the
//! signals the targets need: which of latency, error rate, throughput,
//! php-fpm saturation, MySQL and Redis a dashboard panel shows and an alert
//! watches.
//!
//! # Formats
//!
//! **Grafana dashboard JSON** (the dashboard model Grafana exports and its
//! HTTP API serves, the latter wrapped as `{"dashboard": {...}, "meta":
//! {...}}`). A dashboard has a `title`, a `uid`, a `schemaVersion` and its
//! panels, laid out in one of two ways: `panels[]` (schema 16 and later),
//! where a panel of `type: "row"` that is collapsed holds its own
//! `panels[]`, or the legacy `rows[]`, each with `panels[]`. A panel has a
//! `title`, a `type`, a `datasource` and `targets[]`, its queries. A
//! Prometheus query is `targets[].expr` (PromQL); other datasources write
//! `query` (InfluxQL, Flux, Elasticsearch), `rawSql` (SQL datasources),
//! `target` (Graphite) or `measurement` (InfluxDB's query builder). A
//! datasource is an object `{type, uid}`, a name, or a template variable
//! (`$datasource`, `${DS_PROMETHEUS}`) resolved through
//! `templating.list[]` (variables of type `datasource`, whose `query` is
//! the plugin id) or the export's `__inputs[]` (`pluginId`). Loki's `expr`
//! is LogQL, read as text. Targets with `hide: true` are kept but do not
//! count. A panel is located by its index path (`panels[3].panels[1]`,
//! `rows[0].panels[2]`) and by the line its object opens on.
//!
//! **Prometheus rule files** (YAML): `groups[]`, each with a `name`, an
//! optional `interval` and `rules[]`; a rule has `alert:` (an alerting
//! rule) or `record:` (a recording rule), an `expr` (PromQL), and for
//! alerts an optional `for:` duration, `labels` (by convention
//! `severity`) and `annotations`. Kubernetes `PrometheusRule` objects
//! (`kind: PrometheusRule`, the groups under `spec:`) are read the same
//! way, and a stream of several YAML documents is read document by
//! document. Lines come from yaml-rust2's markers.
//!
//! A file that is not valid JSON or YAML is a [`ParseError`] with its file,
//! line and column. A file that parses but that Prometheus or Grafana would
//! refuse in part (a rule without `expr`, an unbalanced PromQL expression,
//! an invalid `for:` duration) is read as far as possible and the problem is
//! kept in [`Inventory::problems`] for the `mon.files_parse` rule.
//!
//! # Signals and how they are recognised
//!
//! Each expression is read lightly ([`promql`]): its series selectors, that
//! is metric names and label matchers, without functions, keywords, label
//! names or Grafana variables. Names recorded by a recording rule of the
//! uploaded rule files are replaced by the expression that records them
//! (transitively), so an alert on `job:http_errors:ratio5m` covers what that
//! series is computed from. A recorded name whose rule was not uploaded is
//! also matched by the metric part of `level:metric:operations`. Queries in
//! other languages are matched word by word. Patterns are globs (`*` is any
//! text) over the whole metric name:
//!
//! | signal | pattern | source |
//! |---|---|---|
//! | latency | `*request_duration*` | Prometheus client libraries (`http_request_duration_seconds`), ingress-nginx (`nginx_ingress_controller_request_duration_seconds`), nginx-lua-prometheus (`nginx_http_request_duration_seconds`), Traefik, OpenTelemetry (`http_server_request_duration_seconds`), hipages php-fpm_exporter (`phpfpm_process_request_duration`) |
//! | latency | `*response_duration*` | ingress-nginx (`nginx_ingress_controller_response_duration_seconds`) |
//! | latency | `*http_server_duration*` | OpenTelemetry's earlier conventions (`http_server_duration_milliseconds`) |
//! | latency | `*response_time*`, `*upstream_time*` | prometheus-nginxlog-exporter (`<ns>_http_response_time_seconds`, `<ns>_http_upstream_time_seconds`) |
//! | latency | `k6_http_req_duration*`, `k6_http_req_waiting*`, `http_req_duration`, `http_req_waiting` | k6 (Prometheus remote write, and the InfluxDB/JSON metric names) |
//! | latency | `request_seconds*` | vegeta's Prometheus metrics (`request_seconds` histogram) |
//! | latency | `probe_http_duration_seconds`, `probe_duration_seconds` | blackbox_exporter (synthetic requests from outside) |
//! | error rate | `k6_http_req_failed*`, `http_req_failed` | k6 |
//! | error rate | `request_fail_count` | vegeta |
//! | error rate | any selector with a matcher on a status label (name containing `status` or `code`) that selects 5xx (`=~"5.."`, `="5xx"`, `=~"^5.."`), or that excludes successes (`!~"2.."`) or server errors (`!~"5.."`, the success side of the same ratio), or k6's `expected_response="false"` | every HTTP exporter above labels requests by status |
//! | throughput | `*requests_total` (not `*slow*`, `*failed*`, `*rejected*`), `nginx_ingress_controller_requests`, `*response_count_total`, the `_count` of a latency histogram | client libraries (`http_requests_total`), nginx-prometheus-exporter and nginx-lua-prometheus (`nginx_http_requests_total`), ingress-nginx, prometheus-nginxlog-exporter, Traefik |
//! | throughput | `k6_http_reqs*`, `http_reqs` | k6 |
//! | throughput | `phpfpm_accepted_connections*`, `phpfpm_process_requests` | hipages php-fpm_exporter (`phpfpm_accepted_connections`, "requests accepted by the pool"), bakins php-fpm-exporter (`phpfpm_accepted_connections_total`) |
//! | php-fpm saturation | `phpfpm_active_processes`, `phpfpm_idle_processes`, `phpfpm_max_active_processes` | hipages php-fpm_exporter |
//! | php-fpm saturation | `phpfpm_processes_total` (labelled `state="active"`/`"idle"`), `phpfpm_active_max_processes` | bakins php-fpm-exporter |
//! | php-fpm saturation | `phpfpm_max_children_reached*` | hipages (`phpfpm_max_children_reached`), bakins (`_total`) |
//! | php-fpm saturation | `phpfpm_listen_queue*`, `phpfpm_max_listen_queue*` | hipages (`phpfpm_listen_queue`, `_length`, `phpfpm_max_listen_queue`), bakins (`phpfpm_listen_queue_connections`, `_max_connections`, `_length_connections`) |
//! | MySQL | `mysql_up` | mysqld_exporter: availability |
//! | MySQL | `mysql_global_status_threads_connected`, `_threads_running`, `_max_used_connections`, `_aborted_connects`, `_connection_errors_total`, `mysql_global_variables_max_connections` | mysqld_exporter: connections |
//! | MySQL | `mysql_global_status_slow_queries` | mysqld_exporter: slow queries |
//! | MySQL | `mysql_global_status_innodb_*`, `mysql_global_variables_innodb_*`, `mysql_info_schema_innodb_*`, `mysql_global_status_buffer_pool_*` | mysqld_exporter: InnoDB |
//! | MySQL | `mysql_slave_status_*`, `mysql_heartbeat_*` | mysqld_exporter: replication |
//! | Redis | `redis_up` | redis_exporter (oliver006): availability |
//! | Redis | `redis_memory_*`, `redis_total_system_memory_bytes` | redis_exporter: memory |
//! | Redis | `redis_evicted_keys_total` | redis_exporter: evictions |
//! | Redis | `redis_keyspace_hits_total`, `redis_keyspace_misses_total` | redis_exporter: hits and misses |
//! | Redis | `redis_connected_clients`, `redis_blocked_clients`, `redis_rejected_connections_total`, `redis_config_maxclients` | redis_exporter: clients |
//!
//! Latency names ending in `_count` count as throughput, not latency: the
//! count of a histogram is how many requests there were, not how long they
//! took. A status matcher on a duration histogram's buckets or sum (k6's
//! `k6_http_req_waiting_bucket{expected_response="false"}`) is the latency
//! of failed requests, not an error rate, and is not counted as one. An expression that filters requests by status at all (a 4xx ratio,
//! a 2xx ratio) does not count as throughput, even though its denominator
//! is the request rate: such a panel or alert watches a ratio, not the
//! traffic.
//!
//! Sources: the metric lists of hipages/php-fpm_exporter (README "Metrics
//! collected"), bakins/php-fpm-exporter (`collector.go`),
//! prometheus/mysqld_exporter and its mixin, oliver006/redis_exporter,
//! kubernetes/ingress-nginx, knyar/nginx-lua-prometheus,
//! nginxinc/nginx-prometheus-exporter, martin-helmich/prometheus-nginxlog-exporter,
//! tsenart/vegeta (`lib/prom`), grafana/k6 (its Prometheus remote-write
//! output adds the `k6_` prefix) and prometheus/blackbox_exporter.
//!
//! # Rules and severities
//!
//! One rule per signal and kind of coverage (`mon.dashboard.<signal>`,
//! `mon.alert.<signal>`), plus `mon.alerts_have_for` and
//! `mon.files_parse`. Latency and error rate are high: they are what the
//! targets are written in and what users feel, so a gap there means a
//! breach of the targets goes unseen. Throughput, php-fpm saturation, MySQL
//! and Redis are medium: they explain a breach (the cause behind slow or
//! failing requests) and help capacity planning, but a problem there
//! surfaces in latency or errors too. `mon.alerts_have_for` warns and is
//! low: an alert without `for:` still fires when it should, but it also
//! pages on every blip. `mon.files_parse` is high: Prometheus refuses a
//! whole rule file for one malformed rule, so every alert in it stops; it
//! fails for rule-file problems and warns for dashboard queries Grafana
//! cannot run, which break one panel only. Alerts of a file with problems
//! still count as coverage, because the light reading could be wrong where
//! Prometheus is not; `mon.files_parse` is where the problem is reported.
//! A rule is Unverified when no file of its kind was uploaded (no
//! dashboard for dashboard rules, no rule file for alert rules): missing
//! evidence is never a pass.

mod grafana;
pub mod promql;
mod rulefile;
mod rules;
mod signals;
mod yaml;

pub use signals::{
    Coverage, PanelHit, Pattern, RuleHit, Signal, SignalCoverage, coverage, patterns,
};

use super::model::Origin;
use super::{Bundle, Kind, Rule, Stack};
use crate::error::ParseError;
use crate::input::{Source, read_all};

/// The largest dashboard read. Exported dashboards are tens to hundreds of
/// KiB; the largest public ones stay under a few MiB.
pub const MAX_DASHBOARD_BYTES: usize = 8 << 20;

/// The largest rule file read. Rule files are small (the largest public
/// collections are a few hundred KiB); the YAML parser is slower than the
/// JSON one, hence the lower bound.
pub const MAX_RULE_FILE_BYTES: usize = 4 << 20;

/// Every dashboard and rule file of an upload.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub dashboards: Vec<Dashboard>,
    pub rule_files: Vec<RuleFile>,
    /// Parts of files that parse but that Grafana or Prometheus would
    /// refuse, in the order found.
    pub problems: Vec<Problem>,
}

impl Inventory {
    /// The files read, dashboards first, in the order they were loaded.
    pub fn files(&self) -> Vec<(String, Kind)> {
        self.dashboards
            .iter()
            .map(|d| (d.file.clone(), Kind::GrafanaDashboard))
            .chain(
                self.rule_files
                    .iter()
                    .map(|r| (r.file.clone(), Kind::PrometheusRules)),
            )
            .collect()
    }

    /// Every alerting rule, with the file and group it is in.
    pub fn alerts(&self) -> impl Iterator<Item = (&RuleFile, &RuleGroup, &PromRule)> {
        self.rules()
            .filter(|(_, _, rule)| rule.kind == RuleKind::Alert)
    }

    /// Every rule, alerting and recording.
    pub fn rules(&self) -> impl Iterator<Item = (&RuleFile, &RuleGroup, &PromRule)> {
        self.rule_files.iter().flat_map(|file| {
            file.groups
                .iter()
                .flat_map(move |group| group.rules.iter().map(move |rule| (file, group, rule)))
        })
    }

    /// Every panel, with its dashboard.
    pub fn panels(&self) -> impl Iterator<Item = (&Dashboard, &Panel)> {
        self.dashboards
            .iter()
            .flat_map(|d| d.panels.iter().map(move |p| (d, p)))
    }
}

/// Something Grafana or Prometheus would refuse in a file that parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: Kind,
    pub origin: Origin,
    /// One sentence naming what is wrong and where (group, rule, panel).
    pub message: String,
}

/// One Grafana dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    pub file: String,
    pub title: Option<String>,
    pub uid: Option<String>,
    pub schema_version: Option<u64>,
    /// Every panel in reading order, rows and panels nested in rows
    /// included.
    pub panels: Vec<Panel>,
}

impl Dashboard {
    /// The title, or the file name when the dashboard has none.
    pub fn name(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.file)
    }
}

/// One panel of a dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Where the panel sits in the JSON: `panels[3]`, `rows[0].panels[2]`,
    /// `dashboard.panels[1].panels[0]`.
    pub path: String,
    /// The line the panel's object opens on.
    pub line: u64,
    pub title: String,
    /// The visualisation (`timeseries`, `graph`, `stat`, `row`...).
    pub kind: String,
    pub queries: Vec<Query>,
}

/// One query (target) of a panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub ref_id: Option<String>,
    /// The datasource's plugin type when it could be resolved
    /// (`prometheus`, `loki`), else its name or variable as written; `None`
    /// for the default datasource.
    pub datasource: Option<String>,
    pub language: Language,
    pub text: String,
    /// `hide: true`: Grafana does not run it, so it shows nothing.
    pub hidden: bool,
}

/// The language of a query's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    PromQl,
    /// LogQL, InfluxQL, Flux, SQL, Graphite and anything else: matched word
    /// by word.
    Other,
}

/// One Prometheus rule file.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleFile {
    pub file: String,
    pub groups: Vec<RuleGroup>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleGroup {
    pub name: String,
    pub line: u64,
    pub interval: Option<String>,
    pub rules: Vec<PromRule>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    Alert,
    Record,
}

/// One rule of a group.
#[derive(Debug, Clone, PartialEq)]
pub struct PromRule {
    pub kind: RuleKind,
    /// The alert's name or the recorded series' name.
    pub name: String,
    pub expr: String,
    /// The `for:` duration as written.
    pub for_duration: Option<String>,
    /// `for:` in milliseconds, when it is a valid Prometheus duration.
    pub for_ms: Option<u64>,
    /// `labels.severity`.
    pub severity: Option<String>,
    /// The line of the rule's `alert:` or `record:` key.
    pub line: u64,
}

impl PromRule {
    pub fn origin(&self, file: &str) -> Origin {
        Origin::new(file, self.line)
    }

    /// Whether the alert waits before firing: a `for:` longer than zero.
    pub fn waits(&self) -> bool {
        self.for_ms.is_some_and(|ms| ms > 0)
    }
}

/// Whether a file is a Grafana dashboard or a Prometheus rule file, from
/// the first bytes of its content. Names are not needed and not trusted:
/// both kinds are often saved under other names.
pub fn sniff(_name: &str, head: &[u8]) -> Option<Kind> {
    if grafana::sniff(head) {
        Some(Kind::GrafanaDashboard)
    } else if rulefile::sniff(head) {
        Some(Kind::PrometheusRules)
    } else {
        None
    }
}

/// Reads a dashboard or a rule file into the stack's inventory.
pub fn load(
    kind: Kind,
    source: &dyn Source,
    _bundle: &Bundle<'_>,
    stack: &mut Stack,
) -> Result<Vec<String>, ParseError> {
    let name = source.name();
    match kind {
        Kind::GrafanaDashboard => {
            let bytes = read_all(source, MAX_DASHBOARD_BYTES)?;
            let text = utf8(name, &bytes)?;
            let (dashboard, problems) = grafana::parse(name, text)?;
            stack.monitoring.dashboards.push(dashboard);
            stack.monitoring.problems.extend(problems);
        }
        Kind::PrometheusRules => {
            let bytes = read_all(source, MAX_RULE_FILE_BYTES)?;
            let text = utf8(name, &bytes)?;
            let (file, problems) = rulefile::parse(name, text)?;
            stack.monitoring.rule_files.push(file);
            stack.monitoring.problems.extend(problems);
        }
        other => {
            return Err(ParseError::new(
                "a Grafana dashboard or a Prometheus rule file",
                format!("a {other}"),
            )
            .in_file(name));
        }
    }
    Ok(vec![name.to_owned()])
}

/// The text of a file, without a byte order mark; invalid UTF-8 is an
/// error at the line and column of the first bad byte.
fn utf8<'a>(name: &str, bytes: &'a [u8]) -> Result<&'a str, ParseError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.strip_prefix('\u{feff}').unwrap_or(text)),
        Err(err) => {
            let before = bytes.get(..err.valid_up_to()).unwrap_or_default();
            let line = before.iter().filter(|b| **b == b'\n').count() as u64 + 1;
            let column = before.iter().rev().take_while(|b| **b != b'\n').count() as u64 + 1;
            Err(
                ParseError::new("UTF-8 text", "a byte sequence that is not UTF-8")
                    .in_file(name)
                    .at_line(line, Some(column)),
            )
        }
    }
}

pub fn rules() -> Vec<Rule> {
    rules::all()
}
