//! Fuzz target: audit evidence. `audit::load` over one in-memory file, then
//! `audit::evaluate` with every rule, with and without a host profile.
//!
//! Recognition reads the file's name as well as its content (`php.ini`,
//! `*.conf` pools, `my.cnf`, `redis.conf`, a Grafana `.json`), so the first
//! byte of the input picks the name from `NAMES` and the rest is the file.
//! bench/fuzz.sh seeds the corpus with each audit fixture behind the byte
//! of the name it would carry, so the fuzzer starts deep inside the parser
//! of each kind and still tries every name.

#![no_main]

use libfuzzer_sys::fuzz_target;
use readiness_core::audit::{self, HostProfile, Inputs, Role, Server};
use readiness_core::input::{MemorySource, Source};

/// The names a file of each kind plausibly carries. bench/fuzz.sh writes
/// the index of a name as a seed's first byte: keep the two in step.
const NAMES: [&str; 20] = [
    "php.ini",              // 0
    "conf.d/99-app.ini",    // 1
    "www.conf",             // 2
    "php-fpm.conf",         // 3
    "my.cnf",               // 4
    "redis.conf",           // 5
    "nginx.conf",           // 6
    "global_status.txt",    // 7: SHOW GLOBAL STATUS
    "global_variables.txt", // 8: SHOW GLOBAL VARIABLES
    "redis-info.txt",       // 9: redis-cli INFO
    "fpm-status.json",      // 10: php-fpm status (?json, text)
    "opcache-status.json",  // 11: opcache_get_status()
    "digest.tsv",           // 12: events_statements_summary_by_digest
    "digest.csv",           // 13
    "digest.json",          // 14
    "histogram.tsv",        // 15: events_statements_histogram_global
    "slow.log",             // 16
    "dashboard.json",       // 17: Grafana
    "rules.yml",            // 18: Prometheus
    "stub_status.txt",      // 19: nginx stub_status
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, content)) = data.split_first() else {
        return;
    };
    let name = NAMES[usize::from(selector) % NAMES.len()];
    let source = MemorySource::new(name, content);
    let sources: [&dyn Source; 1] = [&source];
    let stack = match audit::load(&sources) {
        Ok(stack) => stack,
        Err(err) => {
            assert!(
                !err.to_string().trim().is_empty(),
                "an empty error: {err:?}"
            );
            return;
        }
    };
    for inputs in [Inputs::default(), with_host()] {
        for finding in audit::evaluate(&stack, &inputs) {
            // Findings are shown and exported as JSON: every one must
            // serialize.
            drop(serde_json::to_string(&finding));
        }
    }
});

/// A host profile, targets and a service time, so the rules that need them
/// (memory budget, pool sizing, capacity) run instead of staying
/// unverified.
fn with_host() -> Inputs {
    Inputs {
        host: Some(HostProfile {
            servers: vec![Server {
                name: "app1".to_owned(),
                roles: vec![Role::Web, Role::Php, Role::Db, Role::Cache],
                ram_bytes: 8 << 30,
                cpus: 4,
            }],
            php_files: Some(12_000),
            worker_rss_bytes: Some(64 << 20),
            queue_workers: Some(2),
            redis_shared: Some(true),
            tls_at_load_balancer: Some(false),
        }),
        target_users: Some(100.0),
        target_rps: Some(100.0),
        mean_service_s: Some(0.2),
        heuristics: Default::default(),
    }
}
