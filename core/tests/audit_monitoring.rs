//! The Monitoring audit over real dashboards and rule files
//! (tests/fixtures/audit/grafana and prometheus, see
//! tests/fixtures/audit/PROVENANCE.md) and small constructed ones
//! (tests/fixtures/audit/constructed-monitoring, see its README.md).
//!
//! Coverage and findings are pinned as text in
//! tests/snapshots/audit_monitoring/<name>.txt; `UPDATE_SNAPSHOTS=1 cargo
//! test` rewrites them, and the diff is reviewed by hand before it is
//! committed.

use readiness_core::assess::Category;
use readiness_core::audit::monitoring::{self, Coverage, Inventory, Signal};
use readiness_core::audit::{self, AuditError, Finding, Inputs, Kind, Stack};
use readiness_core::input::{MemorySource, Source};
use readiness_core::targets::Outcome;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const GRAFANA: [&str; 6] = [
    "k6-examples-k6-prometheus-dashboard.json",
    "mysqld_exporter-mixin-mysql-overview.json",
    "php-fpm_exporter-kubernetes-php-fpm.json",
    "redis_exporter-grafana_prometheus_redis_dashboard.json",
    "redis_exporter-redis-mixin-redis-overview.json",
    "vegeta-prometheus-grafana-dashboard.json",
];

const PROMETHEUS: [&str; 9] = [
    "awesome-prometheus-alerts-blackbox-blackbox-exporter.yml",
    "awesome-prometheus-alerts-host-and-hardware-node-exporter.yml",
    "awesome-prometheus-alerts-mysql-mysqld-exporter.yml",
    "awesome-prometheus-alerts-nginx-knyar-nginx-exporter.yml",
    "awesome-prometheus-alerts-php-fpm-bakins-fpm-exporter.yml",
    "awesome-prometheus-alerts-redis-oliver006-redis-exporter.yml",
    "mysqld_exporter-mixin-alerts-galera.yaml",
    "mysqld_exporter-mixin-alerts-general.yaml",
    "mysqld_exporter-mixin-rules-rules.yaml",
];

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audit")
}

/// A fixture as a source named by its path under tests/fixtures/audit, so
/// that messages and snapshots do not depend on where the checkout is.
fn fixture(path: &str) -> MemorySource {
    let full = fixtures_dir().join(path);
    let bytes = std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()));
    MemorySource::new(path, bytes)
}

fn constructed(name: &str) -> MemorySource {
    fixture(&format!("constructed-monitoring/{name}"))
}

fn load(sources: &[MemorySource]) -> Result<Stack, AuditError> {
    let refs: Vec<&dyn Source> = sources.iter().map(|s| s as &dyn Source).collect();
    audit::load(&refs)
}

fn stack_of(sources: &[MemorySource]) -> Stack {
    load(sources).unwrap_or_else(|e| panic!("{e}"))
}

/// The findings of the Monitoring rules.
fn findings(stack: &Stack) -> Vec<Finding> {
    audit::evaluate(stack, &Inputs::default())
        .into_iter()
        .filter(|f| f.category == Category::Monitoring)
        .collect()
}

fn finding<'a>(findings: &'a [Finding], rule: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.rule == rule)
        .unwrap_or_else(|| panic!("no finding for {rule}"))
}

fn outcome(stack: &Stack, rule: &str) -> Outcome {
    finding(&findings(stack), rule).evaluation.outcome
}

/// The inventory, the coverage and the findings as stable text.
fn render(stack: &Stack) -> String {
    let inventory: &Inventory = &stack.monitoring;
    let mut out = String::new();
    let _ = writeln!(out, "# files");
    for (file, kind) in &stack.files {
        let _ = writeln!(out, "{file} ({kind})");
    }
    let _ = writeln!(out, "\n# inventory");
    for dashboard in &inventory.dashboards {
        let queries: usize = dashboard.panels.iter().map(|p| p.queries.len()).sum();
        let _ = writeln!(
            out,
            "dashboard {:?} uid={:?} schema={:?}: {} panels, {} queries",
            dashboard.title,
            dashboard.uid,
            dashboard.schema_version,
            dashboard.panels.len(),
            queries
        );
    }
    for file in &inventory.rule_files {
        for group in &file.groups {
            let alerts = group
                .rules
                .iter()
                .filter(|r| r.kind == monitoring::RuleKind::Alert)
                .count();
            let _ = writeln!(
                out,
                "group {:?} ({}:{}): {} alerts, {} recording rules",
                group.name,
                file.file,
                group.line,
                alerts,
                group.rules.len() - alerts
            );
        }
    }
    for problem in &inventory.problems {
        let _ = writeln!(out, "problem {}: {}", problem.origin, problem.message);
    }
    let _ = writeln!(out, "\n# coverage");
    render_coverage(&mut out, &monitoring::coverage(inventory));
    let _ = writeln!(out, "\n# findings");
    for f in findings(stack) {
        let e = &f.evaluation;
        let location = e
            .location
            .as_ref()
            .map(|o| format!(" @ {o}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{} [{} {}] {}{location}\n    {}",
            f.rule,
            e.outcome,
            f.severity.as_str(),
            e.value.as_deref().unwrap_or("-"),
            e.detail
        );
    }
    out
}

fn render_coverage(out: &mut String, coverage: &Coverage) {
    for signal in &coverage.signals {
        let _ = writeln!(
            out,
            "{}: {} panels, {} alerts, {} recording rules",
            signal.signal.id(),
            signal.panels.len(),
            signal.alerts.len(),
            signal.recordings.len()
        );
        for hit in &signal.panels {
            let _ = writeln!(
                out,
                "  panel {:?} of {:?} ({} @ {}): {} [{}]",
                hit.panel,
                hit.dashboard,
                hit.path,
                hit.origin,
                hit.metrics.join(", "),
                hit.aspects.join(", ")
            );
        }
        for (what, hits) in [("alert", &signal.alerts), ("record", &signal.recordings)] {
            for hit in hits {
                let _ = writeln!(
                    out,
                    "  {what} {} ({} @ {}, for {}, severity {}): {} [{}]",
                    hit.name,
                    hit.group,
                    hit.origin,
                    hit.for_duration.as_deref().unwrap_or("-"),
                    hit.severity.as_deref().unwrap_or("-"),
                    hit.metrics.join(", "),
                    hit.aspects.join(", ")
                );
            }
        }
    }
}

/// Compares text with its snapshot, or writes it when UPDATE_SNAPSHOTS=1.
/// Returns a description of the difference instead of panicking, so that a
/// test over many fixtures reports all of them.
fn snapshot(name: &str, actual: &str) -> Result<(), String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/audit_monitoring")
        .join(format!("{name}.txt"));
    if std::env::var("UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return Ok(());
    }
    let expected = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "{}: {e} (run with UPDATE_SNAPSHOTS=1 to create it)",
            path.display()
        )
    })?;
    if expected == actual {
        return Ok(());
    }
    let first_difference = expected
        .lines()
        .zip(actual.lines())
        .position(|(e, a)| e != a)
        .unwrap_or(expected.lines().count().min(actual.lines().count()));
    Err(format!(
        "{} differs from line {}:\n  expected: {:?}\n  actual:   {:?}\n(run with UPDATE_SNAPSHOTS=1 and review the diff)",
        path.display(),
        first_difference + 1,
        expected.lines().nth(first_difference),
        actual.lines().nth(first_difference)
    ))
}

fn assert_snapshot(name: &str, actual: &str) {
    if let Err(difference) = snapshot(name, actual) {
        panic!("{difference}");
    }
}

fn snapshot_name(path: &str) -> String {
    path.rsplit('/')
        .next()
        .unwrap_or(path)
        .trim_end_matches(".json")
        .trim_end_matches(".yml")
        .trim_end_matches(".yaml")
        .to_owned()
}

#[test]
fn every_fixture_is_recognised_parses_and_its_coverage_is_pinned() {
    let paths = GRAFANA
        .iter()
        .map(|f| format!("grafana/{f}"))
        .chain(PROMETHEUS.iter().map(|f| format!("prometheus/{f}")));
    let mut failures = Vec::new();
    for path in paths {
        let source = fixture(&path);
        let expected = if path.starts_with("grafana/") {
            Kind::GrafanaDashboard
        } else {
            Kind::PrometheusRules
        };
        assert_eq!(
            monitoring::sniff(&path, &source.bytes),
            Some(expected),
            "{path}"
        );
        let stack = stack_of(std::slice::from_ref(&source));
        assert!(
            stack.monitoring.problems.is_empty(),
            "{path}: {:?}",
            stack.monitoring.problems
        );
        if let Err(difference) = snapshot(&snapshot_name(&path), &render(&stack)) {
            failures.push(difference);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_whole_set_together() {
    let sources: Vec<MemorySource> = GRAFANA
        .iter()
        .map(|f| fixture(&format!("grafana/{f}")))
        .chain(
            PROMETHEUS
                .iter()
                .map(|f| fixture(&format!("prometheus/{f}"))),
        )
        .collect();
    let stack = stack_of(&sources);
    assert_eq!(stack.monitoring.dashboards.len(), 6);
    assert_eq!(stack.monitoring.rule_files.len(), 9);
    let coverage = monitoring::coverage(&stack.monitoring);
    assert_eq!(coverage.files.len(), 15);
    let findings = findings(&stack);
    // Every signal is on some dashboard of the set.
    for signal in Signal::ALL {
        let rule = format!("mon.dashboard.{}", signal.id());
        assert_eq!(
            finding(&findings, &rule).evaluation.outcome,
            Outcome::Pass,
            "{rule}"
        );
    }
    // No alert of the set watches the request rate itself: the nginx
    // alerts are ratios of it.
    assert_eq!(
        finding(&findings, "mon.alert.throughput")
            .evaluation
            .outcome,
        Outcome::Fail
    );
    assert_snapshot("all", &render(&stack));
}

#[test]
fn what_the_real_fixtures_cover() {
    let covers = |path: &str, signal: Signal| {
        let stack = stack_of(&[fixture(path)]);
        let coverage = monitoring::coverage(&stack.monitoring);
        let of = coverage.of(signal).unwrap();
        !of.panels.is_empty() || !of.alerts.is_empty()
    };
    let fpm = "grafana/php-fpm_exporter-kubernetes-php-fpm.json";
    assert!(covers(fpm, Signal::FpmSaturation));
    // phpfpm_process_request_duration is the duration of each worker's
    // last request.
    assert!(covers(fpm, Signal::Latency));
    assert!(!covers(fpm, Signal::ErrorRate));
    let k6 = "grafana/k6-examples-k6-prometheus-dashboard.json";
    for signal in [Signal::Latency, Signal::ErrorRate, Signal::Throughput] {
        assert!(covers(k6, signal), "{signal}");
    }
    let vegeta = "grafana/vegeta-prometheus-grafana-dashboard.json";
    for signal in [Signal::Latency, Signal::ErrorRate, Signal::Throughput] {
        assert!(covers(vegeta, signal), "{signal}");
    }
    assert!(covers(
        "grafana/mysqld_exporter-mixin-mysql-overview.json",
        Signal::Mysql
    ));
    for redis in [
        "grafana/redis_exporter-grafana_prometheus_redis_dashboard.json",
        "grafana/redis_exporter-redis-mixin-redis-overview.json",
        "prometheus/awesome-prometheus-alerts-redis-oliver006-redis-exporter.yml",
    ] {
        assert!(covers(redis, Signal::Redis), "{redis}");
        assert!(!covers(redis, Signal::Mysql), "{redis}");
    }
    let nginx = "prometheus/awesome-prometheus-alerts-nginx-knyar-nginx-exporter.yml";
    assert!(covers(nginx, Signal::Latency));
    assert!(covers(nginx, Signal::ErrorRate));
    assert!(!covers(nginx, Signal::Throughput));
    assert!(covers(
        "prometheus/awesome-prometheus-alerts-php-fpm-bakins-fpm-exporter.yml",
        Signal::FpmSaturation
    ));
    assert!(covers(
        "prometheus/mysqld_exporter-mixin-alerts-general.yaml",
        Signal::Mysql
    ));
    let node = "prometheus/awesome-prometheus-alerts-host-and-hardware-node-exporter.yml";
    for signal in Signal::ALL {
        assert!(!covers(node, signal), "{signal}");
    }
}

#[test]
fn panels_and_rules_keep_their_place() {
    let stack = stack_of(&[fixture("grafana/php-fpm_exporter-kubernetes-php-fpm.json")]);
    let dashboard = &stack.monitoring.dashboards[0];
    // The legacy layout: nine rows of panels.
    assert_eq!(dashboard.panels[0].path, "rows[0].panels[0]");
    assert_eq!(dashboard.panels[0].title, "Total Process Utilisation");
    let text =
        std::str::from_utf8(&fixture("grafana/php-fpm_exporter-kubernetes-php-fpm.json").bytes)
            .unwrap()
            .to_owned();
    for panel in &dashboard.panels {
        // The line a panel opens on holds a `{`, and its title follows.
        let line = text.lines().nth(panel.line as usize - 1).unwrap();
        assert!(line.trim_end().ends_with('{'), "{}: {line}", panel.path);
    }
    let stack = stack_of(&[fixture(
        "prometheus/awesome-prometheus-alerts-nginx-knyar-nginx-exporter.yml",
    )]);
    let rules: Vec<(&str, u64, Option<&str>, Option<&str>)> = stack
        .monitoring
        .rules()
        .map(|(_, _, r)| {
            (
                r.name.as_str(),
                r.line,
                r.for_duration.as_deref(),
                r.severity.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            ("NginxHighHttp4xxErrorRate", 8, Some("1m"), Some("critical")),
            (
                "NginxHighHttp5xxErrorRate",
                17,
                Some("1m"),
                Some("critical")
            ),
            ("NginxLatencyHigh", 26, Some("2m"), Some("warning")),
        ]
    );
}

#[test]
fn nested_rows_legacy_rows_the_api_wrapper_and_datasources() {
    let stack = stack_of(&[constructed("all-signals.json")]);
    let dashboard = &stack.monitoring.dashboards[0];
    let paths: Vec<&str> = dashboard.panels.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "panels[0]",
            "panels[1]",
            "panels[1].panels[0]",
            "panels[2]",
            "panels[3]",
            "panels[4]",
            "panels[5]",
            "panels[6]",
            "panels[7]"
        ]
    );
    let sources: Vec<Option<&str>> = dashboard
        .panels
        .iter()
        .flat_map(|p| p.queries.iter().map(|q| q.datasource.as_deref()))
        .collect();
    // `$datasource` and `${DS_PROM}` resolve to the Prometheus plugin.
    assert!(
        sources
            .iter()
            .all(|s| matches!(s, Some("prometheus" | "loki"))),
        "{sources:?}"
    );
    let loki = &dashboard.panels[8].queries[0];
    assert_eq!(loki.language, monitoring::Language::Other);
    // The hidden listen-queue query does not count.
    let coverage = monitoring::coverage(&stack.monitoring);
    let fpm = &coverage.of(Signal::FpmSaturation).unwrap().panels[0];
    assert_eq!(fpm.metrics, ["phpfpm_active_processes"]);
    assert_eq!(fpm.origin.line, 42);

    let stack = stack_of(&[constructed("legacy-rows-api.json")]);
    let dashboard = &stack.monitoring.dashboards[0];
    assert_eq!(dashboard.title.as_deref(), Some("k6 load test (InfluxDB)"));
    assert_eq!(dashboard.panels[2].path, "dashboard.rows[1].panels[0]");
    assert_eq!(dashboard.panels[2].line, 35);
    // The query builder's measurement wins over a stale `query`.
    assert_eq!(dashboard.panels[1].queries[0].text, "http_reqs");
    assert_snapshot("legacy-rows-api", &render(&stack));
}

#[test]
fn kubernetes_prometheus_rules_with_anchors_and_merges() {
    let stack = stack_of(&[constructed("prometheusrule.yaml")]);
    let rules: Vec<(&str, u64, Option<&str>)> = stack
        .monitoring
        .rules()
        .map(|(_, _, r)| (r.name.as_str(), r.line, r.severity.as_deref()))
        .collect();
    assert_eq!(
        rules,
        [
            ("IngressHighLatency", 18, Some("page")),
            ("IngressErrors", 26, Some("page"))
        ]
    );
    assert_snapshot("prometheusrule", &render(&stack));
}

/// Each rule passes on one constructed file and fails (or warns) on
/// another.
#[test]
fn every_rule_passes_and_fails() {
    let good = stack_of(&[
        constructed("all-signals.json"),
        constructed("all-signals.yml"),
    ]);
    let bad = stack_of(&[constructed("nothing.json"), constructed("unrelated.yml")]);
    let good_findings = findings(&good);
    let bad_findings = findings(&bad);
    let ids: Vec<&str> = good_findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(ids.len(), 14, "{ids:?}");
    for signal in Signal::ALL {
        for kind in ["dashboard", "alert"] {
            let rule = format!("mon.{kind}.{}", signal.id());
            let pass = finding(&good_findings, &rule);
            assert_eq!(pass.evaluation.outcome, Outcome::Pass, "{rule}: {pass:?}");
            assert!(pass.evaluation.location.is_some(), "{rule}");
            let fail = finding(&bad_findings, &rule);
            assert_eq!(fail.evaluation.outcome, Outcome::Fail, "{rule}: {fail:?}");
        }
    }
    assert_eq!(outcome(&good, "mon.alerts_have_for"), Outcome::Pass);
    assert_eq!(outcome(&bad, "mon.alerts_have_for"), Outcome::Pass);
    let hasty = stack_of(&[constructed("no-for.yml")]);
    let warn = finding(&findings(&hasty), "mon.alerts_have_for").clone();
    assert_eq!(warn.evaluation.outcome, Outcome::Warn);
    assert_eq!(warn.evaluation.value.as_deref(), Some("2 of 3"));
    assert!(
        warn.evaluation.detail.contains("AnyServerError"),
        "{warn:?}"
    );
    assert!(warn.evaluation.detail.contains("for: 0m"), "{warn:?}");

    assert_eq!(outcome(&good, "mon.files_parse"), Outcome::Pass);
    let broken = stack_of(&[constructed("broken.yml")]);
    assert_eq!(outcome(&broken, "mon.files_parse"), Outcome::Fail);
    let broken_query = stack_of(&[constructed("broken-query.json")]);
    assert_eq!(outcome(&broken_query, "mon.files_parse"), Outcome::Warn);

    assert_snapshot("constructed-pass", &render(&good));
    assert_snapshot("constructed-fail", &render(&bad));
    assert_snapshot("no-for", &render(&hasty));
    assert_snapshot("broken", &render(&broken));
    assert_snapshot("broken-query", &render(&broken_query));
}

#[test]
fn missing_evidence_is_unverified_never_a_pass() {
    let empty = stack_of(&[]);
    for f in findings(&empty) {
        assert_eq!(f.evaluation.outcome, Outcome::Unverified, "{}", f.rule);
    }
    // Dashboards alone judge the dashboard rules and leave alerts unknown.
    let dashboards_only = stack_of(&[constructed("all-signals.json")]);
    for f in findings(&dashboards_only) {
        let expected = if f.rule.starts_with("mon.dashboard.") || f.rule == "mon.files_parse" {
            Outcome::Pass
        } else {
            Outcome::Unverified
        };
        assert_eq!(f.evaluation.outcome, expected, "{}", f.rule);
    }
    let rules_only = stack_of(&[constructed("all-signals.yml")]);
    for f in findings(&rules_only) {
        let expected = if f.rule.starts_with("mon.dashboard.") {
            Outcome::Unverified
        } else {
            Outcome::Pass
        };
        assert_eq!(f.evaluation.outcome, expected, "{}", f.rule);
    }
}

#[test]
fn a_recording_rule_is_not_an_alert_but_alerts_can_use_it() {
    let stack = stack_of(&[constructed("recording-only.yml")]);
    let findings = findings(&stack);
    let latency = finding(&findings, "mon.alert.latency");
    assert_eq!(latency.evaluation.outcome, Outcome::Fail);
    assert!(
        latency
            .evaluation
            .detail
            .contains("Recording rule \"job:http_request_duration_seconds:p95\""),
        "{latency:?}"
    );
    assert_eq!(
        finding(&findings, "mon.alerts_have_for").evaluation.outcome,
        Outcome::Unverified
    );
    // all-signals.yml alerts on job:http_5xx:ratio5m, recorded from a 5xx
    // ratio.
    let stack = stack_of(&[constructed("all-signals.yml")]);
    let coverage = monitoring::coverage(&stack.monitoring);
    let errors = coverage.of(Signal::ErrorRate).unwrap();
    let alert = errors
        .alerts
        .iter()
        .find(|a| a.name == "HighErrorRate")
        .unwrap();
    assert_eq!(
        alert.metrics,
        [r#"nginx_http_requests_total{status=~"5.."} (via job:http_5xx:ratio5m)"#]
    );
}

#[test]
fn a_truncated_dashboard_is_an_error_naming_file_and_line() {
    let full = fixture("grafana/vegeta-prometheus-grafana-dashboard.json");
    let cut = MemorySource::new("cut.json", full.bytes[..full.bytes.len() / 2].to_vec());
    let err = load(&[cut]).unwrap_err();
    let AuditError::Parse(parse) = &err else {
        panic!("expected a parse error, got {err}");
    };
    assert_eq!(parse.location().file.as_deref(), Some("cut.json"));
    assert!(parse.location().line.is_some_and(|l| l > 100), "{err}");
    assert!(err.to_string().contains("truncated"), "{err}");
}

#[test]
fn a_tab_in_yaml_indentation_is_an_error_naming_file_line_and_column() {
    let err = load(&[constructed("tab-indented.yml")]).unwrap_err();
    let text = err.to_string();
    // yaml-rust2 takes the tab before `- alert:` on line 4 as separation
    // and stops at the tab that indents `expr:` on line 5: the place named
    // is a tab the file must lose.
    assert!(
        text.starts_with("constructed-monitoring/tab-indented.yml, line 5, column 1: "),
        "{text}"
    );
    assert!(text.contains("tab"), "{text}");
}

#[test]
fn json_that_is_not_a_dashboard_is_not_recognised() {
    let source = constructed("not-a-dashboard.json");
    assert_eq!(monitoring::sniff(&source.name, &source.bytes), None);
    let err = load(&[source]).unwrap_err();
    assert!(matches!(err, AuditError::Unknown { .. }), "{err}");
}

#[test]
fn other_evidence_is_never_claimed() {
    // Every other fixture of the repository: k6 summaries, status JSON,
    // configuration files, CSV and logs.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut stack = vec![root.clone()];
    let mut checked = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if relative.starts_with("audit/grafana/")
                || relative.starts_with("audit/prometheus/")
                || relative.starts_with("audit/constructed-monitoring/")
            {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let head = &bytes[..bytes.len().min(64 * 1024)];
            assert_eq!(monitoring::sniff(&relative, head), None, "{relative}");
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} files checked");
}

#[test]
fn other_yaml_is_not_a_rule_file() {
    let others = [
        (
            "prometheus.yml",
            "global:\n  scrape_interval: 15s\nrule_files:\n  - alerts/*.yml\nscrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ['localhost:9100']\n",
        ),
        (
            "alertmanager.yml",
            "route:\n  receiver: team\n  group_by: [alertname]\nreceivers:\n  - name: team\n",
        ),
        (
            "docker-compose.yml",
            "services:\n  php:\n    image: php:8.3-fpm\n    expose: ['9000']\n",
        ),
        (
            // Grafana's own alert provisioning: groups and rules, but
            // Grafana's rule model (title, condition, data) and no `alert:`.
            "grafana-alerting.yaml",
            "apiVersion: 1\ngroups:\n  - orgId: 1\n    name: edge\n    folder: web\n    interval: 1m\n    rules:\n      - uid: a1\n        title: High error rate\n        condition: B\n        data:\n          - refId: A\n            model:\n              expr: sum(rate(http_requests_total[5m]))\n        for: 5m\n",
        ),
        (
            // A Helm values file nests rule groups under its own keys; it
            // is not a rule file Prometheus loads.
            "values.yaml",
            "additionalPrometheusRulesMap:\n  laravel:\n    groups:\n      - name: edge\n        rules:\n          - alert: Down\n            expr: up == 0\n",
        ),
    ];
    for (name, text) in others {
        assert_eq!(monitoring::sniff(name, text.as_bytes()), None, "{name}");
    }
}

#[test]
fn the_head_alone_is_enough_to_recognise_large_files() {
    for name in GRAFANA {
        let source = fixture(&format!("grafana/{name}"));
        // The k6 dashboard's schemaVersion comes after 50 KiB of panels.
        let head = &source.bytes[..source.bytes.len().min(4096)];
        assert_eq!(
            monitoring::sniff(name, head),
            Some(Kind::GrafanaDashboard),
            "{name}"
        );
    }
}

#[test]
fn oversized_files_are_refused_before_parsing() {
    let mut big = b"{\"annotations\": {\"list\": []}, \"panels\": [".to_vec();
    big.extend(std::iter::repeat_n(b' ', monitoring::MAX_DASHBOARD_BYTES));
    big.extend(b"]}");
    let err = load(&[MemorySource::new("big.json", big)]).unwrap_err();
    assert!(err.to_string().contains("at most 8 MiB"), "{err}");
}

/// A small deterministic generator, so that the mutation test needs no
/// dependency and fails the same way every time.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn mutated_inputs_never_panic() {
    let seeds: Vec<MemorySource> = [
        "grafana/vegeta-prometheus-grafana-dashboard.json",
        "grafana/redis_exporter-redis-mixin-redis-overview.json",
        "prometheus/awesome-prometheus-alerts-redis-oliver006-redis-exporter.yml",
        "prometheus/mysqld_exporter-mixin-alerts-galera.yaml",
        "constructed-monitoring/all-signals.json",
        "constructed-monitoring/all-signals.yml",
        "constructed-monitoring/prometheusrule.yaml",
    ]
    .iter()
    .map(|p| fixture(p))
    .collect();
    // Bytes that matter to JSON, YAML and PromQL.
    const SPECIAL: &[u8] = b"{}[]()\"'`:,-\t\n #&*!|>\\$=~0";
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut parsed = 0;
    for round in 0..600 {
        let seed = &seeds[round % seeds.len()];
        let mut bytes = seed.bytes.clone();
        match rng.below(4) {
            0 => bytes.truncate(rng.below(bytes.len())),
            1 => {
                for _ in 0..=rng.below(8) {
                    let at = rng.below(bytes.len());
                    bytes[at] = SPECIAL[rng.below(SPECIAL.len())];
                }
            }
            2 => {
                let at = rng.below(bytes.len());
                let len = rng.below(200).min(bytes.len() - at);
                bytes.drain(at..at + len);
            }
            _ => {
                let at = rng.below(bytes.len());
                let insert: Vec<u8> = (0..rng.below(40))
                    .map(|_| SPECIAL[rng.below(SPECIAL.len())])
                    .collect();
                bytes.splice(at..at, insert);
            }
        }
        let source = MemorySource::new(seed.name.clone(), bytes);
        if let Ok(stack) = load(&[source]) {
            // Judging what was read must not panic either.
            let _ = findings(&stack);
            let _ = monitoring::coverage(&stack.monitoring);
            parsed += 1;
        }
    }
    assert!(parsed > 50, "only {parsed} mutated files parsed");
}

#[test]
fn hostile_yaml_and_json_are_errors_not_crashes() {
    let deep_yaml = format!(
        "groups:\n- rules:\n  - alert: a\n    expr: {}x\n",
        "[".repeat(300)
    );
    let deep_block = format!(
        "groups:\nrules:\nalert:\nexpr:\nx:\n{}a\n",
        "- ".repeat(100_000)
    );
    let bomb = {
        let mut text = String::from(
            "groups:\n- rules:\n  - alert: a\n    expr: b\nx0: &x0 [\"aaaaaaaaaaaaaaaa\"]\n",
        );
        for i in 1..40 {
            let p = i - 1;
            text.push_str(&format!("x{i}: &x{i} [*x{p}, *x{p}, *x{p}, *x{p}]\n"));
        }
        text
    };
    for (name, text) in [
        ("deep.yml", deep_yaml),
        ("deep-block.yml", deep_block),
        ("bomb.yml", bomb),
    ] {
        let source = MemorySource::new(name, text);
        match load(&[source]) {
            Err(AuditError::Parse(err)) => {
                assert_eq!(err.location().file.as_deref(), Some(name));
                assert!(err.location().line.is_some(), "{name}: {err}");
            }
            other => panic!("{name}: expected a parse error, got {other:?}"),
        }
    }
    let deep_json = format!(
        "{{\"annotations\": {{}}, \"panels\": [{}]}}",
        "[".repeat(10_000) + &"]".repeat(10_000)
    );
    let err = load(&[MemorySource::new("deep.json", deep_json)]).unwrap_err();
    assert!(err.to_string().contains("recursion limit"), "{err}");
}
