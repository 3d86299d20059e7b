//! The nginx rules of the catalogue (AUDIT-RULES §5).

use super::super::model::{Origin, format_bytes, seconds_nginx, size_1024};
use super::super::{Evaluation, Inputs, Role, Rule, Server, Stack};
use super::model::{Context, Directive, Lookup, NginxConf, WorkerProcesses};
use crate::assess::{Category, Severity};
use crate::targets::{Outcome, trim_number};

pub(super) fn rules() -> Vec<Rule> {
    vec![
        Rule {
            id: "nginx.worker_processes",
            title: "nginx runs one worker per CPU",
            category: Category::Infrastructure,
            severity: Severity::Medium,
            why: "Each worker is single-threaded; fewer workers than CPUs leaves cores idle \
                  under load, more than CPUs only adds context switches.",
            fix: "Set worker_processes auto (or the CPU count; in a container, the CPU quota).",
            check: check_worker_processes,
        },
        Rule {
            id: "nginx.worker_connections",
            title: "Workers may hold enough connections and file descriptors",
            category: Category::Infrastructure,
            severity: Severity::High,
            why: "worker_connections counts client and upstream connections alike, and each \
                  needs a file descriptor: a proxied PHP request holds two. Past either limit \
                  nginx drops connections (\"worker_connections are not enough\").",
            fix: "Set worker_connections to at least 1024 and worker_rlimit_nofile to at least \
                  twice that; x.nginx_capacity sizes it against the target load.",
            check: check_worker_connections,
        },
        Rule {
            id: "nginx.keepalive_timeout",
            title: "Idle keep-alive connections are closed in time",
            category: Category::Infrastructure,
            severity: Severity::Low,
            why: "Keep-alive saves a TCP and TLS handshake per request, but idle sockets hold \
                  connection slots; 0 disables reuse entirely.",
            fix: "Set keepalive_timeout between 5 and 65 seconds (below the load balancer's \
                  idle timeout when there is one).",
            check: check_keepalive,
        },
        Rule {
            id: "nginx.gzip",
            title: "Text responses are compressed",
            category: Category::Infrastructure,
            severity: Severity::Medium,
            why: "JSON, JavaScript, CSS and SVG shrink several times with gzip; nginx compresses \
                  only text/html unless told otherwise, and high levels cost CPU for little \
                  gain.",
            fix: "gzip on; gzip_types application/json application/javascript text/css \
                  image/svg+xml (and other text types); gzip_comp_level 4 to 6 — unless a CDN or \
                  load balancer already compresses.",
            check: check_gzip,
        },
        Rule {
            id: "nginx.server_tokens",
            title: "nginx does not announce its version",
            category: Category::Infrastructure,
            severity: Severity::Low,
            why: "The version in the Server header and error pages tells attackers which known \
                  vulnerabilities to try.",
            fix: "Set server_tokens off in the http block.",
            check: check_server_tokens,
        },
        Rule {
            id: "nginx.client_max_body_size",
            title: "Request bodies are limited, and not below what PHP accepts",
            category: Category::Infrastructure,
            severity: Severity::Medium,
            why: "nginx answers 413 to any body above client_max_body_size (1m by default) \
                  before PHP sees it; 0 removes the check, letting any client send bodies of \
                  any size.",
            fix: "Set client_max_body_size at least to PHP's post_max_size (x.body_chain \
                  compares them), and not 0; raise it only on upload routes if needed.",
            check: check_body_size,
        },
        Rule {
            id: "nginx.fastcgi_buffers",
            title: "FastCGI buffers fit Laravel's responses",
            category: Category::Infrastructure,
            severity: Severity::Medium,
            why: "With the 4k/8k defaults, large Set-Cookie or Content-Security-Policy headers \
                  give 502 \"upstream sent too big header\", and bodies beyond the buffers are \
                  written to temporary files.",
            fix: "Set fastcgi_buffer_size 16k (or 32k) and fastcgi_buffers 16 16k in the PHP \
                  location.",
            check: check_fastcgi_buffers,
        },
        Rule {
            id: "nginx.open_file_cache",
            title: "nginx caches open file descriptors for static files",
            category: Category::Infrastructure,
            severity: Severity::Low,
            why: "Serving public/ assets opens and stats the same files on every request; the \
                  cache keeps their descriptors and metadata.",
            fix: "Set open_file_cache max=10000 inactive=30s (with open_file_cache_valid 60s) \
                  when nginx serves the assets; leave it off when a CDN does.",
            check: check_open_file_cache,
        },
        Rule {
            id: "nginx.tls",
            title: "TLS uses current protocols and HTTP/2",
            category: Category::Infrastructure,
            severity: Severity::High,
            why: "SSLv3, TLS 1.0 and 1.1 are deprecated (RFC 8996) and open to known attacks; \
                  HTTP/2 multiplexes a page's requests over one connection.",
            fix: "ssl_protocols TLSv1.2 TLSv1.3; `http2 on;` in TLS servers (nginx ≥ 1.25.1; \
                  older versions: `listen 443 ssl http2`).",
            check: check_tls,
        },
    ]
}

/// Every finding states the threshold it was held to, even when the
/// evidence was missing; the check sets a more precise one when it can.
fn with_threshold(eval: Evaluation, threshold: &str) -> Evaluation {
    if eval.threshold.is_empty() {
        eval.threshold(threshold)
    } else {
        eval
    }
}

fn check_worker_processes(stack: &Stack, inputs: &Inputs) -> Evaluation {
    with_threshold(
        check_worker_processes_inner(stack, inputs),
        "auto, or the number of CPUs",
    )
}

fn check_worker_connections(stack: &Stack, inputs: &Inputs) -> Evaluation {
    with_threshold(
        check_worker_connections_inner(stack, inputs),
        "worker_connections ≥ 1024 and worker_rlimit_nofile ≥ 2 × worker_connections",
    )
}

fn check_keepalive(stack: &Stack, inputs: &Inputs) -> Evaluation {
    with_threshold(check_keepalive_inner(stack, inputs), "5–65 s")
}

fn check_gzip(stack: &Stack, inputs: &Inputs) -> Evaluation {
    with_threshold(
        check_gzip_inner(stack, inputs),
        "gzip on; types include application/json, application/javascript, text/css, image/svg+xml; level 4–6",
    )
}

fn check_server_tokens(stack: &Stack, inputs: &Inputs) -> Evaluation {
    with_threshold(check_server_tokens_inner(stack, inputs), "off")
}

fn check_body_size(stack: &Stack, inputs: &Inputs) -> Evaluation {
    with_threshold(
        check_body_size_inner(stack, inputs),
        "not 0, and ≥ 8 MiB (PHP's default post_max_size)",
    )
}

fn check_fastcgi_buffers(stack: &Stack, inputs: &Inputs) -> Evaluation {
    with_threshold(
        check_fastcgi_buffers_inner(stack, inputs),
        "fastcgi_buffer_size ≥ 16 KiB and fastcgi_buffers total ≥ 128 KiB",
    )
}

fn check_open_file_cache(stack: &Stack, inputs: &Inputs) -> Evaluation {
    with_threshold(
        check_open_file_cache_inner(stack, inputs),
        "set (e.g. max=10000 inactive=30s) when nginx serves the assets",
    )
}

fn check_tls(stack: &Stack, inputs: &Inputs) -> Evaluation {
    with_threshold(
        check_tls_inner(stack, inputs),
        "ssl_protocols TLSv1.2/TLSv1.3 only; HTTP/2 on TLS servers",
    )
}

const NO_CONF: &str = "No nginx configuration was uploaded.";
const NO_MAIN: &str = "The main nginx.conf (with events and http) was not uploaded; the worker \
                       settings live there.";
const NO_SERVER: &str = "No server block was found in the uploaded nginx configuration.";

/// The server nginx runs on: the one with the web role, or the only
/// server of the profile.
fn web_host(inputs: &Inputs) -> Option<&Server> {
    let host = inputs.host.as_ref()?;
    host.server_with(Role::Web)
        .or(match host.servers.as_slice() {
            [only] => Some(only),
            _ => None,
        })
}

/// One place of the configuration judged on its own.
struct Item {
    outcome: Outcome,
    scope: String,
    text: String,
    value: String,
    origin: Option<Origin>,
    assumed: Option<String>,
}

fn rank(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Pass => 0,
        Outcome::Unverified => 1,
        Outcome::Warn => 2,
        Outcome::Fail => 3,
    }
}

/// Folds the judgements of several places into one evaluation: the worst
/// outcome, the places that have it (places sharing one inherited
/// directive are told once), every default relied on.
fn combine(items: Vec<Item>, threshold: String, all_pass: &str) -> Evaluation {
    let mut unique: Vec<Item> = Vec::new();
    for item in items {
        let seen = unique
            .iter()
            .any(|u| u.origin == item.origin && u.value == item.value && u.outcome == item.outcome);
        if !seen {
            unique.push(item);
        }
    }
    let Some(worst) = unique.iter().map(|i| i.outcome).max_by_key(|o| rank(*o)) else {
        return Evaluation::unverified(NO_SERVER).threshold(threshold);
    };
    let mut assumed: Vec<String> = Vec::new();
    for a in unique.iter().filter_map(|i| i.assumed.clone()) {
        if !assumed.contains(&a) {
            assumed.push(a);
        }
    }
    let chosen: Vec<&Item> = unique.iter().filter(|i| i.outcome == worst).collect();
    let first = chosen.first().copied();
    let detail = if worst == Outcome::Pass {
        format!("{all_pass} ({})", summary(&chosen))
    } else {
        let mut parts: Vec<String> = chosen
            .iter()
            .take(3)
            .map(|i| format!("{}: {}", i.scope, i.text))
            .collect();
        if chosen.len() > 3 {
            parts.push(format!("and {} more place(s)", chosen.len() - 3));
        }
        format!("{}.", parts.join("; "))
    };
    let mut eval = match worst {
        Outcome::Pass => Evaluation::pass(detail),
        Outcome::Warn => Evaluation::warn(detail),
        Outcome::Fail => Evaluation::fail(detail),
        Outcome::Unverified => Evaluation::unverified(detail),
    };
    if let Some(first) = first {
        eval = eval.value(first.value.clone()).at(first.origin.as_ref());
    }
    eval = eval.threshold(threshold);
    for a in assumed {
        eval = eval.assumed(a);
    }
    eval
}

fn summary(items: &[&Item]) -> String {
    let values: Vec<String> = items
        .iter()
        .map(|i| match &i.origin {
            Some(o) => format!("{} at {o}", i.value),
            None => format!("{} by default", i.value),
        })
        .collect();
    values.join("; ")
}

/// The contexts where an http/server/location directive takes effect:
/// every server (or, when nginx.conf has no server block, http itself)
/// and, with `locations`, every location.
fn places(conf: &NginxConf, locations: bool) -> Vec<Context<'_>> {
    let mut out: Vec<Context<'_>> = Vec::new();
    let servers = conf.servers();
    if servers.is_empty() {
        out.extend(conf.http_context());
    }
    out.extend(servers);
    if locations {
        out.extend(conf.locations());
    }
    out
}

/// An item for a place where the value is set nowhere in the upload and an
/// outer level was not uploaded.
fn unknown_item(ctx: &Context<'_>, name: &str) -> Item {
    Item {
        outcome: Outcome::Unverified,
        scope: ctx.scope.clone(),
        text: format!(
            "{name} is not set in the uploaded files, and the main nginx.conf that could set it \
             for http was not uploaded"
        ),
        value: "unknown".to_owned(),
        // No origin: every place missing the value is told once.
        origin: None,
        assumed: None,
    }
}

fn check_worker_processes_inner(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let Some(conf) = &stack.nginx else {
        return Evaluation::unverified(NO_CONF);
    };
    let Some(wp) = conf.worker_processes() else {
        return Evaluation::unverified(NO_MAIN);
    };
    let threshold = "auto, or the number of CPUs";
    let host = web_host(inputs);
    let (value, eval) = match wp.value {
        WorkerProcesses::Auto => (
            "auto".to_owned(),
            Evaluation::pass(
                "worker_processes auto starts one worker per CPU nginx sees (in a container \
                 with a CPU quota, auto may count the host's CPUs instead).",
            ),
        ),
        WorkerProcesses::Count(n) => {
            let eval = match host {
                None => Evaluation::unverified(format!(
                    "worker_processes {n}; the web server's CPUs are not known (give them in the \
                     host profile)."
                )),
                Some(server) => {
                    let cpus = u64::from(server.cpus);
                    if n == cpus {
                        Evaluation::pass(format!(
                            "worker_processes {n} matches the {cpus} CPUs of {}.",
                            server.name
                        ))
                    } else if n > cpus {
                        Evaluation::warn(format!(
                            "worker_processes {n} on {cpus} CPUs: extra workers only add context \
                             switches."
                        ))
                    } else {
                        Evaluation::warn(format!(
                            "worker_processes {n} on {cpus} CPUs: {} core(s) stay idle for \
                             nginx under load.",
                            cpus - n
                        ))
                    }
                }
            };
            (n.to_string(), eval)
        }
    };
    let eval = eval
        .value(value)
        .threshold(threshold)
        .at(wp.origin.as_ref());
    if wp.is_default() {
        eval.assumed("worker_processes: 1, nginx's default")
    } else {
        eval
    }
}

fn check_worker_connections_inner(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let Some(conf) = &stack.nginx else {
        return Evaluation::unverified(NO_CONF);
    };
    let Some(wc) = conf.worker_connections() else {
        return Evaluation::unverified(NO_MAIN);
    };
    let min = inputs.heuristic("nginx.worker_connections.min", 1024.0);
    let factor = inputs.heuristic("nginx.worker_connections.rlimit_factor", 2.0);
    let rlimit = conf.worker_rlimit_nofile();
    let n = wc.value;
    let threshold = format!(
        "worker_connections ≥ {} and worker_rlimit_nofile ≥ {} × worker_connections",
        trim_number(min, 0),
        trim_number(factor, 1)
    );
    let value = match &rlimit {
        Some(r) => format!("worker_connections {n}, worker_rlimit_nofile {}", r.value),
        None => format!("worker_connections {n}, worker_rlimit_nofile unset"),
    };
    let dropped = stack
        .nginx_status
        .as_ref()
        .filter(|s| s.dropped() > 0)
        .map(|s| {
            format!(
                " stub_status shows {} accepted connection(s) not handled, the sign of a \
                 resource limit such as worker_connections.",
                s.dropped()
            )
        })
        .unwrap_or_default();
    let mut at = wc.origin.clone();
    let eval = match &rlimit {
        Some(r) if r.value < n => {
            at = r.origin.clone();
            Evaluation::fail(format!(
                "worker_rlimit_nofile {} is below worker_connections {n}: workers run out of file \
                 descriptors before connection slots.{dropped}",
                r.value
            ))
        }
        _ => {
            let mut problems = Vec::new();
            if (n as f64) < min {
                problems.push(format!(
                    "worker_connections {n} is below {}",
                    trim_number(min, 0)
                ));
            }
            match &rlimit {
                None => problems.push(
                    "worker_rlimit_nofile is unset, so workers inherit the service's open-files \
                     limit (often 1024)"
                        .to_owned(),
                ),
                Some(r) if (r.value as f64) < factor * n as f64 => {
                    at = at.or(r.origin.clone());
                    problems.push(format!(
                        "worker_rlimit_nofile {} is below {} × worker_connections, and a proxied \
                         request holds two descriptors",
                        r.value,
                        trim_number(factor, 1)
                    ));
                }
                Some(_) => {}
            }
            if problems.is_empty() {
                Evaluation::pass(format!(
                    "worker_connections {n} with file descriptors to spare.{dropped}"
                ))
            } else {
                Evaluation::warn(format!("{}.{dropped}", problems.join("; ")))
            }
        }
    };
    let eval = eval.value(value).threshold(threshold).at(at.as_ref());
    if wc.is_default() {
        eval.assumed("worker_connections: 512, nginx's default")
    } else {
        eval
    }
}

fn check_keepalive_inner(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let Some(conf) = &stack.nginx else {
        return Evaluation::unverified(NO_CONF);
    };
    let min = inputs.heuristic("nginx.keepalive_timeout.min_s", 5.0);
    let max = inputs.heuristic("nginx.keepalive_timeout.max_s", 65.0);
    let threshold = format!("{}–{} s", trim_number(min, 0), trim_number(max, 0));
    let items: Vec<Item> = places(conf, true)
        .iter()
        .map(|ctx| {
            let (seconds, origin, assumed) = match ctx.lookup("keepalive_timeout") {
                Lookup::Set(d) => (
                    d.arg(0).and_then(seconds_nginx),
                    Some(d.origin.clone()),
                    None,
                ),
                Lookup::Default => (
                    Some(75.0),
                    None,
                    Some("keepalive_timeout: 75s, nginx's default".to_owned()),
                ),
                Lookup::Unknown => return unknown_item(ctx, "keepalive_timeout"),
            };
            let Some(s) = seconds else {
                return Item {
                    outcome: Outcome::Warn,
                    scope: ctx.scope.clone(),
                    text: "keepalive_timeout does not parse as an nginx time".to_owned(),
                    value: "invalid".to_owned(),
                    origin,
                    assumed,
                };
            };
            let value = format!("{}s", trim_number(s, 3));
            let (outcome, text) = if s == 0.0 {
                (
                    Outcome::Warn,
                    "keepalive_timeout 0 disables keep-alive: every request pays a new TCP (and \
                     TLS) handshake"
                        .to_owned(),
                )
            } else if s > max {
                (
                    Outcome::Warn,
                    format!(
                        "keepalive_timeout {value} keeps idle sockets, and their connection slots, \
                         longer than {}s",
                        trim_number(max, 0)
                    ),
                )
            } else if s < min {
                (
                    Outcome::Warn,
                    format!(
                        "keepalive_timeout {value} closes connections before a page's follow-up \
                         requests can reuse them"
                    ),
                )
            } else {
                (Outcome::Pass, String::new())
            };
            Item {
                outcome,
                scope: ctx.scope.clone(),
                text,
                value: format!("keepalive_timeout {value}"),
                origin,
                assumed,
            }
        })
        .collect();
    combine(
        items,
        threshold,
        "Idle keep-alive connections are closed within the band",
    )
}

/// Types that Laravel serves and that compress well; `(alternatives,
/// label)`.
const GZIP_TYPES: &[(&[&str], &str)] = &[
    (&["application/json"], "application/json"),
    (
        &[
            "application/javascript",
            "text/javascript",
            "application/x-javascript",
        ],
        "application/javascript",
    ),
    (&["text/css"], "text/css"),
    (&["image/svg+xml"], "image/svg+xml"),
];

fn check_gzip_inner(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let Some(conf) = &stack.nginx else {
        return Evaluation::unverified(NO_CONF);
    };
    let min_level = inputs.heuristic("nginx.gzip.min_level", 4.0);
    let max_level = inputs.heuristic("nginx.gzip.max_level", 6.0);
    let threshold = format!(
        "gzip on; types include application/json, application/javascript, text/css, \
         image/svg+xml; level {}–{}",
        trim_number(min_level, 0),
        trim_number(max_level, 0)
    );
    let items: Vec<Item> = places(conf, false)
        .iter()
        .map(|ctx| {
            let gzip = ctx.lookup("gzip");
            let (on, origin, mut assumed) = match gzip {
                Lookup::Set(d) => (d.arg(0) == Some("on"), Some(d.origin.clone()), Vec::new()),
                Lookup::Default => (false, None, vec!["gzip: off, nginx's default".to_owned()]),
                Lookup::Unknown => return unknown_item(ctx, "gzip"),
            };
            if !on {
                return Item {
                    outcome: Outcome::Warn,
                    scope: ctx.scope.clone(),
                    text:
                        "gzip is off, so JSON, JavaScript and CSS travel uncompressed (fine only \
                           if a CDN or load balancer compresses)"
                            .to_owned(),
                    value: "gzip off".to_owned(),
                    origin,
                    assumed: assumed.pop(),
                };
            }
            let types: Vec<String> = match ctx.lookup("gzip_types") {
                Lookup::Set(d) => d.args.clone(),
                _ => {
                    assumed.push("gzip_types: text/html only, nginx's default".to_owned());
                    Vec::new()
                }
            };
            let all = types.iter().any(|t| t == "*");
            let missing: Vec<&str> = GZIP_TYPES
                .iter()
                .filter(|(alts, _)| !all && !alts.iter().any(|a| types.iter().any(|t| t == a)))
                .map(|(_, label)| *label)
                .collect();
            let (level, level_origin) = match ctx.lookup("gzip_comp_level") {
                Lookup::Set(d) => (
                    d.arg(0).and_then(|l| l.parse::<f64>().ok()).unwrap_or(1.0),
                    Some(d.origin.clone()),
                ),
                _ => {
                    assumed.push("gzip_comp_level: 1, nginx's default".to_owned());
                    (1.0, None)
                }
            };
            let mut problems = Vec::new();
            if !missing.is_empty() {
                problems.push(format!("gzip_types lacks {}", missing.join(", ")));
            }
            if level > max_level {
                problems.push(format!(
                    "gzip_comp_level {} spends CPU for a few more bytes",
                    trim_number(level, 0)
                ));
            } else if level < min_level {
                problems.push(format!(
                    "gzip_comp_level {} compresses less than levels {}–{} at little CPU cost",
                    trim_number(level, 0),
                    trim_number(min_level, 0),
                    trim_number(max_level, 0)
                ));
            }
            let value = format!("gzip on, level {}", trim_number(level, 0));
            Item {
                outcome: if problems.is_empty() {
                    Outcome::Pass
                } else {
                    Outcome::Warn
                },
                scope: ctx.scope.clone(),
                text: problems.join("; "),
                value,
                origin: if missing.is_empty() {
                    level_origin.or(origin)
                } else {
                    origin
                },
                assumed: if assumed.is_empty() {
                    None
                } else {
                    Some(assumed.join("; "))
                },
            }
        })
        .collect();
    combine(
        items,
        threshold,
        "gzip compresses JSON, JavaScript, CSS and SVG at a moderate level",
    )
}

fn check_server_tokens_inner(stack: &Stack, _inputs: &Inputs) -> Evaluation {
    let Some(conf) = &stack.nginx else {
        return Evaluation::unverified(NO_CONF);
    };
    let items: Vec<Item> = places(conf, true)
        .iter()
        .map(|ctx| {
            let (value, origin, assumed) = match ctx.lookup("server_tokens") {
                Lookup::Set(d) => (
                    d.arg(0).unwrap_or("").to_owned(),
                    Some(d.origin.clone()),
                    None,
                ),
                Lookup::Default => (
                    "on".to_owned(),
                    None,
                    Some("server_tokens: on, nginx's default".to_owned()),
                ),
                Lookup::Unknown => return unknown_item(ctx, "server_tokens"),
            };
            let off = value == "off";
            Item {
                outcome: if off { Outcome::Pass } else { Outcome::Warn },
                scope: ctx.scope.clone(),
                text: if off {
                    String::new()
                } else {
                    format!(
                        "server_tokens {value}: the Server header and error pages show nginx's \
                         version"
                    )
                },
                value: format!("server_tokens {value}"),
                origin,
                assumed,
            }
        })
        .collect();
    combine(items, "off".to_owned(), "The version is hidden")
}

fn check_body_size_inner(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let Some(conf) = &stack.nginx else {
        return Evaluation::unverified(NO_CONF);
    };
    // PHP's default post_max_size: a smaller nginx limit refuses bodies PHP
    // would accept even untuned. The comparison with the configured
    // post_max_size is x.body_chain's.
    let min = inputs.heuristic("nginx.client_max_body_size.min_bytes", (8u64 << 20) as f64);
    let threshold = format!(
        "not 0, and ≥ {} (PHP's default post_max_size; x.body_chain compares with the \
         configured one)",
        format_bytes(min as u64)
    );
    let mut contexts = conf.servers();
    contexts.extend(conf.app_php_locations());
    if contexts.is_empty() {
        // nginx.conf without server blocks: what http sets is what every
        // server would inherit.
        contexts.extend(conf.http_context());
    }
    let items: Vec<Item> = contexts
        .iter()
        .map(|ctx| {
            let (bytes, origin, assumed) = match ctx.lookup("client_max_body_size") {
                Lookup::Set(d) => (d.arg(0).and_then(size_1024), Some(d.origin.clone()), None),
                Lookup::Default => (
                    Some(1 << 20),
                    None,
                    Some("client_max_body_size: 1m, nginx's default".to_owned()),
                ),
                Lookup::Unknown => return unknown_item(ctx, "client_max_body_size"),
            };
            let Some(bytes) = bytes else {
                return Item {
                    outcome: Outcome::Warn,
                    scope: ctx.scope.clone(),
                    text: "client_max_body_size does not parse as an nginx size".to_owned(),
                    value: "invalid".to_owned(),
                    origin,
                    assumed,
                };
            };
            let value = if bytes == 0 {
                "0 (unchecked)".to_owned()
            } else {
                format_bytes(bytes)
            };
            let (outcome, text) = if bytes == 0 {
                (
                    Outcome::Warn,
                    "client_max_body_size 0 lets clients send bodies of any size".to_owned(),
                )
            } else if (bytes as f64) < min {
                (
                    Outcome::Warn,
                    format!(
                        "client_max_body_size {value} answers 413 to bodies PHP would accept \
                         with its default post_max_size of {}",
                        format_bytes(min as u64)
                    ),
                )
            } else {
                (Outcome::Pass, String::new())
            };
            Item {
                outcome,
                scope: ctx.scope.clone(),
                text,
                value: format!("client_max_body_size {value}"),
                origin,
                assumed,
            }
        })
        .collect();
    combine(
        items,
        threshold,
        "Request bodies are limited, generously enough",
    )
}

/// `fastcgi_buffers <number> <size>` as a total in bytes.
fn buffers_total(d: &Directive) -> Option<(u64, u64)> {
    let number: u64 = d.arg(0)?.parse().ok()?;
    let size = size_1024(d.arg(1)?)?;
    Some((number, number.checked_mul(size)?))
}

fn check_fastcgi_buffers_inner(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let Some(conf) = &stack.nginx else {
        return Evaluation::unverified(NO_CONF);
    };
    let min_size = inputs.heuristic("nginx.fastcgi_buffers.min_buffer_size_bytes", 16384.0);
    let min_total = inputs.heuristic("nginx.fastcgi_buffers.min_total_bytes", 131072.0);
    let threshold = format!(
        "fastcgi_buffer_size ≥ {} and fastcgi_buffers total ≥ {}",
        format_bytes(min_size as u64),
        format_bytes(min_total as u64)
    );
    // Status and ping pages answer a few hundred bytes; the buffers
    // matter where the application answers.
    let php = conf.app_php_locations();
    if php.is_empty() {
        return Evaluation::unverified(
            "No location passes requests to PHP-FPM (fastcgi_pass); upload the site file that \
             does.",
        )
        .threshold(threshold);
    }
    // One memory page (4 KiB on x86-64 and most arm64 kernels) is nginx's
    // default for both.
    let page = 4096u64;
    let items: Vec<Item> = php
        .iter()
        .map(|ctx| {
            let mut assumed = Vec::new();
            let (size, size_origin) = match ctx.lookup("fastcgi_buffer_size") {
                Lookup::Set(d) => (d.arg(0).and_then(size_1024), Some(d.origin.clone())),
                Lookup::Default => {
                    assumed.push("fastcgi_buffer_size: 4k (one memory page), nginx's default");
                    (Some(page), None)
                }
                Lookup::Unknown => return unknown_item(ctx, "fastcgi_buffer_size"),
            };
            let (buffers, buffers_origin) = match ctx.lookup("fastcgi_buffers") {
                Lookup::Set(d) => (buffers_total(d), Some(d.origin.clone())),
                Lookup::Default => {
                    assumed.push("fastcgi_buffers: 8 4k, nginx's default");
                    (Some((8, 8 * page)), None)
                }
                Lookup::Unknown => return unknown_item(ctx, "fastcgi_buffers"),
            };
            let assumed = (!assumed.is_empty()).then(|| assumed.join("; "));
            let (Some(size), Some((count, total))) = (size, buffers) else {
                return Item {
                    outcome: Outcome::Warn,
                    scope: ctx.scope.clone(),
                    text: "fastcgi_buffer_size or fastcgi_buffers does not parse".to_owned(),
                    value: "invalid".to_owned(),
                    origin: size_origin.or(buffers_origin),
                    assumed,
                };
            };
            let mut problems = Vec::new();
            if (size as f64) < min_size {
                problems.push(format!(
                    "fastcgi_buffer_size {} is too small for large Set-Cookie or CSP headers \
                     (502 \"upstream sent too big header\")",
                    format_bytes(size)
                ));
            }
            if (total as f64) < min_total {
                problems.push(format!(
                    "fastcgi_buffers hold {} in all; larger responses spill to temporary files",
                    format_bytes(total)
                ));
            }
            let origin = if (size as f64) < min_size {
                size_origin.clone().or(buffers_origin.clone())
            } else {
                buffers_origin.clone().or(size_origin.clone())
            };
            Item {
                outcome: if problems.is_empty() {
                    Outcome::Pass
                } else {
                    Outcome::Warn
                },
                scope: ctx.scope.clone(),
                text: problems.join("; "),
                value: format!(
                    "fastcgi_buffer_size {}, fastcgi_buffers {count} × {}",
                    format_bytes(size),
                    format_bytes(total / count.max(1))
                ),
                origin,
                assumed,
            }
        })
        .collect();
    combine(
        items,
        threshold,
        "The FastCGI buffers hold large headers and responses",
    )
}

fn check_open_file_cache_inner(stack: &Stack, _inputs: &Inputs) -> Evaluation {
    let Some(conf) = &stack.nginx else {
        return Evaluation::unverified(NO_CONF);
    };
    let items: Vec<Item> = places(conf, false)
        .iter()
        .map(|ctx| {
            let (value, origin, assumed) = match ctx.lookup("open_file_cache") {
                Lookup::Set(d) => (d.args.join(" "), Some(d.origin.clone()), None),
                Lookup::Default => (
                    "off".to_owned(),
                    None,
                    Some("open_file_cache: off, nginx's default".to_owned()),
                ),
                Lookup::Unknown => return unknown_item(ctx, "open_file_cache"),
            };
            let off = value == "off";
            Item {
                outcome: if off { Outcome::Warn } else { Outcome::Pass },
                scope: ctx.scope.clone(),
                text: if off {
                    "open_file_cache is off: every static file request opens and stats the file \
                     again (fine when a CDN serves public/)"
                        .to_owned()
                } else {
                    String::new()
                },
                value: format!("open_file_cache {value}"),
                origin,
                assumed,
            }
        })
        .collect();
    combine(
        items,
        "set (e.g. max=10000 inactive=30s) when nginx serves the assets".to_owned(),
        "Open file descriptors of static files are cached",
    )
}

/// Protocols RFC 8996 deprecates (and SSL, long broken).
const OLD_PROTOCOLS: &[&str] = &["SSLv2", "SSLv3", "TLSv1", "TLSv1.1"];

fn check_tls_inner(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let threshold = "ssl_protocols TLSv1.2/TLSv1.3 only; HTTP/2 on TLS servers".to_owned();
    let at_lb = inputs.host.as_ref().and_then(|h| h.tls_at_load_balancer);
    if at_lb == Some(true) {
        return Evaluation::unverified(
            "TLS ends at the load balancer (host profile), so nginx's TLS settings do not apply.",
        )
        .threshold(threshold);
    }
    let Some(conf) = &stack.nginx else {
        return Evaluation::unverified(NO_CONF).threshold(threshold);
    };
    let tls_servers: Vec<Context<'_>> = conf
        .servers()
        .into_iter()
        .filter(|s| {
            s.levels.last().is_some_and(|b| {
                b.all("listen").any(|l| l.args.iter().any(|a| a == "ssl"))
                    || b.last("ssl").and_then(|d| d.arg(0)) == Some("on")
            })
        })
        .collect();
    if tls_servers.is_empty() {
        return match at_lb {
            Some(false) => Evaluation::fail(
                "No server listens with TLS (`listen … ssl`), and the host profile says TLS does \
                 not end at a load balancer: traffic, cookies and passwords travel in clear.",
            )
            .threshold(threshold),
            _ => Evaluation::unverified(
                "No server listens with TLS (`listen … ssl`). If TLS ends at a load balancer, say \
                 so in the host profile (tls_at_load_balancer).",
            )
            .threshold(threshold),
        };
    }
    let items: Vec<Item> = tls_servers
        .iter()
        .map(|ctx| {
            let block = ctx.levels.last();
            let listen_http2 =
                block.is_some_and(|b| b.all("listen").any(|l| l.args.iter().any(|a| a == "http2")));
            let http2_on = matches!(ctx.lookup("http2"), Lookup::Set(d) if d.arg(0) == Some("on"));
            let (protocols, origin, assumed) = match ctx.lookup("ssl_protocols") {
                Lookup::Set(d) => (Some(d.args.clone()), Some(d.origin.clone()), None),
                Lookup::Default => (
                    None,
                    None,
                    Some(
                        "ssl_protocols: nginx's default, TLSv1.2 TLSv1.3 since 1.23.4 but \
                         TLSv1 TLSv1.1 TLSv1.2 (and TLSv1.3) before"
                            .to_owned(),
                    ),
                ),
                Lookup::Unknown => return unknown_item(ctx, "ssl_protocols"),
            };
            let mut problems: Vec<String> = Vec::new();
            let mut outcome = Outcome::Pass;
            let old: Vec<&String> = protocols
                .iter()
                .flatten()
                .filter(|p| OLD_PROTOCOLS.contains(&p.as_str()))
                .collect();
            if !old.is_empty() {
                outcome = Outcome::Fail;
                problems.push(format!(
                    "ssl_protocols enables {}, deprecated by RFC 8996",
                    old.iter()
                        .map(|p| p.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            } else if protocols.is_none() {
                outcome = Outcome::Warn;
                problems.push(
                    "ssl_protocols is not set, so the protocols depend on the nginx and OpenSSL \
                     versions (TLS 1.0/1.1 stay on before nginx 1.23.4)"
                        .to_owned(),
                );
            }
            if !listen_http2 && !http2_on {
                if outcome == Outcome::Pass {
                    outcome = Outcome::Warn;
                }
                problems.push("HTTP/2 is off (no `http2 on` or `listen … http2`)".to_owned());
            }
            let value = match &protocols {
                Some(p) => format!("ssl_protocols {}", p.join(" ")),
                None => "ssl_protocols (default)".to_owned(),
            };
            let http2 = if http2_on {
                ", http2 on"
            } else if listen_http2 {
                ", listen … http2 (deprecated since nginx 1.25.1 in favour of `http2 on`)"
            } else {
                ""
            };
            Item {
                outcome,
                scope: ctx.scope.clone(),
                text: problems.join("; "),
                value: format!("{value}{http2}"),
                origin: origin.or(ctx.origin().cloned()),
                assumed,
            }
        })
        .collect();
    combine(
        items,
        threshold,
        "TLS servers offer only TLS 1.2/1.3 and HTTP/2",
    )
}
