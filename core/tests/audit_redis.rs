//! The Redis domain of the audit: redis.conf and `redis-cli INFO` parsing
//! and the `redis.*` and `m.redis.*` rules, over the fixtures of
//! tests/fixtures/audit (see PROVENANCE.md there) and over constructed
//! inputs (inline below, or in fixtures/audit/constructed-rn with its
//! README).
//!
//! Every rule has a passing case and a failing one (for rules whose worst
//! outcome is a warning, the warning). Findings per fixture are pinned by
//! snapshots under tests/snapshots/audit_redis; run with
//! `UPDATE_SNAPSHOTS=1` to rewrite them, then review the diff.

use readiness_core::audit::redis::{self, Persistence, RedisConf, RedisInfo};
use readiness_core::audit::{
    AuditError, Finding, HostProfile, Inputs, Kind, Role, Server, Stack, evaluate, load,
};
use readiness_core::input::{MemorySource, Source};
use readiness_core::targets::Outcome;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/audit/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn load_files(files: &[(&str, &[u8])]) -> Result<Stack, AuditError> {
    let sources: Vec<MemorySource> = files
        .iter()
        .map(|(name, bytes)| MemorySource::new(*name, bytes.to_vec()))
        .collect();
    let refs: Vec<&dyn Source> = sources.iter().map(|s| s as &dyn Source).collect();
    load(&refs)
}

fn stack(files: &[(&str, &str)]) -> Stack {
    let files: Vec<(&str, &[u8])> = files.iter().map(|(n, t)| (*n, t.as_bytes())).collect();
    load_files(&files).unwrap_or_else(|e| panic!("{e}"))
}

fn conf(text: &str) -> Stack {
    stack(&[("redis.conf", text)])
}

fn error(files: &[(&str, &[u8])]) -> String {
    match load_files(files) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

fn finding(stack: &Stack, inputs: &Inputs, id: &str) -> Finding {
    evaluate(stack, inputs)
        .into_iter()
        .find(|f| f.rule == id)
        .unwrap_or_else(|| panic!("no rule {id}"))
}

fn outcome(stack: &Stack, inputs: &Inputs, id: &str) -> Outcome {
    finding(stack, inputs, id).evaluation.outcome
}

fn host(ram_gib: u64, cpus: u32, roles: &[Role]) -> HostProfile {
    HostProfile {
        servers: vec![Server {
            name: "cache-1".to_owned(),
            roles: roles.to_vec(),
            ram_bytes: ram_gib << 30,
            cpus,
        }],
        ..HostProfile::default()
    }
}

fn inputs_with(profile: HostProfile) -> Inputs {
    Inputs {
        host: Some(profile),
        ..Inputs::default()
    }
}

fn shared(value: bool) -> Inputs {
    inputs_with(HostProfile {
        redis_shared: Some(value),
        ..HostProfile::default()
    })
}

/// An INFO dump with the fields the rules read.
fn info(fields: &[(&str, &str)]) -> String {
    let mut text = String::from("# Server\r\nredis_version:7.2.4\r\nrun_id:abc\r\n");
    text.push_str("uptime_in_seconds:86400\r\n# Stats\r\n");
    for (k, v) in fields {
        text.push_str(&format!("{k}:{v}\r\n"));
    }
    text
}

/// Findings of the Redis rules as stable text.
fn render(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings
        .iter()
        .filter(|f| f.rule.starts_with("redis.") || f.rule.starts_with("m.redis."))
    {
        let e = &f.evaluation;
        out.push_str(&format!(
            "## {} [{}, {}] {}\n",
            f.rule,
            f.severity.as_str(),
            f.category.label(),
            e.outcome
        ));
        if let Some(v) = &e.value {
            out.push_str(&format!("value: {v}\n"));
        }
        out.push_str(&format!("threshold: {}\n", e.threshold));
        if let Some(at) = &e.location {
            out.push_str(&format!("at: {at}\n"));
        }
        out.push_str(&format!("detail: {}\n", e.detail));
        for a in &e.defaults_assumed {
            out.push_str(&format!("assumed: {a}\n"));
        }
        out.push('\n');
    }
    out
}

fn snapshot(name: &str, text: &str) {
    let path = format!(
        "{}/tests/snapshots/audit_redis/{name}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        if let Some(dir) = std::path::Path::new(&path).parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (run with UPDATE_SNAPSHOTS=1)"));
    assert_eq!(
        text, expected,
        "findings differ from {path}; rerun with UPDATE_SNAPSHOTS=1 and review the diff"
    );
}

// ---------------------------------------------------------------- fixtures

#[test]
fn the_default_redis_7_2_6_conf_parses() {
    let bytes = fixture("redis/redis.conf");
    let stack = load_files(&[("redis/redis.conf", &bytes)]).unwrap();
    assert_eq!(
        stack.files,
        [("redis/redis.conf".to_owned(), Kind::RedisConf)]
    );
    let conf = stack.redis.as_ref().unwrap();
    let bind = conf.bind();
    assert_eq!(bind.value, ["127.0.0.1", "-::1"]);
    assert_eq!(bind.origin.unwrap().to_string(), "redis/redis.conf:87");
    assert_eq!(conf.port().value, 6379);
    assert!(conf.maxmemory().is_default());
    assert_eq!(conf.maxmemory_policy().value, "noeviction");
    assert_eq!(conf.tcp_backlog().value, 511);
    // Every `save` line is commented out: Redis ≥ 6.2 keeps its defaults.
    let p = conf.persistence(false);
    assert_eq!(p.value.save_points, redis::DEFAULT_SAVE_POINTS);
    assert!(!p.value.aof && p.is_default(), "RDB is on by default");
    // `proc-title-template "{title} {listen-addr} {server-mode}"`.
    let template = conf.get("proc-title-template").unwrap();
    assert_eq!(template.value(), "{title} {listen-addr} {server-mode}");
    assert_eq!(conf.get("logfile").unwrap().value(), "");
    assert_eq!(
        conf.all("client-output-buffer-limit").count(),
        3,
        "multi-valued directives are all kept"
    );
    snapshot(
        "redis-7.2.6-default",
        &render(&evaluate(&stack, &Inputs::default())),
    );
}

#[test]
fn laradocks_redis_5_era_conf_parses_with_old_names_and_save_lines() {
    let bytes = fixture("redis/laradock-redis.conf");
    let stack = load_files(&[("laradock-redis.conf", &bytes)]).unwrap();
    let conf = stack.redis.as_ref().unwrap();
    assert_eq!(conf.bind().value, ["127.0.0.1"]);
    let save = conf.save_points(false);
    assert_eq!(save.value, [(900, 1), (300, 10), (60, 10000)]);
    // The last `save` line is where persistence was set.
    assert_eq!(save.origin.unwrap().line, 220);
    // Old names are read under their current ones.
    let entries = conf.get("hash-max-listpack-entries").unwrap();
    assert_eq!(entries.alias.as_deref(), Some("hash-max-ziplist-entries"));
    assert_eq!(entries.value(), "512");
    assert!(conf.get("busy-reply-threshold").is_some(), "lua-time-limit");
    let settings = conf.settings();
    assert_eq!(settings.value("appendonly"), Some("no"));
    assert_eq!(settings.all("save").count(), 3);
    snapshot(
        "laradock-redis",
        &render(&evaluate(&stack, &Inputs::default())),
    );
}

#[test]
fn netdatas_info_all_parses_past_its_resp_length_line() {
    let bytes = fixture("status/netdata-redis-6.0.9-info_all.txt");
    let stack = load_files(&[("info.txt", &bytes)]).unwrap();
    assert_eq!(stack.files, [("info.txt".to_owned(), Kind::RedisInfo)]);
    let info = stack.redis_info.as_ref().unwrap();
    assert_eq!(info.version(), Some((6, 0)));
    assert_eq!(info.value("redis_version"), Some("6.0.9"));
    // Line 1 is `$4050`; `# Server` is line 2.
    assert_eq!(info.get("redis_version").unwrap().line, 3);
    assert_eq!(info.get("redis_version").unwrap().section, "Server");
    assert_eq!(info.value("os"), Some("Linux 5.4.39-linuxkit x86_64"));
    assert_eq!(info.value("config_file"), Some(""));
    assert_eq!(info.unsigned("maxmemory"), Some(0));
    assert_eq!(info.number("mem_fragmentation_ratio"), Some(4.96));
    assert_eq!(info.keyspace.len(), 1);
    let db0 = &info.keyspace[0];
    assert_eq!((db0.db, db0.keys, db0.expires, db0.avg_ttl), (0, 4, 0, 0));
    assert_eq!(db0.origin.line, 172);
    // Two lookups: the rate exists but is far from meaningful.
    let rate = redis::cache_hit_rate(info).unwrap();
    assert_eq!((rate.hits, rate.misses, rate.lookups), (2, 0, 2));
    assert_eq!(rate.ratio, 1.0);
    assert_eq!(rate.interval_s, None);
    let findings = evaluate(&stack, &Inputs::default());
    snapshot("netdata-info-6.0.9", &render(&findings));
}

#[test]
fn keyspace_lines_of_newer_versions_parse() {
    // Redis 7.4 adds `subexpiry` (hash fields with a TTL).
    let stack = stack(&[(
        "info.txt",
        "# Server\nredis_version:7.4.1\n# Keyspace\ndb0:keys=10,expires=2,avg_ttl=900,subexpiry=0\n",
    )]);
    let db = &stack.redis_info.as_ref().unwrap().keyspace[0];
    assert_eq!((db.keys, db.expires, db.avg_ttl), (10, 2, 900));
}

#[test]
fn info_takes_precedence_over_redis_conf() {
    let conf_bytes = fixture("redis/redis.conf");
    let info_bytes = fixture("status/netdata-redis-6.0.9-info_all.txt");
    let stack = load_files(&[("redis.conf", &conf_bytes), ("info.txt", &info_bytes)]).unwrap();
    let findings = evaluate(&stack, &Inputs::default());
    snapshot("redis-7.2.6-default-with-6.0.9-info", &render(&findings));
    // With INFO from 6.0.9, a file without `save` lines saves nothing.
    let p = redis::persistence(&stack).unwrap();
    assert!(!p.value.rdb());
    let max = redis::maxmemory(&stack).unwrap();
    assert_eq!(max.origin.unwrap().to_string(), "info.txt:55");
}

#[test]
fn the_constructed_cache_conf_and_busy_info_parse() {
    let conf_bytes = fixture("constructed-rn/redis-cache.conf");
    let acl_bytes = fixture("constructed-rn/redis-users.acl");
    let info_bytes = fixture("constructed-rn/redis-7.2-info-busy.txt");
    let stack = load_files(&[
        ("etc/redis/redis.conf", &conf_bytes),
        ("etc/redis/users.acl", &acl_bytes),
        ("info.txt", &info_bytes),
    ])
    .unwrap();
    let conf = stack.redis.as_ref().unwrap();
    assert_eq!(conf.acl_file(), Some("etc/redis/users.acl"));
    let inputs = inputs_with(HostProfile {
        redis_shared: Some(false),
        ..host(8, 4, &[Role::Cache])
    });
    snapshot(
        "constructed-cache-busy",
        &render(&evaluate(&stack, &inputs)),
    );
}

// ------------------------------------------------------------- detection

#[test]
fn detection_is_specific() {
    use readiness_core::audit::nginx;
    let others = [
        "php/biodiversity-php84-php.ini-production",
        "php/laradock-opcache.ini",
        "php-fpm/biodiversity-www.conf",
        "php-fpm/php-src-020adfc7-php-fpm.conf.in",
        "mysql/laradock-mysql-my.cnf",
        "mysql/mariadb-docker-docker.cnf",
        "grafana/redis_exporter-grafana_prometheus_redis_dashboard.json",
        "prometheus/awesome-prometheus-alerts-redis-oliver006-redis-exporter.yml",
        "status/netdata-phpfpm-status.txt",
        "status/netdata-mysql-8.0.30-global_status.txt",
        "nginx/nginx.conf",
        "nginx/fastcgi_params",
        "status/netdata-nginx-stub_status.txt",
    ];
    for name in others {
        let head = fixture(name);
        assert_eq!(redis::sniff(name, &head), None, "{name} is not Redis");
    }
    for name in &others[..10] {
        let head = fixture(name);
        assert_eq!(nginx::sniff(name, &head), None, "{name} is not nginx");
    }
    assert_eq!(
        redis::sniff("x", &fixture("redis/redis.conf")),
        Some(Kind::RedisConf)
    );
    assert_eq!(
        redis::sniff("x", &fixture("redis/laradock-redis.conf")),
        Some(Kind::RedisConf)
    );
    assert_eq!(
        redis::sniff("x", &fixture("status/netdata-redis-6.0.9-info_all.txt")),
        Some(Kind::RedisInfo)
    );
    // A partial INFO (one section) without a RESP line.
    assert_eq!(
        redis::sniff("x", b"# Memory\nused_memory:1024\nmaxmemory:0\n"),
        Some(Kind::RedisInfo)
    );
    // A short redis.conf with one unknown directive is still a redis.conf,
    // so that loading it reports the directive.
    assert_eq!(
        redis::sniff("x", b"maxmemory 100mb\nvm-enabled no\n"),
        Some(Kind::RedisConf)
    );
}

// ------------------------------------------------------------ bad inputs

#[test]
fn an_unknown_directive_names_file_and_line() {
    let text = error(&[("redis.conf", b"port 6379\n\n# old\nvm-enabled no\n")]);
    assert!(text.starts_with("redis.conf, line 4: "), "{text}");
    assert!(text.contains("unknown directive `vm-enabled`"), "{text}");
}

#[test]
fn a_mid_line_comment_is_an_argument_and_an_error() {
    let text = error(&[("redis.conf", b"maxmemory 1gb # one gigabyte\n")]);
    assert!(text.starts_with("redis.conf, line 1: "), "{text}");
    assert!(text.contains("only whole lines are"), "{text}");
}

#[test]
fn values_are_checked_as_redis_checks_them() {
    let text = error(&[("redis.conf", b"maxmemory 100mb\nappendonly on\n")]);
    assert!(
        text.contains("line 2") && text.contains("yes or no"),
        "{text}"
    );
    let text = error(&[("redis.conf", b"maxmemory 12x\n")]);
    assert!(text.contains("line 1") && text.contains("size"), "{text}");
    let text = error(&[("redis.conf", b"maxmemory-policy lru\n")]);
    assert!(text.contains("allkeys-lru"), "{text}");
    let text = error(&[("redis.conf", b"maxmemory 1mb\nrequirepass \"open\n")]);
    assert!(
        text.contains("line 2") && text.contains("unbalanced quotes"),
        "{text}"
    );
    let text = error(&[("redis.conf", b"maxmemory 1mb\nsave 60\n")]);
    assert!(text.contains("line 2") && text.contains("pairs"), "{text}");
}

#[test]
fn an_include_outside_the_bundle_is_an_error_asking_for_it() {
    let text = error(&[(
        "etc/redis/redis.conf",
        b"maxmemory 1gb\ninclude /etc/redis/local.conf\n",
    )]);
    assert!(text.starts_with("etc/redis/redis.conf, line 2: "), "{text}");
    assert!(text.contains("include /etc/redis/local.conf"), "{text}");
    assert!(text.contains("upload it in the same bundle"), "{text}");
}

#[test]
fn includes_are_read_in_place_and_cycles_refused() {
    let stack = stack(&[
        (
            "etc/redis/redis.conf",
            "maxmemory 1gb\ninclude /etc/redis/conf.d/*.conf\nmaxmemory-policy allkeys-lru\n",
        ),
        ("etc/redis/conf.d/a.conf", "maxmemory 2gb\n"),
        (
            "etc/redis/conf.d/b.conf",
            "maxmemory-policy allkeys-lfu\nsave \"\"\n",
        ),
    ]);
    let conf = stack.redis.as_ref().unwrap();
    assert_eq!(conf.files().len(), 3);
    let max = conf.maxmemory();
    assert_eq!(max.value, 2 << 30);
    assert_eq!(max.origin.unwrap().to_string(), "etc/redis/conf.d/a.conf:1");
    // The line after the include comes later and wins.
    assert_eq!(conf.maxmemory_policy().value, "allkeys-lru");
    assert!(!conf.persistence(false).value.rdb());
    // A glob that matches nothing is skipped, as Redis does.
    let stack2 = stack_of_one("maxmemory 1gb\ninclude /nowhere/*.conf\n");
    assert!(stack2.redis.is_some());

    let text = error(&[
        ("a.conf", b"maxmemory 1gb\ninclude b.conf\n"),
        ("b.conf", b"include a.conf\n"),
    ]);
    // Either file may be read first; the cycle is named from there, at the
    // include line that closes it.
    assert!(
        text.contains("include cycle: b.conf → a.conf → b.conf")
            || text.contains("include cycle: a.conf → b.conf → a.conf"),
        "{text}"
    );
    assert!(
        text.starts_with("a.conf, line 2: ") || text.starts_with("b.conf, line 1: "),
        "{text}"
    );
}

fn stack_of_one(text: &str) -> Stack {
    conf(text)
}

#[test]
fn a_binary_file_is_refused_with_its_name_and_line() {
    // The loader refuses a file whose first 64 KiB hold a NUL byte.
    let text = error(&[("dump.rdb", b"REDIS0011\xfa\x09redis-ver\x057.2.4\x00\x00")]);
    assert!(text.starts_with("dump.rdb: "), "{text}");
    assert!(text.contains("binary"), "{text}");
    // Past the first 64 KiB the parser finds it, with its line.
    let mut bytes = b"maxmemory 1gb\n".to_vec();
    for _ in 0..2000 {
        bytes.extend_from_slice(b"# a long comment that pads the file past the detection head\n");
    }
    bytes.extend_from_slice(b"port 1\x00\n");
    let text = error(&[("redis.conf", &bytes)]);
    assert!(text.starts_with("redis.conf, line 2002: "), "{text}");
    assert!(text.contains("binary data"), "{text}");
}

#[test]
fn malformed_info_names_file_and_line() {
    let text = error(&[(
        "info.txt",
        b"# Server\nredis_version:7.2.4\nuptime_in_seconds:5\nthis is not info\n",
    )]);
    assert!(text.starts_with("info.txt, line 4: "), "{text}");
    let text = error(&[(
        "info.txt",
        b"# Server\nredis_version:7.2.4\n# Keyspace\ndb0:keys=x\n",
    )]);
    assert!(text.starts_with("info.txt, line 4: "), "{text}");
}

#[test]
fn no_input_makes_anything_panic() {
    // Every prefix of the fixtures (truncated uploads) either loads or
    // fails with an error; none panics.
    for name in [
        "redis/redis.conf",
        "redis/laradock-redis.conf",
        "status/netdata-redis-6.0.9-info_all.txt",
    ] {
        let bytes = fixture(name);
        let step = (bytes.len() / 97).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let _ = load_files(&[("x", &bytes[..cut])]);
        }
    }
    let odd: [&[u8]; 8] = [
        b"save",
        b"save \"\" 1",
        b"bind",
        b"user",
        b"include",
        b"# Server\n$12\n:\n",
        b"maxmemory 99999999999999999999gb",
        b"\xef\xbb\xbfmaxmemory 1gb\r\nmaxmemory-policy allkeys-lru\r\n",
    ];
    for bytes in odd {
        let _ = load_files(&[("x.conf", bytes)]).map(|s| evaluate(&s, &Inputs::default()));
    }
    // The last one (BOM and CRLF) is valid.
    let stack = load_files(&[("x.conf", odd[7])]).unwrap();
    assert_eq!(stack.redis.unwrap().maxmemory_policy().value, "allkeys-lru");
}

// ------------------------------------------------------------ the rules

#[test]
fn rule_catalogue_entries() {
    let rules = redis::rules();
    let ids: Vec<&str> = rules.iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        [
            "redis.maxmemory",
            "redis.maxmemory_policy",
            "redis.shared_roles",
            "redis.persistence",
            "redis.exposure_auth",
            "redis.dangerous_commands",
            "redis.io_threads",
            "redis.timeouts",
            "m.redis.hit_rate",
            "m.redis.pressure",
        ]
    );
    use readiness_core::assess::{Category, Severity};
    let severity = |id: &str| rules.iter().find(|r| r.id == id).unwrap().severity;
    assert_eq!(severity("redis.maxmemory"), Severity::Critical);
    assert_eq!(severity("redis.maxmemory_policy"), Severity::Critical);
    assert_eq!(severity("redis.shared_roles"), Severity::Critical);
    assert_eq!(severity("redis.persistence"), Severity::Medium);
    assert_eq!(severity("redis.exposure_auth"), Severity::Critical);
    assert_eq!(severity("redis.dangerous_commands"), Severity::Medium);
    assert_eq!(severity("redis.io_threads"), Severity::Low);
    assert_eq!(severity("redis.timeouts"), Severity::Low);
    assert_eq!(severity("m.redis.hit_rate"), Severity::High);
    assert_eq!(severity("m.redis.pressure"), Severity::High);
    assert!(rules.iter().all(|r| r.category == Category::Infrastructure));
    assert!(rules.iter().all(|r| !r.why.is_empty() && !r.fix.is_empty()));
}

#[test]
fn nothing_uploaded_is_never_a_pass() {
    let stack = Stack::default();
    for f in evaluate(&stack, &Inputs::default())
        .iter()
        .filter(|f| f.rule.contains("redis"))
    {
        assert_eq!(f.evaluation.outcome, Outcome::Unverified, "{}", f.rule);
    }
}

#[test]
fn maxmemory_passes_when_set_and_fits_the_host() {
    let stack = conf("maxmemory 2gb\nsave \"\"\n");
    let f = finding(
        &stack,
        &inputs_with(host(8, 4, &[Role::Cache])),
        "redis.maxmemory",
    );
    assert_eq!(f.evaluation.outcome, Outcome::Pass);
    assert_eq!(f.evaluation.value.as_deref(), Some("2 GiB"));
    assert_eq!(f.evaluation.location.unwrap().to_string(), "redis.conf:1");
}

#[test]
fn maxmemory_fails_when_unset_or_zero() {
    let f = finding(&conf("port 6379\n"), &Inputs::default(), "redis.maxmemory");
    assert_eq!(f.evaluation.outcome, Outcome::Fail);
    assert!(f.evaluation.defaults_assumed[0].contains("maxmemory: 0"));
    assert_eq!(
        outcome(
            &conf("maxmemory 0\n"),
            &Inputs::default(),
            "redis.maxmemory"
        ),
        Outcome::Fail
    );
}

#[test]
fn maxmemory_warns_when_it_cannot_fit_the_ram() {
    // 3 GiB × 2 (persistence on by default) > 4 GiB.
    let stack = conf("maxmemory 3gb\n");
    let inputs = inputs_with(host(4, 2, &[Role::Cache]));
    let f = finding(&stack, &inputs, "redis.maxmemory");
    assert_eq!(
        f.evaluation.outcome,
        Outcome::Warn,
        "{}",
        f.evaluation.detail
    );
    // 1k is 1000 bytes, 1kb 1024.
    assert_eq!(
        conf("maxmemory 1k\n").redis.unwrap().maxmemory().value,
        1000
    );
    assert_eq!(
        conf("maxmemory 1KB\n").redis.unwrap().maxmemory().value,
        1024
    );
}

#[test]
fn maxmemory_from_info_wins_and_the_difference_is_told() {
    let stack = stack(&[
        ("redis.conf", "maxmemory 1gb\n"),
        (
            "info.txt",
            &info(&[("maxmemory", "0"), ("maxmemory_policy", "allkeys-lru")]),
        ),
    ]);
    let f = finding(&stack, &Inputs::default(), "redis.maxmemory");
    assert_eq!(f.evaluation.outcome, Outcome::Fail);
    assert!(
        f.evaluation.detail.contains("takes precedence"),
        "{}",
        f.evaluation.detail
    );
    assert!(
        f.evaluation.detail.contains("redis.conf:1"),
        "{}",
        f.evaluation.detail
    );
    assert_eq!(f.evaluation.location.unwrap().file, "info.txt");
}

#[test]
fn maxmemory_policy_passes_with_allkeys_lru() {
    let stack = conf("maxmemory 1gb\nmaxmemory-policy allkeys-lru\n");
    assert_eq!(
        outcome(&stack, &Inputs::default(), "redis.maxmemory_policy"),
        Outcome::Pass
    );
    let stack = conf("maxmemory-policy ALLKEYS-LFU\n");
    assert_eq!(
        outcome(&stack, &Inputs::default(), "redis.maxmemory_policy"),
        Outcome::Pass
    );
}

#[test]
fn maxmemory_policy_fails_with_noeviction_and_warns_with_volatile() {
    let f = finding(
        &conf("maxmemory 1gb\n"),
        &Inputs::default(),
        "redis.maxmemory_policy",
    );
    assert_eq!(f.evaluation.outcome, Outcome::Fail);
    assert!(
        f.evaluation
            .defaults_assumed
            .iter()
            .any(|a| a.contains("noeviction"))
    );
    assert!(
        f.evaluation
            .defaults_assumed
            .iter()
            .any(|a| a.contains("cache-only"))
    );
    let stack = conf("maxmemory-policy volatile-lru\n");
    assert_eq!(
        outcome(&stack, &Inputs::default(), "redis.maxmemory_policy"),
        Outcome::Warn
    );
    // On an instance that also holds queues, redis.shared_roles judges.
    assert_eq!(
        outcome(&stack, &shared(true), "redis.maxmemory_policy"),
        Outcome::Unverified
    );
}

#[test]
fn shared_roles_needs_the_host_profile() {
    let stack = conf("maxmemory-policy allkeys-lru\n");
    assert_eq!(
        outcome(&stack, &Inputs::default(), "redis.shared_roles"),
        Outcome::Unverified
    );
    assert_eq!(
        outcome(&stack, &shared(false), "redis.shared_roles"),
        Outcome::Pass
    );
}

#[test]
fn shared_roles_fails_when_a_shared_instance_evicts() {
    let stack = conf("maxmemory 1gb\nmaxmemory-policy allkeys-lru\n");
    assert_eq!(
        outcome(&stack, &shared(true), "redis.shared_roles"),
        Outcome::Fail
    );
    let stack = conf("maxmemory-policy volatile-ttl\n");
    assert_eq!(
        outcome(&stack, &shared(true), "redis.shared_roles"),
        Outcome::Fail
    );
}

#[test]
fn shared_roles_passes_with_noeviction_and_persistence() {
    let stack = conf("maxmemory-policy noeviction\nappendonly yes\nsave \"\"\n");
    assert_eq!(
        outcome(&stack, &shared(true), "redis.shared_roles"),
        Outcome::Pass
    );
    let stack = conf("maxmemory-policy noeviction\nappendonly no\nsave \"\"\n");
    assert_eq!(
        outcome(&stack, &shared(true), "redis.shared_roles"),
        Outcome::Warn
    );
}

#[test]
fn persistence_passes_for_a_cache_that_saves_nothing() {
    let stack = conf("save \"\"\nappendonly no\n");
    let f = finding(&stack, &Inputs::default(), "redis.persistence");
    assert_eq!(f.evaluation.outcome, Outcome::Pass);
    assert_eq!(
        f.evaluation.value.as_deref(),
        Some("save \"\", appendonly no")
    );
}

#[test]
fn persistence_warns_when_a_cache_writes_snapshots() {
    // No `save` line: Redis ≥ 6.2 keeps its default save points.
    let f = finding(
        &conf("port 6379\n"),
        &Inputs::default(),
        "redis.persistence",
    );
    assert_eq!(f.evaluation.outcome, Outcome::Warn);
    assert!(
        f.evaluation
            .defaults_assumed
            .iter()
            .any(|a| a.contains("3600 1 300 100 60 10000"))
    );
    assert!(
        f.evaluation
            .detail
            .contains("stop-writes-on-bgsave-error yes")
    );
    // `save ""` resets, a later save line adds points again.
    let stack = conf("save \"\"\nsave 60 100\n");
    let p = stack.redis.as_ref().unwrap().persistence(false);
    assert_eq!(
        p.value,
        Persistence {
            save_points: vec![(60, 100)],
            aof: false
        }
    );
    assert_eq!(p.origin.unwrap().line, 2);
    assert_eq!(
        outcome(&stack, &Inputs::default(), "redis.persistence"),
        Outcome::Warn
    );
    // The first save line replaces the defaults, later ones accumulate,
    // Redis 7's multi-pair form included.
    let stack = conf("save 900 1\nsave 300 10 60 10000\n");
    let points = stack.redis.unwrap().save_points(false).value;
    assert_eq!(points, [(900, 1), (300, 10), (60, 10000)]);
    // appendonly from INFO wins over the file.
    let stack = stack_two("save \"\"\nappendonly no\n", &info(&[("aof_enabled", "1")]));
    assert_eq!(
        outcome(&stack, &Inputs::default(), "redis.persistence"),
        Outcome::Warn
    );
}

fn stack_two(conf_text: &str, info_text: &str) -> Stack {
    stack(&[("redis.conf", conf_text), ("info.txt", info_text)])
}

#[test]
fn persistence_of_a_shared_instance_is_wanted() {
    let stack = conf("appendonly yes\n");
    assert_eq!(
        outcome(&stack, &shared(true), "redis.persistence"),
        Outcome::Pass
    );
    let stack = conf("save \"\"\n");
    assert_eq!(
        outcome(&stack, &shared(true), "redis.persistence"),
        Outcome::Warn
    );
}

#[test]
fn exposure_passes_on_loopback_or_private_with_acl_users() {
    let stack = conf("bind 127.0.0.1 -::1\n");
    assert_eq!(
        outcome(&stack, &Inputs::default(), "redis.exposure_auth"),
        Outcome::Pass
    );
    let stack = conf(
        "bind 10.0.0.5\nuser default off\nuser laravel on >a-long-random-password ~* &* +@all -@dangerous +flushdb\n",
    );
    assert_eq!(
        outcome(&stack, &Inputs::default(), "redis.exposure_auth"),
        Outcome::Pass
    );
    let stack = conf("bind 10.0.0.5\nrequirepass \"0123456789abcdef0123456789abcdef\"\n");
    assert_eq!(
        outcome(&stack, &Inputs::default(), "redis.exposure_auth"),
        Outcome::Pass
    );
    let stack = conf("port 0\nunixsocket /run/redis.sock\n");
    assert_eq!(
        outcome(&stack, &Inputs::default(), "redis.exposure_auth"),
        Outcome::Pass
    );
}

#[test]
fn exposure_fails_when_open_to_the_network_without_a_password() {
    let stack = conf("bind 0.0.0.0\nprotected-mode no\n");
    let f = finding(&stack, &Inputs::default(), "redis.exposure_auth");
    assert_eq!(f.evaluation.outcome, Outcome::Fail);
    assert_eq!(f.evaluation.location.unwrap().line, 1);
    // No bind line: every interface (assumed and said).
    let f = finding(
        &conf("protected-mode no\n"),
        &Inputs::default(),
        "redis.exposure_auth",
    );
    assert_eq!(f.evaluation.outcome, Outcome::Fail);
    assert!(f.evaluation.defaults_assumed[0].contains("every interface"));
    // Protected mode refuses remote clients: a warning.
    let stack = conf("port 6379\n");
    assert_eq!(
        outcome(&stack, &Inputs::default(), "redis.exposure_auth"),
        Outcome::Warn
    );
    // Before 7.0, protected mode does not apply once `bind` is set.
    let stack = stack_two("bind 10.0.0.5\n", "# Server\nredis_version:6.0.9\n");
    assert_eq!(
        outcome(&stack, &Inputs::default(), "redis.exposure_auth"),
        Outcome::Fail
    );
    // A short password on a private interface is a warning.
    let stack = conf("bind 10.0.0.5\nrequirepass secret\n");
    assert_eq!(
        outcome(&stack, &Inputs::default(), "redis.exposure_auth"),
        Outcome::Warn
    );
}

#[test]
fn dangerous_commands_pass_when_the_app_user_is_restricted() {
    let stack = conf("user default off\nuser laravel on >pw ~* &* +@all -@dangerous +flushdb\n");
    let f = finding(&stack, &Inputs::default(), "redis.dangerous_commands");
    assert_eq!(
        f.evaluation.outcome,
        Outcome::Pass,
        "{}",
        f.evaluation.detail
    );
}

#[test]
fn dangerous_commands_warn_for_an_unrestricted_user_or_renames() {
    let f = finding(
        &conf("port 6379\n"),
        &Inputs::default(),
        "redis.dangerous_commands",
    );
    assert_eq!(f.evaluation.outcome, Outcome::Warn);
    assert!(
        f.evaluation.detail.contains("`default`"),
        "{}",
        f.evaluation.detail
    );
    let stack = conf(
        "user default off\nuser app on >pw ~* -@all +@read +@write +flushall\nrename-command CONFIG \"\"\n",
    );
    let f = finding(&stack, &Inputs::default(), "redis.dangerous_commands");
    assert_eq!(f.evaluation.outcome, Outcome::Warn);
    assert!(
        f.evaluation.detail.contains("FLUSHALL"),
        "{}",
        f.evaluation.detail
    );
    assert!(
        f.evaluation.detail.contains("rename-command"),
        "{}",
        f.evaluation.detail
    );
    // Users in an ACL file that was not uploaded cannot be judged.
    let stack = conf("aclfile /etc/redis/users.acl\n");
    assert_eq!(
        outcome(&stack, &Inputs::default(), "redis.dangerous_commands"),
        Outcome::Unverified
    );
    // Users in both places: Redis refuses to start.
    let text = error(&[("redis.conf", b"aclfile /etc/redis/users.acl\nuser app on\n")]);
    assert!(text.contains("line 2"), "{text}");
}

#[test]
fn io_threads_pass_at_one_or_within_the_cpus() {
    assert_eq!(
        outcome(&conf("port 6379\n"), &Inputs::default(), "redis.io_threads"),
        Outcome::Pass
    );
    let stack = conf("io-threads 3\n");
    let inputs = inputs_with(host(16, 8, &[Role::Cache]));
    assert_eq!(outcome(&stack, &inputs, "redis.io_threads"), Outcome::Pass);
}

#[test]
fn io_threads_warn_beyond_the_cpus_or_beside_fpm() {
    let stack = conf("io-threads 4\n");
    assert_eq!(
        outcome(
            &stack,
            &inputs_with(host(8, 2, &[Role::Cache])),
            "redis.io_threads"
        ),
        Outcome::Warn
    );
    assert_eq!(
        outcome(
            &stack,
            &inputs_with(host(8, 8, &[Role::Cache, Role::Php])),
            "redis.io_threads"
        ),
        Outcome::Warn
    );
    assert_eq!(
        outcome(&stack, &Inputs::default(), "redis.io_threads"),
        Outcome::Unverified
    );
    assert_eq!(
        outcome(
            &conf("io-threads 12\n"),
            &Inputs::default(),
            "redis.io_threads"
        ),
        Outcome::Warn
    );
}

#[test]
fn timeouts_pass_with_defaults() {
    let f = finding(&conf("port 6379\n"), &Inputs::default(), "redis.timeouts");
    assert_eq!(f.evaluation.outcome, Outcome::Pass);
    assert_eq!(f.evaluation.defaults_assumed.len(), 2);
}

#[test]
fn timeouts_warn_without_keepalive_or_with_a_short_timeout() {
    let f = finding(
        &conf("tcp-keepalive 0\n"),
        &Inputs::default(),
        "redis.timeouts",
    );
    assert_eq!(f.evaluation.outcome, Outcome::Warn);
    assert_eq!(f.evaluation.location.unwrap().line, 1);
    assert_eq!(
        outcome(&conf("timeout 10\n"), &Inputs::default(), "redis.timeouts"),
        Outcome::Warn
    );
}

#[test]
fn hit_rate_passes_above_ninety_percent() {
    let stack = stack(&[(
        "info.txt",
        &info(&[("keyspace_hits", "95000"), ("keyspace_misses", "5000")]),
    )]);
    let f = finding(&stack, &Inputs::default(), "m.redis.hit_rate");
    assert_eq!(f.evaluation.outcome, Outcome::Pass);
    assert_eq!(
        f.evaluation.value.as_deref(),
        Some("95 % (95000 hits, 5000 misses)")
    );
    let rate = redis::cache_hit_rate(stack.redis_info.as_ref().unwrap()).unwrap();
    assert_eq!(rate.ratio, 0.95);
    assert_eq!(rate.lookups, 100_000);
}

#[test]
fn hit_rate_fails_below_eighty_and_warns_between() {
    let low = stack(&[(
        "info.txt",
        &info(&[
            ("keyspace_hits", "5000"),
            ("keyspace_misses", "5000"),
            ("evicted_keys", "0"),
        ]),
    )]);
    let f = finding(&low, &Inputs::default(), "m.redis.hit_rate");
    assert_eq!(f.evaluation.outcome, Outcome::Fail);
    assert!(
        f.evaluation.detail.contains("expire too soon"),
        "{}",
        f.evaluation.detail
    );
    let mid = stack(&[(
        "info.txt",
        &info(&[("keyspace_hits", "8500"), ("keyspace_misses", "1500")]),
    )]);
    assert_eq!(
        outcome(&mid, &Inputs::default(), "m.redis.hit_rate"),
        Outcome::Warn
    );
    // Below 10 000 lookups the rate says nothing yet.
    let few = stack(&[(
        "info.txt",
        &info(&[("keyspace_hits", "10"), ("keyspace_misses", "900")]),
    )]);
    assert_eq!(
        outcome(&few, &Inputs::default(), "m.redis.hit_rate"),
        Outcome::Unverified
    );
    // The gate is a heuristic a project may change.
    let mut inputs = Inputs::default();
    inputs
        .heuristics
        .insert("m.redis.hit_rate.min_lookups".to_owned(), 100.0);
    assert_eq!(outcome(&few, &inputs, "m.redis.hit_rate"), Outcome::Fail);
}

#[test]
fn two_dumps_of_one_run_give_the_rate_between_them() {
    let first = "# Server\nredis_version:7.2.4\nrun_id:r1\nuptime_in_seconds:1000\n# Stats\n\
                 keyspace_hits:1000000\nkeyspace_misses:10\n";
    let second = "# Server\nredis_version:7.2.4\nrun_id:r1\nuptime_in_seconds:1600\n# Stats\n\
                  keyspace_hits:1009000\nkeyspace_misses:6010\n";
    // Upload order does not matter: the later dump is the one with more
    // uptime.
    let stack = stack(&[("b.txt", first), ("a.txt", second)]);
    let info = stack.redis_info.as_ref().unwrap();
    assert_eq!(info.file, "a.txt");
    assert_eq!(info.earlier().map(|e| e.file.as_str()), Some("b.txt"));
    let rate = redis::cache_hit_rate(info).unwrap();
    assert_eq!(
        (rate.hits, rate.misses, rate.interval_s),
        (9000, 6000, Some(600))
    );
    assert_eq!(
        outcome(&stack, &Inputs::default(), "m.redis.hit_rate"),
        Outcome::Fail
    );
    // Dumps of different runs are refused.
    let other = second.replace("r1", "r2");
    let text = error(&[("a.txt", first.as_bytes()), ("b.txt", other.as_bytes())]);
    assert!(text.contains("same server run"), "{text}");
}

#[test]
fn pressure_passes_without_errors_or_harmful_eviction() {
    let stack = stack(&[(
        "info.txt",
        &info(&[
            ("rejected_connections", "0"),
            ("evicted_keys", "5000"),
            ("keyspace_hits", "990000"),
            ("keyspace_misses", "10000"),
            ("used_memory", "209715200"),
            ("mem_fragmentation_ratio", "1.10"),
            ("rdb_last_bgsave_status", "ok"),
        ]),
    )]);
    let f = finding(&stack, &Inputs::default(), "m.redis.pressure");
    assert_eq!(
        f.evaluation.outcome,
        Outcome::Pass,
        "{}",
        f.evaluation.detail
    );
    assert!(
        f.evaluation.detail.contains("doing its job"),
        "{}",
        f.evaluation.detail
    );
}

#[test]
fn pressure_fails_on_oom_errors_rejections_or_failed_saves() {
    let oom = format!(
        "{}# Errorstats\r\nerrorstat_OOM:count=12\r\nerrorstat_ERR:count=1\r\n",
        info(&[("rejected_connections", "0")])
    );
    let f = finding(
        &stack(&[("info.txt", &oom)]),
        &Inputs::default(),
        "m.redis.pressure",
    );
    assert_eq!(f.evaluation.outcome, Outcome::Fail);
    assert!(
        f.evaluation.detail.contains("12 command(s) rejected"),
        "{}",
        f.evaluation.detail
    );
    assert_eq!(f.evaluation.location.unwrap().line, 8);
    let rejected = stack(&[("info.txt", &info(&[("rejected_connections", "3")]))]);
    assert_eq!(
        outcome(&rejected, &Inputs::default(), "m.redis.pressure"),
        Outcome::Fail
    );
    let bgsave = stack(&[("info.txt", &info(&[("rdb_last_bgsave_status", "err")]))]);
    let f = finding(&bgsave, &Inputs::default(), "m.redis.pressure");
    assert_eq!(f.evaluation.outcome, Outcome::Fail);
    assert!(f.evaluation.defaults_assumed[0].contains("stop-writes-on-bgsave-error"));
    let bgsave_ok = stack_two(
        "stop-writes-on-bgsave-error no\n",
        &info(&[("rdb_last_bgsave_status", "err")]),
    );
    assert_eq!(
        outcome(&bgsave_ok, &Inputs::default(), "m.redis.pressure"),
        Outcome::Warn
    );
}

#[test]
fn pressure_warns_on_fragmentation_or_evictions_with_a_low_hit_rate() {
    let fragmented = stack(&[(
        "info.txt",
        &info(&[
            ("used_memory", "209715200"),
            ("mem_fragmentation_ratio", "2.10"),
        ]),
    )]);
    assert_eq!(
        outcome(&fragmented, &Inputs::default(), "m.redis.pressure"),
        Outcome::Warn
    );
    let swapping = stack(&[(
        "info.txt",
        &info(&[
            ("used_memory", "209715200"),
            ("mem_fragmentation_ratio", "0.70"),
        ]),
    )]);
    assert_eq!(
        outcome(&swapping, &Inputs::default(), "m.redis.pressure"),
        Outcome::Warn
    );
    let evicting = stack(&[(
        "info.txt",
        &info(&[
            ("evicted_keys", "100"),
            ("keyspace_hits", "7000"),
            ("keyspace_misses", "3000"),
        ]),
    )]);
    assert_eq!(
        outcome(&evicting, &Inputs::default(), "m.redis.pressure"),
        Outcome::Warn
    );
    // A tiny instance's ratio is not judged (Redis's MEMORY DOCTOR does
    // not either).
    let tiny = stack(&[(
        "info.txt",
        &info(&[
            ("used_memory", "867160"),
            ("mem_fragmentation_ratio", "4.96"),
        ]),
    )]);
    assert_eq!(
        outcome(&tiny, &Inputs::default(), "m.redis.pressure"),
        Outcome::Pass
    );
}

#[test]
fn resolved_accessors_for_cross_file_rules() {
    let stack = conf("maxmemory 512mb\ntcp-backlog 4096\nsave \"\"\nappendonly no\n");
    let max = redis::maxmemory(&stack).unwrap();
    assert_eq!(max.value, 512 << 20);
    assert_eq!(max.origin.unwrap().line, 1);
    let backlog = redis::tcp_backlog(&stack).unwrap();
    assert_eq!((backlog.value, backlog.origin.unwrap().line), (4096, 2));
    let on = redis::persistence_enabled(&stack).unwrap();
    assert!(!on.value);
    assert_eq!(on.origin.unwrap().line, 3);
    let policy = redis::maxmemory_policy(&stack).unwrap();
    assert!(policy.is_default());
    // Without redis.conf: INFO alone gives maxmemory but not the backlog.
    let only_info = stack_info_only();
    assert!(redis::maxmemory(&only_info).is_some());
    assert!(redis::tcp_backlog(&only_info).is_none());
    let _: Option<&RedisConf> = only_info.redis.as_ref();
    let _: Option<&RedisInfo> = only_info.redis_info.as_ref();
}

fn stack_info_only() -> Stack {
    stack(&[("info.txt", &info(&[("maxmemory", "1073741824")]))])
}
