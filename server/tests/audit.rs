//! The audit over HTTP: a whole stack uploaded as a bundle changes the
//! category scores and the verdict; the host profile and exemptions change
//! them again; bad evidence is refused and nothing is stored.

mod common;

use common::{BIN, TestServer, fixture};
use serde_json::{Value, json};
use std::io::Write;

/// A PHP/Laravel stack laid out as on a server, from the audit fixtures.
fn stack_files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "etc/php/8.4/fpm/php.ini",
            fixture("audit/php/biodiversity-php84-php.ini-production"),
        ),
        (
            "etc/php/8.4/fpm/conf.d/10-opcache.ini",
            fixture("audit/php/laradock-opcache.ini"),
        ),
        (
            "etc/php/8.4/fpm/pool.d/www.conf",
            fixture("audit/php-fpm/biodiversity-www.conf"),
        ),
        (
            "etc/mysql/my.cnf",
            fixture("audit/mysql/laradock-mysql-my.cnf"),
        ),
        ("etc/redis/redis.conf", fixture("audit/redis/redis.conf")),
        (
            "etc/nginx/nginx.conf",
            fixture("audit/nginx/laradock-nginx.conf"),
        ),
        (
            "etc/nginx/sites-available/laravel.conf",
            fixture("audit/nginx/laradock-sites-laravel.conf"),
        ),
        (
            "etc/nginx/fastcgi_params",
            fixture("audit/nginx/fastcgi_params"),
        ),
        (
            "status/redis-info.txt",
            fixture("audit/status/netdata-redis-6.0.9-info_all.txt"),
        ),
        (
            "status/mysql-status.txt",
            fixture("audit/status/netdata-mysql-8.0.30-global_status.txt"),
        ),
        (
            "status/mysql-variables.txt",
            fixture("audit/status/netdata-mysql-8.0.30-global_variables.txt"),
        ),
        (
            "status/fpm-status.json",
            fixture("audit/status/netdata-phpfpm-status.json"),
        ),
        (
            "status/opcache.json",
            fixture("audit/constructed-php/opcache-status-healthy.json"),
        ),
        (
            "db/histogram.tsv",
            fixture("audit/constructed-mysql/mysql-8.0.36-histogram-after.tsv"),
        ),
        (
            "db/digest.tsv",
            fixture("audit/constructed-mysql/mysql-8.0.36-digest-after.tsv"),
        ),
        (
            "monitoring/k6.json",
            fixture("audit/grafana/k6-examples-k6-prometheus-dashboard.json"),
        ),
        (
            "monitoring/php-fpm.json",
            fixture("audit/grafana/php-fpm_exporter-kubernetes-php-fpm.json"),
        ),
        (
            "monitoring/mysql.json",
            fixture("audit/grafana/mysqld_exporter-mixin-mysql-overview.json"),
        ),
        (
            "monitoring/redis.json",
            fixture("audit/grafana/redis_exporter-redis-mixin-redis-overview.json"),
        ),
        (
            "monitoring/nginx-alerts.yml",
            fixture("audit/prometheus/awesome-prometheus-alerts-nginx-knyar-nginx-exporter.yml"),
        ),
        (
            "monitoring/mysql-alerts.yml",
            fixture("audit/prometheus/awesome-prometheus-alerts-mysql-mysqld-exporter.yml"),
        ),
        (
            "monitoring/redis-alerts.yml",
            fixture(
                "audit/prometheus/awesome-prometheus-alerts-redis-oliver006-redis-exporter.yml",
            ),
        ),
        (
            "monitoring/fpm-alerts.yml",
            fixture("audit/prometheus/awesome-prometheus-alerts-php-fpm-bakins-fpm-exporter.yml"),
        ),
    ]
}

fn tar_gz(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in files {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, name, bytes.as_slice())
            .unwrap();
    }
    let tar = builder.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

async fn upload_evidence(
    server: &TestServer,
    token: &str,
    name: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    server
        .http
        .post(format!(
            "{}/api/v1/projects/chom/evidence?filename={name}&environment=staging",
            server.url
        ))
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn assessment(server: &TestServer) -> Value {
    let body: Value = server
        .get("/api/v1/projects/chom/assessment")
        .await
        .json()
        .await
        .unwrap();
    body["assessment"].clone()
}

fn category(assessment: &Value, name: &str) -> (f64, u64, u64) {
    let c = assessment["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == name)
        .unwrap();
    (
        c["score"].as_f64().unwrap(),
        c["checks"].as_u64().unwrap(),
        c["verified"].as_u64().unwrap(),
    )
}

fn check<'a>(assessment: &'a Value, id: &str) -> &'a Value {
    assessment["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id}"))
}

#[tokio::test]
async fn a_whole_stack_changes_the_scores_and_the_host_profile_changes_them_again() {
    let server = TestServer::start();
    let token = server.project_with_token("chom");
    let before = assessment(&server).await;
    for name in ["infrastructure", "database", "monitoring"] {
        let (_, _, verified) = category(&before, name);
        assert_eq!(verified, 0, "{name} has no evidence yet");
    }
    let coverage_before = before["coverage"].as_f64().unwrap();

    let res = upload_evidence(&server, &token, "stack.tar.gz", tar_gz(&stack_files())).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let body: Value = res.json().await.unwrap();
    let kinds: Vec<&str> = body["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "php_ini",
        "fpm_conf",
        "my_cnf",
        "redis_conf",
        "nginx_conf",
        "redis_info",
        "mysql_status",
        "mysql_variables",
        "fpm_status",
        "opcache_status",
        "statement_histogram",
        "statement_digest",
        "grafana_dashboard",
        "prometheus_rules",
    ] {
        assert!(kinds.contains(&kind), "{kind} not recognised: {kinds:?}");
    }
    assert!(body["findings"].as_array().unwrap().len() >= 60);

    let after = assessment(&server).await;
    for name in ["infrastructure", "database", "monitoring"] {
        let (_, checks, verified) = category(&after, name);
        assert!(verified > 0, "{name}: {verified} of {checks} verified");
    }
    assert!(after["coverage"].as_f64().unwrap() > coverage_before);
    // The histogram measures the database query time target.
    let db = check(&after, "target:db_query_p95 < 200 ms");
    assert_eq!(db["outcome"], "pass", "{db}");
    // The stack's redis.conf has no maxmemory: a critical failure, so not
    // certified.
    assert_eq!(check(&after, "rule:redis.maxmemory")["outcome"], "fail");
    assert_eq!(after["verdict"], "not_certified");
    // Rules that need the host's RAM wait for the host profile.
    assert_eq!(
        check(&after, "rule:fpm.pm.max_children_memory")["outcome"],
        "unverified"
    );

    let host = json!({"servers": [{"name": "app1", "roles": ["web", "php", "db", "cache"], "ram_bytes": 8u64 << 30, "cpus": 4}]});
    let res = server
        .http
        .put(format!("{}/api/v1/projects/chom/host", server.url))
        .json(&host)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let with_host = assessment(&server).await;
    assert_ne!(
        check(&with_host, "rule:fpm.pm.max_children_memory")["outcome"],
        "unverified"
    );
    let (_, _, verified_with_host) = category(&with_host, "infrastructure");
    let (_, _, verified_without) = category(&after, "infrastructure");
    assert!(verified_with_host > verified_without);

    // An exemption keeps the finding visible and stops it counting.
    let res = server
        .http
        .put(format!("{}/api/v1/projects/chom/exemptions/redis.maxmemory", server.url))
        .json(&json!({"reason": "the container's memory limit bounds Redis", "expires_on": "2099-01-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let exempted = assessment(&server).await;
    let maxmemory = check(&exempted, "rule:redis.maxmemory");
    assert_eq!(maxmemory["outcome"], "fail");
    assert!(
        maxmemory["exempted"]
            .as_str()
            .unwrap()
            .contains("container's memory limit")
    );
    let (score_exempted, _, _) = category(&exempted, "infrastructure");
    let (score_before, _, _) = category(&with_host, "infrastructure");
    assert!(score_exempted > score_before);

    // An exemption in the past, or without a reason, is refused.
    for body in [
        json!({"reason": "too late now, sorry", "expires_on": "2001-01-01"}),
        json!({"reason": "", "expires_on": "2099-01-01"}),
    ] {
        let res = server
            .http
            .put(format!(
                "{}/api/v1/projects/chom/exemptions/redis.maxmemory",
                server.url
            ))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
    }
}

#[tokio::test]
async fn bad_evidence_is_refused_clearly_and_nothing_is_stored() {
    let server = TestServer::start_with(&["--max-expanded", "8388608"]);
    let token = server.project_with_token("chom");
    let nginx = String::from_utf8(fixture("audit/nginx/nginx.conf")).unwrap();
    let truncated = &nginx[..nginx.len() * 2 / 3];
    let bomb = {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..200 {
            gz.write_all(&zeros).unwrap();
        }
        gz.finish().unwrap()
    };
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "program.bin",
            vec![0x7f, b'E', b'L', b'F', 0, 0, 1, 2, 3],
            422,
            "binary",
        ),
        (
            "nginx.conf",
            truncated.as_bytes().to_vec(),
            422,
            "nginx.conf",
        ),
        (
            "redis.conf",
            b"port 6379\nmaxmemory 1gb\nturbo-mode yes\n".to_vec(),
            422,
            "line 3",
        ),
        (
            "my.cnf",
            b"[mysqld]\n!include /etc/mysql/secret.cnf\nmax_connections = 100\n".to_vec(),
            422,
            "secret.cnf",
        ),
        (
            "notes.txt",
            b"remember to buy milk\n".to_vec(),
            422,
            "not a file Readiness audits",
        ),
        ("bomb.tar.gz", bomb, 413, "expands"),
    ];
    for (name, body, status, words) in cases {
        let res = upload_evidence(&server, &token, name, body).await;
        assert_eq!(res.status().as_u16(), status, "{name}");
        let error: Value = res.json().await.unwrap();
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{name}: {message}");
    }
    let list: Value = server
        .get("/api/v1/projects/chom/evidence")
        .await
        .json()
        .await
        .unwrap();
    assert!(list["evidence"].as_array().unwrap().is_empty());
    assert_eq!(server.get("/api/v1/health").await.status(), 200);
}

#[test]
fn the_offline_audit_prints_findings_and_writes_sarif() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in stack_files()
        .into_iter()
        .filter(|(n, _)| n.starts_with("etc/"))
    {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let sarif = dir.path().join("audit.sarif");
    let out = std::process::Command::new(BIN)
        .arg("audit")
        .arg(dir.path().join("etc"))
        .args(["--ram", "8GiB", "--cpus", "4", "--sarif"])
        .arg(&sarif)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The stack's Redis has no memory limit: the audit fails.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("FAIL       critical redis.maxmemory"),
        "{stdout}"
    );
    let log: Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().unwrap();
    let maxmemory = results
        .iter()
        .find(|r| r["ruleId"] == "redis.maxmemory")
        .unwrap();
    assert_eq!(maxmemory["level"], "error");
    // A finding about a value that is set points at its file and line.
    let located: Vec<&Value> = results
        .iter()
        .filter(|r| r["locations"].is_array())
        .collect();
    assert!(!located.is_empty());
    for result in located {
        let location = &result["locations"][0]["physicalLocation"];
        assert!(
            location["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .contains("etc/"),
            "{result}"
        );
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
    }
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(
        rules.len() >= 60,
        "every rule is described: {}",
        rules.len()
    );
}
