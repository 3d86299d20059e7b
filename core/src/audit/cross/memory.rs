//! x.memory_budget: the services of each server of the host profile,
//! summed against its RAM.

use super::{
    Assumed, NO_NGINX, NO_PHP_INI, PoolSize, app_servers, bytes, largest_pool, mib, num,
    pool_sizes, queue_workers, rank, roles_label, to_u64, total_children,
};
use crate::audit::model::Origin;
use crate::audit::mysql::{self, Flavour};
use crate::audit::nginx::WorkerProcesses;
use crate::audit::php::JitMode;
use crate::audit::{Evaluation, Inputs, Role, Server, Stack, redis};
use crate::targets::Outcome;
use std::cmp::Reverse;

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

const THRESHOLD: &str = "services + OS headroom ≤ the server's RAM, also with every FPM child \
                         at memory_limit";

/// One service's share of a server.
#[derive(Debug)]
struct Part {
    name: &'static str,
    /// With FPM children at worker_rss.
    typical: u64,
    /// With FPM children at memory_limit; `u64::MAX` when unbounded.
    worst: u64,
    /// The setting that most decides the share.
    origin: Option<Origin>,
    /// How the share was computed, for people to check.
    how: String,
}

/// One server: the shares of the services its roles put there.
#[derive(Debug)]
struct Budget<'a> {
    server: &'a Server,
    parts: Vec<Part>,
    headroom: u64,
    headroom_how: String,
    missing: Vec<String>,
}

impl Budget<'_> {
    fn typical(&self) -> u64 {
        self.parts
            .iter()
            .fold(self.headroom, |sum, p| sum.saturating_add(p.typical))
    }

    fn worst(&self) -> u64 {
        self.parts
            .iter()
            .fold(self.headroom, |sum, p| sum.saturating_add(p.worst))
    }

    /// Fail as soon as what is known is over RAM: a service not read yet
    /// can only add to the sum. Otherwise a missing service leaves the
    /// budget unverified.
    fn outcome(&self) -> Outcome {
        let ram = self.server.ram_bytes;
        if self.typical() > ram {
            Outcome::Fail
        } else if !self.missing.is_empty() {
            Outcome::Unverified
        } else if self.worst() > ram {
            Outcome::Warn
        } else {
            Outcome::Pass
        }
    }

    /// "7.9 GiB of 8 GiB: MySQL 4.6 GiB, Redis 1.3 GiB, PHP 1.5 GiB, nginx
    /// 128 MiB, OS 1 GiB", and the sum with children at memory_limit when
    /// it differs.
    fn value(&self) -> String {
        let mut shares: Vec<String> = self
            .parts
            .iter()
            .map(|p| format!("{} {}", p.name, bytes(p.typical)))
            .collect();
        shares.push(format!("OS {}", bytes(self.headroom)));
        let mut value = format!(
            "{} of {}: {}",
            bytes(self.typical()),
            bytes(self.server.ram_bytes),
            shares.join(", ")
        );
        if self.worst() != self.typical() {
            let php = self
                .parts
                .iter()
                .find(|p| p.name == "PHP")
                .map_or(0, |p| p.worst);
            value.push_str(&format!(
                "; {} with children at memory_limit (PHP {})",
                bytes(self.worst()),
                bytes(php)
            ));
        }
        value
    }

    /// The setting of the largest share (that has a line): the first
    /// place to look when the budget is over.
    fn decisive(&self) -> Option<&Origin> {
        let mut parts: Vec<&Part> = self.parts.iter().collect();
        parts.sort_by_key(|p| Reverse(p.typical));
        parts.iter().find_map(|p| p.origin.as_ref())
    }
}

/// What every server's budget shares.
struct Shared<'s> {
    rss: u64,
    app: u64,
    queue: u64,
    pools: Result<Vec<PoolSize<'s>>, String>,
    /// The server the queue workers are counted on.
    queue_host: Option<&'s str>,
}

pub(super) fn check(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let Some(host) = inputs.host.as_ref() else {
        return Evaluation::unverified(
            "The host profile is not given: add each server with its RAM and roles (web, php, \
             db, cache) so that the services sharing a server can be summed.",
        )
        .threshold(THRESHOLD);
    };
    let servers: Vec<&Server> = host
        .servers
        .iter()
        .filter(|s| !s.roles.is_empty())
        .collect();
    if servers.is_empty() {
        return Evaluation::unverified(
            "The host profile names no server with a role (web, php, db, cache), so no service \
             can be placed on a server.",
        )
        .threshold(THRESHOLD);
    }
    let mut assumed = Assumed::default();
    let rss = match host.worker_rss_bytes {
        Some(rss) => rss,
        None => {
            let mb = inputs.heuristic("x.memory_budget.worker_rss_mb", 64.0);
            assumed.push(format!(
                "worker_rss not measured: {} MiB per FPM child and queue worker",
                num(mb)
            ));
            mib(mb)
        }
    };
    let app = app_servers(inputs, &mut assumed);
    let queue = queue_workers(inputs, &mut assumed);
    // Queue workers are one number for the whole stack; they are counted on
    // the first php server rather than on each, which would multiply them.
    let queue_host = host.server_with(Role::Php).map(|s| s.name.as_str());
    if queue > 0
        && app > 1
        && let Some(name) = queue_host
    {
        assumed.push(format!(
            "the {queue} queue worker(s) run on {name}, the first server with the php role"
        ));
    }
    let shared = Shared {
        rss,
        app,
        queue,
        pools: pool_sizes(stack),
        queue_host,
    };
    let budgets: Vec<Budget<'_>> = servers
        .iter()
        .map(|server| budget(stack, inputs, &shared, server, &mut assumed))
        .collect();
    let Some(chosen) = budgets.iter().min_by_key(|b| Reverse(rank(b.outcome()))) else {
        return Evaluation::unverified("No server to judge.").threshold(THRESHOLD);
    };
    let outcome = chosen.outcome();
    let name = &chosen.server.name;
    let roles = roles_label(chosen.server);
    let (typical, worst, ram) = (
        bytes(chosen.typical()),
        bytes(chosen.worst()),
        bytes(chosen.server.ram_bytes),
    );
    let missing = chosen.missing.join("; ");
    let mut detail = match outcome {
        Outcome::Fail => format!(
            "{name} ({roles}) needs {typical} with the FPM children at their typical size, more \
             than its {ram} of RAM: at peak the OOM killer ends one of the services"
        ),
        Outcome::Warn => format!(
            "{name} ({roles}) fits at the typical child size ({typical} of {ram}) but not if the \
             FPM children grow to memory_limit ({worst})"
        ),
        Outcome::Pass => format!(
            "{name} ({roles}) fits even with every FPM child at memory_limit ({worst} of {ram})"
        ),
        Outcome::Unverified => format!(
            "{name} ({roles}) cannot be judged without {missing}; what is known comes to \
             {typical} of {ram}"
        ),
    };
    if outcome == Outcome::Fail && !chosen.missing.is_empty() {
        detail.push_str(&format!(
            " (not read yet, and able only to add to it: {missing})"
        ));
    }
    let mut how: Vec<String> = chosen.parts.iter().map(|p| p.how.clone()).collect();
    how.push(chosen.headroom_how.clone());
    detail.push_str(&format!(". {}.", how.join("; ")));
    let others: Vec<String> = budgets
        .iter()
        .filter(|b| !std::ptr::eq(*b, chosen))
        .map(|b| {
            format!(
                "{} {} ({} of {})",
                b.server.name,
                b.outcome(),
                bytes(b.typical()),
                bytes(b.server.ram_bytes)
            )
        })
        .collect();
    if !others.is_empty() {
        detail.push_str(&format!(" Other servers: {}.", others.join(", ")));
    }
    let evaluation = match outcome {
        Outcome::Pass => Evaluation::pass(detail),
        Outcome::Warn => Evaluation::warn(detail),
        Outcome::Fail => Evaluation::fail(detail),
        Outcome::Unverified => Evaluation::unverified(detail),
    }
    .value(chosen.value())
    .threshold(format!(
        "services + OS headroom ≤ {ram} (RAM of {name}), also with every FPM child at \
         memory_limit"
    ))
    .at(chosen.decisive());
    assumed.apply(evaluation)
}

/// The budget of one server: a share for each of its roles, in the order
/// MySQL, Redis, PHP, nginx.
fn budget<'a>(
    stack: &Stack,
    inputs: &Inputs,
    shared: &Shared<'_>,
    server: &'a Server,
    assumed: &mut Assumed,
) -> Budget<'a> {
    let ram = server.ram_bytes;
    let mut parts = Vec::new();
    let mut missing = Vec::new();
    let has = |role: Role| server.roles.contains(&role);
    if has(Role::Db) {
        match mysql_part(stack, inputs, shared, ram, assumed) {
            Ok(part) => parts.push(part),
            Err(what) => missing.push(what),
        }
    }
    if has(Role::Cache) {
        match redis_part(stack, inputs, assumed) {
            Ok(part) => parts.push(part),
            Err(what) => missing.push(what),
        }
    }
    if has(Role::Php) {
        match php_part(stack, shared, server, assumed, &mut missing) {
            Ok(part) => parts.push(part),
            Err(what) => missing.push(what),
        }
    }
    if has(Role::Web) {
        match nginx_part(stack, inputs, server, assumed) {
            Ok(part) => parts.push(part),
            Err(what) => missing.push(what),
        }
    }
    let min_mb = inputs.heuristic("x.memory_budget.os_headroom_min_mb", 1024.0);
    let ratio = inputs.heuristic("x.memory_budget.os_headroom_ratio", 0.10);
    let headroom = mib(min_mb).max(to_u64(ram as f64 * ratio));
    Budget {
        server,
        parts,
        headroom,
        headroom_how: format!(
            "OS {} = max({}, {} % of RAM)",
            bytes(headroom),
            bytes(mib(min_mb)),
            num(ratio * 100.0)
        ),
        missing,
    }
}

fn on(text: &str) -> bool {
    matches!(
        text.trim().to_ascii_uppercase().as_str(),
        "ON" | "1" | "TRUE" | "YES"
    )
}

/// MySQL: buffer pool × 1.1 + log buffer + key buffer + E threads × the
/// per-thread buffers + a base, with E the connections the application can
/// actually open (fewer than max_connections when the pools are smaller).
fn mysql_part(
    stack: &Stack,
    inputs: &Inputs,
    shared: &Shared<'_>,
    ram: u64,
    assumed: &mut Assumed,
) -> Result<Part, String> {
    let m = mysql::view(stack);
    if !m.has_config() {
        return Err("my.cnf or SHOW GLOBAL VARIABLES (MySQL runs here)".to_owned());
    }
    let invalid = |name: &str| {
        format!(
            "a valid {name} (the uploaded value is not a size mysqld accepts; see mysql.memory_peak)"
        )
    };
    let pool = m
        .innodb_buffer_pool_size()
        .ok_or_else(|| invalid("innodb_buffer_pool_size"))?;
    let log = m
        .innodb_log_buffer_size()
        .ok_or_else(|| invalid("innodb_log_buffer_size"))?;
    let key = m
        .key_buffer_size()
        .ok_or_else(|| invalid("key_buffer_size"))?;
    let max_connections = m
        .max_connections()
        .ok_or_else(|| invalid("max_connections"))?;
    let per = m
        .per_thread()
        .ok_or_else(|| invalid("per-thread buffer size"))?;
    let mut defaults: Vec<String> = Vec::new();
    let mut pool_bytes = pool.value;
    let mut pool_origin = pool.origin.clone();
    let mut sized_by = "";
    // MySQL sizes the buffer pool from the RAM it sees when
    // innodb_dedicated_server is on and the size is not set (50 % up to
    // 4 GiB, 75 % above): on a shared server that alone can break the
    // budget.
    let dedicated = m.setting("innodb_dedicated_server").filter(|v| on(&v.text));
    match dedicated {
        Some(d) if pool.is_default() && m.server.flavour != Some(Flavour::MariaDb) => {
            pool_bytes = if ram < GIB {
                128 * MIB
            } else if ram <= 4 * GIB {
                ram / 2
            } else {
                ram / 4 * 3
            };
            pool_origin = Some(d.origin.clone());
            sized_by = " (sized by innodb_dedicated_server from the server's RAM)";
        }
        _ if pool.is_default() => {
            defaults.push(format!("innodb_buffer_pool_size {}", bytes(pool.value)));
        }
        _ => {}
    }
    for (name, r) in [
        ("innodb_log_buffer_size", &log),
        ("key_buffer_size", &key),
        ("read_buffer_size", &per.read_buffer),
        ("read_rnd_buffer_size", &per.read_rnd_buffer),
        ("sort_buffer_size", &per.sort_buffer),
        ("join_buffer_size", &per.join_buffer),
        ("thread_stack", &per.thread_stack),
        ("binlog_cache_size", &per.binlog_cache),
        ("in-memory temporary table", &per.tmp_table),
    ] {
        if r.is_default() {
            defaults.push(format!("{name} {}", bytes(r.value)));
        }
    }
    if max_connections.is_default() {
        defaults.push(format!("max_connections {}", max_connections.value));
    }
    if !defaults.is_empty() {
        assumed.push(format!(
            "MySQL settings unset, {} defaults: {}",
            m.server.defaults_label(),
            defaults.join(", ")
        ));
    }
    let (threads, threads_how) = match &shared.pools {
        Ok(pools) => {
            let children = total_children(pools);
            let want = shared
                .app
                .saturating_mul(children)
                .saturating_add(shared.queue);
            (
                max_connections.value.min(want),
                format!(
                    "min(max_connections {}, {} × {children} children + {} queue workers)",
                    max_connections.value, shared.app, shared.queue
                ),
            )
        }
        Err(_) => {
            assumed.push(
                "FPM pools not read: MySQL's threads counted at max_connections, the most it \
                 admits",
            );
            (
                max_connections.value,
                format!("max_connections {}", max_connections.value),
            )
        }
    };
    let factor = inputs.heuristic("x.memory_budget.buffer_pool_factor", 1.1);
    let base = mib(inputs.heuristic("x.memory_budget.mysql_base_mb", 256.0));
    let total = to_u64(
        pool_bytes as f64 * factor
            + log.value as f64
            + key.value as f64
            + threads as f64 * per.total() as f64
            + base as f64,
    );
    Ok(Part {
        name: "MySQL",
        typical: total,
        worst: total,
        origin: pool_origin.or(max_connections.origin.clone()),
        how: format!(
            "MySQL {} = buffer pool {}{sized_by} × {} + log buffer {} + key buffer {} + {threads} \
             threads ({threads_how}) × {} per-thread buffers + {} base",
            bytes(total),
            bytes(pool_bytes),
            num(factor),
            bytes(log.value),
            bytes(key.value),
            bytes(per.total()),
            bytes(base)
        ),
    })
}

/// Redis: maxmemory with room for fragmentation and buffers, and for the
/// copy-on-write of a forked snapshot when it persists.
fn redis_part(stack: &Stack, inputs: &Inputs, assumed: &mut Assumed) -> Result<Part, String> {
    let Some(max) = redis::maxmemory(stack) else {
        return Err("redis.conf or redis-cli INFO (Redis runs here)".to_owned());
    };
    if max.value == 0 {
        if max.is_default() {
            assumed.push("maxmemory unset: 0 (no limit), Redis's default");
        }
        return Ok(Part {
            name: "Redis",
            typical: u64::MAX,
            worst: u64::MAX,
            origin: max.origin.clone(),
            how: "Redis has no maxmemory (0), so nothing bounds its share (see redis.maxmemory)"
                .to_owned(),
        });
    }
    let persistent = match redis::persistence(stack) {
        Some(p) => {
            if p.value.rdb() && p.origin.is_none() {
                assumed.push(
                    "redis.conf has no save line: Redis ≥ 6.2 keeps its default RDB snapshots",
                );
            }
            p.value.enabled()
        }
        None => {
            // Only INFO was uploaded, which does not show the save points;
            // Redis ≥ 6.2 snapshots by default, so the fork is counted.
            assumed.push(
                "Redis persistence unknown without redis.conf: counted as on (Redis ≥ 6.2 saves \
                 RDB snapshots by default)",
            );
            true
        }
    };
    let (factor, why) = if persistent {
        (
            inputs.heuristic("x.memory_budget.redis_factor_persistent", 2.0),
            "with RDB/AOF, for the fork's copy-on-write",
        )
    } else {
        (
            inputs.heuristic("x.memory_budget.redis_factor", 1.3),
            "without persistence",
        )
    };
    let total = to_u64(max.value as f64 * factor);
    Ok(Part {
        name: "Redis",
        typical: total,
        worst: total,
        origin: max.origin.clone(),
        how: format!(
            "Redis {} = maxmemory {} × {} {why}",
            bytes(total),
            bytes(max.value),
            num(factor)
        ),
    })
}

/// PHP: OPcache's shared segment (and the JIT buffer) once per FPM master,
/// every child at worker_rss (worst case at max(worker_rss, memory_limit)),
/// and the queue workers on the server they are counted on.
fn php_part(
    stack: &Stack,
    shared: &Shared<'_>,
    server: &Server,
    assumed: &mut Assumed,
    missing: &mut Vec<String>,
) -> Result<Part, String> {
    let pools = shared.pools.as_ref().map_err(Clone::clone)?;
    let rss = shared.rss;
    let shm = match stack.php.as_ref() {
        Some(ini) => {
            let segment = ini.opcache_memory_consumption();
            if segment.is_default() {
                assumed.push("opcache.memory_consumption unset: PHP's default 128 MiB");
            }
            let jit = ini.opcache_jit();
            let buffer = if matches!(jit.value, JitMode::Disable) {
                if jit.is_default() {
                    assumed.push(
                        "opcache.jit unset: disable (PHP 8.4's default; no JIT buffer counted)",
                    );
                }
                0
            } else {
                let b = ini.opcache_jit_buffer_size();
                if b.is_default() {
                    assumed.push(
                        "opcache.jit_buffer_size unset: 0 (PHP ≤ 8.3; PHP 8.4 reserves 64 MiB)",
                    );
                }
                b.value
            };
            segment.value.saturating_add(buffer)
        }
        None => {
            missing.push(NO_PHP_INI.to_owned());
            assumed.push("no php.ini: OPcache at PHP's default 128 MiB, memory_limit at 128M");
            128 * MIB
        }
    };
    let children = total_children(pools);
    let queue = if shared.queue_host == Some(server.name.as_str()) {
        shared.queue
    } else {
        0
    };
    let typical = shm
        .saturating_add(children.saturating_mul(rss))
        .saturating_add(queue.saturating_mul(rss));
    // A child's RSS is PHP's heap plus the binary and extensions, so a child
    // at memory_limit is at least as large as a typical one.
    let at_limit = |limit: Option<u64>| limit.map_or(u64::MAX, |l| l.max(rss));
    let mut worst = shm;
    for p in pools {
        let limit = p.pool.memory_limit(stack.php.as_ref());
        if limit.is_default() && stack.php.is_some() {
            assumed.push("memory_limit unset: PHP's default 128M");
        }
        worst = worst.saturating_add(p.children.saturating_mul(at_limit(limit.value)));
    }
    if queue > 0 {
        // Queue workers run the CLI, whose php.ini is not uploaded; the
        // FPM php.ini's memory_limit stands in for it.
        let limit = stack
            .php
            .as_ref()
            .map_or(Some(128 * MIB), |ini| ini.memory_limit().value);
        worst = worst.saturating_add(queue.saturating_mul(at_limit(limit)));
    }
    let queue_how = if queue > 0 {
        format!(" + {queue} queue workers × {}", bytes(rss))
    } else {
        String::new()
    };
    Ok(Part {
        name: "PHP",
        typical,
        worst,
        origin: largest_pool(pools).and_then(|p| p.origin.clone()),
        how: format!(
            "PHP {} = OPcache {} + {children} children × {} worker_rss{queue_how} ({} with every \
             child at max(worker_rss, memory_limit))",
            bytes(typical),
            bytes(shm),
            bytes(rss),
            bytes(worst)
        ),
    })
}

/// nginx: a fixed allowance per worker.
fn nginx_part(
    stack: &Stack,
    inputs: &Inputs,
    server: &Server,
    assumed: &mut Assumed,
) -> Result<Part, String> {
    let Some(conf) = stack.nginx.as_ref() else {
        return Err(NO_NGINX.to_owned());
    };
    let Some(wp) = conf.worker_processes() else {
        return Err("the main nginx.conf (worker_processes)".to_owned());
    };
    let (workers, auto) = match wp.value {
        WorkerProcesses::Auto => (u64::from(server.cpus.max(1)), " (auto: the server's CPUs)"),
        WorkerProcesses::Count(n) => (n, ""),
    };
    if wp.is_default() {
        assumed.push("worker_processes unset: 1, nginx's default");
    }
    let per = mib(inputs.heuristic("x.memory_budget.nginx_worker_mb", 32.0));
    let total = workers.saturating_mul(per);
    Ok(Part {
        name: "nginx",
        typical: total,
        worst: total,
        origin: wp.origin.clone(),
        how: format!(
            "nginx {} = {workers} workers{auto} × {}",
            bytes(total),
            bytes(per)
        ),
    })
}
