//! x.db_connections, x.nginx_capacity and x.littles_law: what the FPM
//! pools can ask of MySQL and nginx, and what the target load asks of the
//! pools.

use super::{
    NO_NGINX, Verdict, app_servers, largest_pool, num, php_servers, pool_sizes, pools_for,
    queue_workers, secs, total_children, web_server,
};
use crate::audit::mysql;
use crate::audit::nginx::{Lookup, NginxConf, WorkerProcesses};
use crate::audit::{Evaluation, Inputs, Role, Stack};
use crate::targets::trim_number;

fn percent(ratio: f64) -> String {
    format!("{} %", trim_number(ratio * 100.0, 1))
}

// ------------------------------------------------------------ x.db_connections

pub(super) fn db_connections(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let margin = inputs.heuristic("x.db_connections.margin", 1.1);
    let oversize = inputs.heuristic("x.db_connections.oversize", 4.0);
    let used_warn = inputs.heuristic("x.db_connections.max_used_warn", 0.70);
    let used_fail = inputs.heuristic("x.db_connections.max_used_fail", 0.85);
    let threshold = format!(
        "max_connections between {} × and {} × the need; Max_used_connections ≤ {} of \
         max_connections (fail above {})",
        num(margin),
        num(oversize),
        percent(used_warn),
        percent(used_fail)
    );
    let mut v = Verdict::default();
    let m = mysql::view(stack);
    let max_connections = if m.has_config() {
        let r = m.max_connections();
        if r.is_none() {
            v.missing(
                "a valid max_connections (the uploaded value is not a number mysqld accepts)",
            );
        }
        r
    } else {
        v.missing("my.cnf or SHOW GLOBAL VARIABLES (max_connections)");
        None
    };
    let pools = match pool_sizes(stack) {
        Ok(p) => Some(p),
        Err(what) => {
            v.missing(what);
            None
        }
    };
    let app = app_servers(inputs, &mut v.assumed);
    let queue = queue_workers(inputs, &mut v.assumed);
    let per_request = inputs.heuristic("x.db_connections.conns_per_request", 1.0);
    if !inputs
        .heuristics
        .contains_key("x.db_connections.conns_per_request")
    {
        v.assumed.push(
            "conns_per_request: 1 (Laravel opens one connection per request; 2 with a \
             read/write split)",
        );
    }
    let scheduler = inputs.heuristic("x.db_connections.scheduler", 1.0);
    let admin = inputs.heuristic("x.db_connections.admin", 10.0);
    let mut value = None;
    if let Some(mc) = &max_connections {
        if mc.is_default() {
            v.assumed.push(format!(
                "max_connections unset: {} ({} default)",
                mc.value,
                m.server.defaults_label()
            ));
        }
        let limit = mc.value as f64;
        if let Some(pools) = &pools {
            let children = total_children(pools);
            let need =
                app as f64 * children as f64 * per_request + queue as f64 + scheduler + admin;
            let need_text = format!(
                "{} ({app} app server(s) × {children} children × {} per request + {queue} queue \
                 workers + {} scheduler + {} admin)",
                num(need),
                num(per_request),
                num(scheduler),
                num(admin)
            );
            value = Some(format!(
                "max_connections {} for a need of {need_text}",
                mc.value
            ));
            let at = mc.origin.as_ref();
            if limit < need {
                v.fail(
                    format!(
                        "max_connections {} is below the {} connections the stack can open at \
                         peak: the last ones get \"Too many connections\"",
                        mc.value,
                        num(need)
                    ),
                    at,
                );
            } else if limit < margin * need {
                v.warn(
                    format!(
                        "max_connections {} leaves less than {} % to spare over the need of {}",
                        mc.value,
                        num((margin - 1.0) * 100.0),
                        num(need)
                    ),
                    at,
                );
            } else if limit > oversize * need {
                v.warn(
                    format!(
                        "max_connections {} is over {} × the need of {}: every connection \
                         allowed raises MySQL's worst-case memory (mysql.memory_peak) for \
                         nothing",
                        mc.value,
                        num(oversize),
                        num(need)
                    ),
                    at,
                );
            } else {
                v.pass(
                    format!(
                        "max_connections {} covers the need of {} ({}×)",
                        mc.value,
                        num(need),
                        num(limit / need.max(1.0))
                    ),
                    at,
                );
            }
        }
        // The measured high-water mark, once the server has run long enough
        // for it to include a peak.
        let min_uptime = inputs.heuristic("x.db_connections.min_uptime_h", 24.0) * 3600.0;
        match m.max_used_connections() {
            None => v.assumed.push(
                "Max_used_connections not checked: no SHOW GLOBAL STATUS uploaded (the \
                 configuration alone was judged)",
            ),
            Some(used) => {
                let uptime = m.status.and_then(|s| s.u64("Uptime"));
                match uptime {
                    Some(up) if (up as f64) < min_uptime => v.assumed.push(format!(
                        "Max_used_connections not judged: Uptime {} h is under {} h, too short \
                         to include a peak",
                        trim_number(up as f64 / 3600.0, 1),
                        num(min_uptime / 3600.0)
                    )),
                    _ => {
                        let share = used.value as f64 / limit.max(1.0);
                        let text = format!(
                            "Max_used_connections {} is {} of max_connections {}",
                            used.value,
                            percent(share),
                            mc.value
                        );
                        let at = used.origin.as_ref();
                        if share > used_fail {
                            v.fail(format!("{text}: the server came close to refusing"), at);
                        } else if share > used_warn {
                            v.warn(format!("{text}: little room left at peak"), at);
                        } else {
                            v.pass(text, at);
                        }
                        value = Some(format!(
                            "{}; Max_used_connections {} ({})",
                            value.unwrap_or_else(|| format!("max_connections {}", mc.value)),
                            used.value,
                            percent(share)
                        ));
                    }
                }
            }
        }
    }
    let fallback = max_connections.as_ref().and_then(|r| r.origin.clone());
    v.finish(value, threshold, fallback.as_ref())
}

// ------------------------------------------------------------ x.nginx_capacity

/// Whether nginx serves HTTP/2 on any server (`listen … http2` or
/// `http2 on`): a browser then needs one connection, not six.
fn serves_http2(conf: &NginxConf) -> bool {
    conf.servers().iter().any(|server| {
        let listen = server.levels.last().is_some_and(|block| {
            block
                .all("listen")
                .any(|l| l.args.iter().any(|a| a == "http2"))
        });
        let directive = matches!(server.lookup("http2"), Lookup::Set(d) if d.arg(0) == Some("on"));
        listen || directive
    })
}

pub(super) fn nginx_capacity(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let margin = inputs.heuristic("x.nginx_capacity.margin", 1.25);
    let threshold = format!(
        "worker_processes × worker_connections ≥ {} × (users × connections per user + FPM \
         children behind nginx)",
        num(margin)
    );
    let mut v = Verdict::default();
    let users = match inputs.target_users {
        Some(u) if u.is_finite() && u >= 0.0 => Some(u),
        Some(_) => {
            v.missing("a usable target_users (the one given is not a non-negative number)");
            None
        }
        None => {
            v.missing("target_users (the concurrent users nginx must hold)");
            None
        }
    };
    let Some(conf) = stack.nginx.as_ref() else {
        v.missing(NO_NGINX);
        return v.finish(None, threshold, None);
    };
    let (Some(wp), Some(wc)) = (conf.worker_processes(), conf.worker_connections()) else {
        v.missing("the main nginx.conf (worker_processes and worker_connections live there)");
        return v.finish(None, threshold, None);
    };
    if wc.is_default() {
        v.assumed
            .push("worker_connections unset: 512, nginx's default");
    }
    if wp.is_default() {
        v.assumed.push("worker_processes unset: 1, nginx's default");
    }
    let server = web_server(inputs);
    let workers = match wp.value {
        WorkerProcesses::Count(n) => Some(n),
        WorkerProcesses::Auto => match server {
            Some(s) => Some(u64::from(s.cpus.max(1))),
            None => {
                v.missing(
                    "the web server's CPU count in the host profile (worker_processes is auto)",
                );
                None
            }
        },
    };
    let per_user = match inputs.heuristics.get("x.nginx_capacity.conns_per_user") {
        Some(c) => *c,
        None if serves_http2(conf) => {
            v.assumed
                .push("conns_per_user: 1 (nginx serves HTTP/2, one connection per browser)");
            1.0
        }
        None => {
            v.assumed
                .push("conns_per_user: 6 (HTTP/1.1: a browser opens up to 6 connections per host)");
            6.0
        }
    };
    // The load is taken as spread evenly over the web servers; a web server
    // that also runs PHP fronts its own children, a separate one its share
    // of every app server's.
    let host = inputs.host.as_ref();
    let web_servers = host
        .map(|h| {
            h.servers
                .iter()
                .filter(|s| s.roles.contains(&Role::Web))
                .count() as u64
        })
        .filter(|n| *n > 0)
        .unwrap_or(1);
    let app = app_servers(inputs, &mut v.assumed);
    let upstream_factor = if server.is_none_or(|s| s.roles.contains(&Role::Php)) {
        1
    } else {
        app.div_ceil(web_servers)
    };
    let children = match (&stack.fpm, pool_sizes(stack)) {
        (Some(fpm), Ok(pools)) => {
            let locations = conf.app_php_locations();
            let behind: Vec<&str> = locations
                .iter()
                .flat_map(|ctx| pools_for(conf, ctx, &fpm.pools))
                .map(|p| p.name.as_str())
                .collect();
            let sum = pools
                .iter()
                .filter(|p| locations.is_empty() || behind.contains(&p.pool.name.as_str()))
                .fold(0u64, |s, p| s.saturating_add(p.children));
            Some(sum.saturating_mul(upstream_factor))
        }
        (_, Err(what)) => {
            v.missing(what);
            None
        }
        (None, Ok(_)) => None,
    };
    let mut value = None;
    if let (Some(users), Some(workers)) = (users, workers) {
        let capacity = workers as f64 * wc.value as f64;
        let clients = users * per_user / web_servers as f64;
        let need = clients + children.unwrap_or(0) as f64;
        let children_text = children.map_or("FPM children unknown".to_owned(), |c| {
            format!("{c} FPM children")
        });
        value = Some(format!(
            "{workers} workers × {} = {} connections for a need of {} ({} users × {} per user{} + \
             {children_text})",
            wc.value,
            num(capacity),
            num(need),
            num(users),
            num(per_user),
            if web_servers > 1 {
                format!(" ÷ {web_servers} web servers")
            } else {
                String::new()
            }
        ));
        let at = wc.origin.as_ref().or(wp.origin.as_ref());
        if capacity < need {
            v.fail(
                format!(
                    "{} connection slots are fewer than the {} the target load needs: nginx logs \
                     \"worker_connections are not enough\" and drops clients",
                    num(capacity),
                    num(need)
                ),
                at,
            );
        } else if capacity < margin * need {
            v.warn(
                format!(
                    "{} connection slots cover the need of {} with less than {} % to spare",
                    num(capacity),
                    num(need),
                    num((margin - 1.0) * 100.0)
                ),
                at,
            );
        } else {
            v.pass(
                format!(
                    "{} connection slots cover the need of {} ({}×)",
                    num(capacity),
                    num(need),
                    num(capacity / need.max(1.0))
                ),
                at,
            );
        }
    }
    v.finish(value, threshold, wc.origin.as_ref())
}

// ------------------------------------------------------------ x.littles_law

/// The mean CPU time of a request from an FPM `full` status page: each idle
/// child reports its last request's duration and CPU share. `None` without
/// such a page.
fn cpu_per_request(stack: &Stack) -> Option<(f64, usize)> {
    let samples = &stack.fpm_status.as_ref()?.samples;
    let times: Vec<f64> = samples
        .iter()
        .flat_map(|s| &s.processes)
        .filter(|p| p.state.eq_ignore_ascii_case("idle") && p.requests > 0)
        // FPM shows garbage near 2^64 while a request starts; an hour is
        // far beyond any web request.
        .filter(|p| p.request_duration > 0 && p.request_duration < 3_600_000_000)
        .filter(|p| p.last_request_cpu.is_finite() && p.last_request_cpu >= 0.0)
        .map(|p| p.request_duration as f64 / 1e6 * p.last_request_cpu / 100.0)
        .collect();
    if times.is_empty() {
        return None;
    }
    Some((times.iter().sum::<f64>() / times.len() as f64, times.len()))
}

pub(super) fn littles_law(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let warn = inputs.heuristic("x.littles_law.warn", 0.7);
    let fail = inputs.heuristic("x.littles_law.fail", 0.9);
    let threshold = format!(
        "ρ = target_rps × mean service time ÷ Σ max_children ≤ {} (fail above {})",
        num(warn),
        num(fail)
    );
    let mut v = Verdict::default();
    let rate = match inputs.target_rps {
        Some(r) if r.is_finite() && r >= 0.0 => Some(r),
        Some(_) => {
            v.missing("a usable target_rps (the one given is not a non-negative number)");
            None
        }
        None => {
            v.missing("target_rps (the peak request rate to plan for)");
            None
        }
    };
    let service = match inputs.mean_service_s {
        Some(w) if w.is_finite() && w >= 0.0 => Some(w),
        Some(_) => {
            v.missing("a usable mean service time (the one given is not a non-negative number)");
            None
        }
        None => {
            v.missing(
                "the mean service time W of a request (from a load-test run, the FPM access \
                 log's %d, or an APM)",
            );
            None
        }
    };
    let pools = match pool_sizes(stack) {
        Ok(p) => Some(p),
        Err(what) => {
            v.missing(what);
            None
        }
    };
    let app = app_servers(inputs, &mut v.assumed);
    let mut value = None;
    let origin = pools
        .as_deref()
        .and_then(largest_pool)
        .and_then(|p| p.origin.clone());
    if let (Some(rate), Some(service), Some(pools)) = (rate, service, &pools) {
        let children = total_children(pools).saturating_mul(app);
        let busy = rate * service;
        let rho = busy / (children.max(1) as f64);
        let enough = (busy / warn).ceil();
        value = Some(format!(
            "ρ = {}: {} req/s × {} = {} busy children of {children} ({} per server × {app} app \
             server(s))",
            num(rho),
            num(rate),
            secs(service),
            num(busy),
            total_children(pools)
        ));
        let at = origin.as_ref();
        if rho > fail {
            v.fail(
                format!(
                    "{} of the {children} children are busy on average (ρ {}): requests queue \
                     in the listen backlog and latency climbs without bound; {} children keep \
                     ρ at {}",
                    num(busy),
                    num(rho),
                    num(enough),
                    num(warn)
                ),
                at,
            );
        } else if rho > warn {
            v.warn(
                format!(
                    "{} of the {children} children are busy on average (ρ {}): bursts already \
                     wait for a free child; {} children keep ρ at {}",
                    num(busy),
                    num(rho),
                    num(enough),
                    num(warn)
                ),
                at,
            );
        } else {
            v.pass(
                format!(
                    "{} of the {children} children are busy on average (ρ {})",
                    num(busy),
                    num(rho)
                ),
                at,
            );
        }
        // CPU: when each request also burns Wc seconds of CPU, λ × Wc CPUs
        // are busy whatever the number of children.
        let share = inputs.heuristic("x.littles_law.cpu_share", 0.8);
        let cpus: u64 = php_servers(inputs).iter().map(|s| u64::from(s.cpus)).sum();
        if let Some((cpu_time, seen)) = cpu_per_request(stack)
            && cpus > 0
        {
            let busy_cpus = rate * cpu_time;
            let text = format!(
                "the CPU time per request from the FPM status ({} over {seen} idle children) \
                 keeps {} of the {cpus} CPUs busy at the target rate",
                secs(cpu_time),
                num(busy_cpus)
            );
            if busy_cpus > share * cpus as f64 {
                v.warn(
                    format!(
                        "{text}, over {} %: more children will not help, only faster code or \
                         more CPUs",
                        num(share * 100.0)
                    ),
                    None,
                );
            } else {
                v.pass(text, None);
            }
        }
    }
    v.finish(value, threshold, origin.as_ref())
}
