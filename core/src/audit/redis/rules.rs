//! The rules of Redis used as a cache (AUDIT-RULES §4) and of its measured
//! ratios (§7).

use super::super::model::{Origin, Resolved, format_bytes};
use super::super::{Evaluation, Inputs, Role, Rule, Server, Stack};
use super::{RedisConf, RedisInfo, maxmemory, maxmemory_policy, persistence};
use crate::assess::{Category, Severity};
use crate::targets::trim_number;

/// The fewest lookups (hits + misses) for a hit rate to mean anything: a
/// cache that has barely been used says nothing about its sizing.
pub const MIN_LOOKUPS: u64 = 10_000;

/// The keyspace hit rate of a Redis instance, with the counters it comes
/// from. It is the audit's m.redis.hit_rate and the project's
/// `cache_hit_rate` target.
#[derive(Debug, Clone, PartialEq)]
pub struct HitRate {
    /// hits / (hits + misses), 0 to 1.
    pub ratio: f64,
    pub hits: u64,
    pub misses: u64,
    pub lookups: u64,
    /// Seconds between the two dumps when the counters are a difference;
    /// `None` when they are cumulative since the server started.
    pub interval_s: Option<u64>,
    /// The `keyspace_hits` line.
    pub origin: Origin,
}

/// The keyspace hit rate of an INFO dump (between two dumps of the same
/// run when two were uploaded). `None` when the counters are missing or no
/// lookup happened yet.
pub fn cache_hit_rate(info: &RedisInfo) -> Option<HitRate> {
    let hits = info.counter("keyspace_hits")?;
    let misses = info.counter("keyspace_misses")?;
    let lookups = hits.value.checked_add(misses.value)?;
    if lookups == 0 {
        return None;
    }
    Some(HitRate {
        ratio: hits.value as f64 / lookups as f64,
        hits: hits.value,
        misses: misses.value,
        lookups,
        interval_s: hits.interval_s,
        origin: hits.origin,
    })
}

pub(super) fn rules() -> Vec<Rule> {
    vec![
        Rule {
            id: "redis.maxmemory",
            title: "Redis has a memory limit",
            category: Category::Infrastructure,
            severity: Severity::Critical,
            why: "Without maxmemory a cache grows until the kernel's OOM killer stops Redis or \
                  a neighbour such as MySQL or PHP-FPM; with a limit, Redis evicts keys instead.",
            fix: "Set maxmemory to Redis's share of the host's memory (see x.memory_budget), \
                  leaving room for replication buffers and the fork of a snapshot.",
            check: check_maxmemory,
        },
        Rule {
            id: "redis.maxmemory_policy",
            title: "A cache evicts any key when full",
            category: Category::Infrastructure,
            severity: Severity::Critical,
            why: "With noeviction a full cache refuses writes with OOM errors; volatile-* \
                  policies never evict keys stored without a TTL (Cache::forever), so the \
                  cache can still fill up.",
            fix: "On a cache-only instance set maxmemory-policy allkeys-lru (or allkeys-lfu).",
            check: check_policy,
        },
        Rule {
            id: "redis.shared_roles",
            title: "Queues and sessions are not on an evicting cache",
            category: Category::Infrastructure,
            severity: Severity::Critical,
            why: "Eviction is instance-wide: every database index shares one maxmemory, so an \
                  evicting policy drops queued jobs, sessions and locks along with cache \
                  entries. Laravel's cache and default Redis connections point at the same \
                  server unless told otherwise.",
            fix: "Run separate instances: the cache with allkeys-lru and no persistence; queues, \
                  sessions and locks with noeviction and persistence.",
            check: check_shared_roles,
        },
        Rule {
            id: "redis.persistence",
            title: "A pure cache does not write snapshots",
            category: Category::Infrastructure,
            severity: Severity::Medium,
            why: "RDB snapshots and AOF rewrites fork Redis; under writes copy-on-write can \
                  nearly double its memory, they cost disk I/O, and a failed snapshot with \
                  stop-writes-on-bgsave-error blocks every write.",
            fix: "For a cache set `save \"\"` and `appendonly no`. If persistence stays on, set \
                  vm.overcommit_memory=1 and leave memory for the fork.",
            check: check_persistence,
        },
        Rule {
            id: "redis.exposure_auth",
            title: "Redis is not reachable without authentication",
            category: Category::Infrastructure,
            severity: Severity::Critical,
            why: "An open Redis lets anyone who reaches the port read and delete data, and \
                  CONFIG SET can be abused to write files on the host.",
            fix: "Bind to 127.0.0.1 or a unix socket; if other hosts must connect, bind to the \
                  private interface and give the application an ACL user with a long random \
                  password.",
            check: check_exposure,
        },
        Rule {
            id: "redis.dangerous_commands",
            title: "The application cannot run administrative commands",
            category: Category::Infrastructure,
            severity: Severity::Medium,
            why: "With every command allowed, a bug or an injection can FLUSHALL the instance, \
                  rewrite its configuration with CONFIG or stall it with KEYS or DEBUG.",
            fix: "Give the application an ACL user with -@dangerous plus what Laravel needs \
                  (+flushdb for cache:clear; EVAL/EVALSHA are not dangerous), instead of \
                  rename-command, which is deprecated.",
            check: check_dangerous,
        },
        Rule {
            id: "redis.io_threads",
            title: "I/O threads fit the host's CPUs",
            category: Category::Infrastructure,
            severity: Severity::Low,
            why: "I/O threads help only a CPU-bound Redis on a host with spare cores; too many \
                  compete with PHP-FPM and the main thread for the same CPUs.",
            fix: "Keep io-threads 1, or 2 to min(8, CPUs − 1) on a host with 4 or more CPUs \
                  when Redis is CPU-bound (at most 2 beside PHP-FPM).",
            check: check_io_threads,
        },
        Rule {
            id: "redis.timeouts",
            title: "Idle connections and dead peers are handled",
            category: Category::Infrastructure,
            severity: Severity::Low,
            why: "Without TCP keepalive, connections of crashed clients linger and count toward \
                  maxclients; a short idle timeout closes persistent phpredis connections and \
                  gives \"went away\" errors.",
            fix: "Keep timeout 0 (or above the longest idle gap of persistent connections) and \
                  tcp-keepalive between 60 and 300 seconds.",
            check: check_timeouts,
        },
        Rule {
            id: "m.redis.hit_rate",
            title: "The cache answers most lookups",
            category: Category::Infrastructure,
            severity: Severity::High,
            why: "Every miss goes back to the database or recomputes the value; a low hit rate \
                  means the cache takes memory without taking load.",
            fix: "With rising evictions the cache is too small: raise maxmemory. With few \
                  evictions the keys expire too soon or are not reused: lengthen TTLs and \
                  cache what is read repeatedly.",
            check: check_hit_rate,
        },
        Rule {
            id: "m.redis.pressure",
            title: "Redis is not running out of memory or connections",
            category: Category::Infrastructure,
            severity: Severity::High,
            why: "OOM errors reject writes, rejected connections mean maxclients was reached, a \
                  failed snapshot can block writes, and a fragmentation ratio far from 1 wastes \
                  memory or shows the instance swapping.",
            fix: "Raise maxmemory or evict (allkeys-lru); raise maxclients or fix connection \
                  leaks; fix the snapshot's disk or turn persistence off for a cache; restart \
                  or enable activedefrag for fragmentation, and add RAM if Redis swaps.",
            check: check_pressure,
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

fn check_maxmemory(stack: &Stack, inputs: &Inputs) -> Evaluation {
    with_threshold(
        check_maxmemory_inner(stack, inputs),
        "set (> 0), and maxmemory × overhead ≤ RAM",
    )
}

fn check_policy(stack: &Stack, inputs: &Inputs) -> Evaluation {
    with_threshold(
        check_policy_inner(stack, inputs),
        "allkeys-lru or allkeys-lfu (cache-only instance)",
    )
}

fn check_shared_roles(stack: &Stack, inputs: &Inputs) -> Evaluation {
    with_threshold(
        check_shared_roles_inner(stack, inputs),
        "shared instance: noeviction with persistence; cache-only: separate instance",
    )
}

fn check_persistence(stack: &Stack, inputs: &Inputs) -> Evaluation {
    with_threshold(
        check_persistence_inner(stack, inputs),
        "save \"\" and appendonly no (cache-only instance)",
    )
}

fn check_exposure(stack: &Stack, inputs: &Inputs) -> Evaluation {
    with_threshold(
        check_exposure_inner(stack, inputs),
        "loopback or unix socket; or a private interface with ACL users or a long requirepass",
    )
}

fn check_dangerous(stack: &Stack, inputs: &Inputs) -> Evaluation {
    with_threshold(
        check_dangerous_inner(stack, inputs),
        "the application's user denied -@dangerous (except FLUSHDB); no rename-command",
    )
}

fn check_io_threads(stack: &Stack, inputs: &Inputs) -> Evaluation {
    with_threshold(
        check_io_threads_inner(stack, inputs),
        "1, or 2 to min(8, CPUs − 1) on ≥ 4 CPUs",
    )
}

fn check_timeouts(stack: &Stack, inputs: &Inputs) -> Evaluation {
    with_threshold(
        check_timeouts_inner(stack, inputs),
        "timeout 0 or ≥ 60s; tcp-keepalive 60–300s",
    )
}

fn check_hit_rate(stack: &Stack, inputs: &Inputs) -> Evaluation {
    with_threshold(
        check_hit_rate_inner(stack, inputs),
        "≥ 90 % after ≥ 10000 lookups",
    )
}

fn check_pressure(stack: &Stack, inputs: &Inputs) -> Evaluation {
    with_threshold(
        check_pressure_inner(stack, inputs),
        "no OOM errors, rejected connections or failed saves; fragmentation 1.0–1.5",
    )
}

const NO_INPUT: &str = "Neither redis.conf nor redis-cli INFO was uploaded.";
const NO_CONF: &str = "redis.conf was not uploaded (INFO does not show this setting).";
const NO_INFO: &str = "No redis-cli INFO dump was uploaded.";

/// The server Redis runs on: the one with the cache role, or the only
/// server of the profile.
fn redis_host(inputs: &Inputs) -> Option<&Server> {
    let host = inputs.host.as_ref()?;
    host.server_with(Role::Cache)
        .or(match host.servers.as_slice() {
            [only] => Some(only),
            _ => None,
        })
}

fn redis_shared(inputs: &Inputs) -> Option<bool> {
    inputs.host.as_ref().and_then(|h| h.redis_shared)
}

/// Adds the "a default was assumed" note of a resolved value.
fn assume<T>(eval: Evaluation, value: &Resolved<T>, text: &str) -> Evaluation {
    if value.is_default() {
        eval.assumed(text)
    } else {
        eval
    }
}

/// When INFO supplied a value that redis.conf also sets, says which won
/// and whether they differ.
fn runtime_note(
    info_used: bool,
    conf_value: Option<(String, Option<Origin>)>,
    info_value: &str,
) -> String {
    if !info_used {
        return String::new();
    }
    match conf_value {
        Some((conf, Some(origin))) if conf != info_value => format!(
            " INFO reports the running value, which takes precedence over redis.conf ({conf} at \
             {origin}): a CONFIG SET or another file changed it."
        ),
        Some((_, Some(origin))) => {
            format!(" INFO reports the running value; it matches redis.conf ({origin}).")
        }
        Some(_) => {
            " INFO reports the running value, which takes precedence over redis.conf.".to_owned()
        }
        None => " The value is the running server's, from INFO.".to_owned(),
    }
}

fn info_has(stack: &Stack, field: &str) -> bool {
    stack
        .redis_info
        .as_ref()
        .is_some_and(|i| i.get(field).is_some())
}

fn check_maxmemory_inner(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let Some(limit) = maxmemory(stack) else {
        return Evaluation::unverified(NO_INPUT);
    };
    let from_info = info_has(stack, "maxmemory");
    let conf = stack.redis.as_ref().map(|c| {
        let m = c.maxmemory();
        (m.value.to_string(), m.origin)
    });
    let note = runtime_note(from_info, conf, &limit.value.to_string());
    let threshold = "set (> 0), with room for Redis's overhead in the host's RAM";
    if limit.value == 0 {
        let eval = Evaluation::fail(format!(
            "maxmemory is 0: Redis has no memory limit and grows until the OOM killer stops it \
             or a neighbour.{note}"
        ))
        .value("0 (no limit)")
        .threshold(threshold)
        .at(limit.origin.as_ref());
        return assume(eval, &limit, "maxmemory: 0 (no limit), Redis's default");
    }
    let persistent = persistence(stack).map(|p| p.value.enabled());
    let (factor, factor_text) = if persistent == Some(true) {
        (
            inputs.heuristic("redis.maxmemory.overhead_persistent", 2.0),
            "with persistence (fork copy-on-write)",
        )
    } else {
        (
            inputs.heuristic("redis.maxmemory.overhead", 1.3),
            "without persistence",
        )
    };
    let ram = match redis_host(inputs) {
        Some(server) => Some((server.ram_bytes, format!("RAM of {}", server.name))),
        None => stack
            .redis_info
            .as_ref()
            .and_then(|i| i.unsigned("total_system_memory"))
            .filter(|r| *r > 0)
            .map(|r| (r, "total_system_memory reported by INFO".to_owned())),
    };
    let value = format_bytes(limit.value);
    let mut eval = match ram {
        Some((ram, source)) => {
            let needed = limit.value as f64 * factor;
            if needed > ram as f64 {
                Evaluation::warn(format!(
                    "maxmemory {value} × {} {factor_text} needs {} but the host has {} \
                     ({source}); x.memory_budget weighs every service.{note}",
                    trim_number(factor, 2),
                    format_bytes(needed as u64),
                    format_bytes(ram)
                ))
            } else {
                Evaluation::pass(format!(
                    "maxmemory {value}; × {} {factor_text} it fits the host's {} ({source}); \
                     x.memory_budget weighs it against the other services.{note}",
                    trim_number(factor, 2),
                    format_bytes(ram)
                ))
            }
        }
        None => Evaluation::pass(format!(
            "maxmemory {value} is set. The host's RAM is not known, so its share is judged by \
             x.memory_budget once the host profile gives it.{note}"
        )),
    };
    eval = eval
        .value(value)
        .threshold(format!(
            "set, and maxmemory × {} ≤ RAM",
            trim_number(factor, 2)
        ))
        .at(limit.origin.as_ref());
    if persistent.is_none() {
        eval = eval.assumed("persistence: unknown without redis.conf; counted as off");
    }
    eval
}

fn policy_kind(policy: &str) -> Option<&'static str> {
    match policy {
        "allkeys-lru" | "allkeys-lfu" => Some("evict-any"),
        "allkeys-random" => Some("random"),
        "volatile-lru" | "volatile-lfu" | "volatile-random" | "volatile-ttl" => Some("volatile"),
        "noeviction" => Some("none"),
        _ => None,
    }
}

fn check_policy_inner(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let Some(policy) = maxmemory_policy(stack) else {
        return Evaluation::unverified(NO_INPUT);
    };
    if redis_shared(inputs) == Some(true) {
        return Evaluation::unverified(
            "This rule judges a cache-only instance; the host profile says this one also holds \
             queues, sessions or locks, which redis.shared_roles judges.",
        )
        .value(policy.value.clone())
        .at(policy.origin.as_ref());
    }
    let from_info = info_has(stack, "maxmemory_policy");
    let conf = stack.redis.as_ref().map(|c| {
        let p = c.maxmemory_policy();
        (p.value, p.origin)
    });
    let note = runtime_note(from_info, conf, &policy.value);
    let name = policy.value.as_str();
    let mut eval = match policy_kind(name) {
        Some("evict-any") => Evaluation::pass(format!(
            "{name}: when full, Redis evicts the least useful keys, with or without a TTL.{note}"
        )),
        Some("random") => Evaluation::warn(format!(
            "{name} evicts keys at random, hot ones included; allkeys-lru or allkeys-lfu keep \
             what is used.{note}"
        )),
        Some("volatile") => Evaluation::warn(format!(
            "{name} only evicts keys with a TTL: keys stored forever (Cache::forever, rememberForever) \
             are never evicted and can fill the cache.{note}"
        )),
        Some(_) => Evaluation::fail(format!(
            "noeviction: once maxmemory is reached every write fails with an OOM error, so the \
             application's cache writes start failing.{note}"
        )),
        None => Evaluation::warn(format!("Unknown maxmemory-policy `{name}`.{note}")),
    };
    eval = eval
        .value(name)
        .threshold("allkeys-lru or allkeys-lfu (cache-only instance)")
        .at(policy.origin.as_ref());
    eval = assume(
        eval,
        &policy,
        "maxmemory-policy: noeviction, Redis's default",
    );
    if redis_shared(inputs).is_none() {
        eval = eval.assumed("redis_shared: a cache-only instance (the host profile does not say)");
    }
    eval
}

fn check_shared_roles_inner(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let Some(shared) = redis_shared(inputs) else {
        return Evaluation::unverified(
            "Whether this Redis also holds queues, sessions, Horizon or locks is not known: set \
             redis_shared in the host profile.",
        );
    };
    let Some(policy) = maxmemory_policy(stack) else {
        return Evaluation::unverified(NO_INPUT);
    };
    let name = policy.value.clone();
    let threshold = "shared instance: noeviction with persistence; cache-only: separate instance";
    if !shared {
        return Evaluation::pass(
            "The host profile says this instance is a cache only: eviction cannot drop jobs or \
             sessions.",
        )
        .value(name)
        .threshold(threshold)
        .at(policy.origin.as_ref());
    }
    let eval = match policy_kind(&name) {
        Some("none") => match persistence(stack) {
            Some(p) if p.value.enabled() => Evaluation::pass(format!(
                "The instance holds queues or sessions and never evicts (noeviction), with \
                 persistence ({}).",
                p.value.describe()
            )),
            Some(p) => Evaluation::warn(format!(
                "The instance holds queues or sessions and never evicts, but nothing is written \
                 to disk ({}): a restart loses every queued job and session.",
                p.value.describe()
            )),
            None => Evaluation::pass(
                "The instance holds queues or sessions and never evicts (noeviction); its \
                 persistence could not be checked without redis.conf.",
            ),
        },
        _ => Evaluation::fail(format!(
            "{name} on an instance that also holds queues or sessions: eviction is instance-wide, \
             so queued jobs, sessions and locks are dropped like cache entries when memory runs \
             out."
        )),
    };
    assume(
        eval.value(name)
            .threshold(threshold)
            .at(policy.origin.as_ref()),
        &policy,
        "maxmemory-policy: noeviction, Redis's default",
    )
}

fn check_persistence_inner(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let shared = redis_shared(inputs) == Some(true);
    let Some(p) = persistence(stack) else {
        if let Some(info) = &stack.redis_info
            && info.unsigned("aof_enabled") == Some(1)
        {
            return Evaluation::warn(
                "INFO shows the append-only file on; the RDB save points are not in INFO.",
            )
            .value("appendonly yes")
            .at(info.origin("aof_enabled").as_ref());
        }
        return Evaluation::unverified(NO_CONF);
    };
    let conf = stack.redis.as_ref();
    let described = p.value.describe();
    let threshold = if shared {
        "persistence on (the instance holds queues or sessions)"
    } else {
        "save \"\" and appendonly no (cache-only instance)"
    };
    let stop_writes = conf.map(RedisConf::stop_writes_on_bgsave_error);
    let mut eval = if shared {
        if p.value.enabled() {
            Evaluation::pass(format!(
                "{described}: the queues and sessions this instance holds survive a restart."
            ))
        } else {
            Evaluation::warn(format!(
                "{described}: this instance holds queues or sessions, and a restart loses them."
            ))
        }
    } else if p.value.enabled() {
        let blocking = match &stop_writes {
            Some(s) if s.value && p.value.rdb() => {
                " With stop-writes-on-bgsave-error yes, one failed snapshot blocks every write."
            }
            _ => "",
        };
        Evaluation::warn(format!(
            "{described}: a cache pays for forks (copy-on-write can approach twice its memory) \
             and disk I/O to keep data it can rebuild.{blocking}"
        ))
    } else {
        Evaluation::pass(format!(
            "{described}: the cache never forks to write snapshots."
        ))
    };
    eval = eval
        .value(described)
        .threshold(threshold)
        .at(p.origin.as_ref());
    if let Some(conf) = conf {
        let pre_6_2 = super::pre_6_2(stack);
        let save = conf.save_points(pre_6_2.unwrap_or(false));
        if save.is_default() {
            eval = eval.assumed(match pre_6_2 {
                Some(true) => "save: no save line, so Redis < 6.2 saves nothing",
                Some(false) => {
                    "save: no save line, so Redis keeps its default 3600 1 300 100 60 10000"
                }
                None => {
                    "save: no save line; Redis ≥ 6.2 assumed, which keeps its default 3600 1 300 \
                     100 60 10000 (older versions save nothing)"
                }
            });
        }
        if conf.appendonly().is_default() && !info_has(stack, "aof_enabled") {
            eval = eval.assumed("appendonly: no, Redis's default");
        }
        if let Some(s) = &stop_writes
            && p.value.rdb()
        {
            eval = assume(eval, s, "stop-writes-on-bgsave-error: yes, Redis's default");
        }
    }
    if redis_shared(inputs).is_none() {
        eval = eval.assumed("redis_shared: a cache-only instance (the host profile does not say)");
    }
    eval
}

/// How far an address a Redis server listens on reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reach {
    Loopback,
    Private,
    Public,
    Everywhere,
}

fn reach(address: &str) -> Reach {
    let address = address.strip_prefix('-').unwrap_or(address);
    let lower = address.to_ascii_lowercase();
    if matches!(lower.as_str(), "*" | "0.0.0.0" | "::" | "::*" | "[::]") {
        return Reach::Everywhere;
    }
    if lower == "localhost" || lower == "::1" || lower.starts_with("127.") {
        return Reach::Loopback;
    }
    if let Ok(ip) = lower.parse::<std::net::Ipv4Addr>() {
        return if ip.is_private() || ip.is_link_local() {
            Reach::Private
        } else {
            Reach::Public
        };
    }
    if let Ok(ip) = lower.parse::<std::net::Ipv6Addr>() {
        let first = ip.segments().first().copied().unwrap_or(0);
        // fc00::/7 is unique-local, fe80::/10 link-local.
        return if first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfe80 {
            Reach::Private
        } else {
            Reach::Public
        };
    }
    // A host name: where it resolves is not known here.
    Reach::Public
}

/// The state of one ACL user after its rules, as far as the rules below
/// need it.
#[derive(Debug, Clone)]
struct AclUser {
    name: String,
    on: bool,
    nopass: bool,
    /// Whether the @dangerous category (or every command) is allowed.
    dangerous: bool,
    /// Dangerous commands granted one by one.
    granted: Vec<String>,
    /// The last line that defined it; none for the built-in default user
    /// left as Redis creates it.
    origin: Option<Origin>,
}

/// Commands the catalogue names as dangerous for an application user,
/// besides the @dangerous category as a whole.
const DANGEROUS: &[&str] = &[
    "flushall",
    "config",
    "debug",
    "keys",
    "shutdown",
    "module",
    "monitor",
    "acl",
    "replicaof",
    "slaveof",
    "migrate",
    "save",
    "bgsave",
    "bgrewriteaof",
    "cluster",
    "failover",
];

impl AclUser {
    fn new(name: &str, origin: Option<Origin>) -> AclUser {
        // A user created by an ACL rule starts disabled, without passwords
        // and without commands.
        AclUser {
            name: name.to_owned(),
            on: false,
            nopass: false,
            dangerous: false,
            granted: Vec::new(),
            origin,
        }
    }

    fn apply(&mut self, rule: &str) {
        let lower = rule.to_ascii_lowercase();
        match lower.as_str() {
            "on" => self.on = true,
            "off" => self.on = false,
            "nopass" => self.nopass = true,
            "resetpass" => self.nopass = false,
            "+@all" | "allcommands" | "+@dangerous" => {
                self.dangerous = true;
                if lower != "+@dangerous" {
                    self.granted.clear();
                }
            }
            "-@all" | "nocommands" => {
                self.dangerous = false;
                self.granted.clear();
            }
            "-@dangerous" => {
                self.dangerous = false;
                self.granted.clear();
            }
            "reset" => {
                self.on = false;
                self.nopass = false;
                self.dangerous = false;
                self.granted.clear();
            }
            other => {
                if other.starts_with('>') || other.starts_with('#') {
                    self.nopass = false;
                } else if let Some(cmd) = other.strip_prefix('+') {
                    let base = cmd.split('|').next().unwrap_or(cmd);
                    if DANGEROUS.contains(&base) && !self.granted.iter().any(|g| g == base) {
                        self.granted.push(base.to_owned());
                    }
                } else if let Some(cmd) = other.strip_prefix('-') {
                    let base = cmd.split('|').next().unwrap_or(cmd);
                    self.granted.retain(|g| g != base);
                }
            }
        }
    }
}

/// The users of the instance: the built-in `default` user (on, no password
/// and every command unless `requirepass` or a `user default` line says
/// otherwise) and every `user` line, in order.
fn acl_users(conf: &RedisConf) -> Vec<AclUser> {
    let mut default = AclUser::new("default", conf.requirepass().map(|p| p.origin.clone()));
    default.on = true;
    default.nopass = conf.requirepass().is_none();
    default.dangerous = true;
    let mut users = vec![default];
    for line in conf.all("user") {
        let Some((name, rules)) = line.args.split_first() else {
            continue;
        };
        let index = match users.iter().position(|u| u.name == *name) {
            Some(i) => i,
            None => {
                users.push(AclUser::new(name, Some(line.origin.clone())));
                users.len() - 1
            }
        };
        if let Some(user) = users.get_mut(index) {
            user.origin = Some(line.origin.clone());
            for rule in rules {
                user.apply(rule);
            }
        }
    }
    users
}

fn check_exposure_inner(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let Some(conf) = &stack.redis else {
        return Evaluation::unverified(NO_CONF);
    };
    let bind = conf.bind();
    let port = conf.port();
    let tls_port = conf
        .get("tls-port")
        .and_then(|d| d.value().parse::<u64>().ok())
        .filter(|p| *p > 0);
    let threshold = "loopback or unix socket; or a private interface with ACL users or a long \
                     requirepass";
    let addresses = bind.value.join(" ");
    if port.value == 0 && tls_port.is_none() {
        return Evaluation::pass("port 0: Redis listens on its unix socket only.")
            .value("port 0")
            .threshold(threshold)
            .at(port.origin.as_ref());
    }
    let widest = bind
        .value
        .iter()
        .map(|a| reach(a))
        .max()
        .unwrap_or(Reach::Everywhere);
    let mut eval = if widest == Reach::Loopback {
        Evaluation::pass(format!("bind {addresses}: only local clients can connect."))
    } else {
        exposed(conf, stack, inputs, widest, &addresses)
    };
    eval = eval
        .value(format!("bind {addresses}"))
        .threshold(threshold)
        .at(bind
            .origin
            .as_ref()
            .or(conf.requirepass().map(|d| &d.origin)));
    if bind.is_default() {
        eval = eval.assumed("bind: none, so Redis listens on every interface (* -::*)");
    }
    eval
}

fn exposed(
    conf: &RedisConf,
    stack: &Stack,
    inputs: &Inputs,
    widest: Reach,
    addresses: &str,
) -> Evaluation {
    let users = acl_users(conf);
    let default_open = users
        .iter()
        .any(|u| u.name == "default" && u.on && u.nopass);
    let acl_users = users.iter().filter(|u| u.name != "default" && u.on).count();
    let where_ = match widest {
        Reach::Everywhere => "every interface".to_owned(),
        Reach::Public => format!("a public address ({addresses})"),
        _ => format!("a private interface ({addresses})"),
    };
    if default_open {
        let protected = conf.protected_mode();
        let version = stack.redis_info.as_ref().and_then(RedisInfo::version);
        // Before Redis 7.0, protected mode engaged only when no `bind`
        // line was given (networking.c tested `bindaddr_count == 0`).
        let explicit_bind = conf.get("bind").is_some();
        let protection_off_by_bind = explicit_bind && version.is_some_and(|v| v < (7, 0));
        if !protected.value {
            return Evaluation::fail(format!(
                "Redis listens on {where_} with protected-mode no and no password: anyone who \
                 reaches the port can read, delete and reconfigure it."
            ));
        }
        if protection_off_by_bind {
            return Evaluation::fail(format!(
                "Redis listens on {where_} with no password; before 7.0 protected mode does not \
                 apply once `bind` is set, so the instance is open."
            ));
        }
        return Evaluation::warn(format!(
            "Redis listens on {where_} with no password; protected mode refuses remote clients, so \
             either only local clients use it (then bind to 127.0.0.1) or remote ones are being \
             refused."
        ));
    }
    let min_len = inputs.heuristic("redis.exposure_auth.min_password_length", 32.0);
    let private = widest == Reach::Private;
    if acl_users > 0 {
        return if private {
            Evaluation::pass(format!(
                "Redis listens on {where_}; clients authenticate as ACL users and the default \
                 user is disabled or has a password."
            ))
        } else {
            Evaluation::warn(format!(
                "Redis listens on {where_}, protected only by ACL passwords; bind it to a \
                 private interface."
            ))
        };
    }
    let length = conf
        .requirepass()
        .map(|p| p.value().chars().count())
        .unwrap_or(0);
    if private && length as f64 >= min_len {
        Evaluation::pass(format!(
            "Redis listens on {where_} and requires a {length}-character password (one \
             all-powerful user; ACL users would limit what the application may run)."
        ))
    } else if private {
        Evaluation::warn(format!(
            "Redis listens on {where_} with a {length}-character requirepass, shorter than {} \
             characters; Redis checks passwords fast enough for guessing to work.",
            trim_number(min_len, 0)
        ))
    } else {
        Evaluation::warn(format!(
            "Redis listens on {where_}, protected only by requirepass (one all-powerful user); \
             bind it to a private interface."
        ))
    }
}

fn check_dangerous_inner(stack: &Stack, _inputs: &Inputs) -> Evaluation {
    let Some(conf) = &stack.redis else {
        return Evaluation::unverified(NO_CONF);
    };
    let threshold = "the application's user denied -@dangerous (except FLUSHDB); no rename-command";
    if let Some(aclfile) = conf.get("aclfile").filter(|a| !a.value().is_empty())
        && conf.acl_file().is_none()
    {
        return Evaluation::unverified(format!(
            "The users are defined in the ACL file {}, which was not uploaded; upload it in \
                 the same bundle.",
            aclfile.value()
        ))
        .at(Some(&aclfile.origin));
    }
    let users: Vec<AclUser> = acl_users(conf).into_iter().filter(|u| u.on).collect();
    let mut problems: Vec<String> = Vec::new();
    let mut at: Option<Origin> = None;
    for user in &users {
        if user.dangerous {
            problems.push(format!(
                "user `{}` may run every command, FLUSHALL, CONFIG, DEBUG and KEYS included",
                user.name
            ));
            if at.is_none() {
                at = user.origin.clone();
            }
        } else if !user.granted.is_empty() {
            problems.push(format!(
                "user `{}` is granted {}",
                user.name,
                user.granted.join(", ").to_ascii_uppercase()
            ));
            if at.is_none() {
                at = user.origin.clone();
            }
        }
    }
    let renamed: Vec<&super::RedisDirective> = conf.all("rename-command").collect();
    if let Some(first) = renamed.first() {
        problems.push(format!(
            "rename-command is used {} time(s) (deprecated; it breaks AOF replay and replicas \
             that do not share it)",
            renamed.len()
        ));
        at.get_or_insert(first.origin.clone());
    }
    for name in ["enable-debug-command", "enable-module-command"] {
        if let Some(d) = conf.get(name) {
            let v = d.value().to_ascii_lowercase();
            if v == "yes" || v == "local" {
                problems.push(format!("{name} {v}"));
                at.get_or_insert(d.origin.clone());
            }
        }
    }
    let value = if users.iter().any(|u| u.name != "default") {
        format!("{} enabled user(s)", users.len())
    } else {
        "default user only".to_owned()
    };
    let eval = if problems.is_empty() {
        Evaluation::pass(
            "Every enabled user is denied the dangerous commands, and no command is renamed.",
        )
    } else {
        Evaluation::warn(format!("{}.", problems.join("; ")))
    };
    let mut eval = eval.value(value).threshold(threshold).at(at.as_ref());
    if conf.all("user").next().is_none() {
        eval = eval.assumed("users: none defined, so the default user has every command");
    }
    eval
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn check_io_threads_inner(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let Some(conf) = &stack.redis else {
        return Evaluation::unverified(NO_CONF);
    };
    let threads = conf.io_threads();
    let n = threads.value;
    let max = inputs.heuristic("redis.io_threads.max", 8.0);
    let min_cpus = inputs.heuristic("redis.io_threads.min_cpus", 4.0);
    let max_shared = inputs.heuristic("redis.io_threads.max_beside_fpm", 2.0);
    let threshold = format!(
        "1, or 2 to min({}, CPUs − 1) on ≥ {} CPUs (≤ {} beside PHP-FPM)",
        trim_number(max, 0),
        trim_number(min_cpus, 0),
        trim_number(max_shared, 0)
    );
    let finish = |eval: Evaluation| {
        assume(
            eval.value(n.to_string())
                .threshold(threshold.clone())
                .at(threads.origin.as_ref()),
            &threads,
            "io-threads: 1, Redis's default",
        )
    };
    if n <= 1 {
        return finish(Evaluation::pass(
            "io-threads 1: the main thread does all I/O, which suits most caches.",
        ));
    }
    let n_f = n as f64;
    if n_f > max {
        return finish(Evaluation::warn(format!(
            "io-threads {n}: more than {} threads rarely help and compete for CPUs.",
            trim_number(max, 0)
        )));
    }
    let Some(server) = redis_host(inputs) else {
        return finish(Evaluation::unverified(format!(
            "io-threads {n}; the host's CPUs are not known (give them in the host profile)."
        )));
    };
    let cpus = f64::from(server.cpus);
    let beside_fpm = server.roles.contains(&Role::Php);
    let eval = if n_f >= cpus {
        Evaluation::warn(format!(
            "io-threads {n} on {} CPUs: as many threads as CPUs leaves none for the main thread \
             and the rest of the host.",
            server.cpus
        ))
    } else if cpus < min_cpus {
        Evaluation::warn(format!(
            "io-threads {n} on only {} CPUs: threaded I/O needs spare cores to help.",
            server.cpus
        ))
    } else if beside_fpm && n_f > max_shared {
        Evaluation::warn(format!(
            "io-threads {n} on {}, which also runs PHP-FPM: the threads take CPU from the \
             workers.",
            server.name
        ))
    } else {
        Evaluation::pass(format!(
            "io-threads {n} on {} CPUs leaves cores for the main thread{}.",
            server.cpus,
            if beside_fpm { " and PHP-FPM" } else { "" }
        ))
    };
    finish(eval)
}

fn check_timeouts_inner(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let Some(conf) = &stack.redis else {
        return Evaluation::unverified(NO_CONF);
    };
    let timeout = conf.timeout();
    let keepalive = conf.tcp_keepalive();
    let min_timeout = inputs.heuristic("redis.timeouts.min_timeout_s", 60.0);
    let ka_min = inputs.heuristic("redis.timeouts.keepalive_min_s", 60.0);
    let ka_max = inputs.heuristic("redis.timeouts.keepalive_max_s", 300.0);
    let mut problems = Vec::new();
    let mut at = None;
    let ka = keepalive.value as f64;
    if keepalive.value == 0 {
        problems.push(
            "tcp-keepalive 0: connections of crashed clients are never detected and count \
             toward maxclients"
                .to_owned(),
        );
        at = keepalive.origin.clone();
    } else if ka < ka_min || ka > ka_max {
        problems.push(format!(
            "tcp-keepalive {}s is outside {}–{}s",
            keepalive.value,
            trim_number(ka_min, 0),
            trim_number(ka_max, 0)
        ));
        at = keepalive.origin.clone();
    }
    if timeout.value > 0 && (timeout.value as f64) < min_timeout {
        problems.push(format!(
            "timeout {}s closes idle clients quickly: persistent phpredis connections then fail \
             with \"went away\"",
            timeout.value
        ));
        at = at.or(timeout.origin.clone());
    }
    let value = format!(
        "timeout {}, tcp-keepalive {}",
        timeout.value, keepalive.value
    );
    let eval = if problems.is_empty() {
        Evaluation::pass(format!(
            "{value}: idle clients are kept{} and dead peers are found by keepalive probes.",
            if timeout.value == 0 {
                ""
            } else {
                " long enough"
            }
        ))
    } else {
        Evaluation::warn(format!("{}.", problems.join("; ")))
    };
    let eval = eval
        .value(value)
        .threshold(format!(
            "timeout 0 or ≥ {}s; tcp-keepalive {}–{}s",
            trim_number(min_timeout, 0),
            trim_number(ka_min, 0),
            trim_number(ka_max, 0)
        ))
        .at(at
            .as_ref()
            .or(timeout.origin.as_ref())
            .or(keepalive.origin.as_ref()));
    let eval = assume(
        eval,
        &timeout,
        "timeout: 0 (never close idle clients), Redis's default",
    );
    assume(eval, &keepalive, "tcp-keepalive: 300, Redis's default")
}

fn percent(ratio: f64) -> String {
    format!("{} %", trim_number(ratio * 100.0, 2))
}

fn check_hit_rate_inner(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let Some(info) = &stack.redis_info else {
        return Evaluation::unverified(NO_INFO);
    };
    let pass_at = inputs.heuristic("m.redis.hit_rate.pass", 0.90);
    let fail_below = inputs.heuristic("m.redis.hit_rate.fail", 0.80);
    let min_lookups = inputs.heuristic("m.redis.hit_rate.min_lookups", MIN_LOOKUPS as f64);
    let threshold = format!(
        "≥ {} (warn {}–{}, fail below), after ≥ {} lookups",
        percent(pass_at),
        percent(fail_below),
        percent(pass_at),
        trim_number(min_lookups, 0)
    );
    let Some(rate) = cache_hit_rate(info) else {
        let at = info.origin("keyspace_hits");
        return Evaluation::unverified(
            "INFO has no keyspace_hits/keyspace_misses, or no lookup happened yet.",
        )
        .threshold(threshold)
        .at(at.as_ref());
    };
    let span = match rate.interval_s {
        Some(s) => format!("between the two dumps ({s} s apart)"),
        None => "since the server started".to_owned(),
    };
    let value = format!(
        "{} ({} hits, {} misses)",
        percent(rate.ratio),
        rate.hits,
        rate.misses
    );
    if (rate.lookups as f64) < min_lookups {
        return Evaluation::unverified(format!(
            "Only {} lookups {span}; at least {} are needed before the hit rate says anything.",
            rate.lookups,
            trim_number(min_lookups, 0)
        ))
        .value(value)
        .threshold(threshold)
        .at(Some(&rate.origin));
    }
    let evicted = info.counter("evicted_keys").map(|c| c.value);
    let cause = match evicted {
        Some(0) => " No key was evicted, so keys expire too soon or are not reused.",
        Some(_) => " Keys are being evicted, so the cache is too small for what is reused.",
        None => "",
    };
    let eval = if rate.ratio >= pass_at {
        Evaluation::pass(format!(
            "{} of {} lookups {span} were hits.",
            percent(rate.ratio),
            rate.lookups
        ))
    } else if rate.ratio >= fail_below {
        Evaluation::warn(format!(
            "{} of {} lookups {span} were hits.{cause}",
            percent(rate.ratio),
            rate.lookups
        ))
    } else {
        Evaluation::fail(format!(
            "Only {} of {} lookups {span} were hits.{cause}",
            percent(rate.ratio),
            rate.lookups
        ))
    };
    let mut eval = eval
        .value(value)
        .threshold(threshold)
        .at(Some(&rate.origin));
    if redis_shared(inputs) == Some(true) {
        eval.detail.push_str(
            " The instance also holds queues or sessions, whose reads count as lookups too.",
        );
    }
    eval
}

fn check_pressure_inner(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let Some(info) = &stack.redis_info else {
        return Evaluation::unverified(NO_INFO);
    };
    let frag_max = inputs.heuristic("m.redis.pressure.fragmentation_max", 1.5);
    let low_frag_min_used = inputs.heuristic(
        "m.redis.pressure.low_fragmentation_min_used_bytes",
        (100u64 << 20) as f64,
    );
    // Redis's MEMORY DOCTOR declines to judge an instance using less than
    // 5 MB: the ratio is then dominated by the allocator's start-up
    // overhead, not by fragmentation.
    let frag_min_used = inputs.heuristic("m.redis.pressure.min_used_bytes", (5u64 << 20) as f64);
    let hit_pass = inputs.heuristic("m.redis.hit_rate.pass", 0.90);
    let min_lookups = inputs.heuristic("m.redis.hit_rate.min_lookups", MIN_LOOKUPS as f64);

    let mut fails: Vec<(String, Option<Origin>)> = Vec::new();
    let mut warns: Vec<(String, Option<Origin>)> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut assumed: Vec<String> = Vec::new();

    if let Some(oom) = info.error_counter("OOM") {
        if oom.value > 0 {
            fails.push((
                format!(
                    "{} command(s) rejected with OOM errors (errorstat_OOM): maxmemory was \
                     reached and eviction could not free enough memory",
                    oom.value
                ),
                Some(oom.origin),
            ));
        }
    } else {
        notes.push("no Errorstats section (Redis < 6.2 or INFO without `all`)".to_owned());
    }
    if let Some(rejected) = info.counter("rejected_connections")
        && rejected.value > 0
    {
        fails.push((
            format!(
                "{} connection(s) rejected: maxclients was reached",
                rejected.value
            ),
            Some(rejected.origin),
        ));
    }
    if info.value("rdb_last_bgsave_status") == Some("err") {
        let stop = stack
            .redis
            .as_ref()
            .map(RedisConf::stop_writes_on_bgsave_error);
        let stops = stop.as_ref().map(|s| s.value).unwrap_or(true);
        if stop.as_ref().is_none_or(|s| s.is_default()) {
            assumed.push("stop-writes-on-bgsave-error: yes, Redis's default".to_owned());
        }
        let text = "the last background save failed (rdb_last_bgsave_status:err)";
        if stops {
            fails.push((
                format!("{text}, and with stop-writes-on-bgsave-error yes Redis refuses writes"),
                info.origin("rdb_last_bgsave_status"),
            ));
        } else {
            warns.push((text.to_owned(), info.origin("rdb_last_bgsave_status")));
        }
    }
    if let Some(evicted) = info.counter("evicted_keys")
        && evicted.value > 0
    {
        match cache_hit_rate(info) {
            Some(rate) if (rate.lookups as f64) >= min_lookups && rate.ratio < hit_pass => {
                warns.push((
                    format!(
                        "{} key(s) evicted while the hit rate is {}: the cache is too small",
                        evicted.value,
                        percent(rate.ratio)
                    ),
                    Some(evicted.origin),
                ));
            }
            Some(rate) if (rate.lookups as f64) >= min_lookups => notes.push(format!(
                "{} key(s) evicted with a {} hit rate: a full cache doing its job",
                evicted.value,
                percent(rate.ratio)
            )),
            _ => notes.push(format!(
                "{} key(s) evicted; too few lookups to judge the hit rate",
                evicted.value
            )),
        }
    }
    let used = info.unsigned("used_memory");
    if let (Some(ratio), Some(used)) = (info.number("mem_fragmentation_ratio"), used) {
        let origin = info.origin("mem_fragmentation_ratio");
        if (used as f64) < frag_min_used {
            notes.push(format!(
                "fragmentation ratio {} not judged: only {} in use",
                trim_number(ratio, 2),
                format_bytes(used)
            ));
        } else if ratio > frag_max {
            warns.push((
                format!(
                    "fragmentation ratio {} (RSS over used memory) wastes memory",
                    trim_number(ratio, 2)
                ),
                origin,
            ));
        } else if ratio < 1.0 && used as f64 > low_frag_min_used {
            warns.push((
                format!(
                    "fragmentation ratio {} with {} in use: part of Redis is likely swapped out",
                    trim_number(ratio, 2),
                    format_bytes(used)
                ),
                origin,
            ));
        }
    }
    let value = {
        let mut parts = Vec::new();
        if let Some(c) = info.counter("evicted_keys") {
            parts.push(format!("evicted_keys {}", c.value));
        }
        if let Some(c) = info.counter("rejected_connections") {
            parts.push(format!("rejected_connections {}", c.value));
        }
        if let Some(c) = info.error_counter("OOM") {
            parts.push(format!("errorstat_OOM {}", c.value));
        }
        if let Some(r) = info.number("mem_fragmentation_ratio") {
            parts.push(format!("mem_fragmentation_ratio {}", trim_number(r, 2)));
        }
        parts.join(", ")
    };
    let threshold = format!(
        "no OOM errors, rejected connections or failed saves; evictions only with a hit rate ≥ \
         {}; fragmentation 1.0–{}",
        percent(hit_pass),
        trim_number(frag_max, 2)
    );
    let note = if notes.is_empty() {
        String::new()
    } else {
        format!(" Also: {}.", notes.join("; "))
    };
    let (mut eval, at) = if !fails.is_empty() {
        let at = fails.first().and_then(|f| f.1.clone());
        let text: Vec<String> = fails.into_iter().chain(warns).map(|f| f.0).collect();
        (
            Evaluation::fail(format!("{}.{note}", capitalize(&text.join("; ")))),
            at,
        )
    } else if !warns.is_empty() {
        let at = warns.first().and_then(|f| f.1.clone());
        let text: Vec<String> = warns.into_iter().map(|f| f.0).collect();
        (
            Evaluation::warn(format!("{}.{note}", capitalize(&text.join("; ")))),
            at,
        )
    } else {
        (
            Evaluation::pass(format!(
                "No OOM errors, rejected connections or failed saves, and no harmful \
                 eviction or fragmentation.{note}"
            )),
            info.origin("evicted_keys")
                .or_else(|| info.origin("used_memory")),
        )
    };
    eval = eval.value(value).threshold(threshold).at(at.as_ref());
    for a in assumed {
        eval = eval.assumed(a);
    }
    eval
}
