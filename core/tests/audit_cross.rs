//! The cross-file rules of the audit (AUDIT-RULES §6): x.memory_budget,
//! x.db_connections, x.nginx_capacity, x.littles_law, x.timeouts,
//! x.body_chain, x.backlogs and x.deploy_coherence.
//!
//! Every case is a small configuration written here (or the constructed
//! stack of `tests/fixtures/audit/constructed-cross/`, see its README.md),
//! loaded through `audit::load` as an upload would be and judged with
//! `audit::evaluate`. The figures each assertion expects are worked out by
//! hand in the comment above it. The findings of the whole stack are
//! pinned in `tests/snapshots/audit_cross/`; `UPDATE_SNAPSHOTS=1` rewrites
//! them, and the diff is reviewed by hand before it is committed.

use readiness_core::assess::{Category, Severity};
use readiness_core::audit::{self, Finding, HostProfile, Inputs, Role, Server, Stack, cross};
use readiness_core::input::{MemorySource, Source};
use readiness_core::targets::Outcome;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

// ------------------------------------------------------------ uploads

const PHP_INI: &str = "etc/php/8.3/fpm/php.ini";
const POOL: &str = "etc/php/8.3/fpm/pool.d/www.conf";
const MY_CNF: &str = "etc/mysql/my.cnf";
const REDIS: &str = "etc/redis/redis.conf";
const NGINX: &str = "etc/nginx/nginx.conf";

/// php.ini: 256 MiB of OPcache, JIT at its default (disable), and the
/// limits the timeout and body rules read.
const INI: &str = "[PHP]\n\
                   memory_limit = 192M\n\
                   max_execution_time = 30\n\
                   upload_max_filesize = 32M\n\
                   post_max_size = 48M\n\
                   opcache.memory_consumption = 256\n";

/// A pool of `children` on the socket the nginx configurations pass to.
fn pool(children: u64, extra: &str) -> String {
    format!("[www]\nlisten = /run/php/fpm.sock\npm = static\npm.max_children = {children}\n{extra}")
}

/// my.cnf with round sizes: a 1000 MiB buffer pool (× 1.1 = 1100 MiB),
/// 16 MiB log buffer, 8 MiB key buffer, max_connections on line 5, and
/// per-thread buffers of 1+1+1+1+1+1 MiB + min(2, 2) MiB = 8 MiB.
fn my_cnf(max_connections: u64) -> String {
    format!(
        "[mysqld]\n\
         innodb_buffer_pool_size = 1000M\n\
         innodb_log_buffer_size = 16M\n\
         key_buffer_size = 8M\n\
         max_connections = {max_connections}\n\
         read_buffer_size = 1M\n\
         read_rnd_buffer_size = 1M\n\
         sort_buffer_size = 1M\n\
         join_buffer_size = 1M\n\
         thread_stack = 1M\n\
         binlog_cache_size = 1M\n\
         tmp_table_size = 2M\n\
         max_heap_table_size = 2M\n"
    )
}

/// A cache without persistence: 500 MiB × 1.3 = 650 MiB.
const REDIS_CONF: &str =
    "maxmemory 500mb\nmaxmemory-policy allkeys-lru\nsave \"\"\nappendonly no\n";

/// The PHP location of the nginx configurations: `$realpath_root`,
/// 5 s connect and 60 s read timeouts.
const PHP_LOCATION: &str = "        location ~ \\.php$ {\n\
                            \x20           fastcgi_pass unix:/run/php/fpm.sock;\n\
                            \x20           fastcgi_param SCRIPT_FILENAME $realpath_root$fastcgi_script_name;\n\
                            \x20           fastcgi_connect_timeout 5s;\n\
                            \x20           fastcgi_read_timeout 60s;\n\
                            \x20       }\n";

/// nginx.conf: line 1 worker_processes, line 3 worker_connections, line 6
/// the first of `http_extra` (client_max_body_size in most tests), then a
/// server with `server_extra` and `location`.
fn nginx(
    workers: &str,
    connections: u64,
    http_extra: &str,
    server_extra: &str,
    location: &str,
) -> String {
    format!(
        "worker_processes {workers};\n\
         events {{\n\
         \x20   worker_connections {connections};\n\
         }}\n\
         http {{\n\
         {http_extra}\
         \x20   server {{\n\
         \x20       listen 80;\n\
         \x20       root /srv/app/public;\n\
         {server_extra}\
         {location}\
         \x20   }}\n\
         }}\n"
    )
}

const BODY_64M: &str = "    client_max_body_size 64m;\n";

fn default_nginx() -> String {
    nginx("2", 1024, BODY_64M, "", PHP_LOCATION)
}

/// The whole small stack: php.ini, one pool of 20, my.cnf, redis.conf and
/// nginx.conf.
fn full() -> Vec<(&'static str, String)> {
    vec![
        (PHP_INI, INI.to_owned()),
        (POOL, pool(20, "")),
        (MY_CNF, my_cnf(100)),
        (REDIS, REDIS_CONF.to_owned()),
        (NGINX, default_nginx()),
    ]
}

/// `files` with one file replaced (or added), or removed when `text` is
/// `None`.
fn with(
    mut files: Vec<(&'static str, String)>,
    name: &'static str,
    text: Option<String>,
) -> Vec<(&'static str, String)> {
    files.retain(|(n, _)| *n != name);
    if let Some(text) = text {
        files.push((name, text));
    }
    files
}

fn load(files: &[(&str, String)]) -> Stack {
    let sources: Vec<MemorySource> = files
        .iter()
        .map(|(name, text)| MemorySource::new(*name, text.as_bytes().to_vec()))
        .collect();
    let refs: Vec<&dyn Source> = sources.iter().map(|s| s as &dyn Source).collect();
    audit::load(&refs).unwrap_or_else(|e| panic!("upload loads: {e}"))
}

fn finding(stack: &Stack, inputs: &Inputs, rule: &str) -> Finding {
    audit::evaluate(stack, inputs)
        .into_iter()
        .find(|f| f.rule == rule)
        .unwrap_or_else(|| panic!("rule {rule} exists"))
}

/// Loads, judges, and checks one rule's outcome; returns the finding.
fn expect(files: &[(&str, String)], inputs: &Inputs, rule: &str, outcome: Outcome) -> Finding {
    let f = finding(&load(files), inputs, rule);
    assert_eq!(
        f.evaluation.outcome,
        outcome,
        "{rule}: {}\n  value: {:?}\n  at: {:?}\n  assumed: {:?}",
        f.evaluation.detail,
        f.evaluation.value,
        f.evaluation.location,
        f.evaluation.defaults_assumed
    );
    f
}

fn value(f: &Finding) -> &str {
    f.evaluation.value.as_deref().unwrap_or("")
}

fn location(f: &Finding) -> String {
    f.evaluation
        .location
        .as_ref()
        .map_or_else(|| "-".to_owned(), ToString::to_string)
}

fn assumed(f: &Finding, part: &str) -> bool {
    f.evaluation
        .defaults_assumed
        .iter()
        .any(|a| a.contains(part))
}

fn detail_has(f: &Finding, part: &str) {
    assert!(
        f.evaluation.detail.contains(part),
        "{}: {:?} lacks {part:?}",
        f.rule,
        f.evaluation.detail
    );
}

// ------------------------------------------------------------ hosts

fn server(name: &str, roles: &[Role], ram_gib: u64, cpus: u32) -> Server {
    Server {
        name: name.to_owned(),
        roles: roles.to_vec(),
        ram_bytes: ram_gib * GIB,
        cpus,
    }
}

const ALL: [Role; 4] = [Role::Web, Role::Php, Role::Db, Role::Cache];

fn profile(servers: Vec<Server>) -> HostProfile {
    HostProfile {
        servers,
        ..HostProfile::default()
    }
}

fn on(host: HostProfile) -> Inputs {
    Inputs {
        host: Some(host),
        ..Inputs::default()
    }
}

/// One server with every role: everything shares its RAM.
fn all_in_one(ram_gib: u64, cpus: u32) -> Inputs {
    on(profile(vec![server("app1", &ALL, ram_gib, cpus)]))
}

fn heuristic(mut inputs: Inputs, name: &str, value: f64) -> Inputs {
    inputs.heuristics.insert(name.to_owned(), value);
    inputs
}

// ------------------------------------------------------------ the catalogue

#[test]
fn the_eight_cross_file_rules_with_their_category_and_severity() {
    let rules: Vec<(&str, Category, Severity)> = cross::rules()
        .iter()
        .map(|r| (r.id, r.category, r.severity))
        .collect();
    assert_eq!(
        rules,
        [
            (
                "x.memory_budget",
                Category::Infrastructure,
                Severity::Critical
            ),
            ("x.db_connections", Category::Database, Severity::High),
            ("x.nginx_capacity", Category::Infrastructure, Severity::High),
            ("x.littles_law", Category::Application, Severity::High),
            ("x.timeouts", Category::Infrastructure, Severity::High),
            ("x.body_chain", Category::Infrastructure, Severity::Medium),
            ("x.backlogs", Category::Infrastructure, Severity::Low),
            (
                "x.deploy_coherence",
                Category::Infrastructure,
                Severity::Medium
            ),
        ]
    );
    for rule in cross::rules() {
        assert!(!rule.why.is_empty() && !rule.fix.is_empty(), "{}", rule.id);
    }
}

// ------------------------------------------------------------ x.memory_budget

#[test]
fn memory_budget_on_one_server_fails_warns_and_passes_with_its_ram() {
    let id = "x.memory_budget";
    // Every role on one server, 2 nginx workers, worker_rss not measured
    // (64 MiB assumed), no queue workers:
    //   MySQL = 1000 × 1.1 + 16 + 8 + min(100, 20 + 0) × 8 + 256 = 1540 MiB
    //   Redis = 500 × 1.3 = 650 MiB (no persistence)
    //   PHP   = 256 OPcache + 20 × 64 = 1536 MiB; at memory_limit 256 + 20 ×
    //           max(64, 192) = 4096 MiB
    //   nginx = 2 × 32 = 64 MiB
    //   OS    = max(1024, 10 % of RAM) = 1024 MiB up to 10 GiB of RAM
    //   typical = 1540 + 650 + 1536 + 64 + 1024 = 4814 MiB (4.7 GiB)
    //   worst   = 1540 + 650 + 4096 + 64 + 1024 = 7374 MiB (7.2 GiB)
    // 4 GiB = 4096 MiB < 4814: fail.
    let f = expect(&full(), &all_in_one(4, 2), id, Outcome::Fail);
    assert_eq!(
        value(&f),
        "4.7 GiB of 4 GiB: MySQL 1.5 GiB, Redis 650 MiB, PHP 1.5 GiB, nginx 64 MiB, OS 1 GiB; \
         7.2 GiB with children at memory_limit (PHP 4 GiB)"
    );
    // The largest share is MySQL's (1540 MiB, just above PHP's 1536 MiB),
    // so the buffer pool's line is the place to look first.
    assert_eq!(location(&f), "etc/mysql/my.cnf:2");
    detail_has(&f, "app1 (web, php, db, cache) needs 4.7 GiB");
    detail_has(
        &f,
        "MySQL 1.5 GiB = buffer pool 1000 MiB × 1.1 + log buffer 16 MiB",
    );
    detail_has(
        &f,
        "20 threads (min(max_connections 100, 1 × 20 children + 0 queue workers))",
    );
    assert!(assumed(&f, "worker_rss not measured: 64 MiB"));
    assert!(assumed(&f, "queue_workers: 0"));
    // 6 GiB = 6144 MiB: 4814 fits, 7374 does not: warn.
    let f = expect(&full(), &all_in_one(6, 2), id, Outcome::Warn);
    detail_has(&f, "not if the FPM children grow to memory_limit (7.2 GiB)");
    // 8 GiB = 8192 MiB ≥ 7374: pass.
    let f = expect(&full(), &all_in_one(8, 2), id, Outcome::Pass);
    detail_has(
        &f,
        "fits even with every FPM child at memory_limit (7.2 GiB of 8 GiB)",
    );
    // A measured worker_rss replaces the fallback: 20 × 200 MiB = 4000 MiB
    // of children brings the typical sum to 4814 − 1280 + 4000 = 7534 MiB,
    // over 6 GiB.
    let mut measured = all_in_one(6, 2);
    if let Some(h) = measured.host.as_mut() {
        h.worker_rss_bytes = Some(200 * MIB);
    }
    let f = expect(&full(), &measured, id, Outcome::Fail);
    assert!(!assumed(&f, "worker_rss not measured"));
    assert!(value(&f).starts_with("7.4 GiB of 6 GiB"), "{}", value(&f));
}

#[test]
fn memory_budget_judges_each_server_by_its_roles() {
    let id = "x.memory_budget";
    // Two app servers (web, php) of 4 GiB, MySQL and Redis on their own:
    //   app1, app2: PHP 256 + 20 × 64 = 1536 MiB, at memory_limit 4096 MiB;
    //               nginx 64 MiB; OS 1024 MiB → 2624 / 5184 MiB of 4096: warn
    // So first with memory_limit 128M: 256 + 20 × 128 = 2816 MiB at the
    // limit, 2816 + 64 + 1024 = 3904 MiB ≤ 4096: pass.
    //   db1 (4 GiB): two app servers open up to 2 × 20 connections, so
    //               MySQL = 1100 + 16 + 8 + min(100, 40) × 8 + 256 = 1700 MiB,
    //               + 1024 OS = 2724 MiB ≤ 4096: pass
    //   cache1 (2 GiB): 650 + 1024 = 1674 MiB ≤ 2048: pass
    let servers = |db_gib| {
        on(profile(vec![
            server("app1", &[Role::Web, Role::Php], 4, 2),
            server("app2", &[Role::Web, Role::Php], 4, 2),
            server("db1", &[Role::Db], db_gib, 4),
            server("cache1", &[Role::Cache], 2, 2),
        ]))
    };
    let files = with(
        full(),
        PHP_INI,
        Some(INI.replace("memory_limit = 192M", "memory_limit = 128M")),
    );
    let f = expect(&files, &servers(4), id, Outcome::Pass);
    detail_has(&f, "Other servers: app2 pass");
    detail_has(&f, "db1 pass (2.7 GiB of 4 GiB)");
    detail_has(&f, "cache1 pass (1.6 GiB of 2 GiB)");
    // db1 with 2 GiB: 2724 MiB > 2048: fail, at the buffer pool's line.
    let f = expect(&files, &servers(2), id, Outcome::Fail);
    assert_eq!(value(&f), "2.7 GiB of 2 GiB: MySQL 1.7 GiB, OS 1 GiB");
    assert_eq!(location(&f), "etc/mysql/my.cnf:2");
    detail_has(
        &f,
        "40 threads (min(max_connections 100, 2 × 20 children + 0 queue workers))",
    );
    // Back to memory_limit 192M: each app server is 1536 + 64 + 1024 = 2624
    // MiB typical, 4096 + 64 + 1024 = 5184 MiB at the limit: warn on app1.
    let f = expect(&full(), &servers(4), id, Outcome::Warn);
    detail_has(&f, "app1 (web, php) fits at the typical child size");
}

#[test]
fn memory_budget_is_unverified_without_a_service_unless_the_rest_already_fails() {
    let id = "x.memory_budget";
    // Without redis.conf the cache's share is unknown: on 8 GiB the rest
    // (1540 + 1536 + 64 + 1024 = 4164 MiB) fits, so nothing is proven.
    let no_redis = with(full(), REDIS, None);
    let f = expect(&no_redis, &all_in_one(8, 2), id, Outcome::Unverified);
    detail_has(&f, "cannot be judged without redis.conf or redis-cli INFO");
    assert_eq!(location(&f), "etc/mysql/my.cnf:2");
    // On 4 GiB the rest is already over (4164 > 4096): a missing service
    // could only add to it, so the failure stands.
    let f = expect(&no_redis, &all_in_one(4, 2), id, Outcome::Fail);
    detail_has(&f, "not read yet, and able only to add to it: redis.conf");
    // Without php-fpm pools PHP's share is unknown, and MySQL's threads are
    // counted at max_connections: 1100 + 16 + 8 + 100 × 8 + 256 = 2180 MiB.
    let f = expect(
        &with(full(), POOL, None),
        &all_in_one(16, 4),
        id,
        Outcome::Unverified,
    );
    detail_has(&f, "php-fpm configuration");
    detail_has(&f, "100 threads (max_connections 100)");
    // Without php.ini, OPcache and memory_limit take PHP's defaults (128 MiB
    // each) and php.ini is named.
    let f = expect(
        &with(full(), PHP_INI, None),
        &all_in_one(16, 4),
        id,
        Outcome::Unverified,
    );
    detail_has(&f, "the php.ini the FPM SAPI reads");
    // Without a host profile, or with one whose servers have no role.
    let f = expect(&full(), &Inputs::default(), id, Outcome::Unverified);
    detail_has(&f, "host profile is not given");
    expect(
        &full(),
        &on(profile(vec![server("x", &[], 8, 2)])),
        id,
        Outcome::Unverified,
    );
}

#[test]
fn memory_budget_counts_an_unbounded_redis_and_a_self_sizing_buffer_pool() {
    let id = "x.memory_budget";
    // maxmemory 0 (here: unset) leaves Redis unbounded: fail even on 64 GiB.
    let files = with(
        full(),
        REDIS,
        Some("maxmemory-policy allkeys-lru\nsave \"\"\n".to_owned()),
    );
    let f = expect(&files, &all_in_one(64, 8), id, Outcome::Fail);
    assert!(value(&f).contains("Redis no limit"), "{}", value(&f));
    assert!(assumed(&f, "maxmemory unset: 0 (no limit)"));
    // Persistence doubles Redis's share (fork copy-on-write): 500 × 2 =
    // 1000 MiB, so 4814 − 650 + 1000 = 5164 MiB typical.
    let files = with(
        full(),
        REDIS,
        Some("maxmemory 500mb\nappendonly yes\n".to_owned()),
    );
    let f = expect(&files, &all_in_one(6, 2), id, Outcome::Warn);
    assert!(value(&f).contains("Redis 1000 MiB"), "{}", value(&f));
    // innodb_dedicated_server without a buffer pool size makes MySQL take
    // 75 % of a 16 GiB server: 12 GiB × 1.1 = 13.2 GiB on its own, and the
    // budget fails on the line that asked for it.
    let cnf = my_cnf(100).replace(
        "innodb_buffer_pool_size = 1000M\n",
        "innodb_dedicated_server = ON\n",
    );
    let f = expect(
        &with(full(), MY_CNF, Some(cnf)),
        &all_in_one(16, 4),
        id,
        Outcome::Fail,
    );
    assert_eq!(location(&f), "etc/mysql/my.cnf:2");
    detail_has(&f, "buffer pool 12 GiB (sized by innodb_dedicated_server");
}

// ------------------------------------------------------------ x.db_connections

#[test]
fn db_connections_pass_warn_and_fail_on_the_need() {
    let id = "x.db_connections";
    // need = 1 server × 20 children × 1 + 0 queue + 1 scheduler + 10 admin
    //      = 31; 1.1 × 31 = 34.1 ≤ 100 ≤ 4 × 31 = 124: pass.
    let f = expect(&full(), &all_in_one(16, 4), id, Outcome::Pass);
    assert_eq!(
        value(&f),
        "max_connections 100 for a need of 31 (1 app server(s) × 20 children × 1 per request + \
         0 queue workers + 1 scheduler + 10 admin)"
    );
    assert_eq!(location(&f), "etc/mysql/my.cnf:5");
    assert!(assumed(&f, "conns_per_request: 1"));
    assert!(assumed(&f, "Max_used_connections not checked"));
    // Two app servers of 50 children and 5 queue workers:
    //   need = 2 × 50 + 5 + 1 + 10 = 116 > 100: fail.
    let two = |queue| {
        let mut h = profile(vec![
            server("app1", &[Role::Web, Role::Php], 8, 4),
            server("app2", &[Role::Web, Role::Php], 8, 4),
            server("db1", &[Role::Db], 16, 8),
        ]);
        h.queue_workers = Some(queue);
        on(h)
    };
    let f = expect(
        &with(full(), POOL, Some(pool(50, ""))),
        &two(5),
        id,
        Outcome::Fail,
    );
    detail_has(&f, "max_connections 100 is below the 116 connections");
    assert_eq!(location(&f), "etc/mysql/my.cnf:5");
    // 40 children: need = 2 × 40 + 5 + 1 + 10 = 96 ≤ 100 < 105.6: warn.
    let f = expect(
        &with(full(), POOL, Some(pool(40, ""))),
        &two(5),
        id,
        Outcome::Warn,
    );
    detail_has(&f, "leaves less than 10 % to spare over the need of 96");
    // max_connections 1000 for a need of 31: more than 4 × 31 = 124: warn.
    let f = expect(
        &with(full(), MY_CNF, Some(my_cnf(1000))),
        &all_in_one(16, 4),
        id,
        Outcome::Warn,
    );
    detail_has(&f, "over 4 × the need of 31");
    // A read/write split doubles the connections per request: need = 20 ×
    // 2 + 11 = 51, still ≤ 100 / 1.1.
    let f = expect(
        &full(),
        &heuristic(all_in_one(16, 4), "x.db_connections.conns_per_request", 2.0),
        id,
        Outcome::Pass,
    );
    assert!(!assumed(&f, "conns_per_request"));
    assert!(value(&f).contains("need of 51"), "{}", value(&f));
}

#[test]
fn db_connections_judge_the_measured_peak_after_a_day_of_uptime() {
    let id = "x.db_connections";
    let status = |uptime: &str, used: &str| {
        with(
            full(),
            "global_status.tsv",
            Some(format!(
                "Variable_name\tValue\nUptime\t{uptime}\nMax_used_connections\t{used}\n"
            )),
        )
    };
    // The configuration passes (need 31), but 90 of 100 is 90 % > 85 %.
    let f = expect(
        &status("172800", "90"),
        &all_in_one(16, 4),
        id,
        Outcome::Fail,
    );
    detail_has(&f, "Max_used_connections 90 is 90 % of max_connections 100");
    assert_eq!(location(&f), "global_status.tsv:3");
    assert!(
        value(&f).ends_with("; Max_used_connections 90 (90 %)"),
        "{}",
        value(&f)
    );
    // 75 % is between 70 % and 85 %: warn.
    expect(
        &status("172800", "75"),
        &all_in_one(16, 4),
        id,
        Outcome::Warn,
    );
    // 40 % passes.
    expect(
        &status("172800", "40"),
        &all_in_one(16, 4),
        id,
        Outcome::Pass,
    );
    // After one hour the high-water mark says little: not judged.
    let f = expect(&status("3600", "90"), &all_in_one(16, 4), id, Outcome::Pass);
    assert!(assumed(&f, "Uptime 1 h is under 24 h"));
}

#[test]
fn db_connections_are_unverified_without_my_cnf_or_pools() {
    let id = "x.db_connections";
    let f = expect(
        &with(full(), MY_CNF, None),
        &all_in_one(16, 4),
        id,
        Outcome::Unverified,
    );
    detail_has(&f, "my.cnf or SHOW GLOBAL VARIABLES");
    let f = expect(
        &with(full(), POOL, None),
        &all_in_one(16, 4),
        id,
        Outcome::Unverified,
    );
    detail_has(&f, "php-fpm configuration");
    // Without a host profile one app server is assumed, and said.
    let f = expect(&full(), &Inputs::default(), id, Outcome::Pass);
    assert!(assumed(&f, "app_servers: 1 (no host profile given)"));
}

// ------------------------------------------------------------ x.nginx_capacity

fn users(mut inputs: Inputs, n: f64) -> Inputs {
    inputs.target_users = Some(n);
    inputs
}

#[test]
fn nginx_capacity_pass_warn_and_fail_over_http1() {
    let id = "x.nginx_capacity";
    let stack_with = |workers: &str| {
        with(
            full(),
            NGINX,
            Some(nginx(workers, 1024, BODY_64M, "", PHP_LOCATION)),
        )
    };
    let inputs = users(all_in_one(16, 4), 500.0);
    // HTTP/1.1: 6 connections per user. need = 500 × 6 + 20 children =
    // 3020; 4 × 1024 = 4096 ≥ 1.25 × 3020 = 3775: pass.
    let f = expect(&stack_with("4"), &inputs, id, Outcome::Pass);
    assert_eq!(
        value(&f),
        "4 workers × 1024 = 4096 connections for a need of 3020 (500 users × 6 per user + 20 FPM \
         children)"
    );
    assert!(assumed(&f, "conns_per_user: 6"));
    assert_eq!(location(&f), "etc/nginx/nginx.conf:3");
    // 3 × 1024 = 3072: between 3020 and 3775: warn.
    expect(&stack_with("3"), &inputs, id, Outcome::Warn);
    // 1 × 1024 < 3020: fail.
    let f = expect(&stack_with("1"), &inputs, id, Outcome::Fail);
    detail_has(&f, "1024 connection slots are fewer than the 3020");
    // Without the FPM pools the clients alone (3000) are already over 1024:
    // the failure stands.
    expect(
        &with(stack_with("1"), POOL, None),
        &inputs,
        id,
        Outcome::Fail,
    );
    expect(
        &with(stack_with("4"), POOL, None),
        &inputs,
        id,
        Outcome::Unverified,
    );
}

#[test]
fn nginx_capacity_with_http2_auto_workers_and_a_given_connection_count() {
    let id = "x.nginx_capacity";
    let h2 = nginx("auto", 1024, BODY_64M, "        http2 on;\n", PHP_LOCATION);
    let files = with(full(), NGINX, Some(h2));
    // auto on 2 CPUs: 2 × 1024 = 2048. HTTP/2: one connection per user,
    // need = 500 + 20 = 520; 2048 ≥ 650: pass.
    let f = expect(&files, &users(all_in_one(16, 2), 500.0), id, Outcome::Pass);
    assert!(value(&f).starts_with("2 workers × 1024 = 2048 connections for a need of 520"));
    assert!(assumed(&f, "conns_per_user: 1 (nginx serves HTTP/2"));
    // The project's figure wins: 2 per user, need = 1000 + 20 = 1020;
    // 2048 ≥ 1275: pass, and nothing is assumed about it.
    let f = expect(
        &files,
        &heuristic(
            users(all_in_one(16, 2), 500.0),
            "x.nginx_capacity.conns_per_user",
            2.0,
        ),
        id,
        Outcome::Pass,
    );
    assert!(!assumed(&f, "conns_per_user"));
    assert!(value(&f).contains("need of 1020"), "{}", value(&f));
    // auto without a host profile: the CPUs are unknown.
    let f = expect(
        &files,
        &users(Inputs::default(), 500.0),
        id,
        Outcome::Unverified,
    );
    detail_has(&f, "CPU count");
}

#[test]
fn nginx_capacity_is_unverified_without_target_users_or_the_main_file() {
    let id = "x.nginx_capacity";
    let f = expect(&full(), &all_in_one(16, 4), id, Outcome::Unverified);
    detail_has(&f, "target_users");
    let site = "server {\n    listen 80;\n    root /srv/app/public;\n}\n";
    let files = with(full(), NGINX, None);
    let files = with(
        files,
        "etc/nginx/sites-enabled/app.conf",
        Some(site.to_owned()),
    );
    let f = expect(
        &files,
        &users(all_in_one(16, 4), 10.0),
        id,
        Outcome::Unverified,
    );
    detail_has(&f, "the main nginx.conf");
}

// ------------------------------------------------------------ x.littles_law

fn load_target(mut inputs: Inputs, rps: Option<f64>, service: Option<f64>) -> Inputs {
    inputs.target_rps = rps;
    inputs.mean_service_s = service;
    inputs
}

#[test]
fn littles_law_bands_with_the_catalogue_example() {
    let id = "x.littles_law";
    // 100 req/s × 0.1 s = 10 busy of 20: ρ = 0.5: pass.
    let f = expect(
        &full(),
        &load_target(all_in_one(16, 4), Some(100.0), Some(0.1)),
        id,
        Outcome::Pass,
    );
    assert_eq!(
        value(&f),
        "ρ = 0.5: 100 req/s × 0.1 s = 10 busy children of 20 (20 per server × 1 app server(s))"
    );
    assert_eq!(location(&f), "etc/php/8.3/fpm/pool.d/www.conf:4");
    // The catalogue's example: 200 req/s × 0.15 s = 30 busy children. Two
    // app servers of 20 give 40: ρ = 0.75, warn, and 30 / 0.7 = 42.9 → 43
    // children would do.
    let two = |children| {
        let inputs = on(profile(vec![
            server("app1", &[Role::Web, Role::Php], 8, 4),
            server("app2", &[Role::Web, Role::Php], 8, 4),
        ]));
        (
            with(full(), POOL, Some(pool(children, ""))),
            load_target(inputs, Some(200.0), Some(0.15)),
        )
    };
    let (files, inputs) = two(20);
    let f = expect(&files, &inputs, id, Outcome::Warn);
    detail_has(&f, "30 of the 40 children are busy on average (ρ 0.75)");
    detail_has(&f, "43 children keep ρ at 0.7");
    // 22 per server: 44 children, ρ = 30 / 44 = 0.68: pass.
    let (files, inputs) = two(22);
    expect(&files, &inputs, id, Outcome::Pass);
    // One server of 20: ρ = 30 / 20 = 1.5: fail.
    let f = expect(
        &full(),
        &load_target(all_in_one(16, 4), Some(200.0), Some(0.15)),
        id,
        Outcome::Fail,
    );
    detail_has(&f, "ρ 1.5");
}

#[test]
fn littles_law_is_unverified_without_the_rate_or_the_service_time() {
    let id = "x.littles_law";
    let f = expect(
        &full(),
        &load_target(all_in_one(16, 4), None, Some(0.1)),
        id,
        Outcome::Unverified,
    );
    detail_has(&f, "target_rps");
    let f = expect(
        &full(),
        &load_target(all_in_one(16, 4), Some(100.0), None),
        id,
        Outcome::Unverified,
    );
    detail_has(&f, "mean service time");
    let f = expect(
        &full(),
        &load_target(all_in_one(16, 4), Some(f64::NAN), Some(0.1)),
        id,
        Outcome::Unverified,
    );
    detail_has(&f, "usable target_rps");
}

#[test]
fn littles_law_warns_when_the_cpus_are_the_limit() {
    let id = "x.littles_law";
    // Two idle children whose last request took 0.2 s at 50 % CPU: 0.1 s of
    // CPU per request.
    let child = |pid: u32| {
        format!(
            "{{\"pid\": {pid}, \"state\": \"Idle\", \"start time\": 1700000000, \"start since\": \
             600, \"requests\": 40, \"request duration\": 200000, \"request method\": \"GET\", \
             \"request uri\": \"/\", \"content length\": 0, \"user\": \"-\", \"script\": \"-\", \
             \"last request cpu\": 50.0, \"last request memory\": 2097152}}"
        )
    };
    let status = format!(
        "{{\"pool\": \"www\", \"process manager\": \"static\", \"start time\": 1700000000, \
         \"start since\": 600, \"accepted conn\": 80, \"listen queue\": 0, \"max listen queue\": \
         0, \"listen queue len\": 511, \"idle processes\": 2, \"active processes\": 0, \"total \
         processes\": 2, \"max active processes\": 2, \"max children reached\": 0, \"slow \
         requests\": 0, \"processes\": [{}, {}]}}",
        child(101),
        child(102)
    );
    let files = with(
        with(full(), POOL, Some(pool(40, ""))),
        "fpm-status.json",
        Some(status),
    );
    // 100 req/s × 0.2 s = 20 busy of 40: ρ = 0.5, but 100 × 0.1 s = 10 CPUs
    // busy, more than 0.8 × 4 = 3.2: warn.
    let f = expect(
        &files,
        &load_target(all_in_one(16, 4), Some(100.0), Some(0.2)),
        id,
        Outcome::Warn,
    );
    detail_has(&f, "keeps 10 of the 4 CPUs busy");
    detail_has(&f, "more children will not help");
    // 20 req/s: 2 CPUs ≤ 3.2 and ρ = 0.1: pass.
    expect(
        &files,
        &load_target(all_in_one(16, 4), Some(20.0), Some(0.2)),
        id,
        Outcome::Pass,
    );
}

// ------------------------------------------------------------ x.timeouts

/// The pool of the timeout cases: slow log at 5 s, kill at 60 s.
fn timed_pool(extra: &str) -> String {
    pool(
        20,
        &format!("request_slowlog_timeout = 5s\nrequest_terminate_timeout = 60s\n{extra}"),
    )
}

fn location_with(read: &str, connect: Option<&str>) -> String {
    let connect = connect.map_or(String::new(), |c| {
        format!("            fastcgi_connect_timeout {c};\n")
    });
    format!(
        "        location ~ \\.php$ {{\n\
         \x20           fastcgi_pass unix:/run/php/fpm.sock;\n\
         \x20           fastcgi_param SCRIPT_FILENAME $realpath_root$fastcgi_script_name;\n\
         {connect}\
         \x20           fastcgi_read_timeout {read};\n\
         \x20       }}\n"
    )
}

#[test]
fn timeouts_pass_in_order_and_fail_when_nginx_gives_up_before_php() {
    let id = "x.timeouts";
    let files = with(full(), POOL, Some(timed_pool("")));
    // 5 s < 30 s < 60 s ≤ 60 s, connect 5 s ≤ 10 s: pass.
    let f = expect(&files, &all_in_one(16, 4), id, Outcome::Pass);
    assert_eq!(
        value(&f),
        "request_slowlog_timeout 5 s, max_execution_time 30 s, request_terminate_timeout 60 s, \
         fastcgi_read_timeout 60 s, fastcgi_connect_timeout 5 s"
    );
    assert!(assumed(&f, "load balancer idle timeout not given"));
    // nginx reads for 20 s, PHP's own limit is 30 s: fail, at nginx's line
    // 14 (client_max_body_size on 6, server on 7, location on 10, then
    // fastcgi_pass, fastcgi_param, the connect and the read timeouts).
    let nginx_20 = nginx("2", 1024, BODY_64M, "", &location_with("20s", Some("5s")));
    let f = expect(
        &with(files.clone(), NGINX, Some(nginx_20)),
        &all_in_one(16, 4),
        id,
        Outcome::Fail,
    );
    detail_has(
        &f,
        "nginx gives up after fastcgi_read_timeout 20 s while PHP's own max_execution_time is 30 s",
    );
    assert_eq!(location(&f), "etc/nginx/nginx.conf:14");
    // The pool raises max_execution_time to 120 s: nginx's 60 s is below it
    // (fail), and FPM's 60 s kill comes before it (warn as well).
    let raised = with(
        full(),
        POOL,
        Some(timed_pool("php_admin_value[max_execution_time] = 120\n")),
    );
    let f = expect(&raised, &all_in_one(16, 4), id, Outcome::Fail);
    detail_has(&f, "max_execution_time is 120 s");
    assert!(
        value(&f).contains("max_execution_time 120 s"),
        "{}",
        value(&f)
    );
}

#[test]
fn timeouts_warn_on_an_unbounded_child_a_slow_connect_and_a_shorter_balancer() {
    let id = "x.timeouts";
    // No request_terminate_timeout: FPM's default 0 lets a stuck child run
    // forever.
    let files = with(
        full(),
        POOL,
        Some(pool(20, "request_slowlog_timeout = 5s\n")),
    );
    let f = expect(&files, &all_in_one(16, 4), id, Outcome::Warn);
    detail_has(&f, "request_terminate_timeout is 0");
    assert!(assumed(
        &f,
        "request_terminate_timeout unset: 0 (off), FPM's default"
    ));
    // fastcgi_connect_timeout left at nginx's 60 s > 10 s.
    let files = with(
        with(full(), POOL, Some(timed_pool(""))),
        NGINX,
        Some(nginx("2", 1024, BODY_64M, "", &location_with("60s", None))),
    );
    let f = expect(&files, &all_in_one(16, 4), id, Outcome::Warn);
    detail_has(&f, "fastcgi_connect_timeout 60 s");
    assert!(assumed(
        &f,
        "fastcgi_connect_timeout unset: 60 s, nginx's default"
    ));
    // A load balancer that closes idle connections after 30 s, before
    // nginx's 60 s.
    let files = with(full(), POOL, Some(timed_pool("")));
    let f = expect(
        &files,
        &heuristic(all_in_one(16, 4), "x.timeouts.lb_idle_timeout_s", 30.0),
        id,
        Outcome::Warn,
    );
    detail_has(&f, "outlasts the load balancer's idle timeout 30 s");
    // A slow log at or above the kill never writes: 60 s ≥ 30 s.
    let files = with(
        full(),
        POOL,
        Some(pool(
            20,
            "request_slowlog_timeout = 60s\nrequest_terminate_timeout = 60s\n",
        )),
    );
    let f = expect(&files, &all_in_one(16, 4), id, Outcome::Warn);
    detail_has(&f, "request_slowlog_timeout 60 s is not below the 30 s");
}

#[test]
fn timeouts_are_unverified_without_nginx_or_php_ini() {
    let id = "x.timeouts";
    let files = with(full(), POOL, Some(timed_pool("")));
    let f = expect(
        &with(files.clone(), NGINX, None),
        &all_in_one(16, 4),
        id,
        Outcome::Unverified,
    );
    detail_has(&f, "the nginx configuration");
    let f = expect(
        &with(files, PHP_INI, None),
        &all_in_one(16, 4),
        id,
        Outcome::Unverified,
    );
    detail_has(&f, "the php.ini the FPM SAPI reads");
    // The pool's own max_execution_time makes php.ini unnecessary.
    let files = with(
        with(
            full(),
            POOL,
            Some(timed_pool("php_admin_value[max_execution_time] = 30\n")),
        ),
        PHP_INI,
        None,
    );
    expect(&files, &all_in_one(16, 4), id, Outcome::Pass);
}

// ------------------------------------------------------------ x.body_chain

#[test]
fn body_chain_passes_in_order_and_warns_on_each_broken_link() {
    let id = "x.body_chain";
    // 32 MiB ≤ 48 MiB ≤ 64 MiB, and 48 MiB ≤ memory_limit 192 MiB: pass.
    let f = expect(&full(), &all_in_one(16, 4), id, Outcome::Pass);
    assert_eq!(
        value(&f),
        "upload_max_filesize 32 MiB, post_max_size 48 MiB, client_max_body_size 64 MiB, \
         memory_limit 192 MiB"
    );
    assert_eq!(location(&f), "etc/nginx/nginx.conf:6");
    // nginx's default 1 MiB is below post_max_size 48 MiB: a 413.
    let files = with(full(), NGINX, Some(nginx("2", 1024, "", "", PHP_LOCATION)));
    let f = expect(&files, &all_in_one(16, 4), id, Outcome::Warn);
    detail_has(
        &f,
        "nginx refuses bodies over client_max_body_size 1 MiB with a 413",
    );
    assert!(assumed(&f, "client_max_body_size unset: 1 MiB"));
    // upload_max_filesize 64 MiB > post_max_size 48 MiB, at php.ini's line 4.
    let ini = INI.replace("upload_max_filesize = 32M", "upload_max_filesize = 64M");
    let f = expect(
        &with(full(), PHP_INI, Some(ini)),
        &all_in_one(16, 4),
        id,
        Outcome::Warn,
    );
    detail_has(
        &f,
        "upload_max_filesize 64 MiB is above post_max_size 48 MiB",
    );
    assert_eq!(location(&f), "etc/php/8.3/fpm/php.ini:4");
    // The pool lowers memory_limit to 32 MiB, below post_max_size 48 MiB.
    let files = with(
        full(),
        POOL,
        Some(pool(20, "php_admin_value[memory_limit] = 32M\n")),
    );
    let f = expect(&files, &all_in_one(16, 4), id, Outcome::Warn);
    detail_has(&f, "memory_limit 32 MiB is below post_max_size 48 MiB");
    assert_eq!(location(&f), "etc/php/8.3/fpm/pool.d/www.conf:5");
    // post_max_size 0 switches PHP's check off: nginx's 64 MiB is then
    // shorter than PHP's limit.
    let ini = INI.replace("post_max_size = 48M", "post_max_size = 0");
    let f = expect(
        &with(full(), PHP_INI, Some(ini)),
        &all_in_one(16, 4),
        id,
        Outcome::Warn,
    );
    detail_has(&f, "below PHP's post_max_size no limit");
}

#[test]
fn body_chain_is_unverified_without_nginx_or_php_ini() {
    let id = "x.body_chain";
    let f = expect(
        &with(full(), NGINX, None),
        &all_in_one(16, 4),
        id,
        Outcome::Unverified,
    );
    detail_has(&f, "the nginx configuration");
    let f = expect(
        &with(full(), PHP_INI, None),
        &all_in_one(16, 4),
        id,
        Outcome::Unverified,
    );
    detail_has(&f, "the php.ini the FPM SAPI reads");
}

// ------------------------------------------------------------ x.backlogs

fn backlog_files(fpm: &str, redis: &str, listen: &str) -> Vec<(&'static str, String)> {
    let server = format!("        listen {listen};\n");
    let conf = nginx("2", 1024, BODY_64M, &server, PHP_LOCATION);
    with(
        with(
            with(full(), POOL, Some(pool(20, fpm))),
            REDIS,
            Some(format!("{REDIS_CONF}{redis}")),
        ),
        NGINX,
        Some(conf),
    )
}

#[test]
fn backlogs_pass_below_somaxconn_and_warn_above_it() {
    let id = "x.backlogs";
    // FPM 1024, Redis 511 (default), nginx 1024 and 511 (the server's
    // plain `listen 80`): all between 128 and 4096.
    let files = backlog_files("listen.backlog = 1024\n", "", "8080 backlog=1024");
    let f = expect(&files, &all_in_one(16, 4), id, Outcome::Pass);
    assert_eq!(
        value(&f),
        "FPM `www` 1024, Redis 511, nginx 80 511, nginx 8080 1024; somaxconn 4096"
    );
    assert!(assumed(&f, "somaxconn: 4096"));
    assert!(assumed(&f, "tcp-backlog unset: 511, Redis's default"));
    // An older kernel's somaxconn of 128, given by the project: every
    // backlog above it is cut.
    let f = expect(
        &files,
        &heuristic(all_in_one(16, 4), "x.backlogs.somaxconn", 128.0),
        id,
        Outcome::Warn,
    );
    detail_has(&f, "pool `www`: listen.backlog 1024 is above somaxconn 128");
    assert!(!assumed(&f, "somaxconn: 4096"));
    // nginx backlog=65535 > 4096.
    let files = backlog_files("listen.backlog = 1024\n", "", "8080 backlog=65535");
    let f = expect(&files, &all_in_one(16, 4), id, Outcome::Warn);
    detail_has(
        &f,
        "nginx listen 8080 backlog 65535 is above somaxconn 4096",
    );
}

#[test]
fn backlogs_warn_on_a_short_fpm_queue_unless_ondemand_raises_it() {
    let id = "x.backlogs";
    let files = backlog_files("listen.backlog = 64\n", "", "8080");
    let f = expect(&files, &all_in_one(16, 4), id, Outcome::Warn);
    detail_has(&f, "pool `www`: listen.backlog 64 is below 511");
    assert_eq!(location(&f), "etc/php/8.3/fpm/pool.d/www.conf:5");
    // ondemand raises anything below 511 to 511.
    let ondemand = "[www]\nlisten = /run/php/fpm.sock\npm = ondemand\npm.max_children = 20\n\
                    listen.backlog = 64\n";
    let files = with(
        backlog_files("", "", "8080"),
        POOL,
        Some(ondemand.to_owned()),
    );
    let f = expect(&files, &all_in_one(16, 4), id, Outcome::Pass);
    detail_has(&f, "listen.backlog 64 (raised to 511 by pm = ondemand)");
    // The status page shows a listen queue len of 128 against 1024: the
    // kernel cut it.
    let status = "{\"pool\": \"www\", \"process manager\": \"static\", \"start time\": \
                  1700000000, \"start since\": 600, \"accepted conn\": 80, \"listen queue\": 0, \
                  \"max listen queue\": 0, \"listen queue len\": 128, \"idle processes\": 20, \
                  \"active processes\": 0, \"total processes\": 20, \"max active processes\": 3, \
                  \"max children reached\": 0, \"slow requests\": 0}";
    let files = with(
        backlog_files("listen.backlog = 1024\n", "", "8080"),
        "fpm-status.json",
        Some(status.to_owned()),
    );
    let f = expect(&files, &all_in_one(16, 4), id, Outcome::Warn);
    detail_has(&f, "listen queue len of 128 against listen.backlog 1024");
}

#[test]
fn backlogs_are_unverified_when_a_role_s_file_is_missing() {
    let id = "x.backlogs";
    // The host runs Redis, but no redis.conf was uploaded.
    let files = with(backlog_files("", "", "8080"), REDIS, None);
    let f = expect(&files, &all_in_one(16, 4), id, Outcome::Unverified);
    detail_has(&f, "redis.conf");
    // A host without the cache role does not ask for it.
    let web_php = on(profile(vec![server("app1", &[Role::Web, Role::Php], 8, 4)]));
    expect(&files, &web_php, id, Outcome::Pass);
    // Nothing uploaded and no profile: nothing to judge.
    let f = expect(&[], &Inputs::default(), id, Outcome::Unverified);
    detail_has(&f, "a php-fpm, redis.conf or nginx configuration");
}

// ------------------------------------------------------------ x.deploy_coherence

fn deploy_files(root: &str, script: &str, ini_extra: &str) -> Vec<(&'static str, String)> {
    let location = format!(
        "        location ~ \\.php$ {{\n\
         \x20           fastcgi_pass unix:/run/php/fpm.sock;\n\
         \x20           fastcgi_param SCRIPT_FILENAME {script};\n\
         \x20       }}\n"
    );
    let conf = nginx("2", 1024, BODY_64M, "", &location).replace("/srv/app/public", root);
    with(
        with(full(), NGINX, Some(conf)),
        PHP_INI,
        Some(format!("{INI}{ini_extra}")),
    )
}

const REAL: &str = "$realpath_root$fastcgi_script_name";
const DOC: &str = "$document_root$fastcgi_script_name";

#[test]
fn deploy_coherence_passes_with_realpath_root_and_validated_timestamps() {
    let id = "x.deploy_coherence";
    let files = deploy_files("/srv/app/current/public", REAL, "");
    let f = expect(&files, &all_in_one(16, 4), id, Outcome::Pass);
    detail_has(&f, "resolves the release symlink in nginx");
    assert!(assumed(
        &f,
        "opcache.validate_timestamps unset: PHP's default 1"
    ));
    // validate_timestamps = 0 and the project declares that deploys reload.
    let files = deploy_files(
        "/srv/app/current/public",
        REAL,
        "opcache.validate_timestamps = 0\n",
    );
    let declared = |v| {
        heuristic(
            all_in_one(16, 4),
            "x.deploy_coherence.deploy_reloads_fpm",
            v,
        )
    };
    let f = expect(&files, &declared(1.0), id, Outcome::Pass);
    detail_has(&f, "as declared, every deploy reloads PHP-FPM");
    // … declares that they do not: warn, at php.ini's line 7.
    let f = expect(&files, &declared(0.0), id, Outcome::Warn);
    assert_eq!(location(&f), "etc/php/8.3/fpm/php.ini:7");
    // … says nothing: no file can tell, so unverified.
    let f = expect(&files, &all_in_one(16, 4), id, Outcome::Unverified);
    detail_has(&f, "x.deploy_coherence.deploy_reloads_fpm");
}

#[test]
fn deploy_coherence_warns_on_document_root_under_a_symlinked_release() {
    let id = "x.deploy_coherence";
    let files = deploy_files("/srv/app/current/public", DOC, "");
    let f = expect(&files, &all_in_one(16, 4), id, Outcome::Warn);
    detail_has(&f, "keeps the symlink of root /srv/app/current/public");
    detail_has(&f, "realpath cache (ttl 120 s)");
    // The fastcgi_param line: location on 10, fastcgi_pass on 11.
    assert_eq!(location(&f), "etc/nginx/nginx.conf:12");
    // The same parameter under a plain root passes, saying what it assumed
    // about the layout.
    let files = deploy_files("/var/www/app/public", DOC, "");
    let f = expect(&files, &all_in_one(16, 4), id, Outcome::Pass);
    assert!(assumed(
        &f,
        "root /var/www/app/public has no `current` or `releases` folder"
    ));
    // No SCRIPT_FILENAME at all.
    let conf = default_nginx().replace(
        "            fastcgi_param SCRIPT_FILENAME $realpath_root$fastcgi_script_name;\n",
        "",
    );
    let f = expect(
        &with(full(), NGINX, Some(conf)),
        &all_in_one(16, 4),
        id,
        Outcome::Warn,
    );
    detail_has(&f, "no SCRIPT_FILENAME is passed");
    // Without nginx: unverified.
    let f = expect(
        &with(full(), NGINX, None),
        &all_in_one(16, 4),
        id,
        Outcome::Unverified,
    );
    detail_has(&f, "the nginx configuration");
}

// ------------------------------------------------------------ robustness

#[test]
fn every_cross_rule_is_unverified_on_an_empty_upload() {
    let stack = Stack::default();
    for inputs in [Inputs::default(), all_in_one(8, 2)] {
        for f in audit::evaluate(&stack, &inputs)
            .iter()
            .filter(|f| f.rule.starts_with("x."))
        {
            assert_eq!(
                f.evaluation.outcome,
                Outcome::Unverified,
                "{}: {}",
                f.rule,
                f.evaluation.detail
            );
            assert!(!f.evaluation.detail.is_empty(), "{}", f.rule);
        }
    }
}

#[test]
fn huge_sizes_and_counts_do_not_panic() {
    // Sizes near 2^64 and counts near 2^63 everywhere; every product must
    // saturate rather than overflow.
    let files = vec![
        (PHP_INI, "[PHP]\nmemory_limit = 9223372036854775807\nopcache.memory_consumption = 9223372036854775807\nopcache.jit = tracing\nopcache.jit_buffer_size = 8E\npost_max_size = 9223372036854775807\n".to_owned()),
        (POOL, pool(9_223_372_036_854_775_807, "listen.backlog = 9223372036854775807\nrequest_terminate_timeout = 9223372036854775807d\n")),
        (MY_CNF, "[mysqld]\ninnodb_buffer_pool_size = 15E\nmax_connections = 18446744073709551615\nsort_buffer_size = 15E\n".to_owned()),
        (REDIS, "maxmemory 18446744073709551615\ntcp-backlog 18446744073709551615\n".to_owned()),
        (NGINX, nginx("18446744073709551615", 18_446_744_073_709_551_615, "    client_max_body_size 8E;\n", "        listen 80 backlog=18446744073709551615;\n", PHP_LOCATION)),
    ];
    let stack = load(&files);
    let mut inputs = all_in_one(u64::MAX / GIB, u32::MAX);
    inputs.target_users = Some(f64::MAX);
    inputs.target_rps = Some(f64::MAX);
    inputs.mean_service_s = Some(f64::MAX);
    if let Some(h) = inputs.host.as_mut() {
        h.worker_rss_bytes = Some(u64::MAX);
        h.queue_workers = Some(u32::MAX);
    }
    for f in audit::evaluate(&stack, &inputs)
        .iter()
        .filter(|f| f.rule.starts_with("x."))
    {
        assert!(!f.evaluation.detail.is_empty(), "{}", f.rule);
    }
    let f = finding(&stack, &inputs, "x.memory_budget");
    assert_eq!(
        f.evaluation.outcome,
        Outcome::Fail,
        "{}",
        f.evaluation.detail
    );
}

// ------------------------------------------------------------ the whole stack

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audit")
}

/// The constructed stack of `constructed-cross/`, named as on the server
/// (`etc/…`), with nginx's stock fastcgi_params.
fn constructed() -> Vec<(&'static str, String)> {
    let read = |p: &str| {
        std::fs::read_to_string(fixtures().join(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
    };
    [
        "etc/php/8.3/fpm/php.ini",
        "etc/php/8.3/fpm/php-fpm.conf",
        "etc/php/8.3/fpm/pool.d/www.conf",
        "etc/mysql/my.cnf",
        "etc/redis/redis.conf",
        "etc/nginx/nginx.conf",
    ]
    .into_iter()
    .map(|p| (p, read(&format!("constructed-cross/{p}"))))
    .chain([("etc/nginx/fastcgi_params", read("nginx/fastcgi_params"))])
    .collect()
}

/// One server with every role, 2 CPUs, two queue workers, and the targets
/// the capacity rules need.
fn whole_stack_inputs(ram_gib: u64) -> Inputs {
    let mut host = profile(vec![server("app1", &ALL, ram_gib, 2)]);
    host.queue_workers = Some(2);
    Inputs {
        host: Some(host),
        target_users: Some(300.0),
        target_rps: Some(60.0),
        mean_service_s: Some(0.2),
        ..Inputs::default()
    }
}

#[test]
fn the_whole_stack_fails_the_memory_budget_on_4_gib_and_passes_on_16() {
    let files = constructed();
    let stack = load(&files);
    assert_eq!(stack.files.len(), files.len(), "{:?}", stack.files);
    // 4 GiB, two queue workers, worker_rss 64 MiB assumed:
    //   MySQL = 1000 × 1.1 + 16 + 8 + min(100, 20 + 2) × 8 + 256 = 1556 MiB
    //   Redis = 500 × 1.3 = 650 MiB
    //   PHP   = 256 + 22 × 64 = 1664 MiB; at memory_limit 256 + 22 × 256 =
    //           5888 MiB (5.75 GiB)
    //   nginx = 2 × 32 = 64 MiB; OS = max(1024, 409.6) = 1024 MiB
    //   typical = 4958 MiB (4.84 GiB) > 4096 MiB: fail
    //   worst   = 1556 + 650 + 5888 + 64 + 1024 = 9182 MiB (8.97 GiB)
    let small = whole_stack_inputs(4);
    let f = finding(&stack, &small, "x.memory_budget");
    assert_eq!(
        f.evaluation.outcome,
        Outcome::Fail,
        "{}",
        f.evaluation.detail
    );
    assert_eq!(
        value(&f),
        "4.8 GiB of 4 GiB: MySQL 1.5 GiB, Redis 650 MiB, PHP 1.6 GiB, nginx 64 MiB, OS 1 GiB; \
         9 GiB with children at memory_limit (PHP 5.8 GiB)"
    );
    // With one app server there is no choice of where the queue workers
    // run, so nothing is said about it.
    assert!(!assumed(&f, "queue worker(s) run on"));
    // 16 GiB: OS = max(1024, 1638.4) = 1638.4 MiB;
    //   typical = 1556 + 650 + 1664 + 64 + 1638.4 = 5572.4 MiB (5.44 GiB)
    //   worst   = 1556 + 650 + 5888 + 64 + 1638.4 = 9796.4 MiB (9.57 GiB)
    //   ≤ 16384 MiB: pass.
    let mut large = whole_stack_inputs(16);
    large
        .heuristics
        .insert("x.deploy_coherence.deploy_reloads_fpm".to_owned(), 1.0);
    let f = finding(&stack, &large, "x.memory_budget");
    assert_eq!(
        f.evaluation.outcome,
        Outcome::Pass,
        "{}",
        f.evaluation.detail
    );
    assert_eq!(
        value(&f),
        "5.4 GiB of 16 GiB: MySQL 1.5 GiB, Redis 650 MiB, PHP 1.6 GiB, nginx 64 MiB, OS 1.6 GiB; \
         9.6 GiB with children at memory_limit (PHP 5.8 GiB)"
    );
    // The other rules on the 16 GiB host:
    //   db_connections: need = 20 + 2 + 1 + 10 = 33; 36.3 ≤ 100 ≤ 132: pass
    //   nginx_capacity: 300 × 6 + 20 = 1820; 2 × 2048 = 4096 ≥ 2275: pass
    //   littles_law: 60 × 0.2 = 12 busy of 20, ρ = 0.6: pass
    //   timeouts: 5 < 30 < 60 ≤ 75, connect 5: pass
    //   body_chain: 32 ≤ 48 ≤ 64 MiB, 48 ≤ 256 MiB: pass
    //   backlogs: FPM 511, Redis 511, nginx 1024 ≤ 4096: pass
    //   deploy_coherence: $realpath_root, timestamps off, reload declared: pass
    let outcomes: Vec<(String, Outcome)> = audit::evaluate(&stack, &large)
        .into_iter()
        .filter(|f| f.rule.starts_with("x."))
        .map(|f| (f.rule, f.evaluation.outcome))
        .collect();
    assert!(
        outcomes.iter().all(|(_, o)| *o == Outcome::Pass),
        "{outcomes:?}"
    );
    assert_snapshot("constructed-4gib", &render(&stack, &small));
    assert_snapshot("constructed-16gib", &render(&stack, &large));
}

/// The cross-file findings as stable text, one block per rule.
fn render(stack: &Stack, inputs: &Inputs) -> String {
    let mut out = String::new();
    for (file, kind) in &stack.files {
        let _ = writeln!(out, "file: {file} ({kind})");
    }
    for f in audit::evaluate(stack, inputs)
        .iter()
        .filter(|f| f.rule.starts_with("x."))
    {
        let e = &f.evaluation;
        let _ = writeln!(
            out,
            "\n## {} [{}, {}] {}",
            f.rule,
            f.severity.as_str(),
            f.category.label(),
            e.outcome
        );
        if let Some(value) = &e.value {
            let _ = writeln!(out, "value: {value}");
        }
        let _ = writeln!(out, "threshold: {}", e.threshold);
        let _ = writeln!(out, "at: {}", location(f));
        for a in &e.defaults_assumed {
            let _ = writeln!(out, "assumed: {a}");
        }
        let _ = writeln!(out, "detail: {}", e.detail);
    }
    out
}

/// Compares text with its snapshot, or writes it when UPDATE_SNAPSHOTS=1.
fn assert_snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/audit_cross")
        .join(format!("{name}.txt"));
    if std::env::var("UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_SNAPSHOTS=1 to create it)",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from line {}:\n  expected: {:?}\n  actual:   {:?}\n(run with \
             UPDATE_SNAPSHOTS=1 and review the diff)",
            path.display(),
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}
