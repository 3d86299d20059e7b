//! The MySQL/MariaDB domain of the audit: option files, SHOW GLOBAL
//! STATUS/VARIABLES, the workload exports, every mysql.*, m.mysql.* and
//! db.* rule, and the workload figures.
//!
//! Real inputs: tests/fixtures/audit/mysql and tests/fixtures/audit/status
//! (see tests/fixtures/audit/PROVENANCE.md). Constructed inputs:
//! tests/fixtures/audit/constructed-mysql (see its README.md: how each file
//! was built, from which documentation, and the awk commands that computed
//! the expected workload figures independently of this crate). Rule cases
//! are built inline, each as small as the rule allows.
//!
//! Findings of each fixture are pinned by snapshots in
//! tests/snapshots/audit_mysql/; `UPDATE_SNAPSHOTS=1 cargo test` rewrites
//! them, to be reviewed by hand before committing.

use readiness_core::audit::mysql::{self, Flavour, Version};
use readiness_core::audit::{
    AuditError, Finding, HostProfile, Inputs, Kind, Role, Server, Stack, evaluate, load,
};
use readiness_core::input::{MemorySource, Source};
use readiness_core::targets::Outcome;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/audit");
const SNAPSHOTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/audit_mysql");
const GIB: u64 = 1 << 30;

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{FIXTURES}/{path}");
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// A fixture under the name it would have in an upload.
fn upload(path: &str, name: &str) -> MemorySource {
    MemorySource::new(name, fixture(path))
}

fn text(name: &str, content: &str) -> MemorySource {
    MemorySource::new(name, content.as_bytes().to_vec())
}

fn try_load(files: &[MemorySource]) -> Result<Stack, AuditError> {
    let sources: Vec<&dyn Source> = files.iter().map(|f| f as &dyn Source).collect();
    load(&sources)
}

fn load_ok(files: &[MemorySource]) -> Stack {
    try_load(files).unwrap_or_else(|e| panic!("load failed: {e}"))
}

fn load_err(files: &[MemorySource]) -> String {
    match try_load(files) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

fn host(ram_gib: u64, roles: &[Role]) -> Inputs {
    Inputs {
        host: Some(HostProfile {
            servers: vec![Server {
                name: "db1".to_owned(),
                roles: roles.to_vec(),
                ram_bytes: ram_gib * GIB,
                cpus: 4,
            }],
            ..HostProfile::default()
        }),
        ..Inputs::default()
    }
}

fn dedicated(ram_gib: u64) -> Inputs {
    host(ram_gib, &[Role::Db])
}

fn finding(stack: &Stack, inputs: &Inputs, id: &str) -> Finding {
    evaluate(stack, inputs)
        .into_iter()
        .find(|f| f.rule == id)
        .unwrap_or_else(|| panic!("no rule {id}"))
}

/// The outcome of a rule over some files, with the finding for messages.
fn judge(files: &[MemorySource], inputs: &Inputs, id: &str) -> (Outcome, Finding) {
    let f = finding(&load_ok(files), inputs, id);
    (f.evaluation.outcome, f)
}

#[track_caller]
fn expect(files: &[MemorySource], inputs: &Inputs, id: &str, outcome: Outcome) -> Finding {
    let (got, f) = judge(files, inputs, id);
    assert_eq!(got, outcome, "{id}: {:#?}", f.evaluation);
    f
}

fn cnf(content: &str) -> MemorySource {
    text("etc/mysql/my.cnf", content)
}

/// A `mysql -B` dump of name/value pairs.
fn tsv(name: &str, pairs: &[(&str, &str)]) -> MemorySource {
    let mut out = String::from("Variable_name\tValue\n");
    for (n, v) in pairs {
        out.push_str(&format!("{n}\t{v}\n"));
    }
    text(name, &out)
}

fn variables(pairs: &[(&str, &str)]) -> MemorySource {
    tsv("global_variables.tsv", pairs)
}

fn status(pairs: &[(&str, &str)]) -> MemorySource {
    tsv("global_status.tsv", pairs)
}

fn is_mysql_rule(id: &str) -> bool {
    id.starts_with("mysql.") || id.starts_with("m.mysql.") || id.starts_with("db.")
}

/// Findings as stable text, one block per rule.
fn render(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings.iter().filter(|f| is_mysql_rule(&f.rule)) {
        let e = &f.evaluation;
        out.push_str(&format!(
            "## {} [{}] {}\n",
            f.rule,
            f.severity.as_str(),
            e.outcome
        ));
        if let Some(value) = &e.value {
            out.push_str(&format!("value: {value}\n"));
        }
        if !e.threshold.is_empty() {
            out.push_str(&format!("threshold: {}\n", e.threshold));
        }
        if let Some(location) = &e.location {
            out.push_str(&format!("location: {location}\n"));
        }
        out.push_str(&format!("detail: {}\n", e.detail));
        for a in &e.defaults_assumed {
            out.push_str(&format!("assumed: {a}\n"));
        }
        out.push('\n');
    }
    out
}

#[track_caller]
fn snapshot(name: &str, files: &[MemorySource], inputs: &Inputs, about: &str) {
    let stack = load_ok(files);
    let mut names: Vec<String> = stack
        .files
        .iter()
        .map(|(n, k)| format!("{n} ({k})"))
        .collect();
    names.sort();
    let body = format!(
        "# {about}\n# files: {}\n\n{}",
        names.join(", "),
        render(&evaluate(&stack, inputs))
    );
    let path = format!("{SNAPSHOTS}/{name}.txt");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(SNAPSHOTS).unwrap();
        std::fs::write(&path, &body).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (run with UPDATE_SNAPSHOTS=1 to create it)"));
    if expected != body {
        let line = expected
            .lines()
            .zip(body.lines())
            .position(|(a, b)| a != b)
            .map_or(expected.lines().count().min(body.lines().count()), |i| i);
        panic!(
            "{path} differs from the findings at line {}:\n expected: {:?}\n      got: {:?}\n(run \
             with UPDATE_SNAPSHOTS=1 to rewrite it, then review the diff)",
            line + 1,
            expected.lines().nth(line),
            body.lines().nth(line)
        );
    }
}

// ---------------------------------------------------------------------
// Recognition
// ---------------------------------------------------------------------

#[test]
fn each_fixture_is_recognized_as_its_kind() {
    let cases = [
        ("mysql/laradock-mariadb-my.cnf", Kind::MyCnf),
        ("mysql/laradock-mysql-my.cnf", Kind::MyCnf),
        ("mysql/mariadb-docker-11.4-ubi-docker.cnf", Kind::MyCnf),
        ("mysql/mariadb-docker-docker.cnf", Kind::MyCnf),
        (
            "status/netdata-mysql-8.0.30-global_status.txt",
            Kind::MysqlStatus,
        ),
        (
            "status/netdata-mysql-8.0.30-global_variables.txt",
            Kind::MysqlVariables,
        ),
        (
            "status/netdata-mysql-8.0.30-version.txt",
            Kind::MysqlVariables,
        ),
        (
            "status/netdata-mariadb-10.8.4-global_status.txt",
            Kind::MysqlStatus,
        ),
        (
            "status/netdata-mariadb-10.8.4-global_variables.txt",
            Kind::MysqlVariables,
        ),
        (
            "status/netdata-mariadb-10.8.4-version.txt",
            Kind::MysqlVariables,
        ),
        ("constructed-mysql/etc/mysql/my.cnf", Kind::MyCnf),
        ("constructed-mysql/etc/mysql/conf.d/mysql.cnf", Kind::MyCnf),
        (
            "constructed-mysql/etc/mysql/mysql.conf.d/mysqld.cnf",
            Kind::MyCnf,
        ),
        (
            "constructed-mysql/etc/mysql/mysql.conf.d/zz-laravel.cnf",
            Kind::MyCnf,
        ),
        (
            "constructed-mysql/mysql-8.0.36-global-status.tsv",
            Kind::MysqlStatus,
        ),
        (
            "constructed-mysql/mysql-8.0.36-global-variables.tsv",
            Kind::MysqlVariables,
        ),
        (
            "constructed-mysql/mysql-8.0.36-digest-after.tsv",
            Kind::StatementDigest,
        ),
        (
            "constructed-mysql/mysql-8.0.36-digest-before.tsv",
            Kind::StatementDigest,
        ),
        (
            "constructed-mysql/mysql-8.0.36-histogram-after.tsv",
            Kind::StatementHistogram,
        ),
        (
            "constructed-mysql/mysql-8.0.36-histogram-before.tsv",
            Kind::StatementHistogram,
        ),
        ("constructed-mysql/mysql-8.0.36-slow.log", Kind::SlowLog),
        ("constructed-mysql/mariadb-10.11-slow.log", Kind::SlowLog),
    ];
    for (path, kind) in cases {
        let bytes = fixture(path);
        let head = &bytes[..bytes.len().min(64 * 1024)];
        assert_eq!(mysql::sniff(path, head), Some(kind), "{path}");
    }
}

#[test]
fn other_configurations_are_not_claimed() {
    let others = [
        "php/biodiversity-php84-php.ini-production",
        "php/laradock-laravel.ini",
        "php/laradock-opcache.ini",
        "php/laradock-php8.4.ini",
        "php-fpm/biodiversity-www.conf",
        "php-fpm/laradock-xlaravel.pool.conf",
        "php-fpm/php-src-00443c77-www.conf.in",
        "php-fpm/php-src-020adfc7-php-fpm.conf.in",
        "redis/laradock-redis.conf",
        "redis/redis.conf",
        "nginx/fastcgi.conf",
        "nginx/fastcgi_params",
        "nginx/laradock-nginx.conf",
        "nginx/laradock-sites-default.conf",
        "nginx/laradock-sites-laravel.conf",
        "nginx/nginx.conf",
        "status/netdata-mysql-8.0.30-process_list.txt",
        "status/netdata-nginx-stub_status.txt",
        "status/netdata-phpfpm-status.txt",
        "status/netdata-phpfpm-status-full.txt",
        "status/netdata-phpfpm-status.json",
        "status/netdata-redis-6.0.9-info_all.txt",
        "prometheus/mysqld_exporter-mixin-alerts-general.yaml",
        "grafana/mysqld_exporter-mixin-mysql-overview.json",
    ];
    for path in others {
        let bytes = fixture(path);
        let head = &bytes[..bytes.len().min(64 * 1024)];
        assert_eq!(mysql::sniff(path, head), None, "{path}");
    }
}

// ---------------------------------------------------------------------
// Every fixture parses
// ---------------------------------------------------------------------

#[test]
fn every_fixture_parses_alone() {
    for path in [
        "mysql/laradock-mariadb-my.cnf",
        "mysql/laradock-mysql-my.cnf",
        "mysql/mariadb-docker-11.4-ubi-docker.cnf",
        "mysql/mariadb-docker-docker.cnf",
        "status/netdata-mysql-8.0.30-global_status.txt",
        "status/netdata-mysql-8.0.30-global_variables.txt",
        "status/netdata-mysql-8.0.30-version.txt",
        "status/netdata-mariadb-10.8.4-global_status.txt",
        "status/netdata-mariadb-10.8.4-global_variables.txt",
        "status/netdata-mariadb-10.8.4-version.txt",
        "constructed-mysql/etc/mysql/my.cnf",
        "constructed-mysql/etc/mysql/conf.d/mysql.cnf",
        "constructed-mysql/etc/mysql/mysql.conf.d/mysqld.cnf",
        "constructed-mysql/etc/mysql/mysql.conf.d/zz-laravel.cnf",
        "constructed-mysql/mysql-8.0.36-global-status.tsv",
        "constructed-mysql/mysql-8.0.36-global-variables.tsv",
        "constructed-mysql/mysql-8.0.36-digest-after.tsv",
        "constructed-mysql/mysql-8.0.36-digest-before.tsv",
        "constructed-mysql/mysql-8.0.36-histogram-after.tsv",
        "constructed-mysql/mysql-8.0.36-histogram-before.tsv",
        "constructed-mysql/mysql-8.0.36-slow.log",
        "constructed-mysql/mariadb-10.11-slow.log",
    ] {
        let stack = try_load(&[upload(path, path)]).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(stack.files.len(), 1, "{path}: {:?}", stack.files);
    }
}

#[test]
fn the_status_dumps_keep_every_row_with_its_line() {
    let stack = load_ok(&[upload(
        "status/netdata-mysql-8.0.30-global_status.txt",
        "status.txt",
    )]);
    let s = stack.mysql_status.unwrap();
    // 490 lines: three borders and the header leave 486 rows.
    assert_eq!(s.len(), 486);
    assert_eq!(s.u64("Uptime"), Some(152));
    assert_eq!(s.u64("Innodb_buffer_pool_read_requests"), Some(16723));
    assert_eq!(s.origin("Aborted_clients").map(|o| o.line), Some(4));
    assert_eq!(
        s.text("Innodb_buffer_pool_load_status"),
        Some("Buffer pool(s) load completed at 220818 12:50:46")
    );
    assert_eq!(s.text("Ssl_cipher_list"), Some(""));

    let stack = load_ok(&[upload(
        "status/netdata-mariadb-10.8.4-global_status.txt",
        "status.txt",
    )]);
    let s = stack.mysql_status.unwrap();
    // 569 lines (the last without a line end): 565 rows.
    assert_eq!(s.len(), 565);
    assert_eq!(s.u64("Uptime"), Some(52310));
}

#[test]
fn variables_and_version_files_merge_and_name_the_server() {
    let stack = load_ok(&[
        upload(
            "status/netdata-mariadb-10.8.4-global_variables.txt",
            "vars.txt",
        ),
        upload("status/netdata-mariadb-10.8.4-version.txt", "version.txt"),
    ]);
    let server = mysql::server_info(&stack);
    assert_eq!(server.flavour, Some(Flavour::MariaDb));
    assert_eq!(server.version, Some(Version::new(10, 8, 4)));
    let vars = stack.mysql_variables.as_ref().unwrap();
    assert_eq!(vars.u64("max_connections"), Some(151));
    assert_eq!(vars.on("log_bin"), Some(true));
    assert_eq!(vars.files().len(), 2);

    let stack = load_ok(&[
        upload(
            "status/netdata-mysql-8.0.30-global_variables.txt",
            "vars.txt",
        ),
        upload("status/netdata-mysql-8.0.30-version.txt", "version.txt"),
    ]);
    let server = mysql::server_info(&stack);
    assert_eq!(server.flavour, Some(Flavour::MySql));
    assert_eq!(server.version, Some(Version::new(8, 0, 30)));
    assert_eq!(
        stack
            .mysql_variables
            .unwrap()
            .text("disabled_storage_engines"),
        Some("")
    );
}

#[test]
fn an_option_file_reads_its_includes_from_the_same_upload() {
    // The official MariaDB image's docker.cnf, with a file in one of the
    // folders it includes.
    let files = [
        upload("mysql/mariadb-docker-docker.cnf", "etc/mysql/my.cnf"),
        text(
            "etc/mysql/conf.d/tuning.cnf",
            "[mariadb]\ninnodb_buffer_pool_size = 2G\nslow_query_log\n",
        ),
    ];
    let stack = load_ok(&files);
    assert_eq!(
        stack.files,
        vec![
            ("etc/mysql/my.cnf".to_owned(), Kind::MyCnf),
            ("etc/mysql/conf.d/tuning.cnf".to_owned(), Kind::MyCnf),
        ]
    );
    let m = mysql::view(&stack);
    assert_eq!(m.server.flavour, Some(Flavour::MariaDb));
    let pool = m.innodb_buffer_pool_size().unwrap();
    assert_eq!(pool.value, 2 * GIB);
    assert_eq!(
        pool.origin.map(|o| o.to_string()),
        Some("etc/mysql/conf.d/tuning.cnf:2".to_owned())
    );
    let cnf = stack.mysql.as_ref().unwrap();
    // `# 11.3, 11.4` after the value is a comment; `[client-server]` is
    // read by MariaDB's server too.
    let collations = cnf
        .options()
        .iter()
        .find(|o| o.name == "character_set_collations")
        .unwrap();
    assert_eq!(collations.value, "utf8mb4=uca1400_ai_ci");
    assert!(mysql::reads_group("client-server", &m.server));
    let dirs: Vec<(String, usize)> = cnf
        .include_dirs()
        .iter()
        .map(|d| (d.directory.clone(), d.files))
        .collect();
    assert_eq!(
        dirs,
        [
            ("/etc/mysql/mariadb.conf.d".to_owned(), 0),
            ("/etc/mysql/conf.d".to_owned(), 1)
        ]
    );
}

#[test]
fn the_constructed_debian_layout_reads_in_server_order() {
    let stack = load_ok(&constructed_production());
    let names: Vec<&str> = stack
        .mysql
        .as_ref()
        .unwrap()
        .files()
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(
        names,
        [
            "etc/mysql/my.cnf",
            "etc/mysql/conf.d/mysql.cnf",
            "etc/mysql/mysql.conf.d/mysqld.cnf",
            "etc/mysql/mysql.conf.d/zz-laravel.cnf",
        ]
    );
    let m = mysql::view(&stack);
    // SHOW GLOBAL VARIABLES (500, from SET PERSIST) wins over my.cnf (300).
    let connections = m.max_connections().unwrap();
    assert_eq!(connections.value, 500);
    assert_eq!(
        connections.origin.unwrap().file,
        "mysql-8.0.36-global-variables.tsv"
    );
    let setting = m.setting("max_connections").unwrap();
    assert_eq!(
        setting.file_value.map(|(v, o)| (v, o.to_string())),
        Some((
            "300".to_owned(),
            "etc/mysql/mysql.conf.d/zz-laravel.cnf:6".to_owned()
        ))
    );
    // The later file's bind-address wins over mysqld.cnf's.
    let cnf = stack.mysql.as_ref().unwrap();
    assert_eq!(
        cnf.server_value("bind_address", &m.server)
            .map(|o| o.value.as_str()),
        Some("10.0.1.20")
    );
    // The per-thread buffers and the accessors cross-file rules use.
    let per_thread = m.per_thread().unwrap();
    assert_eq!(per_thread.sort_buffer.value, 4 << 20);
    assert_eq!(per_thread.tmp_table.value, 64 << 20);
    assert_eq!(
        per_thread.total(),
        131_072 + 262_144 + (4 << 20) + (4 << 20) + (1 << 20) + 32_768 + (64 << 20)
    );
    assert_eq!(m.key_buffer_size().unwrap().value, 16 << 20);
    assert_eq!(m.innodb_log_buffer_size().unwrap().value, 16 << 20);
    assert_eq!(m.max_used_connections().unwrap().value, 187);
}

#[test]
fn defaults_are_resolved_without_an_origin() {
    let stack = load_ok(&[cnf("[mysqld]\nport = 3306\n")]);
    let m = mysql::view(&stack);
    let pool = m.innodb_buffer_pool_size().unwrap();
    assert_eq!(pool.value, 128 << 20);
    assert!(pool.is_default());
    assert_eq!(m.max_connections().unwrap().value, 151);
    assert!(m.max_used_connections().is_none());
    // Without any configuration there is nothing to resolve.
    let empty = Stack::default();
    assert!(mysql::view(&empty).innodb_buffer_pool_size().is_none());
}

#[test]
fn option_file_syntax_of_section_8() {
    let stack = load_ok(&[cnf(concat!(
        "\u{feff}# comment\r\n",
        "; another\r\n",
        "[client]\r\n",
        "port = 3307\r\n",
        "[mysqld]\r\n",
        "Innodb-Buffer-Pool-Size = 1G   # a trailing comment\r\n",
        "skip-name-resolve\r\n",
        "disable-log-bin\r\n",
        "enable-general-log\r\n",
        "loose-innodb_no_such_thing = 1\r\n",
        "maximum-sort_buffer_size = 64M\r\n",
        "sort_buffer_size = 2M\r\n",
        "init_connect = \"SET NAMES utf8mb4 # kept\"\r\n",
        "log_error = 'C:\\\\logs\\\\err.log'\r\n",
        "[mysqld-8.0]\r\n",
        "max_connections = 200\r\n",
        "[mysqld-5.7]\r\n",
        "max_connections = 50\r\n",
    ))]);
    let m = mysql::view(&stack);
    let value = |name: &str| m.setting(name).map(|v| v.text);
    assert_eq!(m.innodb_buffer_pool_size().unwrap().value, GIB);
    assert_eq!(value("skip_name_resolve").as_deref(), Some("ON"));
    assert_eq!(value("log_bin").as_deref(), Some("OFF"));
    assert_eq!(value("general_log").as_deref(), Some("ON"));
    // `maximum-` sets a ceiling, not the value; [client] is not the server.
    assert_eq!(value("sort_buffer_size").as_deref(), Some("2M"));
    assert_eq!(value("port"), None);
    assert_eq!(
        value("init_connect").as_deref(),
        Some("SET NAMES utf8mb4 # kept")
    );
    assert_eq!(value("log_error").as_deref(), Some("C:\\logs\\err.log"));
    // Flavour and version unknown: [mysqld-8.0] and [mysqld-5.7] both
    // count and the last wins; with MySQL 8.0.36 known, only [mysqld-8.0].
    assert_eq!(value("max_connections").as_deref(), Some("50"));
    let with_version = load_ok(&[stack_file_again(), variables(&[("version", "8.0.36")])]);
    let m = mysql::view(&with_version);
    assert_eq!(
        m.setting("max_connections").map(|v| v.text).as_deref(),
        Some("200")
    );
}

fn stack_file_again() -> MemorySource {
    cnf("[mysqld-8.0]\nmax_connections = 200\n[mysqld-5.7]\nmax_connections = 50\n")
}

// ---------------------------------------------------------------------
// Snapshots of the findings per fixture
// ---------------------------------------------------------------------

fn constructed(path: &str) -> MemorySource {
    upload(&format!("constructed-mysql/{path}"), path)
}

fn constructed_production() -> Vec<MemorySource> {
    [
        "etc/mysql/my.cnf",
        "etc/mysql/conf.d/mysql.cnf",
        "etc/mysql/mysql.conf.d/mysqld.cnf",
        "etc/mysql/mysql.conf.d/zz-laravel.cnf",
        "mysql-8.0.36-global-variables.tsv",
        "mysql-8.0.36-global-status.tsv",
        "mysql-8.0.36-digest-before.tsv",
        "mysql-8.0.36-digest-after.tsv",
        "mysql-8.0.36-histogram-before.tsv",
        "mysql-8.0.36-histogram-after.tsv",
        "mysql-8.0.36-slow.log",
    ]
    .iter()
    .map(|p| constructed(p))
    .collect()
}

#[test]
fn snapshot_laradock_mysql() {
    snapshot(
        "laradock-mysql-my.cnf",
        &[upload("mysql/laradock-mysql-my.cnf", "my.cnf")],
        &dedicated(8),
        "mysql/laradock-mysql-my.cnf alone; host: db1, 8 GiB, db only",
    );
}

#[test]
fn snapshot_laradock_mariadb() {
    snapshot(
        "laradock-mariadb-my.cnf",
        &[upload("mysql/laradock-mariadb-my.cnf", "my.cnf")],
        &dedicated(8),
        "mysql/laradock-mariadb-my.cnf alone; host: db1, 8 GiB, db only",
    );
}

#[test]
fn snapshot_mariadb_docker() {
    snapshot(
        "mariadb-docker-docker.cnf",
        &[upload(
            "mysql/mariadb-docker-docker.cnf",
            "etc/mysql/my.cnf",
        )],
        &dedicated(8),
        "mysql/mariadb-docker-docker.cnf alone; host: db1, 8 GiB, db only",
    );
}

#[test]
fn snapshot_mariadb_docker_ubi() {
    snapshot(
        "mariadb-docker-11.4-ubi-docker.cnf",
        &[upload(
            "mysql/mariadb-docker-11.4-ubi-docker.cnf",
            "etc/my.cnf.d/docker.cnf",
        )],
        &Inputs::default(),
        "mysql/mariadb-docker-11.4-ubi-docker.cnf alone; no host profile",
    );
}

#[test]
fn snapshot_netdata_mysql() {
    snapshot(
        "netdata-mysql-8.0.30",
        &[
            upload(
                "status/netdata-mysql-8.0.30-global_status.txt",
                "global_status.txt",
            ),
            upload(
                "status/netdata-mysql-8.0.30-global_variables.txt",
                "global_variables.txt",
            ),
            upload("status/netdata-mysql-8.0.30-version.txt", "version.txt"),
        ],
        &dedicated(8),
        "netdata MySQL 8.0.30 status, variables and version; host: db1, 8 GiB, db only",
    );
}

#[test]
fn snapshot_netdata_mariadb() {
    snapshot(
        "netdata-mariadb-10.8.4",
        &[
            upload(
                "status/netdata-mariadb-10.8.4-global_status.txt",
                "global_status.txt",
            ),
            upload(
                "status/netdata-mariadb-10.8.4-global_variables.txt",
                "global_variables.txt",
            ),
            upload("status/netdata-mariadb-10.8.4-version.txt", "version.txt"),
        ],
        &dedicated(8),
        "netdata MariaDB 10.8.4 status, variables and version; host: db1, 8 GiB, db only",
    );
}

#[test]
fn snapshot_constructed_production() {
    snapshot(
        "constructed-production",
        &constructed_production(),
        &dedicated(8),
        "constructed MySQL 8.0.36 shop: Debian option files, variables, status, digests, \
         histograms, slow log; host: db1, 8 GiB, db only",
    );
}

// ---------------------------------------------------------------------
// The workload figures
// ---------------------------------------------------------------------

// The expected values below were computed with awk over the export files,
// independently of this crate; README.md of constructed-mysql shows the
// commands.

#[test]
fn p95_from_the_histogram_with_its_error_bound() {
    let stack = load_ok(&[constructed("mysql-8.0.36-histogram-after.tsv")]);
    let p95 = mysql::db_p95_ms(&stack.workload);
    // 432850 statements; rank ⌈0.95 × 432850⌉ = 411208 falls in bucket 117,
    // [2089296130, 2187761623) ps.
    assert_eq!(p95.value, Some(2.187761623));
    assert!(p95.detail.contains("bucket 117"), "{}", p95.detail);
    assert!(p95.detail.contains("0.0985 ms"), "{}", p95.detail);
    assert_eq!(
        p95.origin.map(|o| o.to_string()),
        Some("mysql-8.0.36-histogram-after.tsv:119".to_owned())
    );

    // Before and after the run: the delta (224850 statements, rank 213608)
    // falls in bucket 120, [2398832919, 2511886431) ps.
    let stack = load_ok(&[
        constructed("mysql-8.0.36-histogram-after.tsv"),
        constructed("mysql-8.0.36-histogram-before.tsv"),
    ]);
    let p95 = mysql::db_p95_ms(&stack.workload);
    assert_eq!(p95.value, Some(2.511886431));
    assert!(p95.detail.contains("224850 statements"), "{}", p95.detail);
    assert!(p95.detail.contains("the delta between"), "{}", p95.detail);

    let none = mysql::db_p95_ms(&Stack::default().workload);
    assert_eq!(none.value, None);
    assert!(
        none.detail
            .contains("no events_statements_histogram_global")
    );
}

#[test]
fn p95_in_the_open_last_bucket_is_a_lower_bound() {
    let mut export = String::from(
        "BUCKET_NUMBER\tBUCKET_TIMER_LOW\tBUCKET_TIMER_HIGH\tCOUNT_BUCKET\tCOUNT_BUCKET_AND_LOWER\tBUCKET_QUANTILE\n",
    );
    export.push_str("0\t0\t10000000\t1\t1\t0.1\n");
    export.push_str("449\t9120108393559408\t18446744073709551615\t9\t10\t1.000000\n");
    let stack = load_ok(&[text("histogram.tsv", &export)]);
    let p95 = mysql::db_p95_ms(&stack.workload);
    // 9120108393559408 ps = 9120108.39 ms: only the lower bound is known.
    let value = p95.value.unwrap();
    assert!((value - 9_120_108.393_559_408).abs() < 1e-6, "{value}");
    assert!(p95.detail.contains("at least"), "{}", p95.detail);
}

#[test]
fn statement_totals_and_the_no_index_share() {
    let after = constructed("mysql-8.0.36-digest-after.tsv");
    let before = constructed("mysql-8.0.36-digest-before.tsv");
    // One export: counts since the table was reset. awk: Σ$4 = 432850,
    // Σ$26 = 9600.
    let stack = load_ok(std::slice::from_ref(&after));
    let total = mysql::digest_statements(&stack.workload);
    assert_eq!(total.value, Some(432850.0));
    assert!(total.detail.contains("since the table was last reset"));
    let share = mysql::no_index_share(&stack.workload);
    assert_eq!(share.value, Some(9600.0 / 432850.0));
    // Two exports: the run alone. awk: 432850 − 208000 = 224850 statements,
    // 9600 − 4680 = 4920 without an index; 30000 requests in the run.
    let stack = load_ok(&[before, after]);
    let total = mysql::digest_statements(&stack.workload);
    assert_eq!(total.value, Some(224850.0));
    let share = mysql::no_index_share(&stack.workload);
    assert_eq!(share.value, Some(4920.0 / 224850.0));
    assert!(
        share
            .detail
            .contains("SELECT * FROM `products` WHERE `name` LIKE ?"),
        "{}",
        share.detail
    );
    let per_request = mysql::queries_per_request(&stack.workload, 30000);
    assert_eq!(per_request.value, Some(224850.0 / 30000.0));
    assert_eq!(mysql::queries_per_request(&stack.workload, 0).value, None);
}

#[test]
fn a_digest_reset_between_exports_falls_back_to_the_later_one() {
    let header = "SCHEMA_NAME\tDIGEST\tDIGEST_TEXT\tCOUNT_STAR\tSUM_TIMER_WAIT\tMAX_TIMER_WAIT\tSUM_ROWS_EXAMINED\tSUM_ROWS_SENT\tSUM_NO_INDEX_USED\tSUM_NO_GOOD_INDEX_USED\n";
    let early = format!("{header}shop\tabc\tSELECT ?\t500\t10\t1\t0\t500\t0\t0\n");
    let late = format!(
        "{header}shop\tabc\tSELECT ?\t20\t10\t1\t0\t20\t0\t0\nshop\tdef\tSELECT * FROM `t`\t1000\t10\t1\t1000\t1\t1000\t0\n"
    );
    let stack = load_ok(&[text("early.tsv", &early), text("late.tsv", &late)]);
    let total = mysql::digest_statements(&stack.workload);
    assert_eq!(total.value, Some(1020.0));
    assert!(
        total.detail.contains("reset between the exports"),
        "{}",
        total.detail
    );
}

#[test]
fn slow_logs_of_both_flavours() {
    let stack = load_ok(&[constructed("mysql-8.0.36-slow.log")]);
    let log = &stack.workload.slow_log;
    // grep -c '^# Query_time' = 64; the largest Query_time is 4.985947.
    assert_eq!(log.len(), 64);
    let slowest = stack.workload.slowest().unwrap();
    assert_eq!(slowest.query_time_s, 4.985947);
    let first = &log[0];
    assert_eq!(first.origin.line, 6);
    assert_eq!(first.query_time_s, 2.370418);
    assert_eq!(first.rows_examined, 478242);
    assert!(
        first.statement.starts_with("select DATE(`created_at`)"),
        "{}",
        first.statement
    );

    let stack = load_ok(&[constructed("mariadb-10.11-slow.log")]);
    let log = &stack.workload.slow_log;
    assert_eq!(log.len(), 4);
    assert_eq!(log[1].time.as_deref(), Some("240502 14:03:11"));
    assert_eq!(log[1].rows_examined, 61204);
    assert_eq!(log[3].query_time_s, 12.001822);
    assert_eq!(
        log[3].statement,
        "ALTER TABLE `orders` ADD INDEX `orders_status_created_at_index` (`status`, `created_at`);"
    );
}

#[test]
fn digest_rows_keep_their_columns() {
    let stack = load_ok(&[constructed("mysql-8.0.36-digest-after.tsv")]);
    let rows = &stack.workload.digests[0].rows;
    assert_eq!(rows.len(), 29);
    let status = rows
        .iter()
        .find(|r| r.text.as_deref() == Some("SHOW GLOBAL STATUS"))
        .unwrap();
    assert_eq!(status.schema, None);
    // Every 10 s over the 4 h 10 min of both phases.
    assert_eq!(status.count, 1500);
    let menu = rows
        .iter()
        .find(|r| {
            r.text
                .as_deref()
                .is_some_and(|t| t.starts_with("SELECT `categories`"))
        })
        .unwrap();
    assert!(menu.quantile_95_ps.is_some());
    assert!(
        menu.first_seen
            .as_deref()
            .is_some_and(|t| t.starts_with("2024-05-02 10:"))
    );
    assert_eq!(menu.origin.line, 25);
}

// ---------------------------------------------------------------------
// Bad input: clear errors naming file and line
// ---------------------------------------------------------------------

#[test]
fn a_truncated_option_file_is_an_error_at_its_last_line() {
    let err = load_err(&[cnf("[mysqld]\ninnodb_buffer_pool_size = 1G\n[mysq")]);
    assert!(
        err.starts_with("etc/mysql/my.cnf, line 3: expected a group header closed by `]`"),
        "{err}"
    );
    let err = load_err(&[cnf("[mysqld]\nsql_mode = \"STRICT_TRANS_TABLES,NO_ZE")]);
    assert!(
        err.starts_with("etc/mysql/my.cnf, line 2: expected a closing \""),
        "{err}"
    );
    assert!(err.contains("may be cut"), "{err}");
    let err = load_err(&[cnf("[mysqld]\n!inclu")]);
    assert!(
        err.starts_with("etc/mysql/my.cnf, line 2: expected `!include <file>`"),
        "{err}"
    );
    let err = load_err(&[cnf("max_connections = 10\n[mysqld]\n")]);
    assert!(
        err.starts_with("etc/mysql/my.cnf, line 1: expected a [group] header"),
        "{err}"
    );
}

#[test]
fn includes_outside_the_upload_or_missing_from_it_are_errors() {
    let err = load_err(&[cnf(
        "[mysqld]\nport=3306\n!include ../../../root/secret.cnf\n",
    )]);
    assert!(
        err.starts_with("etc/mysql/my.cnf, line 3: expected `!include ../../../root/secret.cnf`"),
        "{err}"
    );
    assert!(err.contains("outside the upload"), "{err}");
    assert!(
        err.contains("upload the included file in the same bundle"),
        "{err}"
    );
    let err = load_err(&[cnf("[mysqld]\n!include /etc/mysql/secrets.cnf\n")]);
    assert!(
        err.starts_with(
            "etc/mysql/my.cnf, line 2: expected the file of `!include /etc/mysql/secrets.cnf`"
        ),
        "{err}"
    );
    assert!(err.contains("upload it in the same bundle"), "{err}");
    let err = load_err(&[cnf("[mysqld]\n!includedir ../../../var\n")]);
    assert!(
        err.contains("line 2") && err.contains("outside the upload"),
        "{err}"
    );
    // Two files including each other.
    let err = load_err(&[
        text("a.cnf", "[mysqld]\n!include b.cnf\n"),
        text("b.cnf", "[mysqld]\n!include a.cnf\n"),
    ]);
    assert!(err.contains("including itself again"), "{err}");
}

#[test]
fn a_box_table_cut_mid_row_is_an_error_at_that_row() {
    let full =
        String::from_utf8(fixture("status/netdata-mariadb-10.8.4-global_status.txt")).unwrap();
    // Cut inside the value cell of line 10.
    let cut: String = full
        .lines()
        .take(9)
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        + &full.lines().nth(9).unwrap()[..60];
    let err = load_err(&[text("global_status.txt", &cut)]);
    assert!(
        err.starts_with("global_status.txt, line 10: expected the rest of this row"),
        "{err}"
    );
    assert!(err.contains("cut mid-row"), "{err}");
    // Cut after a whole row: the closing border is missing.
    let cut: String = full.lines().take(20).map(|l| format!("{l}\n")).collect();
    let err = load_err(&[text("global_status.txt", &cut)]);
    assert!(
        err.starts_with("global_status.txt, line 20: expected the table's closing border"),
        "{err}"
    );
}

#[test]
fn a_digest_row_with_a_wrong_column_count_is_an_error_at_that_row() {
    let full =
        String::from_utf8(fixture("constructed-mysql/mysql-8.0.36-digest-after.tsv")).unwrap();
    let mut lines: Vec<String> = full.lines().map(str::to_owned).collect();
    let short: Vec<&str> = lines[5].split('\t').take(20).collect();
    lines[5] = short.join("\t");
    let err = load_err(&[text("digest.tsv", &lines.join("\n"))]);
    assert!(
        err.starts_with(
            "digest.tsv, line 6: expected 39 tab-separated columns, as in the header, found 20"
        ),
        "{err}"
    );
    let err = load_err(&[text(
        "digest.tsv",
        "DIGEST\tDIGEST_TEXT\tCOUNT_STAR\tSUM_TIMER_WAIT\n",
    )]);
    assert!(
        err.starts_with(
            "digest.tsv, line 1: expected the events_statements_summary_by_digest columns"
        ),
        "{err}"
    );
}

#[test]
fn other_bad_dumps_name_file_and_line() {
    let err = load_err(&[text(
        "status.tsv",
        "Variable_name\tValue\nUptime\t100\nQuestions\n",
    )]);
    assert!(
        err.starts_with("status.tsv, line 3: expected `name<TAB>value`"),
        "{err}"
    );
    let mut histogram = String::from_utf8(fixture(
        "constructed-mysql/mysql-8.0.36-histogram-after.tsv",
    ))
    .unwrap();
    histogram.push_str("12\t1\t2\t3\t4\t0.5\n");
    let err = load_err(&[text("histogram.tsv", &histogram)]);
    assert!(
        err.starts_with("histogram.tsv, line 452: expected each bucket once"),
        "{err}"
    );
    let err = load_err(&[text(
        "slow.log",
        "# Time: 2024-05-02T10:00:00Z\n# Query_time: 1.5  Lock_time: 0 Rows_sent: many  Rows_examined: 1\n",
    )]);
    assert!(
        err.starts_with("slow.log, line 2, field `Rows_sent`"),
        "{err}"
    );
}

#[test]
fn no_input_makes_the_parsers_panic() {
    // Every fixture cut at many points, and with bytes flipped: each load
    // may fail, but with an error.
    let paths = [
        "mysql/mariadb-docker-docker.cnf",
        "mysql/laradock-mysql-my.cnf",
        "status/netdata-mysql-8.0.30-version.txt",
        "status/netdata-mariadb-10.8.4-global_variables.txt",
        "constructed-mysql/mysql-8.0.36-global-status.tsv",
        "constructed-mysql/mariadb-10.11-slow.log",
        "constructed-mysql/etc/mysql/mysql.conf.d/zz-laravel.cnf",
    ];
    for path in paths {
        let bytes = fixture(path);
        let step = (bytes.len() / 97).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let mut damaged = bytes[..cut].to_vec();
            let _ = try_load(&[MemorySource::new(path, damaged.clone())]);
            if let Some(b) = damaged.get_mut(cut / 2) {
                *b = [b'|', b'\t', b'[', b'!', b'"', b'\n', 0xff][cut % 7];
            }
            if let Ok(stack) = try_load(&[MemorySource::new(path, damaged)]) {
                let _ = evaluate(&stack, &dedicated(8));
            }
        }
    }
    let histogram = fixture("constructed-mysql/mysql-8.0.36-histogram-after.tsv");
    for cut in (0..histogram.len()).step_by(997) {
        if let Ok(stack) = try_load(&[MemorySource::new("h.tsv", histogram[..cut].to_vec())]) {
            let _ = mysql::db_p95_ms(&stack.workload);
        }
    }
}

// ---------------------------------------------------------------------
// Every rule: a passing and a failing case
// ---------------------------------------------------------------------

/// Status counters since start with a full day of uptime.
fn day_status(pairs: &[(&str, &str)]) -> MemorySource {
    let mut all = vec![("Uptime", "172800")];
    all.extend_from_slice(pairs);
    status(&all)
}

#[test]
fn rule_buffer_pool() {
    let id = "mysql.buffer_pool";
    let f = expect(
        &[cnf("[mysqld]\ninnodb_buffer_pool_size = 5G\n")],
        &dedicated(8),
        id,
        Outcome::Pass,
    );
    assert_eq!(
        f.evaluation.value.as_deref(),
        Some("5 GiB (62.5 % of 8 GiB)")
    );
    assert_eq!(
        f.evaluation.location.unwrap().to_string(),
        "etc/mysql/my.cnf:2"
    );
    // Still the default on a dedicated 8 GiB host.
    let f = expect(
        &[cnf("[mysqld]\nport = 3306\n")],
        &dedicated(8),
        id,
        Outcome::Fail,
    );
    assert!(
        f.evaluation
            .defaults_assumed
            .iter()
            .any(|a| a.starts_with("innodb_buffer_pool_size = 128 MiB")),
        "{:?}",
        f.evaluation.defaults_assumed
    );
    expect(
        &[cnf("[mysqld]\ninnodb_buffer_pool_size = 7800M\n")],
        &dedicated(8),
        id,
        Outcome::Fail,
    );
    expect(
        &[cnf("[mysqld]\ninnodb_buffer_pool_size = 2G\n")],
        &dedicated(8),
        id,
        Outcome::Warn,
    );
    expect(
        &[cnf("[mysqld]\ninnodb_buffer_pool_size = 6800M\n")],
        &dedicated(8),
        id,
        Outcome::Warn,
    );
    // Co-located: x.memory_budget judges it.
    expect(
        &[cnf("[mysqld]\ninnodb_buffer_pool_size = 2G\n")],
        &host(8, &[Role::Web, Role::Php, Role::Db]),
        id,
        Outcome::Pass,
    );
    // MySQL's innodb_dedicated_server sizes it at 75 % above 4 GiB.
    let f = expect(
        &[cnf("[mysqld]\ninnodb_dedicated_server = ON\n")],
        &dedicated(8),
        id,
        Outcome::Pass,
    );
    assert_eq!(f.evaluation.value.as_deref(), Some("6 GiB (75 % of 8 GiB)"));
    // Without the host profile: not verified, never passed.
    expect(
        &[cnf("[mysqld]\ninnodb_buffer_pool_size = 5G\n")],
        &Inputs::default(),
        id,
        Outcome::Unverified,
    );
    expect(&[], &dedicated(8), id, Outcome::Unverified);
    // The heuristic is the project's to change.
    let mut inputs = dedicated(8);
    inputs
        .heuristics
        .insert("mysql.buffer_pool.default_min_ram_gib".to_owned(), 16.0);
    expect(
        &[cnf("[mysqld]\nport = 3306\n")],
        &inputs,
        id,
        Outcome::Warn,
    );
}

#[test]
fn rule_redo_capacity() {
    let id = "mysql.redo_capacity";
    // 2 days of uptime, 40 GiB written: 0.83 GiB an hour, under 1 GiB floor.
    let written = (40 * GIB).to_string();
    let files = |capacity: &str| {
        vec![
            cnf(&format!(
                "[mysqld]\ninnodb_redo_log_capacity = {capacity}\n"
            )),
            day_status(&[("Innodb_os_log_written", &written)]),
        ]
    };
    let f = expect(&files("2G"), &dedicated(16), id, Outcome::Pass);
    assert!(
        f.evaluation.threshold.ends_with("1 GiB"),
        "{}",
        f.evaluation.threshold
    );
    expect(&files("512M"), &dedicated(16), id, Outcome::Warn);
    // No usable rate: a quarter of the buffer pool.
    expect(
        &[cnf(
            "[mysqld]\ninnodb_buffer_pool_size = 8G\ninnodb_redo_log_capacity = 1G\n",
        )],
        &dedicated(16),
        id,
        Outcome::Warn,
    );
    let f = expect(
        &[cnf(
            "[mysqld]\ninnodb_buffer_pool_size = 4G\ninnodb_redo_log_capacity = 1G\n",
        )],
        &dedicated(16),
        id,
        Outcome::Pass,
    );
    assert!(
        f.evaluation.detail.contains("No SHOW GLOBAL STATUS"),
        "{}",
        f.evaluation.detail
    );
    // MariaDB: one file of innodb_log_file_size.
    let f = expect(
        &[cnf(
            "[mariadb]\ninnodb_buffer_pool_size = 4G\ninnodb_log_file_size = 256M\n",
        )],
        &dedicated(16),
        id,
        Outcome::Warn,
    );
    assert_eq!(f.evaluation.value.as_deref(), Some("256 MiB"));
    expect(&[], &dedicated(16), id, Outcome::Unverified);
}

#[test]
fn rule_flush_log_at_trx_commit() {
    let id = "mysql.flush_log_at_trx_commit";
    expect(
        &[cnf("[mysqld]\ninnodb_flush_log_at_trx_commit = 1\n")],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
    expect(
        &[cnf("[mysqld]\nport=3306\n")],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
    expect(
        &[cnf("[mysqld]\ninnodb_flush_log_at_trx_commit = 2\n")],
        &Inputs::default(),
        id,
        Outcome::Warn,
    );
    let f = expect(
        &[cnf("[mysqld]\ninnodb_flush_log_at_trx_commit = 0\n")],
        &Inputs::default(),
        id,
        Outcome::Fail,
    );
    assert_eq!(f.evaluation.location.unwrap().line, 2);
    // The running value wins, and the finding says so.
    let f = expect(
        &[
            cnf("[mysqld]\ninnodb_flush_log_at_trx_commit = 1\n"),
            variables(&[("innodb_flush_log_at_trx_commit", "2")]),
        ],
        &Inputs::default(),
        id,
        Outcome::Warn,
    );
    assert!(
        f.evaluation
            .detail
            .contains("takes precedence over my.cnf's 1 at etc/mysql/my.cnf:2"),
        "{}",
        f.evaluation.detail
    );
}

#[test]
fn rule_flush_method() {
    let id = "mysql.flush_method";
    expect(
        &[cnf("[mysqld]\ninnodb_flush_method = O_DIRECT\n")],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
    expect(
        &[cnf("[mysqld]\ninnodb_flush_method = fsync\n")],
        &Inputs::default(),
        id,
        Outcome::Warn,
    );
    // Defaults: MySQL 8.0 fsync, MySQL 8.4 and MariaDB O_DIRECT.
    let f = expect(
        &[variables(&[("version", "8.0.36")])],
        &Inputs::default(),
        id,
        Outcome::Warn,
    );
    assert!(
        f.evaluation
            .defaults_assumed
            .iter()
            .any(|a| a.contains("fsync")),
        "{:?}",
        f.evaluation.defaults_assumed
    );
    expect(
        &[variables(&[("version", "8.4.2")])],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
    expect(
        &[variables(&[("version", "10.11.6-MariaDB")])],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
    expect(
        &[cnf("[mariadb]\ninnodb_flush_method = 4\n")],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
}

#[test]
fn rule_memory_peak() {
    let id = "mysql.memory_peak";
    let f = expect(
        &[cnf(
            "[mysqld]\ninnodb_buffer_pool_size = 4G\nmax_connections = 100\n",
        )],
        &dedicated(8),
        id,
        Outcome::Pass,
    );
    assert!(
        f.evaluation.detail.contains("max_connections 100"),
        "{}",
        f.evaluation.detail
    );
    let f = expect(&constructed_production(), &dedicated(8), id, Outcome::Fail);
    // 5 GiB + 16 MiB + 16 MiB + 500 × 73.41 MiB = 40.9 GiB.
    assert!(
        f.evaluation
            .value
            .as_deref()
            .unwrap()
            .starts_with("40.9 GiB"),
        "{:?}",
        f.evaluation.value
    );
    expect(
        &[cnf("[mysqld]\ninnodb_buffer_pool_size = 4G\n")],
        &Inputs::default(),
        id,
        Outcome::Unverified,
    );
}

#[test]
fn rule_slow_query_log() {
    let id = "mysql.slow_query_log";
    expect(
        &[cnf("[mysqld]\nslow_query_log\nlong_query_time = 0.5\n")],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
    expect(
        &[cnf("[mysqld]\nslow_query_log = 1\n")],
        &Inputs::default(),
        id,
        Outcome::Warn,
    );
    expect(
        &[cnf("[mysqld]\nport = 3306\n")],
        &Inputs::default(),
        id,
        Outcome::Warn,
    );
    // MariaDB 10.11's new names.
    expect(
        &[cnf(
            "[mariadb]\nlog_slow_query = ON\nlog_slow_query_time = 1\n",
        )],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
}

#[test]
fn rule_query_cache() {
    let id = "mysql.query_cache";
    let mysql8 = || variables(&[("version", "8.0.36")]);
    let f = expect(
        &[
            cnf("[mysqld]\nquery_cache_type = 0\nquery_cache_size = 0\n"),
            mysql8(),
        ],
        &Inputs::default(),
        id,
        Outcome::Fail,
    );
    assert_eq!(f.evaluation.location.unwrap().line, 2);
    expect(
        &[cnf("[mysqld]\nloose-query_cache_size = 0\n"), mysql8()],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
    expect(
        &[cnf("[mysqld]\nport = 3306\n"), mysql8()],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
    let mariadb = || variables(&[("version", "10.11.6-MariaDB")]);
    expect(
        &[
            cnf("[mysqld]\nquery_cache_type = 1\nquery_cache_size = 64M\n"),
            mariadb(),
        ],
        &Inputs::default(),
        id,
        Outcome::Warn,
    );
    expect(
        &[
            cnf("[mysqld]\nquery_cache_type = 0\nquery_cache_size = 0\n"),
            mariadb(),
        ],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
}

#[test]
fn rule_tmp_tables() {
    let id = "mysql.tmp_tables";
    expect(
        &[cnf(
            "[mysqld]\ntmp_table_size = 64M\nmax_heap_table_size = 64M\n",
        )],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
    let f = expect(
        &[cnf("[mysqld]\ntmp_table_size = 256M\n")],
        &Inputs::default(),
        id,
        Outcome::Warn,
    );
    assert_eq!(f.evaluation.location.unwrap().line, 2);
    expect(
        &[cnf(
            "[mysqld]\ntmp_table_size = 1G\nmax_heap_table_size = 1G\n",
        )],
        &Inputs::default(),
        id,
        Outcome::Warn,
    );
}

#[test]
fn rule_table_open_cache() {
    let id = "mysql.table_open_cache";
    expect(
        &[cnf("[mysqld]\nport = 3306\n")],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
    expect(
        &[cnf(
            "[mysqld]\ntable_open_cache = 400\nmax_connections = 500\n",
        )],
        &Inputs::default(),
        id,
        Outcome::Warn,
    );
    // The running open_files_limit cannot hold the cache.
    let f = expect(
        &[variables(&[
            ("version", "8.0.36"),
            ("table_open_cache", "4000"),
            ("max_connections", "151"),
            ("open_files_limit", "1024"),
        ])],
        &Inputs::default(),
        id,
        Outcome::Warn,
    );
    assert!(
        f.evaluation.detail.contains("8161"),
        "{}",
        f.evaluation.detail
    );
}

#[test]
fn rule_thread_cache_size() {
    let id = "mysql.thread_cache_size";
    expect(
        &[cnf("[mysqld]\nport = 3306\n")],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
    expect(
        &[cnf("[mysqld]\nthread_cache_size = 16\n")],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
    expect(
        &[cnf("[mysqld]\nthread_cache_size = 0\n")],
        &Inputs::default(),
        id,
        Outcome::Fail,
    );
    expect(
        &[cnf("[mysqld]\nthread_cache_size = 4\n")],
        &Inputs::default(),
        id,
        Outcome::Warn,
    );
}

#[test]
fn rule_charset() {
    let id = "mysql.charset";
    expect(
        &[cnf(
            "[mysqld]\ncharacter-set-server = utf8mb4\ncollation-server = utf8mb4_unicode_ci\n",
        )],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
    expect(
        &[cnf("[mysqld]\ncharacter-set-server = utf8\n")],
        &Inputs::default(),
        id,
        Outcome::Warn,
    );
    // MariaDB before 11.6 defaults to latin1.
    let f = expect(
        &[cnf("[mariadb]\nport = 3306\n")],
        &Inputs::default(),
        id,
        Outcome::Warn,
    );
    assert!(
        f.evaluation
            .defaults_assumed
            .iter()
            .any(|a| a.contains("latin1")),
        "{:?}",
        f.evaluation.defaults_assumed
    );
    expect(
        &[cnf(
            "[mysqld]\ncharacter-set-server = utf8mb4\ncollation-server = latin1_swedish_ci\n",
        )],
        &Inputs::default(),
        id,
        Outcome::Warn,
    );
}

#[test]
fn rule_skip_name_resolve() {
    let id = "mysql.skip_name_resolve";
    expect(
        &[cnf("[mysqld]\nskip-name-resolve\n")],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
    expect(
        &[cnf("[mysqld]\nskip_name_resolve = OFF\n")],
        &Inputs::default(),
        id,
        Outcome::Warn,
    );
    expect(
        &[cnf("[mysqld]\nport = 3306\n")],
        &Inputs::default(),
        id,
        Outcome::Warn,
    );
}

#[test]
fn rule_binlog() {
    let id = "mysql.binlog";
    // MySQL 8: on by default, kept 30 days.
    expect(
        &[variables(&[("version", "8.0.36")])],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
    expect(
        &[cnf(
            "[mysqld]\nlog-bin = binlog\nbinlog_expire_logs_seconds = 604800\n",
        )],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
    // MariaDB with log-bin and no expiry: never purged.
    let f = expect(
        &[cnf("[mariadb]\nlog-bin\n")],
        &Inputs::default(),
        id,
        Outcome::Warn,
    );
    assert!(
        f.evaluation.detail.contains("never expire"),
        "{}",
        f.evaluation.detail
    );
    expect(
        &[cnf("[mariadb]\nlog-bin\nexpire_logs_days = 7\n")],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
    // MySQL 8.4 removed expire_logs_days.
    let f = expect(
        &[
            cnf("[mysqld]\nexpire_logs_days = 7\n"),
            variables(&[("version", "8.4.2")]),
        ],
        &Inputs::default(),
        id,
        Outcome::Fail,
    );
    assert_eq!(f.evaluation.location.unwrap().line, 2);
    // Off: nothing fills the disk.
    expect(
        &[cnf("[mysqld]\nskip-log-bin\n")],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
}

#[test]
fn rule_unknown_option() {
    let id = "mysql.unknown_option";
    expect(
        &[cnf(
            "[mysqld]\ninnodb_buffer_pool_size = 1G\nskip-name-resolve\n",
        )],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
    let f = expect(
        &[cnf("[mysqld]\nport = 3306\ninnodb_bufer_pool_size = 1G\n")],
        &Inputs::default(),
        id,
        Outcome::Fail,
    );
    assert_eq!(
        f.evaluation.location.unwrap().to_string(),
        "etc/mysql/my.cnf:3"
    );
    assert!(
        f.evaluation
            .detail
            .contains("innodb_bufer_pool_size in [mysqld]"),
        "{}",
        f.evaluation.detail
    );
    // loose- only warns; [client] options are not the server's.
    expect(
        &[cnf(
            "[mysqld]\nloose-innodb_bufer_pool_size = 1G\n[client]\ndefault-character-set = utf8mb4\n",
        )],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
    // Options a flavour removed.
    let f = expect(
        &[cnf("[mariadb]\ninnodb_buffer_pool_instances = 8\n")],
        &Inputs::default(),
        id,
        Outcome::Fail,
    );
    assert!(
        f.evaluation.detail.contains("removed in MariaDB 10.6"),
        "{}",
        f.evaluation.detail
    );
    expect(
        &[
            cnf("[mysqld]\nkey_buffer = 16M\n"),
            variables(&[("version", "8.0.36")]),
        ],
        &Inputs::default(),
        id,
        Outcome::Fail,
    );
    // No option file: only what the server accepted is known.
    expect(
        &[variables(&[("version", "8.0.36")])],
        &Inputs::default(),
        id,
        Outcome::Unverified,
    );
}

#[test]
fn rule_buffer_pool_hit() {
    let id = "m.mysql.buffer_pool_hit";
    let s = |reads: &str| {
        day_status(&[
            ("Innodb_buffer_pool_read_requests", "100000"),
            ("Innodb_buffer_pool_reads", reads),
        ])
    };
    let f = expect(&[s("50")], &Inputs::default(), id, Outcome::Pass);
    assert_eq!(f.evaluation.value.as_deref(), Some("99.95 %"));
    expect(&[s("5000")], &Inputs::default(), id, Outcome::Warn);
    expect(&[s("15000")], &Inputs::default(), id, Outcome::Fail);
    expect(&[s("150000")], &Inputs::default(), id, Outcome::Unverified);
    // Below 24 h of uptime, not verified.
    let young = status(&[
        ("Uptime", "3600"),
        ("Innodb_buffer_pool_read_requests", "100000"),
        ("Innodb_buffer_pool_reads", "50"),
    ]);
    let f = expect(&[young], &Inputs::default(), id, Outcome::Unverified);
    assert!(
        f.evaluation.detail.contains("24 h"),
        "{}",
        f.evaluation.detail
    );
    expect(&[], &Inputs::default(), id, Outcome::Unverified);
}

#[test]
fn rule_thread_cache() {
    let id = "m.mysql.thread_cache";
    let s = |created: &str| day_status(&[("Connections", "100000"), ("Threads_created", created)]);
    expect(&[s("120")], &Inputs::default(), id, Outcome::Pass);
    expect(&[s("20000")], &Inputs::default(), id, Outcome::Warn);
    let f = expect(&[s("60000")], &Inputs::default(), id, Outcome::Fail);
    assert!(
        f.evaluation
            .detail
            .contains("0.347 threads created per second"),
        "{}",
        f.evaluation.detail
    );
}

#[test]
fn rule_slow_queries() {
    let id = "m.mysql.slow_queries";
    let s = |slow: &str| day_status(&[("Questions", "100000"), ("Slow_queries", slow)]);
    expect(&[s("50")], &Inputs::default(), id, Outcome::Pass);
    expect(&[s("3000")], &Inputs::default(), id, Outcome::Warn);
    expect(&[s("8000")], &Inputs::default(), id, Outcome::Fail);
}

#[test]
fn rule_tmp_disk() {
    let id = "m.mysql.tmp_disk";
    let s = |disk: &str| {
        day_status(&[
            ("Created_tmp_tables", "10000"),
            ("Created_tmp_disk_tables", disk),
        ])
    };
    expect(&[s("500")], &Inputs::default(), id, Outcome::Pass);
    expect(&[s("1500")], &Inputs::default(), id, Outcome::Warn);
    expect(&[s("3000")], &Inputs::default(), id, Outcome::Fail);
}

#[test]
fn rule_aborted_connects() {
    let id = "m.mysql.aborted_connects";
    let s = |aborted: &str| day_status(&[("Connections", "100000"), ("Aborted_connects", aborted)]);
    expect(&[s("10")], &Inputs::default(), id, Outcome::Pass);
    expect(&[s("2000")], &Inputs::default(), id, Outcome::Warn);
    expect(&[s("4000")], &Inputs::default(), id, Outcome::Fail);
}

#[test]
fn measured_rules_use_the_delta_of_two_dumps() {
    let id = "m.mysql.aborted_connects";
    // A young server, but two dumps ten minutes apart: the window is
    // those ten minutes (0.5 % failed in them, 50 % before).
    let early = tsv(
        "status-1.tsv",
        &[
            ("Uptime", "600"),
            ("Connections", "1000"),
            ("Aborted_connects", "500"),
        ],
    );
    let late = tsv(
        "status-2.tsv",
        &[
            ("Uptime", "1200"),
            ("Connections", "11000"),
            ("Aborted_connects", "550"),
        ],
    );
    let f = expect(&[late, early], &Inputs::default(), id, Outcome::Pass);
    assert_eq!(f.evaluation.value.as_deref(), Some("0.5 %"));
    assert!(
        f.evaluation
            .detail
            .contains("over the 600 s between the dumps"),
        "{}",
        f.evaluation.detail
    );
}

#[test]
fn rule_no_index_share() {
    let id = "db.no_index_share";
    let f = expect(
        &[
            constructed("mysql-8.0.36-digest-before.tsv"),
            constructed("mysql-8.0.36-digest-after.tsv"),
        ],
        &Inputs::default(),
        id,
        Outcome::Pass,
    );
    assert_eq!(f.evaluation.value.as_deref(), Some("2.19 %"));
    let header = "SCHEMA_NAME\tDIGEST\tDIGEST_TEXT\tCOUNT_STAR\tSUM_TIMER_WAIT\tMAX_TIMER_WAIT\tSUM_ROWS_EXAMINED\tSUM_ROWS_SENT\tSUM_NO_INDEX_USED\tSUM_NO_GOOD_INDEX_USED\n";
    let digest = |scan: u64| {
        text(
            "digest.tsv",
            &format!(
                "{header}shop\ta1\tSELECT * FROM `users` WHERE `id` = ?\t{}\t9\t1\t1\t1\t0\t0\nshop\tb2\tSELECT * FROM `orders` WHERE `note` LIKE ?\t{scan}\t9\t1\t90000\t1\t{scan}\t0\n",
                10000 - scan
            ),
        )
    };
    expect(&[digest(1000)], &Inputs::default(), id, Outcome::Warn);
    let f = expect(&[digest(3000)], &Inputs::default(), id, Outcome::Fail);
    assert_eq!(f.evaluation.location.unwrap().line, 3);
    expect(
        &[text(
            "d.tsv",
            &format!("{header}shop\ta1\tSELECT ?\t10\t9\t1\t1\t1\t5\t0\n"),
        )],
        &Inputs::default(),
        id,
        Outcome::Unverified,
    );
    expect(&[], &Inputs::default(), id, Outcome::Unverified);
}

#[test]
fn every_rule_of_the_domain_is_there_once() {
    let ids: Vec<&str> = mysql::rules().iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        [
            "mysql.buffer_pool",
            "mysql.redo_capacity",
            "mysql.flush_log_at_trx_commit",
            "mysql.flush_method",
            "mysql.memory_peak",
            "mysql.slow_query_log",
            "mysql.query_cache",
            "mysql.tmp_tables",
            "mysql.table_open_cache",
            "mysql.thread_cache_size",
            "mysql.charset",
            "mysql.skip_name_resolve",
            "mysql.binlog",
            "mysql.unknown_option",
            "m.mysql.buffer_pool_hit",
            "m.mysql.thread_cache",
            "m.mysql.slow_queries",
            "m.mysql.tmp_disk",
            "m.mysql.aborted_connects",
            "db.no_index_share",
        ]
    );
    // With nothing uploaded, no rule passes.
    for f in evaluate(&Stack::default(), &dedicated(8)) {
        if is_mysql_rule(&f.rule) {
            assert_eq!(f.evaluation.outcome, Outcome::Unverified, "{}", f.rule);
        }
    }
}
