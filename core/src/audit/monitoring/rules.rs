//! The Monitoring rules: one per signal and kind of coverage (a dashboard
//! panel, an alert), whether alerts wait before firing, and whether the
//! files are well-formed.

use super::signals::{Signal, coverage, patterns};
use super::{Inventory, Kind, PromRule};
use crate::assess::{Category, Severity};
use crate::audit::{Evaluation, Inputs, Rule, Stack};

/// How many items a detail names before saying how many more there are.
const NAMED: usize = 5;

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `a, b, c and 2 more`.
fn list(items: &[String]) -> String {
    let shown: Vec<&str> = items.iter().take(NAMED).map(String::as_str).collect();
    let rest = items.len().saturating_sub(NAMED);
    if rest > 0 {
        format!("{} and {rest} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// The files of a kind, for details: `a.json, b.json`.
fn files_of(inventory: &Inventory, kind: Kind) -> Vec<String> {
    inventory
        .files()
        .into_iter()
        .filter(|(_, k)| *k == kind)
        .map(|(f, _)| f)
        .collect()
}

/// What a query or an alert needs to show a signal, for Fail details.
fn what_shows(signal: Signal) -> String {
    match signal {
        Signal::ErrorRate => "a request counter filtered to 5xx (status=~\"5..\") or a failed-request metric such as k6_http_req_failed".to_owned(),
        _ => {
            let globs: Vec<&str> = patterns(signal).take(4).map(|p| p.glob).collect();
            format!("a metric matching {}", globs.join(", "))
        }
    }
}

/// ` Covered: availability, memory; not covered: evictions.` for signals
/// with aspects, else nothing.
fn aspects_sentence(signal: Signal, covered: &[&str]) -> String {
    let all = signal.aspects();
    if all.is_empty() {
        return String::new();
    }
    let missing: Vec<&str> = all
        .iter()
        .copied()
        .filter(|a| !covered.contains(a))
        .collect();
    if missing.is_empty() {
        format!(" Every aspect is covered: {}.", covered.join(", "))
    } else {
        format!(
            " Covered: {}; not covered: {}.",
            covered.join(", "),
            missing.join(", ")
        )
    }
}

fn dashboard_check(stack: &Stack, signal: Signal) -> Evaluation {
    let inventory = &stack.monitoring;
    if inventory.dashboards.is_empty() {
        return Evaluation::unverified(format!(
            "No Grafana dashboard was uploaded, so whether {} is on a dashboard is unknown.",
            signal.label()
        ))
        .threshold("at least one panel");
    }
    let coverage = coverage(inventory);
    let Some(covered) = coverage.of(signal) else {
        return Evaluation::unverified(format!("{} is not a known signal.", signal.label()));
    };
    let panels = inventory.panels().count();
    match covered.panels.first() {
        Some(first) => Evaluation::pass(format!(
            "Panel \"{}\" of dashboard \"{}\" ({}) shows {} through {}; {} in all.{}",
            first.panel,
            first.dashboard,
            first.path,
            signal.label(),
            list(&first.metrics),
            plural(covered.panels.len(), "panel", "panels"),
            aspects_sentence(signal, &covered.panel_aspects()),
        ))
        .value(plural(covered.panels.len(), "panel", "panels"))
        .threshold("at least one panel")
        .at(Some(&first.origin)),
        None => Evaluation::fail(format!(
            "None of the {} of {} ({}) shows {}: no query uses {}.",
            plural(panels, "panel", "panels"),
            plural(inventory.dashboards.len(), "dashboard", "dashboards"),
            list(&files_of(inventory, Kind::GrafanaDashboard)),
            signal.label(),
            what_shows(signal),
        ))
        .value("0 panels")
        .threshold("at least one panel"),
    }
}

fn alert_check(stack: &Stack, signal: Signal) -> Evaluation {
    let inventory = &stack.monitoring;
    if inventory.rule_files.is_empty() {
        return Evaluation::unverified(format!(
            "No Prometheus rule file was uploaded, so whether an alert watches {} is unknown.",
            signal.label()
        ))
        .threshold("at least one alerting rule");
    }
    let coverage = coverage(inventory);
    let Some(covered) = coverage.of(signal) else {
        return Evaluation::unverified(format!("{} is not a known signal.", signal.label()));
    };
    let alerts = inventory.alerts().count();
    let files = files_of(inventory, Kind::PrometheusRules);
    match covered.alerts.first() {
        Some(first) => Evaluation::pass(format!(
            "Alert \"{}\" ({}) watches {} through {}; {} in all.{}",
            first.name,
            first.origin,
            signal.label(),
            list(&first.metrics),
            plural(covered.alerts.len(), "alert", "alerts"),
            aspects_sentence(signal, &covered.alert_aspects()),
        ))
        .value(plural(covered.alerts.len(), "alert", "alerts"))
        .threshold("at least one alerting rule")
        .at(Some(&first.origin)),
        None => {
            let mut detail = if alerts == 0 {
                format!(
                    "The {} ({}) hold no alerting rule, so nothing watches {}.",
                    plural(files.len(), "rule file", "rule files"),
                    list(&files),
                    signal.label()
                )
            } else {
                format!(
                    "None of the {} in {} ({}) watches {}: no expression uses {}.",
                    plural(alerts, "alert", "alerts"),
                    plural(files.len(), "rule file", "rule files"),
                    list(&files),
                    signal.label(),
                    what_shows(signal),
                )
            };
            if let Some(recording) = covered.recordings.first() {
                detail.push_str(&format!(
                    " Recording rule \"{}\" ({}) computes it, but no alert uses it.",
                    recording.name, recording.origin
                ));
            }
            Evaluation::fail(detail)
                .value("0 alerts")
                .threshold("at least one alerting rule")
                .at(covered.recordings.first().map(|r| &r.origin))
        }
    }
}

fn alerts_have_for(stack: &Stack, _inputs: &Inputs) -> Evaluation {
    let inventory = &stack.monitoring;
    let threshold = "a `for:` longer than 0 on every alert";
    if inventory.rule_files.is_empty() {
        return Evaluation::unverified(
            "No Prometheus rule file was uploaded, so how alerts fire is unknown.",
        )
        .threshold(threshold);
    }
    let alerts: Vec<(String, &PromRule)> = inventory
        .alerts()
        .map(|(file, _, rule)| (file.file.clone(), rule))
        .collect();
    if alerts.is_empty() {
        return Evaluation::unverified("The rule files hold no alerting rule to check.")
            .threshold(threshold);
    }
    let hasty: Vec<&(String, &PromRule)> = alerts.iter().filter(|(_, r)| !r.waits()).collect();
    match hasty.first() {
        Some((file, first)) => {
            let named: Vec<String> = hasty
                .iter()
                .map(|(file, rule)| {
                    let written = rule
                        .for_duration
                        .as_deref()
                        .map(|d| format!("for: {d}"))
                        .unwrap_or_else(|| "no for".to_owned());
                    format!("{} ({}, {written})", rule.name, rule.origin(file))
                })
                .collect();
            Evaluation::warn(format!(
                "{} of {} fire on the first evaluation that matches, with no `for:` or a zero one: {}.",
                hasty.len(),
                plural(alerts.len(), "alert", "alerts"),
                list(&named),
            ))
            .value(format!("{} of {}", hasty.len(), alerts.len()))
            .threshold(threshold)
            .at(Some(&first.origin(file)))
        }
        None => {
            let shortest = alerts
                .iter()
                .min_by_key(|(_, r)| r.for_ms.unwrap_or(u64::MAX));
            let example = shortest
                .map(|(file, r)| {
                    format!(
                        " (the shortest, {}, is on {} at {})",
                        r.for_duration.as_deref().unwrap_or("?"),
                        r.name,
                        r.origin(file)
                    )
                })
                .unwrap_or_default();
            Evaluation::pass(format!(
                "All {} wait a `for:` before firing{example}.",
                plural(alerts.len(), "alert", "alerts")
            ))
            .value(format!("0 of {}", alerts.len()))
            .threshold(threshold)
        }
    }
}

fn files_parse(stack: &Stack, _inputs: &Inputs) -> Evaluation {
    let inventory = &stack.monitoring;
    let files = inventory.files();
    let threshold = "no part of a file that Prometheus or Grafana would refuse";
    if files.is_empty() {
        return Evaluation::unverified(
            "No Grafana dashboard or Prometheus rule file was uploaded.",
        )
        .threshold(threshold);
    }
    let Some(first) = inventory.problems.first() else {
        let all = match files.len() {
            1 => "The monitoring file parses".to_owned(),
            n => format!("All {n} monitoring files parse"),
        };
        return Evaluation::pass(format!(
            "{all}; no rule or query is malformed as far as a light reading of PromQL can tell."
        ))
        .value("0 problems")
        .threshold(threshold);
    };
    let described: Vec<String> = inventory
        .problems
        .iter()
        .map(|p| format!("{} ({})", p.message, p.origin))
        .collect();
    let in_rules = inventory
        .problems
        .iter()
        .find(|p| p.kind == Kind::PrometheusRules);
    let count = plural(inventory.problems.len(), "problem", "problems");
    match in_rules {
        Some(rule_problem) => Evaluation::fail(format!(
            "Prometheus refuses a rule file with any of these, and then runs none of its alerts: {}.",
            list(&described)
        ))
        .value(count)
        .threshold(threshold)
        .at(Some(&rule_problem.origin)),
        None => Evaluation::warn(format!(
            "Grafana shows an error instead of data on these panels: {}.",
            list(&described)
        ))
        .value(count)
        .threshold(threshold)
        .at(Some(&first.origin)),
    }
}

/// A dashboard rule and an alert rule for one signal.
macro_rules! signal_rules {
    ($signal:expr, $id:literal, $severity:expr,
     $dash_title:literal, $dash_why:literal, $dash_fix:literal,
     $alert_title:literal, $alert_why:literal, $alert_fix:literal) => {
        [
            Rule {
                id: concat!("mon.dashboard.", $id),
                title: $dash_title,
                category: Category::Monitoring,
                severity: $severity,
                why: $dash_why,
                fix: $dash_fix,
                check: |stack, _| dashboard_check(stack, $signal),
            },
            Rule {
                id: concat!("mon.alert.", $id),
                title: $alert_title,
                category: Category::Monitoring,
                severity: $severity,
                why: $alert_why,
                fix: $alert_fix,
                check: |stack, _| alert_check(stack, $signal),
            },
        ]
    };
}

pub fn all() -> Vec<Rule> {
    let mut rules = Vec::new();
    rules.extend(signal_rules!(
        Signal::Latency,
        "latency",
        Severity::High,
        "Request latency is on a dashboard",
        "Slow responses are the first thing users notice and what the latency targets are written in; without a latency panel a regression after a deploy or under load is found by users, not by the team.",
        "Add a panel with the p95 and p99 of the request-duration histogram your edge exports, for example histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))), or the ingress-nginx or nginx equivalent.",
        "An alert watches request latency",
        "A latency target nobody is told about is only checked when someone happens to look; an alert turns a breach into a page while it is still small.",
        "Add an alerting rule on the p95 or p99 request duration against the project's latency target, with a `for:` of a few minutes so one slow scrape does not page."
    ));
    rules.extend(signal_rules!(
        Signal::ErrorRate,
        "error_rate",
        Severity::High,
        "The error rate is on a dashboard",
        "A rise in 5xx responses is the plainest sign that the system is failing its users; without a panel for it, failures hide inside healthy-looking traffic graphs.",
        "Add a panel with the share of 5xx responses, for example sum(rate(http_requests_total{status=~\"5..\"}[5m])) / sum(rate(http_requests_total[5m])), from nginx, the ingress or the application.",
        "An alert watches the error rate",
        "Errors that nobody is alerted to keep failing requests until a user complains; the error-rate target only protects users if breaking it pages someone.",
        "Add an alerting rule on the 5xx ratio against the project's error-rate target, with a `for:` so a single failed scrape does not page."
    ));
    rules.extend(signal_rules!(
        Signal::Throughput,
        "throughput",
        Severity::Medium,
        "Request throughput is on a dashboard",
        "The request rate puts latency and errors in context (a slowdown at twice the usual traffic is a capacity problem) and shows when traffic stops altogether; it is medium because a problem it reveals also shows in latency or errors.",
        "Add a panel with the request rate, for example sum(rate(http_requests_total[5m])), or the php-fpm accepted-connections rate.",
        "An alert watches request throughput",
        "Traffic that drops to zero (a broken DNS record, a failed deploy behind the load balancer) produces no errors and no slow requests; only a throughput alert notices the silence.",
        "Add an alerting rule that fires when the request rate falls far below its usual level, or to zero, for several minutes."
    ));
    rules.extend(signal_rules!(
        Signal::FpmSaturation,
        "fpm_saturation",
        Severity::Medium,
        "php-fpm saturation is on a dashboard",
        "When every php-fpm worker is busy, new requests wait in the listen queue and then time out, while CPU and memory can look fine; a panel shows the cause behind slow requests. It is medium because the symptom also shows in latency.",
        "Add a panel with php-fpm active processes against pm.max_children, the listen queue and the max-children-reached counter (phpfpm_active_processes, phpfpm_listen_queue, phpfpm_max_children_reached from php-fpm_exporter).",
        "An alert watches php-fpm saturation",
        "Reaching pm.max_children is the moment php-fpm starts queueing requests; alerting on it gives warning before the queue turns into timeouts.",
        "Add an alerting rule on increase(phpfpm_max_children_reached[5m]) > 0 or on a non-empty listen queue, with a `for:` of a few minutes."
    ));
    rules.extend(signal_rules!(
        Signal::Mysql,
        "mysql",
        Severity::Medium,
        "MySQL health is on a dashboard",
        "Most slow Laravel requests are slow queries or a database out of connections; MySQL panels (connections, slow queries, InnoDB) tell why the front is slow. Medium, because the effect also shows in latency and errors.",
        "Import the mysqld_exporter mixin dashboard, or add panels for mysql_up, threads connected against max_connections, slow queries and the InnoDB buffer pool.",
        "An alert watches MySQL",
        "A database that is down or out of connections takes the whole application with it; an alert on MySQL itself points at the cause instead of at every page that fails.",
        "Add alerting rules for mysql_up == 0, connections near max_connections and a rising slow-query rate (the mysqld_exporter mixin and awesome-prometheus-alerts have them)."
    ));
    rules.extend(signal_rules!(
        Signal::Redis,
        "redis",
        Severity::Medium,
        "Redis health is on a dashboard",
        "Laravel keeps cache, sessions and queues in Redis; memory at maxmemory means evictions (lost sessions, cache misses) and a falling hit rate means more database load. Medium, because the effect also shows in latency and errors.",
        "Import the redis_exporter dashboard, or add panels for redis_up, memory used against maxmemory, evicted keys and the keyspace hit ratio.",
        "An alert watches Redis",
        "Redis running out of memory or going down silently drops cached data and queued jobs; an alert on Redis itself says so before users see the effects.",
        "Add alerting rules for redis_up == 0, memory used near maxmemory and a rising eviction rate (awesome-prometheus-alerts has them for redis_exporter)."
    ));
    rules.push(Rule {
        id: "mon.alerts_have_for",
        title: "Alerts wait a `for:` before firing",
        category: Category::Monitoring,
        severity: Severity::Low,
        why: "An alert without `for:` fires on the first evaluation that matches, so a single slow scrape or a restart pages someone; pages that resolve themselves teach people to ignore pages. Low, because the alert still fires when it should.",
        fix: "Give every alert a `for:` that matches how long the condition must hold to matter, usually one to five minutes; keep `for: 0` only where the expression already spans a window (increase over 5m) and say so in a comment.",
        check: alerts_have_for,
    });
    rules.push(Rule {
        id: "mon.files_parse",
        title: "Monitoring files are well-formed",
        category: Category::Monitoring,
        severity: Severity::High,
        why: "Prometheus refuses a whole rule file when one rule is malformed (no expr, an unbalanced expression, an invalid duration), so every alert in it stops working, and Grafana shows an error instead of a graph for a query it cannot parse. High, because a refused rule file silences every alert it holds.",
        fix: "Run `promtool check rules` on rule files before deploying them and fix what it reports; open the dashboard in Grafana and fix the queries of panels that show an error.",
        check: files_parse,
    });
    rules
}
