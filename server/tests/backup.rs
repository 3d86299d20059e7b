//! `readiness backup` and `readiness restore` against the real binary and
//! real database files: a backup taken while the server is receiving
//! uploads restores, under a new server, everything acknowledged before it
//! started (runs, audit evidence, artifacts, targets, host profile), and
//! nothing sent after it finished; restores of anything but a whole
//! Readiness backup, or onto a database a server holds, are refused and
//! leave the database as it was.

mod common;

use common::{RestartableServer, cli, create_project_with_token, fixture};
use readiness_store::artifacts::sha256_hex;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

const K6_SUMMARY: &str = "k6/k6-reporter-handlesummary-simple.json";
const K6_NDJSON: &str = "k6/xk6-dashboard-out-json-result.ndjson";
const SLUG: &str = "live";

/// Audit evidence uploaded before the backup: name and fixture.
const EVIDENCE: [(&str, &str); 3] = [
    ("php.ini", "audit/php/laradock-php8.4.ini"),
    (
        "redis-info.txt",
        "audit/status/netdata-redis-6.0.9-info_all.txt",
    ),
    ("my.cnf", "audit/mysql/laradock-mysql-my.cnf"),
];

/// A distinct run body: a fixture followed by `i` spaces and a newline.
fn run_body(i: usize) -> Vec<u8> {
    let mut body = if i % 4 == 3 {
        fixture(K6_NDJSON)
    } else {
        fixture(K6_SUMMARY)
    };
    body.extend(std::iter::repeat_n(b' ', i));
    body.push(b'\n');
    body
}

async fn upload_run(http: &reqwest::Client, url: &str, token: &str, body: Vec<u8>) -> Value {
    let response = http
        .post(format!(
            "{url}/api/v1/projects/{SLUG}/runs?scenario=sustained&commit=abc123"
        ))
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn json_of(server: &RestartableServer, path: &str) -> Value {
    let response = server.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

/// Everything about the project a restore must bring back.
#[derive(Debug, PartialEq)]
struct Snapshot {
    /// Run id → its summary as listed (figures, provenance, SHA-256).
    runs: BTreeMap<i64, Value>,
    /// Evidence id → its listing.
    evidence: BTreeMap<i64, Value>,
    targets: Value,
    host: Value,
}

async fn snapshot(server: &RestartableServer) -> Snapshot {
    let runs = json_of(server, &format!("/api/v1/projects/{SLUG}/runs")).await["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_i64().unwrap(), r.clone()))
        .collect();
    let evidence = json_of(server, &format!("/api/v1/projects/{SLUG}/evidence")).await["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_i64().unwrap(), e.clone()))
        .collect();
    Snapshot {
        runs,
        evidence,
        targets: json_of(server, &format!("/api/v1/projects/{SLUG}/targets")).await,
        host: json_of(server, &format!("/api/v1/projects/{SLUG}/host")).await,
    }
}

/// Downloads an artifact and checks it against the SHA-256 it is listed
/// with; returns its bytes.
async fn artifact(server: &RestartableServer, path: &str, sha256: &str) -> Vec<u8> {
    let response = server.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(response.headers()["x-content-sha256"], sha256, "{path}");
    let bytes = response.bytes().await.unwrap().to_vec();
    assert_eq!(sha256_hex(&bytes), sha256, "{path}");
    bytes
}

fn run_cli(args: &[&str], db: &Path) -> std::process::Output {
    cli(db, args)
}

fn assert_ok(out: &std::process::Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn assert_refused(out: &std::process::Output, what: &str, says: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{what} should be refused: {stderr}");
    for needle in says {
        assert!(
            stderr.contains(needle),
            "{what}: expected {needle:?} in {stderr}"
        );
    }
    stderr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_during_uploads_restores_what_was_acknowledged_before_it() {
    let mut server = RestartableServer::start("warn");
    let token = create_project_with_token(&server.db(), SLUG);
    server.token = Some(token.clone());
    let http = reqwest::Client::new();
    // Targets and the host profile are a maintainer's to change.
    common::add_user(&server.db(), "admin", &["--admin"]);
    let admin = common::session_client(&server.url, "admin");

    // Runs, audit evidence, targets and a host profile.
    let mut sent: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for i in 0..12 {
        let body = run_body(i);
        let answer = upload_run(&http, &server.url, &token, body.clone()).await;
        sent.insert(answer["sha256"].as_str().unwrap().to_owned(), body);
    }
    for (name, path) in EVIDENCE {
        let body = fixture(path);
        let response = http
            .post(format!(
                "{}/api/v1/projects/{SLUG}/evidence?filename={name}&environment=staging",
                server.url
            ))
            .bearer_auth(&token)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            201,
            "{name}: {}",
            response.text().await.unwrap()
        );
        let answer: Value = response.json().await.unwrap();
        sent.insert(answer["sha256"].as_str().unwrap().to_owned(), body);
    }
    let targets = json!({
        "targets": ["p95 < 321ms", "error_rate < 0.5%", "throughput >= 42/s",
                    "p95 < 250ms endpoint \"GET /api/v1/sites\"", "users >= 30 scenario soak"],
        "max_age_days": 9,
    });
    let response = admin
        .put(format!("{}/api/v1/projects/{SLUG}/targets", server.url))
        .json(&targets)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let host = json!({"servers": [{"name": "app1", "roles": ["web", "php", "db", "cache"],
                                    "ram_bytes": 8_589_934_592_u64, "cpus": 4}]});
    let response = admin
        .put(format!("{}/api/v1/projects/{SLUG}/host", server.url))
        .json(&host)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let before = snapshot(&server).await;
    assert_eq!(before.runs.len(), 12);
    assert_eq!(before.evidence.len(), EVIDENCE.len());

    // Four clients upload new runs without pause; each upload notes whether
    // it was sent after the backup had finished.
    let backup_done = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let (acks, mut acked) = tokio::sync::watch::channel(0usize);
    let acks = Arc::new(acks);
    let next = Arc::new(AtomicUsize::new(100));
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (http, url, token) = (http.clone(), server.url.clone(), token.clone());
        let (backup_done, stop, acks, next) = (
            backup_done.clone(),
            stop.clone(),
            acks.clone(),
            next.clone(),
        );
        clients.spawn(async move {
            let mut done = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                // Bounded: at most 400 uploads, whatever happens.
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= 500 {
                    break;
                }
                let after_backup = backup_done.load(Ordering::SeqCst);
                let body = run_body(i);
                let answer = upload_run(&http, &url, &token, body.clone()).await;
                done.push((answer["id"].as_i64().unwrap(), after_backup, body));
                acks.send_modify(|n| *n += 1);
            }
            done
        });
    }
    // The backup starts once uploads are flowing...
    acked.wait_for(|n| *n >= 1).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("readiness-backup.db");
    let acks_before = *acked.borrow();
    let out = {
        let (backup, db) = (backup.clone(), server.db());
        tokio::task::spawn_blocking(move || run_cli(&["backup", backup.to_str().unwrap()], &db))
            .await
            .unwrap()
    };
    let printed = assert_ok(&out, "backup");
    backup_done.store(true, Ordering::SeqCst);
    let acks_after = *acked.borrow();
    // ...and they go on past it before they stop.
    acked.wait_for(|n| *n >= acks_after + 4).await.unwrap();
    stop.store(true, Ordering::SeqCst);
    let mut during = Vec::new();
    while let Some(done) = clients.join_next().await {
        during.extend(done.unwrap());
    }
    assert!(printed.contains("backed up"), "{printed}");

    // A backup never replaces a file, unless told to.
    let db = server.db();
    let out = run_cli(&["backup", backup.to_str().unwrap()], &db);
    assert_refused(
        &out,
        "a backup onto an existing file",
        &["already exists", "--force"],
    );

    // Restored to a new path and served by a new server.
    let restored = dir.path().join("restored").join("readiness.db");
    let out = run_cli(&["restore", backup.to_str().unwrap()], &restored);
    let printed = assert_ok(&out, "restore");
    assert!(printed.contains("restored"), "{printed}");
    let mut second = RestartableServer::start_on(&restored, "warn");
    second.token = Some(token.clone());
    let after = snapshot(&second).await;

    // Everything acknowledged before the backup started is there, equal.
    for (id, run) in &before.runs {
        assert_eq!(after.runs.get(id), Some(run), "run {id}");
    }
    assert_eq!(after.evidence, before.evidence, "audit evidence");
    assert_eq!(after.targets, before.targets, "targets");
    assert_eq!(after.host, before.host, "host profile");
    assert_eq!(after.targets["max_age_days"], 9);
    for (id, run) in &before.runs {
        let sha = run["sha256"].as_str().unwrap();
        let bytes = artifact(&second, &format!("/api/v1/runs/{id}/artifact"), sha).await;
        assert!(bytes == sent[sha], "run {id}: bytes as sent");
    }
    for (id, evidence) in &before.evidence {
        let sha = evidence["sha256"].as_str().unwrap();
        let bytes = artifact(&second, &format!("/api/v1/evidence/{id}/artifact"), sha).await;
        assert!(bytes == sent[sha], "evidence {id}: bytes as sent");
    }
    // Uploads made during the backup may be in it or not, but whole;
    // uploads sent after it finished are not.
    let mut in_backup = 0;
    for (id, after_backup, body) in &during {
        if let Some(run) = after.runs.get(id) {
            assert!(!after_backup, "run {id} was sent after the backup finished");
            let sha = run["sha256"].as_str().unwrap();
            assert_eq!(sha, sha256_hex(body));
            artifact(&second, &format!("/api/v1/runs/{id}/artifact"), sha).await;
            in_backup += 1;
        }
    }
    assert_eq!(
        after.runs.len(),
        before.runs.len() + in_backup,
        "the backup holds only runs that were sent"
    );
    // The restored database takes uploads again.
    let fresh = run_body(7_000);
    upload_run(&http, &second.url, &token, fresh).await;

    println!(
        "backup: {} runs and {} evidence uploads before it; {} uploads acknowledged while it ran \
         ({acks_before} before the command, {acks_after} when it returned), {} in the backup; \
         {} uploads in all during the test",
        before.runs.len(),
        before.evidence.len(),
        acks_after - acks_before,
        in_backup,
        during.len()
    );
}

/// The bytes of a small SQLite database of another application (one table
/// `notes` with one row), as `sqlite3` 3.40 writes it with 512-byte pages.
fn foreign_sqlite() -> Vec<u8> {
    let mut file = vec![0u8; 1024];
    let parts: [(usize, &[u8]); 6] = [
        (
            0,
            &[
                83, 81, 76, 105, 116, 101, 32, 102, 111, 114, 109, 97, 116, 32, 51, 0, 2, 0, 1, 1,
                0, 64, 32, 32, 0, 0, 0, 2, 0, 0, 0, 2,
            ],
        ),
        (43, &[1, 0, 0, 0, 4]),
        (59, &[1]),
        (95, &[2, 0, 46, 99, 1, 13, 0, 0, 0, 1, 1, 203, 0, 1, 203]),
        (
            459,
            &[
                51, 1, 6, 23, 23, 23, 1, 71, 116, 97, 98, 108, 101, 110, 111, 116, 101, 115, 110,
                111, 116, 101, 115, 2, 67, 82, 69, 65, 84, 69, 32, 84, 65, 66, 76, 69, 32, 110,
                111, 116, 101, 115, 40, 98, 111, 100, 121, 32, 84, 69, 88, 84, 41, 13, 0, 0, 0, 1,
                1, 243, 0, 1, 243,
            ],
        ),
        (
            1011,
            &[11, 1, 2, 31, 103, 114, 111, 99, 101, 114, 105, 101, 115],
        ),
    ];
    for (offset, bytes) in parts {
        file[offset..offset + bytes.len()].copy_from_slice(bytes);
    }
    file
}

/// The database file and its sidecars, to compare before and after.
fn files_of_db(db: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let path = format!("{}{suffix}", db.display());
        if let Ok(bytes) = std::fs::read(&path) {
            files.insert(suffix.to_owned(), bytes);
        }
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restores_refuse_what_is_not_a_whole_readiness_backup_and_leave_the_database_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("readiness.db");
    let token = create_project_with_token(&db, SLUG);
    assert!(!token.is_empty());
    let good = dir.path().join("good.db");
    assert_ok(&run_cli(&["backup", good.to_str().unwrap()], &db), "backup");

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "these are not the droids\n").unwrap();
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, "").unwrap();
    let foreign = dir.path().join("foreign.db");
    std::fs::write(&foreign, foreign_sqlite()).unwrap();
    let truncated = dir.path().join("truncated.db");
    let whole = std::fs::read(&good).unwrap();
    std::fs::write(&truncated, &whole[..whole.len() / 2]).unwrap();
    let scribbled = dir.path().join("scribbled.db");
    let mut bytes = whole.clone();
    // Past the header, a whole page from its start (SQLite's default page
    // size is 4096): a backup damaged on its way.
    let page = whole.len() / 3 / 4096 * 4096;
    for b in &mut bytes[page..page + 4096] {
        *b = 0xA5;
    }
    std::fs::write(&scribbled, &bytes).unwrap();

    let before = files_of_db(&db);
    assert!(!before.is_empty());
    let cases: [(&Path, &[&str]); 5] = [
        (
            &text,
            &["not a Readiness backup", "expected an SQLite database"],
        ),
        (&empty, &["not a Readiness backup", "an empty file"]),
        (
            &foreign,
            &["not a Readiness backup", "lacks the tables", "notes"],
        ),
        (&truncated, &["not a Readiness backup"]),
        (&scribbled, &["not a Readiness backup"]),
    ];
    for (file, says) in cases {
        let out = run_cli(&["restore", file.to_str().unwrap()], &db);
        assert_refused(&out, &format!("restoring {}", file.display()), says);
        assert_eq!(
            files_of_db(&db),
            before,
            "{}: the database changed",
            file.display()
        );
    }
    let missing = dir.path().join("missing.db");
    let out = run_cli(&["restore", missing.to_str().unwrap()], &db);
    assert_refused(&out, "restoring a missing file", &["missing.db"]);
    assert_eq!(files_of_db(&db), before);
    // No temporary file is left beside the database.
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");

    // A server holds the database: the restore refuses, and the server
    // goes on serving what it had.
    let mut server = RestartableServer::start_on(&db, "warn");
    server.token = Some(token.clone());
    let runs_before = server.get(&format!("/api/v1/projects/{SLUG}/runs")).await;
    assert_eq!(runs_before.status(), 200);
    let out = run_cli(&["restore", good.to_str().unwrap()], &db);
    assert_refused(&out, "restoring under a running server", &["in use"]);
    let response = server.get("/api/v1/health").await;
    assert_eq!(response.status(), 200);
    let response = server.get(&format!("/api/v1/projects/{SLUG}/runs")).await;
    assert_eq!(response.status(), 200);
    drop(server);

    // Once the server is gone, the same restore goes through.
    assert_ok(
        &run_cli(&["restore", good.to_str().unwrap()], &db),
        "restore",
    );
    for sidecar in ["-wal", "-shm", "-journal"] {
        assert!(
            !Path::new(&format!("{}{sidecar}", db.display())).exists(),
            "{sidecar} left beside the restored database"
        );
    }
    let mut server = RestartableServer::start_on(&db, "warn");
    server.token = Some(token.clone());
    let list: Value = server
        .get(&format!("/api/v1/projects/{SLUG}/runs"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["project"], SLUG);
}
