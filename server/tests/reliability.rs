//! Reliability of the real server on a real SQLite file: nothing that was
//! acknowledged is lost when the process is killed with SIGKILL mid-upload,
//! nothing half-written shows after the restart, and what was not
//! acknowledged can simply be sent again; concurrent uploads and dashboard
//! readers neither fail, lose, duplicate nor lock.
//!
//! Bodies are made distinct from two fixtures by trailing whitespace, which
//! every JSON and NDJSON reader skips: a k6 handleSummary JSON (small, fast)
//! and, for every fifth upload, a k6 `--out json` NDJSON of about a megabyte,
//! so that some uploads are still being received and parsed at any moment.

mod common;

use common::{RestartableServer, create_project_with_token, fixture};
use readiness_store::Store;
use readiness_store::artifacts::sha256_hex;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

const K6_SUMMARY: &str = "k6/k6-reporter-handlesummary-simple.json";
const K6_NDJSON: &str = "k6/xk6-dashboard-out-json-result.ndjson";

/// Distinct upload bodies: body `i` is a fixture followed by `i` spaces and
/// a newline.
fn bodies(count: usize) -> Arc<Vec<Vec<u8>>> {
    let summary = fixture(K6_SUMMARY);
    let ndjson = fixture(K6_NDJSON);
    Arc::new(
        (0..count)
            .map(|i| {
                let mut body = if i % 5 == 4 {
                    ndjson.clone()
                } else {
                    summary.clone()
                };
                body.extend(std::iter::repeat_n(b' ', i));
                body.push(b'\n');
                body
            })
            .collect(),
    )
}

/// What a client learnt of one upload.
#[derive(Debug, Clone)]
enum Outcome {
    /// A 2xx answer with the run it names.
    Acked {
        status: u16,
        id: i64,
        sha256: String,
    },
    /// A 2xx status whose body did not arrive whole: committed, id unknown.
    AckedWithoutBody { status: u16 },
    /// An answer that is not 2xx: never expected here.
    Refused { status: u16, body: String },
    /// No answer: the connection failed (the server was killed).
    NoAnswer(String),
}

impl Outcome {
    fn is_ack(&self) -> bool {
        matches!(
            self,
            Outcome::Acked { .. } | Outcome::AckedWithoutBody { .. }
        )
    }
}

async fn upload(http: &reqwest::Client, url: &str, token: &str, body: Vec<u8>) -> Outcome {
    let response = match http
        .post(format!(
            "{url}/api/v1/projects/crash/runs?scenario=sustained"
        ))
        .bearer_auth(token)
        .body(body)
        .send()
        .await
    {
        Ok(response) => response,
        Err(err) => return Outcome::NoAnswer(err.to_string()),
    };
    let status = response.status().as_u16();
    if !response.status().is_success() {
        let body = response.text().await.unwrap_or_default();
        return Outcome::Refused { status, body };
    }
    match response.json::<Value>().await {
        Ok(json) => Outcome::Acked {
            status,
            id: json["id"].as_i64().expect("an id"),
            sha256: json["sha256"].as_str().expect("a sha256").to_owned(),
        },
        Err(_) => Outcome::AckedWithoutBody { status },
    }
}

/// The project's runs as the API lists them: id → SHA-256.
async fn listed_runs(server: &RestartableServer, slug: &str) -> BTreeMap<i64, String> {
    let response = server.get(&format!("/api/v1/projects/{slug}/runs")).await;
    assert_eq!(response.status(), 200);
    let list: Value = response.json().await.unwrap();
    let mut runs = BTreeMap::new();
    for run in list["runs"].as_array().unwrap() {
        let id = run["id"].as_i64().unwrap();
        let sha = run["sha256"].as_str().unwrap().to_owned();
        assert!(runs.insert(id, sha).is_none(), "run {id} listed twice");
    }
    runs
}

/// Checks every listed run against what was sent: its artifact downloads,
/// hashes to the listed SHA-256 (the server also checks it against the
/// stored one) and is byte for byte one of the bodies; no two runs hold the
/// same bytes. Returns the body index of each run.
async fn check_artifacts(
    server: &RestartableServer,
    runs: &BTreeMap<i64, String>,
    sent: &[Vec<u8>],
) -> BTreeMap<i64, usize> {
    let by_sha: BTreeMap<String, usize> = sent
        .iter()
        .enumerate()
        .map(|(i, body)| (sha256_hex(body), i))
        .collect();
    let mut seen = BTreeSet::new();
    let mut indexes = BTreeMap::new();
    for (id, sha) in runs {
        let index = *by_sha
            .get(sha)
            .unwrap_or_else(|| panic!("run {id} holds bytes nobody sent: {sha}"));
        assert!(seen.insert(sha.clone()), "two runs hold the bytes {sha}");
        let response = server.get(&format!("/api/v1/runs/{id}/artifact")).await;
        assert_eq!(response.status(), 200, "run {id}'s artifact");
        let header = response.headers()["x-content-sha256"]
            .to_str()
            .unwrap()
            .to_owned();
        let bytes = response.bytes().await.unwrap();
        assert_eq!(header, *sha, "run {id}: stored SHA-256");
        assert_eq!(sha256_hex(&bytes), *sha, "run {id}: downloaded bytes");
        assert!(
            bytes[..] == sent[index][..],
            "run {id}: bytes of body {index}"
        );
        indexes.insert(*id, index);
    }
    indexes
}

/// Reads the database file directly, through the store's own queries: every
/// artifact belongs to a run (none left without one, none half-written),
/// there are as many artifacts as runs, and each artifact's chunks
/// decompress to its SHA-256.
async fn check_database(db: &std::path::Path, slug: &str, runs: &BTreeMap<i64, String>) {
    let store = Store::open(db).await.unwrap();
    let project = store.project(slug).await.unwrap();
    let artifacts = store.list_artifacts(project.id).await.unwrap();
    let orphans: Vec<i64> = artifacts
        .iter()
        .filter(|a| a.run.is_none() && a.evidence.is_none())
        .map(|a| a.artifact_id)
        .collect();
    assert!(
        orphans.is_empty(),
        "artifacts without a run or evidence: {orphans:?}"
    );
    assert_eq!(artifacts.len(), runs.len(), "one artifact per run");
    let stored: BTreeMap<i64, String> = store
        .list_runs(project.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.id, r.sha256))
        .collect();
    assert_eq!(&stored, runs, "the database's runs are the API's");
    for id in runs.keys() {
        let artifact = store.run_artifact(*id).await.unwrap();
        assert_eq!(sha256_hex(&artifact.bytes), artifact.sha256);
    }
    store.pool().close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_uploads_survive_sigkill_and_the_rest_can_be_sent_again() {
    const UPLOADS: usize = 200;
    const CLIENTS: usize = 20;
    const KILL_AFTER: usize = 60;

    let mut server = RestartableServer::start("warn");
    let token = create_project_with_token(&server.db(), "crash");
    server.token = Some(token.clone());
    let sent = bodies(UPLOADS);
    let http = reqwest::Client::new();

    // 20 clients share the 200 uploads; the test kills the server as soon
    // as KILL_AFTER uploads have been acknowledged, with about 20 in flight.
    let acks = Arc::new(AtomicUsize::new(0));
    let enough = Arc::new(tokio::sync::Notify::new());
    // The last client to finish wakes the test too, so a run in which
    // KILL_AFTER is never reached fails below instead of waiting forever.
    let running = Arc::new(AtomicUsize::new(CLIENTS));
    let mut clients = tokio::task::JoinSet::new();
    for client in 0..CLIENTS {
        let (http, url, token, sent) = (
            http.clone(),
            server.url.clone(),
            token.clone(),
            sent.clone(),
        );
        let (acks, enough, running) = (acks.clone(), enough.clone(), running.clone());
        clients.spawn(async move {
            let mut outcomes = Vec::new();
            for i in (client..UPLOADS).step_by(CLIENTS) {
                let outcome = upload(&http, &url, &token, sent[i].clone()).await;
                if outcome.is_ack() && acks.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AFTER {
                    enough.notify_one();
                }
                outcomes.push((i, outcome));
            }
            if running.fetch_sub(1, Ordering::SeqCst) == 1 {
                enough.notify_one();
            }
            outcomes
        });
    }
    enough.notified().await;
    server.kill();
    let acked_at_kill = acks.load(Ordering::SeqCst);

    let mut outcomes: BTreeMap<usize, Outcome> = BTreeMap::new();
    while let Some(done) = clients.join_next().await {
        outcomes.extend(done.unwrap());
    }
    assert_eq!(outcomes.len(), UPLOADS);
    let refused: Vec<String> = outcomes
        .iter()
        .filter_map(|(i, o)| match o {
            Outcome::Refused { status, body } => Some(format!("upload {i}: {status} {body}")),
            _ => None,
        })
        .collect();
    assert!(refused.is_empty(), "uploads refused: {refused:?}");
    let acked: BTreeMap<usize, Outcome> = outcomes
        .iter()
        .filter(|(_, o)| o.is_ack())
        .map(|(i, o)| (*i, o.clone()))
        .collect();
    let unacked: Vec<usize> = outcomes
        .iter()
        .filter(|(_, o)| !o.is_ack())
        .map(|(i, _)| *i)
        .collect();
    assert!(acked.len() >= KILL_AFTER);
    assert!(
        !unacked.is_empty(),
        "the kill came after every upload was acknowledged: no fault was injected"
    );
    for (i, outcome) in &acked {
        match outcome {
            Outcome::Acked { status, sha256, .. } => {
                assert_eq!(*status, 201, "upload {i}: a first upload creates its run");
                assert_eq!(
                    *sha256,
                    sha256_hex(&sent[*i]),
                    "upload {i}: acknowledged hash"
                );
            }
            Outcome::AckedWithoutBody { status } => assert_eq!(*status, 201, "upload {i}"),
            _ => {}
        }
    }
    // What the clients saw of the kill, for the record.
    let no_answer = outcomes.values().find_map(|o| match o {
        Outcome::NoAnswer(err) => Some(err.clone()),
        _ => None,
    });

    server.restart();
    let after_restart = listed_runs(&server, "crash").await;
    let indexes = check_artifacts(&server, &after_restart, &sent).await;
    let present: BTreeMap<usize, i64> = indexes.iter().map(|(id, i)| (*i, *id)).collect();
    let mut lost = Vec::new();
    for (i, outcome) in &acked {
        match (outcome, present.get(i)) {
            (Outcome::Acked { id, .. }, Some(found)) => {
                assert_eq!(id, found, "upload {i} came back under another id");
            }
            (_, Some(_)) => {}
            (_, None) => lost.push(*i),
        }
    }
    assert!(lost.is_empty(), "acknowledged uploads lost: {lost:?}");
    check_database(&server.db(), "crash", &after_restart).await;
    // Committed in the instant before the kill, but never acknowledged.
    let committed_unacked = unacked.iter().filter(|i| present.contains_key(i)).count();

    // Every upload that was not acknowledged is sent again: it is created
    // now, or, if it had committed, answered with the run it already has.
    let mut resends = tokio::task::JoinSet::new();
    for chunk in unacked.chunks(unacked.len().div_ceil(CLIENTS)) {
        let (http, url, token, sent) = (
            http.clone(),
            server.url.clone(),
            token.clone(),
            sent.clone(),
        );
        let chunk = chunk.to_vec();
        resends.spawn(async move {
            let mut outcomes = Vec::new();
            for i in chunk {
                // As a CI client would: a 429 is waited out and sent again.
                let outcome = loop {
                    match upload(&http, &url, &token, sent[i].clone()).await {
                        Outcome::Refused { status: 429, .. } => {
                            tokio::time::sleep(std::time::Duration::from_millis(500)).await
                        }
                        outcome => break outcome,
                    }
                };
                outcomes.push((i, outcome));
            }
            outcomes
        });
    }
    let (mut created, mut existing) = (0, 0);
    while let Some(done) = resends.join_next().await {
        for (i, outcome) in done.unwrap() {
            let Outcome::Acked { status, id, sha256 } = outcome else {
                panic!("resending upload {i}: {outcome:?}");
            };
            assert_eq!(sha256, sha256_hex(&sent[i]));
            match (status, present.get(&i)) {
                (201, None) => created += 1,
                (200, Some(before)) => {
                    assert_eq!(id, *before, "upload {i}: the run it already had");
                    existing += 1;
                }
                (status, before) => {
                    panic!("resending upload {i}: status {status}, stored before: {before:?}")
                }
            }
        }
    }

    let finally = listed_runs(&server, "crash").await;
    assert_eq!(finally.len(), UPLOADS, "every upload is stored once");
    let all = check_artifacts(&server, &finally, &sent).await;
    assert_eq!(
        all.values().copied().collect::<BTreeSet<_>>().len(),
        UPLOADS
    );
    check_database(&server.db(), "crash", &finally).await;
    let stderr = server.stderr();
    assert!(
        !stderr.to_ascii_lowercase().contains("locked"),
        "the server reported a lock: {stderr}"
    );

    println!(
        "crash safety: {UPLOADS} uploads from {CLIENTS} clients, 1 SIGKILL after {acked_at_kill} \
         acknowledgements; acked {}, lost {}, unacknowledged {} (of which {committed_unacked} had \
         committed), resent {} ({created} created, {existing} already stored), stored at the end \
         {}; first failed request: {}",
        acked.len(),
        lost.len(),
        unacked.len(),
        created + existing,
        finally.len(),
        no_answer.unwrap_or_default(),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_uploads_and_dashboard_readers_lose_nothing_and_never_lock() {
    const UPLOADS: usize = 50;
    const READERS: usize = 6;
    /// Bounds the readers' loop, whatever happens to the uploads.
    const MAX_READS: usize = 5_000;

    let mut server = RestartableServer::start("warn");
    let token = create_project_with_token(&server.db(), "crash");
    server.token = Some(token.clone());
    let sent = bodies(UPLOADS);
    let http = reqwest::Client::new();
    // The dashboard's readers, signed in as a viewer of the project.
    common::add_user(&server.db(), "viewer", &[]);
    let out = server.cli(&[
        "user",
        "role",
        "viewer",
        "--project",
        "crash",
        "--role",
        "viewer",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reader = common::session_client(&server.url, "viewer");

    let uploading = Arc::new(AtomicBool::new(true));
    let reads = Arc::new(AtomicUsize::new(0));
    let mut readers = tokio::task::JoinSet::new();
    for _ in 0..READERS {
        let (http, url) = (reader.clone(), server.url.clone());
        let (uploading, reads) = (uploading.clone(), reads.clone());
        readers.spawn(async move {
            let mut bad = Vec::new();
            // At least one whole round, and rounds for as long as uploads
            // go on.
            loop {
                for path in [
                    "/",
                    "/projects/crash",
                    "/api/v1/projects/crash/assessment",
                    "/api/v1/projects/crash/runs",
                ] {
                    match http.get(format!("{url}{path}")).send().await {
                        Ok(r) if r.status().is_success() => drop(r.bytes().await),
                        Ok(r) => bad.push(format!("{path}: {}", r.status())),
                        Err(e) => bad.push(format!("{path}: {e}")),
                    }
                    reads.fetch_add(1, Ordering::SeqCst);
                }
                if !uploading.load(Ordering::SeqCst) || reads.load(Ordering::SeqCst) >= MAX_READS {
                    break;
                }
            }
            bad
        });
    }

    let mut uploads = tokio::task::JoinSet::new();
    for i in 0..UPLOADS {
        let (http, url, token, sent) = (
            http.clone(),
            server.url.clone(),
            token.clone(),
            sent.clone(),
        );
        uploads.spawn(async move { (i, upload(&http, &url, &token, sent[i].clone()).await) });
    }
    let mut ids = BTreeSet::new();
    while let Some(done) = uploads.join_next().await {
        let (i, outcome) = done.unwrap();
        match outcome {
            Outcome::Acked {
                status: 201,
                id,
                sha256,
            } => {
                assert_eq!(sha256, sha256_hex(&sent[i]));
                assert!(ids.insert(id), "two uploads answered with run {id}");
            }
            other => panic!("upload {i}: {other:?}"),
        }
    }
    uploading.store(false, Ordering::SeqCst);
    let mut bad = Vec::new();
    while let Some(done) = readers.join_next().await {
        bad.extend(done.unwrap());
    }
    assert!(bad.is_empty(), "reads that failed: {bad:?}");

    let runs = listed_runs(&server, "crash").await;
    assert_eq!(runs.len(), UPLOADS, "exactly one run per upload");
    assert_eq!(runs.keys().copied().collect::<BTreeSet<_>>(), ids);
    let indexes = check_artifacts(&server, &runs, &sent).await;
    assert_eq!(
        indexes.values().copied().collect::<BTreeSet<_>>().len(),
        UPLOADS
    );
    check_database(&server.db(), "crash", &runs).await;

    let stderr = server.stderr();
    assert!(
        !stderr.to_ascii_lowercase().contains("locked"),
        "the server reported a lock: {stderr}"
    );
    assert!(
        !stderr.contains("ERROR"),
        "the server logged errors: {stderr}"
    );
    println!(
        "concurrency: {UPLOADS} concurrent uploads, {} dashboard reads by {READERS} readers \
         meanwhile; {} runs stored, 0 errors, 0 locks",
        reads.load(Ordering::SeqCst),
        runs.len()
    );
}
