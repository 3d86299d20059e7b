//! Rules that read several files and the host profile (AUDIT-RULES §6):
//! the memory budget, database connections, nginx capacity, Little's law,
//! the timeout ladder, the request-body chain, listen backlogs and deploy
//! coherence.
//!
//! Each rule reads the domain models through their public accessors
//! ([`super::php`], [`super::mysql::view`], [`super::redis`],
//! [`super::nginx`]) and the [`Inputs`]. What a rule cannot read is never
//! taken as good: a missing file or input makes the rule Unverified, naming
//! what would verify it, unless what *is* known already proves a failure
//! (a missing service can only add memory, connections or sockets).
//! Every fallback and every documented default a verdict relied on is
//! listed with `assumed(...)`, and every catalogue heuristic (H) is read
//! through [`Inputs::heuristic`] under `<rule id>.<name>`.
//!
//! # What each rule reads
//!
//! - **x.memory_budget** — for every server of the host profile, the
//!   services its roles put there: `db` → MySQL (buffer pool ×
//!   `buffer_pool_factor` (1.1) + log buffer + key buffer + E × per-thread
//!   buffers + `mysql_base_mb` (256), with E = min(max_connections, app
//!   servers × Σ max_children + queue workers)); `cache` → Redis (maxmemory ×
//!   `redis_factor` (1.3), or × `redis_factor_persistent` (2) with RDB/AOF);
//!   `php` → OPcache (+ JIT buffer unless `opcache.jit=disable`) once, plus
//!   Σ max_children × worker_rss, plus queue workers × worker_rss on the
//!   first php server; `web` → nginx workers × `nginx_worker_mb` (32); and
//!   OS headroom max(`os_headroom_min_mb` (1024), `os_headroom_ratio`
//!   (0.10) × RAM). The worst case puts every child at max(worker_rss,
//!   memory_limit). Fallbacks: worker_rss `worker_rss_mb` (64 MiB),
//!   queue_workers 0, app_servers 1; without a redis.conf persistence is
//!   taken as on (Redis ≥ 6.2 saves by default); without the FPM pools E is
//!   max_connections; without php.ini OPcache and memory_limit take PHP's
//!   defaults (and php.ini is named as missing).
//! - **x.db_connections** — need = app servers × Σ max_children ×
//!   `conns_per_request` (1) + queue workers + `scheduler` (1) + `admin`
//!   (10), against `max_connections` (`margin` 1.1, `oversize` 4) and the
//!   status `Max_used_connections` (`max_used_warn` 0.70, `max_used_fail`
//!   0.85), judged only after `min_uptime_h` (24) hours of uptime.
//!   Fallbacks: app_servers 1, queue_workers 0. Without a status dump the
//!   configuration alone decides and the finding says Max_used was not
//!   checked.
//! - **x.nginx_capacity** — target_users U × conns_per_user c ÷ web servers,
//!   plus the FPM children behind this nginx, against worker_processes (auto →
//!   the web server's CPUs) × worker_connections (`margin` 1.25). c is the
//!   project's `x.nginx_capacity.conns_per_user`, else 1 when nginx serves
//!   HTTP/2 and 6 (a browser's HTTP/1.1 connections per host) otherwise.
//! - **x.littles_law** — target_rps λ and mean service time W (both
//!   required), L = λ × W busy children, ρ = L ÷ (app servers × Σ
//!   max_children), bands `warn` 0.7 and `fail` 0.9. When an FPM `full`
//!   status gives CPU time per request Wc (request duration × last request
//!   CPU %), λ × Wc is held to `cpu_share` (0.8) × the php servers' CPUs.
//! - **x.timeouts** — per pool and PHP location: `request_slowlog_timeout`
//!   Ts, `max_execution_time` Tp (the pool's php_admin_value/php_value,
//!   else php.ini), `request_terminate_timeout` Tf, `fastcgi_read_timeout`
//!   Tn and `fastcgi_connect_timeout` (`connect_max_s` 10), and the load
//!   balancer's idle timeout Tl when the project gives
//!   `x.timeouts.lb_idle_timeout_s`. A location is paired with the pools
//!   its `fastcgi_pass` reaches (directly or through an `upstream`), or
//!   with every pool when the address matches none.
//! - **x.body_chain** — per pool and PHP location: `upload_max_filesize`,
//!   `post_max_size`, `memory_limit` (pool overrides first) and nginx
//!   `client_max_body_size`; 0 (or -1 for memory_limit) means no limit.
//! - **x.backlogs** — FPM `listen.backlog` (ondemand raises it to 511),
//!   Redis `tcp-backlog`, nginx `listen … backlog=`, against somaxconn (the
//!   project's `x.backlogs.somaxconn`, else 4096, Linux ≥ 5.4) and `min`
//!   (128); an FPM status `listen queue len` below the configured backlog
//!   shows the kernel truncated it. The services judged are those of the
//!   host profile's roles (web, php, cache), or without a profile those
//!   uploaded.
//! - **x.deploy_coherence** — per PHP location: the `SCRIPT_FILENAME` nginx
//!   passes (`$realpath_root` or `$document_root`) and `root` (a `current`
//!   or `releases` folder means symlinked releases); `DOCUMENT_ROOT` is
//!   reported but not judged, since Laravel's own sample leaves it at
//!   `$document_root`. `opcache.validate_timestamps` and
//!   `realpath_cache_ttl`; with timestamps off, whether deploys reload FPM
//!   is a fact no file holds: the project declares it as
//!   `x.deploy_coherence.deploy_reloads_fpm` (1 or 0), else the rule is
//!   Unverified.
//!
//! The three project facts above (`conns_per_user`, `lb_idle_timeout_s`,
//! `deploy_reloads_fpm`) travel in the heuristics map because
//! [`super::HostProfile`] has no field for them yet.

mod backlogs;
mod capacity;
mod chain;
mod deploy;
mod memory;

use super::model::{Origin, format_bytes};
use super::nginx::{Context, NginxConf};
use super::php::FpmPool;
use super::{Evaluation, Inputs, Role, Rule, Server, Stack};
use crate::assess::{Category, Severity};
use crate::targets::{Outcome, trim_number};

pub fn rules() -> Vec<Rule> {
    vec![
        Rule {
            id: "x.memory_budget",
            title: "Every service on a server fits in its memory together",
            category: Category::Infrastructure,
            severity: Severity::Critical,
            why: "Each service is sized on its own, but on a shared server they draw from one \
                  pool of RAM; when the sum runs over, the kernel's OOM killer picks a victim, \
                  usually the biggest process: mysqld or redis-server.",
            fix: "Lower pm.max_children first (measure a child's RSS under load), then \
                  innodb_buffer_pool_size, then Redis's maxmemory; or move MySQL or Redis to \
                  their own server.",
            check: memory::check,
        },
        Rule {
            id: "x.db_connections",
            title: "MySQL accepts every connection the application can open",
            category: Category::Database,
            severity: Severity::High,
            why: "Every busy FPM child and queue worker holds its own database connection; \
                  when they outnumber max_connections the last ones fail with \"Too many \
                  connections\" exactly at peak, while a far larger limit only inflates \
                  MySQL's worst-case memory.",
            fix: "Set max_connections to about 1.1–1.5 × (app servers × Σ pm.max_children + \
                  queue workers + scheduler + ~10 for admin and monitoring), or lower \
                  pm.max_children if MySQL cannot afford that many threads.",
            check: capacity::db_connections,
        },
        Rule {
            id: "x.nginx_capacity",
            title: "nginx has connection slots for the target users",
            category: Category::Infrastructure,
            severity: Severity::High,
            why: "worker_processes × worker_connections bounds every connection nginx holds, \
                  the clients' and those to PHP-FPM alike; past it nginx logs \
                  \"worker_connections are not enough\" and refuses new clients.",
            fix: "Use worker_processes auto and raise worker_connections (with \
                  worker_rlimit_nofile at twice it) until workers × connections is at least \
                  1.25 × (users × connections per user + FPM children); serve HTTP/2 to cut \
                  connections per user.",
            check: capacity::nginx_capacity,
        },
        Rule {
            id: "x.littles_law",
            title: "Enough FPM children for the target request rate",
            category: Category::Application,
            severity: Severity::High,
            why: "By Little's law the target rate times the mean service time is the number of \
                  children busy at once; as that nears pm.max_children, requests wait in the \
                  listen queue and latency climbs steeply long before the pool is full.",
            fix: "Raise Σ pm.max_children to at least target_rps × mean service time ÷ 0.7 (if \
                  memory allows, see x.memory_budget), add app servers, or make requests \
                  faster; when the CPUs are the limit, only faster code or more CPUs help.",
            check: capacity::littles_law,
        },
        Rule {
            id: "x.timeouts",
            title: "Timeouts fire from the inside out",
            category: Category::Infrastructure,
            severity: Severity::High,
            why: "Each layer should give up after the one inside it: the slow log first, then \
                  PHP's own limit, then FPM's kill, then nginx. When nginx gives up first the \
                  client sees a 504 while the child keeps working, and retries pile more work \
                  onto busy children.",
            fix: "Order request_slowlog_timeout < max_execution_time < \
                  request_terminate_timeout ≤ fastcgi_read_timeout (≤ the load balancer's \
                  idle timeout), all non-zero, with fastcgi_connect_timeout of a few seconds.",
            check: chain::timeouts,
        },
        Rule {
            id: "x.body_chain",
            title: "Upload limits agree from nginx to PHP",
            category: Category::Infrastructure,
            severity: Severity::Medium,
            why: "A request body passes nginx's client_max_body_size, then PHP's post_max_size \
                  and upload_max_filesize; a link shorter than the next gives a bare 413 from \
                  nginx, or an empty $_POST/$_FILES that Laravel reports as missing fields or a \
                  419 CSRF error.",
            fix: "Keep upload_max_filesize ≤ post_max_size ≤ client_max_body_size, and \
                  memory_limit above post_max_size.",
            check: chain::body_chain,
        },
        Rule {
            id: "x.backlogs",
            title: "Listen backlogs fit the kernel's limit",
            category: Category::Infrastructure,
            severity: Severity::Low,
            why: "A listen backlog absorbs bursts while workers are busy; the kernel silently \
                  cuts any backlog above net.core.somaxconn, and a short one turns bursts into \
                  refused connections and 502s.",
            fix: "Keep FPM's listen.backlog, Redis's tcp-backlog and nginx's listen backlog= \
                  between 511 and net.core.somaxconn, and raise somaxconn (sysctl) when a \
                  larger backlog is wanted.",
            check: backlogs::check,
        },
        Rule {
            id: "x.deploy_coherence",
            title: "A deploy switches PHP to the new release",
            category: Category::Infrastructure,
            severity: Severity::Medium,
            why: "With symlinked releases, $document_root keeps the symlink, so OPcache and the \
                  realpath cache go on serving the old release's files; with \
                  opcache.validate_timestamps=0 nothing changes until FPM reloads.",
            fix: "Pass SCRIPT_FILENAME as $realpath_root$fastcgi_script_name (as Laravel's \
                  sample does), and reload PHP-FPM (or reset OPcache) in every deploy when \
                  validate_timestamps is off.",
            check: deploy::check,
        },
    ]
}

/// How bad an outcome is, to pick the worst of several.
fn rank(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Pass => 0,
        Outcome::Unverified => 1,
        Outcome::Warn => 2,
        Outcome::Fail => 3,
    }
}

/// The defaults and fallbacks a verdict relied on, each said once.
#[derive(Debug, Default)]
struct Assumed(Vec<String>);

impl Assumed {
    fn push(&mut self, text: impl Into<String>) {
        let text = text.into();
        if !self.0.contains(&text) {
            self.0.push(text);
        }
    }

    fn apply(self, mut evaluation: Evaluation) -> Evaluation {
        for a in self.0 {
            evaluation = evaluation.assumed(a);
        }
        evaluation
    }
}

/// One condition a rule judged.
#[derive(Debug)]
struct Check {
    outcome: Outcome,
    text: String,
    origin: Option<Origin>,
}

/// What a rule found: the conditions it judged, the inputs it lacked and
/// what it assumed. The outcome is the worst condition; a missing input
/// turns anything short of a proven failure into Unverified, because what
/// was not read could still be wrong.
#[derive(Debug, Default)]
struct Verdict {
    checks: Vec<Check>,
    missing: Vec<String>,
    assumed: Assumed,
}

impl Verdict {
    fn add(&mut self, outcome: Outcome, text: impl Into<String>, origin: Option<&Origin>) {
        let text = text.into();
        if self.checks.iter().any(|c| c.text == text) {
            return;
        }
        self.checks.push(Check {
            outcome,
            text,
            origin: origin.cloned(),
        });
    }

    fn pass(&mut self, text: impl Into<String>, origin: Option<&Origin>) {
        self.add(Outcome::Pass, text, origin);
    }

    fn warn(&mut self, text: impl Into<String>, origin: Option<&Origin>) {
        self.add(Outcome::Warn, text, origin);
    }

    fn fail(&mut self, text: impl Into<String>, origin: Option<&Origin>) {
        self.add(Outcome::Fail, text, origin);
    }

    fn missing(&mut self, what: impl Into<String>) {
        let what = what.into();
        if !self.missing.contains(&what) {
            self.missing.push(what);
        }
    }

    fn worst(&self) -> Outcome {
        self.checks
            .iter()
            .map(|c| c.outcome)
            .max_by_key(|o| rank(*o))
            .unwrap_or(Outcome::Unverified)
    }

    fn outcome(&self) -> Outcome {
        let worst = self.worst();
        if worst == Outcome::Fail {
            Outcome::Fail
        } else if !self.missing.is_empty() {
            Outcome::Unverified
        } else {
            worst
        }
    }

    /// The evaluation: the texts of the conditions with the deciding
    /// outcome, at the first of their places (else `fallback`).
    fn finish(
        self,
        value: Option<String>,
        threshold: impl Into<String>,
        fallback: Option<&Origin>,
    ) -> Evaluation {
        let outcome = self.outcome();
        let texts = |wanted: Outcome| -> Vec<&str> {
            self.checks
                .iter()
                .filter(|c| c.outcome == wanted)
                .map(|c| c.text.as_str())
                .collect()
        };
        let listed = |items: Vec<&str>| -> String {
            let mut shown: Vec<String> = items.iter().take(4).map(|s| (*s).to_owned()).collect();
            if items.len() > 4 {
                shown.push(format!("and {} more", items.len() - 4));
            }
            shown.join("; ")
        };
        let missing = self.missing.join("; ");
        let detail = match outcome {
            Outcome::Fail => {
                let mut d = format!("{}.", listed(texts(Outcome::Fail)));
                if !self.missing.is_empty() {
                    d.push_str(&format!(
                        " Not read yet, and able only to make this worse: {missing}."
                    ));
                }
                d
            }
            Outcome::Unverified => {
                let mut d = if self.missing.is_empty() {
                    "Nothing in the upload could be judged.".to_owned()
                } else {
                    format!("Not verifiable without {missing}.")
                };
                let seen = texts(Outcome::Warn);
                if !seen.is_empty() {
                    d.push_str(&format!(" Found meanwhile: {}.", listed(seen)));
                }
                d
            }
            other => format!("{}.", listed(texts(other))),
        };
        let decisive = if outcome == Outcome::Unverified {
            Outcome::Warn
        } else {
            outcome
        };
        let origin = self
            .checks
            .iter()
            .filter(|c| c.outcome == decisive)
            .find_map(|c| c.origin.clone())
            .or_else(|| fallback.cloned());
        let mut evaluation = match outcome {
            Outcome::Pass => Evaluation::pass(detail),
            Outcome::Warn => Evaluation::warn(detail),
            Outcome::Fail => Evaluation::fail(detail),
            Outcome::Unverified => Evaluation::unverified(detail),
        }
        .threshold(threshold)
        .at(origin.as_ref());
        if let Some(value) = value {
            evaluation = evaluation.value(value);
        }
        self.assumed.apply(evaluation)
    }
}

// ------------------------------------------------------------ formatting

/// A size for people; `u64::MAX` stands for "no limit".
fn bytes(value: u64) -> String {
    if value == u64::MAX {
        "no limit".to_owned()
    } else {
        format_bytes(value)
    }
}

fn num(value: f64) -> String {
    trim_number(value, 2)
}

fn secs(value: f64) -> String {
    format!("{} s", trim_number(value, 1))
}

/// A float to bytes: `as` saturates at both ends and maps NaN to 0, so
/// huge products cannot wrap.
fn to_u64(value: f64) -> u64 {
    value as u64
}

fn mib(value: f64) -> u64 {
    to_u64(value * 1_048_576.0)
}

// ------------------------------------------------------------ the host

/// How many servers run PHP; 1 when the profile does not say.
fn app_servers(inputs: &Inputs, assumed: &mut Assumed) -> u64 {
    match inputs.host.as_ref().map(|h| h.app_servers()) {
        Some(n) if n > 0 => n as u64,
        Some(_) => {
            assumed.push("app_servers: 1 (no server of the host profile has the php role)");
            1
        }
        None => {
            assumed.push("app_servers: 1 (no host profile given)");
            1
        }
    }
}

/// Queue workers of the whole stack; 0 when the profile does not say.
fn queue_workers(inputs: &Inputs, assumed: &mut Assumed) -> u64 {
    match inputs.host.as_ref().and_then(|h| h.queue_workers) {
        Some(n) => u64::from(n),
        None => {
            assumed.push("queue_workers: 0 (not given in the host profile)");
            0
        }
    }
}

/// The servers running PHP.
fn php_servers(inputs: &Inputs) -> Vec<&Server> {
    inputs.host.as_ref().map_or_else(Vec::new, |h| {
        h.servers
            .iter()
            .filter(|s| s.roles.contains(&Role::Php))
            .collect()
    })
}

/// The server nginx runs on: the first with the web role, or the only one.
fn web_server(inputs: &Inputs) -> Option<&Server> {
    let host = inputs.host.as_ref()?;
    host.server_with(Role::Web)
        .or(match host.servers.as_slice() {
            [only] => Some(only),
            _ => None,
        })
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Web => "web",
        Role::Php => "php",
        Role::Db => "db",
        Role::Cache => "cache",
    }
}

fn roles_label(server: &Server) -> String {
    let names: Vec<&str> = server.roles.iter().map(|r| role_name(*r)).collect();
    names.join(", ")
}

// ------------------------------------------------------------ PHP

const NO_PHP_INI: &str = "the php.ini the FPM SAPI reads";
const NO_FPM: &str = "the php-fpm configuration (php-fpm.conf with its pool files)";
const NO_NGINX: &str = "the nginx configuration";

/// A PHP setting as one pool's requests see it.
#[derive(Debug, Clone)]
struct PhpValue {
    text: String,
    origin: Option<Origin>,
}

/// The effective PHP setting for a pool: its `php_admin_value`, else its
/// `php_value`, else php.ini, else PHP's default (recorded as assumed).
/// `Err` names the missing file when no php.ini was uploaded and the pool
/// does not set the key, since php.ini may well set it.
fn php_value(
    stack: &Stack,
    pool: Option<&FpmPool>,
    key: &str,
    default: &str,
    assumed: &mut Assumed,
) -> Result<PhpValue, String> {
    if let Some((s, _)) = pool.and_then(|p| p.php_setting(key)) {
        return Ok(PhpValue {
            text: s.value.clone(),
            origin: Some(s.origin.clone()),
        });
    }
    let Some(ini) = stack.php.as_ref() else {
        return Err(NO_PHP_INI.to_owned());
    };
    match ini.get(key) {
        Some(s) => Ok(PhpValue {
            text: s.value.clone(),
            origin: Some(s.origin.clone()),
        }),
        None => {
            if ini.has_main {
                assumed.push(format!("{key} unset: PHP's default {default}"));
            } else {
                assumed.push(format!(
                    "{key} unset in the uploaded conf.d fragments (no main php.ini): PHP's \
                     built-in default {default}"
                ));
            }
            Ok(PhpValue {
                text: default.to_owned(),
                origin: None,
            })
        }
    }
}

/// A PHP size (`upload_max_filesize`, `post_max_size`) in bytes, read as
/// PHP reads it; negative values count as 0.
fn php_size(text: &str) -> u64 {
    super::php::ini::quantity(text).value.max(0).unsigned_abs()
}

/// One pool and its `pm.max_children`.
#[derive(Debug, Clone)]
struct PoolSize<'a> {
    pool: &'a FpmPool,
    children: u64,
    origin: Option<Origin>,
}

/// Every pool with its children. `Err` names what is missing: the FPM
/// files, or a valid `pm.max_children` (FPM refuses to start without one,
/// so no sum can be trusted).
fn pool_sizes(stack: &Stack) -> Result<Vec<PoolSize<'_>>, String> {
    let Some(fpm) = stack.fpm.as_ref() else {
        return Err(NO_FPM.to_owned());
    };
    if fpm.pools.is_empty() {
        return Err(
            "the php-fpm pool files (the uploaded php-fpm files define no pool)".to_owned(),
        );
    }
    fpm.pools
        .iter()
        .map(|pool| {
            let c = pool.max_children();
            match c.value {
                Some(n) if n > 0 => Ok(PoolSize {
                    pool,
                    children: n.unsigned_abs(),
                    origin: c.origin.clone().or(Some(pool.origin.clone())),
                }),
                _ => Err(format!(
                    "a valid pm.max_children in pool `{}` (FPM refuses to start without one; see \
                     fpm.pm.spares)",
                    pool.name
                )),
            }
        })
        .collect()
}

fn total_children(pools: &[PoolSize<'_>]) -> u64 {
    pools
        .iter()
        .fold(0u64, |sum, p| sum.saturating_add(p.children))
}

/// The pool with the most children: its line is where a sum of children
/// is best changed.
fn largest_pool<'p, 'a>(pools: &'p [PoolSize<'a>]) -> Option<&'p PoolSize<'a>> {
    pools.iter().max_by_key(|p| p.children)
}

// ------------------------------------------------------------ nginx ↔ FPM

/// The addresses a PHP location's `fastcgi_pass` reaches: the address
/// itself, or the servers of the `upstream` it names.
fn pass_targets(conf: &NginxConf, ctx: &Context<'_>) -> Vec<String> {
    let Some(pass) = ctx
        .levels
        .last()
        .and_then(|b| b.last("fastcgi_pass"))
        .and_then(|d| d.arg(0))
    else {
        return Vec::new();
    };
    let upstream: Vec<String> = conf
        .http()
        .into_iter()
        .flat_map(|http| http.children("upstream"))
        .filter(|(d, _)| d.arg(0) == Some(pass))
        .flat_map(|(_, block)| {
            block
                .all("server")
                .filter_map(|s| s.arg(0).map(str::to_owned))
                .collect::<Vec<_>>()
        })
        .collect();
    if upstream.is_empty() {
        vec![pass.to_owned()]
    } else {
        upstream
    }
}

/// The port of a `host:port` or bare `port` address.
fn port(address: &str) -> Option<&str> {
    let p = address.rsplit(':').next()?;
    (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())).then_some(p)
}

/// Whether an nginx FastCGI address reaches a pool's `listen`: the same
/// unix socket, or the same TCP port (host names differ between nginx's
/// view and FPM's, so only the port is compared).
fn reaches(pass: &str, listen: &str) -> bool {
    let (pass, listen) = (pass.trim(), listen.trim());
    if let Some(path) = pass.strip_prefix("unix:") {
        return path == listen;
    }
    if listen.starts_with('/') {
        return false;
    }
    matches!((port(pass), port(listen)), (Some(a), Some(b)) if a == b)
}

/// The pools a PHP location passes to; every pool when its address matches
/// none (a variable, or an address the upload does not show).
fn pools_for<'a>(conf: &NginxConf, ctx: &Context<'_>, pools: &'a [FpmPool]) -> Vec<&'a FpmPool> {
    let targets = pass_targets(conf, ctx);
    let matched: Vec<&FpmPool> = pools
        .iter()
        .filter(|pool| {
            pool.listen()
                .value
                .as_deref()
                .is_some_and(|listen| targets.iter().any(|t| reaches(t, listen)))
        })
        .collect();
    if matched.is_empty() {
        pools.iter().collect()
    } else {
        matched
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fastcgi_addresses_reach_pools_by_socket_or_port() {
        assert!(reaches("unix:/run/php/fpm.sock", "/run/php/fpm.sock"));
        assert!(!reaches("unix:/run/php/fpm.sock", "/run/php/other.sock"));
        assert!(reaches("php-fpm:9000", "9000"));
        assert!(reaches("127.0.0.1:9000", "[::]:9000"));
        assert!(!reaches("127.0.0.1:9001", "127.0.0.1:9000"));
        assert!(!reaches("php_backend", "9000"));
        assert!(!reaches("127.0.0.1:9000", "/run/php/fpm.sock"));
    }

    #[test]
    fn huge_products_saturate_instead_of_wrapping() {
        assert_eq!(to_u64(f64::MAX), u64::MAX);
        assert_eq!(to_u64(f64::NAN), 0);
        assert_eq!(to_u64(-5.0), 0);
        assert_eq!(bytes(u64::MAX), "no limit");
    }
}
