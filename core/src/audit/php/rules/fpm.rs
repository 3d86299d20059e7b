//! fpm.* rules, judged per pool; a rule over several pools reports the
//! worst one and names it.

use super::{Assumed, View, mib, no_pools, number, worst};
use crate::assess::{Category, Severity};
use crate::audit::model::{Origin, Resolved};
use crate::audit::php::fpm::{FpmPool, Pm};
use crate::audit::php::ini::leading_integer;
use crate::audit::{Evaluation, Inputs, Role, Rule, Stack};

pub fn rules() -> Vec<Rule> {
    vec![
        Rule {
            id: "fpm.pm.mode",
            title: "Each pool has a process manager fit for its traffic",
            category: Category::Infrastructure,
            severity: Severity::Medium,
            why: "`ondemand` forks and warms up a child for every burst, and a pool without a \
                  valid `pm` keeps FPM from starting at all.",
            fix: "Use `pm = static` on a host dedicated to the application, or `pm = dynamic`; \
                  keep `ondemand` for rarely used pools.",
            check: pm_mode,
        },
        Rule {
            id: "fpm.pm.spares",
            title: "Pool sizes pass FPM's own startup checks",
            category: Category::Infrastructure,
            severity: Severity::Critical,
            why: "FPM refuses to start when the child and spare-server counts contradict each \
                  other, which takes every pool of the master down with it.",
            fix: "Keep 1 ≤ pm.min_spare_servers ≤ pm.start_servers ≤ pm.max_spare_servers ≤ \
                  pm.max_children, and a positive pm.process_idle_timeout for ondemand.",
            check: pm_spares,
        },
        Rule {
            id: "fpm.pm.max_children_memory",
            title: "All children fit in the host's memory",
            category: Category::Infrastructure,
            severity: Severity::Critical,
            why: "More children than memory allows ends in swapping or in the OOM killer \
                  shooting PHP, MySQL or Redis at peak load.",
            fix: "Measure one child's RSS under load and set the sum of pm.max_children to the \
                  memory left for PHP divided by that RSS.",
            check: max_children_memory,
        },
        Rule {
            id: "fpm.pm.max_requests",
            title: "Children are recycled now and then",
            category: Category::Infrastructure,
            severity: Severity::Low,
            why: "Without recycling, memory leaked by extensions accumulates in long-lived \
                  children; recycling too often spends CPU on forks.",
            fix: "Set `pm.max_requests` between 500 and 10000.",
            check: max_requests,
        },
        Rule {
            id: "fpm.status_path",
            title: "The status page exists and is not public",
            category: Category::Infrastructure,
            severity: Severity::Medium,
            why: "The status page is what the measured FPM rules read, and its `full` view lists \
                  the URIs and scripts of running requests, so it must stay private.",
            fix: "Set `pm.status_path = /fpm-status` (and `ping.path`) and serve it only to \
                  internal addresses (nginx `allow`/`deny`, or `pm.status_listen` on a local \
                  socket).",
            check: status_path,
        },
        Rule {
            id: "fpm.slowlog",
            title: "Slow requests leave a backtrace",
            category: Category::Infrastructure,
            severity: Severity::Medium,
            why: "The slow log records where a slow request was stuck, which is the quickest way \
                  to find the query or call behind a latency spike.",
            fix: "Set `request_slowlog_timeout` to 2–10 s and `slowlog` to a writable file, \
                  below `request_terminate_timeout`.",
            check: slowlog,
        },
        Rule {
            id: "fpm.request_terminate_timeout",
            title: "A stuck request cannot pin a child forever",
            category: Category::Infrastructure,
            severity: Severity::High,
            why: "max_execution_time does not count time spent waiting on the database or HTTP \
                  calls, so without this a request stuck on I/O holds its child indefinitely.",
            fix: "Set `request_terminate_timeout` to 60–120 s for web pools, above \
                  max_execution_time, and move long work to queue workers.",
            check: request_terminate_timeout,
        },
        Rule {
            id: "fpm.catch_workers_output",
            title: "Worker stderr reaches the logs when the app logs there",
            category: Category::Infrastructure,
            severity: Severity::Low,
            why: "When the application logs to stderr (LOG_CHANNEL=stderr, containers), FPM \
                  discards what children write there unless it is told to catch it.",
            fix: "Set `catch_workers_output = yes` (and `decorate_workers_output = no` for JSON \
                  logs) in pools whose application logs to stderr.",
            check: catch_workers_output,
        },
        Rule {
            id: "fpm.listen_exposure",
            title: "Only the web server can reach FastCGI",
            category: Category::Infrastructure,
            severity: Severity::High,
            why: "FastCGI has no authentication: anyone who can reach the socket can make FPM \
                  run any PHP file on the host with parameters of their choosing.",
            fix: "Listen on a unix socket (mode 0660, group shared with nginx) or on \
                  127.0.0.1; on a private network add `listen.allowed_clients`.",
            check: listen_exposure,
        },
    ]
}

/// Judges every pool and reports the worst.
fn per_pool(stack: &Stack, judge: impl Fn(&FpmPool) -> Evaluation) -> Evaluation {
    let Some(pools) = stack
        .fpm
        .as_ref()
        .map(|f| &f.pools)
        .filter(|p| !p.is_empty())
    else {
        return no_pools(stack);
    };
    worst(
        pools
            .iter()
            .map(|p| (Some(p.name.clone()), judge(p)))
            .collect(),
    )
}

/// An FPM value that FPM itself would refuse: the pool cannot start.
fn refused(directive: &str, origin: Option<&Origin>) -> Evaluation {
    Evaluation::fail(format!(
        "{directive} is not a value FPM accepts, so FPM refuses to start"
    ))
    .at(origin)
}

fn note_default<T>(r: &Resolved<T>, assumed: &mut Assumed, text: &str) {
    if r.is_default() {
        assumed.push(text);
    }
}

fn pm_mode(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let rps_limit = inputs.heuristic("fpm.pm.mode.ondemand_rps", 10.0);
    per_pool(stack, |pool| {
        let pm = pool.pm();
        let e = match &pm.value {
            Pm::Missing => Evaluation::fail("pm is unset, so FPM refuses to start"),
            Pm::Invalid(v) => Evaluation::fail(format!(
                "pm = {v} is not static, dynamic or ondemand, so FPM refuses to start"
            )),
            Pm::Static | Pm::Dynamic => Evaluation::pass(format!("pm = {}", pm.value.name())),
            Pm::Ondemand => match inputs.target_rps {
                None => Evaluation::unverified(
                    "pm = ondemand; give the target request rate to judge whether forking on \
                     demand keeps up",
                ),
                Some(rps) if rps >= rps_limit => Evaluation::warn(format!(
                    "pm = ondemand at a target of {} requests/s forks and warms children on \
                     every burst",
                    number(rps)
                )),
                Some(rps) => Evaluation::pass(format!(
                    "pm = ondemand suits a target of {} requests/s",
                    number(rps)
                )),
            },
        };
        e.value(format!("pm = {}", pm.value.name()))
            .threshold(format!(
                "static or dynamic; ondemand below {} requests/s",
                number(rps_limit)
            ))
            .at(pm.origin.as_ref().or(Some(&pool.origin)))
    })
}

fn pm_spares(stack: &Stack, _: &Inputs) -> Evaluation {
    per_pool(stack, |pool| {
        let mut assumed = Assumed::default();
        let pm = pool.pm();
        let children = pool.max_children();
        let start = pool.start_servers();
        let min = pool.min_spare_servers();
        let max = pool.max_spare_servers();
        let rate = pool.max_spawn_rate();
        let idle = pool.process_idle_timeout();
        let threshold = "FPM's startup checks (fpm_conf_process_all_pools)";
        let show = |r: &Resolved<Option<i64>>| r.value.map_or("?".to_owned(), |v| v.to_string());
        let value = match pm.value {
            Pm::Dynamic => format!(
                "max_children={}, start_servers={}, min_spare_servers={}, max_spare_servers={}",
                show(&children),
                show(&start),
                show(&min),
                show(&max)
            ),
            Pm::Ondemand => format!(
                "max_children={}, process_idle_timeout={} s",
                show(&children),
                show(&idle)
            ),
            _ => format!("max_children={}", show(&children)),
        };
        let fail = |text: String, origin: &Option<Origin>| {
            Some(Evaluation::fail(text).at(origin.as_ref()))
        };
        let verdict = (|| {
            let Some(c) = children.value else {
                return Some(if children.is_default() {
                    Evaluation::fail("pm.max_children is unset, so FPM refuses to start")
                        .at(Some(&pool.origin))
                } else {
                    refused("pm.max_children", children.origin.as_ref())
                });
            };
            if c < 1 {
                return fail(
                    format!("pm.max_children = {c} must be at least 1"),
                    &children.origin,
                );
            }
            match pm.value {
                Pm::Dynamic => {
                    for (r, name) in [
                        (&start, "pm.start_servers"),
                        (&min, "pm.min_spare_servers"),
                        (&max, "pm.max_spare_servers"),
                        (&rate, "pm.max_spawn_rate"),
                    ] {
                        if r.value.is_none() {
                            return Some(refused(name, r.origin.as_ref()));
                        }
                    }
                    let (lo, hi) = (min.value.unwrap_or(0), max.value.unwrap_or(0));
                    if lo <= 0 {
                        return fail(
                            format!("pm.min_spare_servers = {lo} must be positive"),
                            &min.origin.clone().or(Some(pool.origin.clone())),
                        );
                    }
                    if hi <= 0 {
                        return fail(
                            format!("pm.max_spare_servers = {hi} must be positive"),
                            &max.origin.clone().or(Some(pool.origin.clone())),
                        );
                    }
                    if lo > c || hi > c {
                        return fail(
                            format!("spare servers ({lo}–{hi}) exceed pm.max_children = {c}"),
                            &max.origin,
                        );
                    }
                    if hi < lo {
                        return fail(
                            format!(
                                "pm.max_spare_servers = {hi} is below pm.min_spare_servers = {lo}"
                            ),
                            &max.origin,
                        );
                    }
                    let s = start.value.unwrap_or(0);
                    if s > 0 && (s < lo || s > hi) {
                        return fail(
                            format!("pm.start_servers = {s} is outside [{lo}, {hi}]"),
                            &start.origin,
                        );
                    }
                    if s <= 0 {
                        assumed.push(format!(
                            "pm.start_servers unset: FPM starts min + (max − min) / 2 = {}",
                            lo + (hi - lo) / 2
                        ));
                    }
                    if rate.value.unwrap_or(0) < 1 {
                        return fail(
                            "pm.max_spawn_rate must be at least 1".to_owned(),
                            &rate.origin,
                        );
                    }
                    note_default(
                        &rate,
                        &mut assumed,
                        "pm.max_spawn_rate unset: FPM's default 32",
                    );
                    None
                }
                Pm::Ondemand => {
                    let Some(t) = idle.value else {
                        return Some(refused("pm.process_idle_timeout", idle.origin.as_ref()));
                    };
                    if t < 1 {
                        return fail(
                            format!("pm.process_idle_timeout = {t} s must be at least 1 s"),
                            &idle.origin,
                        );
                    }
                    note_default(
                        &idle,
                        &mut assumed,
                        "pm.process_idle_timeout unset: FPM's default 10 s",
                    );
                    None
                }
                Pm::Static => {
                    let ignored: Vec<&str> = [
                        ("pm.start_servers", &start),
                        ("pm.min_spare_servers", &min),
                        ("pm.max_spare_servers", &max),
                    ]
                    .into_iter()
                    .filter(|(_, r)| !r.is_default())
                    .map(|(n, _)| n)
                    .collect();
                    (!ignored.is_empty()).then(|| {
                        Evaluation::warn(format!(
                            "{} set under pm = static, where FPM ignores them",
                            ignored.join(", ")
                        ))
                        .at(start
                            .origin
                            .as_ref()
                            .or(min.origin.as_ref())
                            .or(max.origin.as_ref()))
                    })
                }
                Pm::Missing | Pm::Invalid(_) => Some(
                    Evaluation::unverified(
                        "pm is missing or invalid (see fpm.pm.mode), so the spare settings \
                         cannot be checked",
                    )
                    .at(pm.origin.as_ref().or(Some(&pool.origin))),
                ),
            }
        })();
        let e = verdict.unwrap_or_else(|| {
            Evaluation::pass("the pool sizes pass FPM's startup checks")
                .at(children.origin.as_ref())
        });
        assumed.apply(e.value(value).threshold(threshold))
    })
}

fn max_children_memory(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let threshold_text = "Σ max_children × memory_limit ≤ memory left for PHP";
    let Some(pools) = stack
        .fpm
        .as_ref()
        .map(|f| &f.pools)
        .filter(|p| !p.is_empty())
    else {
        return no_pools(stack);
    };
    let Some(host) = inputs.host.as_ref() else {
        return Evaluation::unverified(
            "the host profile is not given; add the PHP server's RAM (and the measured RSS of \
             an FPM child) to judge whether all children fit",
        )
        .threshold(threshold_text);
    };
    let Some(server) = host.server_with(Role::Php) else {
        return Evaluation::unverified(
            "the host profile has no server with the php role; mark the server running FPM",
        )
        .threshold(threshold_text);
    };
    let mut assumed = Assumed::default();
    let rss = match host.worker_rss_bytes {
        Some(rss) => rss,
        None => {
            let mb = inputs.heuristic("fpm.pm.max_children_memory.worker_rss_mb", 64.0);
            assumed.push(format!(
                "worker_rss not measured: {} MiB per child assumed",
                number(mb)
            ));
            (mb * 1048576.0) as u64
        }
    };
    let ram = server.ram_bytes;
    let headroom_min = inputs.heuristic("fpm.pm.max_children_memory.os_headroom_min_mb", 1024.0);
    let headroom_share = inputs.heuristic("fpm.pm.max_children_memory.os_headroom_ratio", 0.10);
    let headroom = ((headroom_min * 1048576.0) as u64).max((ram as f64 * headroom_share) as u64);
    // OPcache's segment (and JIT buffer) is shared memory allocated once by
    // the master.
    let shm = stack.php.as_ref().map_or(0, |ini| {
        let jit = if matches!(ini.opcache_jit().value, super::super::JitMode::Disable) {
            0
        } else {
            ini.opcache_jit_buffer_size().value
        };
        ini.opcache_memory_consumption().value + jit
    });
    if stack.php.is_none() {
        assumed.push("no php.ini: OPcache's shared memory not counted");
    }
    if server
        .roles
        .iter()
        .any(|r| matches!(r, Role::Db | Role::Cache))
    {
        assumed.push(
            "MySQL/Redis share this host: their budgets are not subtracted here (see \
             x.memory_budget)",
        );
    }
    let avail = ram.saturating_sub(headroom).saturating_sub(shm);
    let mut children: u64 = 0;
    let mut worst_case: Option<u64> = Some(0);
    let mut invalid: Option<(String, Option<Origin>)> = None;
    for pool in pools {
        let c = pool.max_children();
        match c.value {
            Some(n) if n > 0 => {
                let n = n.unsigned_abs();
                children = children.saturating_add(n);
                let limit = pool.memory_limit(stack.php.as_ref());
                if limit.is_default() && stack.php.is_none() {
                    assumed.push(format!(
                        "pool {}: memory_limit unknown without php.ini, PHP's default 128M",
                        pool.name
                    ));
                } else if limit.is_default() {
                    assumed.push("memory_limit unset: PHP's default 128M");
                }
                worst_case = match (worst_case, limit.value) {
                    (Some(sum), Some(bytes)) => Some(sum.saturating_add(n.saturating_mul(bytes))),
                    _ => None,
                };
            }
            _ => {
                invalid.get_or_insert((
                    pool.name.clone(),
                    c.origin.clone().or(Some(pool.origin.clone())),
                ));
            }
        }
    }
    let typical = children.saturating_mul(rss);
    let value = format!(
        "{children} children: {} at worker_rss, {} at memory_limit; {} available",
        mib(typical),
        worst_case.map_or("unlimited".to_owned(), mib),
        mib(avail)
    );
    let threshold = format!(
        "{threshold_text} ({} RAM − {} OS headroom − {} OPcache)",
        mib(ram),
        mib(headroom),
        mib(shm)
    );
    let first = pools.first().and_then(|p| p.max_children().origin);
    let e = if let Some((name, origin)) = invalid {
        Evaluation::unverified(format!(
            "pool `{name}` has no valid pm.max_children (see fpm.pm.spares), so the sum is unknown"
        ))
        .at(origin.as_ref())
    } else if typical > avail {
        Evaluation::fail(format!(
            "even at the typical child size the pools need {} of the {} left for PHP",
            mib(typical),
            mib(avail)
        ))
        .at(first.as_ref())
    } else if worst_case.is_none_or(|w| w > avail) {
        Evaluation::warn(format!(
            "children fit at their typical size but not if each grew to memory_limit ({} needed)",
            worst_case.map_or("unlimited".to_owned(), mib)
        ))
        .at(first.as_ref())
    } else {
        Evaluation::pass("every child fits even at memory_limit").at(first.as_ref())
    };
    assumed.apply(e.value(value).threshold(threshold))
}

fn max_requests(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let lo = inputs.heuristic("fpm.pm.max_requests.min", 500.0);
    let hi = inputs.heuristic("fpm.pm.max_requests.max", 10000.0);
    let churn = inputs.heuristic("fpm.pm.max_requests.churn_below", 100.0);
    per_pool(stack, |pool| {
        let mut assumed = Assumed::default();
        let r = pool.max_requests();
        note_default(
            &r,
            &mut assumed,
            "pm.max_requests unset: FPM's default 0 (never recycle)",
        );
        let e = match r.value {
            None => refused("pm.max_requests", r.origin.as_ref()),
            Some(n) if n <= 0 => Evaluation::warn(
                "0: children are never recycled, so leaks in extensions accumulate",
            ),
            Some(n) if (n as f64) < churn => Evaluation::warn(format!(
                "{n}: children are recycled so often that forking costs CPU"
            )),
            Some(n) if (n as f64) < lo || (n as f64) > hi => {
                Evaluation::warn(format!("{n} is outside the usual range"))
            }
            Some(n) => Evaluation::pass(format!("children are recycled every {n} requests")),
        };
        assumed.apply(
            e.value(format!(
                "pm.max_requests = {}",
                r.value.map_or("?".to_owned(), |v| v.to_string())
            ))
            .threshold(format!("{}–{}", number(lo), number(hi)))
            .at(r.origin.as_ref().or(Some(&pool.origin))),
        )
    })
}

/// How a `listen` address exposes FastCGI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exposure {
    Unix,
    Loopback,
    Private,
    /// A bare port or a wildcard address: every interface.
    AllInterfaces,
    Public,
    /// A host name: it depends on what it resolves to.
    Named,
}

/// Classifies an address as `fpm_sockets_domain_from_address` reads it: a
/// colon means host:port, all digits a port on every interface, anything
/// else a unix socket path.
fn exposure(listen: &str) -> Exposure {
    let listen = listen.trim();
    if listen.chars().all(|c| c.is_ascii_digit()) {
        return Exposure::AllInterfaces;
    }
    let Some((host, _port)) = listen.rsplit_once(':') else {
        return Exposure::Unix;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if matches!(host, "" | "*" | "0.0.0.0" | "::" | "0:0:0:0:0:0:0:0") {
        return Exposure::AllInterfaces;
    }
    if host == "localhost" || host == "::1" || host.starts_with("127.") {
        return Exposure::Loopback;
    }
    if let Ok(v4) = host.parse::<std::net::Ipv4Addr>() {
        return if v4.is_private() || v4.is_link_local() || is_shared(v4) {
            Exposure::Private
        } else {
            Exposure::Public
        };
    }
    if let Ok(v6) = host.parse::<std::net::Ipv6Addr>() {
        let first = v6.segments().first().copied().unwrap_or(0);
        return if first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfe80 {
            Exposure::Private
        } else {
            Exposure::Public
        };
    }
    Exposure::Named
}

/// 100.64.0.0/10, carrier-grade NAT space used by some private networks.
fn is_shared(v4: std::net::Ipv4Addr) -> bool {
    let [a, b, _, _] = v4.octets();
    a == 100 && (64..128).contains(&b)
}

fn listen_exposure(stack: &Stack, _: &Inputs) -> Evaluation {
    per_pool(stack, |pool| {
        let mut assumed = Assumed::default();
        let listen = pool.listen();
        let allowed = pool.listen_allowed_clients();
        let Some(address) = listen.value.clone() else {
            return Evaluation::fail("listen is unset, so FPM refuses to start")
                .threshold("a unix socket or 127.0.0.1")
                .at(Some(&pool.origin));
        };
        let allow = allowed.value.clone().filter(|a| !a.trim().is_empty());
        let mut value = format!("listen = {address}");
        if let Some(a) = &allow {
            value.push_str(&format!(", listen.allowed_clients = {a}"));
        }
        let e = match exposure(&address) {
            Exposure::Unix => {
                let mode = pool.listen_mode();
                note_default(&mode, &mut assumed, "listen.mode unset: FPM's default 0660");
                value.push_str(&format!(", listen.mode = {}", mode.value));
                let other = u32::from_str_radix(mode.value.trim(), 8)
                    .map(|m| m & 0o007 != 0)
                    .unwrap_or(true);
                if other {
                    Evaluation::warn(format!(
                        "a unix socket with mode {}: every local user can run PHP through it",
                        mode.value
                    ))
                    .at(mode.origin.as_ref().or(listen.origin.as_ref()))
                } else {
                    Evaluation::pass("a unix socket closed to other users")
                        .at(listen.origin.as_ref())
                }
            }
            Exposure::Loopback => {
                Evaluation::pass("FastCGI listens on the loopback interface only")
                    .at(listen.origin.as_ref())
            }
            Exposure::AllInterfaces | Exposure::Public if allow.is_none() => Evaluation::fail(
                "FastCGI listens on every interface (or a public address) with no \
                 listen.allowed_clients: anyone reaching the port can run PHP",
            )
            .at(listen.origin.as_ref()),
            Exposure::AllInterfaces | Exposure::Public => Evaluation::warn(
                "FastCGI listens beyond the host, restricted by listen.allowed_clients",
            )
            .at(allowed.origin.as_ref().or(listen.origin.as_ref())),
            Exposure::Private | Exposure::Named => {
                if allow.is_some() {
                    Evaluation::warn(
                        "FastCGI listens on a private network address, restricted by \
                         listen.allowed_clients",
                    )
                    .at(listen.origin.as_ref())
                } else {
                    Evaluation::warn(
                        "FastCGI listens on a network address with no listen.allowed_clients: \
                         every host of that network can run PHP",
                    )
                    .at(listen.origin.as_ref())
                }
            }
        };
        assumed.apply(e.value(value).threshold(
            "a unix socket (0660) or 127.0.0.1; elsewhere only with listen.allowed_clients",
        ))
    })
}

/// Whether a pool's FastCGI socket is open to anyone (the fail case of
/// fpm.listen_exposure).
fn open_to_anyone(pool: &FpmPool) -> bool {
    let allow = pool
        .listen_allowed_clients()
        .value
        .filter(|a| !a.trim().is_empty());
    pool.listen().value.is_some_and(|l| {
        matches!(exposure(&l), Exposure::AllInterfaces | Exposure::Public) && allow.is_none()
    })
}

/// FPM's checks on a status or ping path: a leading `/`, at least two
/// characters (unless served on its own listener), and only
/// `[A-Za-z0-9/_.~-]` (`fpm_conf.c` also allows `~`).
fn path_problem(path: &str, own_listener: bool) -> Option<String> {
    if !path.starts_with('/') {
        return Some(format!("`{path}` does not start with `/`"));
    }
    if path.len() < 2 && !own_listener {
        return Some(format!("`{path}` is too short"));
    }
    path.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | '~')))
        .map(|c| format!("`{path}` holds `{c}`"))
}

fn status_path(stack: &Stack, _: &Inputs) -> Evaluation {
    per_pool(stack, |pool| {
        let path = pool.status_path();
        let status_listen = pool.status_listen();
        let ping = pool.ping_path();
        let threshold = "set, valid, and reachable only from inside";
        let mut value = format!(
            "pm.status_path = {}",
            path.value.as_deref().unwrap_or("(unset)")
        );
        if let Some(l) = &status_listen.value {
            value.push_str(&format!(", pm.status_listen = {l}"));
        }
        if let Some(p) = &ping.value {
            value.push_str(&format!(", ping.path = {p}"));
        }
        let e = match path.value.as_deref().filter(|p| !p.is_empty()) {
            None => {
                Evaluation::warn("no status page, so the measured FPM rules have nothing to read")
                    .at(Some(&pool.origin))
            }
            Some(p) => {
                let own = status_listen.value.is_some();
                if let Some(problem) = path_problem(p, own) {
                    Evaluation::fail(format!("{problem}, so FPM refuses to start"))
                        .at(path.origin.as_ref())
                } else if let Some(problem) = ping
                    .value
                    .as_deref()
                    .filter(|p| !p.is_empty())
                    .and_then(|p| path_problem(p, false))
                {
                    Evaluation::fail(format!("ping.path {problem}, so FPM refuses to start"))
                        .at(ping.origin.as_ref())
                } else if open_to_anyone(pool) && !own {
                    Evaluation::fail(
                        "the pool's FastCGI port is open to anyone, and so is its status page",
                    )
                    .at(path.origin.as_ref())
                } else if let Some(l) = status_listen
                    .value
                    .as_deref()
                    .filter(|l| matches!(exposure(l), Exposure::Unix | Exposure::Loopback))
                {
                    Evaluation::pass(format!(
                        "the status page is served on a local listener ({l})"
                    ))
                    .at(status_listen.origin.as_ref())
                } else {
                    Evaluation::unverified(format!(
                        "{p} is set; whether the web server keeps it private is in its \
                         configuration (an nginx location with allow/deny), which this rule \
                         does not read"
                    ))
                    .at(path.origin.as_ref())
                }
            }
        };
        e.value(value).threshold(threshold)
    })
}

fn slowlog(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let lo = inputs.heuristic("fpm.slowlog.min_s", 2.0);
    let hi = inputs.heuristic("fpm.slowlog.max_s", 10.0);
    per_pool(stack, |pool| {
        let mut assumed = Assumed::default();
        let ts = pool.request_slowlog_timeout();
        let tf = pool.request_terminate_timeout();
        let log = pool.slowlog();
        note_default(
            &ts,
            &mut assumed,
            "request_slowlog_timeout unset: FPM's default 0 (off)",
        );
        let value = format!(
            "request_slowlog_timeout = {}, slowlog = {}",
            ts.value.map_or("?".to_owned(), |v| format!("{v} s")),
            log.value.as_deref().unwrap_or("(unset)")
        );
        let e = match (ts.value, tf.value) {
            (None, _) => refused("request_slowlog_timeout", ts.origin.as_ref()),
            (Some(t), _) if t <= 0 => Evaluation::warn("off: slow requests leave no backtrace")
                .at(ts.origin.as_ref().or(Some(&pool.origin))),
            (Some(_), _) if log.value.as_deref().is_none_or(|l| l.trim().is_empty()) => {
                Evaluation::fail(
                    "a slowlog timeout without a `slowlog` file: FPM refuses to start where \
                     tracing is supported",
                )
                .at(ts.origin.as_ref())
            }
            (Some(t), Some(f)) if f > 0 && t > f => Evaluation::fail(format!(
                "{t} s is above request_terminate_timeout ({f} s), which FPM refuses at startup"
            ))
            .at(ts.origin.as_ref()),
            (Some(t), Some(f)) if f > 0 && t == f => Evaluation::warn(format!(
                "{t} s equals request_terminate_timeout, so the request is killed before a \
                 backtrace is written"
            ))
            .at(ts.origin.as_ref()),
            (Some(t), _) if (t as f64) < lo || (t as f64) > hi => Evaluation::warn(format!(
                "{t} s is outside the useful range for web requests"
            ))
            .at(ts.origin.as_ref()),
            (Some(t), _) => Evaluation::pass(format!("requests slower than {t} s are traced"))
                .at(ts.origin.as_ref()),
        };
        assumed.apply(e.value(value).threshold(format!(
            "{}–{} s with a slowlog file, below request_terminate_timeout",
            number(lo),
            number(hi)
        )))
    })
}

fn request_terminate_timeout(stack: &Stack, _: &Inputs) -> Evaluation {
    per_pool(stack, |pool| {
        let mut assumed = Assumed::default();
        let tf = pool.request_terminate_timeout();
        note_default(
            &tf,
            &mut assumed,
            "request_terminate_timeout unset: FPM's default 0 (off)",
        );
        let tp = stack.php.as_ref().map(|ini| {
            let view = View {
                ini,
                fpm: stack.fpm.as_ref(),
                pool: Some(pool),
            };
            let t = view.get("max_execution_time", "30", &mut assumed);
            leading_integer(&t.value).unwrap_or(0)
        });
        let value = format!(
            "request_terminate_timeout = {}{}",
            tf.value.map_or("?".to_owned(), |v| format!("{v} s")),
            tp.map_or(String::new(), |t| format!(", max_execution_time = {t} s"))
        );
        let e = match tf.value {
            None => refused("request_terminate_timeout", tf.origin.as_ref()),
            Some(f) if f <= 0 => {
                Evaluation::warn("off: a request stuck on I/O holds its child until FPM restarts")
            }
            Some(f) => match tp {
                Some(p) if p > 0 && f < p => Evaluation::warn(format!(
                    "{f} s kills children before PHP's own {p} s limit can report the timeout"
                )),
                Some(_) => Evaluation::pass(format!(
                    "{f} s, above max_execution_time (the order against nginx is x.timeouts')"
                )),
                None => {
                    assumed.push("no php.ini: max_execution_time unknown");
                    Evaluation::pass(format!(
                        "{f} s (the order of the other timeouts is x.timeouts')"
                    ))
                }
            },
        };
        assumed.apply(
            e.value(value)
                .threshold("> 0 and above max_execution_time")
                .at(tf.origin.as_ref().or(Some(&pool.origin))),
        )
    })
}

/// Signs that a pool's application writes its logs to stderr.
fn logs_to_stderr(stack: &Stack, pool: &FpmPool) -> Option<(String, Origin)> {
    let stderr = |v: &str| {
        let v = v.trim();
        v == "/dev/stderr" || v == "/proc/self/fd/2" || v == "php://stderr"
    };
    if let Some(s) = pool.env.get("LOG_CHANNEL")
        && s.value.to_ascii_lowercase().contains("stderr")
    {
        return Some((format!("env[LOG_CHANNEL] = {}", s.value), s.origin.clone()));
    }
    if let Some((s, _)) = pool
        .php_setting("error_log")
        .filter(|(s, _)| stderr(&s.value))
    {
        return Some((format!("error_log = {}", s.value), s.origin.clone()));
    }
    if let Some(s) = stack
        .php
        .as_ref()
        .and_then(|i| i.get("error_log"))
        .filter(|s| stderr(&s.value))
    {
        return Some((format!("php.ini error_log = {}", s.value), s.origin.clone()));
    }
    if let Some(s) = stack
        .fpm
        .as_ref()
        .and_then(|f| f.global.get("error_log"))
        .filter(|s| stderr(&s.value))
    {
        return Some((
            format!("FPM's error_log = {} (a container)", s.value),
            s.origin.clone(),
        ));
    }
    pool.get("access.log")
        .filter(|s| stderr(&s.value))
        .map(|s| {
            (
                format!("access.log = {} (a container)", s.value),
                s.origin.clone(),
            )
        })
}

fn catch_workers_output(stack: &Stack, _: &Inputs) -> Evaluation {
    per_pool(stack, |pool| {
        let mut assumed = Assumed::default();
        let catch = pool.catch_workers_output();
        note_default(
            &catch,
            &mut assumed,
            "catch_workers_output unset: FPM's default no",
        );
        let decorate = pool.decorate_workers_output();
        let value = format!(
            "catch_workers_output = {}",
            match catch.value {
                Some(true) => "yes",
                Some(false) => "no",
                None => "?",
            }
        );
        let e = match catch.value {
            None => refused("catch_workers_output", catch.origin.as_ref()),
            Some(true) => {
                let extra = if decorate.value == Some(true) {
                    " (each line is prefixed by FPM; set decorate_workers_output = no for JSON logs)"
                } else {
                    ""
                };
                Evaluation::pass(format!("worker stderr is caught{extra}"))
                    .at(catch.origin.as_ref())
            }
            Some(false) => match logs_to_stderr(stack, pool) {
                Some((sign, origin)) => Evaluation::warn(format!(
                    "the application logs to stderr ({sign}) but FPM discards worker stderr"
                ))
                .at(catch.origin.as_ref().or(Some(&origin))),
                None => match pool.env.get("LOG_CHANNEL") {
                    Some(s) => Evaluation::pass(format!(
                        "worker stderr is discarded, and the application logs elsewhere \
                         (LOG_CHANNEL = {})",
                        s.value
                    ))
                    .at(Some(&s.origin)),
                    None => Evaluation::unverified(
                        "worker stderr is discarded; whether the application logs there \
                         (LOG_CHANNEL=stderr, a container) is not in the uploaded files",
                    )
                    .at(catch.origin.as_ref().or(Some(&pool.origin))),
                },
            },
        };
        assumed.apply(
            e.value(value)
                .threshold("yes when the application logs to stderr"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses_are_classified() {
        assert_eq!(exposure("9000"), Exposure::AllInterfaces);
        assert_eq!(exposure("0.0.0.0:9000"), Exposure::AllInterfaces);
        assert_eq!(exposure("[::]:9000"), Exposure::AllInterfaces);
        assert_eq!(exposure("127.0.0.1:9000"), Exposure::Loopback);
        assert_eq!(exposure("[::1]:9000"), Exposure::Loopback);
        assert_eq!(exposure("10.0.0.5:9000"), Exposure::Private);
        assert_eq!(exposure("203.0.113.9:9000"), Exposure::Public);
        assert_eq!(exposure("/run/php/www.sock"), Exposure::Unix);
        assert_eq!(exposure("php:9000"), Exposure::Named);
    }
}
