//! The PHP domain of the audit: php.ini and conf.d fragments, php-fpm with
//! includes, `opcache_get_status()` and php-fpm status dumps, and every
//! php.*, fpm.*, m.opcache.* and m.fpm.* rule.
//!
//! Rule cases are small configurations written here, each loaded through
//! `audit::load` as an upload would be. The fixtures under
//! `tests/fixtures/audit/` are real files (see PROVENANCE.md) plus the
//! constructed OPcache dumps of `constructed-php/` (see its README.md);
//! their findings are pinned in `tests/snapshots/audit_php/`. Set
//! `UPDATE_SNAPSHOTS=1` to rewrite the snapshots after reviewing a change.

use readiness_core::audit::php::{self, FpmPool, JitMode, Pm, hash_slots};
use readiness_core::audit::{
    self, AuditError, Finding, HostProfile, Inputs, Kind, Role, Server, Stack,
};
use readiness_core::input::{MemorySource, Source};
use readiness_core::targets::Outcome;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audit")
}

/// A fixture as an upload holds it: named by its folder and file name.
fn fixture(relative: &str) -> MemorySource {
    let bytes = std::fs::read(fixtures().join(relative)).expect("fixture exists");
    MemorySource::new(relative, bytes)
}

fn sources(files: &[(&str, &str)]) -> Vec<MemorySource> {
    files
        .iter()
        .map(|(name, text)| MemorySource::new(*name, text.as_bytes().to_vec()))
        .collect()
}

fn load(files: &[(&str, &str)]) -> Result<Stack, AuditError> {
    let sources = sources(files);
    let refs: Vec<&dyn Source> = sources.iter().map(|s| s as &dyn Source).collect();
    audit::load(&refs)
}

fn load_ok(files: &[(&str, &str)]) -> Stack {
    load(files).unwrap_or_else(|e| panic!("upload loads: {e}"))
}

fn finding(stack: &Stack, inputs: &Inputs, rule: &str) -> Finding {
    audit::evaluate(stack, inputs)
        .into_iter()
        .find(|f| f.rule == rule)
        .unwrap_or_else(|| panic!("rule {rule} exists"))
}

/// Loads the files, evaluates, and checks one rule's outcome; returns the
/// finding for further checks.
fn expect(files: &[(&str, &str)], inputs: &Inputs, rule: &str, outcome: Outcome) -> Finding {
    let stack = load_ok(files);
    let f = finding(&stack, inputs, rule);
    assert_eq!(
        f.evaluation.outcome, outcome,
        "{rule}: {} (value {:?}, at {:?})",
        f.evaluation.detail, f.evaluation.value, f.evaluation.location
    );
    f
}

fn none() -> Inputs {
    Inputs::default()
}

fn host(ram: u64, rss: Option<u64>, php_files: Option<u64>) -> Inputs {
    Inputs {
        host: Some(HostProfile {
            servers: vec![Server {
                name: "app1".to_owned(),
                roles: vec![Role::Web, Role::Php],
                ram_bytes: ram,
                cpus: 4,
            }],
            php_files,
            worker_rss_bytes: rss,
            ..HostProfile::default()
        }),
        ..Inputs::default()
    }
}

fn location(f: &Finding) -> String {
    f.evaluation
        .location
        .as_ref()
        .map_or_else(|| "-".to_owned(), ToString::to_string)
}

const POOL: &str = "[www]\nuser = www-data\nlisten = /run/php/php-fpm.sock\npm = dynamic\n\
                    pm.max_children = 20\npm.start_servers = 4\npm.min_spare_servers = 2\n\
                    pm.max_spare_servers = 6\n";

fn pool_with(extra: &str) -> String {
    format!("{POOL}{extra}")
}

// ---------------------------------------------------------------- php.*

#[test]
fn opcache_enabled_passes_when_loaded_and_fails_when_off() {
    expect(
        &[("php.ini", "zend_extension=opcache\nopcache.enable=1\n")],
        &none(),
        "php.opcache.enabled",
        Outcome::Pass,
    );
    let f = expect(
        &[("php.ini", "zend_extension=opcache.so\nopcache.enable=Off\n")],
        &none(),
        "php.opcache.enabled",
        Outcome::Fail,
    );
    assert_eq!(location(&f), "php.ini:2");
    // Enabled but nothing in the upload loads it: not a pass, not a fail.
    let f = expect(
        &[("php.ini", "opcache.enable=1\nmemory_limit=256M\n")],
        &none(),
        "php.opcache.enabled",
        Outcome::Unverified,
    );
    assert!(f.evaluation.detail.contains("zend_extension=opcache"));
    // A pool that switches it off fails, naming the pool.
    let f = expect(
        &[
            ("php.ini", "zend_extension=opcache\n"),
            (
                "pool.d/api.conf",
                &pool_with("php_admin_flag[opcache.enable] = off\n").replace("[www]", "[api]"),
            ),
        ],
        &none(),
        "php.opcache.enabled",
        Outcome::Fail,
    );
    assert!(
        f.evaluation.detail.starts_with("pool `api`"),
        "{}",
        f.evaluation.detail
    );
    assert_eq!(location(&f), "pool.d/api.conf:9");
}

#[test]
fn opcache_memory_consumption_cases() {
    expect(
        &[("php.ini", "opcache.memory_consumption=256\n")],
        &none(),
        "php.opcache.memory_consumption",
        Outcome::Pass,
    );
    expect(
        &[("php.ini", "opcache.memory_consumption=64\n")],
        &none(),
        "php.opcache.memory_consumption",
        Outcome::Fail,
    );
    let f = expect(
        &[("php.ini", "engine = On\n")],
        &none(),
        "php.opcache.memory_consumption",
        Outcome::Warn,
    );
    assert!(f.evaluation.defaults_assumed[0].contains("default 128"));
    // The measured free share passes 128 MB; OOM restarts fail any size.
    let healthy = fixture("constructed-php/opcache-status-healthy.json");
    let text = String::from_utf8(healthy.bytes.clone()).unwrap();
    expect(
        &[
            ("php.ini", "opcache.memory_consumption=160\n"),
            ("opcache.json", &text),
        ],
        &none(),
        "php.opcache.memory_consumption",
        Outcome::Pass,
    );
    let pressure = fixture("constructed-php/opcache-status-pressure.json");
    let text = String::from_utf8(pressure.bytes.clone()).unwrap();
    let f = expect(
        &[
            ("php.ini", "opcache.memory_consumption=512\n"),
            ("opcache.json", &text),
        ],
        &none(),
        "php.opcache.memory_consumption",
        Outcome::Fail,
    );
    assert_eq!(location(&f), "opcache.json:25");
}

#[test]
fn interned_strings_buffer_cases() {
    expect(
        &[(
            "php.ini",
            "opcache.memory_consumption=256\nopcache.interned_strings_buffer=32\n",
        )],
        &none(),
        "php.opcache.interned_strings_buffer",
        Outcome::Pass,
    );
    let f = expect(
        &[(
            "php.ini",
            "opcache.memory_consumption=64\nopcache.interned_strings_buffer=64\n",
        )],
        &none(),
        "php.opcache.interned_strings_buffer",
        Outcome::Fail,
    );
    assert!(f.evaluation.detail.contains("Insufficient shared memory"));
    expect(
        &[("php.ini", "opcache.memory_consumption=256\n")],
        &none(),
        "php.opcache.interned_strings_buffer",
        Outcome::Warn,
    );
}

#[test]
fn max_accelerated_files_cases() {
    let ini = [("php.ini", "opcache.max_accelerated_files=20000\n")];
    let f = expect(
        &ini,
        &host(8 * GIB, None, Some(15_000)),
        "php.opcache.max_accelerated_files",
        Outcome::Pass,
    );
    assert_eq!(f.evaluation.value.as_deref(), Some("20000 → 32531 slots"));
    expect(
        &[("php.ini", "engine=1\n")],
        &host(8 * GIB, None, Some(20_000)),
        "php.opcache.max_accelerated_files",
        Outcome::Fail,
    );
    expect(
        &[("php.ini", "engine=1\n")],
        &host(8 * GIB, None, Some(14_000)),
        "php.opcache.max_accelerated_files",
        Outcome::Warn,
    );
    expect(
        &ini,
        &none(),
        "php.opcache.max_accelerated_files",
        Outcome::Unverified,
    );
    assert_eq!(hash_slots(100), 223);
    assert_eq!(hash_slots(10_000), 16_229);
    assert_eq!(hash_slots(5_000_000), 1_048_793);
}

#[test]
fn validate_timestamps_cases() {
    expect(
        &[("php.ini", "opcache.validate_timestamps=0\n")],
        &none(),
        "php.opcache.validate_timestamps",
        Outcome::Pass,
    );
    let f = expect(
        &[(
            "php.ini",
            "opcache.validate_timestamps=1\nopcache.revalidate_freq=0\n",
        )],
        &none(),
        "php.opcache.validate_timestamps",
        Outcome::Warn,
    );
    assert!(f.evaluation.detail.contains("every request"));
}

#[test]
fn jit_cases() {
    expect(
        &[(
            "php.ini",
            "opcache.jit=tracing\nopcache.jit_buffer_size=128M\n",
        )],
        &none(),
        "php.opcache.jit",
        Outcome::Pass,
    );
    expect(
        &[("php.ini", "opcache.jit=disable\n")],
        &none(),
        "php.opcache.jit",
        Outcome::Pass,
    );
    let f = expect(
        &[("php.ini", "opcache.jit=1255\nopcache.jit_buffer_size=0\n")],
        &none(),
        "php.opcache.jit",
        Outcome::Warn,
    );
    assert!(f.evaluation.detail.contains("silently off"));
    let f = expect(
        &[(
            "php.ini",
            "zend_extension=xdebug.so\nopcache.jit=tracing\nopcache.jit_buffer_size=64M\n",
        )],
        &none(),
        "php.opcache.jit",
        Outcome::Warn,
    );
    assert_eq!(location(&f), "php.ini:1");
    expect(
        &[("php.ini", "opcache.jit=off\nopcache.jit_buffer_size=64M\n")],
        &none(),
        "php.opcache.jit",
        Outcome::Warn,
    );
    assert_eq!(JitMode::parse("1205"), JitMode::Digits("1205".to_owned()));
    assert_eq!(JitMode::parse("1200"), JitMode::Off);
}

#[test]
fn realpath_cache_cases() {
    expect(
        &[(
            "php.ini",
            "realpath_cache_size=16M\nrealpath_cache_ttl=600\n",
        )],
        &none(),
        "php.realpath_cache",
        Outcome::Pass,
    );
    // open_basedir set by a pool disables the cache for that pool.
    let f = expect(
        &[
            (
                "php.ini",
                "realpath_cache_size=16M\nrealpath_cache_ttl=600\n",
            ),
            (
                "www.conf",
                &pool_with("php_admin_value[open_basedir] = \"/var/www:/tmp\"\n"),
            ),
        ],
        &none(),
        "php.realpath_cache",
        Outcome::Warn,
    );
    assert!(f.evaluation.detail.contains("open_basedir"));
    assert_eq!(location(&f), "www.conf:9");
    // With timestamps off a ttl of 120 s is too short.
    expect(
        &[(
            "php.ini",
            "opcache.validate_timestamps=0\nrealpath_cache_ttl=120\n",
        )],
        &none(),
        "php.realpath_cache",
        Outcome::Warn,
    );
}

#[test]
fn errors_cases() {
    expect(
        &[(
            "php.ini",
            "display_errors=Off\ndisplay_startup_errors=Off\nlog_errors=On\n\
             error_reporting=E_ALL & ~E_DEPRECATED\n",
        )],
        &none(),
        "php.errors",
        Outcome::Pass,
    );
    let f = expect(
        &[("php.ini", "log_errors=On\n")],
        &none(),
        "php.errors",
        Outcome::Fail,
    );
    assert!(
        f.evaluation
            .defaults_assumed
            .iter()
            .any(|a| a.starts_with("display_errors unset"))
    );
    let f = expect(
        &[
            (
                "php.ini",
                "display_errors=Off\ndisplay_startup_errors=Off\nlog_errors=On\n",
            ),
            ("www.conf", &pool_with("php_flag[display_errors] = on\n")),
        ],
        &none(),
        "php.errors",
        Outcome::Fail,
    );
    assert!(f.evaluation.detail.starts_with("pool `www`"));
    expect(
        &[(
            "php.ini",
            "display_errors=Off\ndisplay_startup_errors=Off\nlog_errors=Off\n",
        )],
        &none(),
        "php.errors",
        Outcome::Warn,
    );
    expect(
        &[("php.ini", "display_errors=stderr\n")],
        &none(),
        "php.errors",
        Outcome::Fail,
    );
}

#[test]
fn hardening_cases() {
    expect(
        &[("php.ini", "expose_php=Off\nallow_url_include=Off\n")],
        &none(),
        "php.hardening",
        Outcome::Pass,
    );
    expect(
        &[("php.ini", "expose_php=Off\nallow_url_include=On\n")],
        &none(),
        "php.hardening",
        Outcome::Fail,
    );
    expect(
        &[("php.ini", "allow_url_include=Off\n")],
        &none(),
        "php.hardening",
        Outcome::Warn,
    );
}

#[test]
fn memory_limit_cases() {
    expect(
        &[("php.ini", "memory_limit=256M\n")],
        &none(),
        "php.memory_limit",
        Outcome::Pass,
    );
    expect(
        &[("php.ini", "memory_limit=-1\n")],
        &none(),
        "php.memory_limit",
        Outcome::Fail,
    );
    expect(
        &[("php.ini", "memory_limit=1G\n")],
        &none(),
        "php.memory_limit",
        Outcome::Warn,
    );
    // `128MB` is 128 bytes to PHP.
    let f = expect(
        &[("php.ini", "memory_limit=128MB\n")],
        &none(),
        "php.memory_limit",
        Outcome::Warn,
    );
    assert!(
        f.evaluation.detail.contains("128 bytes"),
        "{}",
        f.evaluation.detail
    );
    // The pool's admin value overrides php.ini and is judged, named.
    let f = expect(
        &[
            ("php.ini", "memory_limit=256M\n"),
            (
                "www.conf",
                &pool_with("php_value[memory_limit] = 512M\nphp_admin_value[memory_limit] = -1\n"),
            ),
        ],
        &none(),
        "php.memory_limit",
        Outcome::Fail,
    );
    assert_eq!(location(&f), "www.conf:10");
    // ${ENV:-default}: the default is judged and the assumption recorded.
    let f = expect(
        &[("php.ini", "memory_limit = ${PHP_MEMORY_LIMIT:-256M}\n")],
        &none(),
        "php.memory_limit",
        Outcome::Pass,
    );
    assert!(
        f.evaluation.defaults_assumed[0].contains("PHP_MEMORY_LIMIT (default `256M`)"),
        "{:?}",
        f.evaluation.defaults_assumed
    );
}

#[test]
fn max_execution_time_cases() {
    expect(
        &[("php.ini", "max_execution_time=30\n")],
        &none(),
        "php.max_execution_time",
        Outcome::Pass,
    );
    expect(
        &[("php.ini", "max_execution_time=0\n")],
        &none(),
        "php.max_execution_time",
        Outcome::Warn,
    );
    expect(
        &[("php.ini", "max_execution_time=600\n")],
        &none(),
        "php.max_execution_time",
        Outcome::Warn,
    );
}

#[test]
fn session_cookies_cases() {
    expect(
        &[(
            "php.ini",
            "session.cookie_secure=1\nsession.cookie_httponly=1\nsession.use_strict_mode=1\n\
             session.cookie_samesite=Lax\nsession.use_only_cookies=1\n",
        )],
        &none(),
        "php.session_cookies",
        Outcome::Pass,
    );
    let f = expect(
        &[("php.ini", "session.cookie_httponly=1\n")],
        &none(),
        "php.session_cookies",
        Outcome::Warn,
    );
    assert!(f.evaluation.detail.contains("session.cookie_secure"));
}

#[test]
fn php_rules_without_php_ini_are_unverified() {
    let stack = load_ok(&[("www.conf", POOL)]);
    for f in audit::evaluate(&stack, &none()) {
        if f.rule.starts_with("php.") {
            assert_eq!(f.evaluation.outcome, Outcome::Unverified, "{}", f.rule);
        }
    }
}

// ---------------------------------------------------------------- fpm.*

#[test]
fn pm_mode_cases() {
    expect(&[("www.conf", POOL)], &none(), "fpm.pm.mode", Outcome::Pass);
    let f = expect(
        &[(
            "www.conf",
            "[www]\nlisten = 127.0.0.1:9000\npm.max_children = 5\n",
        )],
        &none(),
        "fpm.pm.mode",
        Outcome::Fail,
    );
    assert!(f.evaluation.detail.contains("unset"));
    expect(
        &[(
            "www.conf",
            "[www]\nlisten = 127.0.0.1:9000\npm = adaptive\n",
        )],
        &none(),
        "fpm.pm.mode",
        Outcome::Fail,
    );
    let ondemand = "[www]\nlisten = 127.0.0.1:9000\npm = ondemand\npm.max_children = 10\n";
    let busy = Inputs {
        target_rps: Some(50.0),
        ..Inputs::default()
    };
    expect(
        &[("www.conf", ondemand)],
        &busy,
        "fpm.pm.mode",
        Outcome::Warn,
    );
    expect(
        &[("www.conf", ondemand)],
        &none(),
        "fpm.pm.mode",
        Outcome::Unverified,
    );
}

#[test]
fn pm_spares_cases() {
    let f = expect(
        &[("www.conf", POOL)],
        &none(),
        "fpm.pm.spares",
        Outcome::Pass,
    );
    assert_eq!(
        f.evaluation.value.as_deref(),
        Some("max_children=20, start_servers=4, min_spare_servers=2, max_spare_servers=6")
    );
    let f = expect(
        &[(
            "www.conf",
            &POOL.replace("pm.max_spare_servers = 6", "pm.max_spare_servers = 30"),
        )],
        &none(),
        "fpm.pm.spares",
        Outcome::Fail,
    );
    assert_eq!(location(&f), "www.conf:8");
    expect(
        &[(
            "www.conf",
            &POOL.replace("pm.start_servers = 4", "pm.start_servers = 10"),
        )],
        &none(),
        "fpm.pm.spares",
        Outcome::Fail,
    );
    expect(
        &[(
            "www.conf",
            "[www]\nlisten = 127.0.0.1:9000\npm = ondemand\npm.max_children = 10\n\
             pm.process_idle_timeout = 0s\n",
        )],
        &none(),
        "fpm.pm.spares",
        Outcome::Fail,
    );
    expect(
        &[("www.conf", &POOL.replace("pm = dynamic", "pm = static"))],
        &none(),
        "fpm.pm.spares",
        Outcome::Warn,
    );
    // Of two pools the worst is reported, named.
    let f = expect(
        &[
            ("a.conf", POOL),
            (
                "b.conf",
                &POOL.replace("[www]", "[api]").replace("= 20", "= 0"),
            ),
        ],
        &none(),
        "fpm.pm.spares",
        Outcome::Fail,
    );
    assert!(
        f.evaluation
            .detail
            .starts_with("pool `api` (the worst of 2 pools)")
    );
}

#[test]
fn max_children_memory_cases() {
    let files = [("php.ini", "memory_limit = 256M\n"), ("www.conf", POOL)];
    let f = expect(
        &files,
        &none(),
        "fpm.pm.max_children_memory",
        Outcome::Unverified,
    );
    assert!(f.evaluation.detail.contains("host profile"));
    expect(
        &files,
        &host(16 * GIB, Some(80 * MIB), None),
        "fpm.pm.max_children_memory",
        Outcome::Pass,
    );
    let f = expect(
        &files,
        &host(4 * GIB, None, None),
        "fpm.pm.max_children_memory",
        Outcome::Warn,
    );
    assert!(
        f.evaluation
            .defaults_assumed
            .iter()
            .any(|a| a.contains("64 MiB per child"))
    );
    expect(
        &files,
        &host(2 * GIB, None, None),
        "fpm.pm.max_children_memory",
        Outcome::Fail,
    );
}

#[test]
fn max_requests_cases() {
    expect(
        &[("www.conf", &pool_with("pm.max_requests = 1000\n"))],
        &none(),
        "fpm.pm.max_requests",
        Outcome::Pass,
    );
    let f = expect(
        &[("www.conf", POOL)],
        &none(),
        "fpm.pm.max_requests",
        Outcome::Warn,
    );
    assert!(f.evaluation.defaults_assumed[0].contains("default 0"));
}

#[test]
fn status_path_cases() {
    expect(
        &[(
            "www.conf",
            &pool_with("pm.status_path = /fpm-status\npm.status_listen = 127.0.0.1:9001\n"),
        )],
        &none(),
        "fpm.status_path",
        Outcome::Pass,
    );
    expect(
        &[("www.conf", POOL)],
        &none(),
        "fpm.status_path",
        Outcome::Warn,
    );
    expect(
        &[("www.conf", &pool_with("pm.status_path = status\n"))],
        &none(),
        "fpm.status_path",
        Outcome::Fail,
    );
    expect(
        &[(
            "www.conf",
            &pool_with("pm.status_path = /status\n")
                .replace("/run/php/php-fpm.sock", "0.0.0.0:9000"),
        )],
        &none(),
        "fpm.status_path",
        Outcome::Fail,
    );
    expect(
        &[("www.conf", &pool_with("pm.status_path = /status\n"))],
        &none(),
        "fpm.status_path",
        Outcome::Unverified,
    );
}

#[test]
fn slowlog_cases() {
    expect(
        &[(
            "www.conf",
            &pool_with("request_slowlog_timeout = 5s\nslowlog = /var/log/$pool.slow.log\n"),
        )],
        &none(),
        "fpm.slowlog",
        Outcome::Pass,
    );
    expect(
        &[("www.conf", &pool_with("request_slowlog_timeout = 5s\n"))],
        &none(),
        "fpm.slowlog",
        Outcome::Fail,
    );
    expect(
        &[(
            "www.conf",
            &pool_with(
                "request_slowlog_timeout = 2m\nslowlog = /tmp/s.log\nrequest_terminate_timeout = 60\n",
            ),
        )],
        &none(),
        "fpm.slowlog",
        Outcome::Fail,
    );
    expect(&[("www.conf", POOL)], &none(), "fpm.slowlog", Outcome::Warn);
}

#[test]
fn request_terminate_timeout_cases() {
    expect(
        &[
            ("php.ini", "max_execution_time = 30\n"),
            ("www.conf", &pool_with("request_terminate_timeout = 2m\n")),
        ],
        &none(),
        "fpm.request_terminate_timeout",
        Outcome::Pass,
    );
    expect(
        &[("www.conf", POOL)],
        &none(),
        "fpm.request_terminate_timeout",
        Outcome::Warn,
    );
    let f = expect(
        &[
            ("php.ini", "max_execution_time = 30\n"),
            ("www.conf", &pool_with("request_terminate_timeout = 20\n")),
        ],
        &none(),
        "fpm.request_terminate_timeout",
        Outcome::Warn,
    );
    assert!(f.evaluation.detail.contains("before PHP's own 30 s"));
}

#[test]
fn catch_workers_output_cases() {
    expect(
        &[("www.conf", &pool_with("catch_workers_output = yes\n"))],
        &none(),
        "fpm.catch_workers_output",
        Outcome::Pass,
    );
    let f = expect(
        &[("www.conf", &pool_with("env[LOG_CHANNEL] = stderr\n"))],
        &none(),
        "fpm.catch_workers_output",
        Outcome::Warn,
    );
    assert!(f.evaluation.detail.contains("LOG_CHANNEL"));
    expect(
        &[("www.conf", POOL)],
        &none(),
        "fpm.catch_workers_output",
        Outcome::Unverified,
    );
}

#[test]
fn listen_exposure_cases() {
    expect(
        &[(
            "www.conf",
            &POOL.replace("/run/php/php-fpm.sock", "127.0.0.1:9000"),
        )],
        &none(),
        "fpm.listen_exposure",
        Outcome::Pass,
    );
    expect(
        &[("www.conf", POOL)],
        &none(),
        "fpm.listen_exposure",
        Outcome::Pass,
    );
    let f = expect(
        &[("www.conf", &POOL.replace("/run/php/php-fpm.sock", "9000"))],
        &none(),
        "fpm.listen_exposure",
        Outcome::Fail,
    );
    assert_eq!(location(&f), "www.conf:3");
    expect(
        &[(
            "www.conf",
            &POOL.replace("/run/php/php-fpm.sock", "0.0.0.0:9000"),
        )],
        &none(),
        "fpm.listen_exposure",
        Outcome::Fail,
    );
    expect(
        &[(
            "www.conf",
            &pool_with("listen.allowed_clients = 10.0.0.2\n")
                .replace("/run/php/php-fpm.sock", "10.0.0.5:9000"),
        )],
        &none(),
        "fpm.listen_exposure",
        Outcome::Warn,
    );
    expect(
        &[("www.conf", &pool_with("listen.mode = 0666\n"))],
        &none(),
        "fpm.listen_exposure",
        Outcome::Warn,
    );
}

#[test]
fn fpm_rules_without_pools_are_unverified() {
    let stack = load_ok(&[("php.ini", "memory_limit=256M\n")]);
    for f in audit::evaluate(&stack, &host(8 * GIB, None, None)) {
        if f.rule.starts_with("fpm.") {
            assert_eq!(f.evaluation.outcome, Outcome::Unverified, "{}", f.rule);
        }
    }
}

// ------------------------------------------------------------ measured

fn constructed(name: &str) -> String {
    String::from_utf8(fixture(&format!("constructed-php/{name}")).bytes).unwrap()
}

#[test]
fn opcache_hit_rate_cases() {
    let f = expect(
        &[(
            "status/opcache.json",
            &constructed("opcache-status-healthy.json"),
        )],
        &none(),
        "m.opcache.hit_rate",
        Outcome::Pass,
    );
    assert!(
        f.evaluation.defaults_assumed.is_empty(),
        "scripts date the dump"
    );
    let f = expect(
        &[(
            "status/opcache.json",
            &constructed("opcache-status-pressure.json"),
        )],
        &none(),
        "m.opcache.hit_rate",
        Outcome::Fail,
    );
    assert!(
        f.evaluation
            .value
            .as_deref()
            .unwrap_or("")
            .starts_with("93.02 %")
    );
    expect(
        &[("php.ini", "engine=1\n")],
        &none(),
        "m.opcache.hit_rate",
        Outcome::Unverified,
    );
    // Two dumps of one instance: the difference counts, not the totals.
    let dump = |hits: u64, misses: u64| {
        format!(
            "{{\"opcache_enabled\": true, \"opcache_statistics\": {{\"hits\": {hits}, \"misses\": \
             {misses}, \"start_time\": 1000, \"last_restart_time\": 0}}}}"
        )
    };
    let f = expect(
        &[
            ("a.json", &dump(1_000_000, 100)),
            ("b.json", &dump(1_010_000, 300)),
        ],
        &none(),
        "m.opcache.hit_rate",
        Outcome::Warn,
    );
    assert!(
        f.evaluation.detail.contains("between 2 dumps"),
        "{}",
        f.evaluation.detail
    );
    // A dump whose scripts were last used within the hour is too early.
    let early = constructed("opcache-status-healthy.json").replace("1718097200", "1718001000");
    expect(
        &[("o.json", &early)],
        &none(),
        "m.opcache.hit_rate",
        Outcome::Unverified,
    );
}

#[test]
fn opcache_health_cases() {
    expect(
        &[("opcache.json", &constructed("opcache-status-healthy.json"))],
        &none(),
        "m.opcache.health",
        Outcome::Pass,
    );
    let f = expect(
        &[("opcache.json", &constructed("opcache-status-pressure.json"))],
        &none(),
        "m.opcache.health",
        Outcome::Fail,
    );
    assert_eq!(f.evaluation.value.as_deref(), Some("oom_restarts = 3"));
    let full = constructed("opcache-status-pressure.json")
        .replace("\"oom_restarts\": 3", "\"oom_restarts\": 0")
        .replace("\"hash_restarts\": 1", "\"hash_restarts\": 0");
    let f = expect(
        &[("o.json", &full)],
        &none(),
        "m.opcache.health",
        Outcome::Warn,
    );
    for part in [
        "cache is full",
        "of shared memory is free",
        "wasted",
        "interned",
        "key slots",
        "JIT buffer",
    ] {
        assert!(
            f.evaluation.detail.contains(part),
            "{part}: {}",
            f.evaluation.detail
        );
    }
}

fn fpm_json(pool: &str, since: u64, reached: u64, queue: u64, max_queue: u64, slow: u64) -> String {
    format!(
        "{{\"pool\": \"{pool}\", \"process manager\": \"dynamic\", \"start time\": 1700000000, \
         \"start since\": {since}, \"accepted conn\": 100, \"listen queue\": {queue}, \"max listen \
         queue\": {max_queue}, \"listen queue len\": 511, \"idle processes\": 1, \"active \
         processes\": 4, \"total processes\": 5, \"max active processes\": 5, \"max children \
         reached\": {reached}, \"slow requests\": {slow}}}"
    )
}

#[test]
fn max_children_reached_cases() {
    expect(
        &[(
            "status.json",
            &fixture_text("status/netdata-phpfpm-status.json"),
        )],
        &none(),
        "m.fpm.max_children_reached",
        Outcome::Pass,
    );
    let f = expect(
        &[
            ("s1.json", &fpm_json("www", 600, 2, 0, 0, 0)),
            ("s2.json", &fpm_json("www", 1200, 7, 0, 0, 0)),
        ],
        &none(),
        "m.fpm.max_children_reached",
        Outcome::Fail,
    );
    assert!(
        f.evaluation.detail.contains("rose from 2 to 7"),
        "{}",
        f.evaluation.detail
    );
    expect(
        &[("s1.json", &fpm_json("www", 600, 2, 0, 0, 0))],
        &none(),
        "m.fpm.max_children_reached",
        Outcome::Warn,
    );
    // All children busy with a queue, against the pool's max_children.
    expect(
        &[
            ("s1.json", &fpm_json("www", 600, 0, 3, 3, 0)),
            ("www.conf", &POOL.replace("= 20", "= 5")),
        ],
        &none(),
        "m.fpm.max_children_reached",
        Outcome::Fail,
    );
}

#[test]
fn listen_queue_cases() {
    expect(
        &[(
            "status.txt",
            &fixture_text("status/netdata-phpfpm-status.txt"),
        )],
        &none(),
        "m.fpm.listen_queue",
        Outcome::Pass,
    );
    expect(
        &[("s.json", &fpm_json("www", 600, 0, 4, 9, 0))],
        &none(),
        "m.fpm.listen_queue",
        Outcome::Fail,
    );
    expect(
        &[("s.json", &fpm_json("www", 600, 0, 0, 300, 0))],
        &none(),
        "m.fpm.listen_queue",
        Outcome::Fail,
    );
    expect(
        &[("s.json", &fpm_json("www", 600, 0, 0, 9, 0))],
        &none(),
        "m.fpm.listen_queue",
        Outcome::Warn,
    );
    expect(
        &[
            ("s1.json", &fpm_json("www", 600, 0, 0, 0, 1)),
            ("s2.json", &fpm_json("www", 900, 0, 0, 0, 5)),
        ],
        &none(),
        "m.fpm.listen_queue",
        Outcome::Warn,
    );
}

fn fixture_text(relative: &str) -> String {
    String::from_utf8(fixture(relative).bytes).unwrap()
}

// -------------------------------------------------------------- parsing

#[test]
fn php_ini_values_are_stored_as_php_stores_them() {
    let stack = load_ok(&[(
        "php.ini",
        "\u{feff}[PHP]\r\nerror_reporting = E_ALL & ~E_DEPRECATED & ~E_STRICT\r\n\
         display_errors = Off ; trailing comment\n\
         # memory_limit = 1G\n\
         extension=redis\nextension = \"intl\"\n\
         date.timezone = \"Europe/Paris\"\n\
         sendmail_path = /usr/sbin/sendmail -t -i\n\
         user_agent = \"a\nb\"\n\
         [HOST=admin.example.com]\nmemory_limit = 1G\n\
         [opcache]\nopcache.enable = yes\n",
    )]);
    let ini = stack.php.expect("php.ini");
    assert_eq!(ini.value("error_reporting"), Some("22527"));
    assert_eq!(ini.value("display_errors"), Some(""));
    assert_eq!(ini.value("date.timezone"), Some("Europe/Paris"));
    assert_eq!(ini.value("sendmail_path"), Some("/usr/sbin/sendmail -t -i"));
    assert_eq!(ini.value("user_agent"), Some("a\nb"));
    assert_eq!(ini.value("opcache.enable"), Some("1"));
    let extensions: Vec<&str> = ini.extensions().iter().map(|s| s.value.as_str()).collect();
    assert_eq!(extensions, ["redis", "intl"]);
    // `#` is not a comment, but sets nothing; the [HOST=] value stays apart.
    assert!(ini.value("memory_limit").is_none());
    assert!(ini.notes.iter().any(|n| n.origin.line == 4));
    assert_eq!(ini.scoped.len(), 1);
    assert_eq!(ini.scoped[0].settings.value("memory_limit"), Some("1G"));
    assert_eq!(ini.get("opcache.enable").unwrap().origin.line, 14);
    assert!(ini.memory_limit().is_default());
    assert_eq!(ini.memory_limit().value, Some(128 * MIB));
    assert_eq!(ini.post_max_size().value, 8 * MIB);
}

#[test]
fn php_ini_and_fragments_merge_in_load_order() {
    // conf.d sorts before php.ini by name, yet php.ini is read first.
    let stack = load_ok(&[
        (
            "conf.d/20-app.ini",
            "memory_limit = 512M\nextension = redis\n",
        ),
        (
            "conf.d/10-opcache.ini",
            "zend_extension = opcache\nmemory_limit = 256M\n",
        ),
        ("php.ini", "[PHP]\nmemory_limit = 128M\nextension = intl\n"),
    ]);
    let ini = stack.php.expect("php.ini");
    assert_eq!(
        ini.files,
        ["php.ini", "conf.d/10-opcache.ini", "conf.d/20-app.ini"]
    );
    let limit = ini.memory_limit();
    assert_eq!(limit.value, Some(512 * MIB));
    assert_eq!(limit.origin.unwrap().to_string(), "conf.d/20-app.ini:1");
    assert_eq!(ini.extensions().len(), 2);
    let duplicates = ini.settings.duplicates();
    assert!(
        duplicates
            .iter()
            .any(|(key, origins)| *key == "memory_limit" && origins.len() == 3)
    );
    let kinds: Vec<Kind> = stack.files.iter().map(|(_, k)| *k).collect();
    assert_eq!(kinds, [Kind::PhpIni; 3]);
}

#[test]
fn fpm_includes_pools_and_arrays() {
    let stack = load_ok(&[
        (
            "etc/php/8.3/fpm/php-fpm.conf",
            "[global]\npid = /run/php/php8.3-fpm.pid\nerror_log = /var/log/php8.3-fpm.log\n\
             include=/etc/php/8.3/fpm/pool.d/*.conf\n",
        ),
        (
            "etc/php/8.3/fpm/pool.d/www.conf",
            "[www]\nuser = www-data\nlisten = /run/php/$pool.sock\npm = static\n\
             pm.max_children = 8\nrequest_terminate_timeout = 2m\n\
             php_admin_value[memory_limit] = 256M\nphp_admin_value[memory_limit] = 1G\n\
             php_flag[display_errors] = off\nenv[APP_ENV] = production\n\
             pm.max_children = 10\n",
        ),
        (
            "etc/php/8.3/fpm/pool.d/zz-www.conf",
            "; continues www\n[WWW]\nPM.MAX_REQUESTS = 500\n[api]\nlisten = 127.0.0.1:9001\n\
             pm = ondemand\npm.max_children = 4\npm.process_idle_timeout = 1h\n",
        ),
    ]);
    let fpm = stack.fpm.expect("fpm");
    assert_eq!(
        fpm.files,
        [
            "etc/php/8.3/fpm/php-fpm.conf",
            "etc/php/8.3/fpm/pool.d/www.conf",
            "etc/php/8.3/fpm/pool.d/zz-www.conf"
        ]
    );
    assert_eq!(fpm.global.value("pid"), Some("/run/php/php8.3-fpm.pid"));
    assert_eq!(fpm.pools.len(), 2);
    let www: &FpmPool = fpm.pool("www").unwrap();
    assert_eq!(www.listen().value.as_deref(), Some("/run/php/www.sock"));
    assert_eq!(www.pm().value, Pm::Static);
    assert_eq!(www.max_children().value, Some(10));
    assert_eq!(www.request_terminate_timeout().value, Some(120));
    assert_eq!(www.max_requests().value, Some(500));
    assert_eq!(
        www.max_requests().origin.unwrap().to_string(),
        "etc/php/8.3/fpm/pool.d/zz-www.conf:3"
    );
    // FPM applies the first of two php_admin_value lines last: it wins.
    assert_eq!(www.memory_limit(None).value, Some(256 * MIB));
    assert_eq!(www.php_setting("display_errors").unwrap().0.value, "0");
    assert_eq!(www.env.value("APP_ENV"), Some("production"));
    assert!(www.listen_backlog().is_default());
    assert_eq!(www.listen_backlog().value, Some(511));
    let api = fpm.pool("api").unwrap();
    assert_eq!(api.process_idle_timeout().value, Some(3600));
    let duplicates = fpm.duplicates();
    assert!(
        duplicates
            .iter()
            .any(|(pool, key, o)| pool == "www" && key == "pm.max_children" && o.len() == 2)
    );
    assert!(
        duplicates
            .iter()
            .any(|(_, key, _)| key == "php_admin_value memory_limit")
    );
}

#[test]
fn docker_style_relative_include_and_headerless_fragment() {
    let stack = load_ok(&[
        (
            "usr/local/etc/php-fpm.conf",
            "[global]\ninclude=etc/php-fpm.d/*.conf\n",
        ),
        ("usr/local/etc/php-fpm.d/www.conf", POOL),
        (
            "usr/local/etc/php-fpm.d/xlaravel.pool.conf",
            "pm.max_children = 30\ncatch_workers_output = yes\n",
        ),
    ]);
    let fpm = stack.fpm.expect("fpm");
    assert_eq!(fpm.pools.len(), 1, "the fragment continues [www]");
    let www = &fpm.pools[0];
    assert_eq!(www.max_children().value, Some(30));
    assert_eq!(www.catch_workers_output().value, Some(true));
    // Alone, a fragment without a section header gets a pool of its own.
    let stack = load_ok(&[("xlaravel.pool.conf", "listen = 9000\npm = static\n")]);
    let fpm = stack.fpm.expect("fpm");
    assert_eq!(fpm.pools[0].name, "xlaravel.pool.conf");
    assert!(fpm.pools[0].implicit);
}

fn error_of(files: &[(&str, &str)]) -> String {
    match load(files) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_input_is_a_clear_error_naming_file_and_line() {
    let truncated = error_of(&[(
        "pool.d/www.conf",
        "[www]\nlisten = /run/php.sock\npm = dynamic\npm.max_chil",
    )]);
    assert!(
        truncated.starts_with("pool.d/www.conf, line 4: expected `directive = value`"),
        "{truncated}"
    );
    assert!(truncated.contains("cut short"), "{truncated}");
    let cut_header = error_of(&[("www.conf", "[global]\npid = /run/fpm.pid\n[ww")]);
    assert!(cut_header.starts_with("www.conf, line 3:"), "{cut_header}");
    let unknown = error_of(&[("www.conf", &pool_with("pm.max_childs = 5\n"))]);
    assert!(unknown.starts_with("www.conf, line 9:"), "{unknown}");
    assert!(unknown.contains("`pm.max_childs`"), "{unknown}");
    let global = error_of(&[("php-fpm.conf", "[global]\nlisten = 9000\npm = static\n")]);
    assert!(global.starts_with("php-fpm.conf, line 2:"), "{global}");
    let outside = error_of(&[(
        "fpm/php-fpm.conf",
        "[global]\ninclude=../../etc/php-fpm.d/*.conf\n",
    )]);
    assert!(
        outside.starts_with("fpm/php-fpm.conf, line 2:"),
        "{outside}"
    );
    assert!(outside.contains("outside the bundle"), "{outside}");
    assert!(
        outside.contains("upload the included files in the same bundle"),
        "{outside}"
    );
    let missing = error_of(&[(
        "php-fpm.conf",
        "[global]\ninclude=/etc/php/8.3/fpm/pool.d/*.conf\n",
    )]);
    assert!(missing.starts_with("php-fpm.conf, line 2:"), "{missing}");
    assert!(
        missing.contains("include=/etc/php/8.3/fpm/pool.d/*.conf"),
        "{missing}"
    );
    assert!(
        missing.contains("upload the included files in the same bundle"),
        "{missing}"
    );
    let hash = error_of(&[("www.conf", &pool_with("#pm.max_requests = 5\n"))]);
    assert!(hash.starts_with("www.conf, line 9:"), "{hash}");
    let quote = error_of(&[(
        "php.ini",
        "engine = On\nuser_agent = \"unterminated\nx = 1\n",
    )]);
    assert!(quote.starts_with("php.ini, line 2:"), "{quote}");
    let equals = error_of(&[("php.ini", "engine = On\nmemory_limit = a=b\n")]);
    assert!(equals.starts_with("php.ini, line 2:"), "{equals}");
    // Binary data: early NUL bytes make the whole file binary; one past the
    // first 64 KiB is caught on its line.
    let binary = load(&[("php.ini", "memory_limit = 1G\n\0\0\0")]);
    assert!(matches!(binary, Err(AuditError::Binary { ref file }) if file == "php.ini"));
    let mut late = "; padding\n".repeat(7000);
    late.insert_str(0, "memory_limit = 256M\n");
    late.push_str("engine = On\0\n");
    let late = error_of(&[("php.ini", &late)]);
    assert!(late.starts_with("php.ini, line 7002:"), "{late}");
    assert!(late.contains("NUL"), "{late}");
    let nested = error_of(&[(
        "php.ini",
        &format!(
            "error_reporting = {}E_ALL{}",
            "(".repeat(100),
            ")".repeat(100)
        ),
    )]);
    assert!(nested.starts_with("php.ini, line 1:"), "{nested}");
    assert!(nested.contains("nested more than 64 levels"), "{nested}");
    let cycle = error_of(&[
        ("a/php-fpm.conf", "[global]\ninclude=b/*.conf\n"),
        ("a/b/x.conf", "[global]\ninclude=../php-fpm.conf\n"),
    ]);
    assert!(cycle.contains("includes itself"), "{cycle}");
}

#[test]
fn json_dumps_that_are_cut_short_name_the_line() {
    let cut = &constructed("opcache-status-healthy.json")[..400];
    let err = error_of(&[("opcache.json", cut)]);
    assert!(err.starts_with("opcache.json, line "), "{err}");
    assert!(err.contains("cut short"), "{err}");
}

/// Sniffers of other domains' fixtures must not claim them.
#[test]
fn sniff_claims_php_files_only() {
    let root = fixtures();
    let mut checked = 0;
    for folder in ["mysql", "redis", "nginx", "grafana", "prometheus", "status"] {
        for entry in std::fs::read_dir(root.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            let name = format!("{folder}/{}", path.file_name().unwrap().to_string_lossy());
            let bytes = std::fs::read(&path).unwrap();
            let head = &bytes[..bytes.len().min(64 * 1024)];
            let kind = php::sniff(&name, head);
            let expected = if name.contains("phpfpm") {
                Some(Kind::FpmStatus)
            } else {
                None
            };
            assert_eq!(kind, expected, "{name}");
            checked += 1;
        }
    }
    assert!(checked >= 30);
    for (folder, kind) in [("php", Kind::PhpIni), ("php-fpm", Kind::FpmConf)] {
        for entry in std::fs::read_dir(root.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            let name = format!("{folder}/{}", path.file_name().unwrap().to_string_lossy());
            let bytes = std::fs::read(&path).unwrap();
            let head = &bytes[..bytes.len().min(64 * 1024)];
            assert_eq!(php::sniff(&name, head), Some(kind), "{name}");
        }
    }
    // A my.cnf that happens to hold a PHP-looking key is still not php.ini.
    assert_eq!(
        php::sniff(
            "my.ini",
            b"[mysqld]\nmax_execution_time = 1000\nmemory_limit = 1\n"
        ),
        None
    );
    assert_eq!(php::sniff("x.conf", b"server {\n listen 80;\n}\n"), None);
}

/// Every prefix of every fixture, and some noise, loads or fails cleanly.
#[test]
fn no_input_panics() {
    let root = fixtures();
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    for folder in ["php", "php-fpm", "status", "constructed-php"] {
        for entry in std::fs::read_dir(root.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            let name = format!("{folder}/{}", path.file_name().unwrap().to_string_lossy());
            inputs.push((name, std::fs::read(&path).unwrap()));
        }
    }
    for (name, bytes) in &inputs {
        let step = (bytes.len() / 97).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let source = MemorySource::new(name.clone(), bytes[..cut].to_vec());
            let stack = audit::load(&[&source as &dyn Source]);
            if let Ok(stack) = stack {
                let _ = audit::evaluate(&stack, &host(GIB, None, Some(10)));
            }
        }
    }
    for noise in [
        "[www]\nlisten=\"\nx",
        "memory_limit = ${",
        "memory_limit = ((((",
        "memory_limit = ~",
        "[",
        "pm = \u{0}",
        "memory_limit = 99999999999999999999999G",
        "[www]\npm.max_children = -99999999999999999999\nlisten = 1\npm=static",
        "{\"pool\": 1, \"process manager\": []}",
        "{\"opcache_enabled\": \"x\", \"opcache_statistics\": {\"hits\": -5, \"misses\": 1e308}}",
        "pool: www\nprocess manager: dynamic\nstart since: x\n",
        &format!(
            "error_reporting = {}E_ALL{}",
            "(".repeat(100_000),
            ")".repeat(100_000)
        ),
        &format!("error_reporting = {}E_ALL", "~".repeat(100_000)),
    ] {
        let source = MemorySource::new("noise.ini", noise.as_bytes().to_vec());
        if let Ok(stack) = audit::load(&[&source as &dyn Source]) {
            let _ = audit::evaluate(&stack, &host(GIB, None, Some(10)));
        }
    }
}

// ------------------------------------------------------------ snapshots

fn mine(rule: &str) -> bool {
    ["php.", "fpm.", "m.opcache.", "m.fpm."]
        .iter()
        .any(|p| rule.starts_with(p))
}

/// Findings as stable text: files read, then per rule its outcome, value,
/// threshold, location, defaults assumed and detail.
fn render(stack: &Stack, findings: &[Finding]) -> String {
    let mut out = String::new();
    for (file, kind) in &stack.files {
        let _ = writeln!(out, "file: {file} ({kind})");
    }
    let notes = stack
        .php
        .iter()
        .flat_map(|p| &p.notes)
        .chain(stack.fpm.iter().flat_map(|f| &f.notes));
    for note in notes {
        let _ = writeln!(out, "note: {}: {}", note.origin, note.message);
    }
    for f in findings.iter().filter(|f| mine(&f.rule)) {
        let e = &f.evaluation;
        let _ = writeln!(out, "\n{} [{}] {}", f.rule, f.severity.as_str(), e.outcome);
        if let Some(value) = &e.value {
            let _ = writeln!(out, "  value: {value}");
        }
        if !e.threshold.is_empty() {
            let _ = writeln!(out, "  threshold: {}", e.threshold);
        }
        let _ = writeln!(out, "  at: {}", location(f));
        for a in &e.defaults_assumed {
            let _ = writeln!(out, "  assumed: {a}");
        }
        let _ = writeln!(out, "  detail: {}", e.detail);
    }
    out
}

fn snapshot(name: &str, text: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/audit_php")
        .join(format!("{name}.txt"));
    if std::env::var("UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing; run with UPDATE_SNAPSHOTS=1 and review it",
            path.display()
        )
    });
    assert!(
        expected == text,
        "{name}: findings differ from {}; run with UPDATE_SNAPSHOTS=1 after review.\n--- \
         expected\n{expected}\n--- actual\n{text}",
        path.display()
    );
}

fn snapshot_upload(name: &str, files: &[MemorySource], inputs: &Inputs) {
    let refs: Vec<&dyn Source> = files.iter().map(|s| s as &dyn Source).collect();
    let stack = audit::load(&refs).unwrap_or_else(|e| panic!("{name} loads: {e}"));
    let findings = audit::evaluate(&stack, inputs);
    snapshot(name, &render(&stack, &findings));
}

#[test]
fn every_fixture_alone_parses_and_its_findings_are_pinned() {
    let root = fixtures();
    let mut count = 0;
    for folder in ["php", "php-fpm", "status", "constructed-php"] {
        let mut names: Vec<String> = std::fs::read_dir(root.join(folder))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| folder != "status" || n.contains("phpfpm"))
            .filter(|n| !n.ends_with(".md"))
            .collect();
        names.sort();
        for name in names {
            let file = fixture(&format!("{folder}/{name}"));
            snapshot_upload(&name, &[file], &none());
            count += 1;
        }
    }
    assert_eq!(count, 4 + 4 + 5 + 2);
}

#[test]
fn php_ini_fragments_and_a_pool_together() {
    let files = [
        fixture("php/biodiversity-php84-php.ini-production"),
        fixture("php/laradock-laravel.ini"),
        fixture("php/laradock-opcache.ini"),
        fixture("php-fpm/biodiversity-www.conf"),
        fixture("constructed-php/opcache-status-healthy.json"),
        fixture("status/netdata-phpfpm-status.json"),
        fixture("status/netdata-phpfpm-status-full.txt"),
    ];
    let refs: Vec<&dyn Source> = files.iter().map(|s| s as &dyn Source).collect();
    let stack = audit::load(&refs).unwrap();
    let ini = stack.php.as_ref().unwrap();
    assert_eq!(ini.files[0], "php/biodiversity-php84-php.ini-production");
    // laravel.ini (a fragment) overrides the production file's default.
    assert_eq!(ini.memory_limit().value, Some(256 * MIB));
    assert_eq!(ini.opcache_memory_consumption().value, 256 * MIB);
    assert_eq!(ini.value("error_reporting"), Some("24575"));
    assert_eq!(
        stack.fpm.as_ref().unwrap().pools[0]
            .php_setting("open_basedir")
            .map(|(s, _)| s.value.as_str()),
        Some("/tmp:/var/tmp:/var/www:/srv")
    );
    assert_eq!(stack.fpm_status.as_ref().unwrap().samples.len(), 2);
    snapshot_upload(
        "combined",
        &files,
        &Inputs {
            target_rps: Some(40.0),
            ..host(8 * GIB, Some(90 * MIB), Some(24_000))
        },
    );
}
